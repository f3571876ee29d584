// Deterministic test and benchmark data: same arguments, same fleet. No
// randomness, so failures reproduce and figures compare run to run.
import { formatMeterId, METER_KINDS } from "@/lib/fleet/ids";
import type { Catalogue, PlanMeter } from "./types";

export const HASH_A = "a".repeat(64);
export const HASH_B = "b".repeat(64);

export function createMeter(partial: Partial<PlanMeter> = {}): PlanMeter {
  return {
    id: "EM-0000001",
    gatewayId: "GW-1",
    timezone: "Europe/Berlin",
    kind: "electric",
    zone: "temperate",
    snr: 25,
    batteryV: null,
    installedAt: "2018-06-01T00:00:00Z",
    fwMetrology: "1.0.0",
    fwComms: "2.0.0",
    hesVersion: "4.3.1",
    certNotAfter: "2030-01-01T00:00:00Z",
    openFaults: [],
    ...partial,
  };
}

/** Catalogue with signed, hashed images for 1.0.0/2.0.0 (current) and 1.1.0/2.1.0 (target). */
export function createCatalogue(partial: Partial<Catalogue> = {}): Catalogue {
  return {
    images: [
      { component: "metrology", version: "1.0.0", sha256: HASH_A, isSigned: true },
      { component: "comms", version: "2.0.0", sha256: HASH_A, isSigned: true },
      { component: "metrology", version: "1.1.0", sha256: HASH_B, isSigned: true },
      { component: "comms", version: "2.1.0", sha256: HASH_B, isSigned: true },
    ],
    compatibility: [
      { metrology: "1.0.0", comms: "2.0.0" },
      { metrology: "1.1.0", comms: "2.1.0" },
    ],
    ...partial,
  };
}

export interface FleetShape {
  timezones?: string[];
  gatewaysPerZone?: number;
  maxConcurrentSessions?: number;
  idPrefix?: string;
}

/** n meters spread round-robin over zones and gateways, with varied age, SNR and firmware. */
export function createFleet(n: number, shape: FleetShape = {}) {
  const timezones = shape.timezones ?? ["Europe/Berlin", "America/Denver"];
  const perZone = shape.gatewaysPerZone ?? 4;
  const prefix = shape.idPrefix ?? "EM";
  const climate = ["temperate", "hot_arid", "cold"];
  const meters: PlanMeter[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const tz = i % timezones.length;
    const gw = Math.floor(i / timezones.length) % perZone;
    const kind = METER_KINDS[i % METER_KINDS.length];
    meters[i] = {
      id: formatMeterId(prefix, i + 1),
      gatewayId: `GW-${tz}-${gw}`,
      timezone: timezones[tz],
      kind,
      zone: climate[(i >> 2) % 3],
      snr: 15 + ((i * 7919) % 200) / 10,
      batteryV: kind === "electric" ? null : 3.0 + ((i * 104729) % 60) / 100,
      installedAt: new Date(Date.UTC(2010 + (i % 13), (i * 5) % 12, 1 + (i % 28))).toISOString(),
      fwMetrology: i % 5 === 0 ? "1.0.0" : "1.0.1",
      fwComms: i % 5 === 0 ? "2.0.0" : "2.0.1",
      hesVersion: "4.3.1",
      certNotAfter: "2030-01-01T00:00:00Z",
      openFaults: [],
    };
  }
  const gateways: Record<string, { maxConcurrentSessions: number }> = {};
  for (let t = 0; t < timezones.length; t++) {
    for (let g = 0; g < perZone; g++) gateways[`GW-${t}-${g}`] = { maxConcurrentSessions: shape.maxConcurrentSessions ?? 25 };
  }
  return { meters, gateways };
}
