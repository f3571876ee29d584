// Troubleshooting-matrix queries: signature counts with trend buckets, LED x log
// correlation, root-cause concentration counts and cohort stats for anomalies.
// SQL fragments come only from the catalogue's closed vocabularies (measures,
// operators, dimensions) below; every value travels as a {name:Type} parameter.
import { z } from "zod";
import type { Catalogue, FaultSignature, Measure, ThresholdOp } from "@/lib/faults/catalogue";
import { getClickHouse, type ClickHouse } from "../client";

/** A slice of the fleet, matched on fleet_meters (the meter's current gateway, zone, ...). */
export interface FleetSlice {
  gw?: string;
  zone?: string;
  kind?: string;
  model?: string;
  fwMetrology?: string;
  fwComms?: string;
}

/** Half-open window [from, to) in epoch ms UTC. */
export interface TimeWindow {
  from: number;
  to: number;
}

const TIME = "DateTime64(3, 'UTC')";
const count = z.coerce.number();

function formatTime(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`invalid time ${ms}`);
  return new Date(ms).toISOString().replace("T", " ").slice(0, 23);
}

type Params = Record<string, unknown>;

// ---------------------------------------------------------------- slice

const SLICE_COLUMNS = [
  ["gw", "gw"],
  ["zone", "zone"],
  ["kind", "kind"],
  ["model", "model"],
  ["fwMetrology", "fw_metrology"],
  ["fwComms", "fw_comms"],
] as const satisfies ReadonlyArray<readonly [keyof FleetSlice, string]>;

/** WHERE clauses on fleet_meters columns for the slice (empty = whole fleet). */
export function buildFleetSliceClauses(slice: FleetSlice, params: Params): string[] {
  const clauses: string[] = [];
  for (const [key, column] of SLICE_COLUMNS) {
    const value = slice[key];
    if (value === undefined || value === "") continue;
    params[`slice_${key}`] = value;
    clauses.push(`${column} = {slice_${key}:String}`);
  }
  return clauses;
}

/** " AND meter IN (fleet slice)" for audit_log reads, or "" for the whole fleet (unknown meters included). */
export function buildAuditSliceClause(slice: FleetSlice, params: Params): string {
  const clauses = buildFleetSliceClauses(slice, params);
  if (!clauses.length) return "";
  return ` AND meter IN (SELECT meter FROM fleet_meters FINAL WHERE ${clauses.join(" AND ")})`;
}

// ---------------------------------------------------------------- signatures -> SQL

/** Per-line measure expressions over audit_log (allow-list: catalogue MEASURES). */
const MEASURE_SQL: Record<Measure, string> = {
  rssi: "rssi",
  lqi: "lqi",
  snr: "snr",
  temp_c: "temp_c",
  battery_v: "battery_v",
  accuracy_err_pct: "accuracy_err_pct",
  cert_days_left: "(toUnixTimestamp64Milli(cert_not_after) - toUnixTimestamp64Milli(ts)) / 86400000",
  clock_offset_s: "(toUnixTimestamp64Milli(ts) - toUnixTimestamp64Milli(recv_ts)) / 1000",
};

const OP_SQL: Record<ThresholdOp, (expr: string, param: string) => string> = {
  lt: (e, p) => `${e} < ${p}`,
  lte: (e, p) => `${e} <= ${p}`,
  gt: (e, p) => `${e} > ${p}`,
  gte: (e, p) => `${e} >= ${p}`,
  abs_gt: (e, p) => `abs(${e}) > ${p}`,
};

/** Codes a code signature counts: its own plus vendor aliases that resolve to them. */
function signatureCodes(catalogue: Catalogue, codes: string[]): string[] {
  const aliases = Object.entries(catalogue.aliases).filter(([, target]) => codes.includes(target)).map(([vendor]) => vendor);
  return [...codes, ...aliases];
}

/**
 * Condition on one audit_log line for a line-level signature; null for fleet-level
 * rules (firmware pair, HES version), which read fleet_meters instead. Missing data
 * (NULL measure) never matches, as in isSignatureMatch.
 */
