// Server-side clustering grid: square cells of `step` degrees, step halving per
// zoom level so a cell stays ~64 px wide on screen (deck.gl: 512 px world at zoom 0).
// The same cell key is computed in SQL (queries/map.ts) and here (live deltas).

export const MIN_GRID_LEVEL = 3;
export const MAX_GRID_LEVEL = 16;
/** At or beyond this zoom, single meters are drawn instead of cells. */
export const POINTS_ZOOM = 10;
/** Fewer meters than this in view: single meters at any zoom. */
export const POINTS_MAX_IN_VIEW = 2_000;

/** Grid level (step = 360 / 2^level degrees) for a deck.gl zoom. */
export function gridLevelForZoom(zoom: number): number {
  const z = Number.isFinite(zoom) ? Math.floor(zoom) : 0;
  return Math.min(MAX_GRID_LEVEL, Math.max(MIN_GRID_LEVEL, z + 3));
}

export function stepForLevel(level: number): number {
  return 360 / 2 ** level;
}

/** Levels whose cell id is precomputed per meter (map_meter_cells.cell_L, 009_map_cells.sql). */
export const CELL_LEVELS: readonly number[] = Array.from({ length: MAX_GRID_LEVEL - MIN_GRID_LEVEL + 1 }, (_, i) => MIN_GRID_LEVEL + i);

/** Cell of a position; lon 180 / lat 90 fall in the last column / row (same clamp as the SQL in queries/map.ts). */
export function cellOf(lon: number, lat: number, level: number): { cx: number; cy: number } {
  const step = stepForLevel(level);
  return {
    cx: Math.min(2 ** level - 1, Math.floor((lon + 180) / step)),
    cy: Math.min(2 ** (level - 1) - 1, Math.floor((lat + 90) / step)),
  };
}

/** One UInt32 per cell (cx < 2^16, cy < 2^15 up to level 16): map_meter_cells.cell_L. */
export function cellId(cx: number, cy: number): number {
  return cx * 65536 + cy;
}

export function cellKey(cx: number, cy: number): string {
  return cx + ":" + cy;
}

/** Show single meters? Either zoomed in, or few meters in view. */
export function shouldShowPoints(zoom: number, metersInView: number): boolean {
  return zoom >= POINTS_ZOOM || metersInView < POINTS_MAX_IN_VIEW;
}
