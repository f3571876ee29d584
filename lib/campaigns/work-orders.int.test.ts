// Closing a work order with the field's answer (issue #22 part 4), on the real stores: the
// outcome and the job's readings are required and kept with who and when, a follow-up opens
// the next order that still leads to the campaign, viewers read but cannot close, the demo
// world heals, and the meter's maintenance history shows it all, newest first.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSimulatorHes } from "@/lib/hes/simulator-hes";
import { createVirtualClock } from "@/lib/hes/adapter";
import { maintenanceHistory } from "@/lib/maintenance/history";
import { loadLastDone } from "@/lib/db/maintenance";
import { NO_DAY } from "@/lib/scheduling/due-columns";
import { generateFleet, getMeter, type Fleet } from "@/lib/simulator/fleet";
import { createWorld, setSharedWorld, type World } from "@/lib/simulator/world";
import { createTestUsers, openTestEnv, testDbKind, type TestEnv } from "@/lib/testing/env";
import type { CampaignActor } from "./service";
import { completeWorkOrder, getWorkOrder, listWorkOrders } from "./work-orders";

const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);
let env: TestEnv;
let users: Record<"viewer" | "technician" | "operator" | "operator2" | "admin", CampaignActor>;
let fleet: Fleet;
let world: World;
let n = 0;

beforeAll(async () => {
  env = await openTestEnv(testDbKind());
  users = await createTestUsers(env.db);
  fleet = generateFleet({ meters: 3000, seed: "wo-int", now: NOW });
  world = createWorld({ fleet, seed: "wo-int" });
  setSharedWorld(world);
}, 120_000);

afterAll(async () => {
  setSharedWorld(null);
  await env?.cleanup();
});

/** A battery audit campaign that found `code` on `meterId`, and the follow-up order the finding became. */
async function findingOrder(meterId: string, code: string, jobType = "battery_audit") {
  n++;
  const campaign = await env.db.campaign.create({
    data: {
      name: `audit ${n}`,
      jobType,
      status: "completed",
      targetQuery: { meters: [meterId] },
      createdById: users.operator.id,
      createdByEmail: users.operator.email,
      creationKey: `wo-int-${n}-${Date.now()}`,
    },
  });
  await env.db.campaignTarget.create({ data: { campaignId: campaign.id, meterId, state: "succeeded", lastCode: code, wave: 0, updatedAt: new Date(NOW - 3_600_000) } });
  const order = await env.db.workOrder.create({ data: { campaignId: campaign.id, meterId, jobType: "inspect", reason: `${jobType}: found ${code}` } });
  return { campaign, order };
}

function weakSupercapMeter(): string {
  for (let i = 0; i < fleet.meters.count; i++) {
    const m = getMeter(fleet, i);
    if (m.kind === "electric" && (m.supercapHealth ?? 1) < 0.3 && m.snr > 25 && m.certNotAfter > NOW + 86_400_000 && m.hesVersion !== "4.1.3") return m.id;
  }
  throw new Error("no electric meter with a weak supercapacitor in the test fleet");
}

