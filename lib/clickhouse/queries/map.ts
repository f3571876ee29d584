// The fleet map's ClickHouse reads. Every map read (positions, state bytes, cells,
// gateways) reads map_meter_cells (009_map_cells.sql), a typed copy of map_meters
// (004_map.sql) kept current by lib/map/server/cells-sync.ts; map_meters is only read to
// derive it. Values are bound parameters; the only fragments are the fixed
// expressions below, chosen in code.
import { z } from "zod";
import { getClickHouse, type ClickHouse } from "../client";
import { FAULT_CODES } from "@/lib/map/state";
import { sinceToMs } from "@/lib/map/search-params";
import { CELL_LEVELS, stepForLevel } from "@/lib/map/cells";
import { MAP_STATES, type FleetExtent, type MapCell, type MapFilters, type MapGateway } from "@/lib/map/types";

const LAT = "(toFloat64(bitAnd(bitShiftRight(p, 32), 4294967295)) / 10000000 - 90)";
const LON = "(toFloat64(bitAnd(p, 4294967295)) / 10000000 - 180)";

/** Positions of fields in the dims string (1-based, splitByChar). */
const DIM = { kind: 2, model: 3, gw: 4, zone: 5, fwMetrology: 6, fwComms: 7 } as const;

export interface MapQueryContext {
  now: number;
  staleAfterMs: number;
}

export interface Bbox {
  west: number;
  south: number;
  east: number;
  north: number;
}

// ---- map_meter_cells (009): derivation from map_meters, refresh, reads ----

/**
 * lib/map/state.ts deriveMapState over map_meters' packed columns (004_map.sql: LED
 * index = led % 8, 1 = off, 3 = amber_steady, 6 = red_blinking), without the `stale`
 * rule (it depends on `now`): stored as base_state, indices of MAP_STATES.
 */
const BASE_STATE_SQL = `multiIf(ls = 0, 6, lg >= ls OR lp % 8 = 1, 4, lt > lc, 3, lp % 8 = 6, 2, lp % 8 = 3, 1, 0)`;

/** The full state at read time: stale only overrides the "heard" states 0-3 (unknown and offline come before it in deriveMapState). */
const CELL_STATE_SQL = "if(base_state < 4 AND last_seen < {staleBefore: UInt64}, 5, base_state)";

/**
 * "Unhealthy now" over a map_meter_cells row: comms link failure, critical metrology fault,
 * tamper or offline (stale and never-heard meters are not counted). Needs {staleBefore}.
 * The gateway popup and lib/fleet/slice-counts read it from here.
 */
export const UNHEALTHY_SQL = `${CELL_STATE_SQL} IN (1, 2, 3, 4)`;

/** Grid cell id of (lon, lat) at `level`, as lib/map/cells.ts cellOf + cellId (steps are exact binary fractions). */
function cellIdSql(level: number): string {
  const step = stepForLevel(level);
  return `toUInt32(least(floor((lon + 180) / ${step}), ${2 ** level - 1})) * 65536 + toUInt32(least(floor((lat + 90) / ${step}), ${2 ** (level - 1) - 1}))`;
}

const MAP_CELLS_COLUMNS = [
  "meter",
  "lon",
  "lat",
  ...CELL_LEVELS.map((l) => `cell_${l}`),
  "kind",
  "model",
  "gw",
  "zone",
  "fw_metrology",
  "fw_comms",
  "last_seen",
  "base_state",
  "fault_code",
  "fault_at",
  "fault_open",
].join(", ");

/** One typed row per fleet meter, derived from map_meters (dims unpacked once, here, not per read). */
function mapCellsSelect(where: string): string {
  return `
    SELECT meter, lon, lat, ${CELL_LEVELS.map((l) => `${cellIdSql(l)} AS cell_${l}`).join(", ")},
           dd[${DIM.kind}] AS kind, dd[${DIM.model}] AS model, dd[${DIM.gw}] AS gw, dd[${DIM.zone}] AS zone,
           dd[${DIM.fwMetrology}] AS fw_metrology, dd[${DIM.fwComms}] AS fw_comms,
           ls AS last_seen, ${BASE_STATE_SQL} AS base_state,
           toUInt8(fp % 32) AS fault_code, intDiv(fp, 32) AS fault_at, fp > 0 AND intDiv(fp, 32) > lc AS fault_open
    FROM (
      SELECT meter, max(pos) AS p, max(dims) AS d, max(last_seen) AS ls, max(led) AS lp, max(last_clear_at) AS lc,
             max(last_gasp_at) AS lg, max(last_tamper_at) AS lt, max(fault) AS fp,
             ${LAT} AS lat, ${LON} AS lon, splitByChar('|', d) AS dd
      FROM map_meters ${where} GROUP BY meter HAVING p > 0
    )`;
}

