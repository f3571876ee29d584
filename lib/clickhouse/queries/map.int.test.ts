import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClickHouse, type ClickHouse } from "../client";
import { getMigrationsDir, runClickHouseMigrations } from "../migrate";
import { getFleetExtent, getFleetPositions, getFleetVersion, getGatewayMeterIndices, getMapCells, getMapGateways, getMapStates, getMeterLines } from "./map";
import { syncMapCells } from "@/lib/map/server/cells-sync";
import { CELL_LEVELS, cellOf, stepForLevel } from "@/lib/map/cells";
import { deriveMapState, applyLineToFacts, type MeterMapFacts } from "@/lib/map/state";
import { MAP_STATES } from "@/lib/map/types";
import type { AuditRecord } from "@/lib/audit/record";
import { auditLogRow } from "@/lib/testing/factories";
import { Random } from "@/lib/simulator/random";

let dir: string;
let ch: ClickHouse;
const NOW = Date.UTC(2026, 10, 25, 3, 0, 0);
const STALE = 86_400_000;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ch-map-"));
  ch = await createClickHouse({ path: path.join(dir, "ch"), database: "ami", queryTimeoutMs: 30_000 });
  await runClickHouseMigrations(ch);
});
afterAll(async () => {
  await ch?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function fleetRow(p: Partial<Record<string, unknown>> & { meter: string; lat: number; lon: number }) {
  return {
    kind: "electric",
    model: "X1",
    gw: "GW-0001",
    zone: "Coastal",
    timezone: "UTC",
    installed_at: "2020-01-01 00:00:00",
    fw_metrology: "1.2.0",
    fw_comms: "3.1.0",
    hes_version: "4.2.0",
    cert_not_after: NOW + 365 * 86_400_000,
    updated_at: NOW - 3_600_000,
    ...p,
  };
}
let nextId = 1;
function line(p: { meter: string; ts: number; code: string; sev: string; led?: string; gw?: string }) {
  const id = nextId++;
  const fields = { meter: p.meter, ts: p.ts, code: p.code, sev: p.sev, led: p.led ?? "", gw: p.gw ?? "GW-0001" } as Partial<AuditRecord>;
  return auditLogRow({ ...fields, msg: `line ${id}`, id: String(id), source: "test" });
}

describe("map queries on chDB", () => {
  const meters: { id: string; lat: number; lon: number; gw: string; kind: string; facts: MeterMapFacts; lines: ReturnType<typeof line>[] }[] = [];

  beforeAll(async () => {
    // Seeded so the fixture is varied but reproducible.
    const random = new Random(42);
    const r = () => random.float();
    const scenarios = [
      [],
      [{ code: "HEARTBEAT", sev: "debug", led: "green_steady", age: 60_000 }],
      [{ code: "E105", sev: "error", led: "amber_steady", age: 60_000 }],
      [{ code: "E001", sev: "critical", led: "red_blinking", age: 30_000 }],
      [
        { code: "HEARTBEAT", sev: "debug", led: "green_steady", age: 90_000 },
        { code: "E042", sev: "critical", led: "", age: 10_000 },
      ],
      [{ code: "LAST_GASP", sev: "warn", led: "", age: 5_000 }],
      [{ code: "E105", sev: "error", led: "amber_steady", age: 3 * 86_400_000 }],
      [
        { code: "E042", sev: "critical", led: "", age: 50_000 },
        { code: "HEARTBEAT", sev: "debug", led: "", age: 20_000 },
      ],
    ] as const;
    const fleet = [];
    const lines = [];
    for (let i = 0; i < 400; i++) {
      const id = `EM-${String(i).padStart(7, "0")}`;
      // Spread over a few regions, including both sides of the antimeridian.
      const region = i % 3;
      const lon = region === 0 ? -120 + r() * 30 : region === 1 ? 5 + r() * 10 : r() < 0.5 ? 178 + r() * 1.9 : -179.9 + r() * 2;
      const lat = region === 0 ? 30 + r() * 15 : region === 1 ? 45 + r() * 8 : -17 - r() * 2;
      const gw = `GW-000${i % 4}`;
      const kind = i % 5 === 0 ? "gas" : "electric";
      fleet.push(fleetRow({ meter: id, lat, lon, gw, kind }));
      let facts: MeterMapFacts = { lastSeen: 0, led: "", lastClearAt: 0, lastGaspAt: 0, lastTamperAt: 0 };
      const ml = [];
      for (const s of scenarios[Math.floor(r() * scenarios.length)]!) {
        const l = line({ meter: id, ts: NOW - s.age, code: s.code, sev: s.sev, led: s.led, gw });
        ml.push(l);
        facts = applyLineToFacts(facts, { ts: l.ts, code: l.code, sev: l.sev, led: l.led });
      }
      lines.push(...ml);
      meters.push({ id, lat, lon, gw, kind, facts, lines: ml });
    }
    // Two inserts each, so parts stay unmerged like in production.
    await ch.insertRows({ table: "fleet_meters", values: fleet.slice(0, 200) });
    await ch.insertRows({ table: "fleet_meters", values: fleet.slice(200) });
    await ch.insertRows({ table: "audit_log", values: lines.slice(0, 150) });
    await ch.insertRows({ table: "audit_log", values: lines.slice(150) });
    // A line for a meter outside the fleet must not appear on the map.
    await ch.insertRows({ table: "audit_log", values: [line({ meter: "EM-9999999", ts: NOW, code: "E001", sev: "critical", led: "red_blinking" })] });
    await ch.insertRows({
      table: "fleet_gateways",
      values: [0, 1, 2, 3].map((g) => ({
        gw: `GW-000${g}`,
        name: `Gateway ${g}`,
        lat: 40 + g,
        lon: -100 + g,
        backhaul: "lte",
        max_sessions: 100,
        zone: "Coastal",
        timezone: "UTC",
      })),
    });
    // map_meter_cells is empty on this fresh database: the first sync builds it.
    expect(await syncMapCells(ch, { settleMs: 0 })).toEqual({ refreshed: "all" });
  });

  const expectedState = (m: (typeof meters)[number]) => MAP_STATES.indexOf(deriveMapState(m.facts, NOW, STALE));

  /** Counts per cell key and state, computed here from the fixture with lib/map/state.ts. */
  function expectedCells(level: number, keep: (m: (typeof meters)[number]) => boolean = () => true, now = NOW) {
    const expected = new Map<string, number[]>();
    for (const m of meters) {
      if (!keep(m)) continue;
      const { cx, cy } = cellOf(m.lon, m.lat, level);
      const k = `${cx}:${cy}`;
      if (!expected.has(k))
        expected.set(
          k,
          MAP_STATES.map(() => 0),
        );
      expected.get(k)![MAP_STATES.indexOf(deriveMapState(m.facts, now, STALE))]!++;
    }
    return expected;
  }
  const byKey = (cells: Awaited<ReturnType<typeof getMapCells>>) => new Map(cells.map((c) => [`${c.cx}:${c.cy}`, c.counts]));

  it("counts per cell and per state equal the counts computed from the inserted rows", async () => {
    for (const level of CELL_LEVELS) {
      const cells = await getMapCells({ level, filters: { states: [] }, now: NOW, staleAfterMs: STALE }, ch);
      expect(byKey(cells)).toEqual(expectedCells(level));
      for (const c of cells) expect(c.total).toBe(c.counts.reduce((a, b) => a + b, 0));
    }
    for (const level of [3, 6, 9]) {
      const cells = await getMapCells({ level, filters: { states: [] }, now: NOW, staleAfterMs: STALE }, ch);
      const expected = new Map<string, number[]>();
      for (const m of meters) {
        const { cx, cy } = cellOf(m.lon, m.lat, level);
        const k = `${cx}:${cy}`;
        if (!expected.has(k))
          expected.set(
            k,
            MAP_STATES.map(() => 0),
          );
        expected.get(k)![expectedState(m)]!++;
      }
      const got = new Map(cells.map((c) => [`${c.cx}:${c.cy}`, c.counts]));
      expect(got).toEqual(expected);
      expect(cells.reduce((a, c) => a + c.total, 0)).toBe(meters.length);
      expect(stepForLevel(level)).toBeGreaterThan(0);
    }
    // Every state occurs in the fixture, so a broken rule cannot hide behind zero counts.
    const perState = MAP_STATES.map((_, s) => meters.filter((m) => expectedState(m) === s).length);
    expect(perState.every((n) => n > 0)).toBe(true);
  });

  it("cells with filters (kind, open fault, gateway, fault window) equal the computed counts", async () => {
    const openFault = (m: (typeof meters)[number], code: string) => {
      const faults = m.lines.filter((l) => ["warn", "error", "critical"].includes(l.sev)).sort((a, b) => b.ts - a.ts);
      return faults[0]?.code === code && faults[0].ts > m.facts.lastClearAt;
    };
    const cases: [Parameters<typeof getMapCells>[0]["filters"], (m: (typeof meters)[number]) => boolean][] = [
      [{ states: [], kind: "gas" }, (m) => m.kind === "gas"],
      [{ states: [], kind: "electric", fault: "E105" }, (m) => m.kind === "electric" && openFault(m, "E105")],
      [{ states: [], gw: "GW-0002", fault: "E001" }, (m) => m.gw === "GW-0002" && openFault(m, "E001")],
      [{ states: [], since: "1h" }, (m) => m.lines.some((l) => ["warn", "error", "critical"].includes(l.sev) && l.ts >= NOW - 3_600_000)],
    ];
    for (const [filters, keep] of cases) {
      expect(meters.some(keep)).toBe(true);
      for (const level of [4, 9]) {
        const cells = await getMapCells({ level, filters, now: NOW, staleAfterMs: STALE }, ch);
        expect(byKey(cells)).toEqual(expectedCells(level, keep));
      }
    }
  });

  it("the first view's box is the 1st-99th percentile of the filtered meters' positions, with their count", async () => {
    const expectBox = (keep: (m: (typeof meters)[number]) => boolean) => {
      const kept = meters.filter(keep);
      // The stored positions are Float32.
      const lons = kept.map((m) => Math.fround(m.lon)).sort((a, b) => a - b);
      const lats = kept.map((m) => Math.fround(m.lat)).sort((a, b) => a - b);
      // The element at floor(p * n), as fitToFleet picks it from its sample.
      const q = (a: number[], p: number) => a[Math.floor(p * a.length)]!;
      return { west: q(lons, 0.01), east: q(lons, 0.99), south: q(lats, 0.01), north: q(lats, 0.99), count: kept.length };
    };
    expect(await getFleetExtent({ filters: { states: [] }, now: NOW }, ch)).toEqual(expectBox(() => true));
    expect(await getFleetExtent({ filters: { states: [], kind: "gas", gw: "GW-0001" }, now: NOW }, ch)).toEqual(expectBox((m) => m.kind === "gas" && m.gw === "GW-0001"));
    expect(await getFleetExtent({ filters: { states: [], gw: "GW-9999" }, now: NOW }, ch)).toBeNull();
  });

  it("stale is decided at read time from `now`, not when the row was refreshed", async () => {
    const later = NOW + 2 * STALE;
    const cells = await getMapCells({ level: 6, filters: { states: [] }, now: later, staleAfterMs: STALE }, ch);
    expect(byKey(cells)).toEqual(expectedCells(6, () => true, later));
    expect(cells.reduce((a, c) => a + c.counts[MAP_STATES.indexOf("stale")]!, 0)).toBeGreaterThan(0);
  });

  it("a bbox across the antimeridian keeps both sides", async () => {
    const cells = await getMapCells({ level: 9, filters: { states: [] }, bbox: { west: 170, south: -25, east: -170, north: -10 }, now: NOW, staleAfterMs: STALE }, ch);
    expect(cells.reduce((a, c) => a + c.total, 0)).toBe(meters.filter((m) => m.lat < -10).length);
  });

  it("positions and states come in id order and agree with the fleet", async () => {
    const pos = await getFleetPositions(ch);
    const sorted = [...meters].sort((a, b) => a.id.localeCompare(b.id));
    expect(pos.ids).toEqual(sorted.map((m) => m.id));
    // Float32 (map_meter_cells, and the payload the browser gets): ~1e-5 degrees near 180, about a metre.
    pos.lon.forEach((lon, i) => expect(Math.abs(lon - sorted[i]!.lon)).toBeLessThan(2e-5));
    pos.lat.forEach((lat, i) => expect(Math.abs(lat - sorted[i]!.lat)).toBeLessThan(2e-5));
    const { states, version } = await getMapStates({ filters: { states: [] }, now: NOW, staleAfterMs: STALE }, ch);
    expect(Array.from(states)).toEqual(sorted.map(expectedState));
    // One fleet version for the positions, the states and the standalone check: they describe the same list.
    expect(version).toMatch(/^400-\d+$/);
    expect(pos.version).toBe(version);
    expect(await getFleetVersion(ch)).toBe(version);
  });

  it("filters by gateway, kind, fault code and fault window", async () => {
    const sorted = [...meters].sort((a, b) => a.id.localeCompare(b.id));
    const check = async (filters: Parameters<typeof getMapStates>[0]["filters"], keep: (m: (typeof meters)[number]) => boolean) => {
      const { states } = await getMapStates({ filters, now: NOW, staleAfterMs: STALE }, ch);
      expect(Array.from(states)).toEqual(sorted.map((m) => (keep(m) ? expectedState(m) : 255)));
      expect(sorted.some(keep)).toBe(true);
    };
    await check({ states: [], gw: "GW-0002" }, (m) => m.gw === "GW-0002");
    await check({ states: [], kind: "gas", gw: "GW-0000" }, (m) => m.kind === "gas" && m.gw === "GW-0000");
    // Open E105: its latest fault line is E105 and no clear after it.
    await check({ states: [], fault: "E105" }, (m) => {
      const faults = m.lines.filter((l) => ["warn", "error", "critical"].includes(l.sev)).sort((a, b) => b.ts - a.ts);
      return faults[0]?.code === "E105" && faults[0].ts > m.facts.lastClearAt;
    });
    await check({ states: [], since: "1h" }, (m) => m.lines.some((l) => ["warn", "error", "critical"].includes(l.sev) && l.ts >= NOW - 3_600_000));
    const indices = await getGatewayMeterIndices("GW-0003", ch);
    expect(Array.from(indices)).toEqual(sorted.flatMap((m, i) => (m.gw === "GW-0003" ? [i] : [])));
  });

  it("gateways carry meters served and unhealthy share", async () => {
    const gws = await getMapGateways({ filters: { states: [] }, now: NOW, staleAfterMs: STALE }, ch);
    expect(gws.map((g) => g.gw)).toEqual(["GW-0000", "GW-0001", "GW-0002", "GW-0003"]);
    for (const g of gws) {
      const mine = meters.filter((m) => m.gw === g.gw);
      expect(g.meters).toBe(mine.length);
      expect(g.unhealthy).toBe(mine.filter((m) => [1, 2, 3, 4].includes(expectedState(m))).length);
    }
  });

  it("meter lines newest first", async () => {
    const m = meters.find((x) => x.lines.length === 2)!;
    const lines = await getMeterLines(m.id, 10, ch);
    expect(lines.map((l) => l.code)).toEqual([...m.lines].sort((a, b) => b.ts - a.ts).map((l) => l.code));
  });

  it("a sync after new lines and a moved meter refreshes just those meters", async () => {
    const target = meters.find((m) => deriveMapState(m.facts, NOW, STALE) === "normal")!;
    const moved = meters.find((m) => m !== target && m.lon < -100)!;
    const versionBefore = await getFleetVersion(ch);
    const l = line({ meter: target.id, ts: NOW + 1_000, code: "E001", sev: "critical", led: "red_blinking", gw: target.gw });
    await ch.insertRows({ table: "audit_log", values: [l] });
    target.lines.push(l);
    target.facts = applyLineToFacts(target.facts, { ts: l.ts, code: l.code, sev: l.sev, led: l.led });
    await ch.insertRows({ table: "fleet_meters", values: [fleetRow({ meter: moved.id, lat: moved.lat, lon: 60, gw: moved.gw, kind: moved.kind, updated_at: NOW })] });
    moved.lon = 60;
    // Before the sync the table still shows the old state: the refresh, not the read, brings it in.
    const stale = await getMapCells({ level: 9, filters: { states: [] }, now: NOW + 1_000, staleAfterMs: STALE }, ch);
    expect(byKey(stale)).not.toEqual(expectedCells(9, () => true, NOW + 1_000));
    expect(await syncMapCells(ch, { settleMs: 0 })).toEqual({ refreshed: 2 });
    // The moved meter changes the fleet version (the page reloads positions); the new state alone would not.
    const versionAfter = await getFleetVersion(ch);
    expect(versionAfter).not.toBe(versionBefore);
    const pos = await getFleetPositions(ch);
    expect(pos.version).toBe(versionAfter);
    expect(pos.lon[pos.ids.indexOf(moved.id)]).toBeCloseTo(60, 5);
    const { states } = await getMapStates({ filters: { states: [] }, now: NOW + 1_000, staleAfterMs: STALE }, ch);
    expect(states[pos.ids.indexOf(target.id)]).toBe(MAP_STATES.indexOf("red_blinking"));
    for (const level of [3, 9, 16]) {
      const cells = await getMapCells({ level, filters: { states: [] }, now: NOW + 1_000, staleAfterMs: STALE }, ch);
      expect(byKey(cells)).toEqual(expectedCells(level, () => true, NOW + 1_000));
    }
    expect(await syncMapCells(ch, { settleMs: 0 })).toEqual({ refreshed: 0 });
  });
});

describe("004_map backfill", () => {
  it("a database that had fleet and lines before 004 shows them on the map after it", async () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "ch-map-bf-"));
    const before = path.join(d, "before");
    fs.mkdirSync(before);
    for (const f of fs.readdirSync(getMigrationsDir())) if (f < "004") fs.copyFileSync(path.join(getMigrationsDir(), f), path.join(before, f));
    // chDB binds one data directory per process: a second database in it instead.
    const c = await createClickHouse({ path: path.join(dir, "ch"), database: "ami_backfill", queryTimeoutMs: 30_000 });
    try {
      await runClickHouseMigrations(c, { dir: before });
      await c.insertRows({ table: "fleet_meters", values: [fleetRow({ meter: "EM-0000001", lat: 40, lon: -100 }), fleetRow({ meter: "EM-0000002", lat: 41, lon: -101 })] });
      await c.insertRows({ table: "audit_log", values: [line({ meter: "EM-0000001", ts: NOW - 1000, code: "E001", sev: "critical", led: "red_blinking" })] });
      await runClickHouseMigrations(c);
      await syncMapCells(c, { settleMs: 0 });
      const { states } = await getMapStates({ filters: { states: [] }, now: NOW, staleAfterMs: STALE }, c);
      expect(Array.from(states)).toEqual([MAP_STATES.indexOf("red_blinking"), MAP_STATES.indexOf("unknown")]);
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});
