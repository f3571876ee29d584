// The Schedule area's operations (issue #27): plans (audited with before/after),
// the due list, a meter's maintenance calendar, the forecast against crew
// capacity with levelling and what-if, compliance, running a plan now.
// Pages and actions call these; the rules are lib/scheduling, the SQL lib/db/maintenance.
import { z } from "zod";
import { recordActivity } from "@/lib/activity/trail";
import { can, type Permission, type Role } from "@/lib/auth/permissions";
import {
  findPlan,
  insertPlan,
  listClimateZoneIds,
  listCrewCapacity,
  listMeterDueItems,
  listPlanRuns,
  listPlans,
  updatePlanRow,
  upsertCrewCapacity,
  assignWorkOrders,
  findOpenFieldOrders,
  listTechnicians,
  countOpenFieldOrders,
  type FieldOrderSite,
  type PlanWrite,
  type StoredPlan,
} from "@/lib/db/maintenance";
import { getDb } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { computeDueColumn, dueItemAt, meterFactsAt, type PlanDueColumn } from "@/lib/scheduling/due-columns";
import { DUE_SORTS, DUE_STATUSES, queryDueList } from "@/lib/scheduling/due-list";
import { computeCompliance, forecastWork, proposeLevelling, type ComplianceGroup } from "@/lib/scheduling/forecast";
import { JOB_TYPES } from "@/lib/scheduling/job-types";
import { dayOf, dayToIso, planSpecSchema, type Plan, type PlanSpec } from "@/lib/scheduling/maintenance";
import { DEFAULT_ROUTE_OPTIONS, planRoutes, type RouteStop } from "@/lib/scheduling/routes";
import { runPlan } from "./runner";
import { dropScheduleSnapshot, getScheduleSnapshot, watchedFaultCodes, type ScheduleSnapshot } from "./snapshot";

export interface ScheduleActor {
  id: string;
  email: string;
  role: Role;
}

function assertCan(actor: ScheduleActor, permission: Permission) {
  if (!can(actor.role, permission)) throw new AppError("forbidden", `Your role (${actor.role}) may not do this (${permission}).`);
}

async function audited<T>(actor: ScheduleActor, action: string, target: string, body: () => Promise<{ result: T; details: Record<string, unknown> }>): Promise<T> {
  try {
    assertCan(actor, "schedule.manage");
    const { result, details } = await body();
    await recordActivity({ actor, action, target, outcome: "ok", details });
    return result;
  } catch (err) {
    const outcome = err instanceof AppError && (err.code === "forbidden" || err.code === "conflict") ? "denied" : "failed";
    await recordActivity({ actor, action, target, outcome, details: { error: err instanceof Error ? err.message : String(err) } }).catch(() => {});
    throw err;
  }
}

// ---------------------------------------------------------------- plans

export const savePlanSchema = z.object({
  planId: z.string().min(1).max(40).optional(),
  /** The plan's updatedAt as the editor read it: a save over someone else's change is refused. */
  updatedAt: z.string().datetime().optional(),
  spec: planSpecSchema,
});
export type SavePlanInput = z.input<typeof savePlanSchema>;

function toWrite(spec: PlanSpec): PlanWrite {
  return { name: spec.name, jobType: spec.jobType, scope: spec.scope, rule: spec.rule, triggers: spec.triggers, lookaheadDays: spec.lookaheadDays, enabled: spec.enabled };
}

function specOf(p: StoredPlan): PlanSpec {
  return { name: p.name, jobType: p.jobType, scope: p.scope, rule: p.rule, triggers: p.triggers, lookaheadDays: p.lookaheadDays, enabled: p.enabled };
}

export async function getPlans(actor: ScheduleActor) {
  assertCan(actor, "schedule.view");
  return listPlans();
}

export async function getClimateZones(actor: ScheduleActor) {
  assertCan(actor, "schedule.view");
  return listClimateZoneIds();
}

export async function getPlan(actor: ScheduleActor, planId: string) {
  assertCan(actor, "schedule.view");
  return findPlan(planId);
}