const REFRESH_CHUNK = 20_000;

/** Re-derive the given meters into map_meter_cells. */
export async function refreshMapCells(meters: readonly string[], ch?: ClickHouse): Promise<void> {
  const client = ch ?? (await getClickHouse());
  for (let i = 0; i < meters.length; i += REFRESH_CHUNK) {
    await client.execCommand({
      query: `INSERT INTO map_meter_cells (${MAP_CELLS_COLUMNS}) ${mapCellsSelect("WHERE meter IN {meters: Array(String)}")}`,
      params: { meters: meters.slice(i, i + REFRESH_CHUNK) },
    });
  }
}

/** Re-derive every meter (first start after 009, or more touched meters than an IN list should carry). */
export async function rebuildMapCells(ch?: ClickHouse): Promise<void> {
  const client = ch ?? (await getClickHouse());
  await client.execCommand({ query: `INSERT INTO map_meter_cells (${MAP_CELLS_COLUMNS}) ${mapCellsSelect("")}` });
}

/** Rows in map_meter_cells and the time of its newest refresh (ms; 0 when empty). */
export async function getMapCellsStatus(ch?: ClickHouse): Promise<{ rows: number; refreshedAt: number }> {
  const client = ch ?? (await getClickHouse());
  const [row] = await client.queryRows<{ n: string; at: string }>({
    query: "SELECT count() AS n, toString(toUnixTimestamp64Milli(max(refreshed_at))) AS at FROM map_meter_cells",
    tag: "map.cells_status",
  });
  return { rows: Number(row?.n ?? 0), refreshedAt: Number(row?.at ?? 0) };
}

/** Meters written to map_meters in (afterMs, untilMs], at most `limit` (more = rebuild instead). */
export async function listTouchedMeters(input: { afterMs: number; untilMs: number; limit: number }, ch?: ClickHouse): Promise<string[]> {
  const client = ch ?? (await getClickHouse());
  const [row] = await client.queryRows<{ meters: string[] }>({
    query: `SELECT groupUniqArray({limit: UInt32})(meter) AS meters FROM map_touched
            WHERE at > fromUnixTimestamp64Milli({after: Int64}) AND at <= fromUnixTimestamp64Milli({until: Int64})`,
    params: { after: Math.max(0, Math.floor(input.afterMs)), until: Math.floor(input.untilMs), limit: input.limit },
    tag: "map.touched",
  });
  return row?.meters ?? [];
}

/**
 * WHERE conditions over map_meter_cells for the non-state filters: open fault by code
 * (latest fault line has the code, no clear after it), dimensions, firmware pair, and
 * a fault within the window.
 */
export function buildCellFilterConditions(f: MapFilters, now: number): { conditions: string[]; params: Record<string, unknown> } {
  const conditions: string[] = [];
  const params: Record<string, unknown> = {};
  if (f.fault) {
    const idx = (FAULT_CODES as readonly string[]).indexOf(f.fault);
    conditions.push("fault_code = {faultIdx: UInt8} AND fault_open");
    params.faultIdx = idx > 0 ? idx : 255;
  }
  // The keys are the column names (fixed here, not from the request).
  for (const k of ["gw", "zone", "kind", "model"] as const) {
    const v = f[k];
    if (v) {
      conditions.push(`${k} = {${k}: String}`);
      params[k] = v;
    }
  }
  if (f.fw) {
    const [m = "", c = ""] = f.fw.split("/");
    if (m) {
      conditions.push("fw_metrology = {fwMetrology: String}");
      params.fwMetrology = m;
    }
    if (c) {
      conditions.push("fw_comms = {fwComms: String}");
      params.fwComms = c;
    }
  }
  const sinceMs = sinceToMs(f.since);
  if (sinceMs !== undefined) {
    conditions.push("fault_at > 0 AND fault_at >= {faultSince: UInt64}");
    params.faultSince = Math.max(0, now - sinceMs);
  }
  return { conditions, params };
}

