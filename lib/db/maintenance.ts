// PostgreSQL repository of the maintenance schedule (issue #27): plans, their runs and
// due items, the fleet as schedule columns, and the last completion of each job type per
// meter read straight from work orders and campaign targets. (input) => rows; the
// runner and the service decide.
import { randomUUID } from "node:crypto";
import { Prisma, type PrismaClient } from "@/lib/db";
import { getDb } from "@/lib/db";
import { parseJsonRows, queryJsonRows } from "@/lib/db/json-rows";
import { codeColumn, NO_DAY, type FleetColumns, type LastDoneColumn } from "@/lib/scheduling/due-columns";
import { DEFAULT_PLANS, planRuleSchema, planScopeSchema, planTriggersSchema, type Plan } from "@/lib/scheduling/maintenance";

type Db = Pick<PrismaClient, "$queryRaw" | "$executeRaw" | "$transaction">;
const DAY_MS = 86_400_000;

// ---------------------------------------------------------------- plans

export type PlanRow = Awaited<ReturnType<typeof findPlanRows>>[number];

async function findPlanRows(where: Prisma.PreventivePlanWhereInput = {}) {
  return getDb().preventivePlan.findMany({ where, orderBy: [{ createdAt: "asc" }, { name: "asc" }] });
}

/** A stored plan as the rules read it (invalid JSON in a row fails loudly: it was validated on write). */
export function toPlan(row: PlanRow): Plan & { nextRunAt: Date; lastRunAt: Date | null; everyDays: number; defaultKey: string | null; updatedAt: Date } {
  const interval = (row.interval ?? {}) as { everyDays?: number };
  return {
    id: row.id,
    name: row.name,
    jobType: row.jobType as Plan["jobType"],
    scope: planScopeSchema.parse(row.scope ?? {}),
    rule: planRuleSchema.parse(row.rule),
    triggers: planTriggersSchema.parse(row.triggers ?? {}),
    lookaheadDays: row.lookaheadDays,
    enabled: row.enabled,
    nextRunAt: row.nextRunAt,
    lastRunAt: row.lastRunAt,
    everyDays: Math.max(1, Math.floor(interval.everyDays ?? 1)),
    defaultKey: row.defaultKey,
    updatedAt: row.updatedAt,
  };
}
export type StoredPlan = ReturnType<typeof toPlan>;

/** The shipped plans in the programme's order, then the utility's own by creation. */
export async function listPlans(): Promise<StoredPlan[]> {
  const rank = (p: StoredPlan) => {
    const i = DEFAULT_PLANS.findIndex((d) => d.key === p.defaultKey);
    return i < 0 ? DEFAULT_PLANS.length : i;
  };
  return (await findPlanRows()).map(toPlan).sort((a, b) => rank(a) - rank(b));
}

export async function findPlan(id: string): Promise<StoredPlan | null> {
  const row = await getDb().preventivePlan.findUnique({ where: { id } });
  return row ? toPlan(row) : null;
}

export interface PlanWrite {
  name: string;
  jobType: string;
  scope: object;
  rule: object;
  triggers: object;
  lookaheadDays: number;
  enabled: boolean;
}

export async function insertPlan(data: PlanWrite, createdById: string, now: Date): Promise<StoredPlan> {
  const row = await getDb().preventivePlan.create({
    data: { ...data, interval: { everyDays: 1 }, nextRunAt: now, createdById, updatedAt: now },
  });
  return toPlan(row);
}

/** Optimistic: only if the plan is still as the editor read it (updatedAt); null when it changed meanwhile. */
export async function updatePlanRow(id: string, data: PlanWrite, expectedUpdatedAt: Date, now: Date): Promise<StoredPlan | null> {
  const moved = await getDb().preventivePlan.updateMany({ where: { id, updatedAt: expectedUpdatedAt }, data: { ...data, updatedAt: now } });
  if (!moved.count) return null;
  return findPlan(id);
}

// ---------------------------------------------------------------- leases and runs

