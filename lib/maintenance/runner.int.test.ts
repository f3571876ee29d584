// The plan runner on the real engines (AMI_TEST_DB=pglite or postgresql, chDB):
// each due item once per (plan, meter, due date) across concurrent runners and
// restarts; field plans make work orders, remote plans a started campaign.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toAuditLogRow } from "@/lib/clickhouse/audit-rows";
import { insertDueItems, loadFleetColumns, loadLastDone, toPlan } from "@/lib/db/maintenance";
import { computeDue, dayToIso, dayOf, type PlanSpecInput } from "@/lib/scheduling/maintenance";
import { generateFleet, type Fleet } from "@/lib/simulator/fleet";
import { auditRecord } from "@/lib/testing/factories";
import { createTestUsers, openTestEnv, testDbKind, writeFleet, type TestEnv } from "@/lib/testing/env";
import { runMaintenancePlans, runPlan } from "./runner";

const NOW = Date.UTC(2026, 11, 8, 10, 0, 0);
const DAY = 86_400_000;
let env: TestEnv;
let fleet: Fleet;
let users: Awaited<ReturnType<typeof createTestUsers>>;
let gateways: string[];

beforeAll(async () => {
  env = await openTestEnv(testDbKind());
  fleet = generateFleet({ meters: 1500, seed: "schedule-int", now: NOW });
  await writeFleet(fleet, env, { heartbeatAt: NOW, prismaMeters: 1500 });
  users = await createTestUsers(env.db);
  // Gateways with a few meters each, one per test, so each test's plan has its own meters.
  const counts = await env.db.meter.groupBy({ by: ["gatewayId"], _count: true, orderBy: { gatewayId: "asc" } });
  gateways = counts.filter((c) => c._count >= 5 && c._count <= 400).map((c) => c.gatewayId);
}, 300_000);

afterAll(async () => {
  await env?.cleanup();
});

let gwNext = 0;
async function createPlan(spec: Partial<PlanSpecInput> & { jobType: PlanSpecInput["jobType"] }) {
  const gw = gateways[gwNext++]!;
  const row = await env.db.preventivePlan.create({
    data: {
      name: spec.name ?? `plan ${gw}`,
      jobType: spec.jobType,
      scope: { gw, ...(spec.scope ?? {}) },
      interval: { everyDays: 1 },
      rule: spec.rule ?? { kind: "interval", baseMonths: 24, zoneFactors: {}, floorMonths: 6 },
      triggers: spec.triggers ?? {},
      lookaheadDays: spec.lookaheadDays ?? 30,
      enabled: true,
      nextRunAt: new Date(NOW),
      createdById: users.operator.id,
    },
  });
  return { plan: toPlan(row), gw };
}

/** What the rules say, computed from the meter rows directly (no completions). */
async function expectedDue(gw: string, plan: ReturnType<typeof toPlan>) {
  const meters = await env.db.meter.findMany({ where: { gatewayId: gw } });
  const horizon = dayOf(NOW) + plan.lookaheadDays;
  return meters
    .map((m) =>
      computeDue(
        plan,
        {
          id: m.id,
          kind: m.kind,
          zone: m.climateZoneId,
          model: m.model,
          gatewayId: m.gatewayId,
          installedAt: m.installedAt.getTime(),
          certNotAfter: m.certNotAfter.getTime(),
          fwMetrology: m.fwMetrology,
          fwComms: m.fwComms,
        },
        undefined,
        undefined,
        NOW,
      ),
    )
    .filter((d) => d && d.dueDay <= horizon)
    .map((d) => d!);
}

