import { describe, expect, it } from "vitest";
import type { BasemapPaths } from "./basemap";
import { CLUSTER_GAP, DONUT_INNER, drawBasemap, drawCells, drawTowns, labelInside, pickCell, PICK_SLOP, StaticLayers, type Projector } from "./canvas2d";
import { cellDonuts } from "./layers";

/** A plain lon/lat projector over a box (the drawing only needs project and getBounds). */
function projector(west: number, south: number, east: number, north: number, width = 400, height = 200): Projector {
  const kx = width / (east - west);
  const ky = height / (north - south);
  return { width, height, project: ([lon, lat]) => [(lon! - west) * kx, (north - lat!) * ky], getBounds: () => [west, south, east, north] };
}

interface Arc {
  x: number;
  y: number;
  r: number;
  a0: number;
  a1: number;
  ccw: boolean;
}

/** Records what is drawn: one entry per stroke (its points), per fill (its style and arcs) and per text. */
function recordingCanvas() {
  const calls: { strokes: [number, number][][]; fills: { style: string; arcs: Arc[] }[]; texts: { text: string; x: number; y: number }[]; clears: number } = {
    strokes: [],
    fills: [],
    texts: [],
    clears: 0,
  };
  let path: [number, number][] = [];
  let subpaths: [number, number][][] = [];
  let arcs: Arc[] = [];
  const ctx = {
    canvas: null as unknown,
    clearRect: () => void calls.clears++,
    beginPath: () => {
      subpaths = [];
      path = [];
      arcs = [];
    },
    arc: (x: number, y: number, r: number, a0: number, a1: number, ccw = false) => void arcs.push({ x, y, r, a0, a1, ccw }),
    closePath: () => {},
    fill: () => void calls.fills.push({ style: ctx.fillStyle, arcs }),
    moveTo: (x: number, y: number) => {
      path = [[x, y]];
      subpaths.push(path);
    },
    lineTo: (x: number, y: number) => void path.push([x, y]),
    stroke: () => void calls.strokes.push(...subpaths),
    fillText: (text: string, x: number, y: number) => void calls.texts.push({ text, x, y }),
    // 7 px per character: about the 12 px label font's width.
    measureText: (text: string) => ({ width: 7 * text.length }),
    strokeText: () => {},
    font: "",
    textAlign: "",
    textBaseline: "",
    fillStyle: "",
    strokeStyle: "",
    lineWidth: 0,
  };
  const canvas = { width: 0, height: 0, getContext: () => ctx };
  ctx.canvas = canvas;
  return { canvas: canvas as unknown as HTMLCanvasElement, ctx: ctx as unknown as CanvasRenderingContext2D, calls };
}

const basemap: BasemapPaths = {
  countries: [
    [
      [-10, 40],
      [0, 45],
      [10, 40],
    ],
    [
      [100, 10],
      [110, 12],
    ],
  ], // the second is far outside the views below
  states: [
    [
      [-5, 41],
      [5, 41],
    ],
  ],
};

