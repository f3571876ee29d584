// The audit-log contract (shared/spec/audit-log.md) as data: codes, severities,
// LED states, steps, results. Every module (parser, simulator, matrix, explorer)
// takes these lists from here.

export const SEVERITIES = ["debug", "info", "warn", "error", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

export const LED_STATES = ["off", "green_steady", "amber_steady", "amber_blinking", "red_steady", "red_blinking"] as const;
export type LedState = (typeof LED_STATES)[number];

export const STEPS = ["inspect", "calibrate", "fw_verify", "rf_analysis", "battery_audit", "comms_reset", "fota", "cert_renew"] as const;
export type Step = (typeof STEPS)[number];

export const RESULTS = ["ok", "fail", "timeout", "skipped"] as const;
export type StepResult = (typeof RESULTS)[number];

export const CODES = {
  E001: { sev: "critical" },
  E042: { sev: "critical" },
  E105: { sev: "error" },
  CERT_EXPIRED: { sev: "critical" },
  FW_HASH_MISMATCH: { sev: "critical" },
  IPC_ERROR: { sev: "error" },
  TLS_HANDSHAKE: { sev: "error" },
  HES_TIMEOUT: { sev: "error" },
  LAST_GASP: { sev: "warn" },
  SUPERCAP_FAIL: { sev: "error" },
  BATTERY_LOW: { sev: "warn" },
  HOTSPOT: { sev: "error" },
  LOW_SNR: { sev: "warn" },
  FOTA_FAILED: { sev: "critical" },
  STEP_OK: { sev: "info" },
  HEARTBEAT: { sev: "debug" },
} as const satisfies Record<string, { sev: Severity }>;
export type Code = keyof typeof CODES;
export const CODE_LIST = Object.keys(CODES) as Code[];

// The meter id grammar is defined once, in lib/fleet/ids (the map page and the simulator import it from here).
export { METER_ID_RE } from "@/lib/fleet/ids";

/** Max line length in bytes; longer lines are refused whole as too_long. */
export const MAX_LINE_BYTES = 64 * 1024;
