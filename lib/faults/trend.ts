// Trend of a fault count against the previous window of the same length, and the
// zero-filled buckets behind each matrix row's sparkline.

export type TrendDirection = "up" | "down" | "flat" | "new" | "gone";

export interface Trend {
  current: number;
  previous: number;
  delta: number;
  /** current / previous; null when previous is 0 (no finite ratio). */
  ratio: number | null;
  direction: TrendDirection;
}

/** Changes within ±5 % read as flat, so 100 -> 103 does not get an arrow. */
export const DEFAULT_FLAT_TOLERANCE = 0.05;
/** A previous window with fewer events than this is too small for a ratio: 2 -> 1 400 reads "new", not "+69 900 %". */
export const TINY_BASELINE = 5;

function assertCount(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a finite count >= 0, got ${value}`);
}

/**
 * Compare two non-negative counts. Zero baselines get their own words: 0 -> 0 is flat,
 * 0 -> n is new, n -> 0 is gone; a tiny baseline (under TINY_BASELINE) that the current
 * window dwarfs (at least twice TINY_BASELINE) is new too; otherwise the ratio decides up, down or flat.
 */
export function computeTrend(current: number, previous: number, flatTolerance = DEFAULT_FLAT_TOLERANCE): Trend {
  assertCount("current", current);
  assertCount("previous", previous);
  const delta = current - previous;
  if (previous === 0) return { current, previous, delta, ratio: null, direction: current === 0 ? "flat" : "new" };
  const ratio = current / previous;
  if (previous < TINY_BASELINE && current >= 2 * TINY_BASELINE) return { current, previous, delta, ratio, direction: "new" };
  let direction: TrendDirection;
  if (current === 0) direction = "gone";
  // Compare on the delta with a hair of slack: 105/100 - 1 is 0.05000000000000004 in floats.
  else if (Math.abs(delta) <= flatTolerance * previous * (1 + 1e-12)) direction = "flat";
  else direction = ratio > 1 ? "up" : "down";
  return { current, previous, delta, ratio, direction };
}

/**
 * The trend in a few characters: "new", "gone", "±0 %" when flat, "+45 %" / "−30 %", and
 * "×12" once the count has at least tripled (a percentage of 1 100 reads worse than it informs).
 */
export function formatTrend(trend: Pick<Trend, "direction" | "ratio">): string {
  if (trend.direction === "new") return "new";
  if (trend.direction === "gone") return "gone";
  if (trend.ratio === null) return "";
  if (trend.ratio >= 3) return `×${trend.ratio >= 10 ? Math.round(trend.ratio).toLocaleString("en") : trend.ratio.toFixed(1)}`;
  const percent = Math.round((trend.ratio - 1) * 100);
  return `${percent > 0 ? "+" : percent < 0 ? "−" : "±"}${Math.abs(percent)} %`;
}

/** Refuse sparklines larger than any screen could show, rather than allocate millions of buckets. */
export const MAX_BUCKETS = 10_000;

export interface SparklineInput {
  /** Points keyed by time (epoch ms); any time inside a bucket counts for that bucket. */
  points: ReadonlyArray<{ ts: number; value: number }>;
  /** Start of the first bucket, inclusive (epoch ms). */
  from: number;
  /** End of the range, exclusive (epoch ms). */
  to: number;
  stepMs: number;
}

/**
 * One value per bucket from `from` to `to`: missing buckets are 0, points in the same
 * bucket add up, points outside the range are ignored. A partial last bucket is kept.
 */
export function fillSparkline({ points, from, to, stepMs }: SparklineInput): Array<{ bucket: number; value: number }> {
  if (!Number.isFinite(stepMs) || stepMs <= 0) throw new RangeError(`stepMs must be > 0, got ${stepMs}`);
  if (!Number.isFinite(from) || !Number.isFinite(to) || to < from) throw new RangeError(`need from <= to, got ${from}..${to}`);
  const count = Math.ceil((to - from) / stepMs);
  if (count > MAX_BUCKETS) throw new RangeError(`${count} buckets is more than ${MAX_BUCKETS}; use a larger step`);
  const buckets = Array.from({ length: count }, (_, i) => ({ bucket: from + i * stepMs, value: 0 }));
  for (const p of points) {
    if (!(p.ts >= from && p.ts < to) || !Number.isFinite(p.value)) continue;
    buckets[Math.floor((p.ts - from) / stepMs)].value += p.value;
  }
  return buckets;
}
