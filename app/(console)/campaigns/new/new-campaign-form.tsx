"use client";
import { useRouter } from "next/navigation";
import Link from "next/link";
import { useState, useTransition } from "react";
import type { PlanView } from "@/lib/campaigns/service";
import type { TargetQueryInput } from "@/lib/campaigns/schemas";
import { METER_KINDS } from "@/lib/fleet/ids";
import { createCampaignAction, previewCampaignAction } from "../actions";
import { formatUtc } from "@/lib/format/time";
import { defaultCampaignName } from "@/lib/campaigns/target-text";

type Preview = PlanView & { targetCount: number; targetDescription: string };

/** A compatible firmware pair from the catalogue; `refused` says why preflight would refuse it (not offered). */
export interface FirmwarePairOption {
  value: string;
  label: string;
  refused: string | null;
}

function newKey(): string {
  return `f${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
}

export function NewCampaignForm({
  jobTypes,
  initialJobType,
  initialQuery,
  firmwarePairs,
}: {
  jobTypes: { value: string; label: string }[];
  initialJobType: string;
  initialQuery: TargetQueryInput;
  firmwarePairs: FirmwarePairOption[];
}) {
  const router = useRouter();
  const [isPending, startTransition] = useTransition();
  // Until the operator types a name, it follows the step and the targets (the same words from every page that links here).
  const [typedName, setTypedName] = useState<string | null>(null);
  const [jobType, setJobType] = useState(initialJobType);
  const [confirming, setConfirming] = useState(false);
  const [q, setQ] = useState<Record<string, string>>({
    kind: initialQuery.kind ?? "",
    gw: initialQuery.gw ?? "",
    zone: initialQuery.zone ?? "",
    model: initialQuery.model ?? "",
    fw: initialQuery.fw ?? "",
    led: initialQuery.led ?? "",
    fault: initialQuery.fault ?? "",
    days: initialQuery.days ? String(initialQuery.days) : "",
    meters: (initialQuery.meters ?? []).join(" "),
  });
  const [o, setO] = useState<Record<string, string>>({
    waveSize: "",
    canarySize: "",
    window: "default",
    blackout: "",
    target: "",
    soak: "",
    successPct: "90",
    maxErrorPct: "10",
    onBreach: "pause",
  });
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<string | null>(null);
  // A draft made by "Create and start" whose start was refused: the form says so and links to it.
  const [leftDraft, setLeftDraft] = useState<string | null>(null);
  // One creation key per previewed form: a double click creates one campaign, and a form
  // changed after a refusal (a new preview) creates its own, not the earlier one again.
  const [creationKey, setCreationKey] = useState(newKey);

  const payload = () => {
    const targetQuery: Record<string, unknown> = {};
    for (const k of ["kind", "gw", "zone", "model", "fw", "led", "fault"]) if (q[k]) targetQuery[k] = q[k];
    if (q.days) targetQuery.days = Number(q.days);
    const ids = q.meters.split(/[\s,;]+/).filter(Boolean);
    if (ids.length) targetQuery.meters = ids;
    const options: Record<string, unknown> = {
      blackoutDates: o.blackout.split(/[\s,]+/).filter(Boolean),
      thresholds: { successPct: Number(o.successPct), maxErrorPct: Number(o.maxErrorPct), onBreach: o.onBreach, lastGaspPerMin: 30 },
    };
    if (o.waveSize) options.waveSize = Number(o.waveSize);
    if (o.canarySize) options.canarySize = Number(o.canarySize);
    if (o.window === "any") options.offPeak = null;
    if (o.soak) options.soakMinutes = Number(o.soak);
    if (jobType === "fota" && o.target) {
      const [metrology, comms] = o.target.split("/");
      options.targetFirmware = { metrology, comms };
    }
    return { jobType, targetQuery, options };
  };

  const onPreview = () =>
    startTransition(async () => {
      setError(null);
      setConfirming(false);
      const r = await previewCampaignAction(payload());
      if (r.ok) {
        setPreview(r.data);
        setCreationKey(newKey());
      } else setError(r.error);
    });
  const onCreate = (start: boolean) =>
    startTransition(async () => {
      setError(null);
      setLeftDraft(null);
      setConfirming(false);
      const r = await createCampaignAction({ ...payload(), name: name.trim() || defaultCampaignName(jobType, targetQuery), creationKey, start });
      if (!r.ok) setError(r.error);
      else if (r.data.startError) {
        setError(`Created as a draft but not started: ${r.data.startError}`);
        setLeftDraft(r.data.id);
      } else router.push(`/campaigns/${r.data.id}`);
    });

  const nothingToStart = preview !== null && preview.summary.scheduledMeters === 0;
  const targetQuery = payload().targetQuery as TargetQueryInput;
  const name = typedName ?? defaultCampaignName(jobType, targetQuery);

  const field = (key: string, label: string, placeholder = "") => (
    <label>
      {label}
      <input
        data-testid={`q-${key}`}
        value={q[key]}
        placeholder={placeholder}
        onChange={(e) => {
          setQ({ ...q, [key]: e.target.value });
          setPreview(null);
        }}
      />
    </label>
  );
  const opt = (key: string, label: string, placeholder = "") => (
    <label>
      {label}
      <input
        data-testid={`o-${key}`}
        value={o[key]}
        placeholder={placeholder}
        onChange={(e) => {
          setO({ ...o, [key]: e.target.value });
          setPreview(null);
        }}
      />
    </label>
  );

  return (
    <div data-testid="new-campaign-form">
      <section className="card">
        <h2>Campaign</h2>
        <div className="cmp-form">
          <label>
            Name
            <input data-testid="campaign-name" value={name} onChange={(e) => setTypedName(e.target.value)} />
          </label>
          <label>
            Step
            <select
              data-testid="campaign-job-type"
              value={jobType}
              onChange={(e) => {
                setJobType(e.target.value);
                setPreview(null);
              }}
            >
              {jobTypes.map((j) => (
                <option key={j.value} value={j.value}>
                  {j.label}
                </option>
              ))}
            </select>
          </label>
        </div>
        <h2>Target meters</h2>
        <div className="cmp-form">
          <label>
            Kind
            <select
              data-testid="q-kind"
              value={q.kind}
              onChange={(e) => {
                setQ({ ...q, kind: e.target.value });
                setPreview(null);
              }}
            >
              <option value="">any</option>
              {METER_KINDS.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </label>
          {field("gw", "Gateway", "any")}
          {field("zone", "Climate zone", "any")}
          {field("model", "Model", "any")}
          {field("fw", "Firmware metrology/comms", "any")}
          {field("led", "LED state", "any")}
          {field("fault", "Fault seen", "any")}
          {field("days", "…in the last days", "default: 7")}
          <label style={{ gridColumn: "span 4" }}>
            Meter ids (a pasted list; empty = use the query)
            <input
              data-testid="q-meters"
              value={q.meters}
              onChange={(e) => {
                setQ({ ...q, meters: e.target.value });
                setPreview(null);
              }}
              placeholder="none: the filters above choose"
            />
          </label>
        </div>
        <h2>Options</h2>
        <div className="cmp-form">
          {opt("waveSize", "Wave size (≤ 100)", "job default")}
          {opt("canarySize", "Canary size", "job default")}
          <label>
            Window
            <select
              data-testid="o-window"
              value={o.window}
              onChange={(e) => {
                setO({ ...o, window: e.target.value });
                setPreview(null);
              }}
            >
              <option value="default">job type&apos;s off-peak window</option>
              <option value="any">any time of day</option>
            </select>
          </label>
          {opt("blackout", "Blackout dates (YYYY-MM-DD …)", "none")}
          <label>
            Target firmware pair (fota)
            <select
              data-testid="o-target"
              value={jobType === "fota" ? o.target : ""}
              disabled={jobType !== "fota"}
              onChange={(e) => {
                setO({ ...o, target: e.target.value });
                setPreview(null);
              }}
            >
              <option value="">{jobType === "fota" ? "choose a compatible pair…" : "not used by this step"}</option>
              {firmwarePairs.map((p) => (
                <option key={p.value} value={p.value} disabled={p.refused !== null}>
                  {p.refused ? `${p.label} (${p.refused})` : p.label}
                </option>
              ))}
            </select>
          </label>
          {opt("soak", "Soak minutes", "job default")}
          {opt("successPct", "Gate: healthy ≥ %")}
          {opt("maxErrorPct", "Gate: errors ≤ %")}
        </div>
        <div className="cmp-actions">
          <button type="button" data-testid="preview-button" onClick={onPreview} disabled={isPending}>
            Preview
          </button>
          <button type="button" data-testid="create-button" onClick={() => onCreate(false)} disabled={isPending || !preview}>
            Create draft
          </button>
          <button
            type="button"
            className="primary"
            data-testid="create-start-button"
            onClick={() => setConfirming(true)}
            disabled={isPending || !preview || nothingToStart || (confirming && preview !== null)}
          >
            Create and start
          </button>
          {!preview && (
            <span className="muted" data-testid="create-hint">
              Preview first: what is created is what the preview showed.
            </span>
          )}
          {nothingToStart && (
            <span className="muted" data-testid="create-hint">
              No meter can be scheduled: change the targets or options (the exclusions below say why), or keep it as a draft.
            </span>
          )}
        </div>
        {confirming && preview && (
          <ConfirmStart
            preview={preview}
            name={name}
            jobLabel={jobTypes.find((j) => j.value === jobType)?.label ?? jobType}
            isPending={isPending}
            onConfirm={() => onCreate(true)}
            onBack={() => setConfirming(false)}
          />
        )}
        {error && (
          <p className="error-text" role="alert" data-testid="campaign-error">
            {error}
            {leftDraft && (
              <>
                {" "}
                <Link href={`/campaigns/${leftDraft}`} data-testid="left-draft-link">
                  Open the draft
                </Link>
              </>
            )}
          </p>
        )}
      </section>
      {preview && <PlanPreview preview={preview} />}
    </div>
  );
}

/** The blast radius, said before anything is sent: how many meters and gateways, in how many waves, when. */
function ConfirmStart({
  preview,
  name,
  jobLabel,
  isPending,
  onConfirm,
  onBack,
}: {
  preview: Preview;
  name: string;
  jobLabel: string;
  isPending: boolean;
  onConfirm: () => void;
  onBack: () => void;
}) {
  const s = preview.summary;
  const gateways = Object.keys(s.metersPerGateway).length;
  const windows = s.windowsUsed.map((w) => `${w.label} (${w.timezone})`).join("; ") || "none";
  return (
    <div className="notice" role="alertdialog" aria-labelledby="confirm-start-title" data-testid="confirm-start" style={{ marginTop: 10 }}>
      <strong id="confirm-start-title">Start “{name}” now?</strong>
      <p data-testid="confirm-blast" style={{ margin: "6px 0" }}>
        {jobLabel} on <strong>{s.scheduledMeters.toLocaleString("en")} meters</strong> behind{" "}
        <strong>
          {gateways.toLocaleString("en")} gateway{gateways === 1 ? "" : "s"}
        </strong>
        , in {s.waveCount} wave{s.waveCount === 1 ? "" : "s"} ({s.canaryWaveCount} canary), at most {s.blastRadius.maxMetersInFlight} meters at once. Window: {windows}. Done by{" "}
        {s.eta ? formatUtc(s.eta, { zone: true }) : "—"}.{preview.requiresApproval ? " It needs a second operator's approval before the first wave." : ""}
      </p>
      <div className="row">
        <button type="button" className="primary" data-testid="confirm-start-button" disabled={isPending} onClick={onConfirm}>
          Start {s.scheduledMeters.toLocaleString("en")} meters
        </button>
        <button type="button" data-testid="confirm-start-back" onClick={onBack}>
          Back
        </button>
      </div>
    </div>
  );
}

function PlanPreview({ preview }: { preview: Preview }) {
  const s = preview.summary;
  const gateways = Object.entries(s.metersPerGateway).sort((a, b) => b[1] - a[1]);
  return (
    <section className="card" data-testid="plan-preview">
      <h2>Plan</h2>
      <div className="cmp-grid">
        <div className="cmp-kv">
          <span>Meters matched</span>
          <span>
            <strong data-testid="plan-matched">{preview.targetCount.toLocaleString("en")}</strong>{" "}
            <span className="muted" data-testid="plan-matched-what">
              {preview.targetDescription}
            </span>
          </span>
          <span>Scheduled</span>
          <strong data-testid="plan-scheduled">{s.scheduledMeters}</strong>
          <span>Excluded</span>
          <strong data-testid="plan-excluded">{s.excludedMeters}</strong>
          <span>Waves</span>
          <strong data-testid="plan-waves">
            {s.waveCount} ({s.canaryWaveCount} canary)
          </strong>
          <span>ETA</span>
          <strong data-testid="plan-eta">{s.eta ? formatUtc(s.eta, { zone: true }) : "nothing scheduled"}</strong>
          <span>Blast radius</span>
          <span data-testid="plan-blast">
            ≤ {s.blastRadius.maxMetersInFlight} meters at once
            {s.blastRadius.maxGatewayShare ? `; at most ${Math.round(s.blastRadius.maxGatewayShare.share * 100)}% of ${s.blastRadius.maxGatewayShare.gatewayId}` : ""}
          </span>
          <span>Approval</span>
          <span data-testid="plan-approval">{preview.requiresApproval ? "needs a second operator" : "not needed"}</span>
        </div>
        <div>
          <strong>Windows used</strong>
          {s.windowsUsed.length ? (
            <ul data-testid="plan-windows">
              {s.windowsUsed.map((w) => (
                <li key={w.timezone}>
                  {w.timezone}: {w.label}, {w.waveCount} waves on {w.localDates.length} days
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">none</p>
          )}
          <strong>Meters per gateway</strong>
          <div className="cmp-scroll" data-testid="plan-gateways">
            {gateways.length ? (
              gateways.slice(0, 100).map(([gw, n]) => (
                <div key={gw}>
                  {gw}: {n}
                </div>
              ))
            ) : (
              <p className="muted">none</p>
            )}
          </div>
        </div>
      </div>
      <h3>Exclusions</h3>
      {preview.exclusionReasons.length ? (
        <>
          <table className="data" data-testid="plan-exclusion-reasons">
            <thead>
              <tr>
                <th>Reason</th>
                <th>Meters</th>
                <th>Example</th>
              </tr>
            </thead>
            <tbody>
              {preview.exclusionReasons.map((r) => (
                <tr key={r.code}>
                  <td>{r.code}</td>
                  <td>{r.meters}</td>
                  <td>{r.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="cmp-scroll">
            <table className="data" data-testid="plan-exclusions">
              <thead>
                <tr>
                  <th>Meter</th>
                  <th>Stage</th>
                  <th>Reasons</th>
                </tr>
              </thead>
              <tbody>
                {preview.exclusions.map((e) => (
                  <tr key={e.meterId}>
                    <td>{e.meterId}</td>
                    <td>{e.stage}</td>
                    <td>{e.reasons}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : (
        <p className="muted" data-testid="plan-no-exclusions">
          No meter excluded.
        </p>
      )}
      <h3>Waves</h3>
      {preview.waves.length ? (
        <div className="cmp-scroll">
          <table className="data" data-testid="plan-wave-table">
            <thead>
              <tr>
                <th>#</th>
                <th>Meters</th>
                <th>Gateways</th>
                <th>Zone</th>
                <th>Local start</th>
                <th>Window</th>
              </tr>
            </thead>
            <tbody>
              {preview.waves.map((w) => (
                <tr key={w.index}>
                  <td>
                    {w.index}
                    {w.isCanary ? " (canary)" : ""}
                  </td>
                  <td>{w.size}</td>
                  <td>{w.gateways}</td>
                  <td>{w.timezone}</td>
                  <td>{w.localStart}</td>
                  <td>{w.window}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="muted">No wave can be scheduled.</p>
      )}
      {preview.notes.length > 0 && (
        <ul>
          {preview.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
    </section>
  );
}