/** Claims a due plan for `owner` until `until`: one runner per plan at a time, across processes. */
export async function leasePlan(db: Db, input: { planId: string; owner: string; now: Date; until: Date }): Promise<boolean> {
  const n = await db.$executeRaw`
    UPDATE "PreventivePlan" SET "leaseOwner" = ${input.owner}, "leaseExpiresAt" = ${input.until}
    WHERE id = ${input.planId} AND enabled AND "nextRunAt" <= ${input.now}
      AND ("leaseOwner" IS NULL OR "leaseExpiresAt" < ${input.now} OR "leaseOwner" = ${input.owner})`;
  return n === 1;
}

/** Ends a run: the next period starts `everyDays` later; only the lease holder may. */
export async function releasePlan(db: Db, input: { planId: string; owner: string; now: Date; nextRunAt: Date | null }): Promise<void> {
  await db.$executeRaw`
    UPDATE "PreventivePlan" SET "leaseOwner" = NULL, "leaseExpiresAt" = NULL,
      "lastRunAt" = CASE WHEN ${input.nextRunAt}::timestamptz IS NULL THEN "lastRunAt" ELSE ${input.now} END,
      "nextRunAt" = COALESCE(${input.nextRunAt}::timestamptz, "nextRunAt")
    WHERE id = ${input.planId} AND "leaseOwner" = ${input.owner}`;
}

export async function findDuePlanIds(now: Date): Promise<string[]> {
  const rows = await getDb().preventivePlan.findMany({ where: { enabled: true, nextRunAt: { lte: now } }, select: { id: true }, orderBy: { nextRunAt: "asc" } });
  return rows.map((r) => r.id);
}

export async function createPlanRun(planId: string, owner: string, now: Date) {
  return getDb().maintenancePlanRun.create({ data: { planId, owner, startedAt: now } });
}

export async function finishPlanRun(
  id: string,
  data: { status: "done" | "failed"; dueCount: number; itemsCreated: number; workOrders: number; campaignIds: string[]; error?: string },
  now: Date,
) {
  await getDb().maintenancePlanRun.update({ where: { id }, data: { ...data, error: data.error?.slice(0, 1000), finishedAt: now } });
}

export async function listPlanRuns(opts: { planId?: string; limit?: number } = {}) {
  return getDb().maintenancePlanRun.findMany({ where: { planId: opts.planId }, orderBy: { startedAt: "desc" }, take: Math.min(opts.limit ?? 50, 500) });
}

// ---------------------------------------------------------------- due items

export interface NewDueItem {
  meterId: string;
  dueDate: string;
  reason: string;
}

/** Inserts the items no run created before; returns how many were new. Unique (plan, meter, due date). */
export async function insertDueItems(db: Db, input: { planId: string; jobType: string; runId: string; items: NewDueItem[] }): Promise<number> {
  let created = 0;
  for (let i = 0; i < input.items.length; i += 5000) {
    const chunk = input.items.slice(i, i + 5000);
    created += await db.$executeRaw`
      INSERT INTO "MaintenanceDueItem" (id, "planId", "meterId", "dueDate", "jobType", reason, "runId")
      SELECT v.id, ${input.planId}, v.meter, v.due::date, ${input.jobType}, v.reason, ${input.runId}
      FROM unnest(${chunk.map(() => randomUUID())}::text[], ${chunk.map((c) => c.meterId)}::text[], ${chunk.map((c) => c.dueDate)}::text[], ${chunk.map((c) => c.reason)}::text[])
        AS v(id, meter, due, reason)
      ON CONFLICT ("planId", "meterId", "dueDate") DO NOTHING`;
  }
  return created;
}

/**
 * Meters with work of this plan still pending: an item newer than the last completion, whose
 * work order was not cancelled. A meter's due date may move (a trigger fires) while its work is
 * open; it must not get a second order for the same job.
 */