export function buildLineCondition(catalogue: Catalogue, signature: FaultSignature, params: Params, key: string): string | null {
  const m = signature.match;
  switch (m.type) {
    case "codes":
      params[`${key}_codes`] = signatureCodes(catalogue, m.codes);
      return `code IN {${key}_codes:Array(String)}`;
    case "led":
      params[`${key}_led`] = m.led;
      return `led = {${key}_led:String}`;
    case "threshold":
      params[`${key}_t`] = m.threshold;
      return `ifNull(${OP_SQL[m.op](MEASURE_SQL[m.measure], `{${key}_t:Float64}`)}, 0)`;
    case "rule":
      return null;
  }
}

export interface FleetRuleContext {
  /** "metrology/comms" pairs known to work; null = no compatibility list, rule cannot be judged. */
  compatibleFwPairs: string[] | null;
}

/** Condition on a fleet_meters row for a fleet-level rule; null when it cannot be judged. */
export function buildFleetRuleCondition(signature: FaultSignature, context: FleetRuleContext, params: Params, key: string): string | null {
  const m = signature.match;
  if (m.type !== "rule") return null;
  if (m.rule === "fw_pair_incompatible") {
    if (!context.compatibleFwPairs || context.compatibleFwPairs.length === 0) return null;
    params[`${key}_pairs`] = context.compatibleFwPairs;
    return `(fw_metrology != '' AND fw_comms != '' AND concat(fw_metrology, '/', fw_comms) NOT IN {${key}_pairs:Array(String)})`;
  }
  const parts = String(m.params.minVersion ?? "").split(".").map(Number);
  if (parts.length !== 3 || parts.some((p) => !Number.isInteger(p) || p < 0)) return null;
  params[`${key}_min`] = parts;
  // Numeric, part-wise comparison: "4.10.0" is newer than "4.2.0".
  return `(match(hes_version, '^[0-9]+\\\\.[0-9]+\\\\.[0-9]+$') AND arrayMap(x -> toUInt32(x), splitByChar('.', hes_version)) < {${key}_min:Array(UInt32)})`;
}

// ---------------------------------------------------------------- matrix

export interface MatrixCountsInput {
  catalogue: Catalogue;
  window: TimeWindow;
  /** Start of the previous window (usually from - (to - from)). */
  previousFrom: number;
  /** Sparkline bucket width in ms; buckets start at window.from. */
  stepMs: number;
  slice: FleetSlice;
  fleetRules: FleetRuleContext;
}

export interface SignatureCounts {
  signatureId: string;
  /** null for fleet-level rules (a state of the fleet, not events). */
  events: number | null;
  meters: number | null;
  previousEvents: number | null;
  previousMeters: number | null;
  /** Bucket index (0-based from window.from) -> events. */
  buckets: Array<{ index: number; events: number }>;
  /** false when the rule has no data to judge (e.g. no firmware compatibility list). */
  isJudged: boolean;
}

const lineCountsRowSchema = z.object({
  sig: count,
  events: count,
  meters: count,
  prev_events: count,
  prev_meters: count,
  bucket_keys: z.array(count),
  bucket_values: z.array(count),
});

