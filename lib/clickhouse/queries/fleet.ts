// The fleet in ClickHouse: fleet_meters / fleet_gateways (003) kept in step with
// Prisma by lib/fleet, and the reads behind the meters page, which joins them
// to meter_state_current (008) so filtering by state needs no cross-engine ids.
import { z } from "zod";
import { getClickHouse, type ClickHouse } from "../client";
import { formatClickHouseTime } from "../time";

async function client(ch?: ClickHouse): Promise<ClickHouse> {
  return ch ?? (await getClickHouse());
}

const INSERT_BATCH = 50_000;

export interface FleetMeterSyncRow {
  id: string;
  kind: string;
  model: string;
  latitude: number;
  longitude: number;
  gatewayId: string;
  climateZoneId: string;
  timezone: string;
  installedAt: Date;
  fwMetrology: string;
  fwComms: string;
  hesVersion: string;
  certNotAfter: Date;
  lastVerifiedAt: Date | null;
}

export interface FleetGatewaySyncRow {
  id: string;
  name: string;
  latitude: number;
  longitude: number;
  backhaul: string;
  maxConcurrentSessions: number;
  climateZoneId: string;
  timezone: string;
}

/** Upsert meters into fleet_meters (ReplacingMergeTree: a re-sync replaces the row). */
export async function insertFleetMeters(rows: readonly FleetMeterSyncRow[], ch?: ClickHouse): Promise<void> {
  const c = await client(ch);
  for (let i = 0; i < rows.length; i += INSERT_BATCH) {
    await c.insertRows({
      table: "fleet_meters",
      values: rows.slice(i, i + INSERT_BATCH).map((m) => ({
        meter: m.id,
        kind: m.kind,
        model: m.model,
        gw: m.gatewayId,
        zone: m.climateZoneId,
        timezone: m.timezone,
        lat: m.latitude,
        lon: m.longitude,
        installed_at: formatClickHouseTime(m.installedAt, "s"),
        fw_metrology: m.fwMetrology,
        fw_comms: m.fwComms,
        hes_version: m.hesVersion,
        cert_not_after: formatClickHouseTime(m.certNotAfter),
        last_verified_at: m.lastVerifiedAt ? formatClickHouseTime(m.lastVerifiedAt, "s") : null,
      })),
    });
  }
}

export async function insertFleetGateways(rows: readonly FleetGatewaySyncRow[], ch?: ClickHouse): Promise<void> {
  const c = await client(ch);
  for (let i = 0; i < rows.length; i += INSERT_BATCH) {
    await c.insertRows({
      table: "fleet_gateways",
      values: rows.slice(i, i + INSERT_BATCH).map((g) => ({
        gw: g.id,
        name: g.name,
        lat: g.latitude,
        lon: g.longitude,
        backhaul: g.backhaul,
        max_sessions: g.maxConcurrentSessions,
        zone: g.climateZoneId,
        timezone: g.timezone,
      })),
    });
  }
}

const countsSchema = z.object({ meters: z.coerce.number(), gateways: z.coerce.number() });

/** Distinct meters and gateways in the ClickHouse copy (exact, merge-independent). */
export async function countFleetCopies(ch?: ClickHouse): Promise<z.infer<typeof countsSchema>> {
  const [row] = await (
    await client(ch)
  ).queryRows<unknown>({
    query: `SELECT (SELECT uniqExact(meter) FROM fleet_meters) AS meters, (SELECT uniqExact(gw) FROM fleet_gateways) AS gateways`,
    tag: "fleet.counts",
  });
  return countsSchema.parse(row);
}

const fleetMeterCopySchema = z.object({
  meter: z.string(),
  kind: z.string(),
  gw: z.string(),
  zone: z.string(),
  fw_metrology: z.string(),
  fw_comms: z.string(),
  cert_not_after: z.string(),
});

/** The current ClickHouse copy of some meters (tests, repair checks). */
export async function findFleetMeterCopies(ids: string[], ch?: ClickHouse) {
  if (!ids.length) return [];
  const rows = await (
    await client(ch)
  ).queryRows<unknown>({
    query: `SELECT meter, toString(kind) AS kind, toString(gw) AS gw, toString(zone) AS zone, toString(fw_metrology) AS fw_metrology,
                   toString(fw_comms) AS fw_comms, toString(cert_not_after) AS cert_not_after
            FROM fleet_meters FINAL WHERE meter IN {ids: Array(String)} ORDER BY meter`,
    params: { ids },
    tag: "fleet.copies",
  });
  return rows.map((r) => fleetMeterCopySchema.parse(r));
}

