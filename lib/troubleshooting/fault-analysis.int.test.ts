import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CATALOGUE, findSignature } from "@/lib/faults/catalogue";
import { rankConcentration } from "@/lib/faults/root-cause";
import { createClickHouse, type ClickHouse } from "@/lib/clickhouse/client";
import { runClickHouseMigrations } from "@/lib/clickhouse/migrate";
import { COMPATIBLE_PAIRS, FROM, INTERFERED_GW, TO, expectedLineCounts, generateFaultData, insertFaultData } from "@/lib/testing/fault-data";
import { getAnomalies, getFaultMatrix, getLedCorrelation, getRootCause, SPARKLINE_BUCKETS, type AnalysisDeps } from "./fault-analysis";

let dir: string;
let ch: ClickHouse;
let deps: AnalysisDeps;
const data = generateFaultData(11, 5000);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "fault-analysis-int-"));
  ch = await createClickHouse({ path: path.join(dir, "ch"), database: "ami", queryTimeoutMs: 30_000 });
  await runClickHouseMigrations(ch);
  await insertFaultData(ch, data);
  deps = { ch, compatibleFwPairs: COMPATIBLE_PAIRS };
});

afterAll(async () => {
  await ch?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("getFaultMatrix", () => {
  it("gives every signature a 24-bucket sparkline summing to its events and a trend against the previous window", async () => {
    const matrix = await getFaultMatrix({ from: FROM, to: TO, slice: {} }, deps);
    expect(matrix.catalogueVersion).toBe(CATALOGUE.version);
    expect(matrix.rows).toHaveLength(CATALOGUE.signatures.length);
    for (const row of matrix.rows.filter((r) => r.kind !== "derived" || r.events !== null)) {
      expect(row.sparkline).toHaveLength(SPARKLINE_BUCKETS);
      expect(row.sparkline.reduce((a, b) => a + b, 0)).toBe(row.events);
    }
    const e105 = matrix.rows.find((r) => r.id === "E105")!;
    const sig = findSignature(CATALOGUE, "E105")!;
    expect(e105.events).toBe(expectedLineCounts(data.lines, sig, FROM, TO).events);
    expect(e105.previousEvents).toBe(expectedLineCounts(data.lines, sig, FROM - (TO - FROM), FROM).events);
    // The planted interference makes E105 rise against yesterday.
    expect(e105.trend?.direction).toBe("up");
  });
});

describe("getFaultMatrix on a window cut mid-hour (rollup + audit_log edges)", () => {
  it("matches the TypeScript reference for every line signature, sparkline included", async () => {
    const from = FROM - 3 * 24 * 3_600_000 + 17 * 60_000 + 321;
    const to = TO - 29 * 60_000 - 7;
    const matrix = await getFaultMatrix({ from, to, slice: {} }, deps);
    let nonZero = 0;
    for (const row of matrix.rows.filter((r) => r.events !== null)) {
      const sig = findSignature(CATALOGUE, row.id)!;
      const now = expectedLineCounts(data.lines, sig, from, to);
      const before = expectedLineCounts(data.lines, sig, matrix.previousFrom, from);
      expect([row.id, row.events, row.meters, row.previousEvents, row.previousMeters]).toEqual([row.id, now.events, now.meters, before.events, before.meters]);
      const spark = new Array<number>(SPARKLINE_BUCKETS).fill(0);
      for (const l of now.hits) spark[Math.floor((l.ts - from) / matrix.stepMs)]!++;
      expect(row.sparkline, row.id).toEqual(spark);
      if (now.events > 0) nonZero++;
    }
    expect(nonZero).toBeGreaterThan(8);
  });
});

describe("getRootCause", () => {
  it("ranks the interfered gateway first for E105 and says so in one sentence", async () => {
    const rc = await getRootCause({ signatureId: "E105", from: FROM, to: TO, slice: {} }, deps);
    expect(rc.isJudged).toBe(true);
    const gateway = rc.ranking.dimensions.find((d) => d.dimension === "gateway")!;
    expect(gateway.top?.value).toBe(INTERFERED_GW);
    expect(rc.ranking.dimensions[0]!.dimension).toBe("gateway");
    expect(rc.sentence).toContain(INTERFERED_GW);
    // Same maths over the same counts: the ranking is rankConcentration's, not a re-implementation.
    expect(rc.ranking).toEqual(rankConcentration({ dimensions: rc.counts.dimensions, totalAffected: rc.counts.totalAffected, totalFleet: rc.counts.totalFleet }));
  });

  it("refuses an unknown signature", async () => {
    await expect(getRootCause({ signatureId: "NOPE", from: FROM, to: TO, slice: {} }, deps)).rejects.toMatchObject({ code: "not_found" });
  });
});

describe("getLedCorrelation", () => {
  it("finds amber LED with E105 as a combination", async () => {
    const c = await getLedCorrelation({ from: FROM, to: TO, slice: { gw: INTERFERED_GW } }, deps);
    const amber = c.combos.find((x) => x.led === "amber_steady" && x.code === "E105");
    const gwMeters = new Set(data.fleet.filter((m) => m.gw === INTERFERED_GW).map((m) => m.meter));
    const expected = new Set(data.lines.filter((l) => l.ts >= FROM && l.ts < TO && gwMeters.has(l.meter) && l.code === "E105").map((l) => l.meter));
    const withAmber = new Set(data.lines.filter((l) => l.ts >= FROM && l.ts < TO && gwMeters.has(l.meter) && l.led === "amber_steady").map((l) => l.meter));
    expect(amber?.meters).toBe([...expected].filter((m) => withAmber.has(m)).length);
  });
});

describe("getAnomalies", () => {
  it("flags the interfered gateway's SNR drop against its own baseline, and only that gateway", async () => {
    const { anomalies, bySignature } = await getAnomalies({ from: FROM, to: TO, slice: {} }, deps);
    const snr = anomalies.filter((a) => a.dimension === "gateway" && a.measure === "snr");
    expect(snr.map((a) => [a.value, a.direction, a.against])).toEqual([[INTERFERED_GW, "below", "baseline"]]);
    expect(bySignature.E105?.some((s) => s.includes(INTERFERED_GW))).toBe(true);
  });
});
