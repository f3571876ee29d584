// Campaign queries: resolve a saved target query over fleet_meters +
// meter_state_current (+ audit_log for "fault in the last N days"), read the
// health of a wave after its soak, and write/read the step lines of campaigns
// in audit_log. Values travel only as {name:Type} parameters.
import { CATALOGUE, findSignature } from "@/lib/faults/catalogue";
import type { AuditLogRow } from "../audit-rows";
import { getClickHouse, type ClickHouse } from "../client";
import { formatClickHouseTime } from "../time";
import { buildFleetRuleCondition, buildFleetSliceClauses, buildLineCondition } from "./faults";

type Params = Record<string, unknown>;
const TIME = "DateTime64(3, 'UTC')";

async function handle(ch?: ClickHouse): Promise<ClickHouse> {
  return ch ?? (await getClickHouse());
}

/** The saved target query of a campaign (URL params of /campaigns/new map onto it). */
export interface TargetQuery {
  kind?: string;
  gw?: string;
  zone?: string;
  model?: string;
  /** "metrology/comms" */
  fw?: string;
  led?: string;
  /** Fault signature id from the catalogue (a code, an LED state or a derived rule). */
  fault?: string;
  /** Look-back for `fault`, days. */
  days?: number;
  /** Explicit meter ids (an uploaded list or one meter from the map drawer). */
  meters?: string[];
}

export interface TargetMeterRow {
  meter: string;
  kind: string;
  model: string;
  gw: string;
  zone: string;
  timezone: string;
  installedAt: number;
  fwMetrology: string;
  fwComms: string;
  hesVersion: string;
  certNotAfter: number | null;
  snr: number | null;
  batteryV: number | null;
  led: string;
  faultCode: string;
}

/**
 * A row of the target query, checked by hand: zod took 16 ms of the dispatcher's thread for the
 * 2 000 rows of a wave start's preflight read (about as long as chDB took to answer it).
 */
export function toTargetMeterRow(raw: unknown): TargetMeterRow {
  const r = raw as Record<string, unknown>;
  const str = (k: string): string => {
    const v = r[k];
    if (typeof v !== "string") throw new Error(`target query row: ${k} is ${v === null ? "null" : typeof v}, expected a string`);
    return v;
  };
  const numOrNull = (k: string): number | null => {
    const v = r[k];
    if (v === null || v === undefined || v === "") return null;
    const n = Number(v);
    if ((typeof v !== "string" && typeof v !== "number") || Number.isNaN(n)) throw new Error(`target query row: ${k} is not a number`);
    return n;
  };
  const installedAt = numOrNull("installed_ms");
  if (installedAt === null) throw new Error("target query row: installed_ms is missing");
  return {
    meter: str("meter"),
    kind: str("kind"),
    model: str("model"),
    gw: str("gw"),
    zone: str("zone"),
    timezone: str("timezone"),
    installedAt,
    fwMetrology: str("fw_metrology"),
    fwComms: str("fw_comms"),
    hesVersion: str("hes_version"),
    certNotAfter: numOrNull("cert_ms"),
    snr: numOrNull("snr"),
    batteryV: numOrNull("battery_v"),
    led: str("led"),
    faultCode: str("fault_code"),
  };
}

export interface BuildTargetQueryOptions {
  now: number;
  /** "metrology/comms" pairs known compatible, for derived fleet rules. */
  compatibleFwPairs?: string[] | null;
  limit?: number;
}

