// Crash test: the dispatcher runs in a child process (tsx lib/testing/campaign-crash-child.ts) on the
// test's relational store (a PostgreSQL schema with AMI_TEST_DB=postgresql, else
// a PGlite directory) and is SIGKILLed mid-wave at least 10 times, restarted each
// time. The head-end is the simulator, served over HTTP from THIS process, so its
// record of applied commands per idempotency key outlives every kill - the same
// position a real head-end is in. At the end every target is in exactly one
// terminal state and no key was applied more than once.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { releaseDataLock } from "@/lib/server/data-lock";
import { closeDb, getDb } from "@/lib/db";
import { createSimulatorHes, type SimulatorHes } from "@/lib/hes/simulator-hes";
import { generateFleet } from "@/lib/simulator/fleet";
import { createCampaign, startCampaign } from "./service";
import { createTestUsers, openTestEnv, serveSimulatorHes, testDbKind, writeFleet, type TestEnv } from "@/lib/testing/env";

const repoRoot = path.resolve(__dirname, "../..");
const SEED = "crash-test";
const SIZE = 3000;
const FLEET_NOW = Date.UTC(2026, 10, 20, 0, 0, 0);

let env: TestEnv;
let hes: SimulatorHes;
let server: Awaited<ReturnType<typeof serveSimulatorHes>>;
let campaignId: string;
const sendsPerKey = new Map<string, number>();

beforeAll(async () => {
  env = await openTestEnv(testDbKind());
  const fleet = generateFleet({ meters: SIZE, seed: SEED, now: FLEET_NOW });
  await writeFleet(fleet, env, { heartbeatAt: Date.now() });
  const users = await createTestUsers(env.db);
  // Commands take ~300-700 ms of real time, so a kill lands while some are in flight.
  hes = createSimulatorHes({ fleet, latencyScale: 0.5 });
  const send = hes.sendCommand.bind(hes);
  hes.sendCommand = (cmd) => {
    sendsPerKey.set(cmd.idempotencyKey, (sendsPerKey.get(cmd.idempotencyKey) ?? 0) + 1);
    return send(cmd);
  };
  server = await serveSimulatorHes(hes);
  const c = await createCampaign(
    {
      name: "crash",
      // battery_audit: its findings (BATTERY_LOW, SUPERCAP_FAIL) become work orders in the
      // outcome's own statement, so the kills also test that neither is kept without the other.
      jobType: "battery_audit",
      targetQuery: {},
      // Gates are tested elsewhere; here every wave passes so the run reaches its end.
      options: { offPeak: null, soakMinutes: 0, waveSize: 100, canarySize: 5, thresholds: { successPct: 0, maxErrorPct: 100, onBreach: "pause", lastGaspPerMin: 100_000 } },
      creationKey: `crash${Date.now().toString(36)}`,
    },
    users.operator,
  );
  await startCampaign({ campaignId: c.id }, users.operator);
  campaignId = c.id;
  if (env.kind === "pglite") {
    // PGlite is single-process: hand the directory over to the children.
    await closeDb(env.db);
    releaseDataLock(env.dir);
  }
}, 300_000);

afterAll(async () => {
  await server?.close();
  await env?.cleanup();
});

