import { describe, expect, it } from "vitest";
import { createRandom, createWeightedPicker, hashSeed } from "./random";

describe("random", () => {
  it("repeats the same sequence for the same seed and differs for another", () => {
    const draw = (seed: number | string) =>
      Array.from(
        { length: 50 },
        (
          (r) => () =>
            r.nextUint32()
        )(createRandom(seed)),
      );
    expect(draw(7)).toEqual(draw(7));
    expect(draw("fleet")).toEqual(draw("fleet"));
    expect(draw(7)).not.toEqual(draw(8));
    expect(hashSeed(1)).not.toBe(hashSeed(2 ** 32 + 1));
  });

  it("forks depend on the label, not on how much the parent consumed", () => {
    const a = createRandom(1);
    const b = createRandom(1);
    for (let i = 0; i < 100; i++) b.float();
    expect(a.fork("x").float()).toBe(b.fork("x").float());
    expect(a.fork("x").float()).not.toBe(a.fork("y").float());
  });

  it("draws uniform, normal and weighted values with the expected moments", () => {
    const r = createRandom(42);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    let uMin = 1;
    let uMax = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      sum += z;
      sumSq += z * z;
      const u = r.float();
      uMin = Math.min(uMin, u);
      uMax = Math.max(uMax, u);
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.02);
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(0.03);
    expect(uMin).toBeGreaterThanOrEqual(0);
    expect(uMax).toBeLessThan(1);
    const pick = createWeightedPicker([1, 0, 3]);
    const counts = [0, 0, 0];
    for (let i = 0; i < 40_000; i++) counts[pick(r)]!++;
    expect(counts[1]).toBe(0);
    expect(counts[2]! / counts[0]!).toBeGreaterThan(2.7);
    expect(counts[2]! / counts[0]!).toBeLessThan(3.3);
    expect(["a", "b"]).toContain(r.pick(["a", "b"]));
    expect(r.pickWeighted(["never", "always"], [0, 1])).toBe("always");
  });
});
