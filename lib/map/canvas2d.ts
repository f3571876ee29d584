// The map's static parts drawn with Canvas 2D, beside the deck.gl canvas: the
// basemap borders (a canvas below deck's) and the cluster counts (a canvas above).
// Neither needs WebGL: in Chromium's software renderer (SwiftShader) each deck.gl
// program costs its shader compilation on the first draw (first draw 2.8 s with
// the borders and labels as deck layers, 1.4 s with the donuts alone:
// scripts/map-draw-experiment.ts), and every live batch redrew them with the data.
// Here the borders are redrawn only when the view moves, the labels only when a
// label or the view changes. Shared by fleet-map.tsx and scripts/bench-map.ts.
import type { BasemapPaths } from "./basemap";
import type { CellDonut } from "./layers";

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

/** Each cluster's count at its centre (text only: nothing from a log line reaches it). Returns the labels drawn. */
export function drawLabels(ctx: CanvasRenderingContext2D, vp: Projector, labels: readonly CellDonut[]): number {
  ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
  ctx.font = "600 12px system-ui, sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.fillStyle = "rgb(230, 237, 243)";
  let drawn = 0;
  for (const d of labels) {
    const [x, y] = vp.project(d.position) as [number, number];
    if (x < -40 || y < -20 || x > vp.width + 40 || y > vp.height + 20) continue;
    ctx.fillText(d.text, x, y);
    drawn++;
  }
  return drawn;
}

/**
 * Keeps a basemap canvas and a labels canvas in step with a deck: call `sync` from
 * deck's onBeforeRender (the same frame as deck's draw) with its viewport. Each
 * canvas is redrawn only when its inputs changed.
 */
export class StaticLayers {
  basemap: BasemapPaths | null = null;
  labels: readonly CellDonut[] = [];
  /** Redraw counts (e2e and the bench check that live batches leave the basemap alone). */
  readonly draws = { basemap: 0, labels: 0 };
  private baseKey = "";
  private drawnBase: BasemapPaths | null | undefined = undefined;
  private labelsKey = "";
  private drawnLabels: readonly CellDonut[] | null = null;

  constructor(
    private readonly baseCanvas: HTMLCanvasElement,
    private readonly labelsCanvas: HTMLCanvasElement,
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
    if (key !== this.labelsKey || this.labels !== this.drawnLabels) {
      const ctx = fitCanvas(this.labelsCanvas, vp.width, vp.height);
      if (ctx) {
        drawLabels(ctx, vp, this.labels);
        this.draws.labels++;
      }
      this.labelsKey = key;
      this.drawnLabels = this.labels;
    }
  }
}
