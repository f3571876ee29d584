// The Schedule service on the real engines: plan changes audited with before/after and refused
// for a viewer, the due list and a meter's calendar from the demo's maintenance past.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listActivity } from "@/lib/activity/trail";
import { isAppError } from "@/lib/errors";
import { seedMaintenanceHistory } from "@/lib/demo/maintenance-history";
import { generateFleet } from "@/lib/simulator/fleet";
import { createTestUsers, openTestEnv, testDbKind, writeFleet, type TestEnv } from "@/lib/testing/env";
import {
  assignRoute,
  dueListSearchSchema,
  findDueItems,
  getDistrictRoutes,
  getMyRoute,
  getForecast,
  getMeterCalendar,
  getPlans,
  previewWhatIf,
  savePlan,
  setCrewCapacity,
} from "./service";
import { dropScheduleSnapshot } from "./snapshot";

const NOW = Date.UTC(2026, 11, 8, 10, 0, 0);
let env: TestEnv;
let users: Awaited<ReturnType<typeof createTestUsers>>;

beforeAll(async () => {
  env = await openTestEnv(testDbKind());
  const fleet = generateFleet({ meters: 800, seed: "schedule-service-int", now: NOW });
  await writeFleet(fleet, env, { heartbeatAt: NOW, prismaMeters: 800 });
  users = await createTestUsers(env.db);
  const seeded = await seedMaintenanceHistory(env.db, NOW);
  expect(seeded.workOrders).toBeGreaterThan(400);
  expect((await seedMaintenanceHistory(env.db, NOW)).workOrders).toBe(0);
  dropScheduleSnapshot();
}, 300_000);

afterAll(async () => {
  await env?.cleanup();
});

