// Campaigns end to end on the real engines: AMI_TEST_DB=pglite (default) or
// postgresql (TEST_DATABASE_URL, a schema of its own), chDB in a temp dir, the
// simulator head-end on a virtual clock. The fleet comes from generateFleet.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getCampaignStepLines, getCampaignTimeline, getLastGaspRate } from "@/lib/clickhouse/queries/campaigns";
import { can } from "@/lib/auth/permissions";
import { isAppError } from "@/lib/errors";
import type { Clock } from "@/lib/hes/adapter";
import { createSimulatorHes } from "@/lib/hes/simulator-hes";
import { generateFleet, getMeter, getMeterId, type Fleet } from "@/lib/simulator/fleet";
import { createDispatcher, type Dispatcher } from "./dispatcher";
import { getCampaignProgress } from "./progress";
import {
  CAMPAIGN_ACTION_PERMISSIONS,
  abortCampaign,
  approveCampaign,
  commandKey,
  createCampaign,
  pauseCampaign,
  previewCampaign,
  resumeCampaign,
  retryFailed,
  skipWave,
  startCampaign,
  type CampaignAction,
  type CampaignActor,
} from "./service";
import { auditLine, createTestUsers, openTestEnv, testDbKind, writeFleet, type TestEnv } from "@/lib/testing/env";
import { completeWorkOrder, listWorkOrders } from "./work-orders";

