// The map's basemap and clusters drawn with Canvas 2D beside the deck.gl canvas:
// the borders on a canvas below deck's, the cluster donuts and counts on one above
// it. Neither needs WebGL. In Chromium's software renderer (SwiftShader) each deck.gl
// program costs its shader compilation on the first draw: as deck layers the first
// draw took 2.8 s with borders, donuts and counts, 1.4 s with the donuts alone
// (a shader donut layer; scripts/map-draw-experiment.ts, since removed), and the
// donut program held the main thread 0.6-1.2 s in bench:map's first paint. So the
// cluster view, the map's first view, compiles no WebGL program at all (the single
// meters are WebGL sprites of their own: points-gl.ts).
// The borders are redrawn only when the view moves, the clusters when the view or
// their counts change. Shared by fleet-map.tsx and scripts/bench-map.ts.
import type { BasemapPaths } from "./basemap";
import type { CellDonut } from "./layers";
import { MAP_STATES, MAP_STATE_COLORS } from "./types";

/** What the drawing needs of deck's viewport (WebMercatorViewport). */
export interface Projector {
  width: number;
  height: number;
  project(xyz: number[]): number[];
  getBounds(): number[];
}

/** A canvas over (or, prepended, under) the deck's: the container's size, never the target of a pointer. */
export function createOverlayCanvas(id: string): HTMLCanvasElement {
  const c = document.createElement("canvas");
  c.id = id;
  c.setAttribute("aria-hidden", "true");
  c.style.cssText = "position:absolute;left:0;top:0;width:100%;height:100%;pointer-events:none";
  return c;
}

