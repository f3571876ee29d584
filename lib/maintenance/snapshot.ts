// The schedule's view of the fleet: meters as columns, the last completion of
// each job type, trigger conditions. Loaded once and kept for a short while (a
// million meters take seconds to read); runs and edits drop it.
import { findMeterConditions } from "@/lib/clickhouse/queries/maintenance";
import type { ClickHouse } from "@/lib/clickhouse/client";
import { getDb } from "@/lib/db";
import { loadFleetColumns, loadLastDone } from "@/lib/db/maintenance";
import { emptyConditions, type ConditionColumns, type FleetColumns, type LastDoneColumn } from "@/lib/scheduling/due-columns";
import { STEPS } from "@/lib/audit/codes";

export interface ScheduleSnapshot {
  at: number;
  fleet: FleetColumns;
  lastByJobType: Map<string, LastDoneColumn>;
  conditions: ConditionColumns;
  /** Row of a meter id. */
  indexOf: Map<string, number>;
}

/** Conditions are measured over this window; fault rates are per 30 days of it. */
export const CONDITION_WINDOW_DAYS = 90;
const TTL_MS = 60_000;

const g = globalThis as unknown as { __amiScheduleSnapshot?: { promise: Promise<ScheduleSnapshot>; at: number } };

export async function loadScheduleSnapshot(input: { now: number; faultCodes: string[]; ch?: ClickHouse }): Promise<ScheduleSnapshot> {
  const db = getDb();
  const { fleet, verifiedDay } = await loadFleetColumns(db);
  const indexOf = new Map<string, number>();
  fleet.ids.forEach((id, i) => indexOf.set(id, i));
  const lastByJobType = await loadLastDone(db, fleet.ids, STEPS, verifiedDay);
  const conditions = emptyConditions(fleet.n);
  const measured = await findMeterConditions({ now: input.now, days: CONDITION_WINDOW_DAYS, codes: input.faultCodes }, input.ch);
  for (const m of measured.measures) {
    const i = indexOf.get(m.meter);
    if (i === undefined) continue;
    if (m.drift !== null) conditions.driftPct[i] = m.drift;
    if (m.battery !== null) conditions.batteryV[i] = m.battery;
  }
  for (const f of measured.faults) {
    const i = indexOf.get(f.meter);
    if (i === undefined) continue;
    let col = conditions.faultsPerMonth.get(f.code);
    if (!col) conditions.faultsPerMonth.set(f.code, (col = new Float64Array(fleet.n)));
    col[i] = f.perMonth;
  }
  return { at: input.now, fleet, lastByJobType, conditions, indexOf };
}

/** The fault codes any plan's triggers watch, plus the default re-verification's (the what-if may add it). */
export function watchedFaultCodes(plans: readonly { triggers: { faultRate?: { code: string } } }[]): string[] {
  return [...new Set(["E001", ...plans.flatMap((p) => (p.triggers.faultRate ? [p.triggers.faultRate.code] : []))])].sort();
}

/** The cached snapshot (pages); `fresh` forces a reload. */
export function getScheduleSnapshot(input: { now: number; faultCodes: string[]; fresh?: boolean }): Promise<ScheduleSnapshot> {
  const cached = g.__amiScheduleSnapshot;
  if (!input.fresh && cached && Date.now() - cached.at < TTL_MS) return cached.promise;
  const promise = loadScheduleSnapshot(input);
  g.__amiScheduleSnapshot = { promise, at: Date.now() };
  promise.catch(() => {
    if (g.__amiScheduleSnapshot?.promise === promise) g.__amiScheduleSnapshot = undefined;
  });
  return promise;
}

export function dropScheduleSnapshot(): void {
  g.__amiScheduleSnapshot = undefined;
}
