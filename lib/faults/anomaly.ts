// Cohort anomalies: a gateway, climate zone or meter model whose measures in the
// current window moved away from their usual values (or from the rest of the
// fleet) by more than k standard errors. Pure maths over aggregated stats.

export const COHORT_DIMENSIONS = ["gateway", "climate_zone", "meter_model"] as const;
export type CohortDimension = (typeof COHORT_DIMENSIONS)[number];

export const ANOMALY_MEASURES = ["rssi", "snr", "temp_c", "battery_v", "accuracy_err_pct", "fault_rate"] as const;
export type AnomalyMeasure = (typeof ANOMALY_MEASURES)[number];

/**
 * stddevFloor: the smallest spread we believe (sensor resolution), so a baseline with
 * stddev 0 cannot turn any wobble into an infinite z. minShift: a change smaller than
 * this is never reported, however many meters back it (large n makes tiny shifts "significant").
 */
export const MEASURE_SETTINGS: Record<AnomalyMeasure, { label: string; unit: string; stddevFloor: number; minShift: number }> = {
  rssi: { label: "RSSI", unit: "dBm", stddevFloor: 1, minShift: 3 },
  snr: { label: "SNR", unit: "dB", stddevFloor: 0.5, minShift: 2 },
  temp_c: { label: "terminal temperature", unit: "°C", stddevFloor: 0.5, minShift: 3 },
  battery_v: { label: "battery voltage", unit: "V", stddevFloor: 0.01, minShift: 0.05 },
  accuracy_err_pct: { label: "metrology error", unit: "%", stddevFloor: 0.02, minShift: 0.1 },
  fault_rate: { label: "fault rate", unit: "%", stddevFloor: 0, minShift: 0 },
};

/** Defaults: 3 standard errors; at least 5 meters now and 10 in the comparison group. */
export const DEFAULT_K = 3;
export const DEFAULT_MIN_N = 5;
export const DEFAULT_MIN_BASELINE_N = 10;

/**
 * Stats over meters (not readings: one meter's readings are correlated, so counting
 * them would shrink the error bars). For fault_rate, mean is the proportion of meters
 * with the fault and stddev is ignored (the binomial gives it).
 */
export interface MeasureStats {
  mean: number;
  stddev: number;
  n: number;
}
export type WindowStats = Omit<MeasureStats, "stddev">;

export interface CohortId {
  dimension: CohortDimension;
  value: string;
}

export interface Anomaly extends CohortId {
  measure: AnomalyMeasure;
  z: number;
  direction: "above" | "below";
  current: number;
  expected: number;
  delta: number;
  n: number;
  against: "baseline" | "fleet";
  sentence: string;
}

export interface SkippedMeasure extends CohortId {
  measure: AnomalyMeasure;
  reason: "few_current" | "few_baseline" | "not_finite";
}

export interface AnomalyOptions {
  k?: number;
  minN?: number;
  minBaselineN?: number;
}

export interface AnomalyReport {
  anomalies: Anomaly[];
  skipped: SkippedMeasure[];
}

/**
 * z of a current mean against a reference group: the difference over the standard error
 * of two independent means, sqrt(s^2/n + s^2/nRef), with the reference spread floored.
 */
export function computeMeanZ(current: WindowStats, reference: MeasureStats, stddevFloor: number): number {
  const s = Math.max(reference.stddev, stddevFloor);
  const se = s * Math.sqrt(1 / current.n + 1 / reference.n);
  return se > 0 ? (current.mean - reference.mean) / se : 0;
}

/**
 * z of a current proportion against a reference proportion with the binomial standard
 * error sqrt(p(1-p)/n). A reference of exactly 0 or 1 is pulled in by half a meter
 * (0.5/nRef) so a first fault in a clean cohort gives a large but finite z.
 */
export function computeRateZ(current: WindowStats, reference: WindowStats, pooled = false): number {
  const half = 0.5 / reference.n;
  const base = pooled ? (current.mean * current.n + reference.mean * reference.n) / (current.n + reference.n) : reference.mean;
  const p = Math.min(Math.max(base, half), 1 - half);
  const variance = pooled ? p * (1 - p) * (1 / current.n + 1 / reference.n) : (p * (1 - p)) / current.n;
  return variance > 0 ? (current.mean - reference.mean) / Math.sqrt(variance) : 0;
}

