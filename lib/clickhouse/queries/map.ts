// The fleet map's ClickHouse reads, all over map_meters (004_map.sql): one row per
// meter after GROUP BY meter (parts merge in the background, so a meter may still
// have a fleet row and state rows apart). Values are bound parameters; the only
// fragments are the fixed expressions below, chosen in code.
import { z } from "zod";
import { getClickHouse, type ClickHouse } from "../client";
import { FAULT_CODES } from "@/lib/map/state";
import { sinceToMs } from "@/lib/map/search-params";
import { MAP_STATES, type MapCell, type MapFilters, type MapGateway } from "@/lib/map/types";

/** One merged row per fleet meter; pos/dims/led/fault are packed as documented in 004_map.sql. */
const METER_ROWS = `
  SELECT meter, max(pos) AS p, max(dims) AS d, max(last_seen) AS ls, max(led) AS lp, max(last_clear_at) AS lc,
         max(last_gasp_at) AS lg, max(last_tamper_at) AS lt, max(fault) AS fp
  FROM map_meters GROUP BY meter HAVING p > 0`;

const LAT = "(toFloat64(bitAnd(bitShiftRight(p, 32), 4294967295)) / 10000000 - 90)";
const LON = "(toFloat64(bitAnd(p, 4294967295)) / 10000000 - 180)";

/**
 * lib/map/state.ts deriveMapState, in SQL (indices of MAP_STATES):
 * unknown 6, offline 4 (latest line LAST_GASP or LED off = LED index 1), stale 5,
 * tamper 3, red_blinking 2 (LED index 6), amber_steady 1 (LED index 3), normal 0.
 */
export const MAP_STATE_SQL = `multiIf(
  ls = 0, 6,
  lg >= ls OR lp % 8 = 1, 4,
  ls < {now: UInt64} - {staleAfterMs: UInt64}, 5,
  lt > lc, 3,
  lp % 8 = 6, 2,
  lp % 8 = 3, 1,
  0)`;

/** Positions of fields in the dims string (1-based, splitByChar). */
const DIM = { kind: 2, model: 3, gw: 4, zone: 5, fwMetrology: 6, fwComms: 7 } as const;
const dim = (k: keyof typeof DIM) => `splitByChar('|', d)[${DIM[k]}]`;

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

/** WHERE conditions for the non-state filters, with their params. */
export function buildFilterConditions(f: MapFilters, now: number): { conditions: string[]; params: Record<string, unknown> } {
  const conditions: string[] = [];
  const params: Record<string, unknown> = {};
  if (f.fault) {
    // The meter's latest fault line has this code and no clear came after it.
    const idx = (FAULT_CODES as readonly string[]).indexOf(f.fault);
    conditions.push("fp % 32 = {faultIdx: UInt8} AND intDiv(fp, 32) > lc");
    params.faultIdx = idx > 0 ? idx : 255;
  }
  for (const k of ["gw", "zone", "kind", "model"] as const) {
    const v = f[k];
    if (v) {
      conditions.push(`${dim(k)} = {${k}: String}`);
      params[k] = v;
    }
  }
  if (f.fw) {
    const [m = "", c = ""] = f.fw.split("/");
    if (m) {
      conditions.push(`${dim("fwMetrology")} = {fwMetrology: String}`);
      params.fwMetrology = m;
    }
    if (c) {
      conditions.push(`${dim("fwComms")} = {fwComms: String}`);
      params.fwComms = c;
    }
  }
  const sinceMs = sinceToMs(f.since);
  if (sinceMs !== undefined) {
    conditions.push("fp > 0 AND intDiv(fp, 32) >= {faultSince: UInt64}");
    params.faultSince = Math.max(0, now - sinceMs);
  }
  return { conditions, params };
}

function bboxCondition(b: Bbox | undefined): string {
  if (!b) return "";
  const lon = b.west <= b.east
    ? `mlon BETWEEN {west: Float64} AND {east: Float64}`
    : `(mlon >= {west: Float64} OR mlon <= {east: Float64})`; // viewport across the antimeridian
  return ` AND mlat BETWEEN {south: Float64} AND {north: Float64} AND ${lon}`;
}

const cellRowSchema = z.object({
  cx: z.coerce.number(),
  cy: z.coerce.number(),
  state: z.coerce.number(),
  n: z.coerce.number(),
  lon: z.number(),
  lat: z.number(),
});

