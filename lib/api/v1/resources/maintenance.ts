// /api/v1/maintenance: the maintenance schedule (issue #27) through lib/maintenance/service,
// the functions the Schedule pages and their server actions call (each re-checks the
// actor's role; plan, capacity and route changes go to the operator trail with before/after).
import { z } from "zod";
import { AppError } from "@/lib/errors";
import { METER_KINDS } from "@/lib/fleet/ids";
import {
  assignRoute,
  assignRouteSchema,
  crewCapacitySchema,
  findDueItems,
  getCompliance,
  getDistrictRoutes,
  getForecast,
  getPlan,
  getPlanRuns,
  getPlans,
  previewWhatIf,
  runPlanNow,
  savePlan,
  savePlanSchema,
  setCrewCapacity,
  whatIfSchema,
} from "@/lib/maintenance/service";
import { DUE_SORTS, DUE_STATUSES } from "@/lib/scheduling/due-list";
import { planRuleSchema, planScopeSchema, planTriggersSchema } from "@/lib/scheduling/maintenance";
import type { StoredPlan } from "@/lib/db/maintenance";
import { defineEndpoint } from "../endpoint";
import { cursorQuery, decodeCursor, nextLink, pageOf } from "../paging";
import { isoDate, looseObject, named, nullableIso } from "../schemas";

const TAG = "Maintenance";
const planId = z
  .string()
  .min(1)
  .max(40)
  .regex(/^[A-Za-z0-9_-]+$/);
const idParams = z.object({ id: planId.meta({ description: "Maintenance plan id." }) });

const planSchema = named(
  "MaintenancePlan",
  z.object({
    id: z.string(),
    name: z.string(),
    jobType: z.string(),
    scope: planScopeSchema,
    rule: planRuleSchema,
    triggers: planTriggersSchema,
    lookaheadDays: z.number().int(),
    enabled: z.boolean(),
    everyDays: z.number().int(),
    nextRunAt: isoDate,
    lastRunAt: nullableIso,
    updatedAt: isoDate.meta({ description: "Send it back as `updatedAt` when saving: a save over someone else's change is refused (409)." }),
    links: z.object({ self: z.string(), console: z.string() }),
  }),
);

function toPlanOut(p: StoredPlan): z.infer<typeof planSchema> {
  return {
    id: p.id,
    name: p.name,
    jobType: p.jobType,
    scope: p.scope,
    rule: p.rule,
    triggers: p.triggers,
    lookaheadDays: p.lookaheadDays,
    enabled: p.enabled,
    everyDays: p.everyDays,
    nextRunAt: p.nextRunAt.toISOString(),
    lastRunAt: p.lastRunAt?.toISOString() ?? null,
    updatedAt: p.updatedAt.toISOString(),
    links: { self: `/api/v1/maintenance/plans/${p.id}`, console: `/schedule/plans/${p.id}` },
  };
}

const runResultSchema = named(
  "MaintenancePlanRunResult",
  z.object({
    planId: z.string(),
    runId: z.string(),
    dueCount: z.number().int(),
    itemsCreated: z.number().int(),
    workOrders: z.number().int(),
    campaignIds: z.array(z.string()),
    error: z.string().optional(),
  }),
);

const runSchema = named(
  "MaintenancePlanRun",
  z.object({
    id: z.string(),
    planId: z.string(),
    owner: z.string(),
    status: z.enum(["running", "done", "failed"]),
    startedAt: isoDate,
    finishedAt: nullableIso,
    dueCount: z.number().int(),
    itemsCreated: z.number().int(),
    workOrders: z.number().int(),
    campaignIds: z.array(z.string()),
    error: z.string().nullable(),
  }),
);

const dueItemSchema = named(
  "MaintenanceDueItem",
  z.object({
    meterId: z.string(),
    planId: z.string(),
    planName: z.string(),
    jobType: z.string(),
    zone: z.string(),
    kind: z.string(),
    district: z.string(),
    dueDate: z.string().meta({ description: "YYYY-MM-DD (UTC)." }),
    isOverdue: z.boolean(),
    reason: z.string(),
  }),
);

