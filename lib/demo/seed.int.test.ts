// Demo seeding against real engines: an empty store gets the fleet in both
// engines, fifteen days of history through the ingest writer from the demo world
// (a quiet fleet with three incidents in the last day), and meter states; a second
// start seeds nothing. The history's fault rates are a real fleet's (per code, well
// under 2 % of meters a day) and each incident lifts its code far above its baseline.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIngestSink, type IngestSink } from "@/lib/clickhouse/queries/ingest";
import { countAuditLines, countFleetCopies, countMeterStates, getDailyCodeMeters } from "@/lib/clickhouse/queries/fleet";
import { countFleet } from "@/lib/fleet/store";
import { getAnomalies } from "@/lib/troubleshooting/fault-analysis";
import { openTestStores, type TestStores } from "@/lib/testing/stores";
import { CODE_LIST } from "@/lib/audit/codes";
import { getMeterId } from "@/lib/simulator/fleet";
import { demoHistoryLines, demoIncidents, seedDemoFleet, startDemoStream, type SeedDemoFleetResult } from "./fleet";

const NOW = Date.UTC(2026, 10, 25, 12);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const METERS = 3000;
let s: TestStores;
let sink: IngestSink;
let seeded: SeedDemoFleetResult;
beforeAll(async () => {
  s = await openTestStores();
  sink = createIngestSink({ chdbPath: path.join(s.dir, "ch"), database: s.ch.database });
  seeded = await seedDemoFleet({ db: s.db, ch: s.ch, sink, meters: METERS, now: NOW });
  console.log(
    `[figures] demo seed ${METERS} meters: ${JSON.stringify(Object.fromEntries(Object.entries(seeded.ms).map(([k, v]) => [k, Math.round(v)])))} lines=${seeded.accepted}`,
  );
}, 120_000);
afterAll(async () => {
  await sink?.close();
  await s?.close();
});

const FAULTS = CODE_LIST.filter((c) => c !== "HEARTBEAT" && c !== "STEP_OK");