describe(`schedule service on ${testDbKind()}`, () => {
  it("ships the six default plans switched off; an operator's change is in the trail with before and after; a viewer is refused", async () => {
    const plans = await getPlans(users.viewer);
    expect(plans.map((p) => [p.name, p.enabled])).toEqual([
      ["Inspection", false],
      ["Re-verification", false],
      ["Battery audit", false],
      ["Supercap last-gasp test", false],
      ["Certificate renewal", false],
      ["Firmware integrity check", false],
    ]);
    const inspection = plans[0]!;
    const spec = { ...inspection, rule: { ...inspection.rule, zoneFactors: { ...(inspection.rule.kind === "interval" ? inspection.rule.zoneFactors : {}), "hot-humid": 4 } } };
    const { name, jobType, scope, rule, triggers, lookaheadDays, enabled } = spec;
    const input = { planId: inspection.id, updatedAt: inspection.updatedAt.toISOString(), spec: { name, jobType, scope, rule, triggers, lookaheadDays, enabled } };
    await expect(savePlan(input, users.viewer)).rejects.toSatisfy((e: unknown) => isAppError(e) && e.code === "forbidden");
    const saved = await savePlan(input, users.operator, new Date(NOW));
    expect(saved.rule).toMatchObject({ zoneFactors: { "hot-humid": 4 } });
    const [ev] = await listActivity({ action: "schedule.plan.update", target: inspection.id });
    expect(ev).toMatchObject({ outcome: "ok", actorEmail: users.operator.email });
    const details = ev!.details as { before: { rule: { zoneFactors: Record<string, number> } }; after: { rule: { zoneFactors: Record<string, number> } } };
    expect(details.before.rule.zoneFactors["hot-humid"]).toBe(2);
    expect(details.after.rule.zoneFactors["hot-humid"]).toBe(4);
    // The editor's copy is now stale: a second save over it is refused, not silently merged.
    await expect(savePlan(input, users.operator)).rejects.toSatisfy((e: unknown) => isAppError(e) && e.code === "conflict");
    const denied = await listActivity({ action: "schedule.plan.update", target: inspection.id });
    expect(denied.map((e) => e.outcome).sort()).toEqual(["denied", "denied", "ok"]);
  });

  it("lists due items with reasons that count from the demo's completed inspections, and a meter's calendar agrees", async () => {
    const search = dueListSearchSchema.parse({ status: "all", sort: "due" });
    const r = await findDueItems(users.viewer, search, { now: NOW });
    expect(r.total).toBeGreaterThan(800);
    const fromHistory = r.rows.find((x) => x.planName === "Inspection" && x.reason.includes("(work order "));
    const page2 = await findDueItems(users.viewer, { ...search, page: 2 }, { now: NOW });
    expect(page2.rows[0]!.dueDate >= r.rows.at(-1)!.dueDate).toBe(true);
    const any =
      fromHistory ??
      (await findDueItems(users.viewer, { ...search, plan: "plan_inspection", sort: "meter" }, { now: NOW, limit: 800 })).rows.find((x) => x.reason.includes("(work order "))!;
    expect(any.reason).toMatch(/^Inspection (due|overdue since) \d{4}-\d{2}-\d{2} — .*last done \d{4}-\d{2}-\d{2} \(work order [a-z0-9]+\)$/);
    const cal = await getMeterCalendar(users.viewer, any.meterId, NOW);
    expect(cal.upcoming.find((u) => u.planId === any.planId)?.reason).toBe(any.reason);
  });

  it("forecasts crew load against capacity and shows a what-if without saving it", async () => {
    const plans = await getPlans(users.operator);
    const insp = plans.find((p) => p.name === "Inspection")!;
    const fc = await getForecast(users.viewer, NOW);
    expect(fc.forecast.totals.jobs).toBe(0); // every plan is switched off
    for (const d of fc.districts) await setCrewCapacity({ district: d, technicians: 1, hoursPerWeek: 4 }, users.operator);
    const { name, jobType, scope, rule, triggers, lookaheadDays } = insp;
    const w = await previewWhatIf({ planId: insp.id, spec: { name, jobType, scope, rule, triggers, lookaheadDays, enabled: false } }, users.viewer, NOW);
    expect(w.before.jobs).toBe(0);
    expect(w.after.jobs).toBeGreaterThan(500);
    expect(w.after.weeksOver).toBeGreaterThan(0);
    expect(w.after.compliancePct).toBeGreaterThan(0);
    expect(w.levelling.moves.every((m) => m.toWeek < m.fromWeek)).toBe(true);
    expect((await getPlans(users.viewer)).find((p) => p.id === insp.id)!.enabled).toBe(false);
    const [cap] = await listActivity({ action: "schedule.capacity.update" });
    expect(cap!.details).toMatchObject({ after: { technicians: 1, hoursPerWeek: 4 } });
  });

  it("groups a district's open field orders into routes, assigns one to a technician, who sees it as their route", async () => {
    const meters = await env.db.meter.findMany({ take: 400, orderBy: { id: "asc" }, include: { gateway: true } });
    const district = meters[0]!.gateway.name.replace(/\s+\d+$/, "");
    const inDistrict = meters.filter((m) => m.gateway.name.replace(/\s+\d+$/, "") === district).slice(0, 14);
    await env.db.workOrder.createMany({ data: inDistrict.map((m) => ({ meterId: m.id, jobType: "inspect", reason: "route test" })) });
    // One technician in the district (set in the forecast case): one route today, the rest wait.
    const { routes, crew, waiting } = await getDistrictRoutes(users.operator, district);
    expect(crew).toBe(1);
    expect(routes).toHaveLength(1);
    const routed = routes.flatMap((r) => r.orders.map((o) => o.meterId));
    expect(routed.length + waiting).toBe(inDistrict.length);
    expect(routed.length).toBeGreaterThan(3);
    expect(inDistrict.map((m) => m.id)).toEqual(expect.arrayContaining(routed));
    for (const r of routes) if (r.stops.length > 1) expect(r.driveMinutes + r.workMinutes).toBeLessThanOrEqual(8 * 60);
    const first = routes[0]!;
    await expect(assignRoute({ workOrderIds: first.orders.map((o) => o.id), technicianId: users.technician.id }, users.viewer)).rejects.toSatisfy(
      (e: unknown) => isAppError(e) && e.code === "forbidden",
    );
    expect(await assignRoute({ workOrderIds: first.orders.map((o) => o.id), technicianId: users.technician.id }, users.operator)).toEqual({ assigned: first.orders.length });
    const mine = (await getMyRoute(users.technician))!;
    expect(mine.orders.map((o) => o.id).sort()).toEqual(first.orders.map((o) => o.id).sort());
    const [ev] = await listActivity({ action: "schedule.route.assign" });
    expect(ev).toMatchObject({ outcome: "ok", target: users.technician.id });
  });
});