/** The canvas's backing store sized to its CSS box (CSS pixels, as the decks: useDevicePixels false). */
export function fitCanvas(canvas: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D | null {
  const w = Math.max(1, Math.round(width));
  const h = Math.max(1, Math.round(height));
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  return canvas.getContext("2d");
}

type Box = [number, number, number, number];
const boxesOf = new WeakMap<readonly (readonly number[])[][], Box[]>();

/** Each path's lon/lat box, computed once per path list (to skip paths outside the view). */
function pathBoxes(paths: readonly (readonly number[])[][]): Box[] {
  let boxes = boxesOf.get(paths);
  if (!boxes) {
    boxes = paths.map((p) => {
      const b: Box = [Infinity, Infinity, -Infinity, -Infinity];
      for (const q of p) {
        if (q[0]! < b[0]) b[0] = q[0]!;
        if (q[1]! < b[1]) b[1] = q[1]!;
        if (q[0]! > b[2]) b[2] = q[0]!;
        if (q[1]! > b[3]) b[3] = q[1]!;
      }
      return b;
    });
    boxesOf.set(paths, boxes);
  }
  return boxes;
}

function strokePaths(ctx: CanvasRenderingContext2D, vp: Projector, paths: readonly (readonly number[])[][], style: string, width: number): number {
  const [west, south, east, north] = vp.getBounds() as Box;
  const boxes = pathBoxes(paths);
  let drawn = 0;
  ctx.beginPath();
  for (let i = 0; i < paths.length; i++) {
    const b = boxes[i]!;
    if (b[2] < west || b[0] > east || b[3] < south || b[1] > north) continue;
    const p = paths[i]!;
    for (let k = 0; k < p.length; k++) {
      const [x, y] = vp.project(p[k] as number[]) as [number, number];
      if (k === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    drawn++;
  }
  ctx.strokeStyle = style;
  ctx.lineWidth = width;
  ctx.stroke();
  return drawn;
}

/** Country and state borders as 1 px and 0.6 px hairlines; returns the paths drawn. */
export function drawBasemap(ctx: CanvasRenderingContext2D, vp: Projector, basemap: BasemapPaths): number {
  ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
  return (
    strokePaths(ctx, vp, basemap.countries, "rgba(110, 118, 129, 0.78)", 1) +
    strokePaths(ctx, vp, basemap.states, "rgba(110, 118, 129, 0.43)", 0.6)
  );
}

/** Inner edge of a cluster's ring as a share of its radius (inside: the dark disc with the count). */
export const DONUT_INNER = 0.72;
const DISC_FILL = "rgba(13, 17, 23, 0.84)";
const STATE_FILLS = MAP_STATES.map((s) => `rgb(${MAP_STATE_COLORS[s].join(", ")})`);
/** Pixels around a cluster, a meter or a gateway that still count as a click on it. */
export const PICK_SLOP = 4;

function onScreen(vp: Projector, x: number, y: number, r: number): boolean {
  return x >= -r && y >= -r && x <= vp.width + r && y <= vp.height + r;
}

/**
 * The clusters: per cell a dark disc, a ring of the state shares clockwise from 12
 * o'clock (cellDonuts' cumulative ends), and the count in the middle (text only:
 * nothing from a log line reaches it). One path per colour for the whole view, so a
 * redraw is 9 fills and the texts whatever the number of cells. Returns the cells drawn.
 */
export function drawCells(ctx: CanvasRenderingContext2D, vp: Projector, cells: readonly CellDonut[]): number {
  ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
  const xy: number[] = [];
  const shown: CellDonut[] = [];
  for (const d of cells) {
    const [x, y] = vp.project(d.position) as [number, number];
    if (!onScreen(vp, x, y, d.radius)) continue;
    xy.push(x, y);
    shown.push(d);
  }
  if (!shown.length) return 0;
  ctx.beginPath();
  for (let i = 0; i < shown.length; i++) {
    const x = xy[2 * i]!, y = xy[2 * i + 1]!, r = shown[i]!.radius;
    ctx.moveTo(x + r, y);
    ctx.arc(x, y, r, 0, 2 * Math.PI);
  }
  ctx.fillStyle = DISC_FILL;
  ctx.fill();
  const TOP = -Math.PI / 2;
  for (let s = 0; s < STATE_FILLS.length; s++) {
    ctx.beginPath();
    let any = false;
    for (let i = 0; i < shown.length; i++) {
      const d = shown[i]!;
      const from = s === 0 ? 0 : endOf(d, s - 1);
      const to = endOf(d, s);
      if (to - from < 1e-9) continue; // no meter in this state (cumulative sums may differ in the last bit)
      const x = xy[2 * i]!, y = xy[2 * i + 1]!, r = d.radius;
      const a0 = TOP + from * 2 * Math.PI, a1 = TOP + to * 2 * Math.PI;
      ctx.moveTo(x + r * Math.cos(a0), y + r * Math.sin(a0));
      ctx.arc(x, y, r, a0, a1);
      ctx.arc(x, y, r * DONUT_INNER, a1, a0, true);
      ctx.closePath();
      any = true;
    }
    if (!any) continue;
    ctx.fillStyle = STATE_FILLS[s]!;
    ctx.fill();
  }
  ctx.font = "600 12px system-ui, sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.fillStyle = "rgb(230, 237, 243)";
  for (let i = 0; i < shown.length; i++) ctx.fillText(shown[i]!.text, xy[2 * i]!, xy[2 * i + 1]!);
  return shown.length;
}

/** Cumulative share at the end of state `s` (0-6). */
function endOf(d: CellDonut, s: number): number {
  return s < 4 ? d.endsA[s]! : d.endsB[s - 4]!;
}

/**
 * The cluster under a pointer (canvas pixels), the last drawn first as it is on top;
 * null when the pointer is more than PICK_SLOP pixels off every disc.
 */
export function pickCell(vp: Projector, cells: readonly CellDonut[], x: number, y: number): CellDonut | null {
  for (let i = cells.length - 1; i >= 0; i--) {
    const d = cells[i]!;
    const [cx, cy] = vp.project(d.position) as [number, number];
    if (Math.hypot(x - cx, y - cy) <= d.radius + PICK_SLOP) return d;
  }
  return null;
}

/**
 * Keeps a basemap canvas and a cells canvas in step with a deck: call `sync` from
 * deck's onBeforeRender (the same frame as deck's draw) with its viewport. Each
 * canvas is redrawn only when its inputs changed: the basemap when the view moves,
 * the cells also when a live batch or a filter gives new ones.
 */
export class StaticLayers {
  basemap: BasemapPaths | null = null;
  cells: readonly CellDonut[] = [];
  /** Redraw counts (e2e and the bench check that live batches leave the basemap alone). */
  readonly draws = { basemap: 0, cells: 0 };
  private baseKey = "";
  private drawnBase: BasemapPaths | null | undefined = undefined;
  private cellsKey = "";
  private drawnCells: readonly CellDonut[] | null = null;

  constructor(
    private readonly baseCanvas: HTMLCanvasElement,
    private readonly cellsCanvas: HTMLCanvasElement,
  ) {}

  sync(vp: Projector): void {
    const key = `${vp.width}x${vp.height}:${vp.project([0, 0]).join(",")}:${vp.project([1, 1]).join(",")}`;
    const base = this.basemap;
    if (key !== this.baseKey || base !== this.drawnBase) {
      const ctx = fitCanvas(this.baseCanvas, vp.width, vp.height);
      if (ctx) {
        if (base) drawBasemap(ctx, vp, base);
        else ctx.clearRect(0, 0, this.baseCanvas.width, this.baseCanvas.height);
        this.draws.basemap++;
      }
      this.baseKey = key;
      this.drawnBase = base;
    }
    if (key !== this.cellsKey || this.cells !== this.drawnCells) {
      const ctx = fitCanvas(this.cellsCanvas, vp.width, vp.height);
      if (ctx) {
        drawCells(ctx, vp, this.cells);
        this.draws.cells++;
      }
      this.cellsKey = key;
      this.drawnCells = this.cells;
    }
  }
}