/** Build the one-scan matrix query over audit_log (exported for SQL assertions). */
export function buildMatrixQuery(input: Omit<MatrixCountsInput, "fleetRules">): { query: string; params: Params; lineSignatures: FaultSignature[] } {
  const { catalogue, window, previousFrom, stepMs, slice } = input;
  if (!(previousFrom <= window.from && window.from < window.to)) throw new RangeError("need previousFrom <= from < to");
  if (!(stepMs > 0)) throw new RangeError("stepMs must be > 0");
  const params: Params = {
    from: formatTime(window.from),
    to: formatTime(window.to),
    prev_from: formatTime(previousFrom),
    from_ms: window.from,
    step_ms: Math.ceil(stepMs),
  };
  const lineSignatures: FaultSignature[] = [];
  const conditions: string[] = [];
  for (const s of catalogue.signatures) {
    const cond = buildLineCondition(catalogue, s, params, `s${lineSignatures.length}`);
    if (cond === null) continue;
    conditions.push(cond);
    lineSignatures.push(s);
  }
  if (!conditions.length) return { query: "", params, lineSignatures };
  // Each line expands to the indexes of the signatures it shows (a line can show several).
  const hits = conditions.map((c, i) => `if(${c}, ${i}, -1)`).join(", ");
  // uniqExact over a 64-bit hash of the meter id: ~40 % faster than over the string on
  // 10 M lines, and a collision among 1 M meters has odds of about 3e-8.
  const query = `
    SELECT sig,
      countIf(ts >= {from:${TIME}}) AS events,
      uniqExactIf(cityHash64(meter), ts >= {from:${TIME}}) AS meters,
      countIf(ts < {from:${TIME}}) AS prev_events,
      uniqExactIf(cityHash64(meter), ts < {from:${TIME}}) AS prev_meters,
      sumMapIf([bucket], [toUInt64(1)], ts >= {from:${TIME}}) AS bucket_map,
      bucket_map.1 AS bucket_keys,
      bucket_map.2 AS bucket_values
    FROM (
      SELECT ts, meter,
        intDiv(toUnixTimestamp64Milli(ts) - {from_ms:Int64}, {step_ms:Int64}) AS bucket,
        arrayJoin(arrayFilter(x -> x >= 0, [${hits}])) AS sig
      FROM audit_log
      WHERE ts >= {prev_from:${TIME}} AND ts < {to:${TIME}}${buildAuditSliceClause(slice, params)}
        AND (${conditions.join(" OR ")})
    )
    GROUP BY sig`;
  return { query, params, lineSignatures };
}

/** Matrix counts for every catalogue signature, in catalogue order. */
export async function getMatrixCounts(input: MatrixCountsInput, ch?: ClickHouse): Promise<SignatureCounts[]> {
  const client = ch ?? (await getClickHouse());
  const { query, params, lineSignatures } = buildMatrixQuery(input);
  const byId = new Map<string, SignatureCounts>();
  if (query) {
    const rows = (await client.queryRows<unknown>({ query, params, tag: "faults.matrix" })).map((r) => lineCountsRowSchema.parse(r));
    for (const r of rows) {
      const s = lineSignatures[r.sig]!;
      byId.set(s.id, {
        signatureId: s.id,
        events: r.events,
        meters: r.meters,
        previousEvents: r.prev_events,
        previousMeters: r.prev_meters,
        buckets: r.bucket_keys.map((index, i) => ({ index, events: r.bucket_values[i]! })),
        isJudged: true,
      });
    }
  }
  const rules = await getFleetRuleCounts({ catalogue: input.catalogue, slice: input.slice, fleetRules: input.fleetRules }, client);
  return input.catalogue.signatures.map((s) => {
    const rule = rules.get(s.id);
    if (rule) return rule;
    return byId.get(s.id) ?? { signatureId: s.id, events: 0, meters: 0, previousEvents: 0, previousMeters: 0, buckets: [], isJudged: s.match.type !== "rule" };
  });
}

async function getFleetRuleCounts(
  input: { catalogue: Catalogue; slice: FleetSlice; fleetRules: FleetRuleContext },
  client: ClickHouse,
): Promise<Map<string, SignatureCounts>> {
  const params: Params = {};
  const result = new Map<string, SignatureCounts>();
  const columns: string[] = [];
  const judged: FaultSignature[] = [];
  for (const s of input.catalogue.signatures) {
    if (s.match.type !== "rule") continue;
    const cond = buildFleetRuleCondition(s, input.fleetRules, params, `r${judged.length}`);
    if (cond === null) {
      result.set(s.id, { signatureId: s.id, events: null, meters: null, previousEvents: null, previousMeters: null, buckets: [], isJudged: false });
      continue;
    }
    columns.push(`countIf(${cond}) AS r${judged.length}`);
    judged.push(s);
  }
  if (!judged.length) return result;
  const where = buildFleetSliceClauses(input.slice, params);
  const [row] = await client.queryRows<Record<string, unknown>>({
    query: `SELECT ${columns.join(", ")} FROM fleet_meters FINAL${where.length ? ` WHERE ${where.join(" AND ")}` : ""}`,
    params,
    tag: "faults.fleet_rules",
  });
  judged.forEach((s, i) => {
    const meters = Number(row?.[`r${i}`] ?? 0);
    result.set(s.id, { signatureId: s.id, events: null, meters, previousEvents: null, previousMeters: null, buckets: [], isJudged: true });
  });
  return result;
}