describe("completing a work order", () => {
  it("needs the readings of the job and the fault, keeps outcome, who and when, and heals the demo world", async () => {
    const meterId = weakSupercapMeter();
    const hes = createSimulatorHes({ fleet, world, clock: createVirtualClock(NOW), latencyScale: 0 });
    expect(await hes.sendCommand({ meterId, step: "battery_audit", idempotencyKey: "before" })).toMatchObject({ status: "fail", code: "SUPERCAP_FAIL" });
    const { campaign, order } = await findingOrder(meterId, "SUPERCAP_FAIL");

    // An inspection after a supercap finding asks for the checklist and the last-gasp test.
    await expect(
      completeWorkOrder({ workOrderId: order.id, outcome: "fixed", readings: { hottestTerminalC: 31, sealIntact: true, arcing: false } }, users.technician),
    ).rejects.toMatchObject({
      code: "invalid",
      message: expect.stringContaining("last-gasp test passed"),
    });
    const at = new Date(NOW);
    const done = await completeWorkOrder(
      { workOrderId: order.id, outcome: "fixed", readings: { hottestTerminalC: 31, sealIntact: true, arcing: false, supercapTestPassed: true }, notes: "supercap replaced" },
      users.technician,
      at,
    );
    expect(done).toMatchObject({ outcome: "fixed", followUpId: null });
    const stored = await env.db.workOrder.findUniqueOrThrow({ where: { id: order.id } });
    expect(stored).toMatchObject({ status: "done", outcome: "fixed", completedByEmail: users.technician.email, notes: "supercap replaced" });
    expect(stored.completedAt?.getTime()).toBe(NOW);
    expect(stored.readings).toMatchObject({ supercapTestPassed: true, hottestTerminalC: 31 });
    // The world changed: the head-end's next audit of the meter passes.
    expect((await hes.sendCommand({ meterId, step: "battery_audit", idempotencyKey: "after" })).status).toBe("ok");
    const event = await env.db.activityEvent.findFirstOrThrow({ where: { action: "workorder.complete", target: order.id, outcome: "ok" } });
    expect((event.details as { world: string[] }).world).toEqual(["supercap replaced"]);

    const detail = await getWorkOrder(users.viewer, order.id);
    expect(detail?.originCampaign).toMatchObject({ id: campaign.id, name: campaign.name });
    expect(detail?.code).toBe("SUPERCAP_FAIL");
  });

  it("a calibration needs its three errors; one outside the envelope is kept as not within it", async () => {
    const meterId = getMeter(fleet, 5).id;
    const order = await env.db.workOrder.create({ data: { meterId, jobType: "calibrate", reason: "plan" } });
    await expect(completeWorkOrder({ workOrderId: order.id, outcome: "fixed" }, users.technician)).rejects.toMatchObject({
      code: "invalid",
      message: expect.stringContaining("15, 30 and 60 A"),
    });
    const r = await completeWorkOrder({ workOrderId: order.id, outcome: "not_fixed", readings: { err15A: 0.1, err30A: 0.4, err60A: 0.1 } }, users.technician);
    expect(r).toMatchObject({ outcome: "not_fixed", withinEnvelope: false });
  });

  it("no access needs no readings; needs follow-up opens the next order, which still leads to the campaign", async () => {
    const meterId = getMeter(fleet, 11).id;
    const { campaign, order } = await findingOrder(meterId, "LOW_SNR", "rf_analysis");
    const r = await completeWorkOrder({ workOrderId: order.id, outcome: "follow_up", notes: "mast needs a cherry picker" }, users.technician);
    expect(r.followUpId).toEqual(expect.any(String));
    const next = await env.db.workOrder.findUniqueOrThrow({ where: { id: r.followUpId! } });
    expect(next).toMatchObject({ status: "open", meterId, jobType: "inspect", followUpOfId: order.id, campaignId: null });
    expect(next.reason).toContain(campaign.name);
    expect(next.reason).toContain("cherry picker");
    const nextDetail = await getWorkOrder(users.technician, next.id);
    expect(nextDetail?.originCampaign?.id).toBe(campaign.id);
    // The next visit is still about the weak link: it asks for the SNR too.
    expect(nextDetail?.code).toBe("LOW_SNR");
    expect((await listWorkOrders(users.technician, { status: "open" })).find((w) => w.id === next.id)?.code).toBe("LOW_SNR");
    await expect(
      completeWorkOrder({ workOrderId: next.id, outcome: "fixed", readings: { hottestTerminalC: 30, sealIntact: true, arcing: false } }, users.technician),
    ).rejects.toMatchObject({
      message: expect.stringContaining("mesh SNR after the fix"),
    });
    expect((await getWorkOrder(users.technician, order.id))?.followUps).toEqual([{ id: next.id, status: "open" }]);

    // The second visit: no access to the meter. Nothing to measure, nothing healed, the order closes.
    const second = await completeWorkOrder({ workOrderId: next.id, outcome: "no_access" }, users.technician);
    expect(second).toMatchObject({ outcome: "no_access", followUpId: null });
    await expect(completeWorkOrder({ workOrderId: next.id, outcome: "fixed", readings: { snrDb: 20 } }, users.technician)).rejects.toMatchObject({ code: "conflict" });

    // The meter's history: newest first, who and the outcome of each, the campaign step last.
    const history = await maintenanceHistory(env.db, meterId);
    expect(history.map((e) => [e.kind, e.outcome])).toEqual([
      ["work_order", "no access"],
      ["work_order", "needs follow-up"],
      ["campaign_step", "found LOW_SNR"],
    ]);
    expect(history[0]).toMatchObject({ who: users.technician.email, jobLabel: "Inspection", followUpOfId: order.id });
    expect(history[1]).toMatchObject({ notes: "mast needs a cherry picker", campaign: { id: campaign.id } });
    expect(history[2]).toMatchObject({ jobLabel: "RF analysis", who: users.operator.email, detail: "mesh SNR below 15 dB" });
    // Last done per job, as the maintenance schedule reads it: the succeeded RF analysis counts, the inspections that fixed nothing do not.
    const last = await loadLastDone(env.db, [meterId], ["inspect", "rf_analysis"]);
    expect(last.get("inspect")!.day[0]).toBe(NO_DAY);
    expect(last.get("rf_analysis")!.day[0]).not.toBe(NO_DAY);
    expect(last.get("rf_analysis")!.detail.get(0)).toMatchObject({ source: "campaign", ref: campaign.id });
  });

  it("viewers and operators read work orders; only technicians and admins close them", async () => {
    const order = await env.db.workOrder.create({ data: { meterId: getMeter(fleet, 21).id, jobType: "inspect", reason: "by hand" } });
    expect((await listWorkOrders(users.viewer, { status: "open" })).map((w) => w.id)).toContain(order.id);
    expect((await getWorkOrder(users.viewer, order.id))?.status).toBe("open");
    for (const who of [users.viewer, users.operator]) {
      await expect(completeWorkOrder({ workOrderId: order.id, outcome: "no_access" }, who)).rejects.toMatchObject({ code: "forbidden" });
    }
    expect(await env.db.activityEvent.count({ where: { action: "workorder.complete", target: order.id, outcome: "denied" } })).toBe(2);
    expect((await env.db.workOrder.findUniqueOrThrow({ where: { id: order.id } })).status).toBe("open");
    await completeWorkOrder({ workOrderId: order.id, outcome: "no_access" }, users.admin);
    const listed = (await listWorkOrders(users.viewer, { status: "done" })).find((w) => w.id === order.id);
    expect(listed).toMatchObject({ outcome: "no_access", completedByEmail: users.admin.email });
  });
});
