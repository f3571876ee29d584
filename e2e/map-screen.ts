// What the map shows, read from the screen: the map canvas's pixels (a Playwright
// screenshot of the element, decoded with pngjs) against where the meters are and the
// state they are in, which the test reads from the same API the page loads
// (/api/map/fleet, /api/map/states, /api/map/gateways) and projects with the same
// Web Mercator math. No page internals.
import { expect, type Page } from "@playwright/test";
import { WebMercatorViewport } from "@deck.gl/core";
import { PNG } from "pngjs";
import { decodeFleet, decodeIndexList, decodeStates } from "@/lib/map/binary";
import { EXCLUDED, MAP_STATES, MAP_STATE_COLORS, type MapGateway, type MapState } from "@/lib/map/types";

export type RGB = [number, number, number];

/** States drawn in a colour no grey of the basemap can be mistaken for. */
export const CHROMATIC_STATES: MapState[] = ["normal", "amber_steady", "red_blinking", "tamper", "offline"];
/** Selection outline (use-map-canvases.ts SELECTION_RGB): white, not a state colour. */
export const SELECTION: RGB = [240, 246, 252];

export interface FleetOnScreen {
  ids: string[];
  lon: Float32Array;
  lat: Float32Array;
  /** State index per meter (MAP_STATES), EXCLUDED when filtered out. */
  states: Uint8Array;
  indexOf(id: string): number;
}

function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/** The fleet and its states as the signed-in page gets them. */
export async function readFleet(page: Page): Promise<FleetOnScreen> {
  const f = await page.request.get("/api/map/fleet");
  expect(f.ok()).toBe(true);
  const fleet = decodeFleet(toArrayBuffer(await f.body()));
  const states = await readStates(page);
  expect(states.length).toBe(fleet.ids.length);
  const byId = new Map(fleet.ids.map((id, i) => [id, i]));
  return { ...fleet, states, indexOf: (id) => byId.get(id) ?? -1 };
}

export async function readStates(page: Page): Promise<Uint8Array> {
  const s = await page.request.get("/api/map/states");
  expect(s.ok()).toBe(true);
  return decodeStates(toArrayBuffer(await s.body())).states;
}

export async function readGateways(page: Page): Promise<MapGateway[]> {
  const r = await page.request.get("/api/map/gateways");
  expect(r.ok()).toBe(true);
  return ((await r.json()) as { gateways: MapGateway[] }).gateways;
}

/** Fleet indices of a gateway's meters. */
export async function readGatewayMeters(page: Page, gw: string): Promise<Uint32Array> {
  const r = await page.request.get(`/api/map/gateway-meters?gw=${encodeURIComponent(gw)}`);
  expect(r.ok()).toBe(true);
  return decodeIndexList(toArrayBuffer(await r.body()));
}

export function stateRgb(state: MapState): RGB {
  return MAP_STATE_COLORS[state];
}

export function near(a: RGB, b: RGB, tol: number): boolean {
  return Math.abs(a[0] - b[0]) <= tol && Math.abs(a[1] - b[1]) <= tol && Math.abs(a[2] - b[2]) <= tol;
}

/** Sprite radius per zoom, as lib/map/browser/points-gl.ts pointRadius (kept here: the test states what it expects to see). */
export function spriteRadius(zoom: number): number {
  return zoom >= 12 ? 5 : zoom >= 9 ? 3.5 : 2.5;
}

export interface Shot {
  width: number;
  height: number;
  at(x: number, y: number): RGB;
  /** Whether any pixel within `r` of (x, y) is within `tol` of `rgb`. */
  anyNear(x: number, y: number, r: number, rgb: RGB, tol: number): boolean;
  /** Pixels between `r0` and `r1` from (x, y) within `tol` of `rgb`. */
  countRing(x: number, y: number, r0: number, r1: number, rgb: RGB, tol: number): number;
}

