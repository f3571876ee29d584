// The life of one alert (one rule x one group), as a pure function of its previous
// snapshot, this tick's observation and the clock:
//   (none|resolved) --true--> pending --held `for`--> firing --false `recover`--> resolved
// `for` = 0 fires on the first true tick. A pending alert whose condition goes away is
// cleared (resolved without having fired, nobody is told). An alert that enters firing
// FLAP_FIRES times within FLAP_WINDOW is flapping: it then resolves only after its
// condition has been gone FLAP_HOLD, so an on-off condition is one firing alert, not a
// page every other tick.
import type { RuleTiming } from "./rules";

export const ALERT_STATES = ["pending", "firing", "resolved"] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export const FLAP_WINDOW_MS = 60 * 60_000;
export const FLAP_FIRES = 3;
export const FLAP_HOLD_MS = 30 * 60_000;

/** What a rule saw for one group this tick (only groups whose condition holds are observed). */
export interface Observation {
  groupKey: string;
  labels: Record<string, string>;
  value: number;
  summary: string;
  /** Meters behind the observation (a sample), for campaign-aware suppression. */
  meters?: string[];
}

export interface AlertSnapshot {
  fingerprint: string;
  groupKey: string;
  labels: Record<string, string>;
  state: AlertState;
  value: number;
  summary: string;
  pendingSince: number | null;
  firedAt: number | null;
  resolvedAt: number | null;
  /** Last tick the condition held. */
  lastTrueAt: number | null;
  /** Times the alert entered firing within the flap window. */
  fireTimes: number[];
  isFlapping: boolean;
}

export type AlertEventType = "pending" | "firing" | "resolved" | "cleared" | "flapping" | "suppressed" | "released";

export interface AlertEventOut {
  type: AlertEventType;
  at: number;
  value: number;
}

export interface AlertStep {
  next: AlertSnapshot | null;
  events: AlertEventOut[];
  /** A message to send: the alert started firing, or resolved after firing. */
  notify: "firing" | "resolved" | null;
}

export function alertFingerprint(ruleId: string, groupKey: string): string {
  return `${ruleId}|${groupKey}`;
}

export function advanceAlert(
  prev: AlertSnapshot | null,
  fingerprint: string,
  obs: Observation | null,
  timing: Pick<RuleTiming, "forSeconds" | "recoverSeconds">,
  now: number,
): AlertStep {
  const forMs = timing.forSeconds * 1000;
  const recoverMs = timing.recoverSeconds * 1000;
  const isActive = obs !== null;
  const fire = (base: AlertSnapshot, events: AlertEventOut[]): AlertStep => {
    const fireTimes = [...base.fireTimes.filter((t) => now - t < FLAP_WINDOW_MS), now];
    const isFlapping = base.isFlapping || fireTimes.length >= FLAP_FIRES;
    const out = [...events, { type: "firing" as const, at: now, value: base.value }];
    if (isFlapping && !base.isFlapping) out.push({ type: "flapping", at: now, value: base.value });
    return { next: { ...base, state: "firing", firedAt: now, resolvedAt: null, pendingSince: base.pendingSince ?? now, fireTimes, isFlapping }, events: out, notify: "firing" };
  };

  if (!prev || prev.state === "resolved") {
    if (!obs) return { next: prev, events: [], notify: null };
    const base: AlertSnapshot = {
      fingerprint,
      groupKey: obs.groupKey,
      labels: obs.labels,
      state: "pending",
      value: obs.value,
      summary: obs.summary,
      pendingSince: now,
      firedAt: null,
      resolvedAt: null,
      lastTrueAt: now,
      fireTimes: prev?.fireTimes ?? [],
      isFlapping: prev?.isFlapping ?? false,
    };
    if (forMs === 0) return fire(base, []);
    return { next: base, events: [{ type: "pending", at: now, value: obs.value }], notify: null };
  }

  if (prev.state === "pending") {
    if (!isActive) return { next: { ...prev, state: "resolved", resolvedAt: now, pendingSince: null }, events: [{ type: "cleared", at: now, value: prev.value }], notify: null };
    const updated = { ...prev, value: obs.value, summary: obs.summary, labels: obs.labels, lastTrueAt: now };
    if (now - (prev.pendingSince ?? now) >= forMs) return fire(updated, []);
    return { next: updated, events: [], notify: null };
  }

  // firing
  if (isActive) return { next: { ...prev, value: obs.value, summary: obs.summary, labels: obs.labels, lastTrueAt: now }, events: [], notify: null };
  const holdMs = prev.isFlapping ? Math.max(recoverMs, FLAP_HOLD_MS) : recoverMs;
  if (now - (prev.lastTrueAt ?? now) >= holdMs) {
    return {
      next: { ...prev, state: "resolved", resolvedAt: now, pendingSince: null, isFlapping: false },
      events: [{ type: "resolved", at: now, value: prev.value }],
      notify: "resolved",
    };
  }
  return { next: prev, events: [], notify: null };
}