/** Create or change a plan; the operator trail keeps the plan before and after. */
export async function savePlan(input: SavePlanInput, actor: ScheduleActor, now = new Date()): Promise<StoredPlan> {
  const data = savePlanSchema.parse(input);
  return audited(actor, data.planId ? "schedule.plan.update" : "schedule.plan.create", data.planId ?? data.spec.name, async () => {
    if (!data.planId) {
      const created = await insertPlan(toWrite(data.spec), actor.id, now);
      dropScheduleSnapshot();
      return { result: created, details: { planId: created.id, before: null, after: specOf(created) } };
    }
    const before = await findPlan(data.planId);
    if (!before) throw new AppError("not_found", "No such plan.");
    const expected = data.updatedAt ? new Date(data.updatedAt) : before.updatedAt;
    const after = await updatePlanRow(data.planId, toWrite(data.spec), expected, now);
    if (!after) throw new AppError("conflict", "Someone changed this plan meanwhile: reload it and make your change again.");
    dropScheduleSnapshot();
    return { result: after, details: { planId: after.id, before: specOf(before), after: specOf(after) } };
  });
}

/** Run one plan now (its period made due), as the hourly loop would. */
export async function runPlanNow(planId: string, actor: ScheduleActor, now = new Date()) {
  return audited(actor, "schedule.plan.run", planId, async () => {
    const plan = await findPlan(planId);
    if (!plan) throw new AppError("not_found", "No such plan.");
    if (!plan.enabled) throw new AppError("conflict", "This plan is switched off: switch it on first.");
    await getDb().preventivePlan.updateMany({ where: { id: planId, nextRunAt: { gt: now } }, data: { nextRunAt: now } });
    const result = await runPlan(planId, { now, owner: `ui-${actor.id}-${now.getTime()}` });
    if (!result) throw new AppError("conflict", "Another server is running this plan right now.");
    return { result, details: { runId: result.runId, itemsCreated: result.itemsCreated, workOrders: result.workOrders, campaignIds: result.campaignIds } };
  });
}

export async function getPlanRuns(actor: ScheduleActor, opts: { planId?: string; limit?: number } = {}) {
  assertCan(actor, "schedule.view");
  return listPlanRuns(opts);
}

// ---------------------------------------------------------------- due columns (cached with the snapshot)

interface ScheduleView {
  snap: ScheduleSnapshot;
  plans: StoredPlan[];
  cols: PlanDueColumn[];
  now: number;
}

const g = globalThis as unknown as { __amiScheduleView?: { key: string; view: ScheduleView } };

async function getView(now: number, plansOverride?: Plan[]): Promise<ScheduleView> {
  const plans = await listPlans();
  const snap = await getScheduleSnapshot({ now, faultCodes: watchedFaultCodes([...plans, ...(plansOverride ?? [])]) });
  const key = `${snap.at}|${dayOf(now)}|${plans.map((p) => `${p.id}@${p.updatedAt.getTime()}`).join(",")}`;
  if (g.__amiScheduleView?.key === key) return g.__amiScheduleView.view;
  const cols = plans.map((p) => computeDueColumn({ ...p, enabled: true }, snap.fleet, snap.lastByJobType.get(p.jobType), snap.conditions, now));
  const view = { snap, plans, cols, now };
  g.__amiScheduleView = { key, view };
  return view;
}

export const dueListSearchSchema = z.object({
  status: z.enum(DUE_STATUSES).catch("overdue"),
  plan: z.string().max(40).optional().catch(undefined),
  zone: z.string().max(40).optional().catch(undefined),
  kind: z.enum(["electric", "gas", "water"]).optional().catch(undefined),
  district: z.string().max(80).optional().catch(undefined),
  triggered: z.enum(["1"]).optional().catch(undefined),
  sort: z.enum(DUE_SORTS).catch("due"),
  dir: z.enum(["asc", "desc"]).catch("asc"),
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
});
export type DueListSearch = z.infer<typeof dueListSearchSchema>;
export const DUE_PAGE_SIZE = 50;

export interface DueRow {
  meterId: string;
  planId: string;
  planName: string;
  jobType: string;
  zone: string;
  kind: string;
  district: string;
  dueDate: string;
  isOverdue: boolean;
  reason: string;
}