export async function findPendingMeters(db: Db, planId: string): Promise<Map<string, number>> {
  const rows = await queryJsonRows<{ meterId: string; at: string }>(
    db,
    Prisma.sql`SELECT d."meterId", max(d."createdAt") AS at FROM "MaintenanceDueItem" d
      LEFT JOIN "WorkOrder" w ON w.id = d."workOrderId"
      WHERE d."planId" = ${planId} AND (w.status IS NULL OR w.status <> 'cancelled')
      GROUP BY d."meterId"`,
  );
  return new Map(rows.map((r) => [r.meterId, Date.parse(r.at)]));
}

/**
 * Field work: a work order for each item of the plan that has none yet, written with the
 * link in one statement (the item row is locked, so two runners cannot both make one).
 */
export async function createWorkOrdersForItems(db: Db, planId: string, limit = 20_000): Promise<number> {
  const [row] = await db.$queryRaw<{ n: number }[]>`
    WITH pending AS (
      SELECT id, "meterId", "jobType", reason, 'wo' || replace(gen_random_uuid()::text, '-', '') AS wo_id
      FROM "MaintenanceDueItem"
      WHERE "planId" = ${planId} AND "workOrderId" IS NULL AND "campaignId" IS NULL
      ORDER BY "dueDate", "meterId" LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    ), orders AS (
      INSERT INTO "WorkOrder" (id, "meterId", "jobType", reason)
      SELECT wo_id, "meterId", "jobType", left(reason, 500) FROM pending
      RETURNING id
    ), linked AS (
      UPDATE "MaintenanceDueItem" d SET "workOrderId" = p.wo_id FROM pending p WHERE d.id = p.id RETURNING d.id
    )
    SELECT (SELECT count(*) FROM orders)::int AS n`;
  return Number(row?.n ?? 0);
}

/** Remote work: the plan's items not yet in a campaign (oldest due first). */
export async function findItemsWithoutCampaign(db: Db, planId: string, limit = 200_000): Promise<{ id: string; meterId: string }[]> {
  return queryJsonRows(
    db,
    Prisma.sql`SELECT id, "meterId" FROM "MaintenanceDueItem"
      WHERE "planId" = ${planId} AND "workOrderId" IS NULL AND "campaignId" IS NULL
      ORDER BY "dueDate", "meterId" LIMIT ${limit}`,
  );
}

export async function linkItemsToCampaign(db: Db, itemIds: string[], campaignId: string): Promise<number> {
  return db.$executeRaw`UPDATE "MaintenanceDueItem" SET "campaignId" = ${campaignId} WHERE id = ANY(${itemIds}::text[]) AND "campaignId" IS NULL`;
}

export async function listRunItems(runId: string, limit = 200) {
  return getDb().maintenanceDueItem.findMany({ where: { runId }, orderBy: [{ dueDate: "asc" }, { meterId: "asc" }], take: limit });
}

export async function listMeterDueItems(meterId: string, limit = 50) {
  return getDb().maintenanceDueItem.findMany({ where: { meterId }, orderBy: { dueDate: "desc" }, take: limit });
}

// ---------------------------------------------------------------- the fleet as columns

interface FleetRow {
  id: string;
  kind: string;
  zone: string;
  model: string;
  gw: string;
  district: string;
  fw: string;
  inst: number;
  cert: number | null;
  verified: number | null;
}

