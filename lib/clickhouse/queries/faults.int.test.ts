import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CATALOGUE, FAULT_CODES, findSignature } from "@/lib/faults/catalogue";
import { createClickHouse, type ClickHouse } from "../client";
import { runClickHouseMigrations } from "../migrate";
import { buildMatrixQuery, getLedLogCorrelation, getMatrixCounts, getRootCauseCounts, type FleetSlice } from "./faults";
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
} from "./faults-test-data";

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
      if (isFault) { m.codes.add(l.code); m.events++; }
      per.set(l.meter, m);
    }
    const combos = new Map<string, { meters: number; events: number }>();
    const silent: string[] = [];
    const green: string[] = [];
    for (const [meter, m] of per) {
      if (m.leds.size && !m.codes.size) silent.push(meter);
      if (m.codes.size && !m.leds.size && m.green) green.push(meter);
      if (!m.leds.size && !m.codes.size && !m.green) continue;
      for (const led of m.leds.size ? m.leds : [""]) for (const code of m.codes.size ? m.codes : [""]) {
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
    const affected = new Set(expectedLineCounts(data.lines, signature, FROM, TO).hits.map((l) => l.meter).filter((m) => fleet.some((f) => f.meter === m)));
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