export async function findDueItems(actor: ScheduleActor, s: DueListSearch, opts: { now?: number; limit?: number; offset?: number } = {}) {
  assertCan(actor, "schedule.view");
  const now = opts.now ?? Date.now();
  const view = await getView(now);
  const picked = s.plan ? view.plans.flatMap((p, i) => (p.id === s.plan ? [i] : [])) : view.plans.map((_, i) => i);
  const cols = picked.map((i) => view.cols[i]!);
  const limit = opts.limit ?? DUE_PAGE_SIZE;
  const offset = opts.offset ?? (s.page - 1) * DUE_PAGE_SIZE;
  const { total, rows } = queryDueList(
    cols,
    view.snap.fleet,
    {
      status: s.status,
      horizonDays: 30,
      zone: s.zone,
      kind: s.kind,
      district: s.district,
      triggeredOnly: s.triggered === "1",
      sort: s.sort,
      desc: s.dir === "desc",
      offset,
      limit,
    },
    dayOf(now),
  );
  const f = view.snap.fleet;
  const out: DueRow[] = rows.map((r) => {
    const plan = view.plans[picked[r.plan]!]!;
    const item = dueItemAt(plan, f, view.snap.lastByJobType.get(plan.jobType), view.snap.conditions, r.meter, now)!;
    const facts = meterFactsAt(f, r.meter);
    return {
      meterId: facts.id,
      planId: plan.id,
      planName: plan.name,
      jobType: plan.jobType,
      zone: facts.zone,
      kind: facts.kind,
      district: f.district.values[f.district.codes[r.meter]!]!,
      dueDate: item.dueDate,
      isOverdue: item.isOverdue,
      reason: item.reason,
    };
  });
  return {
    total,
    rows: out,
    pages: Math.max(1, Math.ceil(total / DUE_PAGE_SIZE)),
    plans: view.plans.map((p) => ({ id: p.id, name: p.name })),
    zones: [...f.zone.values].sort(),
    districts: [...f.district.values].sort(),
  };
}

// ---------------------------------------------------------------- a meter's calendar

export async function getMeterCalendar(actor: ScheduleActor, meterId: string, now = Date.now()) {
  assertCan(actor, "schedule.view");
  const view = await getView(now);
  const i = view.snap.indexOf.get(meterId);
  const upcoming =
    i === undefined
      ? []
      : view.plans.flatMap((p) => {
          const item = dueItemAt(p, view.snap.fleet, view.snap.lastByJobType.get(p.jobType), view.snap.conditions, i, now);
          return item ? [{ ...item, planName: p.name, isEnabled: p.enabled }] : [];
        });
  upcoming.sort((a, b) => a.dueDay - b.dueDay);
  const created = await listMeterDueItems(meterId);
  const names = new Map(view.plans.map((p) => [p.id, p.name]));
  return {
    upcoming,
    created: created.map((c) => ({
      id: c.id,
      planName: names.get(c.planId) ?? c.planId,
      dueDate: c.dueDate.toISOString().slice(0, 10),
      workOrderId: c.workOrderId,
      campaignId: c.campaignId,
      createdAt: c.createdAt,
    })),
  };
}

// ---------------------------------------------------------------- forecast, capacity, what-if, compliance

export const FORECAST_WEEKS = 52;

function fieldMinutes(): Record<string, number> {
  return Object.fromEntries(Object.entries(JOB_TYPES).flatMap(([jt, spec]) => (spec.execution === "field" ? [[jt, spec.minutesPerMeter]] : [])));
}

async function capacityByDistrict(): Promise<Record<string, number>> {
  return Object.fromEntries((await listCrewCapacity()).map((c) => [c.district, c.technicians * c.hoursPerWeek]));
}

function enabledOnly(plans: readonly StoredPlan[] | readonly Plan[], cols: readonly PlanDueColumn[]) {
  const keep = plans.flatMap((p, i) => (p.enabled ? [i] : []));
  return { plans: keep.map((i) => plans[i]!), cols: keep.map((i) => cols[i]!) };
}