/** SQL + params for a target query (exported for SQL assertions). */
export function buildTargetQuery(q: TargetQuery, opts: BuildTargetQueryOptions): { query: string; params: Params } {
  const params: Params = {};
  const [fwMetrology, fwComms] = q.fw ? q.fw.split("/") : [undefined, undefined];
  const fleetWhere = buildFleetSliceClauses({ gw: q.gw, zone: q.zone, kind: q.kind, model: q.model, fwMetrology, fwComms }, params);
  if (q.meters?.length) {
    params.ids = q.meters;
    fleetWhere.push("meter IN {ids:Array(String)}");
  }
  const outer: string[] = [];
  if (q.led) {
    params.led = q.led;
    outer.push("s.led = {led:String}");
  }
  if (q.fault) {
    const sig = findSignature(CATALOGUE, q.fault);
    if (!sig) throw new RangeError(`unknown fault signature "${q.fault}"`);
    const line = buildLineCondition(CATALOGUE, sig, params, "sig");
    if (line !== null) {
      params.fault_from = formatClickHouseTime(opts.now - Math.max(1, q.days ?? 7) * 86_400_000);
      outer.push(`f.meter IN (SELECT DISTINCT meter FROM audit_log WHERE ts >= {fault_from:${TIME}} AND ${line})`);
    } else {
      const rule = buildFleetRuleCondition(sig, { compatibleFwPairs: opts.compatibleFwPairs ?? null }, params, "sig");
      // A rule that cannot be judged (no compatibility list) selects nobody rather than everybody.
      fleetWhere.push(rule ?? "0");
    }
  }
  const fleetFilter = fleetWhere.length ? ` WHERE ${fleetWhere.join(" AND ")}` : "";
  // The join keeps only the fleet's meters: a meter list bounds the state rows read as well
  // as the fleet slice does, without a second pass over fleet_meters.
  const stateFilter = q.meters?.length ? "meter IN {ids:Array(String)}" : `meter IN (SELECT meter FROM fleet_meters FINAL${fleetFilter})`;
  params.limit = opts.limit ?? 2_000_000;
  const query = `
    SELECT f.meter AS meter, toString(f.kind) AS kind, toString(f.model) AS model, toString(f.gw) AS gw, toString(f.zone) AS zone,
      toString(f.timezone) AS timezone, toUnixTimestamp(f.installed_at) * 1000 AS installed_ms,
      toString(f.fw_metrology) AS fw_metrology, toString(f.fw_comms) AS fw_comms, toString(f.hes_version) AS hes_version,
      toUnixTimestamp64Milli(f.cert_not_after) AS cert_ms,
      s.snr AS snr, s.battery_v AS battery_v, toString(s.led) AS led, toString(s.fault_code) AS fault_code
    FROM (SELECT * FROM fleet_meters FINAL${fleetFilter}) AS f
    LEFT JOIN (SELECT meter, snr, battery_v, led, fault_code FROM meter_state_current FINAL
               WHERE ${stateFilter}) AS s ON s.meter = f.meter
    ${outer.length ? `WHERE ${outer.join(" AND ")}` : ""}
    ORDER BY f.meter
    LIMIT {limit:UInt32}`;
  return { query, params };
}

/** Meters a target query selects, with what the planner and preflight need. */
export async function findTargetMeters(q: TargetQuery, opts: BuildTargetQueryOptions, ch?: ClickHouse): Promise<TargetMeterRow[]> {
  const { query, params } = buildTargetQuery(q, opts);
  const rows = await (await handle(ch)).queryRows<unknown>({ query, params, tag: "campaigns.targets", settings: { max_execution_time: 60 } });
  return rows.map(toTargetMeterRow);
}

/** Session caps of gateways, from fleet_gateways. */
export async function getGatewayCaps(gateways: string[], ch?: ClickHouse): Promise<Record<string, { maxConcurrentSessions: number }>> {
  if (!gateways.length) return {};
  const rows = await (
    await handle(ch)
  ).queryRows<{ gw: string; max_sessions: number | string }>({
    query: `SELECT gw, max_sessions FROM fleet_gateways FINAL WHERE gw IN {gws:Array(String)}`,
    params: { gws: gateways },
    tag: "campaigns.gateway_caps",
  });
  return Object.fromEntries(rows.map((r) => [r.gw, { maxConcurrentSessions: Number(r.max_sessions) }]));
}

export interface WaveHealthInput {
  campaignId: string;
  step: string;
  meters: string[];
  /** Wave start; the baseline is the same length of time before it. */
  from: number;
  to: number;
  /** For fota: the pair every meter must report after the soak. */
  targetFirmware?: { metrology: string; comms: string } | null;
  /**
   * What the wave's own step outcomes (PostgreSQL) already say: meters that answered the step,
   * meters whose answer reported the target pair (fota), meters whose step found a hash mismatch.
   */
  own: { answered: string[]; onTarget: string[]; mismatched: string[] };
}