/** " AND c1 AND c2 ..." to follow `WHERE 1`. */
function andAll(conditions: readonly string[]): string {
  return conditions.map((c) => ` AND ${c}`).join("");
}

function bboxCondition(b: Bbox | undefined): string {
  if (!b) return "";
  const lon = b.west <= b.east ? `lon BETWEEN {west: Float64} AND {east: Float64}` : `(lon >= {west: Float64} OR lon <= {east: Float64})`; // viewport across the antimeridian
  return ` AND lat BETWEEN {south: Float64} AND {north: Float64} AND ${lon}`;
}

/**
 * A cells row to a MapCell, each field checked to be a finite number (counts arrive as
 * strings: UInt64 in JSON). Checked by hand: a zod schema per row took 30-180 ms of the
 * 22 k-cell answer at zoom 9 over the whole fleet (scripts/bench-map.ts), this ~2 ms.
 */
function toMapCell(raw: unknown): MapCell {
  const r = raw as Record<string, unknown>;
  const num = (k: string) => {
    const v = r[k];
    const x = typeof v === "number" ? v : typeof v === "string" && v !== "" ? Number(v) : NaN;
    if (!Number.isFinite(x)) throw new TypeError(`map cells: ${k} is not a number (${String(v).slice(0, 40)})`);
    return x;
  };
  return {
    cx: num("cx"),
    cy: num("cy"),
    lon: num("clon"),
    lat: num("clat"),
    counts: [num("s0"), num("s1"), num("s2"), num("s3"), num("s4"), num("s5"), num("s6")],
    total: num("n"),
  };
}

/** The map_meter_cells query for getMapCells, rendered (exported for the SQL-builder test). */
export function buildMapCellsQuery(input: { level: number; filters: MapFilters; bbox?: Bbox } & MapQueryContext): { query: string; params: Record<string, unknown> } {
  if (!CELL_LEVELS.includes(input.level)) throw new RangeError(`grid level ${input.level} is not precomputed`);
  const { conditions, params } = buildCellFilterConditions(input.filters, input.now);
  const where = andAll(conditions);
  return {
    query: `
      SELECT intDiv(cell, 65536) AS cx, cell % 65536 AS cy, count() AS n, avg(lon) AS clon, avg(lat) AS clat,
             ${MAP_STATES.map((_, i) => `countIf(st = ${i}) AS s${i}`).join(", ")}
      FROM (
        SELECT {cellCol: Identifier} AS cell, lon, lat, ${CELL_STATE_SQL} AS st
        FROM map_meter_cells FINAL
        WHERE 1${where}${bboxCondition(input.bbox)}
      )
      GROUP BY cell`,
    params: { ...params, ...input.bbox, cellCol: `cell_${input.level}`, staleBefore: Math.max(0, input.now - input.staleAfterMs) },
  };
}

/** Meters per grid cell and state (cells of 360 / 2^level degrees, lib/map/cells.ts), from map_meter_cells. */
export async function getMapCells(input: { level: number; filters: MapFilters; bbox?: Bbox } & MapQueryContext, ch?: ClickHouse): Promise<MapCell[]> {
  const client = ch ?? (await getClickHouse());
  const rows = await client.queryRows<unknown>({ ...buildMapCellsQuery(input), tag: "map.cells" });
  return rows.map(toMapCell);
}

const extentRowSchema = z.object({ n: z.coerce.number(), lons: z.array(z.number()), lats: z.array(z.number()) });

/**
 * The box around the 1st-99th percentile of the filtered meters' positions (so one
 * stray meter does not zoom the map out to the world), and their count: the map's
 * first view, known before the 9 MB positions payload arrives. Null for no meters.
 */
