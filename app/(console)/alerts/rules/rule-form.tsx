"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { DEFAULT_RULE_PARAMS, RULE_KIND_LABELS, RULE_KINDS, type RuleInput, type RuleKind } from "@/lib/alerts/rules";
import type { RulePreview } from "@/lib/alerts/service";
import { formatUtc } from "@/lib/format/time";
import { createRuleAction, deleteRuleAction, previewRuleAction, updateRuleAction } from "../actions";

export interface RuleFormValues {
  name: string;
  kind: RuleKind;
  params: Record<string, unknown>;
  severity: "info" | "warning" | "critical";
  intervalSeconds: number;
  forSeconds: number;
  recoverSeconds: number;
  runbookUrl: string;
  enabled: boolean;
  channelIds: string[];
}

type Field = { key: string; label: string; type: "text" | "number" | "select" | "optnumber" | "list"; options?: string[] };
const FIELDS: Record<RuleKind, Field[]> = {
  fault_signature: [
    { key: "signatureId", label: "Fault signature", type: "text" },
    { key: "groupBy", label: "One alert per", type: "select", options: ["gateway", "climate_zone", "meter_model", "fw_pair", "fleet"] },
    { key: "measure", label: "Count", type: "select", options: ["meters", "rate"] },
    { key: "op", label: "Is", type: "select", options: ["gt", "gte", "lt", "lte"] },
    { key: "threshold", label: "Threshold", type: "number" },
    { key: "windowMinutes", label: "Window (min)", type: "number" },
    { key: "minLift", label: "And lift at least (empty: no)", type: "optnumber" },
  ],
  log_query: [
    { key: "query", label: "Log query (explorer language)", type: "text" },
    { key: "groupBy", label: "One alert per", type: "select", options: ["gw", "meter", "code", "fleet"] },
    { key: "op", label: "Lines", type: "select", options: ["gt", "gte", "lt", "lte"] },
    { key: "threshold", label: "Threshold", type: "number" },
    { key: "windowMinutes", label: "Window (min)", type: "number" },
  ],
  anomaly: [
    { key: "dimension", label: "Cohorts", type: "select", options: ["any", "gateway", "climate_zone", "meter_model"] },
    { key: "measures", label: "Measures (comma-separated; empty: all)", type: "list" },
    { key: "minSigma", label: "At least σ", type: "number" },
    { key: "minMeters", label: "At least meters", type: "number" },
    { key: "windowMinutes", label: "Window (min)", type: "number" },
  ],
  last_gasp: [
    { key: "groupBy", label: "One alert per", type: "select", options: ["gateway", "fleet"] },
    { key: "perMinute", label: "More than per minute", type: "number" },
    { key: "windowMinutes", label: "Window (min)", type: "number" },
  ],
  cert_expiry: [
    { key: "groupBy", label: "One alert per", type: "select", options: ["gateway", "fleet"] },
    { key: "withinDays", label: "Expiring within (days)", type: "number" },
    { key: "minMeters", label: "At least meters", type: "number" },
  ],
  stale_meters: [
    { key: "groupBy", label: "One alert per", type: "select", options: ["gateway", "fleet"] },
    { key: "silentMinutes", label: "Silent longer than (min; empty: STALE_AFTER)", type: "optnumber" },
    { key: "minMeters", label: "At least meters", type: "number" },
  ],
  campaign_event: [
    { key: "events", label: "Events (paused, aborted, approval_waiting)", type: "list" },
    { key: "approvalWaitMinutes", label: "Approval waiting longer than (min)", type: "number" },
  ],
};

function toInput(v: RuleFormValues): RuleInput {
  return {
    name: v.name,
    severity: v.severity,
    intervalSeconds: v.intervalSeconds,
    forSeconds: v.forSeconds,
    recoverSeconds: v.recoverSeconds,
    runbookUrl: v.runbookUrl.trim() || null,
    enabled: v.enabled,
    channelIds: v.channelIds,
    definition: { kind: v.kind, params: v.params } as RuleInput["definition"],
  };
}

