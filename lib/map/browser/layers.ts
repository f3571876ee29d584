// The map's cluster data and deck.gl context settings, shared by the page (app/(console)/map/use-map-canvases.ts)
// and scripts/bench-map.ts so the bench times what the app draws. Client-only.
// The clusters are drawn with Canvas 2D (canvas2d.ts drawCells), the meters as WebGL sprites (points-gl.ts).
import { MAP_STATES, type MapCell } from "../types";

export function formatCount(n: number): string {
  return n >= 1_000_000 ? (n / 1_000_000).toFixed(1) + "M" : n >= 10_000 ? Math.round(n / 1000) + "k" : n >= 1000 ? (n / 1000).toFixed(1) + "k" : String(n);
}

/** One cluster: a dark disc with a donut of the visible state shares around it, and its count. */
export interface CellDonut {
  position: [number, number];
  /** Outer radius, px. */
  radius: number;
  /** Cumulative share (0-1) at the end of states 0-3 and 4-6, clockwise from 12 o'clock. */
  endsA: [number, number, number, number];
  endsB: [number, number, number];
  text: string;
  total: number;
  /** Meters per state, the visible states only (hidden ones 0): clusters drawn too close together are merged by adding these. */
  counts: number[];
}

/**
 * A state with any meter gets at least this share of the donut, so one red meter in
 * 10 000 still shows (its true share would be a 0.04 degree sliver).
 */
export const MIN_SHARE = 0.04;

/** A cluster's outer radius for its meter count, px (before its label is fitted: canvas2d.ts). */
export function donutRadius(total: number): number {
  return 15 + Math.min(19, 8 * Math.log10(total + 1) * 0.75);
}

/** The donut of a set of per-state counts (all visible), at a position; null when they are all 0. */
export function donutOf(position: [number, number], counts: readonly number[]): CellDonut | null {
  let total = 0;
  for (let s = 0; s < MAP_STATES.length; s++) total += counts[s]!;
  if (total === 0) return null;
  let sum = 0;
  const shares = new Array<number>(MAP_STATES.length);
  for (let s = 0; s < MAP_STATES.length; s++) {
    const n = counts[s]!;
    shares[s] = n > 0 ? Math.max(MIN_SHARE, n / total) : 0;
    sum += shares[s]!;
  }
  const ends: number[] = [];
  let acc = 0;
  for (let s = 0; s < MAP_STATES.length; s++) ends.push((acc += shares[s]! / sum));
  ends[MAP_STATES.length - 1] = 1;
  return {
    position,
    radius: donutRadius(total),
    endsA: [ends[0]!, ends[1]!, ends[2]!, ends[3]!],
    endsB: [ends[4]!, ends[5]!, ends[6]!],
    text: formatCount(total),
    total,
    counts: [...counts],
  };
}

/** Donut data per cell over the visible states; cells with no visible meter are left out. */
export function cellDonuts(cells: readonly MapCell[], visible: readonly boolean[]): CellDonut[] {
  const out: CellDonut[] = [];
  for (const c of cells) {
    const d = donutOf(
      [c.lon, c.lat],
      MAP_STATES.map((_, s) => (visible[s] ? c.counts[s]! : 0)),
    );
    if (d) out.push(d);
  }
  return out;
}

/**
 * WebGL context attributes for the map's Deck. luma.gl asks for preserveDrawingBuffer
 * (a full-canvas copy per frame) and the browser default antialias (4x MSAA: four
 * samples per pixel and a resolve per frame). Nothing reads the canvas back, so the
 * first is off always; MSAA is off on a software renderer (SwiftShader, llvmpipe: no
 * context with failIfMajorPerformanceCaveat), where the circles keep their own
 * shader-smoothed edges (borders and clusters are Canvas 2D: canvas2d.ts).
 */
export function mapDeviceProps(): { webgl: { antialias: boolean; preserveDrawingBuffer: boolean } } {
  let software: boolean;
  try {
    const probe = document.createElement("canvas").getContext("webgl2", { failIfMajorPerformanceCaveat: true });
    software = probe === null;
    probe?.getExtension("WEBGL_lose_context")?.loseContext(); // give the probe's context back at once
  } catch {
    software = true;
  }
  return { webgl: { antialias: !software, preserveDrawingBuffer: false } };
}
