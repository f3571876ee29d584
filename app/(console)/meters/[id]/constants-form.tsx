"use client";
// Metrology constants editor for technicians and admins; the server action checks the role again.
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { updateMeterConstantsAction } from "./actions";

interface Constants {
  pulseConstant: number;
  gainCorrection: number;
  phaseCorrectionDeg: number;
}

const FIELDS: { key: keyof Constants; label: string; step: string }[] = [
  { key: "pulseConstant", label: "Pulse constant", step: "any" },
  { key: "gainCorrection", label: "Gain correction", step: "0.000001" },
  { key: "phaseCorrectionDeg", label: "Phase correction (°)", step: "0.0001" },
];

export function ConstantsForm({ meterId, constants }: { meterId: string; constants: Partial<Constants> }) {
  const router = useRouter();
  const [values, setValues] = useState<Record<keyof Constants, string>>({
    pulseConstant: String(constants.pulseConstant ?? ""),
    gainCorrection: String(constants.gainCorrection ?? 1),
    phaseCorrectionDeg: String(constants.phaseCorrectionDeg ?? 0),
  });
  const [reason, setReason] = useState("");
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [pending, startTransition] = useTransition();

  const onSubmit = (e: React.FormEvent) => {
    e.preventDefault();
    setMessage(null);
    startTransition(async () => {
      const result = await updateMeterConstantsAction({
        meterId,
        constants: { pulseConstant: Number(values.pulseConstant), gainCorrection: Number(values.gainCorrection), phaseCorrectionDeg: Number(values.phaseCorrectionDeg) },
        reason,
      });
      if (result.ok) {
        setMessage({ ok: true, text: "Saved; the change is in the history below." });
        setReason("");
        router.refresh();
      } else setMessage({ ok: false, text: result.error });
    });
  };

  return (
    <form onSubmit={onSubmit} className="row" style={{ alignItems: "flex-end" }} data-testid="constants-form">
      {FIELDS.map((f) => (
        <label key={f.key}>
          {f.label}
          <input
            type="number"
            step={f.step}
            required
            value={values[f.key]}
            onChange={(e) => setValues((v) => ({ ...v, [f.key]: e.target.value }))}
            data-testid={`constant-${f.key}`}
            size={10}
          />
        </label>
      ))}
      <label style={{ flex: 1, minWidth: 200 }}>
        Reason
        <input
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          required
          minLength={3}
          maxLength={500}
          placeholder="e.g. recalibrated at 15/30/60 A"
          data-testid="constant-reason"
        />
      </label>
      <button type="submit" className="primary" disabled={pending} data-testid="constants-save">
        {pending ? "Saving…" : "Save constants"}
      </button>
      {message && (
        <p className={`notice ${message.ok ? "ok" : "error"}`} role="status" data-testid="constants-message" style={{ width: "100%", margin: 0 }}>
          {message.text}
        </p>
      )}
    </form>
  );
}