export async function getFleetExtent(input: { filters: MapFilters; now: number }, ch?: ClickHouse): Promise<FleetExtent | null> {
  const client = ch ?? (await getClickHouse());
  const { conditions, params } = buildCellFilterConditions(input.filters, input.now);
  const [raw] = await client.queryRows<unknown>({
    query: `SELECT count() AS n, quantilesExact(0.01, 0.99)(toFloat64(lon)) AS lons, quantilesExact(0.01, 0.99)(toFloat64(lat)) AS lats
            FROM map_meter_cells FINAL WHERE 1${andAll(conditions)}`,
    params,
    tag: "map.extent",
  });
  const r = extentRowSchema.parse(raw);
  if (r.n === 0) return null;
  return { west: r.lons[0]!, east: r.lons[1]!, south: r.lats[0]!, north: r.lats[1]!, count: r.n };
}

// Positions, state bytes and gateway indices read map_meter_cells too (one typed row
// per meter, ORDER BY meter), not map_meters: GROUP BY meter over 1 M string keys there
// took up to 2.4 s per states request (per filter change) in scripts/bench-map.ts.
// The fleet version is a fingerprint of what the positions payload holds (count and
// xor of hash(meter, lon, lat)), computed in the same read as the data it describes,
// so a states payload and a positions payload agree exactly when their versions do.
const FLEET_VERSION_SQL = "concat(toString(count()), '-', toString(groupBitXor(cityHash64(meter, lon, lat))))";

/** Fleet version: changes when a meter is added or moves; keys the cached positions payload. */
export async function getFleetVersion(ch?: ClickHouse): Promise<string> {
  const client = ch ?? (await getClickHouse());
  const [row] = await client.queryRows<{ v: string }>({
    query: `SELECT ${FLEET_VERSION_SQL} AS v FROM map_meter_cells FINAL`,
    tag: "map.fleet_version",
  });
  return row?.v ?? "0-0";
}

/** Every fleet meter, sorted by id (the index order of every binary payload), with the version of exactly this list. */
export async function getFleetPositions(ch?: ClickHouse): Promise<{ ids: string[]; lon: number[]; lat: number[]; version: string }> {
  const client = ch ?? (await getClickHouse());
  const [row] = await client.queryRows<{ ids: string[]; lons: number[]; lats: number[]; v: string }>({
    query: `SELECT groupArray(meter) AS ids, groupArray(lon) AS lons, groupArray(lat) AS lats, ${FLEET_VERSION_SQL} AS v
            FROM (SELECT meter, lon, lat FROM map_meter_cells FINAL ORDER BY meter)`,
    tag: "map.fleet_positions",
  });
  return row ? { ids: row.ids, lon: row.lons, lat: row.lats, version: row.v } : { ids: [], lon: [], lat: [], version: "0-0" };
}

/** State index per fleet meter in id order; 255 where the non-state filters exclude it. `version` is the fleet version of this list. */
export async function getMapStates(input: { filters: MapFilters } & MapQueryContext, ch?: ClickHouse): Promise<{ states: Uint8Array; version: string }> {
  const client = ch ?? (await getClickHouse());
  const { conditions, params } = buildCellFilterConditions(input.filters, input.now);
  const cond = conditions.length ? conditions.join(" AND ") : "1";
  const [row] = await client.queryRows<{ s: number[]; v: string }>({
    query: `SELECT groupArray(st) AS s, ${FLEET_VERSION_SQL} AS v FROM (
              SELECT meter, lon, lat, if(${cond}, ${CELL_STATE_SQL}, 255) AS st FROM map_meter_cells FINAL ORDER BY meter)`,
    params: { ...params, staleBefore: Math.max(0, input.now - input.staleAfterMs) },
    tag: "map.states",
  });
  return { states: Uint8Array.from(row?.s ?? []), version: row?.v ?? "0-0" };
}

/** Indices (id order) of the meters whose gateway is `gw`. */
export async function getGatewayMeterIndices(gw: string, ch?: ClickHouse): Promise<Uint32Array> {
  const client = ch ?? (await getClickHouse());
  const [row] = await client.queryRows<{ idx: number[] }>({
    query: `SELECT arrayMap(i -> i - 1, arrayFilter((i, g) -> g = {gw: String}, arrayEnumerate(gws), gws)) AS idx
            FROM (SELECT groupArray(gw) AS gws FROM (SELECT meter, gw FROM map_meter_cells FINAL ORDER BY meter))`,
    params: { gw },
    tag: "map.gateway_meters",
  });
  return Uint32Array.from(row?.idx ?? []);
}