// ---------------------------------------------------------------- meters page

export const METER_STATES = ["critical", "error", "warn", "normal", "stale"] as const;
export type MeterState = (typeof METER_STATES)[number];
export const CERT_WINDOWS = ["expired", "30d", "90d", "180d"] as const;
export type CertWindow = (typeof CERT_WINDOWS)[number];
/** Sortable columns: the page's names mapped to SQL identifiers (allow-list, then {col: Identifier}). */
export const METER_SORTS = {
  id: "meter",
  kind: "kind",
  model: "model",
  gateway: "gw",
  zone: "zone",
  firmware: "fw_pair",
  installed: "installed_at",
  cert: "cert_not_after",
  lastSeen: "last_seen",
  state: "state_rank",
} as const;
export type MeterSort = keyof typeof METER_SORTS;

export interface MeterListFilters {
  kind?: string;
  gateway?: string;
  zone?: string;
  /** "<metrology>/<comms>", e.g. "3.4.1/5.4.2" (as on the map and the fault matrix). */
  firmware?: string;
  state?: MeterState;
  cert?: CertWindow;
  /** Meter id prefix. */
  q?: string;
}

export interface MeterListInput {
  filters: MeterListFilters;
  sort: MeterSort;
  desc: boolean;
  limit: number;
  offset: number;
  /** Epoch ms: meters not heard from since are "stale". */
  staleBefore: number;
  now: number;
}

const meterListRowSchema = z.object({
  meter: z.string(),
  kind: z.string(),
  model: z.string(),
  gw: z.string(),
  zone: z.string(),
  fw_metrology: z.string(),
  fw_comms: z.string(),
  installed_at: z.coerce.number(),
  cert_not_after: z.coerce.number(),
  last_seen: z.coerce.number(),
  state: z.enum(METER_STATES),
  fault_code: z.string(),
  led: z.string(),
});
export type MeterListRow = z.infer<typeof meterListRowSchema>;

const CERT_DAYS: Record<Exclude<CertWindow, "expired">, number> = { "30d": 30, "90d": 90, "180d": 180 };

/** The WHERE fragments (from code) and their params for a filter set; exported for the SQL-builder test. */
export function buildMeterListWhere(filters: MeterListFilters, now: number) {
  const dims: string[] = [];
  const outer: string[] = [];
  const params: Record<string, unknown> = {};
  if (filters.kind) {
    dims.push("kind = {kind: String}");
    params.kind = filters.kind;
  }
  if (filters.gateway) {
    dims.push("gw = {gw: String}");
    params.gw = filters.gateway;
  }
  if (filters.zone) {
    dims.push("zone = {zone: String}");
    params.zone = filters.zone;
  }
  if (filters.firmware) {
    const [m = "", c = ""] = filters.firmware.split("/");
    dims.push("fw_metrology = {fwm: String} AND fw_comms = {fwc: String}");
    params.fwm = m;
    params.fwc = c;
  }
  if (filters.q) {
    dims.push("startsWith(meter, {q: String})");
    params.q = filters.q;
  }
  if (filters.cert) {
    params.now = Math.floor(now);
    if (filters.cert === "expired") dims.push("cert_not_after < fromUnixTimestamp64Milli({now: Int64})");
    else {
      dims.push("cert_not_after >= fromUnixTimestamp64Milli({now: Int64}) AND cert_not_after < fromUnixTimestamp64Milli({certUntil: Int64})");
      params.certUntil = Math.floor(now + CERT_DAYS[filters.cert] * 86_400_000);
    }
  }
  if (filters.state) {
    outer.push("state = {state: String}");
    params.state = filters.state;
  }
  return { dims: dims.length ? "WHERE " + dims.join(" AND ") : "", outer: outer.length ? "WHERE " + outer.join(" AND ") : "", params };
}

