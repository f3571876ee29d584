// Map filters <-> URL query (shareable links, e.g. from /faults:
// /map?fault=E105&gw=GW-0042&zone=..&kind=..&model=..&fw=<metrology>/<comms>&state=..&since=24h).
// Unknown or malformed values are dropped, never passed on.
import { MAP_STATES, type MapFilters, type MapState } from "./types";

const CODE_RE = /^[A-Z0-9_]{2,32}$/;
const ID_RE = /^[A-Za-z0-9_.:-]{1,64}$/;
const TEXT_RE = /^[\p{L}\p{N} _.,:/()+-]{1,64}$/u;
const FW_RE = /^[0-9A-Za-z.+_-]{0,32}\/[0-9A-Za-z.+_-]{0,32}$/;
const SINCE_RE = /^(\d{1,4})(m|h|d)$/;

type Params = Record<string, string | string[] | undefined> | URLSearchParams;

function get(p: Params, key: string): string | undefined {
  const v = p instanceof URLSearchParams ? (p.get(key) ?? undefined) : p[key];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === "" ? undefined : s;
}

function ok(v: string | undefined, re: RegExp): string | undefined {
  return v !== undefined && re.test(v) ? v : undefined;
}

export function parseMapFilters(p: Params): MapFilters {
  const states = (get(p, "state") ?? "").split(",").filter((s): s is MapState => (MAP_STATES as readonly string[]).includes(s));
  const f: MapFilters = { states: [...new Set(states)] };
  const fault = ok(get(p, "fault"), CODE_RE);
  if (fault) f.fault = fault;
  const gw = ok(get(p, "gw"), ID_RE);
  if (gw) f.gw = gw;
  const zone = ok(get(p, "zone"), TEXT_RE);
  if (zone) f.zone = zone;
  const kind = ok(get(p, "kind"), TEXT_RE);
  if (kind) f.kind = kind;
  const model = ok(get(p, "model"), TEXT_RE);
  if (model) f.model = model;
  const fw = ok(get(p, "fw"), FW_RE);
  if (fw && fw !== "/") f.fw = fw;
  const since = ok(get(p, "since"), SINCE_RE);
  if (since) f.since = since;
  return f;
}

export function serializeMapFilters(f: MapFilters): URLSearchParams {
  const q = new URLSearchParams();
  if (f.states.length) q.set("state", f.states.join(","));
  for (const k of ["fault", "gw", "zone", "kind", "model", "fw", "since"] as const) {
    const v = f[k];
    if (v) q.set(k, v);
  }
  return q;
}

/** "24h" -> ms; undefined when absent or malformed. */
export function sinceToMs(since: string | undefined): number | undefined {
  const m = since ? SINCE_RE.exec(since) : null;
  if (!m) return undefined;
  return Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "m" | "h" | "d"];
}

/** A map view in a link: `at=<zoom>/<lat>/<lon>` (as slippy-map links write it). */
export interface MapViewParam {
  zoom: number;
  latitude: number;
  longitude: number;
}

const AT_RE = /^(\d{1,2}(?:\.\d{1,4})?)\/(-?\d{1,2}(?:\.\d{1,7})?)\/(-?\d{1,3}(?:\.\d{1,7})?)$/;

/** The `at` view of a link; null when absent or out of range. */
export function parseMapView(p: Params): MapViewParam | null {
  const m = AT_RE.exec(get(p, "at") ?? "");
  if (!m) return null;
  const [zoom, latitude, longitude] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (zoom > 20 || Math.abs(latitude) > 85 || Math.abs(longitude) > 180) return null;
  return { zoom, latitude, longitude };
}

export function serializeMapView(v: MapViewParam): string {
  return `${v.zoom.toFixed(2).replace(/\.?0+$/, "")}/${v.latitude.toFixed(5)}/${v.longitude.toFixed(5)}`;
}
