import { describe, expect, it } from "vitest";
import { WebMercatorViewport } from "@deck.gl/core";
import { PICK_SLOP as PICK_SLOP_PX } from "./canvas2d";
import { commonOffsets, originMatrix, pickPoint, pointRadius, screenOf } from "./points-gl";

/** A selection of meters around a town, as lib/map/browser/points.ts makes them. */
function selection(lon0: number, lat0: number, n: number) {
  const positions = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    positions[2 * i] = lon0 + ((i * 37) % 101) / 5000 - 0.01;
    positions[2 * i + 1] = lat0 + ((i * 53) % 97) / 5000 - 0.01;
  }
  return { positions };
}

describe("meter points (WebGL sprites)", () => {
  it("places every meter where deck's viewport projects it, to a hundredth of a pixel, from street to country zoom", () => {
    for (const zoom of [5, 11, 17, 20]) {
      for (const [lon, lat] of [
        [-122.41, 37.77],
        [179.99, -16.5],
        [2.35, 48.85],
      ] as const) {
        const vp = new WebMercatorViewport({ width: 1366, height: 768, longitude: lon, latitude: lat, zoom });
        const sel = selection(lon, lat, 50);
        const { origin, offsets } = commonOffsets(sel, vp);
        const m = originMatrix(vp, origin);
        for (let i = 0; i < 50; i++) {
          // Offsets go to the GPU as float32: screenOf reads them as the shader does.
          const [x, y] = screenOf(m, vp.width, vp.height, offsets[2 * i]!, offsets[2 * i + 1]!);
          const [ex, ey] = vp.project([sel.positions[2 * i]!, sel.positions[2 * i + 1]!]) as [number, number];
          expect(Math.abs(x - ex), `zoom ${zoom} meter ${i} x`).toBeLessThan(0.01);
          expect(Math.abs(y - ey), `zoom ${zoom} meter ${i} y`).toBeLessThan(0.01);
        }
      }
    }
  });

  it("picks the nearest meter within its radius and the slop, and none beyond", () => {
    const vp = new WebMercatorViewport({ width: 800, height: 600, longitude: 10, latitude: 50, zoom: 14 });
    const sel = { positions: Float32Array.from([10, 50, 10.0003, 50, 10.01, 50.01]) };
    const { origin, offsets } = commonOffsets(sel, vp);
    const m = originMatrix(vp, origin);
    const r = pointRadius(14);
    const [x0, y0] = vp.project([10, 50]) as [number, number];
    const [x1] = vp.project([10.0003, 50]) as [number, number];
    expect(x1 - x0).toBeGreaterThan(5); // two meters a few pixels apart
    expect(pickPoint(m, 800, 600, offsets, r, x0 + 1, y0)).toBe(0);
    expect(pickPoint(m, 800, 600, offsets, r, x1 - 1, y0)).toBe(1);
    expect(pickPoint(m, 800, 600, offsets, r, x0 - r - PICK_SLOP_PX + 0.5, y0)).toBe(0);
    expect(pickPoint(m, 800, 600, offsets, r, x0 - r - PICK_SLOP_PX - 0.5, y0)).toBe(-1);
    expect(pickPoint(m, 800, 600, new Float32Array(0), r, x0, y0)).toBe(-1);
  });

  it("sizes the sprites by zoom as the map did", () => {
    expect([pointRadius(8), pointRadius(9), pointRadius(11.5), pointRadius(12), pointRadius(18)]).toEqual([2.5, 3.5, 3.5, 5, 5]);
  });
});