function formatValue(measure: AnomalyMeasure, value: number): string {
  const { unit } = MEASURE_SETTINGS[measure];
  if (measure === "fault_rate") return `${Number((value * 100).toPrecision(3))} ${unit}`;
  const digits = measure === "battery_v" ? 2 : 1;
  return `${value.toFixed(digits)} ${unit}`;
}

function describeAnomaly(a: Omit<Anomaly, "sentence">): string {
  const { label } = MEASURE_SETTINGS[a.measure];
  const name = a.dimension === "gateway" ? a.value : `${a.dimension.replace("_", " ")} ${a.value}`;
  const reference = a.against === "baseline" ? `its usual ${formatValue(a.measure, a.expected)}` : `the rest of the fleet (${formatValue(a.measure, a.expected)})`;
  return `${name}: ${label} ${formatValue(a.measure, a.current)} is ${Math.abs(a.z).toFixed(1)} σ ${a.direction} ${reference}, over ${a.n} meters`;
}

interface Comparison extends CohortId {
  measure: AnomalyMeasure;
  current: WindowStats;
  reference: MeasureStats;
  against: Anomaly["against"];
}

function evaluateComparisons(comparisons: Comparison[], options: AnomalyOptions): AnomalyReport {
  const k = options.k ?? DEFAULT_K;
  const minN = options.minN ?? DEFAULT_MIN_N;
  const minBaselineN = options.minBaselineN ?? DEFAULT_MIN_BASELINE_N;
  const anomalies: Anomaly[] = [];
  const skipped: SkippedMeasure[] = [];
  for (const c of comparisons) {
    const id = { dimension: c.dimension, value: c.value, measure: c.measure };
    const numbers = [c.current.mean, c.current.n, c.reference.mean, c.reference.stddev, c.reference.n];
    if (!numbers.every(Number.isFinite)) {
      skipped.push({ ...id, reason: "not_finite" });
      continue;
    }
    if (c.current.n < minN) {
      skipped.push({ ...id, reason: "few_current" });
      continue;
    }
    if (c.reference.n < minBaselineN) {
      skipped.push({ ...id, reason: "few_baseline" });
      continue;
    }
    const settings = MEASURE_SETTINGS[c.measure];
    const z = c.measure === "fault_rate" ? computeRateZ(c.current, c.reference, c.against === "fleet") : computeMeanZ(c.current, c.reference, settings.stddevFloor);
    const delta = c.current.mean - c.reference.mean;
    if (Math.abs(z) < k || Math.abs(delta) < settings.minShift || delta === 0) continue;
    const base = { ...id, z, direction: delta > 0 ? "above" : "below", current: c.current.mean, expected: c.reference.mean, delta, n: c.current.n, against: c.against } as const;
    anomalies.push({ ...base, sentence: describeAnomaly(base) });
  }
  anomalies.sort((a, b) => Math.abs(b.z) - Math.abs(a.z) || a.value.localeCompare(b.value));
  return { anomalies, skipped };
}

export interface CohortHistory extends CohortId {
  baseline: Partial<Record<AnomalyMeasure, MeasureStats>>;
  current: Partial<Record<AnomalyMeasure, WindowStats>>;
}

/** Each cohort against its own history. Measures missing on either side are ignored. */
export function detectAnomalies(cohorts: CohortHistory[], options: AnomalyOptions = {}): AnomalyReport {
  const comparisons: Comparison[] = [];
  for (const c of cohorts) {
    for (const measure of ANOMALY_MEASURES) {
      const current = c.current[measure];
      const reference = c.baseline[measure];
      if (current && reference) comparisons.push({ dimension: c.dimension, value: c.value, measure, current, reference, against: "baseline" });
    }
  }
  return evaluateComparisons(comparisons, options);
}