function summarise(plans: readonly Plan[], cols: readonly PlanDueColumn[], view: ScheduleView, capacity: Record<string, number>) {
  const today = dayOf(view.now);
  const forecast = forecastWork(plans, cols, view.snap.fleet, { today, weeks: FORECAST_WEEKS, fieldMinutes: fieldMinutes(), capacity });
  const levelling = proposeLevelling(forecast.districts);
  const compliance = computeCompliance(plans, cols, view.snap.fleet, today, "plan");
  return { forecast, levelling, compliance };
}

export async function getForecast(actor: ScheduleActor, now = Date.now()) {
  assertCan(actor, "schedule.view");
  const view = await getView(now);
  const capacity = await capacityByDistrict();
  const { plans, cols } = enabledOnly(view.plans, view.cols);
  return { ...summarise(plans, cols, view, capacity), crews: await listCrewCapacity(), districts: [...view.snap.fleet.district.values].sort() };
}

export const whatIfSchema = z.object({ planId: z.string().min(1).max(40).optional(), spec: planSpecSchema });

/** The forecast, load and compliance with one plan changed (or added), next to today's: nothing is saved. */
export async function previewWhatIf(input: z.input<typeof whatIfSchema>, actor: ScheduleActor, now = Date.now()) {
  assertCan(actor, "schedule.view");
  const data = whatIfSchema.parse(input);
  const view = await getView(now);
  const capacity = await capacityByDistrict();
  const base = enabledOnly(view.plans, view.cols);
  const changed: Plan = { ...data.spec, id: data.planId ?? "what-if" };
  const col = computeDueColumn({ ...changed, enabled: true }, view.snap.fleet, view.snap.lastByJobType.get(changed.jobType), view.snap.conditions, now);
  const idx = view.plans.findIndex((p) => p.id === data.planId);
  const plans: Plan[] = idx >= 0 ? view.plans.map((p, i) => (i === idx ? changed : p)) : [...view.plans, changed];
  const cols = idx >= 0 ? view.cols.map((c, i) => (i === idx ? col : c)) : [...view.cols, col];
  // The changed plan counts as switched on: the question is what it would do.
  const after = enabledOnly(
    plans.map((p, i) => (i === (idx >= 0 ? idx : plans.length - 1) ? { ...p, enabled: true } : p)),
    cols,
  );
  const before = summarise(base.plans, base.cols, view, capacity);
  const next = summarise(after.plans, after.cols, view, capacity);
  // Compliance under the plan as stored, switched on or not: the what-if compares definitions.
  const stored = idx >= 0 ? computeCompliance([view.plans[idx]!], [view.cols[idx]!], view.snap.fleet, dayOf(now), "plan")[0] : undefined;
  const pick = (s: typeof before, compliancePct: number | null) => ({
    jobs: s.forecast.totals.jobs,
    fieldHours: s.forecast.totals.fieldHours,
    weeksOver: s.forecast.totals.weeksOver,
    overdueNow: s.forecast.totals.overdueNow,
    compliancePct,
    unresolvedHours: Object.values(s.levelling.unresolved).reduce((a, b) => a + b, 0),
  });
  return {
    before: pick(before, stored?.compliantPct ?? null),
    after: pick(next, next.compliance.find((c) => c.planId === changed.id)?.compliantPct ?? null),
    forecast: next.forecast,
    levelling: next.levelling,
  };
}

export const crewCapacitySchema = z.object({
  district: z.string().trim().min(1).max(80),
  technicians: z.coerce.number().int().min(0).max(1000),
  hoursPerWeek: z.coerce.number().min(0).max(80),
});

export async function setCrewCapacity(input: z.input<typeof crewCapacitySchema>, actor: ScheduleActor, now = new Date()) {
  const data = crewCapacitySchema.parse(input);
  return audited(actor, "schedule.capacity.update", data.district, async () => {
    const { before, after } = await upsertCrewCapacity(data, now);
    return {
      result: after,
      details: {
        before: before ? { technicians: before.technicians, hoursPerWeek: before.hoursPerWeek } : null,
        after: { technicians: after.technicians, hoursPerWeek: after.hoursPerWeek },
      },
    };
  });
}

export async function getDistricts(actor: ScheduleActor): Promise<string[]> {
  assertCan(actor, "schedule.view");
  return [...(await getView(Date.now())).snap.fleet.district.values].sort();
}

