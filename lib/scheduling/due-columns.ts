// The same due-date rules as computeDue, over the whole fleet at once: meters
// as columns (typed arrays, dictionary-coded strings) so a million meters ×
// every plan is a few tight loops. Reasons are worded per row, only for the
// rows shown (computeDue on the row's facts), so both paths must agree.
import { addMonthsToDay, computeDue, dayOf, getIntervalMonths, type DueItem, type LastDone, type MeterConditions, type MeterFacts, type Plan } from "./maintenance";

export const NO_DAY = -2_147_483_648;

/** A dictionary-coded string column: codes[i] indexes values. */
export interface CodedColumn {
  values: string[];
  codes: Uint32Array;
}

export interface FleetColumns {
  n: number;
  ids: string[];
  kind: CodedColumn;
  zone: CodedColumn;
  model: CodedColumn;
  gateway: CodedColumn;
  /** Field crew area: the gateway's service area (its name without the number). */
  district: CodedColumn;
  /** "metrology/comms". */
  fw: CodedColumn;
  installedDay: Int32Array;
  /** NO_DAY: no certificate. */
  certDay: Int32Array;
}

/** Latest completion per meter of one job type: day (NO_DAY: never) and, for the reason, where it came from. */
export interface LastDoneColumn {
  day: Int32Array;
  detail: Map<number, LastDone>;
}

export interface ConditionColumns {
  /** NaN: not measured. */
  driftPct: Float64Array;
  batteryV: Float64Array;
  /** Faults per month by code; absent code: none. */
  faultsPerMonth: Map<string, Float64Array>;
}

export interface PlanDueColumn {
  planId: string;
  /** NO_DAY: out of scope or undatable. */
  due: Int32Array;
  /** Bit per fired trigger (TRIGGER_BITS). */
  fired: Uint8Array;
}

export const TRIGGER_BITS = { drift: 1, fault_rate: 2, cert: 4, battery: 8, firmware: 16 } as const;

export function codeColumn(values: readonly string[]): CodedColumn {
  const dict = new Map<string, number>();
  const codes = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    let c = dict.get(v);
    if (c === undefined) {
      c = dict.size;
      dict.set(v, c);
    }
    codes[i] = c;
  }
  return { values: [...dict.keys()], codes };
}

export function emptyConditions(n: number): ConditionColumns {
  return { driftPct: new Float64Array(n).fill(NaN), batteryV: new Float64Array(n).fill(NaN), faultsPerMonth: new Map() };
}

/** A boolean per dictionary value: does it pass the plan's scope? */
function allowed(col: CodedColumn, list: readonly string[] | undefined): Uint8Array | null {
  if (!list?.length) return null;
  return Uint8Array.from(col.values, (v) => (list.includes(v) ? 1 : 0));
}

