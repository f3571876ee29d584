import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CATALOGUE, FAULT_CODES, extendCatalogue, findSignature, type Catalogue } from "@/lib/faults/catalogue";
import { createClickHouse, type ClickHouse } from "../client";
import { runClickHouseMigrations } from "../migrate";
import {
  buildMatrixQuery,
  buildRollupMatrixQueries,
  COHORT_MEASURES,
  getCohortStats,
  getLedLogCorrelation,
  getMatrixCounts,
  getRollupKeys,
  getRootCauseCounts,
  splitWindowForMeters,
  type CohortMeasure,
  type FleetSlice,
} from "./faults";
import {
  COMPATIBLE_PAIRS,
  FROM,
  HOUR,
  INTERFERED_GW,
  PREV_FROM,
  TO,
  expectedLineCounts,
  generateFaultData,
  inWindow,
  insertFaultData,
  type FleetMeter,
  type Line,
} from "@/lib/testing/fault-data";

let dir: string;
let ch: ClickHouse;
const data = generateFaultData();
const fleetByMeter = new Map(data.fleet.map((m) => [m.meter, m]));

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "faults-int-"));
  ch = await createClickHouse({ path: path.join(dir, "ch"), database: "ami", queryTimeoutMs: 30_000 });
  await runClickHouseMigrations(ch);
  await insertFaultData(ch, data);
});

