// The troubleshooting matrix's read model: ClickHouse counts (lib/clickhouse/queries/faults)
// combined with the pure fault maths (lib/faults): trend, sparkline, concentration, anomalies.
import { CATALOGUE, FAULT_CODES, findSignature, type Catalogue, type FaultSignature } from "@/lib/faults/catalogue";
import { computeTrend, fillSparkline, type Trend } from "@/lib/faults/trend";
import { describeTopCause, rankConcentration, type ConcentrationResult } from "@/lib/faults/root-cause";
import {
  cohortVsFleet,
  detectAnomalies,
  rankAnomalies,
  type RankedAnomaly,
  type Anomaly,
  type AnomalyMeasure,
  type CohortHistory,
  type CohortSnapshot,
  type MeasureStats,
} from "@/lib/faults/anomaly";
import { AppError } from "@/lib/errors";
import type { ClickHouse } from "@/lib/clickhouse/client";
import {
  getCohortStats,
  getLedLogCorrelation,
  getMatrixCounts,
  getRootCauseCounts,
  type CohortStatsRow,
  type CorrelationResult,
  type FleetSlice,
  type RootCauseCounts,
} from "@/lib/clickhouse/queries/faults";

export type { FleetSlice } from "@/lib/clickhouse/queries/faults";

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/** Windows the page offers; the key is also the explorer's `range` value. */
export const WINDOWS = { "24h": DAY_MS, "7d": 7 * DAY_MS, "30d": 30 * DAY_MS } as const;
export type WindowKey = keyof typeof WINDOWS;
export const SPARKLINE_BUCKETS = 24;

export interface FaultAnalysisInput {
  from: number;
  to: number;
  slice: FleetSlice;
}

export interface AnalysisDeps {
  ch?: ClickHouse;
  catalogue?: Catalogue;
  /** "metrology/comms" pairs known to work; undefined = read FirmwareCompatibility from the database. */
  compatibleFwPairs?: string[] | null;
}

/** Compatible pairs from the relational store (Prisma FirmwareCompatibility); null when unavailable or empty. */
export async function loadCompatibleFwPairs(): Promise<string[] | null> {
  try {
    const { getDb } = await import("@/lib/db");
    const rows = await getDb().firmwareCompatibility.findMany({ where: { compatible: true }, select: { metrologyVersion: true, commsVersion: true } });
    return rows.length ? rows.map((r) => `${r.metrologyVersion}/${r.commsVersion}`) : null;
  } catch (err) {
    console.error("[faults] firmware compatibility list unavailable", err);
    return null;
  }
}

async function resolveFleetRules(deps: AnalysisDeps) {
  const pairs = deps.compatibleFwPairs !== undefined ? deps.compatibleFwPairs : await loadCompatibleFwPairs();
  return { compatibleFwPairs: pairs };
}

function assertWindow(from: number, to: number): void {
  if (!Number.isFinite(from) || !Number.isFinite(to) || from >= to) throw new AppError("invalid", "The time window must have from < to.");
}

/** Codes that count as a fault line: catalogue fault codes plus vendor aliases. */
export function faultCodesOf(catalogue: Catalogue): string[] {
  const codes = new Set<string>(FAULT_CODES);
  for (const s of catalogue.signatures) if (s.match.type === "codes") s.match.codes.forEach((c) => codes.add(c));
  for (const [vendor, target] of Object.entries(catalogue.aliases)) if (codes.has(target)) codes.add(vendor);
  return [...codes];
}

// ---------------------------------------------------------------- matrix

export interface MatrixRow {
  id: string;
  title: string;
  severity: FaultSignature["severity"];
  kind: FaultSignature["kind"];
  meaning: string;
  checks: string[];
  remediation: FaultSignature["remediation"];
  runbook: string;
  /** null for fleet-level rules: they describe the fleet now, not events. */
  events: number | null;
  meters: number | null;
  previousEvents: number | null;
  previousMeters: number | null;
  trend: Trend | null;
  /** Events per bucket, oldest first. */
  sparkline: number[];
  /** false when a rule lacks the data it needs (e.g. no firmware compatibility list). */
  isJudged: boolean;
}

export interface FaultMatrix {
  catalogueVersion: string;
  from: number;
  to: number;
  previousFrom: number;
  stepMs: number;
  rows: MatrixRow[];
}

