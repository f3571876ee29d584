// Fleet rows as the import and the simulator hand them to the stores: one
// shape for Prisma (Meter/Gateway/ClimateZone) and ClickHouse (fleet_meters,
// fleet_gateways). Times are Date; constants are the metrology JSON.
import type { MeterKindName } from "./ids";

export type { MeterKindName } from "./ids";
export type BackhaulName = "mesh" | "cellular";

export interface MetrologyConstants {
  pulseConstant: number;
  gainCorrection: number;
  phaseCorrectionDeg: number;
}

export interface FleetZoneRow {
  id: string;
  name: string;
  thermalStressFactor: number;
}

export interface FleetGatewayRow {
  id: string;
  name: string;
  latitude: number;
  longitude: number;
  backhaul: BackhaulName;
  maxConcurrentSessions: number;
  timezone: string;
  climateZoneId: string;
}

export interface FleetMeterRow {
  id: string;
  kind: MeterKindName;
  model: string;
  latitude: number;
  longitude: number;
  gatewayId: string;
  installedAt: Date;
  climateZoneId: string;
  timezone: string;
  fwMetrology: string;
  fwComms: string;
  hesVersion: string;
  certNotAfter: Date;
  lastVerifiedAt: Date | null;
  /** Set on insert only: an existing meter keeps its constants (they change through recorded edits). */
  metrologyConstants: Partial<MetrologyConstants>;
}
