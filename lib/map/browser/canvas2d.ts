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
// their counts change. Shared by the map page (app/(console)/map/use-map-canvases.ts) and scripts/bench-map.ts.
import type { BasemapPaths, Town } from "./basemap";
import { donutOf, type CellDonut } from "./layers";
import { MAP_STATES, MAP_STATE_COLORS } from "../types";

/** What the drawing needs of deck's viewport (WebMercatorViewport). */
export interface Projector {
  width: number;
  height: number;
  project(xyz: number[]): number[];
  getBounds(): number[];
  /** Web Mercator zoom (deck's viewport has it); towns are drawn by it. */
  zoom?: number;
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

/** Country and state borders as 1 px and 0.6 px hairlines, then towns by zoom; returns the paths drawn. */
export function drawBasemap(ctx: CanvasRenderingContext2D, vp: Projector, basemap: BasemapPaths): number {
  ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
  const drawn = strokePaths(ctx, vp, basemap.countries, "rgba(110, 118, 129, 0.78)", 1) + strokePaths(ctx, vp, basemap.states, "rgba(110, 118, 129, 0.43)", 0.6);
  if (basemap.towns && vp.zoom !== undefined) drawTowns(ctx, vp, basemap.towns, vp.zoom);
  return drawn;
}

/** Fewest residents of a town drawn at a zoom: the largest cities when zoomed out, every town at city zoom. */
export function townMinPopulation(zoom: number): number {
  return zoom >= 11 ? 0 : zoom >= 9 ? 20_000 : zoom >= 7 ? 100_000 : zoom >= 5 ? 500_000 : zoom >= 3 ? 2_000_000 : Infinity;
}

const TOWN_FONT = "11px system-ui, sans-serif";
const MAX_TOWN_LABELS = 250;

/**
 * Towns in view as a dot and a name, the largest first; a name that would overlap one
 * already drawn is left out with its dot. Neutral greys only: never a meter state's colour.
 * Returns the towns drawn.
 */
export function drawTowns(ctx: CanvasRenderingContext2D, vp: Projector, towns: readonly Town[], zoom: number): number {
  const minPop = townMinPopulation(zoom);
  if (minPop === Infinity) return 0;
  const [west, south, east, north] = vp.getBounds() as Box;
  ctx.font = TOWN_FONT;
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  const boxes: Box[] = [];
  const labels: { name: string; x: number; y: number }[] = [];
  for (const [name, lon, lat, pop] of towns) {
    if (pop < minPop) break; // largest first
    if (lon < west || lon > east || lat < south || lat > north) continue;
    const [x, y] = vp.project([lon, lat]) as [number, number];
    const w = ctx.measureText(name).width;
    const box: Box = [x - 3, y - 7, x + 6 + w, y + 7];
    if (box[2] > vp.width || box[3] > vp.height || box[0] < 0 || box[1] < 0) continue; // never cut by the edge
    if (boxes.some((b) => box[0] < b[2] && box[2] > b[0] && box[1] < b[3] && box[3] > b[1])) continue;
    boxes.push(box);
    labels.push({ name, x, y });
    if (labels.length >= MAX_TOWN_LABELS) break;
  }
  ctx.beginPath();
  for (const l of labels) {
    ctx.moveTo(l.x + 2, l.y);
    ctx.arc(l.x, l.y, 2, 0, 2 * Math.PI);
  }
  ctx.fillStyle = "rgba(201, 209, 217, 0.9)";
  ctx.fill();
  ctx.lineWidth = 3;
  ctx.strokeStyle = "rgba(13, 17, 23, 0.9)";
  ctx.fillStyle = "rgba(201, 209, 217, 0.85)";
  for (const l of labels) {
    ctx.strokeText(l.name, l.x + 5, l.y);
    ctx.fillText(l.name, l.x + 5, l.y);
  }
  return labels.length;
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

/** Font of the cluster counts; the label must fit inside the ring (DONUT_INNER). */
const LABEL_FONT = "600 12px system-ui, sans-serif";
/** Pixels kept between two clusters' discs. */
export const CLUSTER_GAP = 2;

/** A cluster placed on screen: where, how big, and its donut (possibly several cells merged). */
export interface PlacedCluster {
  x: number;
  y: number;
  donut: CellDonut;
}

/** Outer radius for a donut whose count label is `labelWidth` px wide: the ring never covers the label. */
function fittedRadius(d: CellDonut, labelWidth: number): number {
  return Math.max(d.radius, Math.ceil(labelWidth / 2 / DONUT_INNER) + 3);
}

/**
 * Screen placement of clusters without overlap: the largest first; a cluster whose disc
 * would touch one already placed is merged into it (counts added, the larger keeps its
 * place), and merged clusters, grown, are checked again until none touch. Each radius is
 * fitted to its label, so no count overlaps another cluster or its own ring.
 */
export function placeClusters(items: readonly PlacedCluster[], labelWidth: (text: string) => number): PlacedCluster[] {
  const fit = (d: CellDonut): CellDonut => ({ ...d, radius: fittedRadius(d, labelWidth(d.text)) });
  const merge = (into: PlacedCluster, from: CellDonut) => {
    const counts = into.donut.counts.map((n, s) => n + (from.counts[s] ?? 0));
    into.donut = fit(donutOf(into.donut.position, counts) ?? into.donut);
  };
  const touches = (a: PlacedCluster, b: PlacedCluster) => Math.hypot(a.x - b.x, a.y - b.y) < a.donut.radius + b.donut.radius + CLUSTER_GAP;
  let placed: PlacedCluster[] = [];
  for (const it of [...items].sort((a, b) => b.donut.total - a.donut.total)) {
    const c = { x: it.x, y: it.y, donut: fit(it.donut) };
    const hit = placed.find((p) => touches(p, c));
    if (hit) merge(hit, c.donut);
    else placed.push(c);
  }
  // A merge grows a disc, which may now touch a neighbour: merge again (each pass removes at least one).
  for (let changed = true; changed;) {
    changed = false;
    placed.sort((a, b) => b.donut.total - a.donut.total);
    outer: for (let i = 0; i < placed.length; i++) {
      for (let k = i + 1; k < placed.length; k++) {
        if (!touches(placed[i]!, placed[k]!)) continue;
        merge(placed[i]!, placed[k]!.donut);
        placed = placed.filter((_, j) => j !== k);
        changed = true;
        break outer;
      }
    }
  }
  return placed;
}

/**
 * The clusters: per cell a dark disc, a ring of the state shares clockwise from 12
 * o'clock (cellDonuts' cumulative ends), and the count in the middle (text only:
 * nothing from a log line reaches it). Clusters that would overlap on screen are merged
 * (placeClusters). One path per colour for the whole view, so a redraw is 9 fills and
 * the texts whatever the number of cells. A count that would be cut by the canvas edge
 * moves inside it while it stays on its disc, else is left out. Returns the clusters
 * drawn; `placed` receives them (for picking what is on screen).
 */
export function drawCells(ctx: CanvasRenderingContext2D, vp: Projector, cells: readonly CellDonut[], placed?: CellDonut[]): number {
  ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
  ctx.font = LABEL_FONT;
  const items: PlacedCluster[] = [];
  for (const d of cells) {
    const [x, y] = vp.project(d.position) as [number, number];
    if (!onScreen(vp, x, y, d.radius)) continue;
    items.push({ x, y, donut: d });
  }
  const widths = new Map<string, number>();
  const labelWidth = (t: string) => {
    let w = widths.get(t);
    if (w === undefined) widths.set(t, (w = ctx.measureText(t).width));
    return w;
  };
  const laid = placeClusters(items, labelWidth);
  if (placed) placed.splice(0, placed.length, ...laid.map((p) => p.donut));
  if (!laid.length) return 0;
  const xy: number[] = [];
  const shown: CellDonut[] = [];
  for (const p of laid) {
    xy.push(p.x, p.y);
    shown.push(p.donut);
  }
  ctx.beginPath();
  for (let i = 0; i < shown.length; i++) {
    const x = xy[2 * i]!,
      y = xy[2 * i + 1]!,
      r = shown[i]!.radius;
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
      const x = xy[2 * i]!,
        y = xy[2 * i + 1]!,
        r = d.radius;
      const a0 = TOP + from * 2 * Math.PI,
        a1 = TOP + to * 2 * Math.PI;
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
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.fillStyle = "rgb(230, 237, 243)";
  for (let i = 0; i < shown.length; i++) {
    const d = shown[i]!;
    const at = labelInside(vp, xy[2 * i]!, xy[2 * i + 1]!, d.radius * DONUT_INNER, labelWidth(d.text) / 2, LABEL_HALF_HEIGHT);
    if (at) ctx.fillText(d.text, at[0], at[1]);
  }
  return shown.length;
}

const LABEL_HALF_HEIGHT = 7;

/**
 * Where a label centred at (x, y) is wholly on the canvas: (x, y) itself, or moved just
 * inside the edge when the moved box still lies inside the disc's inner circle; null otherwise.
 */
export function labelInside(vp: Pick<Projector, "width" | "height">, x: number, y: number, inner: number, hw: number, hh: number): [number, number] | null {
  const lx = Math.min(Math.max(x, hw + 1), vp.width - hw - 1);
  const ly = Math.min(Math.max(y, hh + 1), vp.height - hh - 1);
  if (lx === x && ly === y) return [x, y];
  // The moved box's farthest corner from the centre must stay inside the ring.
  const dx = Math.abs(lx - x) + hw,
    dy = Math.abs(ly - y) + hh;
  return Math.hypot(dx, dy) <= inner ? [lx, ly] : null;
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
  /** The clusters as last drawn (merged where they would overlap): what a click picks from. */
  readonly placed: CellDonut[] = [];
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
        drawCells(ctx, vp, this.cells, this.placed);
        this.draws.cells++;
      }
      this.cellsKey = key;
      this.drawnCells = this.cells;
    }
  }
}
