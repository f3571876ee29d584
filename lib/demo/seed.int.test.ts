// Demo seeding against real engines: an empty store gets the fleet in both
// engines, a day of history through the ingest writer with the interference
// in its last hours, and meter states; a second start seeds nothing.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIngestSink, type IngestSink } from "@/lib/clickhouse/queries/ingest";
import { countAuditLines, countFleetCopies, countMeterStates } from "@/lib/clickhouse/queries/fleet";
import { countFleet } from "@/lib/fleet/store";
import { openTestStores, type TestStores } from "@/lib/testing/stores";
import { demoHistoryLines, demoScenario, seedDemoFleet, startDemoStream } from "./fleet";

const NOW = Date.UTC(2026, 10, 25, 12);
const HOUR = 3_600_000;
let s: TestStores;
let sink: IngestSink;
beforeAll(async () => {
  s = await openTestStores();
  sink = createIngestSink({ chdbPath: path.join(s.dir, "ch"), database: s.ch.database });
});
afterAll(async () => {
  await sink?.close();
  await s?.close();
});

describe("seedDemoFleet", () => {
  it("seeds 3000 meters, a day of history with interference at the end, and meter states; then skips", async () => {
    const result = await seedDemoFleet({ db: s.db, ch: s.ch, sink, meters: 3000, now: NOW });
    console.log(`[figures] demo seed 3000 meters: ${JSON.stringify(Object.fromEntries(Object.entries(result.ms).map(([k, v]) => [k, Math.round(v)])))} lines=${result.accepted}`);
    expect(result.skipped).toBe(false);
    const gateways = result.fleet!.gateways.length;
    expect(await countFleet(s.db)).toEqual({ meters: 3000, gateways, zones: 4 });
    expect(await countFleetCopies(s.ch)).toEqual({ meters: 3000, gateways });

    // Every generated line is stored once: accepted + refused = lines emitted in the window.
    expect(result.accepted).toBeGreaterThan(demoHistoryLines(3000) * 0.95);
    expect(await countAuditLines({ source: "demo:history" }, s.ch)).toBe(result.accepted);
    expect(await countAuditLines({ source: "demo:history", since: NOW - 24 * HOUR - 1000, until: NOW }, s.ch)).toBe(result.accepted);
    expect(await countMeterStates(s.ch)).toBeGreaterThan(2900);

    // The interference: RF timeouts on the chosen gateway concentrate in the last four hours.
    const gw = (demoScenario(result.fleet!, 24 * HOUR).events[0] as { gateway: string }).gateway;
    const lateE105 = await countAuditLines({ gw, code: "E105", since: NOW - 4 * HOUR }, s.ch);
    const earlyE105 = await countAuditLines({ gw, code: "E105", since: NOW - 24 * HOUR, until: NOW - 4 * HOUR }, s.ch);
    expect(lateE105).toBeGreaterThan(20);
    expect(lateE105).toBeGreaterThan(earlyE105 * 2); // 4 h vs 20 h of background

    const again = await seedDemoFleet({ db: s.db, ch: s.ch, sink, meters: 3000, now: NOW + HOUR });
    expect(again.skipped).toBe(true);
    expect(await countFleet(s.db)).toEqual({ meters: 3000, gateways, zones: 4 });
    expect(await countAuditLines({}, s.ch)).toBe(result.accepted);
  });

  it("the live stream hands due lines to the writer about once a second and stops", async () => {
    const { generateFleet } = await import("@/lib/simulator/fleet");
    const fleet = generateFleet({ meters: 500, seed: "live", now: NOW });
    let clock = NOW;
    const got: string[][] = [];
    const stream = startDemoStream({ fleet, ratePerSec: 200, now: () => clock, write: async (l) => void got.push(l) });
    clock += 3000;
    await new Promise((r) => setTimeout(r, 2300));
    await stream.stop();
    const n = got.flat().length;
    expect(got.length).toBeGreaterThanOrEqual(1);
    expect(n).toBeGreaterThan(400); // ~600 lines are due after 3 s of event time at 200/s
    expect(n).toBeLessThan(800);
    expect(got.flat().every((l) => /(meter=|"meter":")(EM|GM|WM)-\d+/.test(l))).toBe(true);
  });
});