afterAll(async () => {
  await ch?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function inSlice(meter: string, slice: FleetSlice): boolean {
  const m = fleetByMeter.get(meter);
  const keys = Object.entries(slice).filter(([, v]) => v);
  if (!keys.length) return true;
  if (!m) return false;
  const col: Record<string, keyof FleetMeter> = { gw: "gw", zone: "zone", kind: "kind", model: "model", fwMetrology: "fw_metrology", fwComms: "fw_comms" };
  return keys.every(([k, v]) => m[col[k]!] === v);
}

const STEP = HOUR;

describe("getMatrixCounts", () => {
  it.each<[string, FleetSlice]>([
    ["whole fleet", {}],
    ["one gateway", { gw: INTERFERED_GW }],
    ["zone + firmware pair", { zone: "hot-dry", fwMetrology: "1.0.0", fwComms: "2.0.0" }],
  ])("counts every line-level signature like the TypeScript matcher (%s)", async (_name, slice) => {
    const rows = await getMatrixCounts(
      { catalogue: CATALOGUE, window: { from: FROM, to: TO }, previousFrom: PREV_FROM, stepMs: STEP, slice, fleetRules: { compatibleFwPairs: COMPATIBLE_PAIRS } },
      ch,
    );
    expect(rows.map((r) => r.signatureId)).toEqual(CATALOGUE.signatures.map((s) => s.id));
    let nonZero = 0;
    for (const s of CATALOGUE.signatures) {
      if (s.match.type === "rule") continue;
      const row = rows.find((r) => r.signatureId === s.id)!;
      const keep = (l: Line) => inSlice(l.meter, slice);
      const now = expectedLineCounts(data.lines, s, FROM, TO, keep);
      const before = expectedLineCounts(data.lines, s, PREV_FROM, FROM, keep);
      expect({ id: s.id, events: row.events, meters: row.meters, prev: row.previousEvents, prevMeters: row.previousMeters }).toEqual({
        id: s.id,
        events: now.events,
        meters: now.meters,
        prev: before.events,
        prevMeters: before.meters,
      });
      const buckets = new Map<number, number>();
      for (const l of now.hits) buckets.set(Math.floor((l.ts - FROM) / STEP), (buckets.get(Math.floor((l.ts - FROM) / STEP)) ?? 0) + 1);
      expect(new Map(row.buckets.map((b) => [b.index, b.events]))).toEqual(buckets);
      if (now.events > 0) nonZero++;
    }
    expect(nonZero).toBeGreaterThan(5);
  });

  it("judges fleet-level rules from fleet_meters: incompatible pairs and HES older than 4.2.0 (numerically)", async () => {
    const rows = await getMatrixCounts(
      { catalogue: CATALOGUE, window: { from: FROM, to: TO }, previousFrom: PREV_FROM, stepMs: STEP, slice: { zone: "cold" }, fleetRules: { compatibleFwPairs: COMPATIBLE_PAIRS } },
      ch,
    );
    const cold = data.fleet.filter((m) => m.zone === "cold");
    const fw = rows.find((r) => r.signatureId === "fw_pair_incompatible")!;
    expect(fw).toMatchObject({ isJudged: true, events: null, meters: cold.filter((m) => !COMPATIBLE_PAIRS.includes(`${m.fw_metrology}/${m.fw_comms}`)).length });
    const hes = rows.find((r) => r.signatureId === "hes_below_fota")!;
    expect(hes.meters).toBe(cold.filter((m) => m.hes_version === "4.1.0").length);
    expect(hes.meters).toBeGreaterThan(0);
  });

  it("marks the firmware-pair rule as not judged without a compatibility list", async () => {
    const rows = await getMatrixCounts(
      { catalogue: CATALOGUE, window: { from: FROM, to: TO }, previousFrom: PREV_FROM, stepMs: STEP, slice: {}, fleetRules: { compatibleFwPairs: null } },
      ch,
    );
    expect(rows.find((r) => r.signatureId === "fw_pair_incompatible")).toMatchObject({ isJudged: false, meters: null });
  });

  it("passes every value as a parameter", () => {
    const { query, params } = buildMatrixQuery({ catalogue: CATALOGUE, window: { from: FROM, to: TO }, previousFrom: PREV_FROM, stepMs: STEP, slice: { gw: "GW-'1" } });
    expect(query).not.toContain("GW-'1");
    expect(query).not.toContain("E105");
    expect(query).toContain("{slice_gw:String}");
    expect(Object.values(params)).toContain("GW-'1");
  });
});

describe("getLedLogCorrelation", () => {
  it("returns LED x code combinations per meter and both disagreement lists", async () => {
    const result = await getLedLogCorrelation({ window: { from: FROM, to: TO }, slice: {}, faultCodes: FAULT_CODES, limit: 500 }, ch);
    // Reference: per meter, fault LEDs seen, green seen, fault codes logged.
    const per = new Map<string, { leds: Set<string>; green: boolean; codes: Set<string>; events: number }>();
    for (const l of data.lines) {
      if (!inWindow(l.ts, FROM, TO)) continue;
      const isFault = (FAULT_CODES as string[]).includes(l.code);
      if (l.led === "" && !isFault) continue;
      const m = per.get(l.meter) ?? { leds: new Set(), green: false, codes: new Set(), events: 0 };
      if (l.led !== "" && l.led !== "green_steady") m.leds.add(l.led);
      if (l.led === "green_steady") m.green = true;
      if (isFault) {
        m.codes.add(l.code);
        m.events++;
      }
      per.set(l.meter, m);
    }
    const combos = new Map<string, { meters: number; events: number }>();
    const silent: string[] = [];
    const green: string[] = [];
    for (const [meter, m] of per) {
      if (m.leds.size && !m.codes.size) silent.push(meter);
      if (m.codes.size && !m.leds.size && m.green) green.push(meter);
      if (!m.leds.size && !m.codes.size && !m.green) continue;
      for (const led of m.leds.size ? m.leds : [""])
        for (const code of m.codes.size ? m.codes : [""]) {
          const c = combos.get(`${led}|${code}`) ?? { meters: 0, events: 0 };
          c.meters++;
          c.events += m.events;
          combos.set(`${led}|${code}`, c);
        }
    }
    expect(new Map(result.combos.map((c) => [`${c.led}|${c.code}`, { meters: c.meters, events: c.events }]))).toEqual(combos);
    expect(result.combos.find((c) => c.led === "amber_steady" && c.code === "E105")?.meters).toBeGreaterThan(0);
    expect(result.disagreements.led_fault_logs_silent.total).toBe(silent.length);
    expect(result.disagreements.led_fault_logs_silent.meters.map((m) => m.meter).sort()).toEqual(silent.sort());
    expect(result.disagreements.logs_fault_led_green.total).toBe(green.length);
    expect(result.disagreements.logs_fault_led_green.meters.map((m) => m.meter).sort()).toEqual(green.sort());
    expect(silent.length + green.length).toBeGreaterThan(0);
  });

  it("names a disagreeing meter the fleet table does not know (its id read back from the window's lines)", async () => {
    // An hour after every other test's window, so their expectations are untouched.
    const at = TO + HOUR;
    const stranger = "WM-0999999";
    expect(fleetByMeter.has(stranger)).toBe(false);
    await ch.insertRows({
      table: "audit_log",
      values: [{ ts: at, meter: stranger, gw: "GW-9999", code: "HEARTBEAT", sev: "debug", led: "red_blinking", msg: "", attrs: {}, id: "990000001", source: "test" }],
    });
    const result = await getLedLogCorrelation({ window: { from: at - 1, to: at + 1 }, slice: {}, faultCodes: FAULT_CODES, limit: 10 }, ch);
    expect(result.disagreements.led_fault_logs_silent.meters.map((m) => m.meter)).toEqual([stranger]);
    expect(result.disagreements.led_fault_logs_silent.meters[0]!.leds).toEqual(["red_blinking"]);
  });

  it("caps each disagreement list but keeps the true total", async () => {
    const full = await getLedLogCorrelation({ window: { from: FROM, to: TO }, slice: {}, faultCodes: FAULT_CODES, limit: 500 }, ch);
    const capped = await getLedLogCorrelation({ window: { from: FROM, to: TO }, slice: {}, faultCodes: FAULT_CODES, limit: 2 }, ch);
    for (const kind of ["led_fault_logs_silent", "logs_fault_led_green"] as const) {
      expect(capped.disagreements[kind].total).toBe(full.disagreements[kind].total);
      expect(capped.disagreements[kind].meters.length).toBe(Math.min(2, full.disagreements[kind].total));
    }
  });
});

describe("getRootCauseCounts", () => {
  it("counts affected meters per dimension value against the slice's fleet", async () => {
    const signature = findSignature(CATALOGUE, "E105")!;
    const slice: FleetSlice = { kind: "electric" };
    const counts = await getRootCauseCounts({ catalogue: CATALOGUE, signature, window: { from: FROM, to: TO }, slice, fleetRules: { compatibleFwPairs: COMPATIBLE_PAIRS } }, ch);
    const fleet = data.fleet.filter((m) => m.kind === "electric");
    const affected = new Set(
      expectedLineCounts(data.lines, signature, FROM, TO)
        .hits.map((l) => l.meter)
        .filter((m) => fleet.some((f) => f.meter === m)),
    );
    expect(counts.totalFleet).toBe(fleet.length);
    expect(counts.totalAffected).toBe(affected.size);
    const valueOf: Record<string, (m: FleetMeter) => string> = {
      gateway: (m) => m.gw,
      fw_pair: (m) => `${m.fw_metrology}/${m.fw_comms}`,
      climate_zone: (m) => m.zone,
      meter_model: (m) => m.model,
      install_year: (m) => String(m.install_year),
      hes_version: (m) => m.hes_version,
    };
    for (const d of counts.dimensions) {
      const expected = new Map<string, { affected: number; fleet: number }>();
      for (const m of fleet) {
        const v = valueOf[d.dimension]!(m);
        const c = expected.get(v) ?? { affected: 0, fleet: 0 };
        c.fleet++;
        if (affected.has(m.meter)) c.affected++;
        expected.set(v, c);
      }
      for (const [v, c] of expected) if (c.affected === 0) expected.delete(v);
      expect(new Map(d.values.map((x) => [x.value, { affected: x.affected, fleet: x.fleet }])), d.dimension).toEqual(expected);
    }
  });
});

// ---------------------------------------------------------------- rollup (005)

const MIN = 60_000;
const DAY = 24 * HOUR;
// Edges and sparkline buckets off the minute and hour grid (ms precision).
const W_FROM = FROM + 17 * MIN + 23_456;
const W_TO = TO - 7 * MIN - 1_234;
const W_PREV = W_FROM - (W_TO - W_FROM);
const W_STEP = Math.ceil((W_TO - W_FROM) / 24);
// Several days: whole days come from fault_rollup_1d.
const D_FROM = FROM - 3 * DAY - 2 * HOUR - 13 * MIN - 5;
const D_TO = TO - 11 * MIN;
const D_PREV = D_FROM - (D_TO - D_FROM);

describe("getMatrixCounts from the rollup (fault_rollup_1h/1d)", () => {
  let edges: ClickHouse;
  const edgeData = generateFaultData(21, 3000, { clusterAround: [W_FROM, W_TO, W_PREV, W_FROM + 5 * W_STEP, W_FROM + 11 * W_STEP, D_FROM, D_TO, D_PREV + 3 * DAY] });

  beforeAll(async () => {
    edges = await createClickHouse({ path: path.join(dir, "ch"), database: "edges", queryTimeoutMs: 30_000 });
    await runClickHouseMigrations(edges);
    await insertFaultData(edges, edgeData);
  });
  afterAll(async () => {
    await edges?.close();
  });

  function expectLikeReference(rows: Awaited<ReturnType<typeof getMatrixCounts>>, catalogue: Catalogue, from: number, to: number, prev: number, step: number) {
    let nonZero = 0;
    for (const s of catalogue.signatures) {
      if (s.match.type === "rule") continue;
      const row = rows.find((r) => r.signatureId === s.id)!;
      const now = expectedLineCounts(edgeData.lines, s, from, to);
      const before = expectedLineCounts(edgeData.lines, s, prev, from);
      expect({ id: s.id, events: row.events, meters: row.meters, prev: row.previousEvents, prevMeters: row.previousMeters }).toEqual({
        id: s.id,
        events: now.events,
        meters: now.meters,
        prev: before.events,
        prevMeters: before.meters,
      });
      const buckets = new Map<number, number>();
      for (const l of now.hits) buckets.set(Math.floor((l.ts - from) / step), (buckets.get(Math.floor((l.ts - from) / step)) ?? 0) + 1);
      expect(new Map(row.buckets.map((b) => [b.index, b.events])), s.id).toEqual(buckets);
      if (now.events > 0 && before.events > 0) nonZero++;
    }
    expect(nonZero).toBeGreaterThan(8);
  }

  it("covers every line-level signature of the catalogue, with keys and times as parameters", () => {
    const q = buildRollupMatrixQueries({ catalogue: CATALOGUE, window: { from: W_FROM, to: W_TO }, previousFrom: W_PREV, stepMs: W_STEP, slice: {} })!;
    expect(q.signatures.map((s) => s.id)).toEqual(CATALOGUE.signatures.filter((s) => s.match.type !== "rule").map((s) => s.id));
    for (const part of [q.events, q.meters]) {
      expect(part.query).not.toMatch(/E105|snr_lt|2026-/);
      expect(part.params.keys).toContain("code:E105");
      expect(part.params.keys).toContain("thr:snr_lt_15");
    }
  });

  it.each([
    ["24 h cut mid-minute, buckets off the grid", W_FROM, W_TO, W_PREV, W_STEP],
    ["4 days cut mid-hour (day sketches)", D_FROM, D_TO, D_PREV, Math.ceil((D_TO - D_FROM) / 24)],
    ["whole hours", FROM, TO, PREV_FROM, HOUR],
  ])("equals the TypeScript reference on a window with partial hours: %s", async (_name, from, to, prev, step) => {
    const split = splitWindowForMeters(from, to);
    if (from % HOUR) expect(split.raw.length).toBeGreaterThan(0);
    for (const useRollup of [true, false]) {
      const rows = await getMatrixCounts(
        { catalogue: CATALOGUE, window: { from, to }, previousFrom: prev, stepMs: step, slice: {}, fleetRules: { compatibleFwPairs: COMPATIBLE_PAIRS }, useRollup },
        edges,
      );
      expectLikeReference(rows, CATALOGUE, from, to, prev, step);
    }
  });

  it("gets events from the rollup tables themselves (not only from audit_log)", async () => {
    const q = buildRollupMatrixQueries({ catalogue: CATALOGUE, window: { from: D_FROM, to: D_TO }, previousFrom: D_PREV, stepMs: Math.ceil((D_TO - D_FROM) / 24), slice: {} })!;
    const fromRollup = await edges.queryRows<{ n: string }>({
      query: "SELECT sum(events) AS n FROM fault_rollup_1h WHERE hour >= {a:DateTime('UTC')} AND hour < {b:DateTime('UTC')}",
      params: { a: "2026-11-22 00:00:00", b: "2026-11-24 00:00:00" },
      tag: "test.rollup",
    });
    expect(Number(fromRollup[0]!.n)).toBeGreaterThan(100);
    expect(q.meters.query).toContain("fault_rollup_1d");
    expect(q.meters.query).toContain("fault_rollup_1h");
  });

  it("falls back to audit_log for a signature whose threshold differs from the baked one", async () => {
    const catalogue = extendCatalogue(CATALOGUE, { name: "t", overrides: { snr_low: { match: { type: "threshold", measure: "snr", op: "lt", threshold: 10 } } } });
    const snr = findSignature(catalogue, "snr_low")!;
    expect(getRollupKeys(catalogue, snr)).toBeNull();
    expect(getRollupKeys(CATALOGUE, findSignature(CATALOGUE, "snr_low")!)).toEqual(["thr:snr_lt_15"]);
    const q = buildRollupMatrixQueries({ catalogue, window: { from: W_FROM, to: W_TO }, previousFrom: W_PREV, stepMs: W_STEP, slice: {} })!;
    expect(q.signatures.map((s) => s.id)).not.toContain("snr_low");
    const rows = await getMatrixCounts(
      { catalogue, window: { from: W_FROM, to: W_TO }, previousFrom: W_PREV, stepMs: W_STEP, slice: {}, fleetRules: { compatibleFwPairs: COMPATIBLE_PAIRS } },
      edges,
    );
    expectLikeReference(rows, catalogue, W_FROM, W_TO, W_PREV, W_STEP);
    const ten = expectedLineCounts(edgeData.lines, snr, W_FROM, W_TO).events;
    expect(ten).toBeLessThan(expectedLineCounts(edgeData.lines, findSignature(CATALOGUE, "snr_low")!, W_FROM, W_TO).events);
  });

  it("counts a retried ingest batch (same dedup token) once", async () => {
    const at = Date.UTC(2025, 6, 1, 10, 5);
    const values = [1, 2, 3].map((i) => ({
      ts: at + i * 1000,
      meter: `EM-77${i}`,
      gw: "GW-0001",
      code: "E042",
      sev: "critical",
      led: "",
      msg: "",
      attrs: {},
      id: String(900_000 + i),
      source: "retry",
    }));
    await edges.insertRows({ table: "audit_log", values, dedupToken: "batch-1" });
    await edges.insertRows({ table: "audit_log", values, dedupToken: "batch-1" });
    const rows = await getMatrixCounts(
      { catalogue: CATALOGUE, window: { from: at - HOUR, to: at + 2 * HOUR }, previousFrom: at - 2 * HOUR, stepMs: HOUR, slice: {}, fleetRules: { compatibleFwPairs: null } },
      edges,
    );
    expect(rows.find((r) => r.signatureId === "E042")).toMatchObject({ events: 3, meters: 3 });
  });

  it("keeps distinct meters within 2 % above the sketch's exact range (40 000 meters) and events exact", async () => {
    // uniqCombined64(15) is exact up to 16 384 meters per sketch, HyperLogLog beyond.
    await edges.execCommand({
      query: `INSERT INTO audit_log (ts, meter, gw, code, sev, led, msg, id, source)
              SELECT toDateTime64('2025-06-01 00:00:00', 3, 'UTC') + toIntervalMillisecond(number * 2000), concat('EM-', toString(1000000 + number)),
                     'GW-0001', 'E001', 'critical', '', '', 800000 + number, 'sketch'
              FROM numbers(40000)`,
    });
    const input = {
      catalogue: CATALOGUE,
      window: { from: Date.UTC(2025, 5, 1), to: Date.UTC(2025, 5, 2) },
      previousFrom: Date.UTC(2025, 4, 31),
      stepMs: HOUR,
      slice: {},
      fleetRules: { compatibleFwPairs: null },
    };
    const rollup = (await getMatrixCounts(input, edges)).find((r) => r.signatureId === "E001")!;
    const exact = (await getMatrixCounts({ ...input, useRollup: false }, edges)).find((r) => r.signatureId === "E001")!;
    expect(exact).toMatchObject({ events: 40000, meters: 40000 });
    expect(rollup.events).toBe(40000);
    expect(Math.abs(rollup.meters! - 40000) / 40000).toBeLessThanOrEqual(0.02);
    console.log(`sketch: ${rollup.meters} meters for 40000 (${(((rollup.meters! - 40000) / 40000) * 100).toFixed(2)} %)`);
  });
});

describe("getCohortStats", () => {
  it.each<[string, FleetSlice]>([
    ["whole fleet", {}],
    ["one zone", { zone: "hot-dry" }],
  ])("gives each cohort's meters, faulty meters and the mean/stddev/n of per-meter means like a direct computation (%s)", async (_name, slice) => {
    const rows = await getCohortStats({ window: { from: FROM, to: TO }, slice, faultCodes: FAULT_CODES }, ch);
    // Reference: per meter in the window, the mean of each measure and whether it logged a fault code.
    const perMeter = new Map<string, { sums: Map<CohortMeasure, [number, number]>; fault: boolean }>();
    for (const l of data.lines) {
      if (!inWindow(l.ts, FROM, TO)) continue;
      const m = perMeter.get(l.meter) ?? { sums: new Map(), fault: false };
      for (const measure of COHORT_MEASURES) {
        const v = l[measure];
        if (typeof v !== "number") continue;
        const [s, n] = m.sums.get(measure) ?? [0, 0];
        m.sums.set(measure, [s + Math.fround(v), n + 1]);
      }
      if ((FAULT_CODES as string[]).includes(l.code)) m.fault = true;
      perMeter.set(l.meter, m);
    }
    const cohorts = new Map<string, { meters: number; faulty: number; means: Map<CohortMeasure, number[]> }>();
    for (const [meter, m] of perMeter) {
      const f = fleetByMeter.get(meter);
      if (!f || !inSlice(meter, slice)) continue;
      for (const key of ["|", `gateway|${f.gw}`, `climate_zone|${f.zone}`, `meter_model|${f.model}`]) {
        const c = cohorts.get(key) ?? { meters: 0, faulty: 0, means: new Map() };
        c.meters++;
        if (m.fault) c.faulty++;
        for (const [measure, [s, n]] of m.sums) c.means.set(measure, [...(c.means.get(measure) ?? []), s / n]);
        cohorts.set(key, c);
      }
    }
    expect(new Set(rows.map((r) => `${r.dimension}|${r.value}`))).toEqual(new Set(cohorts.keys()));
    for (const r of rows) {
      const want = cohorts.get(`${r.dimension}|${r.value}`)!;
      expect([r.meters, r.faultyMeters]).toEqual([want.meters, want.faulty]);
      expect(Object.keys(r.measures).sort()).toEqual([...want.means.keys()].sort());
      for (const [measure, xs] of want.means) {
        const got = r.measures[measure]!;
        const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
        expect(got.n).toBe(xs.length);
        expect(got.mean).toBeCloseTo(mean, 3);
        if (xs.length > 1) expect(got.stddev).toBeCloseTo(Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)), 3);
      }
    }
    expect(cohorts.size).toBeGreaterThan(3);
  });
});
