import { describe, expect, it } from "vitest";
import { CATALOGUE, findSignature } from "@/lib/faults/catalogue";
import { buildSliceCountsQuery } from "./slice-counts";

const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);
const HOUR = 3_600_000;
const sig = (id: string) => findSignature(CATALOGUE, id)!;

describe("buildSliceCountsQuery", () => {
  it("counts a gateway's meters, those with the fault in the window, its open ones and the unhealthy, values as parameters", () => {
    const { query, params, hasFault, hasOpenFault } = buildSliceCountsQuery({
      slice: { gw: "GW-0042" },
      fault: { catalogue: CATALOGUE, signature: sig("E105"), window: { from: NOW - 24 * HOUR, to: NOW }, fleetRules: { compatibleFwPairs: null }, isMapCode: true },
      now: NOW,
      staleAfterMs: 24 * HOUR,
    });
    const sql = query.replace(/\s+/g, " ");
    expect(sql).toContain("FROM fleet_meters FINAL WHERE gw = {slice_gw:String}");
    // "affected" is the root cause's condition; "open" and "unhealthy" are the map's.
    expect(sql).toContain(
      "countIf(cityHash64(meter) IN (SELECT cityHash64(meter) FROM audit_log WHERE ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')} AND code IN {sig_codes:Array(String)})) AS with_fault",
    );
    expect(sql).toContain("FROM map_meter_cells FINAL WHERE fault_code = {faultIdx: UInt8} AND fault_open AND fault_at > 0 AND fault_at >= {faultSince: UInt64})) AS open_fault");
    expect(sql).toContain("IN (1, 2, 3, 4))) AS unhealthy");
    expect(sql).not.toContain("GW-0042");
    expect(params).toMatchObject({
      slice_gw: "GW-0042",
      sig_codes: ["E105"],
      from: "2026-12-06 12:00:00.000",
      to: "2026-12-07 12:00:00.000",
      faultSince: NOW - 24 * HOUR,
      staleBefore: NOW - 24 * HOUR,
    });
    expect(hasFault && hasOpenFault).toBe(true);
  });
  it("without a fault counts the slice and its unhealthy meters only; a rule that cannot be judged has no affected count", () => {
    const plain = buildSliceCountsQuery({ slice: {}, now: NOW, staleAfterMs: HOUR });
    expect(plain.query).toContain("0 AS with_fault");
    expect(plain.query).toContain("0 AS open_fault");
    expect(plain.query).not.toContain("WHERE gw");
    expect(plain.hasFault).toBe(false);
    const rule = buildSliceCountsQuery({
      slice: { zone: "hot-dry" },
      fault: { catalogue: CATALOGUE, signature: sig("fw_pair_incompatible"), window: { from: NOW - HOUR, to: NOW }, fleetRules: { compatibleFwPairs: null }, isMapCode: false },
      now: NOW,
      staleAfterMs: HOUR,
    });
    expect(rule.hasFault).toBe(false);
    expect(rule.hasOpenFault).toBe(false);
  });
});
