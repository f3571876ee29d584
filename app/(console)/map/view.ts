// The map's view (deck.gl MapViewState): fitting a box, zooming and panning by keys or buttons.
import { WebMercatorViewport, type MapViewState } from "@deck.gl/core";

export const INITIAL_VIEW: MapViewState = { longitude: -98, latitude: 39, zoom: 3, pitch: 0, bearing: 0 };
export const MIN_ZOOM = 1;
export const MAX_ZOOM = 20;

export function bboxOf(v: MapViewState, width: number, height: number) {
  const vp = new WebMercatorViewport({ ...v, width, height });
  const [west, south, east, north] = vp.getBounds();
  return { west: Math.max(-180, west), south: Math.max(-85, south), east: Math.min(180, east), north: Math.min(85, north) };
}

/** Centre and zoom that show a lon/lat box in a canvas of this size (at most zoom 13). */
export function fitView(width: number, height: number, west: number, south: number, east: number, north: number): Pick<MapViewState, "longitude" | "latitude" | "zoom"> {
  const vp = new WebMercatorViewport({ width: Math.max(200, width), height: Math.max(200, height) });
  const pad = Math.min(60, Math.floor(Math.min(width, height) / 6));
  const fit = vp.fitBounds(
    [
      [west - 0.01, south - 0.01],
      [east + 0.01, north + 0.01],
    ],
    { padding: pad },
  );
  return { longitude: fit.longitude, latitude: fit.latitude, zoom: Math.min(13, fit.zoom) };
}

export function zoomBy(v: MapViewState, dz: number): MapViewState {
  return { ...v, zoom: Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, Math.round((v.zoom + dz) * 4) / 4)) };
}

/** The view moved by (dx, dy) screen pixels (the map's content moves the other way). */
export function panBy(v: MapViewState, dx: number, dy: number, width: number, height: number): MapViewState {
  const vp = new WebMercatorViewport({ ...v, width, height });
  const [longitude, latitude] = vp.unproject([width / 2 + dx, height / 2 + dy]) as [number, number];
  return { ...v, longitude: ((((longitude + 180) % 360) + 360) % 360) - 180, latitude: Math.max(-85, Math.min(85, latitude)) };
}

export function formatTime(ms: number | null | undefined): string {
  return ms
    ? new Date(ms)
        .toISOString()
        .replace("T", " ")
        .replace(/\.\d+Z$/, "Z")
    : "—";
}
