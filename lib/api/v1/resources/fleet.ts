// /api/v1/meters and /api/v1/gateways: lib/fleet/meters (the meters pages),
// lib/fleet/constants (the meter page's constants action) and the map's
// gateway query (the map's gateway layer).
import { z } from "zod";
import { CERT_WINDOWS, METER_SORTS, METER_STATES, type MeterSort } from "@/lib/clickhouse/queries/fleet";
import { getMapGateways } from "@/lib/clickhouse/queries/map";
import { AppError } from "@/lib/errors";
import { updateMeterConstants, updateMeterConstantsSchema } from "@/lib/fleet/constants";
import { GATEWAY_ID_RE, METER_ID_RE, METER_KINDS } from "@/lib/fleet/ids";
import { findMeters, getMeterDetail, METERS_PAGE_SIZE } from "@/lib/fleet/meters";
import { ensureMapCellsSync } from "@/lib/map/server/cells-sync";
import { parseMapFilters } from "@/lib/map/search-params";
import { mapContext } from "@/lib/map/server/payloads";
import { defineEndpoint } from "../endpoint";
import { cursorQuery, decodeCursor, nextLink, pageOf } from "../paging";
import { isoDate, named, nullableIso } from "../schemas";

const meterParams = z.object({ id: z.string().regex(METER_ID_RE, "meter ids look like EM-0012345").meta({ description: "Meter id, e.g. EM-0012345." }) });
const epochMs = z.number().meta({ description: "Epoch milliseconds (0: never)." });

const meterListItemSchema = named(
  "MeterListItem",
  z.object({
    meter: z.string(),
    kind: z.string(),
    model: z.string(),
    gw: z.string(),
    zone: z.string(),
    fw_metrology: z.string(),
    fw_comms: z.string(),
    installed_at: epochMs,
    cert_not_after: epochMs,
    last_seen: epochMs,
    state: z.enum(METER_STATES),
    fault_code: z.string(),
    led: z.string(),
  }),
);

const meterStateSchema = named(
  "MeterState",
  z.object({
    last_seen: epochMs,
    led: z.string(),
    fault_code: z.string(),
    fault_sev: z.string(),
    last_fault_at: epochMs,
    rssi: z.number().nullable(),
    snr: z.number().nullable(),
    lqi: z.number().nullable(),
    temp_c: z.number().nullable(),
    battery_v: z.number().nullable(),
    fw_metrology: z.string(),
    fw_comms: z.string(),
    cert_not_after: z.number().nullable(),
  }),
);

const meterSchema = named(
  "Meter",
  z.object({
    id: z.string(),
    kind: z.string(),
    model: z.string(),
    latitude: z.number(),
    longitude: z.number(),
    gatewayId: z.string(),
    climateZoneId: z.string(),
    timezone: z.string(),
    fwMetrology: z.string(),
    fwComms: z.string(),
    hesVersion: z.string(),
    installedAt: isoDate,
    certNotAfter: isoDate,
    lastVerifiedAt: nullableIso,
    metrologyConstants: z.record(z.string(), z.unknown()),
    state: meterStateSchema.nullable(),
    links: z.object({ self: z.string(), console: z.string() }),
  }),
);

const historySchema = named(
  "MeterHistory",
  z.object({
    meterId: z.string(),
    campaigns: z.array(
      z.object({
        campaignId: z.string(),
        name: z.string(),
        jobType: z.string(),
        campaignStatus: z.string(),
        targetState: z.string(),
        wave: z.number().int().nullable(),
        attempts: z.number().int(),
        lastCode: z.string().nullable(),
        updatedAt: isoDate,
      }),
    ),
    constantChanges: z.array(
      z.object({ id: z.string(), at: isoDate, actorEmail: z.string(), reason: z.string(), before: z.record(z.string(), z.unknown()), after: z.record(z.string(), z.unknown()) }),
    ),
  }),
);

async function detailOr404(id: string) {
  const d = await getMeterDetail(id);
  if (!d) throw new AppError("not_found", `Meter ${id} is not in the inventory.`);
  return d;
}

const gatewaySchema = named("Gateway", z.object({ gw: z.string(), name: z.string(), lon: z.number(), lat: z.number(), meters: z.number().int(), unhealthy: z.number().int() }));

