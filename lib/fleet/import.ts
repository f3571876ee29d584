// Fleet import from CSV (format: docs/fleet-csv.md). All or nothing: every row
// is validated first and every bad row reported with its line and reason; if
// any row is bad, nothing is written. Good files are upserted in one Prisma
// transaction, then copied to ClickHouse (fleet_meters / fleet_gateways).
import type { PrismaClient } from "@/lib/generated/prisma/client";
import type { ClickHouse } from "@/lib/clickhouse/client";
import { insertFleetGateways, insertFleetMeters } from "@/lib/clickhouse/queries/fleet";
import { TEXAS } from "@/lib/simulator/region";
import { CsvSyntaxError, parseCsv } from "./csv";
import { upsertGateways, upsertMeters, upsertZones } from "./store";
import { GATEWAY_ID_RE, isMeterKind, kindOfMeterId, METER_ID_RE } from "./ids";
import type { FleetGatewayRow, FleetMeterRow, FleetZoneRow } from "./types";

export const METER_COLUMNS = {
  required: ["id", "kind", "model", "latitude", "longitude", "gateway", "installed_at", "climate_zone", "fw_metrology", "fw_comms", "hes_version", "cert_not_after", "timezone"],
  optional: ["last_verified_at", "pulse_constant", "gain_correction", "phase_correction_deg"],
} as const;

export const GATEWAY_COLUMNS = {
  required: ["id", "name", "latitude", "longitude", "backhaul", "max_sessions", "timezone", "climate_zone"],
  optional: [] as string[],
} as const;

/** Zones an import may reference without creating them first (the simulator's thermal-stress classes). */
export const BUILTIN_ZONES: FleetZoneRow[] = TEXAS.climateZones.map((z) => ({
  id: z.id,
  name: z.id.replace(/(^|-)([a-z])/g, (_m, dash: string, ch: string) => (dash ? "-" : "") + ch.toUpperCase()),
  thermalStressFactor: z.thermalStressFactor,
}));

export interface ImportError {
  file: "meters" | "gateways";
  line: number;
  id?: string;
  reason: string;
}

export type ImportResult =
  { ok: true; meters: number; gateways: number; zonesCreated: string[]; prismaMs: number; clickhouseMs: number } | { ok: false; errors: ImportError[]; rows: number };

const SEMVER_RE = /^\d+\.\d+\.\d+$/;
const ISO_RE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

function parseTime(v: string): Date | null {
  if (!ISO_RE.test(v)) return null;
  const d = new Date(v.length === 10 ? v + "T00:00:00Z" : v);
  return Number.isNaN(d.getTime()) ? null : d;
}

const tzCache = new Map<string, boolean>();
function isTimezone(tz: string): boolean {
  let ok = tzCache.get(tz);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat("en", { timeZone: tz });
      ok = /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)+$/.test(tz) || tz === "UTC";
    } catch {
      ok = false;
    }
    tzCache.set(tz, ok);
  }
  return ok;
}

function num(v: string, min: number, max: number): number | null {
  if (!/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v)) return null;
  const x = Number(v);
  return x >= min && x <= max ? x : null;
}

interface Table {
  rows: { line: number; get: (col: string) => string }[];
  headerErrors: string[];
}

function readTable(text: string, columns: { required: readonly string[]; optional: readonly string[] }): Table {
  const records = parseCsv(text);
  if (!records.length) return { rows: [], headerErrors: ["the file is empty: expected a header line"] };
  const header = records[0]!.fields.map((h) => h.trim().toLowerCase());
  const errors: string[] = [];
  const known = new Set<string>([...columns.required, ...columns.optional]);
  const missing = columns.required.filter((c) => !header.includes(c));
  if (missing.length) errors.push(`missing column(s): ${missing.join(", ")}`);
  const unknown = header.filter((h) => !known.has(h));
  if (unknown.length) errors.push(`unknown column(s): ${unknown.join(", ")}`);
  const dupes = header.filter((h, i) => header.indexOf(h) !== i);
  if (dupes.length) errors.push(`repeated column(s): ${dupes.join(", ")}`);
  const index = new Map(header.map((h, i) => [h, i]));
  const rows = records.slice(1).map((r) => ({
    line: r.line,
    width: r.fields.length,
    get: (col: string) => {
      const i = index.get(col);
      return i === undefined ? "" : (r.fields[i] ?? "").trim();
    },
  }));
  // A row with a different number of fields is reported by the caller through `get` returning "".
  return {
    rows: rows.map((r) => ({ line: r.line, get: r.width === header.length ? r.get : () => `\u0000width:${r.width}:${header.length}` })),
    headerErrors: errors,
  };
}