export interface WaveHealth {
  reRegistered: number;
  /** Meters reporting the target pair (fota) without a FW_HASH_MISMATCH; null when no firmware changes. */
  hashMatches: number | null;
  newFaults: Record<"E042" | "E105" | "LAST_GASP" | "IPC_ERROR", { count: number; baseline: number }>;
}

/** LAST_GASP lines per minute behind the given gateways over [from, to). */
export async function getLastGaspRate(input: { gateways: string[]; from: number; to: number }, ch?: ClickHouse): Promise<number> {
  if (!input.gateways.length || input.to <= input.from) return 0;
  const [row] = await (
    await handle(ch)
  ).queryRows<{ n: string | number }>({
    query: `SELECT count() AS n FROM audit_log WHERE code = 'LAST_GASP' AND ts >= {from:${TIME}} AND ts < {to:${TIME}} AND gw IN {gws:Array(String)}`,
    params: { from: formatClickHouseTime(input.from), to: formatClickHouseTime(input.to), gws: input.gateways },
    tag: "campaigns.last_gasp_rate",
  });
  return (Number(row?.n ?? 0) * 60_000) / (input.to - input.from);
}

/** LAST_GASP lines per gateway over [from, to), all gateways (the dispatcher reads it once per round). */
export async function getLastGaspCounts(input: { from: number; to: number }, ch?: ClickHouse): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  if (input.to <= input.from) return counts;
  const rows = await (
    await handle(ch)
  ).queryRows<{ gw: string; n: string | number }>({
    query: `SELECT toString(gw) AS gw, count() AS n FROM audit_log
            WHERE code = 'LAST_GASP' AND ts >= {from:${TIME}} AND ts < {to:${TIME}}
            GROUP BY gw`,
    params: { from: formatClickHouseTime(input.from), to: formatClickHouseTime(input.to) },
    tag: "campaigns.last_gasp_counts",
  });
  for (const r of rows) counts.set(r.gw, Number(r.n));
  return counts;
}

/**
 * Health of waves' meters after the soak: seen again since the wave started,
 * firmware as intended, and watched faults beside the same span before the wave.
 * The campaign's own step lines (its job and step, the dispatcher's and the
 * head-end's) are not read: what they say is the wave's per-meter outcomes,
 * which the caller passes from PostgreSQL (`own`). The scan therefore does not
 * wait for the dispatcher's step lines to reach ClickHouse.
 *
 * Several waves in one scan of audit_log. Each meter maps to
 * its wave by position (a meter may sit in one wave per call: callers split
 * waves that share meters); the windows and the "own line" test are per wave.
 */
