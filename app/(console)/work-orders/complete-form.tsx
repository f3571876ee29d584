"use client";
// Closing a work order: the outcome, the readings its job (and the fault behind it) needs, notes.
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { OUTCOME_LABELS, readingFieldsFor, WORK_ORDER_OUTCOMES, type WorkOrderOutcome } from "@/lib/maintenance/field-report";
import { jobTypeLabel } from "@/lib/scheduling/job-types";
import { completeWorkOrderAction } from "./actions";

export interface CompletableOrder {
  id: string;
  meterId: string;
  jobType: string;
  code: string | null;
}

export function CompleteForm({ row, canEditConstants, onDone }: { row: CompletableOrder; canEditConstants: boolean; onDone: () => void }) {
  const router = useRouter();
  const [isPending, startTransition] = useTransition();
  const fields = readingFieldsFor(row.jobType, row.code);
  const [outcome, setOutcome] = useState<WorkOrderOutcome>("fixed");
  const [values, setValues] = useState<Record<string, string>>({});
  const [extra, setExtra] = useState({ notes: "", gain: "", phase: "" });
  const [error, setError] = useState<string | null>(null);
  const isCalibration = row.jobType === "calibrate";
  const needsReadings = outcome === "fixed" || outcome === "not_fixed";
  const submit = () =>
    startTransition(async () => {
      setError(null);
      const readings: Record<string, number | boolean> = {};
      for (const f of fields) {
        const v = values[f.key];
        if (v === undefined || v === "") continue;
        if (f.kind === "boolean") readings[f.key] = v === "yes";
        else if (Number.isFinite(Number(v))) readings[f.key] = Number(v);
        else return setError(`${f.label}: "${v}" is not a number.`);
      }
      const input: Record<string, unknown> = { workOrderId: row.id, outcome, notes: extra.notes || undefined };
      if (Object.keys(readings).length) input.readings = readings;
      if (isCalibration && extra.gain && extra.phase) input.constants = { gainCorrection: Number(extra.gain), phaseCorrectionDeg: Number(extra.phase) };
      const r = await completeWorkOrderAction(input);
      if (!r.ok) return setError(r.error);
      onDone();
      router.refresh();
    });
  const text = (key: "notes" | "gain" | "phase", label: string) => (
    <label style={{ display: "flex", flexDirection: "column", fontSize: 12 }}>
      {label}
      <input data-testid={`wo-${key}`} value={extra[key]} onChange={(e) => setExtra({ ...extra, [key]: e.target.value })} />
    </label>
  );
  return (
    <section className="card" data-testid="wo-complete-form">
      <h2>
        Complete {jobTypeLabel(row.jobType)} on {row.meterId}
        {row.code ? ` (found ${row.code})` : ""}
      </h2>
      <fieldset style={{ border: 0, padding: 0, margin: "0 0 8px" }} data-testid="wo-outcome">
        <legend style={{ fontSize: 12 }}>Outcome</legend>
        <div className="row">
          {WORK_ORDER_OUTCOMES.map((o) => (
            <label key={o} className="row" style={{ gap: 4 }}>
              <input type="radio" name="outcome" value={o} checked={outcome === o} onChange={() => setOutcome(o)} data-testid={`wo-outcome-${o}`} />
              {OUTCOME_LABELS[o]}
            </label>
          ))}
        </div>
      </fieldset>
      <div style={{ display: "grid", gridTemplateColumns: "repeat(4, minmax(0, 1fr))", gap: 8 }}>
        {fields.map((f) =>
          f.kind === "boolean" ? (
            <label key={f.key} style={{ display: "flex", flexDirection: "column", fontSize: 12 }}>
              {f.label}
              <select data-testid={`wo-${f.key}`} value={values[f.key] ?? ""} onChange={(e) => setValues({ ...values, [f.key]: e.target.value })}>
                <option value="">not checked</option>
                <option value="yes">yes</option>
                <option value="no">no</option>
              </select>
            </label>
          ) : (
            <label key={f.key} style={{ display: "flex", flexDirection: "column", fontSize: 12 }}>
              {f.label} ({f.unit})
              <input data-testid={`wo-${f.key}`} inputMode="decimal" value={values[f.key] ?? ""} onChange={(e) => setValues({ ...values, [f.key]: e.target.value })} />
            </label>
          ),
        )}
        {isCalibration && canEditConstants && (
          <>
            {text("gain", "New gain correction")}
            {text("phase", "New phase correction (°)")}
          </>
        )}
        {text("notes", "Notes")}
      </div>
      {fields.length > 0 && (
        <p className="muted">
          {needsReadings ? "Every reading is needed when the crew worked on the meter." : "Readings are optional: the crew did not finish the job."}
          {isCalibration ? " Accuracy envelope: ±0.2 % at every load point." : ""}
          {outcome === "follow_up" ? " A new work order for the next visit is opened." : ""}
        </p>
      )}
      <div style={{ display: "flex", gap: 8 }}>
        <button type="button" className="primary" data-testid="wo-submit" disabled={isPending} onClick={submit}>
          Save
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
      {error && (
        <p className="error-text" role="alert" data-testid="wo-error">
          {error}
        </p>
      )}
    </section>
  );
}