/**
 * Remove a cohort from whole-fleet stats, giving the rest of the fleet. Uses sum and
 * sum of squares; the variance is clamped at 0 against rounding.
 */
export function subtractCohort(fleet: MeasureStats, cohort: MeasureStats): MeasureStats {
  const n = fleet.n - cohort.n;
  if (n <= 0) return { mean: 0, stddev: 0, n: 0 };
  const sum = fleet.mean * fleet.n - cohort.mean * cohort.n;
  const sumSq = (fleet.n - 1) * fleet.stddev ** 2 + fleet.n * fleet.mean ** 2 - ((cohort.n - 1) * cohort.stddev ** 2 + cohort.n * cohort.mean ** 2);
  const mean = sum / n;
  const variance = n > 1 ? Math.max(0, (sumSq - n * mean * mean) / (n - 1)) : 0;
  return { mean, stddev: Math.sqrt(variance), n };
}

export interface CohortSnapshot extends CohortId {
  current: Partial<Record<AnomalyMeasure, MeasureStats>>;
}

/**
 * For cohorts with no history: each cohort against the rest of the fleet in the same
 * window. `fleet` holds whole-fleet stats that include the cohort. Fault rate uses the
 * pooled two-proportion standard error.
 */
export function cohortVsFleet(cohorts: CohortSnapshot[], fleet: Partial<Record<AnomalyMeasure, MeasureStats>>, options: AnomalyOptions = {}): AnomalyReport {
  const comparisons: Comparison[] = [];
  for (const c of cohorts) {
    for (const measure of ANOMALY_MEASURES) {
      const current = c.current[measure];
      const whole = fleet[measure];
      if (!current || !whole) continue;
      comparisons.push({ dimension: c.dimension, value: c.value, measure, current, reference: subtractCohort(whole, current), against: "fleet" });
    }
  }
  return evaluateComparisons(comparisons, options);
}

/** How many cohorts the anomaly list shows; the rest are counted, not listed. */
export const ANOMALY_LIST_CAP = 10;

export interface RankedAnomaly extends Anomaly {
  /** A fault rate at least doubled and far outside its spread: an incident, listed first. */
  isIncident: boolean;
  /** The cohort's other moved measures (one list entry per cohort). */
  related: string[];
}

/** Lift of a fault rate over its reference (current / expected), with a floor of half a meter's share. */
function rateLift(a: Anomaly): number {
  const floor = 0.5 / Math.max(a.n, 1);
  return a.current / Math.max(a.expected, floor);
}

export function isIncidentAnomaly(a: Anomaly): boolean {
  return a.measure === "fault_rate" && a.direction === "above" && a.z >= 5 && rateLift(a) >= 2;
}

/**
 * The list an operator reads: one entry per cohort (its strongest measure, the others as
 * related), incidents first (a fault rate at least doubled), each group by |z| (which weighs
 * the cohort's size: a whole zone out outranks a small gateway it contains);
 * at most `cap` entries, with how many were left out.
 */
export function rankAnomalies(anomalies: readonly Anomaly[], cap = ANOMALY_LIST_CAP): { shown: RankedAnomaly[]; more: number } {
  const byCohort = new Map<string, Anomaly[]>();
  for (const a of anomalies) {
    const key = `${a.dimension}\u0000${a.value}`;
    const list = byCohort.get(key);
    if (list) list.push(a);
    else byCohort.set(key, [a]);
  }
  const entries: RankedAnomaly[] = [];
  for (const list of byCohort.values()) {
    const incident = list.filter(isIncidentAnomaly).sort((x, y) => rateLift(y) - rateLift(x))[0];
    const lead = incident ?? [...list].sort((x, y) => Math.abs(y.z) - Math.abs(x.z))[0]!;
    entries.push({ ...lead, isIncident: incident !== undefined, related: list.filter((a) => a !== lead).map((a) => a.sentence) });
  }
  entries.sort((x, y) => Number(y.isIncident) - Number(x.isIncident) || Math.abs(y.z) - Math.abs(x.z) || x.value.localeCompare(y.value));
  return { shown: entries.slice(0, cap), more: Math.max(0, entries.length - cap) };
}