export async function getWavesHealth(inputs: WaveHealthInput[], ch?: ClickHouse): Promise<WaveHealth[]> {
  if (!inputs.length) return [];
  const meters: string[] = [];
  const waveOf: number[] = [];
  const froms: number[] = [];
  const baseFroms: number[] = [];
  const tos: number[] = [];
  inputs.forEach((w, i) => {
    for (const m of w.meters) {
      meters.push(m);
      waveOf.push(i + 1);
    }
    froms.push(w.from);
    baseFroms.push(w.from - Math.max(60_000, w.to - w.from));
    tos.push(w.to);
  });
  if (new Set(meters).size !== meters.length) throw new RangeError("getWavesHealth: a meter appears in two waves of one call");
  const params: Params = {
    meters,
    wave_of: waveOf,
    froms,
    base_froms: baseFroms,
    tos,
    jobs: inputs.map((w) => w.campaignId),
    steps: inputs.map((w) => w.step),
    t_ms: inputs.map((w) => w.targetFirmware?.metrology ?? ""),
    t_cs: inputs.map((w) => w.targetFirmware?.comms ?? ""),
    min_from: formatClickHouseTime(Math.min(...baseFroms)),
    max_to: formatClickHouseTime(Math.max(...tos)),
  };
  const rows = await (
    await handle(ch)
  ).queryRows<{ wi: number | string; seen: string[]; on_target: string[]; mismatched: string[] } & Record<string, string | number | string[]>>({
    query: `
      SELECT wi,
        groupUniqArrayIf(meter, after) AS seen,
        groupUniqArrayIf(meter, after AND fw_metrology = {t_ms:Array(String)}[wi] AND fw_comms = {t_cs:Array(String)}[wi]) AS on_target,
        groupUniqArrayIf(meter, after AND code = 'FW_HASH_MISMATCH') AS mismatched,
        countIf(after AND code = 'E042') AS e042, countIf(NOT after AND code = 'E042') AS e042_b,
        countIf(after AND code = 'E105') AS e105, countIf(NOT after AND code = 'E105') AS e105_b,
        countIf(after AND code = 'LAST_GASP') AS lg, countIf(NOT after AND code = 'LAST_GASP') AS lg_b,
        countIf(after AND code = 'IPC_ERROR') AS ipc, countIf(NOT after AND code = 'IPC_ERROR') AS ipc_b
      FROM (
        SELECT meter, code, fw_metrology, fw_comms, wi, ms >= {froms:Array(UInt64)}[wi] AS after
        FROM (SELECT meter, code, fw_metrology, fw_comms, job, step, toUInt64(toUnixTimestamp64Milli(ts)) AS ms,
                     transform(meter, {meters:Array(String)}, {wave_of:Array(UInt32)}, toUInt32(0)) AS wi
              FROM audit_log
              WHERE meter IN {meters:Array(String)} AND ts >= {min_from:${TIME}} AND ts < {max_to:${TIME}})
        WHERE wi > 0 AND ms >= {base_froms:Array(UInt64)}[wi] AND ms < {tos:Array(UInt64)}[wi]
          AND NOT (job = {jobs:Array(String)}[wi] AND step = {steps:Array(String)}[wi]))
      GROUP BY wi`,
    params,
    tag: "campaigns.waves_health",
  });
  const byWave = new Map(rows.map((r) => [Number(r.wi), r]));
  return inputs.map((w, i) => {
    const row = byWave.get(i + 1);
    const n = (k: string) => Number(row?.[k] ?? 0);
    const union = (own: string[], lines: string[] | undefined) => new Set([...own, ...(lines ?? [])]);
    const seen = union(w.own.answered, row?.seen);
    const mismatched = union(w.own.mismatched, row?.mismatched);
    const unmatched = (meters: Set<string>) => [...meters].filter((m) => !mismatched.has(m)).length;
    return {
      reRegistered: seen.size,
      hashMatches: w.targetFirmware ? unmatched(union(w.own.onTarget, row?.on_target)) : w.step === "fw_verify" ? unmatched(seen) : null,
      newFaults: {
        E042: { count: n("e042"), baseline: n("e042_b") },
        E105: { count: n("e105"), baseline: n("e105_b") },
        LAST_GASP: { count: n("lg"), baseline: n("lg_b") },
        IPC_ERROR: { count: n("ipc"), baseline: n("ipc_b") },
      },
    };
  });
}

/** Step lines of campaigns into audit_log; the token makes a retried batch one copy. */
export async function insertCampaignAuditRows(rows: AuditLogRow[], dedupToken: string, ch?: ClickHouse): Promise<void> {
  if (!rows.length) return;
  await (await handle(ch)).insertRows({ table: "audit_log", values: rows as unknown as Record<string, unknown>[], dedupToken });
}

export interface CampaignStepLine {
  ts: number;
  meter: string;
  gw: string;
  code: string;
  result: string;
  msg: string;
}

/** The latest step lines of one campaign (job = campaign id), newest first. */
/** `failuresOnly`: failed or timed-out lines, less the step's findings (`findingCodes`, see getCampaignTimeline). */
export async function getCampaignStepLines(
  input: { campaignId: string; limit: number; failuresOnly?: boolean; findingCodes?: string[] },
  ch?: ClickHouse,
): Promise<CampaignStepLine[]> {
  const rows = await (
    await handle(ch)
  ).queryRows<Record<string, string | number>>({
    query: `SELECT toUnixTimestamp64Milli(ts) AS ts, meter, toString(gw) AS gw, toString(code) AS code, toString(result) AS result, msg
            FROM audit_log WHERE job = {job:String} ${input.failuresOnly ? "AND result IN ('fail', 'timeout') AND NOT has({found:Array(String)}, toString(code))" : ""}
            ORDER BY ts DESC LIMIT {limit:UInt32}`,
    params: { job: input.campaignId, limit: input.limit, found: input.findingCodes ?? [] },
    tag: "campaigns.step_lines",
  });
  return rows.map((r) => ({ ts: Number(r.ts), meter: String(r.meter), gw: String(r.gw), code: String(r.code), result: String(r.result), msg: String(r.msg) }));
}

