// Shapes shared by preflight, planner and tests. Dates arrive as ISO strings
// (JSON from the API) or Date objects; both are accepted.

export type DateInput = Date | string;

export interface FirmwarePair {
  metrology: string;
  comms: string;
}

export interface PlanMeter {
  id: string;
  gatewayId: string;
  /** IANA zone, e.g. "America/Denver". */
  timezone: string;
  kind: string;
  /** Climate zone id. */
  zone: string;
  /** Latest mesh SNR in dB; null when never measured. */
  snr: number | null;
  batteryV?: number | null;
  installedAt: DateInput;
  fwMetrology: string;
  fwComms: string;
  hesVersion: string;
  certNotAfter: DateInput;
  /** Codes of faults currently open on the meter (E042, E105, ...). */
  openFaults?: string[];
}

export interface FirmwareImage {
  component: "metrology" | "comms";
  version: string;
  sha256?: string | null;
  isSigned: boolean;
}

export interface Catalogue {
  images: FirmwareImage[];
  /** Metrology/comms versions known to work together. */
  compatibility: FirmwarePair[];
}

export interface Reason {
  code: string;
  message: string;
  /** The numbers behind the message, for the plain-words text (lib/campaigns/gate-text.ts). */
  facts?: Record<string, number | Record<string, number>>;
}

// Fleets repeat the same few dates (cert expiry, install batches): parse each once.
const parsed = new Map<string, number>();

export function toMs(value: DateInput): number {
  if (typeof value !== "string") return value.getTime();
  let ms = parsed.get(value);
  if (ms === undefined) {
    if (parsed.size > 50_000) parsed.clear();
    ms = Date.parse(value);
    parsed.set(value, ms);
  }
  return ms;
}
