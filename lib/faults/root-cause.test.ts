import { describe, expect, it } from "vitest";
import { computeAssociation, computeWilsonLower, describeTopCause, formatLift, formatPercent, rankConcentration } from "./root-cause";

// E105 on a 100 000-meter fleet: 100 affected, 71 of them behind GW-0042 (400 meters).
const e105 = {
  totalAffected: 100,
  totalFleet: 100_000,
  dimensions: [
    {
      dimension: "gateway",
      values: [
        { value: "GW-0042", affected: 71, fleet: 400 },
        { value: "GW-0007", affected: 9, fleet: 30_000 },
        { value: "GW-0100", affected: 20, fleet: 69_600 },
      ],
    },
    {
      dimension: "meter_model",
      values: [
        { value: "AX-200", affected: 60, fleet: 50_000 },
        { value: "BX-310", affected: 40, fleet: 50_000 },
      ],
    },
  ],
};

describe("rankConcentration", () => {
  it("computes shares and lift by hand: 71 % / 0.4 % = 177.5", () => {
    const result = rankConcentration(e105);
    expect(result.fleetRate).toBe(0.001);
    const top = result.dimensions[0];
    expect(top.dimension).toBe("gateway");
    expect(top.top?.value).toBe("GW-0042");
    expect(top.top?.shareOfFault).toBeCloseTo(0.71, 12);
    expect(top.top?.shareOfFleet).toBeCloseTo(0.004, 12);
    expect(top.top?.lift).toBe(177.5);
    expect(top.top?.affectedRate).toBeCloseTo(71 / 400, 12);
    const model = result.dimensions[1].cells.find((c) => c.value === "AX-200");
    expect(model?.lift).toBeCloseTo(0.6 / 0.5, 12);
  });

  it("renders the sentence with 71 %, 0.4 % and 178×", () => {
    expect(describeTopCause("E105", rankConcentration(e105))).toBe("E105: 71 % of affected meters are behind GW-0042, which serves 0.4 % of the fleet (lift 178×)");
  });

  it("describes a chosen dimension with its own wording", () => {
    expect(describeTopCause("E105", rankConcentration(e105), "meter_model")).toBe("E105: 60 % of affected meters are model AX-200, which makes up 50 % of the fleet (lift 1.2×)");
  });

  it("does not let a 1-meter cell with lift 500× outrank a 400-meter cell with lift 150×", () => {
    const result = rankConcentration({
      totalAffected: 200,
      totalFleet: 100_000,
      minSupport: 1, // switch the support rule off: the score alone must order them
      dimensions: [
        {
          dimension: "gateway",
          values: [
            { value: "GW-TINY", affected: 1, fleet: 1 },
            { value: "GW-BIG", affected: 120, fleet: 400 },
          ],
        },
      ],
    });
    const [first, second] = result.dimensions[0].cells;
    expect(second.value).toBe("GW-TINY");
    expect(second.lift).toBe(500);
    expect(first.value).toBe("GW-BIG");
    expect(first.lift).toBe(150);
    expect(first.score).toBeGreaterThan(second.score);
  });

  it("lists cells under minSupport after supported ones, and never as the top cause", () => {
    const result = rankConcentration({
      totalAffected: 50,
      totalFleet: 10_000,
      dimensions: [
        {
          dimension: "gateway",
          values: [
            { value: "GW-A", affected: 2, fleet: 2 },
            { value: "GW-B", affected: 10, fleet: 200 },
          ],
        },
      ],
    });
    const d = result.dimensions[0];
    expect(d.cells.map((c) => c.value)).toEqual(["GW-B", "GW-A"]);
    expect(d.cells[1].hasSupport).toBe(false);
    expect(d.top?.value).toBe("GW-B");
  });

  it("ranks dimensions by association: the concentrated one first", () => {
    const result = rankConcentration({ ...e105, dimensions: [...e105.dimensions].reverse() });
    expect(result.dimensions.map((d) => d.dimension)).toEqual(["gateway", "meter_model"]);
    expect(result.dimensions[0].association).toBeGreaterThan(result.dimensions[1].association);
  });

  it("says nothing stands out when faults are spread like the fleet", () => {
    const result = rankConcentration({
      totalAffected: 30,
      totalFleet: 3000,
      dimensions: [
        {
          dimension: "climate_zone",
          values: [
            { value: "hot", affected: 10, fleet: 1000 },
            { value: "mild", affected: 10, fleet: 1000 },
            { value: "cold", affected: 10, fleet: 1000 },
          ],
        },
      ],
    });
    expect(result.dimensions[0].association).toBe(0);
    expect(result.dimensions[0].top).toBeNull();
    expect(describeTopCause("E001", result)).toMatch(/^E001: no single .* stands out/);
  });

  it("handles a fault with no affected meters", () => {
    const result = rankConcentration({ totalAffected: 0, totalFleet: 500, dimensions: [{ dimension: "gateway", values: [{ value: "GW-A", affected: 0, fleet: 500 }] }] });
    expect(result.fleetRate).toBe(0);
    expect(result.dimensions[0].cells[0]).toMatchObject({ lift: 0, score: 0, shareOfFault: 0 });
  });

  it("refuses inconsistent counts with a clear message", () => {
    expect(() => rankConcentration({ totalAffected: 10, totalFleet: 100, dimensions: [{ dimension: "gateway", values: [{ value: "X", affected: 5, fleet: 3 }] }] })).toThrow(
      /affected cannot exceed fleet/,
    );
    expect(() => rankConcentration({ totalAffected: 10, totalFleet: 100, dimensions: [{ dimension: "gateway", values: [{ value: "X", affected: 11, fleet: 50 }] }] })).toThrow(
      /more than totalAffected 10/,
    );
  });
});

