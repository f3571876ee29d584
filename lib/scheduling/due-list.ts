// The due/overdue list over the fleet's due columns: filter, sort by due date
// (counting sort on day numbers, linear in fleet size) or by meter, one page.
import { NO_DAY, type FleetColumns, type PlanDueColumn } from "./due-columns";

export const DUE_STATUSES = ["overdue", "due", "all"] as const;
export type DueStatus = (typeof DUE_STATUSES)[number];
export const DUE_SORTS = ["due", "meter"] as const;
export type DueSort = (typeof DUE_SORTS)[number];

export interface DueListQuery {
  /** overdue: before today; due: up to today + horizonDays; all: every dated item. */
  status: DueStatus;
  horizonDays: number;
  zone?: string;
  kind?: string;
  district?: string;
  /** Only items brought forward by a trigger. */
  triggeredOnly?: boolean;
  sort: DueSort;
  desc: boolean;
  offset: number;
  limit: number;
}

export interface DueListRow {
  /** Index into the columns passed. */
  plan: number;
  /** Meter row. */
  meter: number;
  dueDay: number;
}

function codeOf(col: { values: string[] }, v: string | undefined): number | null {
  if (v === undefined) return null;
  const i = col.values.indexOf(v);
  return i < 0 ? -1 : i;
}

export function queryDueList(cols: readonly PlanDueColumn[], f: FleetColumns, q: DueListQuery, today: number): { total: number; rows: DueListRow[] } {
  const zone = codeOf(f.zone, q.zone);
  const kind = codeOf(f.kind, q.kind);
  const district = codeOf(f.district, q.district);
  if (zone === -1 || kind === -1 || district === -1) return { total: 0, rows: [] };
  const hi = q.status === "overdue" ? today - 1 : q.status === "due" ? today + q.horizonDays : Number.MAX_SAFE_INTEGER;
  const isIn = (c: PlanDueColumn, i: number) => {
    const d = c.due[i]!;
    if (d === NO_DAY || d > hi) return false;
    if (zone !== null && f.zone.codes[i] !== zone) return false;
    if (kind !== null && f.kind.codes[i] !== kind) return false;
    if (district !== null && f.district.codes[i] !== district) return false;
    if (q.triggeredOnly && !c.fired[i]) return false;
    return true;
  };
  const rows: DueListRow[] = [];
  if (q.sort === "meter") {
    let total = 0;
    for (let k = 0; k < f.n; k++) {
      const i = q.desc ? f.n - 1 - k : k;
      for (let p = 0; p < cols.length; p++) {
        if (!isIn(cols[p]!, i)) continue;
        if (total >= q.offset && rows.length < q.limit) rows.push({ plan: p, meter: i, dueDay: cols[p]!.due[i]! });
        total++;
      }
    }
    return { total, rows };
  }
  // By due date: count per day over a fixed 160-year window (one pass), then collect only the page's days.
  const lo = today - 120 * 366;
  const counts = new Int32Array(160 * 366);
  let total = 0;
  for (const c of cols) {
    const due = c.due;
    for (let i = 0; i < f.n; i++) {
      const d = due[i]!;
      if (d === NO_DAY || d > hi) continue;
      if (zone !== null && f.zone.codes[i] !== zone) continue;
      if (kind !== null && f.kind.codes[i] !== kind) continue;
      if (district !== null && f.district.codes[i] !== district) continue;
      if (q.triggeredOnly && !c.fired[i]) continue;
      counts[Math.min(counts.length - 1, Math.max(0, d - lo))]!++;
      total++;
    }
  }
  if (q.offset >= total) return { total, rows: [] };
  // Walk the days in the page's order to the first and last day it needs.
  const order = (k: number) => (q.desc ? counts.length - 1 - k : k);
  let seen = 0;
  let first = -1;
  let last = -1;
  let skipInFirst = 0;
  for (let k = 0; k < counts.length; k++) {
    const n = counts[order(k)]!;
    if (!n) continue;
    if (first < 0 && seen + n > q.offset) {
      first = k;
      skipInFirst = q.offset - seen;
    }
    seen += n;
    if (first >= 0 && seen >= q.offset + q.limit) {
      last = k;
      break;
    }
  }
  if (last < 0) last = counts.length - 1;
  // The window's end buckets hold everything beyond it: widen them to every day.
  const dayOfBucket = (b: number, isLow: boolean) => (b === 0 && isLow ? -Number.MAX_SAFE_INTEGER : b === counts.length - 1 && !isLow ? Number.MAX_SAFE_INTEGER : lo + b);
  const dayA = q.desc ? dayOfBucket(order(last), true) : dayOfBucket(first, true);
  const dayB = q.desc ? dayOfBucket(order(first), false) : dayOfBucket(last, false);
  const picked: DueListRow[] = [];
  for (let p = 0; p < cols.length; p++) {
    const c = cols[p]!;
    for (let i = 0; i < f.n; i++) {
      const d = c.due[i]!;
      if (d < dayA || d > dayB || !isIn(c, i)) continue;
      picked.push({ plan: p, meter: i, dueDay: d });
    }
  }
  // Within a day: meter id order (rows are in id order), then plan.
  picked.sort((a, b) => (a.dueDay - b.dueDay || a.meter - b.meter || a.plan - b.plan) * (q.desc ? -1 : 1));
  return { total, rows: picked.slice(skipInFirst, skipInFirst + q.limit) };
}