export interface FleetMeterRow {
  meter: string;
  kind: string;
  model: string;
  gw: string;
  zone: string;
  timezone: string;
  lat: number;
  lon: number;
  /** epoch ms */
  installed_at: number;
  fw_metrology: string;
  fw_comms: string;
  hes_version: string;
  cert_not_after: number;
}

export interface FleetGatewayRow {
  gw: string;
  name: string;
  lat: number;
  lon: number;
  backhaul: string;
  max_sessions: number;
  zone: string;
  timezone: string;
}

/** Write fleet dimensions (tests and the campaign benchmark build their fleets with this). */
export async function writeFleetDimensions(input: { meters: FleetMeterRow[]; gateways: FleetGatewayRow[] }, ch?: ClickHouse): Promise<void> {
  const client = await handle(ch);
  if (input.gateways.length) await client.insertRows({ table: "fleet_gateways", values: input.gateways as unknown as Record<string, unknown>[] });
  for (let i = 0; i < input.meters.length; i += 200_000) {
    const values = input.meters.slice(i, i + 200_000).map((m) => ({ ...m, installed_at: Math.floor(m.installed_at / 1000) }));
    await client.insertRows({ table: "fleet_meters", values });
  }
}

/** Bucket widths a campaign timeline may use (s): the smallest that keeps it to `maxBuckets`. */
const TIMELINE_STEPS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

export function timelineBucketSeconds(spanMs: number, maxBuckets = 60): number {
  const need = Math.max(0, spanMs) / 1000 / maxBuckets;
  return TIMELINE_STEPS.find((s) => s >= need) ?? Math.ceil(need / 86400) * 86400;
}

export interface CampaignTimeline {
  bucketSeconds: number;
  from: number;
  to: number;
  /** Step outcomes per bucket start (epoch ms): answered ok, found a fault (a finding), failed or timed out, refused. */
  points: { t: number; ok: number; found: number; failed: number; refused: number }[];
}

/**
 * The campaign's step lines in audit_log, counted by outcome per time bucket between from and to.
 * `findingCodes`: the step's finding codes (job-types.ts), whose "fail" lines count as found.
 */
export async function getCampaignTimeline(
  input: { campaignId: string; from: number; to: number; maxBuckets?: number; findingCodes?: string[] },
  ch?: ClickHouse,
): Promise<CampaignTimeline> {
  const bucketSeconds = timelineBucketSeconds(input.to - input.from, input.maxBuckets);
  const rows = await (
    await handle(ch)
  ).queryRows<Record<string, string | number>>({
    query: `SELECT toUnixTimestamp(toStartOfInterval(ts, INTERVAL {w:UInt32} SECOND)) * 1000 AS t,
                   countIf(result = 'ok') AS ok, countIf(result = 'fail' AND has({found:Array(String)}, toString(code))) AS found,
                   countIf(result = 'timeout' OR (result = 'fail' AND NOT has({found:Array(String)}, toString(code)))) AS failed,
                   countIf(result = 'skipped') AS refused
            FROM audit_log
            WHERE job = {job:String} AND ts >= {from:${TIME}} AND ts < {to:${TIME}} AND result != ''
            GROUP BY t ORDER BY t`,
    params: { w: bucketSeconds, job: input.campaignId, from: formatClickHouseTime(input.from), to: formatClickHouseTime(input.to), found: input.findingCodes ?? [] },
    tag: "campaigns.timeline",
  });
  return {
    bucketSeconds,
    from: input.from,
    to: input.to,
    points: rows.map((r) => ({ t: Number(r.t), ok: Number(r.ok), found: Number(r.found), failed: Number(r.failed), refused: Number(r.refused) })),
  };
}
