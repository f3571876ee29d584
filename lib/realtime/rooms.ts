// socket.io rooms and the permission each needs. Shared by the server (checks)
// and the client (names); no server imports here.
import type { Permission } from "@/lib/auth/permissions";
import { GATEWAY_ID_PATTERN, METER_ID_PATTERN } from "@/lib/fleet/ids";

export const ROOM_PATTERNS: { pattern: RegExp; permission: Permission; describe: string }[] = [
  { pattern: /^fleet$/, permission: "fleet.view", describe: "fleet-wide state summary and changes" },
  { pattern: new RegExp(`^gw:${GATEWAY_ID_PATTERN}$`), permission: "fleet.view", describe: "one gateway" },
  { pattern: new RegExp(`^meter:${METER_ID_PATTERN}$`), permission: "fleet.view", describe: "one meter" },
  { pattern: /^logs$/, permission: "logs.view", describe: "live tail of accepted audit lines" },
  { pattern: /^campaigns$/, permission: "campaigns.view", describe: "campaign list changes" },
  { pattern: /^campaign:[a-z0-9]{8,40}$/, permission: "campaigns.view", describe: "one campaign's progress" },
  { pattern: /^workorders$/, permission: "workorders.view", describe: "work orders created or completed" },
  { pattern: /^alerts$/, permission: "alerts.view", describe: "alerts firing, resolved or acknowledged (the bell)" },
  { pattern: /^ingest$/, permission: "ingest.view", describe: "ingest source rates and refusals" },
];

export function permissionForRoom(room: string): Permission | null {
  if (typeof room !== "string" || room.length > 64) return null;
  return ROOM_PATTERNS.find((r) => r.pattern.test(room))?.permission ?? null;
}

/** Events are delivered in batches: { event, items[] } at most every FLUSH_MS per room. */
export const FLUSH_MS = 250;

export interface BatchEnvelope<T = unknown> {
  event: string;
  room: string;
  items: T[];
  /** Server time of the flush (ms), so clients can show lag. */
  sentAt: number;
  /** Items dropped because the room's buffer was full (slow producer protection). */
  dropped: number;
}
