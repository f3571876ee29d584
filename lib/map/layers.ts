// The map's deck.gl layers, shared by the page (app/(console)/map/fleet-map.tsx)
// and scripts/bench-map.ts so the bench times what the app draws. Client-only.
import { LineLayer, ScatterplotLayer, TextLayer } from "@deck.gl/layers";
import type { BasemapPaths } from "./basemap";
import { MAP_STATES, MAP_STATE_COLORS, type MapCell } from "./types";

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
}

/**
 * A state with any meter gets at least this share of the donut, so one red meter in
 * 10 000 still shows (its true share would be a 0.04 degree sliver).
 */
export const MIN_SHARE = 0.04;

/** Donut data per cell over the visible states; cells with no visible meter are left out. */
export function cellDonuts(cells: readonly MapCell[], visible: readonly boolean[]): CellDonut[] {
  const out: CellDonut[] = [];
  const shares = new Array<number>(MAP_STATES.length);
  for (const c of cells) {
    let total = 0;
    for (let s = 0; s < MAP_STATES.length; s++) if (visible[s]) total += c.counts[s]!;
    if (total === 0) continue;
    let sum = 0;
    for (let s = 0; s < MAP_STATES.length; s++) {
      const n = visible[s] ? c.counts[s]! : 0;
      shares[s] = n > 0 ? Math.max(MIN_SHARE, n / total) : 0;
      sum += shares[s]!;
    }
    const ends: number[] = [];
    let acc = 0;
    for (let s = 0; s < MAP_STATES.length; s++) ends.push((acc += shares[s]! / sum));
    ends[MAP_STATES.length - 1] = 1;
    out.push({
      position: [c.lon, c.lat],
      radius: 15 + Math.min(19, 8 * Math.log10(total + 1) * 0.75),
      endsA: [ends[0]!, ends[1]!, ends[2]!, ends[3]!],
      endsB: [ends[4]!, ends[5]!, ends[6]!],
      text: formatCount(total),
      total,
    });
  }
  return out;
}

/** Inner edge of the donut as a share of the radius (the rest is the dark disc with the count). */
const DONUT_INNER = 0.72;

const glslColor = (s: (typeof MAP_STATES)[number]) => `vec3(${MAP_STATE_COLORS[s].map((v) => (v / 255).toFixed(4)).join(", ")})`;

/**
 * One instance per cell, the state donut drawn by the fragment shader from the
 * instance's cumulative shares. Before this, each state was its own stroked circle
 * in a ScatterplotLayer: up to 7 full-size quads per cell, each shading the whole
 * disc to keep a ring, plus a disc for the background - 8x the fragments of this
 * layer, which is what SwiftShader (CPU rendering) spends a frame on.
 */
class CellDonutLayer extends ScatterplotLayer<CellDonut> {
  static layerName = "CellDonutLayer";

  getShaders() {
    const shaders = super.getShaders();
    const c = (i: number) => glslColor(MAP_STATES[i]!);
    return {
      ...shaders,
      inject: {
        ...(shaders.inject ?? {}),
        "vs:#decl": "in vec4 instanceEndsA;\nin vec3 instanceEndsB;\nout vec4 vEndsA;\nout vec3 vEndsB;\n",
        "vs:#main-end": "vEndsA = instanceEndsA;\nvEndsB = instanceEndsB;\n",
        "fs:#decl": "in vec4 vEndsA;\nin vec3 vEndsB;\n",
        // Runs before picking's own colour filter (order 99), so picking still gets its colour.
        "fs:DECKGL_FILTER_COLOR": `
          float r = length(geometry.uv);
          if (r > ${DONUT_INNER.toFixed(3)}) {
            float t = atan(geometry.uv.x, geometry.uv.y) / 6.2831853;
            if (t < 0.0) t += 1.0;
            vec3 rgb = ${c(6)};
            if (t < vEndsA.x) rgb = ${c(0)};
            else if (t < vEndsA.y) rgb = ${c(1)};
            else if (t < vEndsA.z) rgb = ${c(2)};
            else if (t < vEndsA.w) rgb = ${c(3)};
            else if (t < vEndsB.x) rgb = ${c(4)};
            else if (t < vEndsB.y) rgb = ${c(5)};
            color = vec4(rgb, color.a);
          }
        `,
      },
    };
  }

  initializeState() {
    super.initializeState();
    this.getAttributeManager()!.addInstanced({
      instanceEndsA: { size: 4, accessor: "getEndsA" as never, defaultValue: [1, 1, 1, 1] },
      instanceEndsB: { size: 3, accessor: "getEndsB" as never, defaultValue: [1, 1, 1] },
    });
  }
}
CellDonutLayer.defaultProps = {
  ...(ScatterplotLayer as unknown as { defaultProps: object }).defaultProps,
  getEndsA: { type: "accessor", value: (d: CellDonut) => d.endsA },
  getEndsB: { type: "accessor", value: (d: CellDonut) => d.endsB },
} as never;