describe("seedDemoFleet", () => {
  it("seeds 3000 meters, fifteen days of history with the incidents in the last day, and meter states; then skips", async () => {
    const result = seeded;
    expect(result.skipped).toBe(false);
    const gateways = result.fleet!.gateways.length;
    expect(await countFleet(s.db)).toEqual({ meters: 3000, gateways, zones: 4 });
    expect(await countFleetCopies(s.ch)).toEqual({ meters: 3000, gateways });

    // Every generated line is stored once: accepted + refused = lines emitted in the window.
    expect(result.accepted).toBeGreaterThan(demoHistoryLines(3000) * 0.95);
    expect(await countAuditLines({ source: "demo:history" }, s.ch)).toBe(result.accepted);
    expect(await countAuditLines({ source: "demo:history", since: NOW - 15 * DAY - 1000, until: NOW }, s.ch)).toBe(result.accepted);
    expect(await countAuditLines({ source: "demo:history", since: NOW - 15 * DAY - 1000, until: NOW - 14 * DAY }, s.ch)).toBeGreaterThan(result.accepted / 25);
    expect(await countMeterStates(s.ch)).toBeGreaterThan(2900);
    expect(await countMeterStates(s.ch)).toBe(3000); // the roll call: every meter heard in the last hours

    // The interference: RF timeouts on the chosen gateway concentrate in its last ten hours.
    const gw = demoIncidents(result.fleet!, NOW).gateway;
    const lateE105 = await countAuditLines({ gw, code: "E105", since: NOW - 10 * HOUR }, s.ch);
    const earlyE105 = await countAuditLines({ gw, code: "E105", since: NOW - 8 * DAY, until: NOW - 10 * HOUR }, s.ch);
    expect(lateE105).toBeGreaterThan(20);
    expect(lateE105).toBeGreaterThan(earlyE105 * 2); // 10 h vs 7.5 days of background

    const again = await seedDemoFleet({ db: s.db, ch: s.ch, sink, meters: 3000, now: NOW + HOUR });
    expect(again.skipped).toBe(true);
    expect(await countFleet(s.db)).toEqual({ meters: 3000, gateways, zones: 4 });
    expect(await countAuditLines({}, s.ch)).toBe(result.accepted);
  });

  it("has a real fleet's fault rates before the incidents: every code on well under 2 % of meters a day", async () => {
    // Whole days before the first incident (the firmware pair, 20 h before NOW).
    const quietUntil = Math.floor((NOW - DAY) / DAY) * DAY;
    const rows = await getDailyCodeMeters({ since: Math.ceil((NOW - 8 * DAY) / DAY) * DAY, until: quietUntil, codes: FAULTS }, s.ch);
    expect(rows.length).toBeGreaterThan(FAULTS.length * 3); // most codes seen on most days
    const worst = new Map<string, number>();
    for (const r of rows) worst.set(r.code, Math.max(worst.get(r.code) ?? 0, r.meters / METERS));
    console.log(`[figures] demo quiet days, worst daily share of meters per code: ${[...worst].map(([c, v]) => `${c} ${(v * 100).toFixed(2)} %`).join(", ")}`);
    for (const [code, share] of worst) expect(share, code).toBeLessThan(0.015);
  });

  it("makes the three incidents stand out: each code's meters in the last day are many times its quiet-day mean", async () => {
    const inc = demoIncidents(seeded.fleet!, NOW);
    const quiet = { since: NOW - 8 * DAY, until: NOW - DAY };
    // Meters a day: summed over days (a meter on two days counts twice, as a daily rate does).
    const lift = async (code: string) => {
      const meters = async (since: number, until: number) => (await getDailyCodeMeters({ since, until, codes: [code] }, s.ch)).reduce((a, r) => a + r.meters, 0);
      const last = await meters(NOW - DAY, NOW);
      const quietPerDay = (await meters(quiet.since, quiet.until)) / 7;
      return { last, quietPerDay, lift: last / Math.max(quietPerDay, 1) };
    };
    const e105 = await lift("E105");
    const ipc = await lift("IPC_ERROR");
    const gasp = await lift("LAST_GASP");
    console.log(
      `[figures] demo incidents, meters in the last day vs quiet-day mean: E105 (${inc.gateway}) ${e105.last} vs ${e105.quietPerDay.toFixed(1)} = ${e105.lift.toFixed(1)}x; IPC_ERROR (${inc.model}) ${ipc.last} vs ${ipc.quietPerDay.toFixed(1)} = ${ipc.lift.toFixed(1)}x; LAST_GASP (${inc.zone}) ${gasp.last} vs ${gasp.quietPerDay.toFixed(1)} = ${gasp.lift.toFixed(1)}x`,
    );
    for (const x of [e105, ipc, gasp]) expect(x.lift).toBeGreaterThan(4);
    // The incident's meters are where the incident is.
    const g = seeded.fleet!.gateways.findIndex((x) => x.id === inc.gateway);
    const behind = Array.from({ length: METERS }, (_, i) => i)
      .filter((i) => seeded.fleet!.meters.gateway[i] === g)
      .map((i) => getMeterId(seeded.fleet!, i));
    expect(await countAuditLines({ gw: inc.gateway, code: "E105", since: NOW - DAY }, s.ch)).toBeGreaterThan(
      (await countAuditLines({ code: "E105", since: NOW - DAY }, s.ch)) * 0.6,
    );
    expect(behind.length).toBeGreaterThan(50);
  });

  it("lists the incidents first among the cohort anomalies of the last day", async () => {
    const inc = demoIncidents(seeded.fleet!, NOW);
    const { ranked } = await getAnomalies({ from: NOW - DAY, to: NOW, slice: {} }, { ch: s.ch, compatibleFwPairs: null });
    console.log(`[figures] demo anomalies (24 h): ${ranked.shown.map((a) => `${a.isIncident ? "[incident] " : ""}${a.sentence}`).join(" | ")} (+${ranked.more} more)`);
    const incidents = ranked.shown.filter((a) => a.isIncident).map((a) => a.value);
    expect(incidents).toContain(inc.gateway);
    expect(incidents).toContain(inc.zone);
    expect(incidents).toContain(inc.model);
    // The interfered gateway leads, the storm's zone is next to it; cohorts that contain an
    // incident's meters (its zone, the models it spans) may be flagged too, after them.
    expect(ranked.shown[0]!.value).toBe(inc.gateway);
    expect(ranked.shown.slice(0, 3).map((a) => a.value)).toContain(inc.zone);
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