function spawnChild(run: number): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  let out = "";
  const childEnv: Record<string, string> = { NODE_ENV: "test", PATH: process.env.PATH ?? "", DATA_DIR: env.dir, LOG_LEVEL: "warn" };
  if (env.databaseUrl) childEnv.DATABASE_URL = env.databaseUrl;
  // `node --import tsx` runs the script in THIS child: the tsx CLI would fork a grandchild that a SIGKILL misses.
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      path.join(__dirname, "../testing/campaign-crash-child.ts"),
      campaignId,
      server.url,
      path.join(env.dir, `ch-child-${run}`),
      SEED,
      String(SIZE),
      String(FLEET_NOW),
    ],
    {
      cwd: repoRoot,
      env: childEnv as unknown as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

describe(`dispatcher crash safety on ${testDbKind()}`, () => {
  it("survives 10+ SIGKILLs mid-wave: one terminal state per target, each key applied at most once", async () => {
    let kills = 0;
    let run = 0;
    let finished = false;
    while (!finished && run < 30) {
      const startedAt = Date.now();
      const { child, output, exited } = spawnChild(run++);
      if (kills < 12) {
        // Wait until this run has sent something, then kill it after a random slice of its work.
        const deadline = Date.now() + 60_000;
        while (!/sent \d+/.test(output()) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 25));
        if (child.exitCode === null) {
          await new Promise((r) => setTimeout(r, 50 + Math.floor(Math.random() * 400)));
          child.kill("SIGKILL");
          await exited;
          kills++;
          console.log(`[crash] run ${run} killed after ${Date.now() - startedAt} ms`);
          continue;
        }
      }
      const code = await Promise.race([exited, new Promise<number>((r) => setTimeout(() => r(-2), 240_000))]);
      expect(code, output()).toBe(0);
      finished = /done (completed|paused|aborted)/.test(output());
      console.log(`[crash] run ${run} ran to the end in ${Date.now() - startedAt} ms: ${output().slice(-600)}`);
    }
    expect(kills).toBeGreaterThanOrEqual(10);
    expect(finished).toBe(true);

    const db = getDb();
    const c = await db.campaign.findUniqueOrThrow({ where: { id: campaignId } });
    expect(c.status).toBe("completed");
    const byState = await db.campaignTarget.groupBy({ by: ["state"], where: { campaignId }, _count: { _all: true } });
    const states = Object.fromEntries(byState.map((r) => [r.state, r._count._all]));
    expect(states.pending ?? 0).toBe(0);
    expect(states.leased ?? 0).toBe(0);
    expect(states.sent ?? 0).toBe(0);
    const total = byState.reduce((a, r) => a + r._count._all, 0);
    expect(total).toBe(SIZE);
    expect(states.succeeded ?? 0).toBeGreaterThan(0);

    const logs = await db.commandLog.findMany({ where: { campaignId } });
    expect(logs.length).toBeGreaterThan(0);
    for (const l of logs) expect(hes.getAppliedCount(l.idempotencyKey), l.idempotencyKey).toBeLessThanOrEqual(1);
    // Keys the head-end saw are exactly keys logged before sending: nothing left without a log row.
    const logged = new Set(logs.map((l) => l.idempotencyKey));
    for (const k of sendsPerKey.keys()) expect(logged.has(k), k).toBe(true);
    // The kills did interrupt commands: some keys went out again after a restart and were deduplicated.
    const resent = [...sendsPerKey.values()].filter((n) => n > 1).length;
    expect(resent).toBeGreaterThan(0);
    // A succeeded target has exactly one applied command across all its keys.
    const succeeded = await db.campaignTarget.findMany({ where: { campaignId, state: "succeeded" }, select: { id: true } });
    const keysByTarget = new Map<string, string[]>();
    for (const l of logs) keysByTarget.set(l.targetId, [...(keysByTarget.get(l.targetId) ?? []), l.idempotencyKey]);
    for (const t of succeeded) {
      const applied = (keysByTarget.get(t.id) ?? []).reduce((a, k) => a + hes.getAppliedCount(k), 0);
      expect(applied).toBe(1);
    }
    // Each finding has exactly one follow-up work order, and no order exists without a finding.
    const findings = await db.campaignTarget.findMany({ where: { campaignId, state: "succeeded", lastCode: { not: null } }, select: { meterId: true } });
    const orders = await db.workOrder.findMany({ where: { campaignId }, select: { meterId: true, jobType: true } });
    expect(findings.length).toBeGreaterThan(0);
    expect(orders.map((o) => o.meterId).sort()).toEqual(findings.map((f) => f.meterId).sort());
    expect(new Set(orders.map((o) => o.jobType))).toEqual(new Set(["inspect"]));
    console.log(
      `[crash] ${env.kind}: ${kills} kills, ${run} runs, ${logs.length} keys, ${resent} resent after a crash, states ${JSON.stringify(states)}, ${orders.length} follow-up work orders`,
    );
  }, 900_000);
});
