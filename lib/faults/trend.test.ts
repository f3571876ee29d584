import { describe, expect, it } from "vitest";
import { computeTrend, fillSparkline, formatTrend } from "./trend";

describe("computeTrend", () => {
  it("up and down with delta and ratio", () => {
    expect(computeTrend(150, 100)).toEqual({ current: 150, previous: 100, delta: 50, ratio: 1.5, direction: "up" });
    expect(computeTrend(40, 100)).toEqual({ current: 40, previous: 100, delta: -60, ratio: 0.4, direction: "down" });
  });

  it("treats small changes as flat, at the tolerance edge too", () => {
    expect(computeTrend(105, 100).direction).toBe("flat");
    expect(computeTrend(95, 100).direction).toBe("flat");
    expect(computeTrend(106, 100).direction).toBe("up");
    expect(computeTrend(106, 100, 0.1).direction).toBe("flat");
  });

  it("handles zero baselines without dividing by zero", () => {
    expect(computeTrend(0, 0)).toEqual({ current: 0, previous: 0, delta: 0, ratio: null, direction: "flat" });
    expect(computeTrend(7, 0)).toEqual({ current: 7, previous: 0, delta: 7, ratio: null, direction: "new" });
    expect(computeTrend(0, 7)).toEqual({ current: 0, previous: 7, delta: -7, ratio: 0, direction: "gone" });
  });

  it("reads a tiny baseline that the window dwarfs as new, not as a huge percentage", () => {
    expect(computeTrend(1_400, 2)).toMatchObject({ direction: "new", ratio: 700 });
    expect(formatTrend(computeTrend(1_400, 2))).toBe("new");
    expect(computeTrend(10, 4).direction).toBe("new");
    // Below twice the tiny baseline, or from a real baseline, the ratio speaks.
    expect(computeTrend(6, 4).direction).toBe("up");
    expect(computeTrend(1_400, 5)).toMatchObject({ direction: "up", ratio: 280 });
    expect(computeTrend(3, 4).direction).toBe("down");
  });

  it("formats a trend in a few characters: percent, then a factor once tripled", () => {
    expect(formatTrend(computeTrend(150, 100))).toBe("+50 %");
    expect(formatTrend(computeTrend(40, 100))).toBe("−60 %");
    expect(formatTrend(computeTrend(102, 100))).toBe("+2 %");
    expect(formatTrend(computeTrend(100, 100))).toBe("±0 %");
    expect(formatTrend(computeTrend(320, 100))).toBe("×3.2");
    expect(formatTrend(computeTrend(1_400, 5))).toBe("×280");
    expect(formatTrend(computeTrend(0, 7))).toBe("gone");
    expect(formatTrend(computeTrend(7, 0))).toBe("new");
  });

  it("refuses negative or non-finite counts", () => {
    expect(() => computeTrend(-1, 3)).toThrow(RangeError);
    expect(() => computeTrend(3, Number.NaN)).toThrow(/previous/);
  });
});

describe("fillSparkline", () => {
  const H = 3_600_000;
  const from = Date.UTC(2026, 10, 25, 0);

  it("fills missing buckets with 0 and sums points in the same bucket", () => {
    const buckets = fillSparkline({
      from,
      to: from + 4 * H,
      stepMs: H,
      points: [
        { ts: from + H, value: 3 },
        { ts: from + H + 59 * 60_000, value: 2 },
        { ts: from + 3 * H, value: 1 },
      ],
    });
    expect(buckets).toEqual([
      { bucket: from, value: 0 },
      { bucket: from + H, value: 5 },
      { bucket: from + 2 * H, value: 0 },
      { bucket: from + 3 * H, value: 1 },
    ]);
  });

  it("ignores points outside [from, to) and keeps a partial last bucket", () => {
    const buckets = fillSparkline({
      from,
      to: from + 2.5 * H,
      stepMs: H,
      points: [
        { ts: from - 1, value: 9 },
        { ts: from + 2.5 * H, value: 9 },
        { ts: from + 2 * H, value: 4 },
      ],
    });
    expect(buckets.map((b) => b.value)).toEqual([0, 0, 4]);
  });

  it("returns no buckets for an empty range and refuses bad steps", () => {
    expect(fillSparkline({ from, to: from, stepMs: H, points: [] })).toEqual([]);
    expect(() => fillSparkline({ from, to: from + H, stepMs: 0, points: [] })).toThrow(RangeError);
    expect(() => fillSparkline({ from: from + H, to: from, stepMs: H, points: [] })).toThrow(RangeError);
    expect(() => fillSparkline({ from, to: from + 20_000 * H, stepMs: H, points: [] })).toThrow(/buckets/);
  });
});
