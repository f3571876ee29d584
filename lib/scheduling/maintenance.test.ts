import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codeColumn, computeDueColumn, dueItemAt, emptyConditions, NO_DAY, type FleetColumns, type LastDoneColumn } from "./due-columns";
import { addMonthsToDay, computeDue, DEFAULT_PLANS, dayOf, dayToIso, isoToDay, planSpecSchema, type MeterFacts, type Plan } from "./maintenance";

const NOW = Date.parse("2026-12-08T10:00:00Z");
const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`);
const specOf = ({ key: _key, ...spec }: (typeof DEFAULT_PLANS)[number]) => spec;
const plans: Record<string, Plan> = Object.fromEntries(DEFAULT_PLANS.map((p) => [p.key, { ...planSpecSchema.parse(specOf(p)), id: p.key }]));

function meter(partial: Partial<MeterFacts> = {}): MeterFacts {
  return {
    id: "EM-0000001",
    kind: "electric",
    zone: "temperate",
    model: "Aclara I-210+",
    gatewayId: "GW-0001",
    installedAt: day("2024-01-15"),
    certNotAfter: day("2028-06-30"),
    fwMetrology: "3.4.1",
    fwComms: "6.1.0",
    ...partial,
  };
}

describe("interval rule", () => {
  it("shortens inspection by the zone's stress and words the reason with the last work order", () => {
    const due = computeDue(plans.inspection!, meter({ zone: "hot-humid" }), { at: day("2026-03-02"), source: "work order", ref: "wo123" }, undefined, NOW)!;
    expect(due.dueDate).toBe("2027-03-02");
    expect(due.isOverdue).toBe(false);
    expect(due.reason).toBe("Inspection due 2027-03-02 — hot-humid zone ×2 stress: every 12 months; last done 2026-03-02 (work order wo123)");
  });

  it("uses the base interval in an unstressed zone and counts from installation when never done", () => {
    const due = computeDue(plans.inspection!, meter(), undefined, undefined, NOW)!;
    expect(due.dueDate).toBe("2026-01-15");
    expect(due.isOverdue).toBe(true);
    expect(due.reason).toBe("Inspection overdue since 2026-01-15 — every 2 years; installed 2024-01-15, never done");
  });

  it("never goes under the floor however stressed the zone", () => {
    const plan = { ...plans.inspection!, rule: { kind: "interval" as const, baseMonths: 24, zoneFactors: { "hot-humid": 8 }, floorMonths: 6 } };
    const due = computeDue(plan, meter({ zone: "hot-humid" }), { at: day("2026-10-01"), source: "campaign", ref: "c1" }, undefined, NOW)!;
    expect(due.dueDate).toBe("2027-04-01");
    expect(due.reason).toContain("every 6 months (floor)");
  });

  it("keeps meters out of the plan's scope out", () => {
    expect(computeDue(plans["battery-audit"]!, meter({ kind: "electric" }), undefined, undefined, NOW)).toBeNull();
    expect(computeDue(plans["battery-audit"]!, meter({ kind: "gas", id: "GM-0000001" }), undefined, undefined, NOW)).not.toBeNull();
    expect(computeDue(plans.reverification!, meter({ kind: "water" }), undefined, undefined, NOW)).toBeNull();
  });

  it("re-verifies every 5 years from the last verification", () => {
    const due = computeDue(plans.reverification!, meter(), { at: day("2022-05-31"), source: "verification", ref: "meter record" }, undefined, NOW)!;
    expect(due.dueDate).toBe("2027-05-31");
    expect(due.reason).toBe("Re-verification due 2027-05-31 — every 5 years; last done 2022-05-31 (verification meter record)");
  });
});

describe("condition triggers", () => {
  it("brings re-verification to today on accuracy drift", () => {
    const due = computeDue(plans.reverification!, meter(), undefined, { accuracyDriftPct: -0.41 }, NOW)!;
    expect(due.dueDate).toBe("2026-12-08");
    expect(due.triggers).toEqual(["drift"]);
    expect(due.reason).toMatch(/^Re-verification due now — accuracy drift 0\.41 % > 0\.3 % \(by calendar 2029-01-15: every 5 years; installed 2024-01-15, never done\)$/);
  });

  it("does not fire at or under the threshold", () => {
    expect(computeDue(plans.reverification!, meter(), undefined, { accuracyDriftPct: 0.3 }, NOW)!.triggers).toEqual([]);
    expect(computeDue(plans["battery-audit"]!, meter({ kind: "water" }), undefined, { batteryV: 3.1 }, NOW)!.triggers).toEqual([]);
  });

  it("fires on fault rate, battery, certificate and firmware pair, and keeps an earlier calendar date", () => {
    const plan: Plan = {
      ...plans.inspection!,
      triggers: { faultRate: { code: "E105", perMonth: 2 }, batteryV: 3.1, certDays: 90, firmwareTarget: { metrology: "3.5.0", comms: "6.2.0" } },
    };
    const m = meter({ certNotAfter: day("2027-01-10") });
    const due = computeDue(plan, m, { at: day("2026-06-01"), source: "work order", ref: "w" }, { faultsPerMonth: { E105: 4, E001: 9 }, batteryV: 2.9 }, NOW)!;
    expect(due.triggers).toEqual(["fault_rate", "cert", "battery", "firmware"]);
    expect(due.dueDate).toBe("2026-12-08");
    expect(due.reason).toContain("E105 4 per month > 2; certificate expires in 33 days; battery 2.90 V < 3.1 V; firmware 3.4.1/6.1.0 is not the target 3.5.0/6.2.0");
    // Already overdue by calendar: a trigger does not move it later.
    const overdue = computeDue(plan, m, undefined, { batteryV: 2.9 }, NOW)!;
    expect(overdue.dueDate).toBe("2026-01-15");
    expect(overdue.reason).toMatch(/^Inspection overdue since 2026-01-15 — /);
  });

  it("dates certificate renewal 60 days before expiry", () => {
    const due = computeDue(plans["cert-renewal"]!, meter({ certNotAfter: day("2027-03-01") }), undefined, undefined, NOW)!;
    expect(due.dueDate).toBe("2026-12-31");
    expect(due.reason).toBe("Certificate renewal due 2026-12-31 — 60 days before the certificate expires 2027-03-01");
    expect(computeDue(plans["cert-renewal"]!, meter({ certNotAfter: null }), undefined, undefined, NOW)).toBeNull();
  });
});

describe("day arithmetic", () => {
  it("adds calendar months on day numbers, clamping to the month end", () => {
    expect(dayToIso(addMonthsToDay(isoToDay("2025-01-31"), 1))).toBe("2025-02-28");
    expect(dayToIso(addMonthsToDay(isoToDay("2024-01-31"), 1))).toBe("2024-02-29");
    expect(dayToIso(addMonthsToDay(isoToDay("2024-02-29"), 12))).toBe("2025-02-28");
    expect(dayToIso(addMonthsToDay(isoToDay("2026-11-30"), 3))).toBe("2027-02-28");
  });

  it("agrees with Date for any day and month count", () => {
    fc.assert(
      fc.property(fc.integer({ min: dayOf(Date.UTC(1990, 0, 1)), max: dayOf(Date.UTC(2090, 0, 1)) }), fc.integer({ min: 0, max: 240 }), (d, k) => {
        const x = new Date(d * 86_400_000);
        const t = new Date(Date.UTC(x.getUTCFullYear(), x.getUTCMonth() + k, 1));
        const last = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 0)).getUTCDate();
        t.setUTCDate(Math.min(x.getUTCDate(), last));
        expect(addMonthsToDay(d, k)).toBe(dayOf(t.getTime()));
      }),
    );
  });
});

describe("columnar pass", () => {
  it("gives every meter the same due date, triggers and reason as the per-meter rules", () => {
    const kinds = ["electric", "gas", "water"];
    const zones = ["hot-humid", "hot-dry", "temperate", "cold"];
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            kind: fc.constantFrom(...kinds),
            zone: fc.constantFrom(...zones),
            installed: fc.integer({ min: day("2010-01-01"), max: day("2026-12-01") }),
            cert: fc.option(fc.integer({ min: day("2025-01-01"), max: day("2030-01-01") })),
            last: fc.option(fc.integer({ min: day("2015-01-01"), max: day("2026-12-07") })),
            drift: fc.option(fc.double({ min: -1, max: 1, noNaN: true })),
            battery: fc.option(fc.double({ min: 2.5, max: 3.7, noNaN: true })),
            e001: fc.option(fc.double({ min: 0, max: 3, noNaN: true })),
            fw: fc.constantFrom("3.4.1/6.1.0", "3.5.0/6.2.0"),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        (rows) => {
          const n = rows.length;
          const f: FleetColumns = {
            n,
            ids: rows.map((_, i) => `EM-${String(i).padStart(7, "0")}`),
            kind: codeColumn(rows.map((r) => r.kind)),
            zone: codeColumn(rows.map((r) => r.zone)),
            model: codeColumn(rows.map(() => "m")),
            gateway: codeColumn(rows.map(() => "GW-1")),
            district: codeColumn(rows.map(() => "Houston")),
            fw: codeColumn(rows.map((r) => r.fw)),
            installedDay: Int32Array.from(rows, (r) => dayOf(r.installed)),
            certDay: Int32Array.from(rows, (r) => (r.cert === null ? NO_DAY : dayOf(r.cert))),
          };
          const last: LastDoneColumn = { day: Int32Array.from(rows, (r) => (r.last === null ? NO_DAY : dayOf(r.last))), detail: new Map() };
          rows.forEach((r, i) => r.last !== null && last.detail.set(i, { at: dayOf(r.last) * 86_400_000, source: "work order", ref: `w${i}` }));
          const c = emptyConditions(n);
          rows.forEach((r, i) => {
            if (r.drift !== null) c.driftPct[i] = r.drift;
            if (r.battery !== null) c.batteryV[i] = r.battery;
          });
          c.faultsPerMonth.set(
            "E001",
            Float64Array.from(rows, (r) => r.e001 ?? 0),
          );
          const withTriggers: Plan[] = Object.values(plans).map((p) => ({
            ...p,
            triggers: { ...p.triggers, certDays: 45, firmwareTarget: { metrology: "3.5.0", comms: "6.2.0" } },
          }));
          for (const plan of [...Object.values(plans), ...withTriggers]) {
            const col = computeDueColumn(plan, f, last, c, NOW);
            for (let i = 0; i < n; i++) {
              const item = dueItemAt(plan, f, last, c, i, NOW);
              expect(col.due[i]).toBe(item ? item.dueDay : NO_DAY);
              if (item) expect(col.fired[i] !== 0).toBe(item.triggers.length > 0);
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("default plans", () => {
  it("ship the six plans of the programme, each valid plan data", () => {
    expect(DEFAULT_PLANS.map((p) => [p.name, p.jobType])).toEqual([
      ["Inspection", "inspect"],
      ["Re-verification", "calibrate"],
      ["Battery audit", "battery_audit"],
      ["Supercap last-gasp test", "battery_audit"],
      ["Certificate renewal", "cert_renew"],
      ["Firmware integrity check", "fw_verify"],
    ]);
    for (const p of DEFAULT_PLANS) expect(() => planSpecSchema.parse(specOf(p))).not.toThrow();
    expect(planSpecSchema.safeParse({ name: "x", jobType: "inspect", rule: { kind: "interval", baseMonths: 0 } }).success).toBe(false);
  });
});