// ---------------------------------------------------------------- LED x log correlation

export interface CorrelationInput {
  window: TimeWindow;
  slice: FleetSlice;
  /** Codes that count as a fault in the log (catalogue FAULT_CODES + aliases). */
  faultCodes: string[];
  /** Max meters listed per disagreement kind. */
  limit: number;
}

export interface CorrelationCombo {
  /** Fault LED state seen ("" = no fault LED: green or not reported). */
  led: string;
  /** Fault code logged ("" = no fault code). */
  code: string;
  meters: number;
  events: number;
}

export type DisagreementKind = "led_fault_logs_silent" | "logs_fault_led_green";

export interface DisagreeingMeter {
  kind: DisagreementKind;
  meter: string;
  leds: string[];
  codes: string[];
  lastSeen: number;
}

export interface CorrelationResult {
  combos: CorrelationCombo[];
  disagreements: Record<DisagreementKind, { total: number; meters: DisagreeingMeter[] }>;
  metersWithLed: number;
}

// Per meter in the window: fault LED states seen (anything but green/unreported),
// whether green was seen, fault codes logged.
function perMeterSql(sliceClause: string): string {
  return `
    SELECT meter,
      arraySort(groupUniqArrayIf(toString(led), led NOT IN ('', 'green_steady'))) AS leds,
      countIf(led = 'green_steady') > 0 AS has_green,
      arraySort(groupUniqArrayIf(toString(code), code IN {fault_codes:Array(String)})) AS codes,
      countIf(code IN {fault_codes:Array(String)}) AS fault_events,
      max(ts) AS last_seen
    FROM audit_log
    WHERE ts >= {from:${TIME}} AND ts < {to:${TIME}}${sliceClause}
      AND (led != '' OR code IN {fault_codes:Array(String)})
    GROUP BY meter`;
}

export async function getLedLogCorrelation(input: CorrelationInput, ch?: ClickHouse): Promise<CorrelationResult> {
  const client = ch ?? (await getClickHouse());
  const params: Params = { from: formatTime(input.window.from), to: formatTime(input.window.to), fault_codes: input.faultCodes, limit: input.limit };
  const perMeter = perMeterSql(buildAuditSliceClause(input.slice, params));
  // A meter counts once per (fault LED, code) pair it showed; "" stands for "none".
  const combosQuery = `
    SELECT l AS led, c AS code, count() AS meters, sum(fault_events) AS events
    FROM (${perMeter})
    ARRAY JOIN if(empty(leds), [''], leds) AS l
    ARRAY JOIN if(empty(codes), [''], codes) AS c
    WHERE NOT (l = '' AND c = '' AND NOT has_green)
    GROUP BY led, code
    ORDER BY meters DESC, led, code`;
  const disagreeQuery = `
    SELECT kind, meter, leds, codes, toUnixTimestamp64Milli(last_seen) AS last_seen_ms, count() OVER (PARTITION BY kind) AS total
    FROM (
      SELECT *, multiIf(notEmpty(leds) AND empty(codes), 'led_fault_logs_silent',
                        notEmpty(codes) AND empty(leds) AND has_green, 'logs_fault_led_green', '') AS kind
      FROM (${perMeter})
    )
    WHERE kind != ''
    ORDER BY kind, last_seen DESC, meter
    LIMIT {limit:UInt32} BY kind`;
  const [comboRows, disagreeRows] = [
    await client.queryRows<unknown>({ query: combosQuery, params, tag: "faults.correlation" }),
    await client.queryRows<unknown>({ query: disagreeQuery, params, tag: "faults.disagreements" }),
  ];
  const combos = comboRows.map((r) => z.object({ led: z.string(), code: z.string(), meters: count, events: count }).parse(r));
  const disagreements: CorrelationResult["disagreements"] = {
    led_fault_logs_silent: { total: 0, meters: [] },
    logs_fault_led_green: { total: 0, meters: [] },
  };
  for (const raw of disagreeRows) {
    const r = z
      .object({ kind: z.enum(["led_fault_logs_silent", "logs_fault_led_green"]), meter: z.string(), leds: z.array(z.string()), codes: z.array(z.string()), last_seen_ms: count, total: count })
      .parse(raw);
    disagreements[r.kind].total = r.total;
    disagreements[r.kind].meters.push({ kind: r.kind, meter: r.meter, leds: r.leds, codes: r.codes, lastSeen: r.last_seen_ms });
  }
  const metersWithLed = combos.filter((c) => c.led !== "").reduce((s, c) => s + c.meters, 0);
  return { combos, disagreements, metersWithLed };
}