export async function getFaultMatrix(input: FaultAnalysisInput, deps: AnalysisDeps = {}): Promise<FaultMatrix> {
  const { from, to, slice } = input;
  assertWindow(from, to);
  const catalogue = deps.catalogue ?? CATALOGUE;
  const length = to - from;
  const stepMs = Math.ceil(length / SPARKLINE_BUCKETS);
  const previousFrom = from - length;
  const counts = await getMatrixCounts({ catalogue, window: { from, to }, previousFrom, stepMs, slice, fleetRules: await resolveFleetRules(deps) }, deps.ch);
  const rows = counts.map((c): MatrixRow => {
    const s = findSignature(catalogue, c.signatureId)!;
    const sparkline = fillSparkline({ points: c.buckets.map((b) => ({ ts: from + b.index * stepMs, value: b.events })), from, to, stepMs }).map((b) => b.value);
    return {
      id: s.id,
      title: s.title,
      severity: s.severity,
      kind: s.kind,
      meaning: s.meaning,
      checks: s.checks,
      remediation: s.remediation,
      runbook: s.runbook,
      events: c.events,
      meters: c.meters,
      previousEvents: c.previousEvents,
      previousMeters: c.previousMeters,
      trend: c.events !== null && c.previousEvents !== null ? computeTrend(c.events, c.previousEvents) : null,
      sparkline,
      isJudged: c.isJudged,
    };
  });
  return { catalogueVersion: catalogue.version, from, to, previousFrom, stepMs, rows };
}

// ---------------------------------------------------------------- LED x log

export const CORRELATION_LIST_LIMIT = 50;

export async function getLedCorrelation(input: FaultAnalysisInput, deps: AnalysisDeps = {}): Promise<CorrelationResult> {
  assertWindow(input.from, input.to);
  const catalogue = deps.catalogue ?? CATALOGUE;
  return getLedLogCorrelation({ window: { from: input.from, to: input.to }, slice: input.slice, faultCodes: faultCodesOf(catalogue), limit: CORRELATION_LIST_LIMIT }, deps.ch);
}

// ---------------------------------------------------------------- root cause

export interface RootCause {
  signature: Pick<FaultSignature, "id" | "title" | "kind" | "match">;
  counts: RootCauseCounts;
  ranking: ConcentrationResult;
  sentence: string;
  isJudged: boolean;
}

export async function getRootCause(input: FaultAnalysisInput & { signatureId: string }, deps: AnalysisDeps = {}): Promise<RootCause> {
  assertWindow(input.from, input.to);
  const catalogue = deps.catalogue ?? CATALOGUE;
  const signature = findSignature(catalogue, input.signatureId);
  if (!signature) throw new AppError("not_found", `No fault signature ${input.signatureId} in catalogue ${catalogue.version}.`);
  const counts = await getRootCauseCounts(
    { catalogue, signature, window: { from: input.from, to: input.to }, slice: input.slice, fleetRules: await resolveFleetRules(deps) },
    deps.ch,
  );
  const ranking = rankConcentration({ dimensions: counts.dimensions, totalAffected: counts.totalAffected, totalFleet: counts.totalFleet });
  const sentence = counts.isJudged
    ? counts.totalAffected === 0
      ? `${signature.id}: no meters in this window and slice.`
      : describeTopCause(signature.id, ranking)
    : `${signature.id}: cannot be judged without the data this rule needs.`;
  return { signature: { id: signature.id, title: signature.title, kind: signature.kind, match: signature.match }, counts, ranking, sentence, isJudged: counts.isJudged };
}

// ---------------------------------------------------------------- anomalies

/** Which matrix rows an anomaly in a measure concerns (flag shown on the row). */
export const ANOMALY_SIGNATURES: Record<AnomalyMeasure, string[]> = {
  rssi: ["E105", "LOW_SNR", "snr_low"],
  snr: ["E105", "LOW_SNR", "snr_low"],
  temp_c: ["HOTSPOT", "terminal_hot"],
  battery_v: ["BATTERY_LOW", "SUPERCAP_FAIL"],
  accuracy_err_pct: ["E001", "led_red_blinking"],
  fault_rate: [],
};

export interface AnomalyList {
  anomalies: Anomaly[];
  /** What the page lists: one entry per cohort, incidents first, capped; `more` cohorts left out. */
  ranked: { shown: RankedAnomaly[]; more: number };
  baselineFrom: number;
  baselineTo: number;
  /** Signature id -> sentences of anomalies that concern it. */
  bySignature: Record<string, string[]>;
}

function toMeasureMap(row: CohortStatsRow): Partial<Record<AnomalyMeasure, MeasureStats>> {
  const out: Partial<Record<AnomalyMeasure, MeasureStats>> = { ...row.measures };
  if (row.meters > 0) out.fault_rate = { mean: row.faultyMeters / row.meters, stddev: 0, n: row.meters };
  return out;
}

/** Baseline: the longer of the window itself or 7 days, just before the window. */
export function baselineWindow(from: number, to: number): { from: number; to: number } {
  return { from: from - Math.max(to - from, 7 * DAY_MS), to: from };
}

/** Pool per-slice stats of one measure: mean of all readings, spread within and between slices; n is the mean per slice (the same meters recur). */
function poolMeasure(parts: MeasureStats[]): MeasureStats {
  const total = parts.reduce((a, p) => a + p.n, 0);
  const mean = parts.reduce((a, p) => a + p.mean * p.n, 0) / total;
  const ss = parts.reduce((a, p) => a + (p.n - 1) * p.stddev ** 2 + p.n * (p.mean - mean) ** 2, 0);
  return { mean, stddev: total > 1 ? Math.sqrt(ss / (total - 1)) : 0, n: Math.round(total / parts.length) };
}