function widthError(v: string): string | null {
  if (!v.startsWith("\u0000width:")) return null;
  const [, got, want] = v.split(":");
  return `has ${got} fields, the header has ${want}`;
}

export interface ParsedImport {
  meters: FleetMeterRow[];
  gateways: FleetGatewayRow[];
  errors: ImportError[];
  /** Gateway and zone ids the rows reference that the files themselves do not define. */
  referencedGateways: Map<string, number[]>;
  referencedZones: Map<string, { file: "meters" | "gateways"; line: number }[]>;
}

/** Validate the CSV text; no I/O. References to gateways/zones outside the files are returned for a database check. */
export function parseFleetCsv(input: { metersCsv: string; gatewaysCsv?: string }): ParsedImport {
  const errors: ImportError[] = [];
  const gateways: FleetGatewayRow[] = [];
  const meters: FleetMeterRow[] = [];
  const referencedGateways = new Map<string, number[]>();
  const referencedZones = new Map<string, { file: "meters" | "gateways"; line: number }[]>();
  const refZone = (zone: string, file: "meters" | "gateways", line: number) => {
    if (!referencedZones.has(zone)) referencedZones.set(zone, []);
    referencedZones.get(zone)!.push({ file, line });
  };

  const gatewayIds = new Set<string>();
  if (input.gatewaysCsv !== undefined) {
    let table: Table;
    try {
      table = readTable(input.gatewaysCsv, GATEWAY_COLUMNS);
    } catch (e) {
      if (!(e instanceof CsvSyntaxError)) throw e;
      return { meters, gateways, errors: [{ file: "gateways", line: e.line, reason: e.message.replace(/^line \d+: /, "") }], referencedGateways, referencedZones };
    }
    for (const reason of table.headerErrors) errors.push({ file: "gateways", line: 1, reason });
    if (!table.headerErrors.length) {
      for (const r of table.rows) {
        const problems: string[] = [];
        const width = widthError(r.get("id"));
        const id = r.get("id");
        if (width) {
          errors.push({ file: "gateways", line: r.line, reason: width });
          continue;
        }
        if (!GATEWAY_ID_RE.test(id)) problems.push(`id "${id}" is not a gateway id like GW-0042`);
        else if (gatewayIds.has(id)) problems.push(`id ${id} appears twice in the file`);
        const name = r.get("name");
        if (!name) problems.push("name is empty");
        const lat = num(r.get("latitude"), -90, 90);
        if (lat === null) problems.push(`latitude "${r.get("latitude")}" is not a number in -90..90`);
        const lon = num(r.get("longitude"), -180, 180);
        if (lon === null) problems.push(`longitude "${r.get("longitude")}" is not a number in -180..180`);
        const backhaul = r.get("backhaul");
        if (backhaul !== "mesh" && backhaul !== "cellular") problems.push(`backhaul "${backhaul}" is not mesh or cellular`);
        const sessions = num(r.get("max_sessions"), 1, 10_000);
        if (sessions === null || !Number.isInteger(sessions)) problems.push(`max_sessions "${r.get("max_sessions")}" is not a whole number in 1..10000`);
        const tz = r.get("timezone");
        if (!isTimezone(tz)) problems.push(`timezone "${tz}" is not an IANA time zone like America/Chicago`);
        const zone = r.get("climate_zone");
        if (!zone) problems.push("climate_zone is empty");
        if (problems.length) {
          errors.push({ file: "gateways", line: r.line, id: id || undefined, reason: problems.join("; ") });
          continue;
        }
        gatewayIds.add(id);
        refZone(zone, "gateways", r.line);
        gateways.push({
          id,
          name,
          latitude: lat!,
          longitude: lon!,
          backhaul: backhaul as "mesh" | "cellular",
          maxConcurrentSessions: sessions!,
          timezone: tz,
          climateZoneId: zone,
        });
      }
    }
  }

  let table: Table;
  try {
    table = readTable(input.metersCsv, METER_COLUMNS);
  } catch (e) {
    if (!(e instanceof CsvSyntaxError)) throw e;
    errors.push({ file: "meters", line: e.line, reason: e.message.replace(/^line \d+: /, "") });
    return { meters, gateways, errors, referencedGateways, referencedZones };
  }
  for (const reason of table.headerErrors) errors.push({ file: "meters", line: 1, reason });
  if (table.headerErrors.length) return { meters, gateways, errors, referencedGateways, referencedZones };
  if (!table.rows.length) errors.push({ file: "meters", line: 1, reason: "no meter rows after the header" });
  const meterIds = new Set<string>();
  for (const r of table.rows) {
    const id = r.get("id");
    const width = widthError(id);
    if (width) {
      errors.push({ file: "meters", line: r.line, reason: width });
      continue;
    }
    const problems: string[] = [];
    const kind = r.get("kind");
    if (!METER_ID_RE.test(id)) problems.push(`id "${id}" is not a meter id like EM-0012345 (two capital letters, a dash, 4-10 digits)`);
    else if (meterIds.has(id)) problems.push(`id ${id} appears twice in the file`);
    else if (kindOfMeterId(id) === null) problems.push(`id prefix ${id.slice(0, 2)} is not a meter kind's (EM electric, GM gas, WM water)`);
    else if (kindOfMeterId(id) !== kind && isMeterKind(kind)) problems.push(`id prefix ${id.slice(0, 2)} does not match kind ${kind}`);
    if (!isMeterKind(kind)) problems.push(`kind "${kind}" is not electric, gas or water`);
    const model = r.get("model");
    if (!model) problems.push("model is empty");
    const lat = num(r.get("latitude"), -90, 90);
    if (lat === null) problems.push(`latitude "${r.get("latitude")}" is not a number in -90..90`);
    const lon = num(r.get("longitude"), -180, 180);
    if (lon === null) problems.push(`longitude "${r.get("longitude")}" is not a number in -180..180`);
    const gw = r.get("gateway");
    if (!GATEWAY_ID_RE.test(gw)) problems.push(`gateway "${gw}" is not a gateway id like GW-0042`);
    const installedAt = parseTime(r.get("installed_at"));
    if (!installedAt) problems.push(`installed_at "${r.get("installed_at")}" is not an ISO 8601 date or time with zone`);
    const zone = r.get("climate_zone");
    if (!zone) problems.push("climate_zone is empty");
    for (const col of ["fw_metrology", "fw_comms", "hes_version"]) {
      if (!SEMVER_RE.test(r.get(col))) problems.push(`${col} "${r.get(col)}" is not a version like 3.4.1`);
    }
    const cert = parseTime(r.get("cert_not_after"));
    if (!cert) problems.push(`cert_not_after "${r.get("cert_not_after")}" is not an ISO 8601 date or time with zone`);
    const verifiedText = r.get("last_verified_at");
    const verified = verifiedText ? parseTime(verifiedText) : null;
    if (verifiedText && !verified) problems.push(`last_verified_at "${verifiedText}" is not an ISO 8601 date or time with zone`);
    const tz = r.get("timezone");
    if (!isTimezone(tz)) problems.push(`timezone "${tz}" is not an IANA time zone like America/Chicago`);
    const constants: Record<string, number> = {};
    for (const [col, key, min, max] of [
      ["pulse_constant", "pulseConstant", 1e-6, 1e7],
      ["gain_correction", "gainCorrection", 0.5, 1.5],
      ["phase_correction_deg", "phaseCorrectionDeg", -10, 10],
    ] as const) {
      const v = r.get(col);
      if (!v) continue;
      const x = num(v, min, max);
      if (x === null) problems.push(`${col} "${v}" is not a number in ${min}..${max}`);
      else constants[key] = x;
    }
    if (installedAt && installedAt.getTime() > Date.now() + 86_400_000) problems.push("installed_at is in the future");
    if (problems.length) {
      errors.push({ file: "meters", line: r.line, id: id || undefined, reason: problems.join("; ") });
      continue;
    }
    meterIds.add(id);
    if (!gatewayIds.has(gw)) {
      if (!referencedGateways.has(gw)) referencedGateways.set(gw, []);
      referencedGateways.get(gw)!.push(r.line);
    }
    refZone(zone, "meters", r.line);
    meters.push({
      id,
      kind: kind as FleetMeterRow["kind"],
      model,
      latitude: lat!,
      longitude: lon!,
      gatewayId: gw,
      installedAt: installedAt!,
      climateZoneId: zone,
      timezone: tz,
      fwMetrology: r.get("fw_metrology"),
      fwComms: r.get("fw_comms"),
      hesVersion: r.get("hes_version"),
      certNotAfter: cert!,
      lastVerifiedAt: verified,
      metrologyConstants: constants,
    });
  }
  return { meters, gateways, errors, referencedGateways, referencedZones };
}