describe("map Canvas 2D layers", () => {
  it("draws the borders in view, projected, and skips paths outside it", () => {
    const { ctx, calls } = recordingCanvas();
    const drawn = drawBasemap(ctx, projector(-20, 30, 20, 50), basemap);
    expect(drawn).toBe(2);
    expect(calls.strokes).toEqual([
      [
        [100, 100],
        [200, 50],
        [300, 100],
      ],
      [
        [150, 90],
        [250, 90],
      ],
    ]);
  });

  it("draws each cluster in view as a disc, a ring of its state shares from 12 o'clock, and its count", () => {
    const { ctx, calls } = recordingCanvas();
    const visible = [true, true, true, true, true, true, true];
    const cells = cellDonuts(
      [
        { cx: 0, cy: 0, lon: 0, lat: 40, counts: [1200, 0, 3, 0, 0, 0, 0], total: 1203 },
        { cx: 1, cy: 0, lon: 90, lat: 40, counts: [5, 0, 0, 0, 0, 0, 0], total: 5 }, // off-screen
      ] as never,
      visible,
    );
    expect(drawCells(ctx, projector(-20, 30, 20, 50), cells)).toBe(1);
    const d = cells[0]!;
    // The disc, then one fill per state present (normal, red): none for the states with no meter.
    expect(calls.fills.map((f) => f.style)).toEqual(["rgba(13, 17, 23, 0.84)", "rgb(63, 185, 80)", "rgb(248, 81, 73)"]);
    expect(calls.fills[0]!.arcs).toEqual([{ x: 200, y: 100, r: d.radius, a0: 0, a1: 2 * Math.PI, ccw: false }]);
    const [normal, red] = [calls.fills[1]!.arcs, calls.fills[2]!.arcs];
    const top = -Math.PI / 2;
    // Outer arc clockwise, inner arc back: an annular sector between DONUT_INNER and the radius.
    expect(normal[0]).toMatchObject({ x: 200, y: 100, r: d.radius, a0: top, ccw: false });
    expect(normal[1]!.r).toBeCloseTo(d.radius * DONUT_INNER, 9);
    expect(normal[1]!.ccw).toBe(true);
    expect(normal[0]!.a1).toBeCloseTo(top + d.endsA[0] * 2 * Math.PI, 9);
    expect(red[0]!.a0).toBeCloseTo(normal[0]!.a1, 9); // amber has no sector: red starts where normal ends
    expect(red[0]!.a1).toBeCloseTo(top + 2 * Math.PI, 9); // and closes the ring (nothing after red)
    expect(calls.texts).toEqual([{ text: "1.2k", x: 200, y: 100 }]);
  });

  it("picks the cluster under the pointer, the one drawn last when two overlap, within a few pixels of its disc", () => {
    const visible = [true, true, true, true, true, true, true];
    const cells = cellDonuts(
      [
        { cx: 0, cy: 0, lon: 0, lat: 40, counts: [9000, 0, 0, 0, 0, 0, 0], total: 9000 },
        { cx: 1, cy: 0, lon: 0.5, lat: 40, counts: [100, 0, 0, 0, 0, 0, 0], total: 100 }, // 5 px to the right, smaller, on top
      ] as never,
      visible,
    );
    expect(cells[0]!.radius).toBeGreaterThan(cells[1]!.radius + 6);
    const vp = projector(-20, 30, 20, 50);
    expect(pickCell(vp, cells, 206, 100)).toBe(cells[1]);
    expect(pickCell(vp, cells, 200 - cells[0]!.radius - PICK_SLOP + 1, 100)).toBe(cells[0]);
    expect(pickCell(vp, cells, 200 - cells[0]!.radius - PICK_SLOP - 1, 100)).toBeNull();
    expect(pickCell(vp, [], 200, 100)).toBeNull();
  });

  it("redraws the basemap only when the view or the basemap changes, the clusters when they change too", () => {
    const base = recordingCanvas();
    const lab = recordingCanvas();
    const s = new StaticLayers(base.canvas, lab.canvas);
    const view = projector(-20, 30, 20, 50);
    s.sync(view);
    expect(s.draws).toEqual({ basemap: 1, cells: 1 }); // first frame: both cleared / drawn
    s.basemap = basemap;
    s.sync(view);
    expect(s.draws).toEqual({ basemap: 2, cells: 1 });
    // Frames with the same view and the same clusters redraw nothing.
    for (let i = 0; i < 5; i++) s.sync(projector(-20, 30, 20, 50));
    expect(s.draws).toEqual({ basemap: 2, cells: 1 });
    s.cells = cellDonuts([{ cx: 0, cy: 0, lon: 0, lat: 40, counts: [7, 0, 0, 0, 0, 0, 0], total: 7 }] as never, [true, true, true, true, true, true, true]);
    s.sync(view);
    expect(s.draws).toEqual({ basemap: 2, cells: 2 });
    expect(lab.calls.texts.at(-1)).toEqual({ text: "7", x: 200, y: 100 });
    // A pan redraws both; the canvases follow the viewport's size.
    s.sync(projector(-10, 30, 30, 50, 500, 300));
    expect(s.draws).toEqual({ basemap: 3, cells: 3 });
    expect([base.canvas.width, base.canvas.height, lab.canvas.width, lab.canvas.height]).toEqual([500, 300, 500, 300]);
  });

  it("never draws two clusters over each other: close ones merge (counts added) and each ring fits its count", () => {
    const { ctx, calls } = recordingCanvas();
    const all = [true, true, true, true, true, true, true];
    // 40 cells scattered over 60 x 40 px (as grid cells' centroids crowd at a low zoom), and a lone one far away.
    const raw = Array.from({ length: 40 }, (_, i) => ({
      cx: i,
      cy: 0,
      lon: -3 + ((i * 37) % 60) / 10,
      lat: 40 + ((i * 53) % 40) / 10,
      counts: [100 * (i + 1), i % 3, 0, 0, 5, 0, 0],
      total: 0,
    }));
    raw.push({ cx: 99, cy: 0, lon: 15, lat: 35, counts: [2200, 0, 0, 0, 0, 0, 0], total: 2200 });
    const donuts = cellDonuts(raw as never, all);
    const placed: ReturnType<typeof cellDonuts> = [];
    const n = drawCells(ctx, projector(-20, 30, 20, 50), donuts, placed);
    expect(n).toBe(placed.length);
    expect(n).toBeGreaterThan(1);
    expect(n).toBeLessThan(donuts.length);
    // Every meter is still counted once.
    const sum = (ds: typeof donuts) => ds.reduce((a, d) => a + d.counts.reduce((x, y) => x + y, 0), 0);
    expect(sum(placed)).toBe(sum(donuts));
    const discs = calls.fills[0]!.arcs;
    expect(discs.length).toBe(n);
    for (let i = 0; i < discs.length; i++)
      for (let k = i + 1; k < discs.length; k++)
        expect(Math.hypot(discs[i]!.x - discs[k]!.x, discs[i]!.y - discs[k]!.y)).toBeGreaterThanOrEqual(discs[i]!.r + discs[k]!.r + CLUSTER_GAP);
    // Each label is inside its own ring and on the canvas.
    expect(calls.texts.length).toBe(n);
    for (const t of calls.texts) {
      const d = discs.find((a) => a.x === t.x && a.y === t.y)!;
      expect((7 * t.text.length) / 2).toBeLessThanOrEqual(d.r * DONUT_INNER);
      expect(t.x - 3.5 * t.text.length).toBeGreaterThanOrEqual(0);
      expect(t.x + 3.5 * t.text.length).toBeLessThanOrEqual(400);
    }
  });

  it("moves a count cut by the canvas edge inside it while it stays on its disc, else leaves it out", () => {
    const vp = { width: 400, height: 200 };
    expect(labelInside(vp, 200, 100, 20, 14, 7)).toEqual([200, 100]);
    expect(labelInside(vp, 10, 100, 24, 14, 7)).toEqual([15, 100]); // 5 px in: the box still within the ring
    expect(labelInside(vp, -10, 100, 24, 14, 7)).toBeNull(); // the centre off the canvas: moving it would leave the disc
  });

  it("names the towns in view at city zoom, the largest first, leaving out a name that would overlap one drawn or be cut by the edge", () => {
    const { ctx, calls } = recordingCanvas();
    const vp = { ...projector(-1, -1, 1, 1, 400, 200), zoom: 12 };
    const towns: [string, number, number, number][] = [
      ["Out", 5, 5, 1_000_000], // outside the view
      ["Big", 0, 0, 90_000],
      ["Near", 0.02, 0.01, 9_000], // 4 px right, 1 px up of Big: its name would overlap
      ["Edge", 0.99, 0, 7_000], // its name would run off the right edge
      ["Far", -0.5, 0.5, 6_000],
    ];
    expect(drawTowns(ctx, vp, towns, 12)).toBe(2);
    expect(calls.texts.map((t) => t.text)).toEqual(["Big", "Far"]);
    // Zoomed out, only the largest cities: none of these.
    expect(drawTowns(ctx, { ...vp, zoom: 6 }, towns, 6)).toBe(0);
  });
});
