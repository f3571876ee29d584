// Each id's grammar, defined once (pages, schemas, rooms, import and ingest
// read these). Browser-safe: no server imports.
//
// Meter id: the log contract's `[A-Z]{2}-[0-9]{4,10}` (/work/shared/spec/audit-log.md).
// Ingest must take every line the contract allows, so the grammar is two capital
// letters, not only the three prefixes the fleet knows today; which prefix means
// which kind (EM electric, GM gas, WM water) is a separate rule, kindOfMeterId,
// applied where a kind is needed (the fleet import refuses an unknown prefix).
import { MeterKind } from "@/lib/generated/prisma/enums";

export type MeterKindName = MeterKind;
/** The meter kinds, from the Prisma enum (schema.prisma is their one definition). */
export const METER_KINDS = Object.values(MeterKind) as MeterKindName[];

export const METER_ID_PATTERN = "[A-Z]{2}-[0-9]{4,10}";
export const METER_ID_RE = new RegExp(`^${METER_ID_PATTERN}$`);

/**
 * Gateway id in the fleet inventory: GW- and 4-10 digits. (A log line's `gw` may
 * name any collector, see ingest/parse.ts; the fleet's own gateways look like this.)
 */
export const GATEWAY_ID_PATTERN = "GW-[0-9]{4,10}";
export const GATEWAY_ID_RE = new RegExp(`^${GATEWAY_ID_PATTERN}$`);

export const KIND_BY_PREFIX: Readonly<Record<string, MeterKindName>> = { EM: "electric", GM: "gas", WM: "water" };

/** A meter id from its prefix and serial number: EM-0000613 (seven digits, as the fleet generator writes them). */
export function formatMeterId(prefix: string, serial: number): string {
  return prefix + "-" + String(serial).padStart(7, "0");
}

/** A gateway id from its number (or digits): GW-0042, at least four digits. */
export function formatGatewayId(n: number | string): string {
  return "GW-" + String(n).padStart(4, "0");
}

/** The kind a meter id's prefix stands for, or null for a prefix the fleet does not know. */
export function kindOfMeterId(id: string): MeterKindName | null {
  return Object.hasOwn(KIND_BY_PREFIX, id.slice(0, 2)) ? KIND_BY_PREFIX[id.slice(0, 2)]! : null;
}

export function isMeterKind(v: string): v is MeterKindName {
  return (METER_KINDS as string[]).includes(v);
}