describe(`maintenance plan runner on ${testDbKind()}`, () => {
  it("two runners at once create each due item and its work order once; a second run adds nothing", async () => {
    const { plan, gw } = await createPlan({ jobType: "inspect", rule: { kind: "interval", baseMonths: 12, zoneFactors: {}, floorMonths: 6 } });
    const expected = await expectedDue(gw, plan);
    expect(expected.length).toBeGreaterThan(2);
    const [a, b] = await Promise.all([
      runMaintenancePlans({ now: new Date(NOW), owner: "server-a", planIds: [plan.id] }),
      runMaintenancePlans({ now: new Date(NOW), owner: "server-b", planIds: [plan.id] }),
    ]);
    const runs = [...a, ...b];
    expect(runs).toHaveLength(1);
    expect(runs[0]!.itemsCreated).toBe(expected.length);
    expect(runs[0]!.workOrders).toBe(expected.length);
    const items = await env.db.maintenanceDueItem.findMany({ where: { planId: plan.id }, orderBy: { meterId: "asc" } });
    expect(items.map((i) => [i.meterId, i.dueDate.toISOString().slice(0, 10)])).toEqual(expected.map((d) => [d.meterId, d.dueDate]).sort((x, y) => (x[0]! < y[0]! ? -1 : 1)));
    const orders = await env.db.workOrder.findMany({ where: { id: { in: items.map((i) => i.workOrderId!) } } });
    expect(orders).toHaveLength(expected.length);
    expect(new Set(orders.map((o) => o.meterId)).size).toBe(expected.length);
    expect(orders[0]!.reason).toMatch(/^plan .+ (due|overdue since) \d{4}-\d{2}-\d{2} — every 12 months; installed \d{4}-\d{2}-\d{2}, never done$/);
    // The run record says what it made.
    const run = await env.db.maintenancePlanRun.findUniqueOrThrow({ where: { id: runs[0]!.runId } });
    expect(run).toMatchObject({ status: "done", itemsCreated: expected.length, workOrders: expected.length, dueCount: expected.length });
    // The period moved a day on; the next day's run finds the work still open and adds nothing.
    expect(await runMaintenancePlans({ now: new Date(NOW), owner: "server-a", planIds: [plan.id] })).toEqual([]);
    const next = await runMaintenancePlans({ now: new Date(NOW + DAY), owner: "server-b", planIds: [plan.id] });
    expect(next).toMatchObject([{ itemsCreated: 0, workOrders: 0 }]);
    expect(await env.db.workOrder.count({ where: { meterId: { in: expected.map((d) => d.meterId) }, jobType: "inspect" } })).toBe(expected.length);
  });

  it("a run that stopped after writing its items is finished by the next runner, without new items", async () => {
    const { plan, gw } = await createPlan({ jobType: "inspect", rule: { kind: "interval", baseMonths: 6, zoneFactors: {}, floorMonths: 1 } });
    const expected = await expectedDue(gw, plan);
    // The crashed run: items written, no work orders, its lease left behind and expired.
    await insertDueItems(env.db, {
      planId: plan.id,
      jobType: "inspect",
      runId: "crashed",
      items: expected.map((d) => ({ meterId: d.meterId, dueDate: d.dueDate, reason: d.reason })),
    });
    await env.db.preventivePlan.update({ where: { id: plan.id }, data: { leaseOwner: "dead-server", leaseExpiresAt: new Date(NOW - 60_000) } });
    const r = (await runPlan(plan.id, { now: new Date(NOW), owner: "server-c" }))!;
    expect(r.itemsCreated).toBe(0);
    expect(r.workOrders).toBe(expected.length);
    expect(await env.db.maintenanceDueItem.count({ where: { planId: plan.id, workOrderId: null } })).toBe(0);
    // A live lease held by another server keeps this one out.
    await env.db.preventivePlan.update({ where: { id: plan.id }, data: { nextRunAt: new Date(NOW), leaseOwner: "server-d", leaseExpiresAt: new Date(NOW + 60_000) } });
    expect(await runPlan(plan.id, { now: new Date(NOW), owner: "server-c" })).toBeNull();
  });

  it("counts from the last completion (a done work order, a succeeded campaign target) and words it", async () => {
    const { plan, gw } = await createPlan({ jobType: "inspect", name: "Inspection", lookaheadDays: 500 });
    const [m1, m2] = await env.db.meter.findMany({ where: { gatewayId: gw }, orderBy: { id: "asc" }, take: 2 });
    const done = await env.db.workOrder.create({
      data: { meterId: m1!.id, jobType: "inspect", status: "done", completedAt: new Date(Date.UTC(2026, 2, 2, 9)), completedById: users.technician.id },
    });
    const c = await env.db.campaign.create({
      data: { name: "past inspection", jobType: "inspect", status: "completed", targetQuery: {}, createdById: "x", createdByEmail: "x", creationKey: `past-${gw}` },
    });
    await env.db.campaignTarget.create({ data: { campaignId: c.id, meterId: m2!.id, state: "succeeded", updatedAt: new Date(Date.UTC(2025, 5, 10, 12)) } });
    const { fleet: cols } = await loadFleetColumns(env.db);
    const last = (await loadLastDone(env.db, cols.ids, ["inspect"])).get("inspect")!;
    const i1 = cols.ids.indexOf(m1!.id);
    expect(dayToIso(last.day[i1]!)).toBe("2026-03-02");
    expect(last.detail.get(i1)).toMatchObject({ source: "work order", ref: done.id });
    await runPlan(plan.id, { now: new Date(NOW), owner: "server-e" });
    const item1 = await env.db.maintenanceDueItem.findFirstOrThrow({ where: { planId: plan.id, meterId: m1!.id } });
    expect(item1.dueDate.toISOString().slice(0, 10)).toBe("2028-03-02");
    expect(item1.reason).toBe(`Inspection due 2028-03-02 — every 2 years; last done 2026-03-02 (work order ${done.id})`);
    const item2 = await env.db.maintenanceDueItem.findFirstOrThrow({ where: { planId: plan.id, meterId: m2!.id } });
    expect(item2.reason).toBe(`Inspection due 2027-06-10 — every 2 years; last done 2025-06-10 (campaign ${c.id})`);
  });

  it("brings re-verification forward on measured drift, with the reason", async () => {
    const { plan, gw } = await createPlan({
      jobType: "calibrate",
      name: "Re-verification",
      rule: { kind: "interval", baseMonths: 240, zoneFactors: {}, floorMonths: 12 },
      triggers: { driftPct: 0.3 },
      lookaheadDays: 0,
    });
    const [m] = await env.db.meter.findMany({ where: { gatewayId: gw }, orderBy: { id: "asc" }, take: 1 });
    await env.ch.insertRows({
      table: "audit_log",
      values: [
        toAuditLogRow(auditRecord({ ts: NOW - 2 * DAY, meter: m!.id, gw, code: "STEP_OK", sev: "info", step: "calibrate", accuracy_err_pct: -0.41 }), {
          source: "drift-test",
          position: 0,
        }),
      ] as unknown as Record<string, unknown>[],
    });
    const r = (await runPlan(plan.id, { now: new Date(NOW), owner: "server-f" }))!;
    expect(r.itemsCreated).toBe(1);
    const item = await env.db.maintenanceDueItem.findFirstOrThrow({ where: { planId: plan.id } });
    expect(item.meterId).toBe(m!.id);
    expect(item.dueDate.toISOString().slice(0, 10)).toBe("2026-12-08");
    expect(item.reason).toMatch(/^Re-verification due now — accuracy drift 0\.41 % > 0\.3 % \(by calendar /);
  });

  it("a remote plan's due meters become one started campaign, once, with two runners", async () => {
    const { plan, gw } = await createPlan({ jobType: "fw_verify", rule: { kind: "interval", baseMonths: 3, zoneFactors: {}, floorMonths: 1 } });
    const expected = await expectedDue(gw, plan);
    expect(expected.length).toBeGreaterThan(2);
    const [a, b] = await Promise.all([
      runMaintenancePlans({ now: new Date(NOW), owner: "server-g", planIds: [plan.id] }),
      runMaintenancePlans({ now: new Date(NOW), owner: "server-h", planIds: [plan.id] }),
    ]);
    const runs = [...a, ...b];
    expect(runs).toHaveLength(1);
    expect(runs[0]!.campaignIds).toHaveLength(1);
    expect(runs[0]!.error).toBeUndefined();
    const campaign = await env.db.campaign.findUniqueOrThrow({ where: { id: runs[0]!.campaignIds[0]! } });
    expect(campaign.jobType).toBe("fw_verify");
    expect(["running", "awaiting_approval"]).toContain(campaign.status);
    const targets = await env.db.campaignTarget.findMany({ where: { campaignId: campaign.id } });
    expect(targets.map((t) => t.meterId).sort()).toEqual(expected.map((d) => d.meterId).sort());
    expect(await env.db.maintenanceDueItem.count({ where: { planId: plan.id, campaignId: campaign.id } })).toBe(expected.length);
    expect(await env.db.workOrder.count({ where: { meterId: { in: expected.map((d) => d.meterId) }, jobType: "fw_verify" } })).toBe(0);
  });
});