const dayString = z.string().meta({ description: "YYYY-MM-DD (UTC), the Monday a week starts." });
const forecastSchema = looseObject(
  "MaintenanceForecast",
  {
    weekStarts: z.array(dayString),
    totals: z.object({ jobs: z.number().int(), overdueNow: z.number().int(), fieldHours: z.number(), weeksOver: z.number().int() }),
    series: z.array(z.object({ jobType: z.string(), zone: z.string(), counts: z.array(z.number()) })),
    districts: z.array(z.looseObject({ district: z.string(), hours: z.array(z.number()), capacity: z.number().nullable(), overWeeks: z.array(z.number().int()) })),
    levelling: z.looseObject({
      moves: z.array(z.record(z.string(), z.unknown())),
      levelled: z.record(z.string(), z.array(z.number())),
      unresolved: z.record(z.string(), z.number()),
    }),
    crews: z.array(z.object({ district: z.string(), technicians: z.number().int(), hoursPerWeek: z.number(), updatedAt: isoDate })),
  },
  "52 weeks of due work from the switched-on plans, field hours per district against crew capacity, and a levelling proposal.",
);

const whatIfTotals = z.object({
  jobs: z.number().int(),
  fieldHours: z.number(),
  weeksOver: z.number().int(),
  overdueNow: z.number().int(),
  compliancePct: z.number().nullable(),
  unresolvedHours: z.number(),
});
const whatIfSchemaOut = looseObject(
  "MaintenanceWhatIf",
  {
    before: whatIfTotals,
    after: whatIfTotals,
    weekStarts: z.array(dayString),
    districts: z.array(z.looseObject({ district: z.string(), hours: z.array(z.number()), capacity: z.number().nullable(), overWeeks: z.array(z.number().int()) })),
    moves: z.array(z.record(z.string(), z.unknown())),
    unresolved: z.record(z.string(), z.number()),
  },
  "Totals today and with the plan changed (nothing is saved); districts over capacity after the change, first 500 levelling moves.",
);

const complianceSchema = named(
  "MaintenanceCompliance",
  z.object({
    asOf: z.string().meta({ description: "YYYY-MM-DD (UTC)." }),
    rows: z.array(
      z.object({
        planId: z.string(),
        planName: z.string(),
        key: z.string().meta({ description: "The group's value (zone, model or age band); empty when grouped by plan only." }),
        meters: z.number().int(),
        overdue: z.number().int(),
        compliantPct: z.number().meta({ description: "Share of the meters within the plan's interval, percent." }),
      }),
    ),
  }),
);

const fieldOrderSchema = z.object({
  id: z.string(),
  meterId: z.string(),
  jobType: z.string(),
  assigneeId: z.string().nullable(),
  lat: z.number(),
  lon: z.number(),
  district: z.string(),
  gatewayId: z.string(),
});
const point = z.object({ lat: z.number(), lon: z.number() });
const routesSchema = named(
  "MaintenanceDistrictRoutes",
  z.object({
    district: z.string(),
    crew: z.number().int().meta({ description: "Technicians the district has (at least 1): one route each at most." }),
    waiting: z.number().int().meta({ description: "Open field orders beyond today's routes." }),
    depot: point,
    routes: z.array(z.object({ driveMinutes: z.number(), workMinutes: z.number(), km: z.number(), orders: z.array(fieldOrderSchema) })),
    technicians: z.array(z.object({ id: z.string(), email: z.string(), name: z.string().nullable() })),
  }),
);

async function planOr404(actor: Parameters<typeof getPlan>[0], id: string) {
  const p = await getPlan(actor, id);
  if (!p) throw new AppError("not_found", `No maintenance plan ${id}.`);
  return p;
}