export function RuleForm({ initial, ruleId, channels }: { initial: RuleFormValues; ruleId?: string; channels: Array<{ id: string; name: string; kind: string }> }) {
  const router = useRouter();
  const [v, setV] = useState<RuleFormValues>(initial);
  const [preview, setPreview] = useState<RulePreview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [isPending, startTransition] = useTransition();
  const setParam = (key: string, value: unknown) => {
    setPreview(null);
    setV({ ...v, params: { ...v.params, [key]: value } });
  };
  const paramInput = (f: Field) => {
    const value = v.params[f.key];
    if (f.type === "select")
      return (
        <select value={String(value ?? "")} onChange={(e) => setParam(f.key, e.target.value)} data-testid={`param-${f.key}`}>
          {f.options!.map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
      );
    if (f.type === "list")
      return (
        <input
          value={Array.isArray(value) ? value.join(", ") : ""}
          onChange={(e) => setParam(f.key, e.target.value.split(/[,\s]+/).filter(Boolean))}
          data-testid={`param-${f.key}`}
        />
      );
    if (f.type === "number" || f.type === "optnumber")
      return (
        <input
          type="number"
          step="any"
          value={value === null || value === undefined ? "" : String(value)}
          onChange={(e) => setParam(f.key, e.target.value === "" ? (f.type === "optnumber" ? null : 0) : Number(e.target.value))}
          data-testid={`param-${f.key}`}
        />
      );
    return <input value={String(value ?? "")} onChange={(e) => setParam(f.key, e.target.value)} data-testid={`param-${f.key}`} />;
  };
  const onSave = () =>
    startTransition(async () => {
      const input = toInput(v);
      const r = ruleId ? await updateRuleAction({ id: ruleId, rule: input }) : await createRuleAction(input);
      if (!r.ok) return setError(r.error);
      router.push("/alerts?view=rules");
      router.refresh();
    });
  const onPreview = () =>
    startTransition(async () => {
      setError(null);
      const r = await previewRuleAction(toInput(v));
      if (r.ok) setPreview(r.data);
      else setError(r.error);
    });
  return (
    <div data-testid="rule-form">
      <section className="card">
        <h2>Rule</h2>
        <div className="al-form">
          <label className="wide">
            Name
            <input value={v.name} onChange={(e) => setV({ ...v, name: e.target.value })} data-testid="rule-name" />
          </label>
          <label>
            Watches
            <select
              value={v.kind}
              onChange={(e) => {
                const kind = e.target.value as RuleKind;
                setPreview(null);
                setV({ ...v, kind, params: DEFAULT_RULE_PARAMS[kind] });
              }}
              data-testid="rule-kind"
            >
              {RULE_KINDS.map((k) => (
                <option key={k} value={k}>
                  {RULE_KIND_LABELS[k]}
                </option>
              ))}
            </select>
          </label>
          <label>
            Severity
            <select value={v.severity} onChange={(e) => setV({ ...v, severity: e.target.value as RuleFormValues["severity"] })} data-testid="rule-severity">
              <option>critical</option>
              <option>warning</option>
              <option>info</option>
            </select>
          </label>
          {FIELDS[v.kind].map((f) => (
            <label key={f.key} className={f.key === "query" ? "wide" : undefined}>
              {f.label}
              {paramInput(f)}
            </label>
          ))}
        </div>
        <h2>Timing</h2>
        <div className="al-form">
          <label>
            Evaluate every (s)
            <input type="number" min={10} value={v.intervalSeconds} onChange={(e) => setV({ ...v, intervalSeconds: Number(e.target.value) })} data-testid="rule-interval" />
          </label>
          <label>
            Pending for (s) before firing
            <input type="number" min={0} value={v.forSeconds} onChange={(e) => setV({ ...v, forSeconds: Number(e.target.value) })} data-testid="rule-for" />
          </label>
          <label>
            Resolve after clear for (s)
            <input type="number" min={0} value={v.recoverSeconds} onChange={(e) => setV({ ...v, recoverSeconds: Number(e.target.value) })} />
          </label>
          <label>
            Runbook
            <input value={v.runbookUrl} onChange={(e) => setV({ ...v, runbookUrl: e.target.value })} placeholder="/faults/runbooks/rf-timeout" data-testid="rule-runbook" />
          </label>
        </div>
        <h2>Notify</h2>
        <div className="al-actions">
          {channels.length ? (
            channels.map((c) => (
              <label key={c.id}>
                <input
                  type="checkbox"
                  checked={v.channelIds.includes(c.id)}
                  onChange={(e) => setV({ ...v, channelIds: e.target.checked ? [...v.channelIds, c.id] : v.channelIds.filter((x) => x !== c.id) })}
                />{" "}
                {c.name} ({c.kind})
              </label>
            ))
          ) : (
            <span className="muted">No channels yet (an admin adds them under Alerts → Channels); firing alerts still show in the bell.</span>
          )}
          <label>
            <input type="checkbox" checked={v.enabled} onChange={(e) => setV({ ...v, enabled: e.target.checked })} /> Enabled
          </label>
        </div>
        <div className="al-actions">
          <button type="button" onClick={onPreview} disabled={isPending} data-testid="rule-preview">
            Preview the last 7 days
          </button>
          <button type="button" className="primary" onClick={onSave} disabled={isPending || !v.name.trim()} data-testid="rule-save">
            {ruleId ? "Save rule" : "Create rule"}
          </button>
          {ruleId && (
            <button
              type="button"
              disabled={isPending}
              onClick={() =>
                startTransition(async () => {
                  const r = await deleteRuleAction({ id: ruleId });
                  if (r.ok) router.push("/alerts?view=rules");
                  else setError(r.error);
                })
              }
            >
              Delete rule
            </button>
          )}
          <Link href="/alerts?view=rules">Cancel</Link>
          {isPending && <span className="muted">Working…</span>}
        </div>
        {error && (
          <p className="error-text" role="alert" data-testid="rule-error">
            {error}
          </p>
        )}
      </section>
      {preview && <PreviewCard preview={preview} />}
    </div>
  );
}

function PreviewCard({ preview }: { preview: RulePreview }) {
  const n = preview.firings.length;
  return (
    <section className="card al-preview" data-testid="rule-preview-result">
      <h2>Preview</h2>
      <p data-testid="rule-preview-sentence">
        {preview.isCurrentOnly
          ? n
            ? `This rule would fire now for ${n} group${n === 1 ? "" : "s"}.`
            : "This rule would not fire now."
          : `This rule would have fired ${n} time${n === 1 ? "" : "s"} in the last 7 days`}
        {!preview.isCurrentOnly && <span className="muted"> (checked every {Math.round(preview.stepMs / 60_000)} min)</span>}
      </p>
      {n > 0 && (
        <ol>
          {preview.firings.slice(0, 100).map((f, i) => (
            <li key={i}>
              {formatUtc(f.firedAt)} UTC, {f.groupKey.replace("=", " ")}: {Number.isInteger(f.value) ? f.value : f.value.toFixed(2)}
              {f.resolvedAt ? `, resolved ${formatUtc(f.resolvedAt)}` : preview.isCurrentOnly ? "" : ", still firing"}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