describe("statistics", () => {
  it("Wilson lower bound matches the closed form", () => {
    // n=1, p=1, z=1.96: (1 + z²/2 - z*sqrt(z²/4)) / (1 + z²) = 1 / (1 + z²)
    expect(computeWilsonLower(1, 1)).toBeCloseTo(1 / (1 + 1.96 ** 2), 12);
    // n=400, p=0.3: hand-computed 0.25716
    expect(computeWilsonLower(120, 400)).toBeCloseTo(0.25716, 4);
    expect(computeWilsonLower(0, 0)).toBe(0);
  });

  it("bias-corrected Cramér's V on a 2x2 table", () => {
    // N=1000, p0=0.1; chi² = 70²/9 + 70²/81 = 604.938; phi² = 0.604938 - 1/999; denominator 1 - 1/999
    const { chiSquare, association } = computeAssociation(
      [
        { affected: 80, fleet: 100 },
        { affected: 20, fleet: 900 },
      ],
      100,
      1000,
    );
    expect(chiSquare).toBeCloseTo(4900 / 9 + 4900 / 81, 9);
    expect(association).toBeCloseTo(Math.sqrt((chiSquare / 1000 - 1 / 999) / (1 - 1 / 999)), 12);
    expect(association).toBeCloseTo(0.7775, 3);
  });

  it("pools values not listed into a rest cell", () => {
    const listed = rankConcentration({ totalAffected: 100, totalFleet: 1000, dimensions: [{ dimension: "gateway", values: [{ value: "A", affected: 80, fleet: 100 }] }] });
    expect(listed.dimensions[0].chiSquare).toBeCloseTo(4900 / 9 + 4900 / 81, 9);
  });

  it("formats percentages and lifts", () => {
    expect(formatPercent(0.71)).toBe("71 %");
    expect(formatPercent(0.004)).toBe("0.4 %");
    expect(formatPercent(0.045)).toBe("4.5 %");
    expect(formatPercent(0.00045)).toBe("0.045 %");
    expect(formatLift(177.5)).toBe("178×");
    expect(formatLift(1.25)).toBe("1.3×");
  });
});