export const maintenanceEndpoints = [
  defineEndpoint({
    operationId: "listMaintenancePlans",
    method: "GET",
    path: "/maintenance/plans",
    tag: TAG,
    summary: "Maintenance plans: the shipped ones in the programme's order, then the utility's own",
    permission: "schedule.view",
    response: named("MaintenancePlanList", z.object({ items: z.array(planSchema) })),
    handler: async ({ actor }) => ({ items: (await getPlans(actor)).map(toPlanOut) }),
  }),
  defineEndpoint({
    operationId: "getMaintenancePlan",
    method: "GET",
    path: "/maintenance/plans/{id}",
    tag: TAG,
    summary: "One maintenance plan",
    permission: "schedule.view",
    params: idParams,
    response: planSchema,
    handler: async ({ params, actor }) => toPlanOut(await planOr404(actor, params.id)),
  }),
  defineEndpoint({
    operationId: "createMaintenancePlan",
    method: "POST",
    path: "/maintenance/plans",
    tag: TAG,
    summary: "Create a maintenance plan (audited with its definition)",
    permission: "schedule.manage",
    body: named("MaintenancePlanCreateRequest", savePlanSchema.pick({ spec: true })),
    response: planSchema,
    successStatus: 201,
    twins: ["savePlanAction"],
    handler: async ({ body, actor }) => toPlanOut(await savePlan({ spec: body.spec }, actor)),
  }),
  defineEndpoint({
    operationId: "updateMaintenancePlan",
    method: "POST",
    path: "/maintenance/plans/{id}",
    tag: TAG,
    summary: "Change a maintenance plan (audited with before and after)",
    description: "Send the plan's `updatedAt` as read: if someone changed it meanwhile the save is refused with 409, not merged.",
    permission: "schedule.manage",
    params: idParams,
    body: named("MaintenancePlanUpdateRequest", savePlanSchema.omit({ planId: true })),
    response: planSchema,
    twins: ["savePlanAction"],
    handler: async ({ params, body, actor }) => toPlanOut(await savePlan({ ...body, planId: params.id }, actor)),
  }),
  defineEndpoint({
    operationId: "runMaintenancePlan",
    method: "POST",
    path: "/maintenance/plans/{id}/run",
    tag: TAG,
    summary: "Run a plan now, as the hourly loop would: due items, work orders, campaigns",
    permission: "schedule.manage",
    params: idParams,
    response: runResultSchema,
    twins: ["runPlanNowAction"],
    handler: async ({ params, actor }) => runPlanNow(params.id, actor),
  }),
  defineEndpoint({
    operationId: "listMaintenancePlanRuns",
    method: "GET",
    path: "/maintenance/runs",
    tag: TAG,
    summary: "Recent plan runs, newest first",
    permission: "schedule.view",
    query: z.object({ planId: planId.optional(), limit: z.coerce.number().int().min(1).max(500).default(50) }),
    response: named("MaintenancePlanRunList", z.object({ items: z.array(runSchema) })),
    handler: async ({ query, actor }) => ({
      items: (await getPlanRuns(actor, { planId: query.planId, limit: query.limit })).map((r) => ({
        id: r.id,
        planId: r.planId,
        owner: r.owner,
        status: r.status as z.infer<typeof runSchema>["status"],
        startedAt: r.startedAt.toISOString(),
        finishedAt: r.finishedAt?.toISOString() ?? null,
        dueCount: r.dueCount,
        itemsCreated: r.itemsCreated,
        workOrders: r.workOrders,
        campaignIds: Array.isArray(r.campaignIds) ? (r.campaignIds as string[]) : [],
        error: r.error,
      })),
    }),
  }),
  defineEndpoint({
    operationId: "listMaintenanceDueItems",
    method: "GET",
    path: "/maintenance/due",
    tag: TAG,
    summary: "Meters due for maintenance, with the due list's filters and sort",
    description: "The filters are the Schedule due list's URL parameters, so a console URL's query works here.",
    permission: "schedule.view",
    query: z.object({
      status: z.enum(DUE_STATUSES).default("overdue").meta({ description: "overdue; due (overdue or due within 30 days); all." }),
      plan: planId.optional(),
      zone: z.string().max(40).optional(),
      kind: z.enum(METER_KINDS).optional(),
      district: z.string().max(80).optional(),
      triggered: z.enum(["1"]).optional().meta({ description: "1: only meters a condition trigger (drift, faults, certificate, battery) made due." }),
      sort: z.enum(DUE_SORTS).default("due"),
      dir: z.enum(["asc", "desc"]).default("asc"),
      limit: z.coerce.number().int().min(1).max(500).default(50),
      cursor: cursorQuery,
    }),
    response: named("MaintenanceDuePage", pageOf(dueItemSchema).extend({ total: z.number().int() })),
    isPaged: true,
    handler: async ({ query, actor, url }) => {
      const at = decodeCursor(query.cursor, z.object({ offset: z.number().int().min(0).max(10_000_000) }));
      const offset = at?.offset ?? 0;
      const { status, plan, zone, kind, district, triggered, sort, dir, limit } = query;
      const r = await findDueItems(actor, { status, plan, zone, kind, district, triggered, sort, dir, page: 1 }, { offset, limit });
      return { items: r.rows, total: r.total, next: offset + limit < r.total ? nextLink(url, { offset: offset + limit }) : null };
    },
  }),
  defineEndpoint({
    operationId: "getMaintenanceForecast",
    method: "GET",
    path: "/maintenance/forecast",
    tag: TAG,
    summary: "Forecast of due work for 52 weeks against crew capacity, with a levelling proposal",
    permission: "schedule.view",
    response: forecastSchema,
    handler: async ({ actor }) => {
      const { forecast, levelling, crews } = await getForecast(actor);
      return {
        ...forecast,
        levelling,
        crews: crews.map((c) => ({ district: c.district, technicians: c.technicians, hoursPerWeek: c.hoursPerWeek, updatedAt: c.updatedAt.toISOString() })),
      };
    },
  }),
  defineEndpoint({
    operationId: "getMaintenanceCompliance",
    method: "GET",
    path: "/maintenance/compliance",
    tag: TAG,
    summary: "Meters within each plan's interval today, per plan and one grouping",
    permission: "schedule.view",
    query: z.object({ group: z.enum(["plan", "zone", "model", "age"]).default("plan") }),
    response: complianceSchema,
    handler: async ({ query, actor }) => getCompliance(actor, query.group),
  }),
  defineEndpoint({
    operationId: "previewMaintenanceWhatIf",
    method: "POST",
    path: "/maintenance/what-if",
    tag: TAG,
    summary: "What a changed (or new) plan would do to the forecast, load and compliance; nothing is saved",
    permission: "schedule.view",
    isRead: true,
    body: named("MaintenanceWhatIfRequest", whatIfSchema),
    response: whatIfSchemaOut,
    twins: ["previewWhatIfAction"],
    handler: async ({ body, actor }) => {
      const r = await previewWhatIf(body, actor);
      return {
        before: r.before,
        after: r.after,
        weekStarts: r.forecast.weekStarts,
        districts: r.forecast.districts.filter((d) => d.overWeeks.length),
        moves: r.levelling.moves.slice(0, 500) as unknown as Record<string, unknown>[],
        unresolved: r.levelling.unresolved,
      };
    },
  }),
  defineEndpoint({
    operationId: "setMaintenanceCrewCapacity",
    method: "POST",
    path: "/maintenance/crews",
    tag: TAG,
    summary: "Set a district's field crew capacity (audited with before and after)",
    permission: "schedule.manage",
    body: named("MaintenanceCrewCapacityRequest", crewCapacitySchema),
    response: named("MaintenanceCrewCapacity", z.object({ district: z.string(), technicians: z.number().int(), hoursPerWeek: z.number(), updatedAt: isoDate })),
    twins: ["setCrewCapacityAction"],
    handler: async ({ body, actor }) => {
      const c = await setCrewCapacity(body, actor);
      return { district: c.district, technicians: c.technicians, hoursPerWeek: c.hoursPerWeek, updatedAt: c.updatedAt.toISOString() };
    },
  }),
  defineEndpoint({
    operationId: "getMaintenanceRoutes",
    method: "GET",
    path: "/maintenance/routes",
    tag: TAG,
    summary: "Today's field routes of a district: its oldest open field orders in driving order, one route per technician",
    permission: "workorders.view",
    query: z.object({ district: z.string().trim().min(1).max(80) }),
    response: routesSchema,
    handler: async ({ query, actor }) => {
      const r = await getDistrictRoutes(actor, query.district);
      return {
        district: query.district,
        crew: r.crew,
        waiting: r.waiting,
        depot: r.depot,
        routes: r.routes.map((route) => ({
          driveMinutes: route.driveMinutes,
          workMinutes: route.workMinutes,
          km: route.km,
          orders: route.orders.map((o) => ({
            id: o.id,
            meterId: o.meterId,
            jobType: o.jobType,
            assigneeId: o.assigneeId,
            lat: o.lat,
            lon: o.lon,
            district: o.district,
            gatewayId: o.gatewayId,
          })),
        })),
        technicians: r.technicians,
      };
    },
  }),
  defineEndpoint({
    operationId: "assignMaintenanceRoute",
    method: "POST",
    path: "/maintenance/routes/assign",
    tag: TAG,
    summary: "Assign field work orders to a technician (null: unassign); audited per order",
    permission: "schedule.manage",
    body: named("MaintenanceRouteAssignRequest", assignRouteSchema),
    response: named("MaintenanceRouteAssignResult", z.object({ assigned: z.number().int() })),
    twins: ["assignRouteAction"],
    handler: async ({ body, actor }) => assignRoute(body, actor),
  }),
];
