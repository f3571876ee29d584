// Client-side shapes of the fleet map (app/(console)/map): the positions payload as
// decoded, the meter drawer's detail, and the state the map's hooks share.
import type { StateArrays } from "@/lib/map/browser/deltas";
import type { IndexOf } from "@/lib/map/browser/fleet-index";
import type { PointsBox } from "@/lib/map/browser/points";
import type { FleetLiveItem, MapCell } from "@/lib/map/types";

export interface Fleet {
  ids: string[];
  lon: Float32Array;
  lat: Float32Array;
  /** Id -> index by binary search over the sorted ids (lib/map/browser/fleet-index.ts): no 1 M-entry Map on the first-paint path. */
  indexOf: IndexOf;
  version: string;
}

export interface MeterDetail {
  fleet: {
    meter: string;
    kind: string;
    model: string;
    gw: string;
    zone: string;
    timezone: string;
    lat: number;
    lon: number;
    installed_at: string;
    fw_metrology: string;
    fw_comms: string;
    hes_version: string;
    cert_not_after: number;
  };
  state: {
    gw: string;
    last_seen: number | null;
    led: string;
    fault_code: string;
    fault_sev: string;
    rssi: number | null;
    lqi: number | null;
    snr: number | null;
    temp_c: number | null;
    battery_v: number | null;
    fw_metrology: string;
    fw_comms: string;
    cert_not_after: number | null;
  } | null;
  lines: { ts: number; code: string; sev: string; led: string; gw: string; step: string; job: string; msg: string }[];
  jobs: { source: string; id: string; name: string; jobType: string; status: string; at: number }[] | null;
  actions: { label: string; href: string; testId: string }[];
}

export type Line = MeterDetail["lines"][number];

/**
 * The typed arrays and caches the hooks share by reference (not React state: a live
 * batch writes them in place, once per animation frame, for up to 1 M meters).
 */
export interface MapStore {
  fleet: Fleet | null;
  arrays: StateArrays | null;
  /** The cells of the view, by key, kept in step with live batches. */
  cells: { level: number; byKey: Map<string, MapCell> };
  /** Meters in view (visible states), adjusted by live batches between rescans. */
  inView: { box: PointsBox; n: number } | null;
  /** Live items not yet applied (coalesced per meter). */
  pending: Map<string, FleetLiveItem>;
  /** Live items of the last few seconds, replayed onto a fresh states payload. */
  recent: { at: number; items: FleetLiveItem[] }[];
  visible: boolean[];
}
