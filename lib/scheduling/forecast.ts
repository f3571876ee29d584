// Work due per week for the coming year (by job type and climate zone), the
// field hours it puts on each district's crews against their capacity, a
// levelling proposal (pull work forward into free weeks, never past its due
// date) and compliance (share of meters within their plan's interval). Pure.
import { NO_DAY, type FleetColumns, type PlanDueColumn } from "./due-columns";
import { addMonthsToDay, dayToIso, getIntervalMonths, type Plan } from "./maintenance";

export interface ForecastOptions {
  today: number;
  weeks: number;
  /** Crew minutes per meter for field job types; remote job types are absent (no crew time). */
  fieldMinutes: Record<string, number>;
  /** Hours per week per district (technicians × hours); absent: unknown capacity. */
  capacity: Record<string, number>;
}

export interface ForecastSeries {
  jobType: string;
  zone: string;
  counts: number[];
}

export interface DistrictLoad {
  district: string;
  hours: number[];
  capacity: number | null;
  /** Week indexes whose hours exceed the capacity. */
  overWeeks: number[];
}

export interface Forecast {
  weekStarts: string[];
  series: ForecastSeries[];
  districts: DistrictLoad[];
  totals: { jobs: number; overdueNow: number; fieldHours: number; weeksOver: number };
}

/**
 * Each in-scope meter's next due date and, for interval plans, its recurrences inside the
 * horizon (assuming each job is done on its due date; overdue work lands in week 0).
 */
export function forecastWork(plans: readonly Plan[], cols: readonly PlanDueColumn[], f: FleetColumns, o: ForecastOptions): Forecast {
  const W = o.weeks;
  const end = o.today + W * 7;
  const zones = f.zone.values;
  const districts = f.district.values;
  const jobTypes = [...new Set(plans.map((p) => p.jobType))];
  const counts = new Float64Array(jobTypes.length * zones.length * W);
  const hours = new Float64Array(districts.length * W);
  let jobs = 0;
  let overdueNow = 0;
  // Pass 1: meters per (zone, district, day) for each plan, overdue work on today; days past the
  // horizon dropped. Pass 2 expands each cell's recurrences once: all its meters share the dates.
  const Z = zones.length;
  const D = districts.length;
  const H = end - o.today;
  const hist = new Int32Array(Z * D * H);
  plans.forEach((plan, p) => {
    const c = cols[p]!;
    const jt = jobTypes.indexOf(plan.jobType);
    const hoursPerJob = (o.fieldMinutes[plan.jobType] ?? 0) / 60;
    const rule = plan.rule;
    const months = rule.kind === "interval" ? Int32Array.from(zones, (z) => getIntervalMonths(rule, z)) : null;
    hist.fill(0);
    const due = c.due;
    const zc = f.zone.codes;
    const dc = f.district.codes;
    for (let i = 0; i < f.n; i++) {
      const d = due[i]!;
      if (d === NO_DAY) continue;
      if (d < o.today) overdueNow++;
      const day = d < o.today ? 0 : d - o.today;
      if (day >= H) continue;
      hist[(zc[i]! * D + dc[i]!) * H + day]!++;
    }
    for (let z = 0; z < Z; z++) {
      const base = (jt * Z + z) * W;
      for (let k = 0; k < D; k++) {
        const row = (z * D + k) * H;
        for (let day = 0; day < H; day++) {
          const m = hist[row + day]!;
          if (!m) continue;
          let d = o.today + day;
          while (d < end) {
            const w = Math.floor((d - o.today) / 7);
            counts[base + w]! += m;
            if (hoursPerJob) hours[k * W + w]! += m * hoursPerJob;
            jobs += m;
            if (!months) break;
            d = addMonthsToDay(d, months[z]!);
          }
        }
      }
    }
  });
  const series: ForecastSeries[] = [];
  for (let jt = 0; jt < jobTypes.length; jt++) {
    for (let z = 0; z < zones.length; z++) {
      const base = (jt * zones.length + z) * W;
      const s = Array.from(counts.subarray(base, base + W));
      if (s.some((n) => n > 0)) series.push({ jobType: jobTypes[jt]!, zone: zones[z]!, counts: s });
    }
  }
  let fieldHours = 0;
  let weeksOver = 0;
  const loads: DistrictLoad[] = districts
    .map((district, k) => {
      const h = Array.from(hours.subarray(k * W, k * W + W), (x) => Math.round(x * 10) / 10);
      fieldHours += h.reduce((a, b) => a + b, 0);
      const capacity = o.capacity[district] ?? null;
      const overWeeks = capacity === null ? [] : h.flatMap((x, w) => (x > capacity ? [w] : []));
      weeksOver += overWeeks.length;
      return { district, hours: h, capacity, overWeeks };
    })
    .filter((l) => l.hours.some((x) => x > 0))
    .sort((a, b) => a.district.localeCompare(b.district));
  return {
    weekStarts: Array.from({ length: W }, (_, w) => dayToIso(o.today + w * 7)),
    series,
    districts: loads,
    totals: { jobs, overdueNow, fieldHours: Math.round(fieldHours), weeksOver },
  };
}