/** Every meter as schedule columns (day numbers), ordered by id; plus the meter record's last verification. */
export async function loadFleetColumns(db: Db = getDb()): Promise<{ fleet: FleetColumns; verifiedDay: Int32Array }> {
  // In pages of 100 000 by id (keyset): one JSON cell per page keeps each string far below V8's limit at 1 M meters.
  type Tuple = [string, string, string, string, string, string, string, number, number | null, number | null];
  const rows: FleetRow[] = [];
  let after = "";
  for (;;) {
    const [row] = await db.$queryRaw<{ j: string | null }[]>`
      SELECT json_agg(t ORDER BY t->>0)::text AS j FROM (
        SELECT json_build_array(m.id, m.kind, m."climateZoneId", m.model, m."gatewayId", regexp_replace(g.name, '[[:space:]]+[0-9]+$', ''),
          m."fwMetrology" || '/' || m."fwComms", floor(extract(epoch from m."installedAt") / 86400)::int,
          floor(extract(epoch from m."certNotAfter") / 86400)::int, floor(extract(epoch from m."lastVerifiedAt") / 86400)::int) AS t
        FROM "Meter" m JOIN "Gateway" g ON g.id = m."gatewayId"
        WHERE m.id > ${after} ORDER BY m.id LIMIT 100000
      ) AS page`;
    const tuples = parseJsonRows<Tuple>(row?.j);
    for (const [id, kind, zone, model, gw, district, fw, inst, cert, verified] of tuples) rows.push({ id, kind, zone, model, gw, district, fw, inst, cert, verified });
    if (tuples.length < 100000) break;
    after = tuples.at(-1)![0];
  }
  const n = rows.length;
  const fleet: FleetColumns = {
    n,
    ids: rows.map((r) => r.id),
    kind: codeColumn(rows.map((r) => r.kind)),
    zone: codeColumn(rows.map((r) => r.zone)),
    model: codeColumn(rows.map((r) => r.model)),
    gateway: codeColumn(rows.map((r) => r.gw)),
    district: codeColumn(rows.map((r) => r.district)),
    fw: codeColumn(rows.map((r) => r.fw)),
    installedDay: Int32Array.from(rows, (r) => r.inst),
    certDay: Int32Array.from(rows, (r) => (r.cert === null ? NO_DAY : r.cert)),
  };
  return { fleet, verifiedDay: Int32Array.from(rows, (r) => (r.verified === null ? NO_DAY : r.verified)) };
}

/**
 * The latest completion per meter of each job type: work orders closed as fixed (a visit with no
 * access, nothing fixed or a follow-up needed does not restart the interval; orders from before
 * outcomes were recorded count) and succeeded campaign targets (and, for calibration, the meter
 * record's last verification). Columns follow `ids`.
 */
