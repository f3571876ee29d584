// The map's deck.gl layers, shared by the page (app/(console)/map/fleet-map.tsx)
// and scripts/bench-map.ts so the bench times what the app draws. Client-only.
import { PathLayer, ScatterplotLayer, TextLayer } from "@deck.gl/layers";
import type { BasemapPaths } from "./basemap";
import { MAP_STATES, MAP_STATE_COLORS, type MapCell } from "./types";

export function formatCount(n: number): string {
  return n >= 1_000_000 ? (n / 1_000_000).toFixed(1) + "M" : n >= 10_000 ? Math.round(n / 1000) + "k" : n >= 1000 ? (n / 1000).toFixed(1) + "k" : String(n);
}

export interface CellRing {
  position: [number, number];
  radius: number;
  width: number;
  color: [number, number, number, number];
}
export interface CellLabel {
  position: [number, number];
  text: string;
  radius: number;
}

/** Ring segments per cell: concentric rings, width proportional to each visible state's share. */
export function cellRings(cells: readonly MapCell[], visible: readonly boolean[]): { rings: CellRing[]; labels: CellLabel[] } {
  const rings: CellRing[] = [];
  const labels: CellLabel[] = [];
  for (const c of cells) {
    let total = 0;
    for (let s = 0; s < MAP_STATES.length; s++) if (visible[s]) total += c.counts[s]!;
    if (total === 0) continue;
    const outer = 12 + Math.min(22, 4 * Math.log10(total + 1) * 2);
    const thickness = 7;
    let r = outer - thickness;
    for (let s = MAP_STATES.length - 1; s >= 0; s--) {
      if (!visible[s] || !c.counts[s]) continue;
      const w = Math.max(1, (thickness * c.counts[s]!) / total);
      rings.push({ position: [c.lon, c.lat], radius: r + w / 2, width: w, color: [...MAP_STATE_COLORS[MAP_STATES[s]!], 255] });
      r += w;
    }
    labels.push({ position: [c.lon, c.lat], text: formatCount(total), radius: outer });
  }
  return { rings, labels };
}

export function basemapLayers(basemap: BasemapPaths) {
  return [
    new PathLayer({ id: "countries", data: basemap.countries, getPath: (p: [number, number][]) => p as never, getColor: [110, 118, 129, 200], getWidth: 1, widthUnits: "pixels" }),
    new PathLayer({ id: "states", data: basemap.states, getPath: (p: [number, number][]) => p as never, getColor: [110, 118, 129, 110], getWidth: 0.6, widthUnits: "pixels" }),
  ];
}

/** Cluster view: a dark disc, the state rings and the count per cell. */
export function cellLayers({ rings, labels }: { rings: CellRing[]; labels: CellLabel[] }) {
  return [
    new ScatterplotLayer({
      id: "cell-bg", data: labels, getPosition: (d: CellLabel) => d.position, getRadius: (d: CellLabel) => d.radius,
      radiusUnits: "pixels", getFillColor: [13, 17, 23, 200], stroked: false,
    }),
    new ScatterplotLayer({
      id: "cell-rings", data: rings, pickable: true, stroked: true, filled: false, radiusUnits: "pixels", lineWidthUnits: "pixels",
      getPosition: (d: CellRing) => d.position, getRadius: (d: CellRing) => d.radius,
      getLineWidth: (d: CellRing) => d.width, getLineColor: (d: CellRing) => d.color,
    }),
    new TextLayer({
      id: "cell-counts", data: labels, getPosition: (d: CellLabel) => d.position, getText: (d: CellLabel) => d.text,
      getSize: 12, getColor: [230, 237, 243, 255], fontWeight: 600, getTextAnchor: "middle", getAlignmentBaseline: "center",
      fontFamily: "system-ui, sans-serif", characterSet: "0123456789.kM",
    }),
  ];
}

export interface MetersData {
  length: number;
  attributes: { getPosition: { value: Float32Array; size: number }; getFillColor: { value: Uint8Array; size: number; normalized: boolean } };
}

/** Single meters from binary attributes: a new colour wrapper re-uploads only the colours; positions keep their buffer. */
export function metersLayer(data: MetersData, zoom: number, colorsVersion: number) {
  return new ScatterplotLayer({
    id: "meters",
    data: data as never,
    radiusUnits: "pixels",
    getRadius: zoom >= 12 ? 5 : zoom >= 9 ? 3.5 : 2.5,
    pickable: true,
    updateTriggers: { getFillColor: colorsVersion },
  });
}