// ---------------------------------------------------------------- root cause

/** Dimension name (lib/faults/root-cause DIMENSIONS) -> fleet_meters expression. */
export const ROOT_CAUSE_DIMENSION_SQL = {
  gateway: "toString(gw)",
  fw_pair: "concat(fw_metrology, '/', fw_comms)",
  climate_zone: "toString(zone)",
  meter_model: "toString(model)",
  install_year: "toString(install_year)",
  hes_version: "toString(hes_version)",
} as const;
export type RootCauseDimension = keyof typeof ROOT_CAUSE_DIMENSION_SQL;

export interface RootCauseCountsInput {
  catalogue: Catalogue;
  signature: FaultSignature;
  window: TimeWindow;
  slice: FleetSlice;
  fleetRules: FleetRuleContext;
}

export interface RootCauseCounts {
  totalAffected: number;
  totalFleet: number;
  /** Values with at least one affected meter, per dimension. */
  dimensions: Array<{ dimension: RootCauseDimension; values: Array<{ value: string; affected: number; fleet: number }> }>;
  isJudged: boolean;
}

/**
 * Affected meters (in fleet_meters, in the slice) per value of each dimension, with the
 * slice's meter count per value. Meters absent from fleet_meters cannot be placed and are left out.
 */
export async function getRootCauseCounts(input: RootCauseCountsInput, ch?: ClickHouse): Promise<RootCauseCounts> {
  const client = ch ?? (await getClickHouse());
  const params: Params = { from: formatTime(input.window.from), to: formatTime(input.window.to) };
  let affected: string | null;
  const line = buildLineCondition(input.catalogue, input.signature, params, "sig");
  if (line !== null) {
    affected = `meter IN (SELECT meter FROM audit_log WHERE ts >= {from:${TIME}} AND ts < {to:${TIME}} AND ${line})`;
  } else {
    affected = buildFleetRuleCondition(input.signature, input.fleetRules, params, "sig");
  }
  const dimensions = Object.keys(ROOT_CAUSE_DIMENSION_SQL) as RootCauseDimension[];
  if (affected === null) return { totalAffected: 0, totalFleet: 0, dimensions: dimensions.map((dimension) => ({ dimension, values: [] })), isJudged: false };
  const where = buildFleetSliceClauses(input.slice, params);
  const pairs = [`('', '')`, ...dimensions.map((d) => `('${d}', ${ROOT_CAUSE_DIMENSION_SQL[d]})`)].join(", ");
  const query = `
    SELECT d.1 AS dimension, d.2 AS value, countIf(is_affected) AS affected, count() AS fleet
    FROM (
      SELECT gw, fw_metrology, fw_comms, zone, model, install_year, hes_version, ${affected} AS is_affected
      FROM fleet_meters FINAL${where.length ? ` WHERE ${where.join(" AND ")}` : ""}
    )
    ARRAY JOIN [${pairs}] AS d
    GROUP BY dimension, value
    HAVING affected > 0 OR dimension = ''`;
  const rows = (await client.queryRows<unknown>({ query, params, tag: "faults.root_cause" })).map((r) =>
    z.object({ dimension: z.string(), value: z.string(), affected: count, fleet: count }).parse(r),
  );
  const total = rows.find((r) => r.dimension === "");
  return {
    totalAffected: total?.affected ?? 0,
    totalFleet: total?.fleet ?? 0,
    dimensions: dimensions.map((dimension) => ({
      dimension,
      values: rows.filter((r) => r.dimension === dimension).map(({ value, affected: a, fleet }) => ({ value, affected: a, fleet })),
    })),
    isJudged: true,
  };
}