/** Meters per grid cell and state (cells of 360 / 2^level degrees, lib/map/cells.ts). */
export async function getMapCells(
  input: { level: number; filters: MapFilters; bbox?: Bbox } & MapQueryContext,
  ch?: ClickHouse,
): Promise<MapCell[]> {
  const client = ch ?? (await getClickHouse());
  const { conditions, params } = buildFilterConditions(input.filters, input.now);
  const where = conditions.length ? `WHERE ${conditions.join(" AND ")}` : "";
  const rows = await client.queryRows<unknown>({
    query: `
      SELECT cx, cy, state, count() AS n, avg(mlon) AS lon, avg(mlat) AS lat
      FROM (
        SELECT ${LON} AS mlon, ${LAT} AS mlat, ${MAP_STATE_SQL} AS state,
               toInt32(floor((mlon + 180) / {step: Float64})) AS cx, toInt32(floor((mlat + 90) / {step: Float64})) AS cy
        FROM (${METER_ROWS}) ${where}
      )
      WHERE 1 ${bboxCondition(input.bbox)}
      GROUP BY cx, cy, state`,
    params: { ...params, ...input.bbox, step: 360 / 2 ** input.level, now: input.now, staleAfterMs: input.staleAfterMs },
    tag: "map.cells",
  });
  const cells = new Map<string, MapCell>();
  for (const raw of rows) {
    const r = cellRowSchema.parse(raw);
    const key = `${r.cx}:${r.cy}`;
    let c = cells.get(key);
    if (!c) cells.set(key, (c = { cx: r.cx, cy: r.cy, lon: 0, lat: 0, counts: MAP_STATES.map(() => 0), total: 0 }));
    c.counts[r.state] = r.n;
    c.lon = (c.lon * c.total + r.lon * r.n) / (c.total + r.n);
    c.lat = (c.lat * c.total + r.lat * r.n) / (c.total + r.n);
    c.total += r.n;
  }
  return [...cells.values()];
}

/** Fleet version: changes on every fleet sync; keys the cached positions payload. */
export async function getFleetVersion(ch?: ClickHouse): Promise<string> {
  const client = ch ?? (await getClickHouse());
  const [row] = await client.queryRows<{ n: string; at: string }>({
    query: "SELECT count() AS n, toString(toUnixTimestamp64Milli(max(updated_at))) AS at FROM fleet_meters",
    tag: "map.fleet_version",
  });
  return `${row?.n ?? 0}-${row?.at ?? 0}`;
}

/** Every fleet meter, sorted by id (the index order of every binary payload). */
export async function getFleetPositions(ch?: ClickHouse): Promise<{ ids: string[]; lon: number[]; lat: number[] }> {
  const client = ch ?? (await getClickHouse());
  const [row] = await client.queryRows<{ ids: string[]; lon: number[]; lat: number[] }>({
    query: `SELECT groupArray(meter) AS ids, groupArray(lon) AS lon, groupArray(lat) AS lat
            FROM (SELECT meter, ${LON} AS lon, ${LAT} AS lat FROM (${METER_ROWS}) ORDER BY meter)`,
    tag: "map.fleet_positions",
  });
  return row ?? { ids: [], lon: [], lat: [] };
}

/** State index per fleet meter in id order; 255 where the non-state filters exclude it. */
export async function getMapStates(input: { filters: MapFilters } & MapQueryContext, ch?: ClickHouse): Promise<Uint8Array> {
  const client = ch ?? (await getClickHouse());
  const { conditions, params } = buildFilterConditions(input.filters, input.now);
  const cond = conditions.length ? conditions.join(" AND ") : "1";
  const [row] = await client.queryRows<{ s: number[] }>({
    query: `SELECT groupArray(s) AS s FROM (
              SELECT meter, if(${cond}, ${MAP_STATE_SQL}, 255) AS s FROM (${METER_ROWS}) ORDER BY meter)`,
    params: { ...params, now: input.now, staleAfterMs: input.staleAfterMs },
    tag: "map.states",
  });
  return Uint8Array.from(row?.s ?? []);
}

/** Indices (id order) of the meters whose gateway is `gw`. */
export async function getGatewayMeterIndices(gw: string, ch?: ClickHouse): Promise<Uint32Array> {
  const client = ch ?? (await getClickHouse());
  const [row] = await client.queryRows<{ idx: number[] }>({
    query: `SELECT arrayMap(i -> i - 1, arrayFilter((i, g) -> g = {gw: String}, arrayEnumerate(gws), gws)) AS idx
            FROM (SELECT groupArray(g) AS gws FROM (SELECT meter, ${dim("gw")} AS g FROM (${METER_ROWS}) ORDER BY meter))`,
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

/** Gateways with the meters they serve (filters applied) and how many are unhealthy. */
export async function getMapGateways(input: { filters: MapFilters } & MapQueryContext, ch?: ClickHouse): Promise<MapGateway[]> {
  const client = ch ?? (await getClickHouse());
  const { conditions, params } = buildFilterConditions(input.filters, input.now);
  const where = conditions.length ? `WHERE ${conditions.join(" AND ")}` : "";
  const rows = await client.queryRows<unknown>({
    query: `
      SELECT g.gw AS gw, g.name AS name, g.lon AS lon, g.lat AS lat, m.meters AS meters, m.unhealthy AS unhealthy
      FROM (SELECT gw, argMax(name, updated_at) AS name, argMax(lon, updated_at) AS lon, argMax(lat, updated_at) AS lat
            FROM fleet_gateways GROUP BY gw) AS g
      INNER JOIN (
        SELECT ${dim("gw")} AS gw, count() AS meters, countIf(${MAP_STATE_SQL} IN (1, 2, 3, 4)) AS unhealthy
        FROM (${METER_ROWS}) ${where} GROUP BY gw
      ) AS m ON m.gw = g.gw
      ORDER BY gw`,
    params: { ...params, now: input.now, staleAfterMs: input.staleAfterMs },
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