export async function loadLastDone(db: Db, ids: readonly string[], jobTypes: readonly string[], verifiedDay?: Int32Array): Promise<Map<string, LastDoneColumn>> {
  const index = new Map<string, number>();
  ids.forEach((id, i) => index.set(id, i));
  const out = new Map<string, LastDoneColumn>();
  for (const jt of jobTypes) out.set(jt, { day: new Int32Array(ids.length).fill(NO_DAY), detail: new Map() });
  if (!jobTypes.length) return out;
  const rows = await queryJsonRows<{ m: string; j: string; at: string; src: "work order" | "campaign"; ref: string }>(
    db,
    Prisma.sql`SELECT DISTINCT ON (m, j) m, j, at, src, ref FROM (
        SELECT "meterId" AS m, "jobType" AS j, "completedAt" AS at, 'work order' AS src, id AS ref
        FROM "WorkOrder" WHERE status = 'done' AND "completedAt" IS NOT NULL AND (outcome IS NULL OR outcome = 'fixed') AND "jobType" = ANY(${[...jobTypes]}::text[])
        UNION ALL
        SELECT t."meterId", c."jobType", t."updatedAt", 'campaign', c.id
        FROM "CampaignTarget" t JOIN "Campaign" c ON c.id = t."campaignId"
        WHERE t.state = 'succeeded' AND c."jobType" = ANY(${[...jobTypes]}::text[])
      ) AS done ORDER BY m, j, at DESC`,
  );
  for (const r of rows) {
    const i = index.get(r.m);
    const col = out.get(r.j);
    if (i === undefined || !col) continue;
    const at = Date.parse(r.at);
    col.day[i] = Math.floor(at / DAY_MS);
    col.detail.set(i, { at, source: r.src, ref: r.ref });
  }
  const cal = out.get("calibrate");
  if (cal && verifiedDay) {
    for (let i = 0; i < ids.length; i++) {
      if (verifiedDay[i] !== NO_DAY && verifiedDay[i]! > cal.day[i]!) {
        cal.day[i] = verifiedDay[i]!;
        cal.detail.set(i, { at: verifiedDay[i]! * DAY_MS, source: "verification", ref: "on the meter record" });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------- crew capacity

export async function listCrewCapacity() {
  return getDb().crewCapacity.findMany({ orderBy: { district: "asc" } });
}

export async function upsertCrewCapacity(input: { district: string; technicians: number; hoursPerWeek: number }, now: Date) {
  const db = getDb();
  const before = await db.crewCapacity.findUnique({ where: { district: input.district } });
  const after = await db.crewCapacity.upsert({
    where: { district: input.district },
    create: { ...input, updatedAt: now },
    update: { technicians: input.technicians, hoursPerWeek: input.hoursPerWeek, updatedAt: now },
  });
  return { before, after };
}

export async function listClimateZoneIds(): Promise<string[]> {
  return (await getDb().climateZone.findMany({ select: { id: true }, orderBy: { id: "asc" } })).map((z) => z.id);
}

// ---------------------------------------------------------------- field routes

export interface FieldOrderSite {
  id: string;
  meterId: string;
  jobType: string;
  assigneeId: string | null;
  lat: number;
  lon: number;
  district: string;
  gwLat: number;
  gwLon: number;
  gwName: string;
  gatewayId: string;
}

/** Open field work orders, oldest first, with where their meter is; one district, or one technician's. */
export async function findOpenFieldOrders(filter: { district?: string; assigneeId?: string; jobTypes: string[]; limit?: number }): Promise<FieldOrderSite[]> {
  return queryJsonRows<FieldOrderSite>(
    getDb(),
    Prisma.sql`SELECT * FROM (
        SELECT w.id, w."meterId", w."jobType", w."assigneeId", w."createdAt", m.latitude AS lat, m.longitude AS lon,
          regexp_replace(g.name, '[[:space:]]+[0-9]+$', '') AS district, g.latitude AS "gwLat", g.longitude AS "gwLon", g.name AS "gwName", g.id AS "gatewayId"
        FROM "WorkOrder" w JOIN "Meter" m ON m.id = w."meterId" JOIN "Gateway" g ON g.id = m."gatewayId"
        WHERE w.status = 'open' AND w."jobType" = ANY(${filter.jobTypes}::text[])
          AND (${filter.assigneeId ?? null}::text IS NULL OR w."assigneeId" = ${filter.assigneeId ?? null}::text)
      ) AS o WHERE (${filter.district ?? null}::text IS NULL OR o.district = ${filter.district ?? null}::text)
      ORDER BY o."createdAt", o.id LIMIT ${filter.limit ?? 2000}`,
  );
}

export async function listTechnicians() {
  return getDb().user.findMany({ where: { role: "technician", disabled: false }, select: { id: true, email: true, name: true }, orderBy: { email: "asc" } });
}

/** Assigns open orders to a technician; returns each order's assignee before. */
export async function assignWorkOrders(ids: string[], assigneeId: string | null): Promise<{ id: string; before: string | null }[]> {
  const db = getDb();
  return db.$transaction(async (tx) => {
    const before = await tx.workOrder.findMany({ where: { id: { in: ids }, status: "open" }, select: { id: true, assigneeId: true } });
    await tx.workOrder.updateMany({ where: { id: { in: before.map((b) => b.id) } }, data: { assigneeId } });
    return before.map((b) => ({ id: b.id, before: b.assigneeId }));
  });
}

export async function countOpenFieldOrders(district: string, jobTypes: string[]): Promise<number> {
  const [row] = await getDb().$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM "WorkOrder" w JOIN "Meter" m ON m.id = w."meterId" JOIN "Gateway" g ON g.id = m."gatewayId"
    WHERE w.status = 'open' AND w."jobType" = ANY(${jobTypes}::text[]) AND regexp_replace(g.name, '[[:space:]]+[0-9]+$', '') = ${district}`;
  return Number(row?.n ?? 0);
}