export interface ImportFleetOptions {
  metersCsv: string;
  gatewaysCsv?: string;
  db: PrismaClient;
  ch: ClickHouse;
}

/** Validate, then write everything or nothing. */
export async function importFleet({ metersCsv, gatewaysCsv, db, ch }: ImportFleetOptions): Promise<ImportResult> {
  const parsed = parseFleetCsv({ metersCsv, gatewaysCsv });
  const errors = [...parsed.errors];

  // References outside the files must exist in the database (zones may also be built-in).
  const gwRefs = [...parsed.referencedGateways.keys()];
  const knownGateways = new Set(gwRefs.length ? (await db.gateway.findMany({ where: { id: { in: gwRefs } }, select: { id: true } })).map((g) => g.id) : []);
  for (const [gw, lines] of parsed.referencedGateways) {
    if (knownGateways.has(gw)) continue;
    for (const line of lines) errors.push({ file: "meters", line, reason: `gateway ${gw} does not exist: add it to a gateways CSV (--gateways) or import it first` });
  }
  const zoneRefs = [...parsed.referencedZones.keys()];
  const knownZones = new Set((await db.climateZone.findMany({ where: { id: { in: zoneRefs } }, select: { id: true } })).map((z) => z.id));
  const zonesToCreate: FleetZoneRow[] = [];
  for (const [zone, refs] of parsed.referencedZones) {
    if (knownZones.has(zone)) continue;
    const builtin = BUILTIN_ZONES.find((z) => z.id === zone);
    if (builtin) {
      zonesToCreate.push(builtin);
      continue;
    }
    for (const ref of refs) {
      errors.push({ file: ref.file, line: ref.line, reason: `climate_zone "${zone}" does not exist (built-in zones: ${BUILTIN_ZONES.map((z) => z.id).join(", ")})` });
    }
  }
  if (errors.length) {
    errors.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file === "gateways" ? -1 : 1));
    return { ok: false, errors: mergeByLine(errors), rows: parsed.meters.length + parsed.gateways.length };
  }

  let t0 = performance.now();
  await db.$transaction(
    async (tx) => {
      await upsertZones(tx, zonesToCreate);
      await upsertGateways(tx, parsed.gateways);
      await upsertMeters(tx, parsed.meters);
    },
    { timeout: 30 * 60_000, maxWait: 60_000 },
  );
  const prismaMs = performance.now() - t0;
  t0 = performance.now();
  await syncToClickHouse(
    db,
    ch,
    parsed.meters.map((m) => m.id),
    parsed.gateways.map((g) => g.id),
  );
  return {
    ok: true,
    meters: parsed.meters.length,
    gateways: parsed.gateways.length,
    zonesCreated: zonesToCreate.map((z) => z.id),
    prismaMs,
    clickhouseMs: performance.now() - t0,
  };
}

