import { describe, expect, it } from "vitest";
import type { BasemapPaths } from "./basemap";
import { drawBasemap, drawLabels, StaticLayers, type Projector } from "./canvas2d";
import { cellDonuts } from "./layers";

/** A plain lon/lat projector over a box (the drawing only needs project and getBounds). */
function projector(west: number, south: number, east: number, north: number, width = 400, height = 200): Projector {
  const kx = width / (east - west);
  const ky = height / (north - south);
  return { width, height, project: ([lon, lat]) => [(lon! - west) * kx, (north - lat!) * ky], getBounds: () => [west, south, east, north] };
}

/** Records what is drawn: one entry per stroke (its points) and per text. */
function recordingCanvas() {
  const calls: { strokes: [number, number][][]; texts: { text: string; x: number; y: number }[]; clears: number } = { strokes: [], texts: [], clears: 0 };
  let path: [number, number][] = [];
  let subpaths: [number, number][][] = [];
  const ctx = {
    canvas: null as unknown,
    clearRect: () => void calls.clears++,
    beginPath: () => {
      subpaths = [];
      path = [];
    },
    moveTo: (x: number, y: number) => {
      path = [[x, y]];
      subpaths.push(path);
    },
    lineTo: (x: number, y: number) => void path.push([x, y]),
    stroke: () => void calls.strokes.push(...subpaths),
    fillText: (text: string, x: number, y: number) => void calls.texts.push({ text, x, y }),
    font: "", textAlign: "", textBaseline: "", fillStyle: "", strokeStyle: "", lineWidth: 0,
  };
  const canvas = { width: 0, height: 0, getContext: () => ctx };
  ctx.canvas = canvas;
  return { canvas: canvas as unknown as HTMLCanvasElement, ctx: ctx as unknown as CanvasRenderingContext2D, calls };
}

const basemap: BasemapPaths = {
  countries: [[[-10, 40], [0, 45], [10, 40]], [[100, 10], [110, 12]]], // the second is far outside the views below
  states: [[[-5, 41], [5, 41]]],
};

describe("map Canvas 2D layers", () => {
  it("draws the borders in view, projected, and skips paths outside it", () => {
    const { ctx, calls } = recordingCanvas();
    const drawn = drawBasemap(ctx, projector(-20, 30, 20, 50), basemap);
    expect(drawn).toBe(2);
    expect(calls.strokes).toEqual([[[100, 100], [200, 50], [300, 100]], [[150, 90], [250, 90]]]);
  });

  it("writes each cluster's count at its centre, off-screen ones left out", () => {
    const { ctx, calls } = recordingCanvas();
    const visible = [true, true, true, true, true, true, true];
    const labels = cellDonuts([
      { cx: 0, cy: 0, lon: 0, lat: 40, counts: [1200, 3, 0, 0, 0, 0, 0], total: 1203 },
      { cx: 1, cy: 0, lon: 90, lat: 40, counts: [5, 0, 0, 0, 0, 0, 0], total: 5 },
    ] as never, visible);
    expect(drawLabels(ctx, projector(-20, 30, 20, 50), labels)).toBe(1);
    expect(calls.texts).toEqual([{ text: "1.2k", x: 200, y: 100 }]);
  });

  it("redraws the basemap only when the view or the basemap changes, the labels when they change too", () => {
    const base = recordingCanvas();
    const lab = recordingCanvas();
    const s = new StaticLayers(base.canvas, lab.canvas);
    const view = projector(-20, 30, 20, 50);
    s.sync(view);
    expect(s.draws).toEqual({ basemap: 1, labels: 1 }); // first frame: both cleared / drawn
    s.basemap = basemap;
    s.sync(view);
    expect(s.draws).toEqual({ basemap: 2, labels: 1 });
    // Live batches: same view, same labels -> nothing redrawn.
    for (let i = 0; i < 5; i++) s.sync(projector(-20, 30, 20, 50));
    expect(s.draws).toEqual({ basemap: 2, labels: 1 });
    s.labels = cellDonuts([{ cx: 0, cy: 0, lon: 0, lat: 40, counts: [7, 0, 0, 0, 0, 0, 0], total: 7 }] as never, [true, true, true, true, true, true, true]);
    s.sync(view);
    expect(s.draws).toEqual({ basemap: 2, labels: 2 });
    expect(lab.calls.texts.at(-1)).toEqual({ text: "7", x: 200, y: 100 });
    // A pan redraws both; the canvases follow the viewport's size.
    s.sync(projector(-10, 30, 30, 50, 500, 300));
    expect(s.draws).toEqual({ basemap: 3, labels: 3 });
    expect([base.canvas.width, base.canvas.height, lab.canvas.width, lab.canvas.height]).toEqual([500, 300, 500, 300]);
  });
});
