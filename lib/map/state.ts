// The map state of a meter, one rule shared by the SQL (lib/clickhouse/queries/map.ts
// BASE_STATE_SQL + CELL_STATE_SQL, which must stay equivalent) and the live path. First match wins:
//   unknown      never heard (no line at all)
//   offline      its latest line is a LAST_GASP, or its latest LED is `off` (no power)
//   stale        last line older than STALE_AFTER (what we know is too old to show as current)
//   tamper       an E042 newer than the last clear (clear = non-fault HEARTBEAT or green LED)
//   red_blinking latest LED red_blinking (critical metrology fault)
//   amber_steady latest LED amber_steady (comm-module link failure)
//   normal       anything else
import { MAP_STATES, type FleetLiveItem, type MapState } from "./types";

/**
 * LED index packed in map_meters.led (004_map.sql); 0 = no LED seen. Read by no code: it is the
 * definition that migration's comment points to (the SQL decodes 1, 3, 6 in lib/clickhouse/queries/map.ts).
 */
export const LED_CODES = ["", "off", "green_steady", "amber_steady", "amber_blinking", "red_steady", "red_blinking"] as const;
/** Fault code index packed in map_meters.fault (004_map.sql); 0 = none. */
export const FAULT_CODES = [
  "",
  "E001",
  "E042",
  "E105",
  "CERT_EXPIRED",
  "FW_HASH_MISMATCH",
  "IPC_ERROR",
  "TLS_HANDSHAKE",
  "HES_TIMEOUT",
  "LAST_GASP",
  "SUPERCAP_FAIL",
  "BATTERY_LOW",
  "HOTSPOT",
  "LOW_SNR",
  "FOTA_FAILED",
] as const;

export interface MeterMapFacts {
  /** Epoch ms of the latest line; 0 = never. */
  lastSeen: number;
  /** Latest non-empty LED ("" = none seen). */
  led: string;
  lastClearAt: number;
  lastGaspAt: number;
  lastTamperAt: number;
}

export function deriveMapState(f: MeterMapFacts, now: number, staleAfterMs: number): MapState {
  if (f.lastSeen <= 0) return "unknown";
  if (f.lastGaspAt >= f.lastSeen || f.led === "off") return "offline";
  if (f.lastSeen < now - staleAfterMs) return "stale";
  if (f.lastTamperAt > f.lastClearAt) return "tamper";
  if (f.led === "red_blinking") return "red_blinking";
  if (f.led === "amber_steady") return "amber_steady";
  return "normal";
}

/** Facts after one more line, for the live path (same rules as the MV in 004_map.sql). */
export function applyLineToFacts(f: MeterMapFacts, line: { ts: number; code: string; sev: string; led: string }): MeterMapFacts {
  if (line.ts < f.lastSeen) return f; // late line: an older event never overrides the newer state
  const isFault = line.sev === "warn" || line.sev === "error" || line.sev === "critical";
  return {
    lastSeen: line.ts,
    led: line.led || f.led,
    lastClearAt: !isFault && (line.code === "HEARTBEAT" || line.led === "green_steady") ? line.ts : f.lastClearAt,
    lastGaspAt: line.code === "LAST_GASP" ? line.ts : f.lastGaspAt,
    lastTamperAt: line.code === "E042" ? line.ts : f.lastTamperAt,
  };
}

/**
 * The state after a live item, when only the previous map state is known (the
 * browser holds no facts). A line means the meter is heard now, so stale/unknown/offline
 * give way; a line that says nothing about LED or tamper keeps a fault state.
 */
export function stateAfterLiveItem(prev: MapState, item: FleetLiveItem): MapState {
  if (item.state && (MAP_STATES as readonly string[]).includes(item.state)) return item.state;
  if (item.code === "LAST_GASP" || item.led === "off") return "offline";
  if (item.code === "E042") return "tamper";
  if (item.led === "red_blinking") return "red_blinking";
  if (item.led === "amber_steady") return "amber_steady";
  if (item.led === "green_steady" || item.kind === "normal") return "normal";
  if (item.code === "HEARTBEAT" && item.sev !== "warn" && item.sev !== "error" && item.sev !== "critical") {
    // A clear ends tamper; the LED (unknown here) keeps red/amber.
    return prev === "tamper" || prev === "stale" || prev === "unknown" || prev === "offline" ? "normal" : prev;
  }
  return prev === "stale" || prev === "unknown" || prev === "offline" ? "normal" : prev;
}