/**
 * WebGL context attributes for the map's Deck. luma.gl asks for preserveDrawingBuffer
 * (a full-canvas copy per frame) and the browser default antialias (4x MSAA: four
 * samples per pixel and a resolve per frame). Nothing reads the canvas back, so the
 * first is off always; MSAA is off on a software renderer (SwiftShader, llvmpipe: no
 * context with failIfMajorPerformanceCaveat), where the circles keep their own
 * shader-smoothed edges and only the 1 px borders lose theirs.
 */
export function mapDeviceProps(): { webgl: { antialias: boolean; preserveDrawingBuffer: boolean } } {
  let software = false;
  try {
    const probe = document.createElement("canvas").getContext("webgl2", { failIfMajorPerformanceCaveat: true });
    software = probe === null;
    probe?.getExtension("WEBGL_lose_context")?.loseContext(); // give the probe's context back at once
  } catch {
    software = true;
  }
  return { webgl: { antialias: !software, preserveDrawingBuffer: false } };
}

interface Segments {
  length: number;
  attributes: { getSourcePosition: { value: Float32Array; size: 2 }; getTargetPosition: { value: Float32Array; size: 2 } };
}

/** A path list as consecutive segments in typed arrays (built once per basemap). */
export function pathSegments(paths: readonly (readonly (readonly number[])[])[]): Segments {
  let n = 0;
  for (const p of paths) n += Math.max(0, p.length - 1);
  const source = new Float32Array(n * 2);
  const target = new Float32Array(n * 2);
  let k = 0;
  for (const p of paths) {
    for (let i = 1; i < p.length; i++, k++) {
      source[2 * k] = p[i - 1]![0]!;
      source[2 * k + 1] = p[i - 1]![1]!;
      target[2 * k] = p[i]![0]!;
      target[2 * k + 1] = p[i]![1]!;
    }
  }
  return { length: n, attributes: { getSourcePosition: { value: source, size: 2 }, getTargetPosition: { value: target, size: 2 } } };
}

const segmentsOf = new WeakMap<BasemapPaths, { countries: Segments; states: Segments }>();

/**
 * Borders as 1-pixel line segments. LineLayer rather than PathLayer: hairlines need no
 * joins, and its shader is the simpler one to compile. In Chromium's software renderer
 * (SwiftShader) the first draw is mostly shader compilation: with the cluster layers it
 * took 3.3 s with LineLayer borders against 4.6 s with PathLayer (scripts/map-draw-experiment.ts).
 */
export function basemapLayers(basemap: BasemapPaths) {
  let seg = segmentsOf.get(basemap);
  if (!seg) {
    seg = { countries: pathSegments(basemap.countries), states: pathSegments(basemap.states) };
    segmentsOf.set(basemap, seg);
  }
  return [
    new LineLayer({ id: "countries", data: seg.countries, getColor: [110, 118, 129, 200], getWidth: 1, widthUnits: "pixels" }),
    new LineLayer({ id: "states", data: seg.states, getColor: [110, 118, 129, 110], getWidth: 0.6, widthUnits: "pixels" }),
  ];
}

/**
 * Cluster view: one donut per cell and its count. `labels` should keep its identity
 * while the texts are unchanged (see stableLabels): the text layer then keeps its glyph
 * buffers, and a live batch only rewrites the donuts' share attributes.
 */
export function cellLayers(donuts: CellDonut[], labels: CellDonut[] = donuts) {
  return [
    cellDonutLayer(donuts),
    new TextLayer({
      id: "cell-counts", data: labels, getPosition: (d: CellDonut) => d.position, getText: (d: CellDonut) => d.text,
      getSize: 12, getColor: [230, 237, 243, 255], fontWeight: 600, getTextAnchor: "middle", getAlignmentBaseline: "center",
      fontFamily: "system-ui, sans-serif", characterSet: "0123456789.kM",
    }),
  ];
}

/** The cluster donuts alone (the app draws their counts with Canvas 2D: lib/map/canvas2d.ts). */
export function cellDonutLayer(donuts: CellDonut[]) {
  return new CellDonutLayer({
    id: "cell-rings", data: donuts, pickable: true, radiusUnits: "pixels", getPosition: (d: CellDonut) => d.position,
    getRadius: (d: CellDonut) => d.radius, getFillColor: [13, 17, 23, 215],
  });
}

/** The previous labels when every cell's position and text are the same (a live batch rarely moves a rounded count). */
export function stableLabels(prev: CellDonut[] | null, next: CellDonut[]): CellDonut[] {
  if (!prev || prev.length !== next.length) return next;
  for (let i = 0; i < next.length; i++) {
    const a = prev[i]!, b = next[i]!;
    if (a.text !== b.text || a.position[0] !== b.position[0] || a.position[1] !== b.position[1]) return next;
  }
  return prev;
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