export const fleetEndpoints = [
  defineEndpoint({
    operationId: "listMeters",
    method: "GET",
    path: "/meters",
    tag: "Meters",
    summary: "List meters with the fleet filters (as on the meters page), 50 a page",
    permission: "fleet.view",
    query: z.object({
      kind: z.enum(METER_KINDS).optional(),
      gw: z.string().regex(GATEWAY_ID_RE).optional(),
      zone: z
        .string()
        .regex(/^[a-z0-9-]{1,32}$/)
        .optional(),
      fw: z
        .string()
        .regex(/^\d+\.\d+\.\d+\/\d+\.\d+\.\d+$/)
        .optional()
        .meta({ description: "<metrology>/<comms>, e.g. 3.4.1/6.1.0" }),
      state: z.enum(METER_STATES).optional(),
      cert: z.enum(CERT_WINDOWS).optional(),
      q: z
        .string()
        .regex(/^[A-Z]{1,2}(-[0-9]{0,10})?$/)
        .optional()
        .meta({ description: "Meter id prefix, e.g. EM-00012" }),
      sort: z.enum(Object.keys(METER_SORTS) as [MeterSort, ...MeterSort[]]).default("id"),
      dir: z.enum(["asc", "desc"]).default("asc"),
      cursor: cursorQuery,
    }),
    response: named("MeterPage", pageOf(meterListItemSchema).extend({ total: z.number().int() })),
    isPaged: true,
    handler: async ({ query, url }) => {
      const at = decodeCursor(query.cursor, z.object({ page: z.number().int().min(1).max(100_000) }));
      const page = at?.page ?? 1;
      const r = await findMeters({
        filters: { kind: query.kind, gateway: query.gw, zone: query.zone, firmware: query.fw, state: query.state, cert: query.cert, q: query.q },
        sort: query.sort,
        desc: query.dir === "desc",
        page,
      });
      return { items: r.rows, total: r.total, next: page * METERS_PAGE_SIZE < r.total ? nextLink(url, { page: page + 1 }) : null };
    },
  }),
  defineEndpoint({
    operationId: "getMeter",
    method: "GET",
    path: "/meters/{id}",
    tag: "Meters",
    summary: "One meter: inventory, metrology constants and latest state",
    permission: "fleet.view",
    params: meterParams,
    response: meterSchema,
    handler: async ({ params }) => {
      const { meter: m, state } = await detailOr404(params.id);
      return {
        id: m.id,
        kind: m.kind,
        model: m.model,
        latitude: m.latitude,
        longitude: m.longitude,
        gatewayId: m.gatewayId,
        climateZoneId: m.climateZoneId,
        timezone: m.timezone,
        fwMetrology: m.fwMetrology,
        fwComms: m.fwComms,
        hesVersion: m.hesVersion,
        installedAt: m.installedAt.toISOString(),
        certNotAfter: m.certNotAfter.toISOString(),
        lastVerifiedAt: m.lastVerifiedAt?.toISOString() ?? null,
        metrologyConstants: (m.metrologyConstants ?? {}) as Record<string, unknown>,
        state,
        links: { self: `/api/v1/meters/${m.id}`, console: `/meters/${m.id}` },
      };
    },
  }),
  defineEndpoint({
    operationId: "getMeterState",
    method: "GET",
    path: "/meters/{id}/state",
    tag: "Meters",
    summary: "A meter's latest state: LED, fault, radio, temperature, battery",
    permission: "fleet.view",
    params: meterParams,
    response: meterStateSchema,
    handler: async ({ params }) => {
      const { state } = await detailOr404(params.id);
      if (!state) throw new AppError("not_found", `Meter ${params.id} has not been heard from.`);
      return state;
    },
  }),
  defineEndpoint({
    operationId: "getMeterHistory",
    method: "GET",
    path: "/meters/{id}/history",
    tag: "Meters",
    summary: "A meter's maintenance history: campaigns that targeted it, metrology constant changes",
    permission: "fleet.view",
    params: meterParams,
    response: historySchema,
    handler: async ({ params }) => {
      const { changes, campaigns } = await detailOr404(params.id);
      return {
        meterId: params.id,
        campaigns: campaigns.map((t) => ({
          campaignId: t.campaign.id,
          name: t.campaign.name,
          jobType: t.campaign.jobType,
          campaignStatus: t.campaign.status,
          targetState: t.state,
          wave: t.wave,
          attempts: t.attempts,
          lastCode: t.lastCode,
          updatedAt: t.updatedAt.toISOString(),
        })),
        constantChanges: changes.map((c) => ({
          id: c.id,
          at: c.at.toISOString(),
          actorEmail: c.actorEmail,
          reason: c.reason,
          before: c.before as Record<string, unknown>,
          after: c.after as Record<string, unknown>,
        })),
      };
    },
  }),
  defineEndpoint({
    operationId: "updateMeterConstants",
    method: "POST",
    path: "/meters/{id}/constants",
    tag: "Meters",
    summary: "Change a meter's metrology constants (audited with before and after)",
    permission: "meters.edit_constants",
    params: meterParams,
    body: named("MeterConstantsRequest", updateMeterConstantsSchema.omit({ meterId: true })),
    response: z.object({ changeId: z.string() }),
    twins: ["updateMeterConstantsAction"],
    handler: async ({ params, body, actor, request }) => {
      const change = await updateMeterConstants({ ...body, meterId: params.id }, actor, { ip: request.headers.get("x-ami-client-ip") });
      return { changeId: change.id };
    },
  }),
  defineEndpoint({
    operationId: "listGateways",
    method: "GET",
    path: "/gateways",
    tag: "Gateways",
    summary: "Gateways with the meters they serve and how many are unhealthy (the map's filters)",
    permission: "fleet.view",
    query: z.object({
      state: z.string().max(64).optional().meta({ description: "Comma-separated meter states: critical,error,warn,normal,stale" }),
      fault: z.string().max(32).optional(),
      zone: z.string().max(64).optional(),
      kind: z.string().max(64).optional(),
      model: z.string().max(64).optional(),
      fw: z.string().max(65).optional(),
      since: z.string().max(8).optional(),
    }),
    response: named("GatewayList", z.object({ items: z.array(gatewaySchema) })),
    handler: async ({ url }) => {
      await ensureMapCellsSync();
      return { items: await getMapGateways({ filters: parseMapFilters(url.searchParams), ...mapContext() }) };
    },
  }),
];