export async function getCompliance(actor: ScheduleActor, group: ComplianceGroup, now = Date.now()) {
  assertCan(actor, "schedule.view");
  const view = await getView(now);
  const rows = computeCompliance(view.plans, view.cols, view.snap.fleet, dayOf(now), group);
  const names = new Map(view.plans.map((p) => [p.id, p.name]));
  return { asOf: dayToIso(dayOf(now)), rows: rows.map((r) => ({ ...r, planName: names.get(r.planId) ?? r.planId })) };
}

// ---------------------------------------------------------------- field routes

function fieldJobTypes(): string[] {
  return Object.keys(fieldMinutes());
}

function toStops(orders: FieldOrderSite[]): RouteStop[] {
  const minutes = fieldMinutes();
  return orders.map((o) => ({ id: o.id, lat: o.lat, lon: o.lon, workMinutes: minutes[o.jobType] ?? 45 }));
}

/** The district's depot: its first gateway (the one at the town centre), else the orders' centre. */
function depotOf(orders: FieldOrderSite[]): { lat: number; lon: number } {
  const first = [...orders].sort((a, b) => a.gwName.localeCompare(b.gwName, "en", { numeric: true }))[0];
  return first ? { lat: first.gwLat, lon: first.gwLon } : { lat: 0, lon: 0 };
}

/** Stops a technician's day can hold at most (the routes close at the working day before that). */
const STOPS_PER_TECHNICIAN = 16;

/**
 * Today's routes of a district: its oldest open field orders, as many as its technicians can
 * visit, grouped by nearest neighbour; one route per technician at most, the rest wait.
 */
export async function getDistrictRoutes(actor: ScheduleActor, district: string) {
  assertCan(actor, "workorders.view");
  const crew = (await listCrewCapacity()).find((c) => c.district === district);
  const technicians = Math.max(1, crew?.technicians ?? 1);
  const [orders, open] = await Promise.all([
    findOpenFieldOrders({ district, jobTypes: fieldJobTypes(), limit: technicians * STOPS_PER_TECHNICIAN }),
    countOpenFieldOrders(district, fieldJobTypes()),
  ]);
  const byId = new Map(orders.map((o) => [o.id, o]));
  const routes = planRoutes(toStops(orders), { depot: depotOf(orders), ...DEFAULT_ROUTE_OPTIONS }).slice(0, technicians);
  const routed = routes.reduce((n, r) => n + r.stops.length, 0);
  return {
    routes: routes.map((r) => ({ ...r, orders: r.stops.map((s) => byId.get(s.id)!) })),
    technicians: await listTechnicians(),
    crew: technicians,
    waiting: open - routed,
    depot: depotOf(orders),
  };
}

export const assignRouteSchema = z.object({ workOrderIds: z.array(z.string().min(8).max(40)).min(1).max(500), technicianId: z.string().min(8).max(40).nullable() });

export async function assignRoute(input: z.input<typeof assignRouteSchema>, actor: ScheduleActor) {
  const data = assignRouteSchema.parse(input);
  return audited(actor, "schedule.route.assign", data.technicianId ?? "unassigned", async () => {
    if (data.technicianId && !(await listTechnicians()).some((t) => t.id === data.technicianId)) throw new AppError("invalid", "Not an active technician.");
    const changed = await assignWorkOrders(data.workOrderIds, data.technicianId);
    return { result: { assigned: changed.length }, details: { workOrders: changed.map((c) => ({ id: c.id, before: c.before, after: data.technicianId })) } };
  });
}

/** The signed-in technician's open orders in driving order from their district's depot. */
export async function getMyRoute(actor: ScheduleActor) {
  assertCan(actor, "workorders.view");
  const orders = await findOpenFieldOrders({ assigneeId: actor.id, jobTypes: fieldJobTypes(), limit: 200 });
  if (!orders.length) return null;
  const byId = new Map(orders.map((o) => [o.id, o]));
  const depot = depotOf(orders);
  const [route] = planRoutes(toStops(orders), { depot, ...DEFAULT_ROUTE_OPTIONS, dayMinutes: Number.MAX_SAFE_INTEGER });
  return { ...route!, orders: route!.stops.map((s) => byId.get(s.id)!), depot };
}
