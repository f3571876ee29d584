// Shared map types: the map states, the live item shape, the filters. No server imports.
// Live items on room `fleet` are the ingest writer's StateChange (ingest/state-tracker.ts):
// { kind, meter, gw, ts, led, prevLed, code, sev }; an optional `state` (a MapState name)
// wins when present, so a publisher that already derived it needs nothing else.

/** Order = the byte sent in binary payloads (index). 255 = excluded by the filters. */
export const MAP_STATES = ["normal", "amber_steady", "red_blinking", "tamper", "offline", "stale", "unknown"] as const;
export type MapState = (typeof MAP_STATES)[number];
export const EXCLUDED = 255;

export const MAP_STATE_LABELS: Record<MapState, string> = {
  normal: "Normal",
  amber_steady: "Comms link failure (amber)",
  red_blinking: "Critical metrology fault (red)",
  tamper: "Tamper (E042)",
  offline: "Offline / last gasp",
  stale: "Stale (not heard recently)",
  unknown: "Unknown (never heard)",
};

/** RGB per state; healthy is quiet, faults loud, absence grey. */
export const MAP_STATE_COLORS: Record<MapState, [number, number, number]> = {
  normal: [63, 185, 80],
  amber_steady: [227, 160, 8],
  red_blinking: [248, 81, 73],
  tamper: [255, 77, 157],
  offline: [88, 166, 255],
  stale: [139, 148, 158],
  unknown: [72, 79, 88],
};

export interface FleetLiveItem {
  meter: string;
  ts?: number;
  kind?: string;
  led?: string;
  prevLed?: string;
  code?: string;
  sev?: string;
  gw?: string;
  state?: MapState;
}

export interface MapFilters {
  states: MapState[];
  fault?: string;
  gw?: string;
  zone?: string;
  kind?: string;
  model?: string;
  /** "<metrology>/<comms>"; either side may be empty. */
  fw?: string;
  /** Last fault within this window, e.g. "24h", "7d". */
  since?: string;
}

export interface MapCell {
  cx: number;
  cy: number;
  lon: number;
  lat: number;
  /** Count per state, indexed like MAP_STATES. */
  counts: number[];
  total: number;
}

export interface MapGateway {
  gw: string;
  name: string;
  lon: number;
  lat: number;
  meters: number;
  unhealthy: number;
}

/** The filtered fleet's 1st-99th percentile position box and its meter count (the map's first view). */
export interface FleetExtent {
  west: number;
  south: number;
  east: number;
  north: number;
  count: number;
}