function meterListSql(where: { dims: string; outer: string }, tail: string, select: string): string {
  return `SELECT ${select} FROM (
            SELECT f.meter AS meter, toString(f.kind) AS kind, toString(f.model) AS model, toString(f.gw) AS gw, toString(f.zone) AS zone,
                   toString(f.fw_metrology) AS fw_metrology, toString(f.fw_comms) AS fw_comms,
                   concat(toString(f.fw_metrology), '+', toString(f.fw_comms)) AS fw_pair,
                   f.installed_at AS installed_at, f.cert_not_after AS cert_not_after,
                   s.last_seen AS last_seen, toString(s.fault_code) AS fault_code, toString(s.led) AS led,
                   multiIf(s.last_seen < fromUnixTimestamp64Milli({staleBefore: Int64}), 'stale', s.fault_sev != '', toString(s.fault_sev), 'normal') AS state,
                   indexOf(['critical', 'error', 'warn', 'stale', 'normal'], state) AS state_rank
            FROM (SELECT * FROM fleet_meters FINAL ${where.dims}) AS f
            LEFT JOIN (SELECT meter, last_seen, fault_sev, fault_code, led FROM meter_state_current FINAL) AS s ON s.meter = f.meter
          ) ${where.outer} ${tail}`;
}

/** One page of the fleet table, with the total matching the filters. */
export async function findMetersPage(input: MeterListInput, ch?: ClickHouse): Promise<{ rows: MeterListRow[]; total: number }> {
  const c = await client(ch);
  const where = buildMeterListWhere(input.filters, input.now);
  const params = { ...where.params, staleBefore: Math.floor(input.staleBefore), sort: METER_SORTS[input.sort], limit: input.limit, offset: input.offset };
  const dir = input.desc ? "DESC" : "ASC";
  const [rows, count] = await Promise.all([
    c.queryRows<unknown>({
      query: meterListSql(
        where,
        `ORDER BY {sort: Identifier} ${dir}, meter ${dir} LIMIT {limit: UInt32} OFFSET {offset: UInt32}`,
        `meter, kind, model, gw, zone, fw_metrology, fw_comms, toUnixTimestamp(installed_at) * 1000 AS installed_at,
         toUnixTimestamp64Milli(cert_not_after) AS cert_not_after, toUnixTimestamp64Milli(last_seen) AS last_seen, state, fault_code, led`,
      ),
      params,
      tag: "fleet.meters_page",
    }),
    c.queryRows<{ n: string }>({ query: meterListSql(where, "", "count() AS n"), params, tag: "fleet.meters_count" }),
  ]);
  return { rows: rows.map((r) => meterListRowSchema.parse(r)), total: Number(count[0]?.n ?? 0) };
}

const firmwarePairSchema = z.object({ fw_metrology: z.string(), fw_comms: z.string(), n: z.coerce.number() });

/** Firmware pairs present in the fleet, most common first (filter options). */
export async function listFleetFirmwarePairs(ch?: ClickHouse) {
  const rows = await (
    await client(ch)
  ).queryRows<unknown>({
    query: `SELECT toString(fw_metrology) AS fw_metrology, toString(fw_comms) AS fw_comms, count() AS n
            FROM fleet_meters FINAL GROUP BY fw_metrology, fw_comms ORDER BY n DESC LIMIT 200`,
    tag: "fleet.firmware_pairs",
  });
  return rows.map((r) => firmwarePairSchema.parse(r));
}

const meterStateSchema = z.object({
  last_seen: z.coerce.number(),
  led: z.string(),
  fault_code: z.string(),
  fault_sev: z.string(),
  last_fault_at: z.coerce.number(),
  rssi: z.number().nullable(),
  snr: z.number().nullable(),
  lqi: z.number().nullable(),
  temp_c: z.number().nullable(),
  battery_v: z.number().nullable(),
  fw_metrology: z.string(),
  fw_comms: z.string(),
  cert_not_after: z.coerce.number().nullable(),
});
export type MeterLatestState = z.infer<typeof meterStateSchema>;

/** Latest measures and state of one meter (meter_state_current), or null if never heard from. */
export async function getMeterLatestState(meter: string, ch?: ClickHouse): Promise<MeterLatestState | null> {
  const [row] = await (
    await client(ch)
  ).queryRows<unknown>({
    query: `SELECT toUnixTimestamp64Milli(last_seen) AS last_seen, toString(led) AS led, toString(fault_code) AS fault_code,
                   toString(fault_sev) AS fault_sev, toUnixTimestamp64Milli(last_fault_at) AS last_fault_at, rssi, snr, lqi, temp_c, battery_v,
                   toString(fw_metrology) AS fw_metrology, toString(fw_comms) AS fw_comms,
                   if(cert_not_after IS NULL, NULL, toUnixTimestamp64Milli(assumeNotNull(cert_not_after))) AS cert_not_after
            FROM meter_state_current FINAL WHERE meter = {meter: String} LIMIT 1`,
    params: { meter },
    tag: "fleet.meter_state",
  });
  return row ? meterStateSchema.parse(row) : null;
}