/** One entry per (file, line): a row failing several checks reads as one line of the report. */
function mergeByLine(errors: ImportError[]): ImportError[] {
  const out: ImportError[] = [];
  for (const e of errors) {
    const last = out[out.length - 1];
    if (last && last.file === e.file && last.line === e.line) last.reason += "; " + e.reason;
    else out.push({ ...e });
  }
  return out;
}

/**
 * Copy meters and gateways from Prisma to ClickHouse, reading back what was
 * committed (existing constants and all). Without ids: the whole fleet (repair).
 */
export async function syncToClickHouse(db: PrismaClient, ch: ClickHouse, meterIds?: string[], gatewayIds?: string[]): Promise<{ meters: number; gateways: number }> {
  const gateways = await db.gateway.findMany({ where: gatewayIds ? { id: { in: gatewayIds } } : undefined });
  await insertFleetGateways(gateways, ch);
  let meters = 0;
  const PAGE = 20_000;
  if (meterIds) {
    for (let i = 0; i < meterIds.length; i += PAGE) {
      const page = await db.meter.findMany({ where: { id: { in: meterIds.slice(i, i + PAGE) } } });
      await insertFleetMeters(page, ch);
      meters += page.length;
    }
  } else {
    let cursor: string | undefined;
    for (;;) {
      const page = await db.meter.findMany({ take: PAGE, orderBy: { id: "asc" }, ...(cursor ? { skip: 1, cursor: { id: cursor } } : {}) });
      if (!page.length) break;
      await insertFleetMeters(page, ch);
      meters += page.length;
      cursor = page[page.length - 1]!.id;
    }
  }
  return { meters, gateways: gateways.length };
}