/**
 * The baseline as slices as long as the window (a 24 h window gets seven 24 h slices), so a
 * fault rate is compared with the share of meters faulting in a window of the same length
 * (a 7-day share is several times a 1-day one). Slices where the data had not begun (fewer
 * than half the meters heard from) are left out; cohorts are averaged over the rest.
 */
async function getBaselineStats(
  input: { baseline: { from: number; to: number }; windowMs: number; slice: FleetSlice; faultCodes: string[]; fleetMeters: number },
  ch?: ClickHouse,
): Promise<{ rows: CohortStatsRow[]; from: number }> {
  const k = Math.max(1, Math.floor((input.baseline.to - input.baseline.from) / input.windowMs));
  const covered: CohortStatsRow[][] = [];
  let from = input.baseline.to;
  for (let j = 0; j < k; j++) {
    const window = { from: input.baseline.to - (j + 1) * input.windowMs, to: input.baseline.to - j * input.windowMs };
    const rows = await getCohortStats({ window, slice: input.slice, faultCodes: input.faultCodes }, ch);
    const heard = rows.find((r) => r.dimension === "")?.meters ?? 0;
    if (heard < 0.5 * input.fleetMeters) break; // older slices hold even less
    covered.push(rows);
    from = window.from;
  }
  const byKey = new Map<string, CohortStatsRow[]>();
  for (const rows of covered) for (const r of rows) byKey.set(`${r.dimension}\u0000${r.value}`, [...(byKey.get(`${r.dimension}\u0000${r.value}`) ?? []), r]);
  const rows: CohortStatsRow[] = [];
  for (const parts of byKey.values()) {
    const measures: CohortStatsRow["measures"] = {};
    for (const m of Object.keys(parts[0]!.measures) as (keyof CohortStatsRow["measures"])[]) {
      const list = parts.map((p) => p.measures[m]).filter((x): x is MeasureStats => x !== undefined && x.n > 0);
      if (list.length) measures[m] = poolMeasure(list);
    }
    const meters = parts.reduce((a, p) => a + p.meters, 0) / parts.length;
    const faultyMeters = parts.reduce((a, p) => a + p.faultyMeters, 0) / parts.length;
    rows.push({ dimension: parts[0]!.dimension, value: parts[0]!.value, meters: Math.round(meters), faultyMeters, measures });
  }
  return { rows, from };
}

export async function getAnomalies(input: FaultAnalysisInput, deps: AnalysisDeps = {}): Promise<AnomalyList> {
  assertWindow(input.from, input.to);
  const catalogue = deps.catalogue ?? CATALOGUE;
  const faultCodes = faultCodesOf(catalogue);
  const baselineSpan = baselineWindow(input.from, input.to);
  const current = await getCohortStats({ window: { from: input.from, to: input.to }, slice: input.slice, faultCodes }, deps.ch);
  const fleetMeters = current.find((r) => r.dimension === "")?.meters ?? 0;
  const sliced = await getBaselineStats({ baseline: baselineSpan, windowMs: input.to - input.from, slice: input.slice, faultCodes, fleetMeters }, deps.ch);
  const before = sliced.rows;
  const baseline = { from: sliced.from, to: baselineSpan.to };
  const key = (r: { dimension: string; value: string }) => `${r.dimension}\u0000${r.value}`;
  const beforeByKey = new Map(before.map((r) => [key(r), r]));
  const withHistory: CohortHistory[] = [];
  const withoutHistory: CohortSnapshot[] = [];
  let fleet: CohortStatsRow | undefined;
  for (const row of current) {
    if (row.dimension === "") {
      fleet = row;
      continue;
    }
    const past = beforeByKey.get(key(row));
    const id = { dimension: row.dimension, value: row.value };
    if (past && past.meters > 0) withHistory.push({ ...id, current: toMeasureMap(row), baseline: toMeasureMap(past) });
    else withoutHistory.push({ ...id, current: toMeasureMap(row) });
  }
  const own = detectAnomalies(withHistory).anomalies;
  const versusFleet = fleet ? cohortVsFleet(withoutHistory, toMeasureMap(fleet)).anomalies : [];
  const anomalies = [...own, ...versusFleet].sort((a, b) => Math.abs(b.z) - Math.abs(a.z) || a.value.localeCompare(b.value));
  const bySignature: Record<string, string[]> = {};
  for (const a of anomalies) for (const id of ANOMALY_SIGNATURES[a.measure]) (bySignature[id] ??= []).push(a.sentence);
  return { anomalies, ranked: rankAnomalies(anomalies), baselineFrom: baseline.from, baselineTo: baseline.to, bySignature };
}