// ---------------------------------------------------------------- cohort stats (anomalies)

export const COHORT_DIMENSION_SQL = { gateway: "toString(f.gw)", climate_zone: "toString(f.zone)", meter_model: "toString(f.model)" } as const;
export type CohortDimensionName = keyof typeof COHORT_DIMENSION_SQL;
export const COHORT_MEASURES = ["rssi", "snr", "temp_c", "battery_v", "accuracy_err_pct"] as const;
export type CohortMeasure = (typeof COHORT_MEASURES)[number];

export interface CohortStatsRow {
  /** "" for the whole slice. */
  dimension: CohortDimensionName | "";
  value: string;
  /** Meters heard from in the window. */
  meters: number;
  /** Meters with at least one fault line. */
  faultyMeters: number;
  measures: Partial<Record<CohortMeasure, { mean: number; stddev: number; n: number }>>;
}

/**
 * Per cohort: stats over per-meter means (one meter's readings are correlated, so
 * meters, not lines, are the sample) and the share of meters with a fault line.
 */
export async function getCohortStats(input: { window: TimeWindow; slice: FleetSlice; faultCodes: string[] }, ch?: ClickHouse): Promise<CohortStatsRow[]> {
  const client = ch ?? (await getClickHouse());
  const params: Params = { from: formatTime(input.window.from), to: formatTime(input.window.to), fault_codes: input.faultCodes };
  const where = buildFleetSliceClauses(input.slice, params);
  const perMeter = COHORT_MEASURES.map((m) => `avg(${m}) AS m_${m}`).join(", ");
  const stats = COHORT_MEASURES.map(
    (m) => `avgIf(m_${m}, isNotNull(m_${m})) AS ${m}_mean, stddevSampIf(m_${m}, isNotNull(m_${m})) AS ${m}_sd, countIf(isNotNull(m_${m})) AS ${m}_n`,
  ).join(",\n      ");
  const pairs = [`('', '')`, ...Object.entries(COHORT_DIMENSION_SQL).map(([d, sql]) => `('${d}', ${sql})`)].join(", ");
  const query = `
    SELECT d.1 AS dimension, d.2 AS value, count() AS meters, countIf(has_fault) AS faulty,
      ${stats}
    FROM (
      SELECT meter, ${perMeter}, countIf(code IN {fault_codes:Array(String)}) > 0 AS has_fault
      FROM audit_log
      WHERE ts >= {from:${TIME}} AND ts < {to:${TIME}}
      GROUP BY meter
    ) AS pm
    INNER JOIN (SELECT meter, gw, zone, model FROM fleet_meters FINAL${where.length ? ` WHERE ${where.join(" AND ")}` : ""}) AS f ON f.meter = pm.meter
    ARRAY JOIN [${pairs}] AS d
    GROUP BY dimension, value`;
  const rows = await client.queryRows<Record<string, unknown>>({ query, params, tag: "faults.cohorts" });
  return rows.map((r) => {
    const measures: CohortStatsRow["measures"] = {};
    for (const m of COHORT_MEASURES) {
      const n = Number(r[`${m}_n`] ?? 0);
      if (n > 0) measures[m] = { mean: Number(r[`${m}_mean`]), stddev: n > 1 ? Number(r[`${m}_sd`]) : 0, n };
    }
    return { dimension: String(r.dimension) as CohortStatsRow["dimension"], value: String(r.value), meters: Number(r.meters), faultyMeters: Number(r.faulty), measures };
  });
}