const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);
let env: TestEnv;
let fleet: Fleet;
let users: Awaited<ReturnType<typeof createTestUsers>>;
let t = NOW;
const clock: Clock = { now: () => t, sleep: () => new Promise((r) => setImmediate(r)) };
const now = () => new Date(t);
let seq = 0;
const key = () => `k${Date.now().toString(36)}${(seq++).toString(36)}${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  env = await openTestEnv(testDbKind());
  fleet = generateFleet({ meters: 5000, seed: "campaign-int", now: NOW });
  await writeFleet(fleet, env, { heartbeatAt: NOW, prismaMeters: 200 });
  users = await createTestUsers(env.db);
}, 300_000);

afterAll(async () => {
  await env?.cleanup();
});

/** Tick until nothing is due; jump the virtual clock to the next due time. Stops when `until` holds. */
async function drive(d: Dispatcher, campaignId: string, until: (status: string) => boolean, maxTicks = 2000) {
  const decisions: { wave: number; decision: string }[] = [];
  for (let i = 0; i < maxTicks; i++) {
    const r = await d.tick();
    decisions.push(...r.decisions.filter((x) => x.campaignId === campaignId));
    const c = await env.db.campaign.findUniqueOrThrow({ where: { id: campaignId } });
    if (until(c.status) || (r.commands === 0 && r.decisions.length === 0 && !r.nextWakeAt)) {
      await d.drain(); // the step lines the ticks queued, for the reads that follow
      return { campaign: c, decisions };
    }
    if (r.commands === 0 && r.decisions.length === 0 && r.nextWakeAt) t = Math.max(t + 1, r.nextWakeAt.getTime());
  }
  throw new Error("campaign did not settle");
}

function pickTargetPair() {
  const ok = fleet.compatibility.filter(
    (c) => c.compatible && fleet.firmwareImages.filter((i) => i.signed && (i.version === c.metrologyVersion || i.version === c.commsVersion)).length === 2,
  );
  const pair = ok.at(-1)!;
  return { metrology: pair.metrologyVersion, comms: pair.commsVersion };
}

describe(`campaigns on ${testDbKind()}`, () => {
  it("a double-submitted create gives one campaign, and a double start freezes one set of targets", async () => {
    const input = {
      name: "verify north",
      jobType: "fw_verify" as const,
      targetQuery: { kind: "electric" as const },
      options: { offPeak: null, soakMinutes: 0 },
      creationKey: key(),
    };
    const [a, b] = await Promise.all([createCampaign(input, users.operator), createCampaign(input, users.operator)]);
    expect(a.id).toBe(b.id);
    expect(await env.db.campaign.count({ where: { creationKey: input.creationKey } })).toBe(1);
    const [s1, s2] = await Promise.all([startCampaign({ campaignId: a.id }, users.operator, now()), startCampaign({ campaignId: a.id }, users.operator, now())]);
    expect(s1.status).toBe("running");
    expect(s2.status).toBe("running");
    const electric = Array.from(fleet.meters.kind).filter((k) => k === 0).length;
    // Every electric meter exactly once: scheduled or excluded with a reason.
    expect(await env.db.campaignTarget.count({ where: { campaignId: a.id } })).toBe(electric);
    const excludedWithoutReason = await env.db.campaignTarget.count({ where: { campaignId: a.id, state: "excluded", reason: null } });
    expect(excludedWithoutReason).toBe(0);
    await abortCampaign({ campaignId: a.id }, users.operator, now());
  });

  it("preview resolves URL-style target queries (gateway, LED, fault in the last days)", async () => {
    const gw = fleet.gateways[0]!.id;
    const byGw = await previewCampaign({ jobType: "rf_analysis", targetQuery: { gw }, options: {} }, users.operator, now());
    expect(byGw.targetCount).toBe(fleet.gateways[0]!.meterCount);
    // Plant E105 lines on three meters yesterday: the fault query finds exactly those.
    const ids = [0, 1, 2].map((i) => byGw.plan.waves[0]?.meterIds[i] ?? byGw.plan.exclusions[i]!.meterId);
    await env.ch.insertRows({
      table: "audit_log",
      values: ids.map((m, i) => auditLine({ ts: NOW - 86_400_000, meter: m, gw, code: "E105", sev: "error", led: "amber_steady" }, 900_000 + i)) as never,
    });
    const byFault = await previewCampaign({ jobType: "rf_analysis", targetQuery: { fault: "E105", days: 7 }, options: {} }, users.operator, now());
    expect(byFault.targetCount).toBe(3);
    const byList = await previewCampaign({ jobType: "rf_analysis", targetQuery: { meters: [ids[0]!, "EM-9999999"] }, options: {} }, users.operator, now());
    expect(byList.targetCount).toBe(1);
    expect(byList.unknownMeters).toEqual(["EM-9999999"]);
  });

  it("a large FOTA needs a second person: the creator and a viewer are refused", async () => {
    const c = await createCampaign({ name: "fota all", jobType: "fota", targetQuery: {}, options: { targetFirmware: pickTargetPair() }, creationKey: key() }, users.operator);
    const started = await startCampaign({ campaignId: c.id }, users.operator, now());
    expect(started.status).toBe("awaiting_approval");
    await expect(approveCampaign({ campaignId: c.id }, users.operator, now())).rejects.toMatchObject({ code: "forbidden" });
    await expect(approveCampaign({ campaignId: c.id }, users.viewer, now())).rejects.toMatchObject({ code: "forbidden" });
    const denied = await env.db.activityEvent.count({ where: { action: "campaign.approve", target: c.id, outcome: "denied" } });
    expect(denied).toBe(2);
    const approved = await approveCampaign({ campaignId: c.id }, users.operator2, now());
    expect(approved.status).toBe("approved");
    expect(approved.approvedById).toBe(users.operator2.id);
    await abortCampaign({ campaignId: c.id }, users.operator, now());
  });

  it("5 000-meter FOTA: waves pass their gates, then injected RF failures pause it at the error threshold", async () => {
    const hes = createSimulatorHes({ fleet, clock, latencyScale: 0, fotaFailureRate: 0 });
    const sent: string[] = [];
    const d = createDispatcher({ hes, now, onRecorded: (r) => sent.push(r.key) });
    const c = await createCampaign(
      {
        name: "fota 5k",
        jobType: "fota",
        targetQuery: {},
        options: { targetFirmware: pickTargetPair(), waveSize: 50, canarySize: 20, thresholds: { successPct: 90, maxErrorPct: 10, onBreach: "pause", lastGaspPerMin: 30 } },
        creationKey: key(),
      },
      users.operator,
    );
    await startCampaign({ campaignId: c.id }, users.operator, now());
    await approveCampaign({ campaignId: c.id }, users.admin, now());
    expect((await startCampaign({ campaignId: c.id }, users.operator, now())).status).toBe("running");
    const total = await env.db.campaignTarget.count({ where: { campaignId: c.id, state: "pending" } });
    expect(total).toBeGreaterThan(1000);

    // Healthy gates first (the canary included)...
    for (let i = 0; i < 500; i++) {
      const r = await d.tick();
      if ((await env.db.campaignWave.count({ where: { campaignId: c.id, state: "passed" } })) >= 3) break;
      if (r.commands === 0 && r.decisions.length === 0 && r.nextWakeAt) t = Math.max(t + 1, r.nextWakeAt.getTime());
    }
    const passed = await env.db.campaignWave.findMany({ where: { campaignId: c.id, state: "passed" }, orderBy: { index: "asc" } });
    expect(passed.length).toBe(3);
    expect(passed[0]!.isCanary).toBe(true);
    for (const w of passed) expect((w.reasons as { code: string }[]).map((r) => r.code)).toEqual(["HEALTHY"]);
    expect((await env.db.campaign.findUniqueOrThrow({ where: { id: c.id } })).status).toBe("running");

    // ...then RF interference on every gateway: E105 everywhere, retried, then over the budget.
    for (const g of fleet.gateways) hes.setInterference(g.id, 1);
    const { campaign } = await drive(d, c.id, (s) => s !== "running");
    expect(campaign.status).toBe("paused");
    expect(campaign.statusReason).toMatch(/ERROR_BUDGET_EXCEEDED/);
    const pausedWave = await env.db.campaignWave.findFirstOrThrow({ where: { campaignId: c.id, state: "paused" } });
    expect(pausedWave.index).toBeGreaterThanOrEqual(3);
    // Nothing beyond the paused wave was touched.
    expect(await env.db.campaignTarget.count({ where: { campaignId: c.id, wave: { gt: pausedWave.index }, state: { not: "pending" } } })).toBe(0);
    const e105 = await env.db.campaignTarget.count({ where: { campaignId: c.id, wave: pausedWave.index, lastCode: "E105" } });
    expect(e105).toBeGreaterThan(0);

    // One command log per key, applied at most once by the head-end; every stored outcome has its audit line.
    const logs = await env.db.commandLog.findMany({ where: { campaignId: c.id } });
    expect(logs.length).toBe(new Set(sent).size);
    let applied = 0;
    for (const l of logs) {
      const n = hes.getAppliedCount(l.idempotencyKey);
      expect(n).toBeLessThanOrEqual(1);
      applied += n;
    }
    expect(applied).toBe(await env.db.campaignTarget.count({ where: { campaignId: c.id, state: "succeeded" } }));
    const [row] = await env.ch.queryRows<{ n: string }>({
      query: "SELECT count() AS n FROM audit_log WHERE job = {job:String} AND step = 'fota'",
      params: { job: c.id },
      tag: "test",
    });
    expect(Number(row!.n)).toBe(sent.length);

    // Operator steering after the automatic pause: resume accepts the wave, abort skips the rest.
    await resumeCampaign({ campaignId: c.id }, users.operator, now());
    expect((await env.db.campaignWave.findUniqueOrThrow({ where: { id: pausedWave.id } })).decision).toMatch(/resumed|accepted/);
    await abortCampaign({ campaignId: c.id }, users.operator, now());
    expect(await env.db.campaignTarget.count({ where: { campaignId: c.id, state: "pending" } })).toBe(0);
  });

  it("a LAST_GASP surge behind the campaign's gateways pauses it before the next wave", async () => {
    const hes = createSimulatorHes({ fleet, clock, latencyScale: 0 });
    const d = createDispatcher({ hes, now });
    const gw = fleet.gateways[1]!.id;
    const c = await createCampaign(
      { name: "verify gw", jobType: "fw_verify", targetQuery: { gw }, options: { offPeak: null, soakMinutes: 0, canarySize: 0, waveSize: 5 }, creationKey: key() },
      users.operator,
    );
    await startCampaign({ campaignId: c.id }, users.operator, now());
    await env.ch.insertRows({
      table: "audit_log",
      values: Array.from({ length: 400 }, (_, i) =>
        auditLine({ ts: t - 60_000 + i, meter: `EM-${String(4_000_000 + i).padStart(7, "0")}`, gw, code: "LAST_GASP", sev: "warn" }, 800_000 + i),
      ) as never,
    });
    expect(await getLastGaspRate({ gateways: [gw], from: t - 5 * 60_000, to: t + 1 })).toBeGreaterThanOrEqual(30);
    const { campaign } = await drive(d, c.id, (s) => s !== "running");
    expect(campaign.status).toBe("paused");
    expect(campaign.statusReason).toMatch(/LAST_GASP_STORM/);
    expect(await env.db.commandLog.count({ where: { campaignId: c.id } })).toBe(0);
    await abortCampaign({ campaignId: c.id }, users.operator, now());
  });

  it("a storm that starts during a wave's soak is seen at its gate: the dispatcher's LAST_GASP read is not kept past a soak", async () => {
    const hes = createSimulatorHes({ fleet, clock, latencyScale: 0 });
    const d = createDispatcher({ hes, now });
    // A gateway no other test uses (0–3 and the smallest-session one are taken): its storm stays its own.
    const smallest = fleet.gateways.reduce((best, g, i) => (g.maxConcurrentSessions < fleet.gateways[best]!.maxConcurrentSessions && g.meterCount >= 64 ? i : best), 0);
    const gw = fleet.gateways.find((g, i) => i > 3 && i !== smallest && g.meterCount >= 10)!.id;
    const c = await createCampaign(
      { name: "verify gw mid-storm", jobType: "fw_verify", targetQuery: { gw }, options: { offPeak: null, soakMinutes: 1, canarySize: 0, waveSize: 5 }, creationKey: key() },
      users.operator,
    );
    await startCampaign({ campaignId: c.id }, users.operator, now());
    // First wave goes out on a quiet region (its start read LAST_GASP and found none).
    for (let i = 0; i < 20 && (await env.db.campaignWave.count({ where: { campaignId: c.id, state: "soaking" } })) === 0; i++) await d.tick();
    const firstWave = await env.db.commandLog.count({ where: { campaignId: c.id } });
    expect(firstWave).toBe(5);
    await env.ch.insertRows({
      table: "audit_log",
      values: Array.from({ length: 400 }, (_, i) =>
        auditLine({ ts: t + i, meter: `EM-${String(4_100_000 + i).padStart(7, "0")}`, gw, code: "LAST_GASP", sev: "warn" }, 810_000 + i),
      ) as never,
    });
    const { campaign } = await drive(d, c.id, (s) => s !== "running");
    expect(campaign.status).toBe("paused");
    expect(campaign.statusReason).toMatch(/LAST_GASP_STORM/);
    expect(await env.db.commandLog.count({ where: { campaignId: c.id } })).toBe(firstWave);
    await abortCampaign({ campaignId: c.id }, users.operator, now());
  });

  it("a stalled worker's late result is rejected by the fence; the same key is resent and applied once", async () => {
    const sim = createSimulatorHes({ fleet, clock, latencyScale: 0 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const stalled = createDispatcher({
      hes: {
        ...sim,
        getOutcome: sim.getOutcome.bind(sim),
        getNeighbourTable: sim.getNeighbourTable.bind(sim),
        getFirmwareHash: sim.getFirmwareHash.bind(sim),
        subscribe: sim.subscribe.bind(sim),
        sendCommand: async (cmd) => {
          await gate;
          return sim.sendCommand(cmd);
        },
      },
      now,
      leaseMs: 60_000,
      owner: "stalled",
    });
    const healthy = createDispatcher({ hes: sim, now, leaseMs: 60_000, owner: "healthy" });
    const gw = fleet.gateways[2]!.id;
    const c = await createCampaign(
      { name: "fence", jobType: "fw_verify", targetQuery: { gw }, options: { offPeak: null, soakMinutes: 0, canarySize: 0, waveSize: 10 }, creationKey: key() },
      users.operator,
    );
    await startCampaign({ campaignId: c.id }, users.operator, now());
    const slow = stalled.tick();
    for (let i = 0; i < 200 && (await env.db.campaignTarget.count({ where: { campaignId: c.id, state: "leased" } })) === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const leased = await env.db.campaignTarget.findMany({ where: { campaignId: c.id, state: "leased" } });
    expect(leased.length).toBeGreaterThan(0);
    t += 61_000; // the stalled worker's lease expires
    const r = await healthy.tick();
    expect(r.commands).toBeGreaterThanOrEqual(leased.length);
    release();
    const late = await slow;
    expect(late.staleResults).toBe(leased.length);
    for (const l of leased) {
      const now2 = await env.db.campaignTarget.findUniqueOrThrow({ where: { id: l.id } });
      expect(now2.fence).toBe(l.fence + 1);
      expect(now2.attempts).toBe(l.attempts); // a reclaimed lease is the same attempt: same key
    }
    const logs = await env.db.commandLog.findMany({ where: { campaignId: c.id } });
    for (const l of logs) expect(sim.getAppliedCount(l.idempotencyKey)).toBeLessThanOrEqual(1);
    await abortCampaign({ campaignId: c.id }, users.operator, now()).catch(() => {});
  });

  it("campaigns sharing a gateway, on two workers at once, never hold more sessions there than its limit", async () => {
    const sim = createSimulatorHes({ fleet, clock, latencyScale: 0 });
    // The gateway with the lowest limit; each campaign takes 2x that many of its meters.
    const gwIndex = fleet.gateways.reduce((best, g, i) => (g.maxConcurrentSessions < fleet.gateways[best]!.maxConcurrentSessions && g.meterCount >= 64 ? i : best), 0);
    const gw = fleet.gateways[gwIndex]!;
    const meters: string[] = [];
    for (let i = 0; i < fleet.meters.count && meters.length < 2 * gw.maxConcurrentSessions; i++) if (fleet.meters.gateway[i] === gwIndex) meters.push(getMeterId(fleet, i));
    let inFlight = 0;
    let maxInFlight = 0;
    const outcomes: string[] = [];
    const hes = {
      ...sim,
      getOutcome: sim.getOutcome.bind(sim),
      getNeighbourTable: sim.getNeighbourTable.bind(sim),
      getFirmwareHash: sim.getFirmwareHash.bind(sim),
      subscribe: sim.subscribe.bind(sim),
      sendCommand: async (cmd: Parameters<typeof sim.sendCommand>[0]) => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        try {
          const o = await sim.sendCommand(cmd);
          outcomes.push(o.status === "fail" ? o.code : o.status);
          return o;
        } finally {
          inFlight--;
        }
      },
    };
    const workers = [createDispatcher({ hes, now, owner: "w1" }), createDispatcher({ hes, now, owner: "w2" })];
    const ids: string[] = [];
    for (let k = 0; k < 3; k++) {
      const c = await createCampaign(
        {
          name: `shared gw ${k}`,
          jobType: "fw_verify",
          targetQuery: { meters },
          options: { offPeak: null, soakMinutes: 0, canarySize: 0, waveSize: 100, thresholds: { successPct: 0, maxErrorPct: 100, onBreach: "pause", lastGaspPerMin: 1e9 } },
          creationKey: key(),
        },
        users.operator,
      );
      await startCampaign({ campaignId: c.id }, users.operator, now());
      ids.push(c.id);
    }
    // Each campaign's wave alone fits the gateway; the three first waves together are over its limit.
    expect(await env.db.campaignTarget.count({ where: { campaignId: { in: ids }, wave: 0, state: "pending" } })).toBeGreaterThan(2 * gw.maxConcurrentSessions);
    const scheduled = await env.db.campaignTarget.count({ where: { campaignId: { in: ids }, state: "pending" } });
    for (let i = 0; i < 500; i++) {
      const rs = await Promise.all(workers.map((w) => w.tick()));
      if ((await env.db.campaign.count({ where: { id: { in: ids }, status: "running" } })) === 0) break;
      if (rs.every((r) => r.commands === 0 && r.decisions.length === 0)) {
        const wake = rs.map((r) => r.nextWakeAt?.getTime() ?? Infinity).reduce((a, b) => Math.min(a, b));
        t = Math.max(t + 1, Number.isFinite(wake) ? wake : t + 1000);
      }
    }
    expect(await env.db.campaign.count({ where: { id: { in: ids }, status: "completed" } })).toBe(3);
    expect(maxInFlight).toBeGreaterThan(0);
    expect(maxInFlight).toBeLessThanOrEqual(gw.maxConcurrentSessions);
    // Within its limit the gateway never queues a session into a timeout.
    expect(outcomes).not.toContain("timeout");
    expect(outcomes.length).toBeGreaterThanOrEqual(scheduled);
    expect(await env.db.campaignTarget.count({ where: { campaignId: { in: ids }, state: { in: ["pending", "leased", "sent"] } } })).toBe(0);
    // The lease statement writes the keys in SQL: they are commandKey()'s, retries included.
    const logs = await env.db.commandLog.findMany({ where: { campaignId: { in: ids } } });
    expect(logs.length).toBe(outcomes.length);
    for (const l of logs) expect(l.idempotencyKey).toBe(commandKey(l.campaignId, l.meterId, l.step, l.attempt));
    expect(logs.some((l) => l.attempt > 1) || !outcomes.includes("E105")).toBe(true);
  });

  it("a gateway with more due targets than sessions: all leased, sent its limit at a time, later turns leased a command timeout longer each; a pause or abort mid-send releases the rest", async () => {
    const sim = createSimulatorHes({ fleet, clock, latencyScale: 0 });
    const gwIndex = fleet.gateways.reduce((best, g, i) => (g.maxConcurrentSessions < fleet.gateways[best]!.maxConcurrentSessions && g.meterCount >= 64 ? i : best), 0);
    const gw = fleet.gateways[gwIndex]!;
    const cap = gw.maxConcurrentSessions;
    const meters: string[] = [];
    for (let i = 0; i < fleet.meters.count && meters.length < cap; i++) if (fleet.meters.gateway[i] === gwIndex) meters.push(getMeterId(fleet, i));
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let inFlight = 0;
    let maxInFlight = 0;
    const hes = {
      ...sim,
      getOutcome: sim.getOutcome.bind(sim),
      getNeighbourTable: sim.getNeighbourTable.bind(sim),
      getFirmwareHash: sim.getFirmwareHash.bind(sim),
      subscribe: sim.subscribe.bind(sim),
      sendCommand: async (cmd: Parameters<typeof sim.sendCommand>[0]) => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        try {
          await held;
          return await sim.sendCommand(cmd);
        } finally {
          inFlight--;
        }
      },
    };
    const d = createDispatcher({ hes, now, leaseMs: 60_000, commandTimeoutMs: 30_000 });
    // Three campaigns on the same meters: one wave each, each within the gateway's limit, together three times over it.
    const ids: string[] = [];
    for (let k = 0; k < 3; k++) {
      const c = await createCampaign(
        {
          name: `queued turns ${k}`,
          jobType: "fw_verify",
          targetQuery: { meters },
          options: { offPeak: null, soakMinutes: 0, canarySize: 0, waveSize: 100, thresholds: { successPct: 0, maxErrorPct: 100, onBreach: "pause", lastGaspPerMin: 1e9 } },
          creationKey: key(),
        },
        users.operator,
      );
      await startCampaign({ campaignId: c.id }, users.operator, now());
      ids.push(c.id);
    }
    const n = await env.db.campaignTarget.count({ where: { campaignId: { in: ids }, state: "pending" } });
    expect(n).toBeGreaterThan(2 * cap);
    const at = t;
    const ticking = d.tick();
    for (let i = 0; i < 500 && inFlight < cap; i++) await new Promise((r) => setTimeout(r, 10));
    // Every due target is leased at once; the gateway's limit is in flight, no more.
    const leased = await env.db.campaignTarget.findMany({ where: { campaignId: { in: ids }, state: "leased" } });
    expect(leased.length).toBe(n);
    expect(inFlight).toBe(cap);
    // The k-th turn of `cap` targets on the gateway may wait k - 1 command timeouts: its lease is that much longer.
    const expiries: Record<number, number> = {};
    for (const l of leased) expiries[l.leaseExpiresAt!.getTime() - at] = (expiries[l.leaseExpiresAt!.getTime() - at] ?? 0) + 1;
    const turns: Record<number, number> = {};
    for (let k = 1; (k - 1) * cap < n; k++) turns[60_000 + (k - 1) * 30_000] = Math.min(cap, n - (k - 1) * cap);
    expect(expiries).toEqual(turns);
    expect(await env.db.commandLog.count({ where: { campaignId: { in: ids } } })).toBe(n);

    await pauseCampaign({ campaignId: ids[0]! }, users.operator);
    await pauseCampaign({ campaignId: ids[1]! }, users.operator);
    await abortCampaign({ campaignId: ids[2]! }, users.operator, now());
    await new Promise((r) => setTimeout(r, 300)); // past the dispatcher's status re-read interval
    release();
    const r = await ticking;
    expect(r.commands).toBe(cap);
    expect(maxInFlight).toBe(cap);
    // The unsent turns are back as before the lease (skipped in the aborted campaign): same
    // attempt count, no lease, no log row.
    const after = await env.db.campaignTarget.findMany({ where: { campaignId: { in: ids }, state: { not: "excluded" } } });
    const done = after.filter((x) => x.state !== "pending" && x.state !== "skipped");
    const back = after.filter((x) => x.state === "pending");
    const skipped = after.filter((x) => x.state === "skipped");
    expect(done.length).toBe(cap);
    expect(back.length + skipped.length).toBe(n - cap);
    expect(skipped.length).toBeGreaterThan(0); // the aborted campaign's targets (created last) are in the later turns
    expect(back.every((x) => x.campaignId !== ids[2])).toBe(true);
    expect(skipped.every((x) => x.campaignId === ids[2] && x.reason!.startsWith("campaign aborted"))).toBe(true);
    expect(await env.db.campaignTarget.count({ where: { campaignId: ids[2], state: { in: ["pending", "leased"] } } })).toBe(0);
    for (const x of [...back, ...skipped]) {
      expect(x.attempts).toBe(0);
      expect(x.leaseOwner).toBeNull();
      expect(x.leaseExpiresAt).toBeNull();
    }
    const logs = await env.db.commandLog.findMany({ where: { campaignId: { in: ids } } });
    expect(new Set(logs.map((l) => l.targetId))).toEqual(new Set(done.map((x) => x.id)));

    // Resumed, the released targets go out under the keys they would have had, each applied once.
    for (const id of ids.slice(0, 2)) await resumeCampaign({ campaignId: id }, users.operator, now());
    for (let i = 0; i < 200 && (await env.db.campaign.count({ where: { id: { in: ids }, status: "running" } })) > 0; i++) {
      const x = await d.tick();
      if (x.commands === 0 && x.decisions.length === 0) t = Math.max(t + 1, x.nextWakeAt?.getTime() ?? t + 1000);
    }
    expect(await env.db.campaign.count({ where: { id: { in: ids }, status: "completed" } })).toBe(2);
    expect(maxInFlight).toBe(cap);
    const final = await env.db.commandLog.findMany({ where: { campaignId: { in: ids } } });
    for (const l of final) {
      expect(l.idempotencyKey).toBe(commandKey(l.campaignId, l.meterId, l.step, l.attempt));
      expect(sim.getAppliedCount(l.idempotencyKey)).toBeLessThanOrEqual(1);
    }
    expect(new Set(final.filter((l) => l.attempt === 1).map((l) => l.targetId)).size).toBe(n - skipped.length);
  });

  it("field steps become work orders; a technician completes a calibration and the constants history is kept", async () => {
    const sim = createSimulatorHes({ fleet, clock, latencyScale: 0 });
    const d = createDispatcher({ hes: sim, now });
    const meter = (await env.db.meter.findFirstOrThrow({ orderBy: { id: "asc" } })).id;
    const c = await createCampaign(
      { name: "calibrate one", jobType: "calibrate", targetQuery: { meters: [meter] }, options: { canarySize: 0 }, creationKey: key() },
      users.operator,
    );
    await startCampaign({ campaignId: c.id }, users.operator, now());
    for (let i = 0; i < 5; i++) {
      const r = await d.tick();
      if (r.nextWakeAt && r.commands === 0) t = Math.max(t, r.nextWakeAt.getTime());
    }
    const open = (await listWorkOrders(users.technician, { status: "open" })).filter((w) => w.meterId === meter && w.jobType === "calibrate");
    expect(open).toHaveLength(1);
    // Viewers read work orders (issue #22: the NOC sees whether a crew was sent) and cannot close them.
    expect((await listWorkOrders(users.viewer)).map((w) => w.id)).toContain(open[0]!.id);
    await expect(completeWorkOrder({ workOrderId: open[0]!.id, outcome: "no_access" }, users.viewer, now())).rejects.toMatchObject({ code: "forbidden" });
    const input = { workOrderId: open[0]!.id, readings: { err15A: 0.05, err30A: -0.1, err60A: 0.12 }, constants: { gainCorrection: 1.0012, phaseCorrectionDeg: 0.05 } };
    await expect(completeWorkOrder(input, users.operator, now())).rejects.toMatchObject({ code: "forbidden" });
    await expect(completeWorkOrder({ ...input, readings: undefined }, users.technician, now())).rejects.toMatchObject({ code: "invalid" });
    const done = await completeWorkOrder(input, users.technician, now());
    expect(done.withinEnvelope).toBe(true);
    const change = await env.db.meterConstantChange.findFirstOrThrow({ where: { meterId: meter } });
    expect((change.after as { gainCorrection: number }).gainCorrection).toBe(1.0012);
    expect(await env.db.activityEvent.count({ where: { action: "meter.constants", target: meter, outcome: "ok" } })).toBe(1);
    expect((await env.db.campaignTarget.findFirstOrThrow({ where: { campaignId: c.id, meterId: meter } })).state).toBe("succeeded");
    const { campaign } = await drive(d, c.id, (s) => s === "completed");
    expect(campaign.status).toBe("completed");
  });

  it("a field wave rechecks preflight at dispatch: a meter gone from the inventory is excluded with the reason and gets no work order", async () => {
    const d = createDispatcher({ hes: createSimulatorHes({ fleet, clock, latencyScale: 0 }), now });
    const [kept, gone] = (await env.db.meter.findMany({ orderBy: { id: "asc" }, skip: 10, take: 2 })).map((m) => m.id);
    const c = await createCampaign(
      { name: "inspect two", jobType: "inspect", targetQuery: { meters: [kept!, gone!] }, options: { canarySize: 0 }, creationKey: key() },
      users.operator,
    );
    await startCampaign({ campaignId: c.id }, users.operator, now());
    expect(await env.db.campaignTarget.count({ where: { campaignId: c.id, state: "pending" } })).toBe(2);
    // Removed from the fleet after the start froze the targets, before the wave went out.
    const row = (
      await env.ch.queryRows<Record<string, unknown>>({ query: "SELECT * EXCEPT install_year FROM fleet_meters FINAL WHERE meter = {m:String}", params: { m: gone }, tag: "test" })
    )[0]!;
    await env.ch.execCommand({ query: "DELETE FROM fleet_meters WHERE meter = {m:String}", params: { m: gone } });
    try {
      for (let i = 0; i < 5; i++) {
        const r = await d.tick();
        if (r.nextWakeAt && r.commands === 0) t = Math.max(t, r.nextWakeAt.getTime());
      }
      const orders = await env.db.workOrder.findMany({ where: { campaignId: c.id } });
      expect(orders.map((o) => o.meterId)).toEqual([kept]);
      const targets = await env.db.campaignTarget.findMany({ where: { campaignId: c.id }, orderBy: { meterId: "asc" } });
      expect(targets.find((x) => x.meterId === kept)!.state).toBe("sent");
      const excluded = targets.find((x) => x.meterId === gone)!;
      expect(excluded.state).toBe("excluded");
      expect(excluded.lastCode).toBe("METER_UNKNOWN");
      expect(excluded.reason).toContain("preflight at dispatch");
    } finally {
      await env.ch.insertRows({ table: "fleet_meters", values: [{ ...row, updated_at: Date.now() }] });
      await abortCampaign({ campaignId: c.id }, users.operator, now()).catch(() => {});
    }
  });

  it("a head-end message with half a UTF-16 pair is stored and logged with U+FFFD, not lost with its batch", async () => {
    const sim = createSimulatorHes({ fleet, clock, latencyScale: 0 });
    const gw = fleet.gateways[1]!.id;
    const hes = {
      ...sim,
      getOutcome: sim.getOutcome.bind(sim),
      getNeighbourTable: sim.getNeighbourTable.bind(sim),
      getFirmwareHash: sim.getFirmwareHash.bind(sim),
      subscribe: sim.subscribe.bind(sim),
      sendCommand: async () => ({ status: "fail" as const, code: "TLS_HANDSHAKE" as const, message: "image \ud800 rejected", refused: true }),
    };
    const c = await createCampaign(
      {
        name: "surrogates",
        jobType: "fw_verify",
        targetQuery: { gw },
        options: { offPeak: null, soakMinutes: 0, canarySize: 0, thresholds: { successPct: 0, maxErrorPct: 100, onBreach: "pause", lastGaspPerMin: 1e9 } },
        creationKey: key(),
      },
      users.operator,
    );
    await startCampaign({ campaignId: c.id }, users.operator, now());
    const scheduled = await env.db.campaignTarget.count({ where: { campaignId: c.id, state: "pending" } });
    expect(scheduled).toBeGreaterThan(0);
    const { campaign } = await drive(createDispatcher({ hes, now }), c.id, (st) => st !== "running");
    expect(`${campaign.status} ${campaign.statusReason ?? ""}`).toBe("completed ");
    const failed = await env.db.campaignTarget.findMany({ where: { campaignId: c.id, state: "failed" } });
    expect(failed).toHaveLength(scheduled);
    for (const x of failed) expect(x.reason).toBe("refused by the head-end: image \uFFFD rejected");
    const logs = await env.db.commandLog.findMany({ where: { campaignId: c.id } });
    expect(logs.map((l) => [l.state, (l.outcome as { message?: string } | null)?.message])).toEqual(logs.map(() => ["fail", "image \uFFFD rejected"]));
    const [lines] = await env.ch.queryRows<{ n: string }>({
      query: "SELECT count() AS n FROM audit_log WHERE job = {job:String} AND msg = {msg:String}",
      params: { job: c.id, msg: "image \uFFFD rejected" },
      tag: "test",
    });
    expect(Number(lines!.n)).toBe(scheduled);
  });

  it("an RF survey's weak links are findings: they do not count against the error budget, and each weak meter gets a field work order", async () => {
    // A third of the meters answer with LOW_SNR (SNR 13-14.8 dB: still reachable). The sample's
    // other failures (session errors, lost commands) stay under a 25 % error budget; with the
    // weak links counted as failures it would break at the first wave.
    const weak: string[] = [];
    const strong: string[] = [];
    for (let i = 0; i < fleet.meters.count && (weak.length < 12 || strong.length < 24); i++) {
      const snr = fleet.meters.snr[i]!;
      if (snr >= 13 && snr < 14.8 && weak.length < 12) weak.push(getMeterId(fleet, i));
      else if (snr > 25 && strong.length < 24) strong.push(getMeterId(fleet, i));
    }
    expect(weak).toHaveLength(12);
    const c = await createCampaign(
      {
        name: "rf survey",
        jobType: "rf_analysis",
        targetQuery: { meters: [...weak, ...strong] },
        options: { offPeak: null, soakMinutes: 0, canarySize: 0, waveSize: 100, thresholds: { successPct: 50, maxErrorPct: 25, onBreach: "pause", lastGaspPerMin: 1e9 } },
        creationKey: key(),
      },
      users.operator,
    );
    await startCampaign({ campaignId: c.id }, users.operator, now());
    const { campaign } = await drive(createDispatcher({ hes: createSimulatorHes({ fleet, clock, latencyScale: 0 }), now }), c.id, (st) => st !== "running");
    expect(`${campaign.status} ${campaign.statusReason ?? ""}`).toBe("completed ");

    const found = await env.db.campaignTarget.findMany({ where: { campaignId: c.id, lastCode: "LOW_SNR" } });
    const foundMeters = found.map((x) => x.meterId).sort();
    expect(found.length).toBeGreaterThanOrEqual(8); // a weak link may also lose its command (E105) until retries run out
    for (const x of found) {
      expect(weak).toContain(x.meterId);
      expect(x.state).toBe("succeeded");
      expect(x.reason).toMatch(/^finding: mesh SNR 1[34](\.\d)? dB below 15 dB/);
    }
    // Exactly one open inspection per finding, saying what to do and where to read more.
    const orders = await env.db.workOrder.findMany({ where: { campaignId: c.id } });
    expect(orders.map((o) => o.meterId).sort()).toEqual(foundMeters);
    for (const o of orders) {
      expect(o.jobType).toBe("inspect");
      expect(o.status).toBe("open");
      expect(o.reason).toMatch(/^rf_analysis: mesh SNR 1[34](\.\d)? dB below 15 dB\. Fix: check the antenna mount/);
      expect(o.reason).toContain("Runbook: low-snr");
    }
    // The work-order list filtered to this campaign: its follow-ups, not another order of the same meter.
    await env.db.workOrder.create({ data: { meterId: foundMeters[0]!, jobType: "inspect", reason: "an order of the meter from elsewhere" } });
    const listed = await listWorkOrders(users.technician, { campaignId: c.id });
    expect(listed.map((o) => o.meterId).sort()).toEqual(foundMeters);
    expect(new Set(listed.map((o) => o.campaignName))).toEqual(new Set(["rf survey"]));
    const progress = (await getCampaignProgress(c.id))!;
    expect(progress.findings).toEqual([expect.objectContaining({ code: "LOW_SNR", meters: found.length, runbook: "low-snr" })]);
    expect(progress.followUps).toEqual({ open: found.length, total: found.length });
    expect(progress.failuresByCode.map((f) => f.code)).not.toContain("LOW_SNR");
    // The step lines stay "fail" as the head-end logs them; the chart counts them as found, the failure list leaves them out.
    const timeline = await getCampaignTimeline({ campaignId: c.id, from: NOW - 86_400_000, to: t + 60_000, findingCodes: ["LOW_SNR"] });
    const sum = (k: "ok" | "found" | "failed") => timeline.points.reduce((n, p) => n + p[k], 0);
    expect(sum("found")).toBe(found.length);
    expect(sum("ok")).toBe(await env.db.campaignTarget.count({ where: { campaignId: c.id, state: "succeeded", lastCode: null } }));
    const failedLines = await getCampaignStepLines({ campaignId: c.id, limit: 100, failuresOnly: true, findingCodes: ["LOW_SNR"] });
    expect(failedLines.map((l) => l.code)).not.toContain("LOW_SNR");
    expect(failedLines.length).toBe(sum("failed"));
  });

  it("role x action matrix: every campaign action refused exactly for roles without its permission", async () => {
    const roles = [users.viewer, users.technician, users.operator2, users.admin];
    const actions: Record<CampaignAction, (a: CampaignActor, id: string) => Promise<unknown>> = {
      create: (a) => createCampaign({ name: "m", jobType: "fw_verify", targetQuery: { gw: fleet.gateways[3]!.id }, options: { offPeak: null }, creationKey: key() }, a),
      preview: (a) => previewCampaign({ jobType: "fw_verify", targetQuery: { gw: fleet.gateways[3]!.id }, options: {} }, a, now()),
      start: (a, id) => startCampaign({ campaignId: id }, a, now()),
      pause: (a, id) => pauseCampaign({ campaignId: id }, a),
      resume: (a, id) => resumeCampaign({ campaignId: id }, a, now()),
      skip: (a, id) => skipWave({ campaignId: id }, a, now()),
      abort: (a, id) => abortCampaign({ campaignId: id }, a, now()),
      retry: (a, id) => retryFailed({ campaignId: id }, a, now()),
      approve: (a, id) => approveCampaign({ campaignId: id }, a, now()),
    };
    const outcomes: string[] = [];
    for (const actor of roles) {
      for (const [action, call] of Object.entries(actions) as [CampaignAction, (a: CampaignActor, id: string) => Promise<unknown>][]) {
        // A fresh campaign in the state where the action makes sense, owned by the first operator.
        const c = await createCampaign(
          { name: `matrix ${action}`, jobType: "fw_verify", targetQuery: { gw: fleet.gateways[3]!.id }, options: { offPeak: null }, creationKey: key() },
          users.operator,
        );
        if (["pause", "skip", "abort", "retry"].includes(action)) await startCampaign({ campaignId: c.id }, users.operator, now());
        if (action === "resume") {
          await startCampaign({ campaignId: c.id }, users.operator, now());
          await pauseCampaign({ campaignId: c.id }, users.operator);
        }
        if (action === "retry") await env.db.campaignTarget.updateMany({ where: { campaignId: c.id, state: "pending", wave: 0 }, data: { state: "failed", lastCode: "E105" } });
        if (action === "approve") await env.db.campaign.update({ where: { id: c.id }, data: { status: "awaiting_approval" } });
        const isAllowed = can(actor.role, CAMPAIGN_ACTION_PERMISSIONS[action]);
        let result = "ok";
        try {
          await call(actor, c.id);
        } catch (err) {
          result = isAppError(err) ? err.code : "error";
        }
        outcomes.push(`${actor.role}:${action}:${result}`);
        if (isAllowed) expect(result, `${actor.role} ${action}`).toBe("ok");
        else {
          expect(result, `${actor.role} ${action}`).toBe("forbidden");
          expect(await env.db.activityEvent.count({ where: { action: `campaign.${action}`, actorId: actor.id, outcome: "denied" } })).toBeGreaterThan(0);
        }
      }
    }
    expect(outcomes.filter((o) => o.endsWith(":forbidden"))).toHaveLength(2 * 9);
  });

  describe("four eyes, windows and the approval pool (issue 24 #2, #3, #8)", () => {
    /** Wall-clock "HH:MM" and date of an instant in a zone. */
    const local = (at: Date, timeZone: string) => {
      const f = new Intl.DateTimeFormat("en-CA", {
        timeZone,
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        hourCycle: "h23",
      }).formatToParts(at);
      const get = (type: string) => f.find((p) => p.type === type)!.value;
      return { date: `${get("year")}-${get("month")}-${get("day")}`, hm: `${get("hour")}:${get("minute")}` };
    };
    const inNight = (hm: string) => hm >= "01:00" && hm < "05:00"; // fota's off-peak window

    it("whoever submitted a campaign for approval may not approve it, nor may its creator", async () => {
      const c = await createCampaign(
        { name: "fota handed over", jobType: "fota", targetQuery: {}, options: { targetFirmware: pickTargetPair() }, creationKey: key() },
        users.operator,
      );
      const submitted = await startCampaign({ campaignId: c.id }, users.operator2, now());
      expect(submitted.status).toBe("awaiting_approval");
      expect(submitted.submittedById).toBe(users.operator2.id);
      expect(submitted.submittedByEmail).toBe(users.operator2.email);
      await expect(approveCampaign({ campaignId: c.id }, users.operator2, now())).rejects.toMatchObject({ code: "forbidden", message: expect.stringMatching(/submitted/) });
      await expect(approveCampaign({ campaignId: c.id }, users.operator, now())).rejects.toMatchObject({ code: "forbidden" });
      expect((await env.db.campaign.findUniqueOrThrow({ where: { id: c.id } })).status).toBe("awaiting_approval");
      expect(await env.db.activityEvent.count({ where: { action: "campaign.approve", target: c.id, actorId: users.operator2.id, outcome: "denied" } })).toBe(1);
      const approved = await approveCampaign({ campaignId: c.id }, users.admin, now());
      expect(approved.status).toBe("approved");
      await abortCampaign({ campaignId: c.id }, users.operator, now());
    });

    it("approved a day late: the waves are re-timed from the approval, spaced and inside their windows, and none starts at noon", async () => {
      const c = await createCampaign(
        { name: "fota late approval", jobType: "fota", targetQuery: {}, options: { targetFirmware: pickTargetPair(), waveSize: 100, canarySize: 20 }, creationKey: key() },
        users.operator,
      );
      await startCampaign({ campaignId: c.id }, users.operator, now());
      const planned = await env.db.campaignWave.findMany({ where: { campaignId: c.id }, orderBy: { index: "asc" } });
      expect(planned.length).toBeGreaterThan(3);
      for (const w of planned) {
        expect(w.windowStart).not.toBeNull();
        expect(w.scheduledAt.getTime()).toBeGreaterThanOrEqual(w.windowStart!.getTime());
        expect(w.scheduledAt.getTime() + 40 * 60_000).toBeLessThanOrEqual(w.windowEnd!.getTime());
      }
      const late = new Date(planned[1]!.scheduledAt.getTime() + 24 * 3_600_000 + 9 * 3_600_000); // the next day, around midday
      const saved = t;
      t = late.getTime();
      try {
        await approveCampaign({ campaignId: c.id }, users.admin, now());
        expect((await startCampaign({ campaignId: c.id }, users.operator, now())).status).toBe("running");
        const waves = await env.db.campaignWave.findMany({ where: { campaignId: c.id }, orderBy: { index: "asc" } });
        let previousEnd = 0;
        for (const w of waves) {
          expect(w.scheduledAt.getTime(), `wave ${w.index}`).toBeGreaterThanOrEqual(late.getTime() - 60_000);
          // Spaced as planned: each after the previous run and its 60-minute soak.
          expect(w.scheduledAt.getTime(), `wave ${w.index}`).toBeGreaterThanOrEqual(previousEnd);
          previousEnd = w.scheduledAt.getTime() + (40 + 60) * 60_000;
          const start = local(w.scheduledAt, w.timezone);
          const end = local(new Date(w.scheduledAt.getTime() + 40 * 60_000 - 1), w.timezone);
          expect(inNight(start.hm) && inNight(end.hm), `wave ${w.index} ${w.timezone} ${start.hm}-${end.hm}`).toBe(true);
          expect(w.scheduledAt.getTime()).toBeGreaterThanOrEqual(w.windowStart!.getTime());
          expect(w.scheduledAt.getTime() + 40 * 60_000).toBeLessThanOrEqual(w.windowEnd!.getTime());
        }
        // The dispatcher at approval time (daytime in every zone of the fleet) starts nothing.
        const hes = createSimulatorHes({ fleet, clock, latencyScale: 0 });
        const d = createDispatcher({ hes, now });
        const r = await d.tick(); // (other tests' campaigns may still send)
        expect(await env.db.campaignWave.count({ where: { campaignId: c.id, state: { not: "pending" } } })).toBe(0);
        expect(await env.db.commandLog.count({ where: { campaignId: c.id } })).toBe(0);
        expect(r.nextWakeAt!.getTime()).toBeLessThanOrEqual(waves[0]!.scheduledAt.getTime());
        await d.drain();
      } finally {
        await abortCampaign({ campaignId: c.id }, users.operator, now());
        t = saved;
      }
    });

    it("a wave due on a blackout date does not start: it waits for the next allowed night", async () => {
      // Meters of one zone, so the wave has one local calendar.
      const first = getMeter(fleet, 0);
      const ids: string[] = [];
      for (let i = 0; i < fleet.meters.count && ids.length < 30; i++) if (getMeter(fleet, i).timezone === first.timezone) ids.push(getMeterId(fleet, i));
      const day = (offsetDays: number) => local(new Date(NOW + offsetDays * 86_400_000), first.timezone).date;
      const blackout = day(3);
      const c = await createCampaign(
        {
          name: "cert renew blackout",
          jobType: "cert_renew",
          targetQuery: { meters: ids },
          options: { canarySize: 0, soakMinutes: 0, blackoutDates: [blackout], thresholds: { successPct: 0, maxErrorPct: 100, onBreach: "pause", lastGaspPerMin: 1e9 } },
          creationKey: key(),
        },
        users.operator,
      );
      expect((await startCampaign({ campaignId: c.id }, users.operator, now())).status).toBe("running");
      const wave = await env.db.campaignWave.findFirstOrThrow({ where: { campaignId: c.id }, orderBy: { index: "asc" } });
      // As a plan frozen before windows were stored: due at 02:30 local on the blackout date.
      let due = NOW + 3 * 86_400_000 - 12 * 3_600_000;
      while (local(new Date(due), first.timezone).date !== blackout || local(new Date(due), first.timezone).hm !== "02:30") due += 60_000;
      await env.db.campaignWave.update({ where: { id: wave.id }, data: { scheduledAt: new Date(due), windowStart: null, windowEnd: null } });
      const saved = t;
      t = due + 60_000;
      try {
        const hes = createSimulatorHes({ fleet, clock, latencyScale: 0 });
        const d = createDispatcher({ hes, now });
        const r = await d.tick();
        expect(await env.db.commandLog.count({ where: { campaignId: c.id } })).toBe(0);
        const waiting = await env.db.campaignWave.findUniqueOrThrow({ where: { id: wave.id } });
        expect(waiting.state).toBe("pending");
        const next = local(waiting.scheduledAt, first.timezone);
        expect(next.date > blackout).toBe(true);
        expect(inNight(next.hm)).toBe(true);
        expect(r.nextWakeAt!.getTime()).toBeLessThanOrEqual(waiting.scheduledAt.getTime());
        // On the next night it starts.
        t = waiting.scheduledAt.getTime();
        await d.tick();
        expect(await env.db.commandLog.count({ where: { campaignId: c.id } })).toBeGreaterThan(0);
        expect((await env.db.campaignWave.findUniqueOrThrow({ where: { id: wave.id } })).startedAt!.getTime()).toBe(waiting.scheduledAt.getTime());
        await abortCampaign({ campaignId: c.id }, users.operator, now());
        await d.drain();
      } finally {
        t = saved;
      }
    });

    /** Meter ids per zone, `perZone` of each, for `zones` distinct zones in fleet order. */
    const metersByZone = (zones: number, perZone: number) => {
      const by = new Map<string, string[]>();
      for (let i = 0; i < fleet.meters.count; i++) {
        const z = getMeter(fleet, i).timezone;
        if (!by.has(z) && by.size >= zones) continue;
        const ids = by.get(z) ?? [];
        if (ids.length < perZone) by.set(z, [...ids, getMeterId(fleet, i)]);
      }
      return by;
    };
    /** A running FOTA over `ids` whose every target failed and whose planned waves are done with. */
    const fotaAllFailed = async (name: string, ids: string[]) => {
      const c = await createCampaign({ name, jobType: "fota", targetQuery: { meters: ids }, options: { targetFirmware: pickTargetPair() }, creationKey: key() }, users.operator);
      let s = await startCampaign({ campaignId: c.id }, users.operator, now());
      // Another test's open FOTA may put this one over the job type's approval size.
      if (s.status === "awaiting_approval") {
        await approveCampaign({ campaignId: c.id }, users.admin, now());
        s = await startCampaign({ campaignId: c.id }, users.operator, now());
      }
      expect(s.status).toBe("running");
      const failed = await env.db.campaignTarget.updateMany({ where: { campaignId: c.id, state: "pending" }, data: { state: "failed", lastCode: "E105" } });
      expect(failed.count).toBeGreaterThan(0);
      await env.db.campaignWave.updateMany({ where: { campaignId: c.id }, data: { state: "skipped", decision: "skipped", decidedAt: now() } });
      return { id: c.id, failed: failed.count };
    };

    it("a FOTA retry requested at midday waits for the off-peak window; the dispatcher starts it there, not at once", async () => {
      const [[zone, ids]] = [...metersByZone(1, 30)];
      const saved = t;
      // Midday in the meters' zone.
      let midday = NOW;
      while (local(new Date(midday), zone).hm !== "12:00") midday += 60_000;
      t = midday;
      let campaignId: string | undefined;
      try {
        const c = await fotaAllFailed("fota retry at midday", ids);
        campaignId = c.id;
        const r = await retryFailed({ campaignId: c.id }, users.operator, now());
        expect(r.meters).toBe(c.failed);
        expect(r.waves).toHaveLength(1);
        const wave = await env.db.campaignWave.findUniqueOrThrow({ where: { campaignId_index: { campaignId: c.id, index: r.waves[0]!.index } } });
        expect(wave.timezone).toBe(zone);
        expect(wave.size).toBe(c.failed);
        expect(wave.scheduledAt.getTime()).toBeGreaterThan(midday);
        const start = local(wave.scheduledAt, zone);
        const end = local(new Date(wave.scheduledAt.getTime() + 40 * 60_000 - 1), zone);
        expect(inNight(start.hm) && inNight(end.hm), `${start.hm}-${end.hm}`).toBe(true);
        expect(wave.scheduledAt.getTime()).toBeGreaterThanOrEqual(wave.windowStart!.getTime());
        expect(wave.scheduledAt.getTime() + 40 * 60_000).toBeLessThanOrEqual(wave.windowEnd!.getTime());
        expect(await env.db.campaignTarget.count({ where: { campaignId: c.id, state: "pending", wave: wave.index } })).toBe(c.failed);
        const hes = createSimulatorHes({ fleet, clock, latencyScale: 0 });
        const d = createDispatcher({ hes, now });
        // At midday nothing of the retry is sent.
        const tick = await d.tick();
        expect(await env.db.commandLog.count({ where: { campaignId: c.id } })).toBe(0);
        expect((await env.db.campaignWave.findUniqueOrThrow({ where: { id: wave.id } })).state).toBe("pending");
        expect(tick.nextWakeAt!.getTime()).toBeLessThanOrEqual(wave.scheduledAt.getTime());
        // In the window it starts.
        t = wave.scheduledAt.getTime();
        await d.tick();
        expect(await env.db.commandLog.count({ where: { campaignId: c.id } })).toBeGreaterThan(0);
        expect((await env.db.campaignWave.findUniqueOrThrow({ where: { id: wave.id } })).startedAt!.getTime()).toBe(wave.scheduledAt.getTime());
        await abortCampaign({ campaignId: c.id }, users.operator, now());
        campaignId = undefined;
        await d.drain();
      } finally {
        if (campaignId) await abortCampaign({ campaignId }, users.operator, now()).catch(() => {});
        t = saved;
      }
    });

    it("a retry of meters from two zones makes one wave per zone, each inside its own zone's window", async () => {
      const byZone = metersByZone(2, 15);
      expect(byZone.size).toBe(2);
      const c = await fotaAllFailed("fota retry two zones", [...byZone.values()].flat());
      try {
        const r = await retryFailed({ campaignId: c.id }, users.operator, now());
        expect(r.meters).toBe(c.failed);
        expect(r.waves).toHaveLength(2);
        const last = await env.db.campaignWave.findMany({ where: { campaignId: c.id, index: { in: r.waves.map((w) => w.index) } }, orderBy: { index: "asc" } });
        expect(last.map((w) => w.timezone).sort()).toEqual([...byZone.keys()].sort());
        const planned = await env.db.campaignWave.count({ where: { campaignId: c.id, index: { notIn: r.waves.map((w) => w.index) } } });
        expect(last.map((w) => w.index)).toEqual([planned, planned + 1]); // after the plan's waves
        let sizes = 0;
        for (const w of last) {
          const start = local(w.scheduledAt, w.timezone);
          const end = local(new Date(w.scheduledAt.getTime() + 40 * 60_000 - 1), w.timezone);
          expect(inNight(start.hm) && inNight(end.hm), `${w.timezone} ${start.hm}-${end.hm}`).toBe(true);
          expect(w.scheduledAt.getTime()).toBeGreaterThanOrEqual(Math.max(w.windowStart!.getTime(), NOW - 60_000));
          expect(w.scheduledAt.getTime() + 40 * 60_000).toBeLessThanOrEqual(w.windowEnd!.getTime());
          // Each wave holds exactly the failed meters of its zone.
          const targets = await env.db.campaignTarget.findMany({ where: { campaignId: c.id, wave: w.index }, select: { meterId: true, state: true } });
          expect(targets.length).toBe(w.size);
          expect(targets.every((x) => x.state === "pending" && byZone.get(w.timezone)!.includes(x.meterId))).toBe(true);
          sizes += w.size;
        }
        expect(sizes).toBe(c.failed);
      } finally {
        await abortCampaign({ campaignId: c.id }, users.operator, now());
      }
    });

    it("open campaigns of one job type count together toward its approval size", async () => {
      const ids = Array.from({ length: fleet.meters.count }, (_, i) => getMeterId(fleet, i));
      const make = (name: string, meters: string[]) =>
        createCampaign({ name, jobType: "fota", targetQuery: { meters }, options: { targetFirmware: pickTargetPair() }, creationKey: key() }, users.operator);
      const a = await make("fota part 1", ids.slice(0, 1500));
      const startedA = await startCampaign({ campaignId: a.id }, users.operator, now());
      const b = await make("fota part 2", ids.slice(1500, 3000));
      const startedB = await startCampaign({ campaignId: b.id }, users.operator, now());
      // Each alone is at most the limit; together they exceed it.
      expect(startedA.targetCount).toBeLessThanOrEqual(1000);
      expect(startedB.targetCount).toBeLessThanOrEqual(1000);
      expect(startedA.targetCount + startedB.targetCount).toBeGreaterThan(1000);
      expect(startedA.status).toBe("running");
      expect(startedB.status).toBe("awaiting_approval");
      await abortCampaign({ campaignId: a.id }, users.operator, now());
      await abortCampaign({ campaignId: b.id }, users.operator, now());
    });
  });
});