/** The map canvas element as on screen. */
export async function shootMap(page: Page): Promise<Shot> {
  return decodeShot(await page.getByTestId("map-canvas").screenshot({ animations: "disabled" }), 0, 0);
}

/** A small square of the map canvas around (x, y), as on screen: cheap enough to poll a meter's pixels. */
export async function shootSpot(page: Page, x: number, y: number, half = 4): Promise<Shot> {
  const box = (await page.getByTestId("map-canvas").boundingBox())!;
  const x0 = Math.floor(x) - half,
    y0 = Math.floor(y) - half;
  const buf = await page.screenshot({ clip: { x: box.x + x0, y: box.y + y0, width: 2 * half + 1, height: 2 * half + 1 }, animations: "disabled" });
  return decodeShot(buf, x0, y0);
}

/** A PNG of the canvas region whose top-left is canvas pixel (x0, y0). */
function decodeShot(buf: Buffer, x0: number, y0: number): Shot {
  const png = PNG.sync.read(buf);
  const at = (x: number, y: number): RGB => {
    const X = Math.min(png.width - 1, Math.max(0, Math.floor(x) - x0));
    const Y = Math.min(png.height - 1, Math.max(0, Math.floor(y) - y0));
    const o = 4 * (Y * png.width + X);
    return [png.data[o]!, png.data[o + 1]!, png.data[o + 2]!];
  };
  return {
    width: png.width,
    height: png.height,
    at,
    anyNear(x, y, r, rgb, tol) {
      for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) if (dx * dx + dy * dy <= r * r && near(at(x + dx, y + dy), rgb, tol)) return true;
      return false;
    },
    countRing(x, y, r0, r1, rgb, tol) {
      let n = 0;
      const R = Math.ceil(r1);
      for (let dy = -R; dy <= R; dy++) {
        for (let dx = -R; dx <= R; dx++) {
          const X = Math.floor(x) + dx,
            Y = Math.floor(y) + dy;
          const d = Math.hypot(X + 0.5 - x, Y + 0.5 - y);
          if (d >= r0 && d <= r1 && near(at(X, Y), rgb, tol)) n++;
        }
      }
      return n;
    },
  };
}

export interface MapView {
  longitude: number;
  latitude: number;
  zoom: number;
}

/** Screen position (canvas pixels) of a lon/lat in a view of the map canvas's size. */
export function projector(view: MapView, width: number, height: number): (lon: number, lat: number) => [number, number] {
  const vp = new WebMercatorViewport({ ...view, width, height });
  return (lon, lat) => vp.project([lon, lat]) as [number, number];
}

/** The map canvas's size in CSS pixels (what the page sizes its viewport by). */
export async function canvasSize(page: Page): Promise<{ width: number; height: number }> {
  return page.getByTestId("map-canvas").evaluate((el) => ({ width: el.clientWidth, height: el.clientHeight }));
}

/** Rectangles (canvas pixels) of the panels drawn over the map: legend, status, buttons, attribution, gateway panel, drawer. */
export async function overlayRects(page: Page): Promise<[number, number, number, number][]> {
  return page.getByTestId("map-canvas").evaluate((canvas) => {
    const c = canvas.getBoundingClientRect();
    const stage = canvas.parentElement!;
    return [...stage.children]
      .filter((el) => el !== canvas)
      .map((el) => el.getBoundingClientRect())
      .filter((r) => r.width > 0 && r.height > 0)
      .map((r) => [r.left - c.left - 2, r.top - c.top - 2, r.right - c.left + 2, r.bottom - c.top + 2] as [number, number, number, number]);
  });
}

export function inRects(rects: readonly [number, number, number, number][], x: number, y: number, pad = 0): boolean {
  return rects.some(([l, t, r, b]) => x >= l - pad && x <= r + pad && y >= t - pad && y <= b + pad);
}

export function stateName(s: number): MapState | null {
  return s === EXCLUDED ? null : (MAP_STATES[s] ?? null);
}