export interface RuleTickResult {
  /** Alerts whose snapshot changed or was observed (to store). */
  updates: AlertSnapshot[];
  events: Array<AlertEventOut & { fingerprint: string }>;
  notify: Array<{ fingerprint: string; kind: "firing" | "resolved" }>;
}

/**
 * One evaluation of a rule: every observed group and every open (pending or firing) alert of
 * the rule advances once. Groups observed twice keep the larger value.
 */
export function evaluateRuleTick(
  ruleId: string,
  timing: Pick<RuleTiming, "forSeconds" | "recoverSeconds">,
  observations: Observation[],
  previous: AlertSnapshot[],
  now: number,
): RuleTickResult {
  const byKey = new Map<string, Observation>();
  for (const o of observations) {
    const seen = byKey.get(o.groupKey);
    if (!seen || o.value > seen.value) byKey.set(o.groupKey, o);
  }
  const prevByFp = new Map(previous.map((p) => [p.fingerprint, p]));
  const fingerprints = new Set<string>([...[...byKey.keys()].map((k) => alertFingerprint(ruleId, k)), ...previous.filter((p) => p.state !== "resolved").map((p) => p.fingerprint)]);
  const result: RuleTickResult = { updates: [], events: [], notify: [] };
  for (const fp of [...fingerprints].sort()) {
    const prev = prevByFp.get(fp) ?? null;
    const groupKey = prev?.groupKey ?? fp.slice(ruleId.length + 1);
    const step = advanceAlert(prev, fp, byKey.get(groupKey) ?? null, timing, now);
    if (step.next && step.next !== prev) result.updates.push(step.next);
    for (const e of step.events) result.events.push({ ...e, fingerprint: fp });
    if (step.notify) result.notify.push({ fingerprint: fp, kind: step.notify });
  }
  return result;
}

/**
 * Replays a rule over past ticks (the rule editor's preview): when it would have fired,
 * and for how long. `ticks` are in time order, each with the groups whose condition held.
 */
export function replayRule(
  timing: Pick<RuleTiming, "forSeconds" | "recoverSeconds">,
  ticks: Array<{ at: number; observations: Observation[] }>,
): Array<{ groupKey: string; firedAt: number; resolvedAt: number | null; value: number }> {
  let alerts: AlertSnapshot[] = [];
  const fired: Array<{ groupKey: string; firedAt: number; resolvedAt: number | null; value: number }> = [];
  const open = new Map<string, number>();
  for (const tick of ticks) {
    const r = evaluateRuleTick("preview", timing, tick.observations, alerts, tick.at);
    const byFp = new Map(alerts.map((a) => [a.fingerprint, a]));
    for (const u of r.updates) byFp.set(u.fingerprint, u);
    alerts = [...byFp.values()];
    for (const n of r.notify) {
      const a = byFp.get(n.fingerprint)!;
      if (n.kind === "firing") {
        open.set(n.fingerprint, fired.length);
        fired.push({ groupKey: a.groupKey, firedAt: tick.at, resolvedAt: null, value: a.value });
      } else {
        const i = open.get(n.fingerprint);
        if (i !== undefined) fired[i]!.resolvedAt = tick.at;
        open.delete(n.fingerprint);
      }
    }
  }
  return fired;
}