export function computeDueColumn(plan: Plan, f: FleetColumns, last: LastDoneColumn | undefined, c: ConditionColumns, now: number): PlanDueColumn {
  const today = dayOf(now);
  const due = new Int32Array(f.n).fill(NO_DAY);
  const fired = new Uint8Array(f.n);
  const kindOk = allowed(f.kind, plan.scope.kinds);
  const zoneOk = allowed(f.zone, plan.scope.zones);
  const modelOk = allowed(f.model, plan.scope.model ? [plan.scope.model] : undefined);
  const gwOk = allowed(f.gateway, plan.scope.gw ? [plan.scope.gw] : undefined);
  const rule = plan.rule;
  const monthsByZone = rule.kind === "interval" ? Int32Array.from(f.zone.values, (z) => getIntervalMonths(rule, z)) : null;
  const t = plan.triggers;
  const fwOk = t.firmwareTarget ? Uint8Array.from(f.fw.values, (v) => (v === `${t.firmwareTarget!.metrology}/${t.firmwareTarget!.comms}` ? 1 : 0)) : null;
  const faults = t.faultRate ? c.faultsPerMonth.get(t.faultRate.code) : undefined;
  const faultMax = t.faultRate?.perMonth ?? 0;
  const lastDay = last?.day;
  for (let i = 0; i < f.n; i++) {
    if (kindOk && !kindOk[f.kind.codes[i]!]) continue;
    if (zoneOk && !zoneOk[f.zone.codes[i]!]) continue;
    if (modelOk && !modelOk[f.model.codes[i]!]) continue;
    if (gwOk && !gwOk[f.gateway.codes[i]!]) continue;
    let d: number;
    if (monthsByZone) {
      const l = lastDay ? lastDay[i]! : NO_DAY;
      d = addMonthsToDay(l === NO_DAY ? f.installedDay[i]! : l, monthsByZone[f.zone.codes[i]!]!);
    } else {
      const cert = f.certDay[i]!;
      if (cert === NO_DAY) continue;
      d = cert - (rule as { leadDays: number }).leadDays;
    }
    let bits = 0;
    if (t.driftPct !== undefined && Math.abs(c.driftPct[i]!) > t.driftPct) bits |= TRIGGER_BITS.drift;
    if (faults && faults[i]! > faultMax) bits |= TRIGGER_BITS.fault_rate;
    if (t.certDays !== undefined && f.certDay[i] !== NO_DAY && f.certDay[i]! - today <= t.certDays) bits |= TRIGGER_BITS.cert;
    if (t.batteryV !== undefined && c.batteryV[i]! < t.batteryV) bits |= TRIGGER_BITS.battery;
    if (fwOk && !fwOk[f.fw.codes[i]!]) bits |= TRIGGER_BITS.firmware;
    if (bits && d > today) d = today;
    due[i] = d;
    fired[i] = bits;
  }
  return { planId: plan.id, due, fired };
}

export function computeDueColumns(plans: readonly Plan[], f: FleetColumns, lastByJobType: Map<string, LastDoneColumn>, c: ConditionColumns, now: number): PlanDueColumn[] {
  return plans.filter((p) => p.enabled).map((p) => computeDueColumn(p, f, lastByJobType.get(p.jobType), c, now));
}

export function meterFactsAt(f: FleetColumns, i: number): MeterFacts {
  const [fwMetrology = "", fwComms = ""] = f.fw.values[f.fw.codes[i]!]!.split("/");
  return {
    id: f.ids[i]!,
    kind: f.kind.values[f.kind.codes[i]!]!,
    zone: f.zone.values[f.zone.codes[i]!]!,
    model: f.model.values[f.model.codes[i]!]!,
    gatewayId: f.gateway.values[f.gateway.codes[i]!]!,
    installedAt: f.installedDay[i]! * 86_400_000,
    certNotAfter: f.certDay[i] === NO_DAY ? null : f.certDay[i]! * 86_400_000,
    fwMetrology,
    fwComms,
  };
}

export function conditionsAt(c: ConditionColumns, i: number): MeterConditions {
  const faultsPerMonth: Record<string, number> = {};
  for (const [code, col] of c.faultsPerMonth) if (col[i]! > 0) faultsPerMonth[code] = col[i]!;
  return {
    accuracyDriftPct: Number.isNaN(c.driftPct[i]!) ? null : c.driftPct[i]!,
    batteryV: Number.isNaN(c.batteryV[i]!) ? null : c.batteryV[i]!,
    faultsPerMonth,
  };
}

/** The full item (with its reason) for row i: the scalar rules on the row's facts. */
export function dueItemAt(plan: Plan, f: FleetColumns, last: LastDoneColumn | undefined, c: ConditionColumns, i: number, now: number): DueItem | null {
  const l = last && last.day[i] !== NO_DAY ? (last.detail.get(i) ?? { at: last.day[i]! * 86_400_000, source: "work order" as const, ref: "" }) : undefined;
  return computeDue(plan, meterFactsAt(f, i), l, conditionsAt(c, i), now);
}