const gatewayRowSchema = z.object({
  gw: z.string(),
  name: z.string(),
  lon: z.number(),
  lat: z.number(),
  meters: z.coerce.number(),
  unhealthy: z.coerce.number(),
});

/** Gateways with the meters they serve (filters applied) and how many are unhealthy, from map_meter_cells. */
export async function getMapGateways(input: { filters: MapFilters } & MapQueryContext, ch?: ClickHouse): Promise<MapGateway[]> {
  const client = ch ?? (await getClickHouse());
  const { conditions, params } = buildCellFilterConditions(input.filters, input.now);
  const rows = await client.queryRows<unknown>({
    query: `
      SELECT g.gw AS gw, g.name AS name, g.lon AS lon, g.lat AS lat, m.meters AS meters, m.unhealthy AS unhealthy
      FROM (SELECT gw, argMax(name, updated_at) AS name, argMax(lon, updated_at) AS lon, argMax(lat, updated_at) AS lat
            FROM fleet_gateways GROUP BY gw) AS g
      INNER JOIN (
        SELECT gw, count() AS meters, countIf(${UNHEALTHY_SQL}) AS unhealthy
        FROM map_meter_cells FINAL WHERE 1${andAll(conditions)} GROUP BY gw
      ) AS m ON m.gw = g.gw
      ORDER BY gw`,
    params: { ...params, staleBefore: Math.max(0, input.now - input.staleAfterMs) },
    tag: "map.gateways",
  });
  return rows.map((r) => gatewayRowSchema.parse(r));
}

const meterFleetSchema = z.object({
  meter: z.string(),
  kind: z.string(),
  model: z.string(),
  gw: z.string(),
  zone: z.string(),
  timezone: z.string(),
  lat: z.number(),
  lon: z.number(),
  installed_at: z.string(),
  fw_metrology: z.string(),
  fw_comms: z.string(),
  hes_version: z.string(),
  cert_not_after: z.coerce.number(),
});
export type MeterFleetRow = z.infer<typeof meterFleetSchema>;

export async function getMeterFleetRow(meter: string, ch?: ClickHouse): Promise<MeterFleetRow | null> {
  const client = ch ?? (await getClickHouse());
  const rows = await client.queryRows<unknown>({
    query: `SELECT meter, kind, model, gw, zone, timezone, lat, lon, toString(installed_at) AS installed_at,
                   fw_metrology, fw_comms, hes_version, toUnixTimestamp64Milli(cert_not_after) AS cert_not_after
            FROM fleet_meters FINAL WHERE meter = {meter: String} LIMIT 1`,
    params: { meter },
    tag: "map.meter_fleet",
  });
  return rows[0] ? meterFleetSchema.parse(rows[0]) : null;
}

const meterLineSchema = z.object({
  ts: z.coerce.number(),
  code: z.string(),
  sev: z.string(),
  led: z.string(),
  gw: z.string(),
  step: z.string(),
  job: z.string(),
  msg: z.string(),
});
export type MeterLine = z.infer<typeof meterLineSchema>;

/** The meter's latest audit lines, newest first (served by the p_meter projection). */
export async function getMeterLines(meter: string, limit: number, ch?: ClickHouse): Promise<MeterLine[]> {
  const client = ch ?? (await getClickHouse());
  const rows = await client.queryRows<unknown>({
    query: `SELECT toUnixTimestamp64Milli(ts) AS ts, toString(code) AS code, toString(sev) AS sev, toString(led) AS led,
                   toString(gw) AS gw, toString(step) AS step, toString(job) AS job, msg
            FROM audit_log WHERE meter = {meter: String} ORDER BY ts DESC, id DESC LIMIT {limit: UInt32}`,
    params: { meter, limit },
    tag: "map.meter_lines",
  });
  return rows.map((r) => meterLineSchema.parse(r));
}
