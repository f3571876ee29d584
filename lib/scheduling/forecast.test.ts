import { describe, expect, it } from "vitest";
import { codeColumn, NO_DAY, type FleetColumns, type PlanDueColumn } from "./due-columns";
import { queryDueList } from "./due-list";
import { computeCompliance, forecastWork, proposeLevelling } from "./forecast";
import { isoToDay, type Plan } from "./maintenance";

const TODAY = isoToDay("2026-12-08");
const fleet: FleetColumns = {
  n: 5,
  ids: ["EM-0000001", "EM-0000002", "EM-0000003", "GM-0000004", "WM-0000005"],
  kind: codeColumn(["electric", "electric", "electric", "gas", "water"]),
  zone: codeColumn(["hot-humid", "temperate", "hot-humid", "cold", "temperate"]),
  model: codeColumn(["a", "a", "b", "g", "w"]),
  gateway: codeColumn(["GW-1", "GW-1", "GW-2", "GW-2", "GW-3"]),
  district: codeColumn(["Houston", "Houston", "Houston", "Austin", "Austin"]),
  fw: codeColumn(["1/1", "1/1", "1/1", "1/1", "1/1"]),
  installedDay: Int32Array.from([TODAY - 4000, TODAY - 400, TODAY - 100, TODAY - 6000, TODAY - 2000]),
  certDay: new Int32Array(5).fill(NO_DAY),
};
const inspect: Plan = {
  id: "p1",
  name: "Inspection",
  jobType: "inspect",
  scope: {},
  rule: { kind: "interval", baseMonths: 24, zoneFactors: { "hot-humid": 2 }, floorMonths: 6 },
  triggers: {},
  lookaheadDays: 30,
  enabled: true,
};
const col = (due: number[], fired: number[] = [0, 0, 0, 0, 0]): PlanDueColumn => ({ planId: "p1", due: Int32Array.from(due), fired: Uint8Array.from(fired) });

describe("due list", () => {
  const c = col([TODAY - 10, TODAY + 3, TODAY + 40, NO_DAY, TODAY - 10], [0, 1, 0, 0, 0]);
  const q = { status: "all" as const, horizonDays: 30, sort: "due" as const, desc: false, offset: 0, limit: 10 };
  it("sorts by due date then meter, pages, and filters by status, zone and trigger", () => {
    expect(queryDueList([c], fleet, q, TODAY).rows.map((r) => r.meter)).toEqual([0, 4, 1, 2]);
    expect(queryDueList([c], fleet, { ...q, desc: true }, TODAY).rows.map((r) => r.meter)).toEqual([2, 1, 4, 0]);
    expect(queryDueList([c], fleet, { ...q, offset: 1, limit: 2 }, TODAY)).toEqual({
      total: 4,
      rows: [
        { plan: 0, meter: 4, dueDay: TODAY - 10 },
        { plan: 0, meter: 1, dueDay: TODAY + 3 },
      ],
    });
    expect(queryDueList([c], fleet, { ...q, status: "overdue" }, TODAY).rows.map((r) => r.meter)).toEqual([0, 4]);
    expect(queryDueList([c], fleet, { ...q, status: "due" }, TODAY).total).toBe(3);
    expect(queryDueList([c], fleet, { ...q, zone: "hot-humid" }, TODAY).rows.map((r) => r.meter)).toEqual([0, 2]);
    expect(queryDueList([c], fleet, { ...q, zone: "nowhere" }, TODAY).total).toBe(0);
    expect(queryDueList([c], fleet, { ...q, triggeredOnly: true }, TODAY).rows.map((r) => r.meter)).toEqual([1]);
    expect(queryDueList([c], fleet, { ...q, sort: "meter", desc: true, limit: 2 }, TODAY)).toEqual({
      total: 4,
      rows: [
        { plan: 0, meter: 4, dueDay: TODAY - 10 },
        { plan: 0, meter: 2, dueDay: TODAY + 40 },
      ],
    });
  });
});

describe("forecast", () => {
  it("counts each job in its week with recurrences, overdue work in week 0, crew hours by district", () => {
    const c = col([TODAY - 10, TODAY + 3, TODAY + 40, TODAY + 8, NO_DAY]);
    const fc = forecastWork([inspect], [c], fleet, { today: TODAY, weeks: 52, fieldMinutes: { inspect: 60 }, capacity: { Houston: 1 } });
    const hh = fc.series.find((s) => s.zone === "hot-humid")!;
    // Meter 0: overdue (week 0), then every 12 months: 2027-12-08 is day 365 = week 52, outside.
    expect(hh.counts[0]).toBe(1);
    expect(hh.counts[5]).toBe(1);
    expect(hh.counts.reduce((a, b) => a + b, 0)).toBe(2);
    expect(fc.totals).toMatchObject({ jobs: 4, overdueNow: 1 });
    const houston = fc.districts.find((d) => d.district === "Houston")!;
    expect(houston.hours[0]).toBe(2);
    expect(houston.overWeeks).toEqual([0]);
    expect(fc.weekStarts[1]).toBe("2026-12-15");
  });

  it("levels by pulling excess into earlier free weeks only", () => {
    const lv = proposeLevelling([{ district: "Houston", hours: [2, 1, 9, 0], capacity: 4, overWeeks: [2] }]);
    // 5 h over: 3 into the nearest earlier week, 2 into the one before; nothing moves later.
    expect(lv.levelled.Houston).toEqual([4, 4, 4, 0]);
    expect(lv.moves).toEqual([
      { district: "Houston", fromWeek: 2, toWeek: 1, hours: 3 },
      { district: "Houston", fromWeek: 2, toWeek: 0, hours: 2 },
    ]);
    expect(lv.unresolved).toEqual({});
    // The first week cannot pull from anywhere: its excess stays unresolved.
    expect(proposeLevelling([{ district: "X", hours: [6, 0], capacity: 4, overWeeks: [0] }]).unresolved).toEqual({ X: 2 });
  });

  it("reports compliance per plan and by zone", () => {
    const c = col([TODAY - 10, TODAY + 3, TODAY + 40, TODAY + 8, NO_DAY]);
    expect(computeCompliance([inspect], [c], fleet, TODAY, "plan")).toEqual([{ planId: "p1", key: "", meters: 4, overdue: 1, compliantPct: 75 }]);
    expect(computeCompliance([inspect], [c], fleet, TODAY, "zone").map((r) => [r.key, r.compliantPct])).toEqual([
      ["cold", 100],
      ["hot-humid", 50],
      ["temperate", 100],
    ]);
  });
});
