// The slice counts against chDB: the same numbers as the root cause's cell and a campaign's
// target query for the same gateway, fault and window, and as a count made here from the data.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CATALOGUE, findSignature } from "@/lib/faults/catalogue";
import { createClickHouse, type ClickHouse } from "../client";
import { runClickHouseMigrations } from "../migrate";
import { findTargetMeters } from "./campaigns";
import { getRootCauseCounts } from "./faults";
import { FROM, HOUR, INTERFERED_GW, TO, generateFaultData, insertFaultData } from "@/lib/testing/fault-data";
import { getSliceCountsRow } from "./slice-counts";

let dir: string;
let ch: ClickHouse;
const data = generateFaultData();
const e105 = findSignature(CATALOGUE, "E105")!;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "slice-counts-int-"));
  ch = await createClickHouse({ path: path.join(dir, "ch"), database: "ami", queryTimeoutMs: 30_000 });
  await runClickHouseMigrations(ch);
  await insertFaultData(ch, data);
});

afterAll(async () => {
  await ch?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("getSliceCountsRow", () => {
  it("counts a gateway's meters and those with E105 in the window as the root cause and a campaign do", async () => {
    const behind = new Set(data.fleet.filter((m) => m.gw === INTERFERED_GW).map((m) => m.meter));
    const withE105 = new Set(data.lines.filter((l) => l.code === "E105" && l.ts >= FROM && l.ts < TO && behind.has(l.meter)).map((l) => l.meter));
    expect(withE105.size).toBeGreaterThan(0);

    const row = await getSliceCountsRow(
      {
        slice: { gw: INTERFERED_GW },
        fault: { catalogue: CATALOGUE, signature: e105, window: { from: FROM, to: TO }, fleetRules: { compatibleFwPairs: null }, isMapCode: true },
        now: TO,
        staleAfterMs: 24 * HOUR,
      },
      ch,
    );
    expect(row.meters).toBe(behind.size);
    expect(row.withFault).toBe(withE105.size);

    const rootCause = await getRootCauseCounts({ catalogue: CATALOGUE, signature: e105, window: { from: FROM, to: TO }, slice: {}, fleetRules: { compatibleFwPairs: null } }, ch);
    const cell = rootCause.dimensions.find((d) => d.dimension === "gateway")!.values.find((v) => v.value === INTERFERED_GW)!;
    expect(cell).toEqual({ value: INTERFERED_GW, affected: row.withFault, fleet: row.meters });

    // A campaign's "fault seen in the last day" has no upper bound: it also takes lines stamped after
    // now (a meter whose clock runs ahead), which no window ending now holds.
    const ahead = new Set(data.lines.filter((l) => l.code === "E105" && l.ts >= TO && behind.has(l.meter)).map((l) => l.meter));
    const targets = await findTargetMeters({ gw: INTERFERED_GW, fault: "E105", days: 1 }, { now: TO }, ch);
    expect(targets.length).toBe(new Set([...withE105, ...ahead]).size);
    expect(targets.filter((t) => !ahead.has(t.meter) || withE105.has(t.meter)).length).toBe(row.withFault);
  });

  it("without a fault counts the whole slice and leaves the fault counts out", async () => {
    const row = await getSliceCountsRow({ slice: { zone: data.fleet[0]!.zone }, now: TO, staleAfterMs: 24 * HOUR }, ch);
    expect(row.meters).toBe(data.fleet.filter((m) => m.zone === data.fleet[0]!.zone).length);
    expect(row.withFault).toBeNull();
    expect(row.withOpenFault).toBeNull();
  });
});
