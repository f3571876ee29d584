"use client";
// The plan editor: scope, interval rule (with climate-zone stress), triggers, lookahead. "Preview"
// runs the what-if (forecast, crew load, compliance before and after) without saving; "Level"
// issues work early enough for crews to do it in the free weeks; "Save" stores the plan.
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { STEPS } from "@/lib/audit/codes";
import type { PlanSpec, PlanTriggers } from "@/lib/scheduling/maintenance";
import { previewWhatIfAction, savePlanAction } from "../../actions";
import { LoadChart } from "../../load-chart";
import { jobTypeTitle } from "@/lib/scheduling/job-types";

type WhatIf = Extract<Awaited<ReturnType<typeof previewWhatIfAction>>, { ok: true }>["data"];
const KINDS = ["electric", "gas", "water"] as const;

const num = (v: string): number | undefined => (v.trim() === "" ? undefined : Number(v));

export function PlanForm({ planId, updatedAt, spec, zones, canManage }: { planId: string | null; updatedAt: string | null; spec: PlanSpec; zones: string[]; canManage: boolean }) {
  const router = useRouter();
  const [s, setS] = useState<PlanSpec>(spec);
  const [version, setVersion] = useState(updatedAt);
  const [whatIf, setWhatIf] = useState<WhatIf | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [isLevelled, setIsLevelled] = useState(false);
  const [pending, start] = useTransition();
  const ro = !canManage;
  const rule = s.rule;
  const set = (patch: Partial<PlanSpec>) => {
    setS((prev) => ({ ...prev, ...patch }));
    setWhatIf(null);
    setIsLevelled(false);
  };
  const setTriggers = (patch: Partial<PlanTriggers>) =>
    set({ triggers: Object.fromEntries(Object.entries({ ...s.triggers, ...patch }).filter(([, v]) => v !== undefined)) as PlanTriggers });

  const preview = () =>
    start(async () => {
      const r = await previewWhatIfAction({ planId: planId ?? undefined, spec: s });
      if (r.ok) {
        setWhatIf(r.data);
        setMessage(null);
      } else setMessage({ ok: false, text: r.error });
    });
  const save = () =>
    start(async () => {
      const r = await savePlanAction({ planId: planId ?? undefined, updatedAt: version ?? undefined, spec: s });
      if (!r.ok) return setMessage({ ok: false, text: r.error });
      setVersion(r.data.updatedAt);
      setMessage({ ok: true, text: "Saved. The next run uses this plan." });
      if (!planId) router.push(`/schedule/plans/${r.data.planId}`);
      else router.refresh();
    });
  // Levelling pulls work into earlier weeks: the run must issue it that far ahead.
  const levelWeeks = whatIf?.moves.length ? Math.max(...whatIf.moves.map((m) => m.fromWeek)) + 1 : 0;
  const level = () => {
    setS((prev) => ({ ...prev, lookaheadDays: Math.min(365, Math.max(prev.lookaheadDays, levelWeeks * 7)) }));
    setIsLevelled(true);
  };
  const overAfterLevelling = whatIf
    ? whatIf.districts.reduce((n, d) => n + (whatIf.levelled[d.district] ?? d.hours).filter((h) => d.capacity !== null && h > d.capacity + 0.05).length, 0)
    : 0;

  return (
    <form
      className="card"
      data-testid="plan-form"
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      <fieldset disabled={ro} style={{ border: 0, padding: 0, margin: 0, display: "grid", gap: 10 }}>
        <div className="row" style={{ gap: 16, flexWrap: "wrap" }}>
          <label>
            Name <input value={s.name} onChange={(e) => set({ name: e.target.value })} required maxLength={80} data-testid="plan-name" />
          </label>
          <label>
            Job{" "}
            <select value={s.jobType} onChange={(e) => set({ jobType: e.target.value as PlanSpec["jobType"] })} data-testid="plan-job">
              {STEPS.map((j) => (
                <option key={j} value={j}>
                  {jobTypeTitle(j)}
                </option>
              ))}
            </select>
          </label>
          <label>
            <input type="checkbox" checked={s.enabled} onChange={(e) => set({ enabled: e.target.checked })} data-testid="plan-enabled" /> Switched on
          </label>
        </div>
        <div className="row" style={{ gap: 16, flexWrap: "wrap" }}>
          <span>Meters:</span>
          {KINDS.map((k) => (
            <label key={k}>
              <input
                type="checkbox"
                checked={s.scope.kinds?.includes(k) ?? false}
                onChange={(e) => {
                  const kinds = new Set(s.scope.kinds ?? []);
                  if (e.target.checked) kinds.add(k);
                  else kinds.delete(k);
                  set({ scope: { ...s.scope, kinds: kinds.size ? [...kinds] : undefined } });
                }}
              />{" "}
              {k}
            </label>
          ))}
          <span className="muted">(none ticked: every kind)</span>
        </div>
        <div className="row" style={{ gap: 16, flexWrap: "wrap", alignItems: "end" }}>
          <label>
            Due{" "}
            <select
              value={rule.kind}
              data-testid="plan-rule-kind"
              onChange={(e) =>
                set({ rule: e.target.value === "interval" ? { kind: "interval", baseMonths: 24, zoneFactors: {}, floorMonths: 6 } : { kind: "before_cert_expiry", leadDays: 60 } })
              }
            >
              <option value="interval">at an interval</option>
              <option value="before_cert_expiry">before the certificate expires</option>
            </select>
          </label>
          {rule.kind === "interval" ? (
            <>
              <label>
                every{" "}
                <input
                  type="number"
                  min={1}
                  max={240}
                  value={rule.baseMonths}
                  onChange={(e) => set({ rule: { ...rule, baseMonths: Number(e.target.value) } })}
                  style={{ width: 70 }}
                  data-testid="plan-base"
                />{" "}
                months
              </label>
              <label>
                never more often than every{" "}
                <input
                  type="number"
                  min={1}
                  max={240}
                  value={rule.floorMonths}
                  onChange={(e) => set({ rule: { ...rule, floorMonths: Number(e.target.value) } })}
                  style={{ width: 60 }}
                  data-testid="plan-floor"
                />{" "}
                months
              </label>
            </>
          ) : (
            <label>
              <input
                type="number"
                min={1}
                max={365}
                value={rule.leadDays}
                onChange={(e) => set({ rule: { ...rule, leadDays: Number(e.target.value) } })}
                style={{ width: 70 }}
                data-testid="plan-lead"
              />{" "}
              days ahead
            </label>
          )}
        </div>
        {rule.kind === "interval" && (
          <div className="row" style={{ gap: 16, flexWrap: "wrap" }} data-testid="plan-zone-factors">
            <span>Climate-zone stress (interval divided by):</span>
            {zones.map((z) => {
              const f = rule.zoneFactors[z] ?? 1;
              return (
                <label key={z}>
                  {z} ×
                  <input
                    type="number"
                    min={1}
                    max={10}
                    step={0.1}
                    value={f}
                    data-testid={`plan-zone-${z}`}
                    onChange={(e) => set({ rule: { ...rule, zoneFactors: { ...rule.zoneFactors, [z]: Number(e.target.value) || 1 } } })}
                    style={{ width: 60 }}
                  />{" "}
                  <span className="muted">= every {Math.max(rule.floorMonths, Math.floor(rule.baseMonths / f))} months</span>
                </label>
              );
            })}
          </div>
        )}
        <div className="row" style={{ gap: 16, flexWrap: "wrap" }}>
          <span>Due now when:</span>
          <label>
            drift &gt; <input type="number" step={0.01} value={s.triggers.driftPct ?? ""} onChange={(e) => setTriggers({ driftPct: num(e.target.value) })} style={{ width: 60 }} />{" "}
            %
          </label>
          <label>
            fault{" "}
            <input
              value={s.triggers.faultRate?.code ?? ""}
              placeholder="code, e.g. E001"
              onChange={(e) => setTriggers({ faultRate: e.target.value ? { code: e.target.value, perMonth: s.triggers.faultRate?.perMonth ?? 1 } : undefined })}
              style={{ width: 70 }}
            />{" "}
            &gt;{" "}
            <input
              type="number"
              step={0.1}
              value={s.triggers.faultRate?.perMonth ?? ""}
              onChange={(e) => s.triggers.faultRate && setTriggers({ faultRate: { ...s.triggers.faultRate, perMonth: Number(e.target.value) } })}
              style={{ width: 60 }}
            />{" "}
            per month
          </label>
          <label>
            certificate within <input type="number" value={s.triggers.certDays ?? ""} onChange={(e) => setTriggers({ certDays: num(e.target.value) })} style={{ width: 60 }} /> days
          </label>
          <label>
            battery &lt;{" "}
            <input type="number" step={0.01} value={s.triggers.batteryV ?? ""} onChange={(e) => setTriggers({ batteryV: num(e.target.value) })} style={{ width: 60 }} /> V
          </label>
          <label>
            firmware ≠{" "}
            <input
              value={s.triggers.firmwareTarget ? `${s.triggers.firmwareTarget.metrology}/${s.triggers.firmwareTarget.comms}` : ""}
              placeholder="pair, e.g. 3.4.1/6.1.0"
              onChange={(e) => {
                const [metrology, comms] = e.target.value.split("/");
                setTriggers({ firmwareTarget: metrology && comms ? { metrology, comms } : undefined });
              }}
              style={{ width: 110 }}
            />
          </label>
        </div>
        <label>
          Create the work{" "}
          <input
            type="number"
            min={0}
            max={365}
            value={s.lookaheadDays}
            onChange={(e) => set({ lookaheadDays: Number(e.target.value) })}
            style={{ width: 70 }}
            data-testid="plan-lookahead"
          />{" "}
          days before it is due
        </label>
      </fieldset>
      <div className="row" style={{ gap: 8, marginTop: 12 }}>
        <button type="button" onClick={preview} disabled={pending} data-testid="plan-preview">
          Preview what-if
        </button>
        {canManage && (
          <button type="submit" className="primary" disabled={pending} data-testid="plan-save">
            Save
          </button>
        )}
        {message && (
          <span className={message.ok ? "ok-text" : "error-text"} data-testid="plan-message">
            {message.text}
          </span>
        )}
      </div>
      {whatIf && (
        <section data-testid="whatif" style={{ marginTop: 12 }}>
          <h2>What-if (not saved)</h2>
          <table className="data" data-testid="whatif-table">
            <thead>
              <tr>
                <th></th>
                <th>Now</th>
                <th>With this plan</th>
              </tr>
            </thead>
            <tbody>
              {(
                [
                  ["Jobs in the next 12 months", "jobs"],
                  ["Field hours", "fieldHours"],
                  ["District-weeks over capacity", "weeksOver"],
                  ["Overdue today", "overdueNow"],
                  ["Hours no earlier week can take", "unresolvedHours"],
                ] as const
              ).map(([label, k]) => (
                <tr key={k} data-testid={`whatif-${k}`}>
                  <td>{label}</td>
                  <td>{whatIf.before[k]}</td>
                  <td>{whatIf.after[k]}</td>
                </tr>
              ))}
              <tr data-testid="whatif-compliance">
                <td>Meters within this plan&apos;s interval</td>
                <td>{whatIf.before.compliancePct === null ? "—" : `${whatIf.before.compliancePct} %`}</td>
                <td>{whatIf.after.compliancePct === null ? "—" : `${whatIf.after.compliancePct} %`}</td>
              </tr>
            </tbody>
          </table>
          {whatIf.districts
            .filter((d) => d.overWeeks.length)
            .slice(0, 6)
            .map((d) => (
              <LoadChart
                key={d.district}
                district={d.district}
                hours={d.hours}
                capacity={d.capacity}
                weekStarts={whatIf.weekStarts}
                levelled={isLevelled ? whatIf.levelled[d.district] : undefined}
              />
            ))}
          {whatIf.moves.length > 0 ? (
            <div data-testid="whatif-levelling">
              <p>
                Levelling: {whatIf.moves.length} moves pull {Math.round(whatIf.moves.reduce((a, m) => a + m.hours, 0))} field hours into earlier weeks with free crew time (never
                later than due). It needs the work issued {levelWeeks} weeks ahead.
              </p>
              {isLevelled ? (
                <p className="ok-text" data-testid="plan-levelled">
                  Levelled: the work is created {s.lookaheadDays} days before it is due; {overAfterLevelling} district-weeks stay over capacity. Save to keep it.
                </p>
              ) : (
                canManage && (
                  <button type="button" onClick={level} data-testid="plan-level">
                    Level: create the work {Math.min(365, levelWeeks * 7)} days ahead
                  </button>
                )
              )}
            </div>
          ) : (
            <p className="muted">No levelling needed: every over-capacity week has no earlier free week, or none is over.</p>
          )}
          <p className="muted">
            See the whole programme on <Link href="/schedule/forecast">Forecast and capacity</Link>.
          </p>
        </section>
      )}
    </form>
  );
}