export interface LevellingMove {
  district: string;
  fromWeek: number;
  toWeek: number;
  hours: number;
}

export interface Levelling {
  moves: LevellingMove[];
  /** Hours per district and week after the moves. */
  levelled: Record<string, number[]>;
  /** Hours that fit in no earlier week (more crews or a longer interval needed). */
  unresolved: Record<string, number>;
}

/** Pull the excess of each over-capacity week into the nearest earlier weeks with room: work is only ever done earlier than due. */
export function proposeLevelling(loads: readonly DistrictLoad[]): Levelling {
  const moves: LevellingMove[] = [];
  const levelled: Record<string, number[]> = {};
  const unresolved: Record<string, number> = {};
  for (const l of loads) {
    const h = [...l.hours];
    levelled[l.district] = h;
    if (l.capacity === null) continue;
    const cap = l.capacity;
    let left = 0;
    for (let w = 0; w < h.length; w++) {
      let excess = h[w]! - cap;
      for (let t = w - 1; t >= 0 && excess > 1e-9; t--) {
        const room = cap - h[t]!;
        if (room <= 1e-9) continue;
        const moved = Math.min(room, excess);
        h[t]! += moved;
        h[w]! -= moved;
        excess -= moved;
        moves.push({ district: l.district, fromWeek: w, toWeek: t, hours: Math.round(moved * 10) / 10 });
      }
      if (excess > 1e-9) left += excess;
    }
    for (let w = 0; w < h.length; w++) h[w] = Math.round(h[w]! * 10) / 10;
    if (left > 1e-9) unresolved[l.district] = Math.round(left * 10) / 10;
  }
  return { moves, levelled, unresolved };
}

export interface ComplianceRow {
  planId: string;
  key: string;
  meters: number;
  overdue: number;
  /** Share of meters within the plan's interval, percent. */
  compliantPct: number;
}

export type ComplianceGroup = "plan" | "zone" | "model" | "age";

function ageBand(installedDay: number, today: number): string {
  const years = (today - installedDay) / 365.25;
  return years < 5 ? "0-5 years" : years < 10 ? "5-10 years" : years < 15 ? "10-15 years" : "15+ years";
}

/** Meters within each plan's interval (not overdue today), per plan and one grouping. */
export function computeCompliance(plans: readonly Plan[], cols: readonly PlanDueColumn[], f: FleetColumns, today: number, group: ComplianceGroup): ComplianceRow[] {
  const out: ComplianceRow[] = [];
  plans.forEach((plan, p) => {
    const c = cols[p]!;
    const tally = new Map<string, { meters: number; overdue: number }>();
    for (let i = 0; i < f.n; i++) {
      const d = c.due[i]!;
      if (d === NO_DAY) continue;
      const key =
        group === "plan" ? "" : group === "zone" ? f.zone.values[f.zone.codes[i]!]! : group === "model" ? f.model.values[f.model.codes[i]!]! : ageBand(f.installedDay[i]!, today);
      let t = tally.get(key);
      if (!t) tally.set(key, (t = { meters: 0, overdue: 0 }));
      t.meters++;
      if (d < today) t.overdue++;
    }
    for (const [key, t] of [...tally].sort((a, b) => a[0].localeCompare(b[0]))) {
      out.push({ planId: plan.id, key, meters: t.meters, overdue: t.overdue, compliantPct: Math.round(((t.meters - t.overdue) / t.meters) * 1000) / 10 });
    }
  });
  return out;
}