const auditLineSchema = z.object({
  ts: z.coerce.number(),
  code: z.string(),
  sev: z.string(),
  gw: z.string(),
  led: z.string(),
  step: z.string(),
  job: z.string(),
  result: z.string(),
  rssi: z.number().nullable(),
  lqi: z.number().nullable(),
  snr: z.number().nullable(),
  temp_c: z.number().nullable(),
  battery_v: z.number().nullable(),
  accuracy_err_pct: z.number().nullable(),
  msg: z.string(),
});
export type MeterAuditLine = z.infer<typeof auditLineSchema>;

/** The most recent audit lines of one meter (the p_meter projection answers this). */
export async function listMeterAuditLines(meter: string, limit = 50, ch?: ClickHouse): Promise<MeterAuditLine[]> {
  const rows = await (
    await client(ch)
  ).queryRows<unknown>({
    query: `SELECT toUnixTimestamp64Milli(ts) AS ts, toString(code) AS code, toString(sev) AS sev, toString(gw) AS gw, toString(led) AS led,
                   toString(step) AS step, toString(job) AS job, toString(result) AS result, rssi, lqi, snr, temp_c, battery_v, accuracy_err_pct, msg
            FROM audit_log WHERE meter = {meter: String} ORDER BY ts DESC LIMIT {limit: UInt32}`,
    params: { meter, limit },
    tag: "fleet.meter_lines",
  });
  return rows.map((r) => auditLineSchema.parse(r));
}

// ---------------------------------------------------------------- seeding checks

/** audit_log rows matching optional gateway / code / source / time filters (demo seeding checks, benches). */
export async function countAuditLines(input: { gw?: string; code?: string; source?: string; since?: number; until?: number }, ch?: ClickHouse): Promise<number> {
  const where: string[] = [];
  if (input.gw !== undefined) where.push("gw = {gw: String}");
  if (input.code !== undefined) where.push("code = {code: String}");
  if (input.source !== undefined) where.push("source = {source: String}");
  if (input.since !== undefined) where.push("ts >= fromUnixTimestamp64Milli({since: Int64})");
  if (input.until !== undefined) where.push("ts < fromUnixTimestamp64Milli({until: Int64})");
  const [row] = await (
    await client(ch)
  ).queryRows<{ n: string }>({
    query: `SELECT count() AS n FROM audit_log ${where.length ? "WHERE " + where.join(" AND ") : ""}`,
    params: input,
    tag: "fleet.count_lines",
  });
  return Number(row?.n ?? 0);
}

/** Meters with a row in meter_state_current (heard from at least once). */
export async function countMeterStates(ch?: ClickHouse): Promise<number> {
  const [row] = await (await client(ch)).queryRows<{ n: string }>({ query: "SELECT uniqExact(meter) AS n FROM meter_state_current", tag: "fleet.count_states" });
  return Number(row?.n ?? 0);
}

export interface DailyCodeMetersRow {
  code: string;
  /** Start of the UTC day, epoch ms. */
  day: number;
  meters: number;
  events: number;
}

/** Per code and UTC day: distinct meters and lines (the demo's fault rates; a slice by gateway when given). */
export async function getDailyCodeMeters(input: { since: number; until: number; gw?: string; codes?: string[] }, ch?: ClickHouse): Promise<DailyCodeMetersRow[]> {
  const rows = await (
    await client(ch)
  ).queryRows<{ code: string; day: string; meters: string; events: string }>({
    query: `SELECT code, toUnixTimestamp(toStartOfDay(ts, 'UTC')) * 1000 AS day, uniqExact(meter) AS meters, count() AS events
            FROM audit_log
            WHERE ts >= fromUnixTimestamp64Milli({since: Int64}) AND ts < fromUnixTimestamp64Milli({until: Int64})
            ${input.gw !== undefined ? "AND gw = {gw: String}" : ""}
            ${input.codes?.length ? "AND code IN ({codes: Array(String)})" : ""}
            GROUP BY code, day ORDER BY code, day`,
    params: input,
    tag: "fleet.daily_code_meters",
  });
  return rows.map((r) => ({ code: r.code, day: Number(r.day), meters: Number(r.meters), events: Number(r.events) }));
}
