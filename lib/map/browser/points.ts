// Single-meter view: the points layer holds only the meters around the viewport,
// not the whole fleet. A layer of 1 M instances costs the vertex work of 1 M points
// per redraw even when 700 are on screen (13.6 s per redraw in SwiftShader,
// scripts/bench-map.ts); the selection is redone only when the view leaves its margin.

export interface PointsBox {
  west: number;
  south: number;
  east: number;
  north: number;
}

export interface PointsSelection {
  box: PointsBox;
  zoom: number;
  /** Fleet index of each drawn point (picking maps back through this). */
  indices: Uint32Array;
  /** lon, lat per drawn point. */
  positions: Float32Array;
}

function inBox(b: PointsBox, lon: number, lat: number): boolean {
  if (lat < b.south || lat > b.north) return false;
  return b.west <= b.east ? lon >= b.west && lon <= b.east : lon >= b.west || lon <= b.east; // across the antimeridian
}

/** The meters inside `box`, in fleet order. */
export function selectPoints(lon: Float32Array, lat: Float32Array, box: PointsBox, zoom: number): PointsSelection {
  let n = 0;
  const hits = new Uint32Array(lon.length);
  for (let i = 0; i < lon.length; i++) if (inBox(box, lon[i]!, lat[i]!)) hits[n++] = i;
  const indices = hits.slice(0, n);
  const positions = new Float32Array(n * 2);
  for (let k = 0; k < n; k++) {
    positions[2 * k] = lon[indices[k]!]!;
    positions[2 * k + 1] = lat[indices[k]!]!;
  }
  return { box, zoom, indices, positions };
}

/** Keep the selection while the viewport stays inside its box and the zoom within one level. */
export function isSelectionCurrent(sel: PointsSelection | null, view: PointsBox, zoom: number): boolean {
  if (!sel || Math.abs(sel.zoom - zoom) >= 1) return false;
  const b = sel.box;
  if (b.west > b.east || view.west > view.east) return false; // antimeridian: reselect rather than reason about wrap
  return view.west >= b.west && view.east <= b.east && view.south >= b.south && view.north <= b.north;
}

/** The viewport grown by `factor` around its centre (clamped to the world). */
export function padBox(b: PointsBox, factor: number): PointsBox {
  const w = ((b.east - b.west) * (factor - 1)) / 2;
  const h = ((b.north - b.south) * (factor - 1)) / 2;
  return { west: Math.max(-180, b.west - w), east: Math.min(180, b.east + w), south: Math.max(-90, b.south - h), north: Math.min(90, b.north + h) };
}

/** RGBA of the selected meters, gathered from the fleet-wide colour array (4 bytes per meter). */
export function gatherColors(indices: Uint32Array, colors: Uint8Array): Uint8Array {
  const out = new Uint8Array(indices.length * 4);
  const src = new Uint32Array(colors.buffer, colors.byteOffset, colors.length / 4);
  const dst = new Uint32Array(out.buffer);
  for (let k = 0; k < indices.length; k++) dst[k] = src[indices[k]!]!;
  return out;
}

/** Meters inside `box` whose state is shown (not excluded by the filters, visible in the legend). */
export function countInBox(lon: Float32Array, lat: Float32Array, states: Uint8Array, visible: readonly boolean[], box: PointsBox): number {
  let n = 0;
  for (let i = 0; i < lon.length; i++) {
    const s = states[i]!;
    if (s < visible.length && visible[s] && inBox(box, lon[i]!, lat[i]!)) n++;
  }
  return n;
}

/**
 * How a batch of applied changes moves countInBox: only a meter in the box whose
 * visibility flips counts. The map keeps its in-view count this way under the live
 * stream instead of rescanning 1 M positions per batch (a rescan per animation frame).
 */
export function inBoxDelta(
  changes: readonly { index: number; from: number; to: number }[],
  lon: Float32Array,
  lat: Float32Array,
  visible: readonly boolean[],
  box: PointsBox,
): number {
  let d = 0;
  for (const c of changes) {
    const was = c.from < visible.length && visible[c.from] === true;
    const is = c.to < visible.length && visible[c.to] === true;
    if (was !== is && inBox(box, lon[c.index]!, lat[c.index]!)) d += is ? 1 : -1;
  }
  return d;
}
