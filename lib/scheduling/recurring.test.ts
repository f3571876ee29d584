import { describe, expect, it } from "vitest";
import { addMonths, findDueMeters, getInspectionMonths } from "./recurring";

const NOW = new Date("2026-03-01T12:00:00Z");
const ZONES = { temperate: { thermalStressFactor: 1 }, hot_arid: { thermalStressFactor: 2 }, desert: { thermalStressFactor: 6 } };

describe("getInspectionMonths", () => {
  it("divides the 24-month base by the stress factor, down to a 6-month floor", () => {
    expect(getInspectionMonths(1)).toBe(24);
    expect(getInspectionMonths(2)).toBe(12);
    expect(getInspectionMonths(1.7)).toBe(14);
    expect(getInspectionMonths(6)).toBe(6);
    expect(getInspectionMonths(0.5)).toBe(24);
    expect(getInspectionMonths(undefined)).toBe(24);
  });

  it("adds calendar months, clamping to the month end", () => {
    expect(new Date(addMonths(Date.parse("2025-01-31T00:00:00Z"), 1)).toISOString()).toBe("2025-02-28T00:00:00.000Z");
  });
});

describe("findDueMeters", () => {
  const meter = (id: string, zone: string, installedAt = "2025-01-15T00:00:00Z") => ({ id, zone, installedAt });

  it("makes hot zones due sooner than temperate ones from the same dates", () => {
    const due = findDueMeters([meter("EM-1", "temperate"), meter("EM-2", "hot_arid"), meter("EM-3", "desert")], ZONES, {}, {}, NOW);
    expect(due.map((d) => [d.meterId, d.reason, d.dueAt])).toEqual([
      ["EM-3", "INSPECTION_INTERVAL", "2025-07-15T00:00:00.000Z"],
      ["EM-2", "INSPECTION_INTERVAL", "2026-01-15T00:00:00.000Z"],
    ]);
  });

  it("counts from the last inspection when there is one", () => {
    const due = findDueMeters([meter("EM-2", "hot_arid")], ZONES, { "EM-2": { inspect: "2025-12-01T00:00:00Z" } }, {}, NOW);
    expect(due).toEqual([]);
    const soon = findDueMeters([meter("EM-2", "hot_arid")], ZONES, { "EM-2": { inspect: "2025-03-20T00:00:00Z" } }, {}, NOW, { lookaheadDays: 30 });
    expect(soon.map((d) => d.dueAt)).toEqual(["2026-03-20T00:00:00.000Z"]);
  });

  it("re-verifies metrology every five years by default", () => {
    const old = meter("EM-9", "temperate", "2019-01-01T00:00:00Z");
    const due = findDueMeters([old], ZONES, { "EM-9": { inspect: "2026-01-01T00:00:00Z", calibrate: "2021-02-01T00:00:00Z" } }, {}, NOW);
    expect(due.map((d) => [d.jobType, d.reason, d.dueAt])).toEqual([["calibrate", "REVERIFY_INTERVAL", "2026-02-01T00:00:00.000Z"]]);
    expect(findDueMeters([old], ZONES, { "EM-9": { inspect: "2026-01-01T00:00:00Z", calibrate: "2021-04-01T00:00:00Z" } }, {}, NOW)).toEqual([]);
  });

  it("brings re-verification forward on accuracy drift or fault rate", () => {
    const fresh = [meter("EM-5", "temperate", "2025-06-01T00:00:00Z"), meter("EM-6", "temperate", "2025-06-01T00:00:00Z"), meter("EM-7", "temperate", "2025-06-01T00:00:00Z")];
    const due = findDueMeters(
      fresh,
      ZONES,
      {},
      { "EM-5": { accuracyDriftPct: -0.35 }, "EM-6": { faultRatePerMonth: 4 }, "EM-7": { accuracyDriftPct: 0.1, faultRatePerMonth: 0.5 } },
      NOW,
    );
    expect(due.map((d) => [d.meterId, d.reason, d.dueAt])).toEqual([
      ["EM-5", "ACCURACY_DRIFT", NOW.toISOString()],
      ["EM-6", "FAULT_RATE", NOW.toISOString()],
    ]);
  });
});
