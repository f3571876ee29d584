// npm run bench:campaigns - prints figures, asserts nothing.
//  1. planCampaign over 1 M meters (target <= 2 s)
//  2. dispatcher throughput against the simulator head-end (latency 0, idle waits
//     skipped by a virtual clock) on PGlite and on PostgreSQL (target >= 5 000 commands/s):
//     "fan-out" counts ticks that sent whole waves; "whole run" adds the retry tail, where
//     each jittered retry instant is a tick of its own (fixed cost per tick, few commands).
//  3. start/pause latency p50/p95 through the lib functions the actions call (permission check included)
// Each engine runs in its own child process (chDB binds one directory per process).
//   npx tsx scripts/bench-campaigns.ts [--engine pglite|postgresql] [--meters 20000] [--campaigns 20]
import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};

function p(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

async function benchPlan() {
  const { planCampaign } = await import("../lib/scheduling/plan");
  const { createMeter } = await import("../lib/scheduling/meter-factory");
  const zones = ["Europe/Berlin", "Europe/London", "America/Denver", "America/New_York"];
  const meters = Array.from({ length: 1_000_000 }, (_, i) =>
    createMeter({ id: `EM-${String(i + 1).padStart(7, "0")}`, gatewayId: `GW-${String(i % 5000).padStart(4, "0")}`, timezone: zones[i % zones.length]!, snr: 15 + (i % 20) }),
  );
  const gateways: Record<string, { maxConcurrentSessions: number }> = {};
  for (let g = 0; g < 5000; g++) gateways[`GW-${String(g).padStart(4, "0")}`] = { maxConcurrentSessions: 16 };
  const times: number[] = [];
  let waves = 0;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    const plan = planCampaign({ jobType: "fw_verify", meters, gateways, options: { offPeak: null } }, new Date("2026-11-20T12:00:00Z"));
    times.push(performance.now() - t0);
    waves = plan.summary.waveCount;
  }
  console.log(`plan 1 000 000 meters (fw_verify, 5 000 gateways, 4 zones): ${waves} waves; runs ${times.map((t) => (t / 1000).toFixed(2)).join(" / ")} s (target <= 2 s)`);
}

async function benchEngine(engine: "pglite" | "postgresql") {
  const { openTestEnv, writeFleet, createTestUsers } = await import("../lib/campaigns/test-support");
  const env = await openTestEnv(engine, { pgUrl: process.env.TEST_DATABASE_URL });
  try {
    const { generateFleet } = await import("../lib/simulator/fleet");
    const { createSimulatorHes } = await import("../lib/hes/simulator-hes");
    const { createDispatcher } = await import("../lib/campaigns/dispatcher");
    const { createCampaign, startCampaign, pauseCampaign, resumeCampaign, abortCampaign } = await import("../lib/campaigns/service");
    const meterCount = Number(arg("meters", "20000"));
    const campaignCount = Number(arg("campaigns", "20"));
    const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);
    const fleet = generateFleet({ meters: meterCount, seed: "bench-campaigns", now: NOW });
    const rows = await writeFleet(fleet, env, { heartbeatAt: NOW });
    const users = await createTestUsers(env.db);
    let t = NOW;
    const now = () => new Date(t);
    const hes = createSimulatorHes({ fleet, latencyScale: 0, clock: { now: () => t, sleep: () => new Promise((r) => setImmediate(r)) } });
    const options = { offPeak: null, soakMinutes: 0, canarySize: 0, waveSize: 100, thresholds: { successPct: 0, maxErrorPct: 100, onBreach: "pause" as const, lastGaspPerMin: 1e9 } };

    // Several campaigns at once: waves of one campaign run one after the other by design.
    const ids = rows.map((r) => r.meter);
    const per = Math.ceil(ids.length / campaignCount);
    for (let k = 0; k < campaignCount; k++) {
      const c = await createCampaign({ name: `bench ${k}`, jobType: "fw_verify", targetQuery: { meters: ids.slice(k * per, (k + 1) * per) }, options, creationKey: `bench${k}${Date.now().toString(36)}` }, users.operator);
      await startCampaign({ campaignId: c.id }, users.operator, now());
    }
    const scheduled = await env.db.campaignTarget.count({ where: { state: "pending" } });
    for (const withAudit of [false, true]) {
      if (withAudit) {
        // Second pass on fresh campaigns, with the ClickHouse step lines written.
        await env.db.campaign.updateMany({ where: { status: "completed" }, data: { status: "aborted" } });
        for (let k = 0; k < campaignCount; k++) {
          const c = await createCampaign({ name: `bench audit ${k}`, jobType: "fw_verify", targetQuery: { meters: ids.slice(k * per, (k + 1) * per) }, options, creationKey: `bencha${k}${Date.now().toString(36)}` }, users.operator);
          await startCampaign({ campaignId: c.id }, users.operator, now());
        }
      }
      const d = createDispatcher({ hes, now, writeAuditLines: withAudit, batchSize: 2000 });
      let commands = 0;
      let ticks = 0;
      // "Fan-out": ticks that found at least a wave's worth of due targets (first attempts of
      // whole waves); the rest is the retry tail, where a tick sends the few retries due at one instant.
      let fanCommands = 0;
      let fanMs = 0;
      const t0 = performance.now();
      for (let i = 0; i < 100_000; i++) {
        const t1 = performance.now();
        const r = await d.tick();
        ticks++;
        commands += r.commands;
        if (r.commands >= 100) {
          fanCommands += r.commands;
          fanMs += performance.now() - t1;
        }
        if (r.runningCampaigns === 0) break;
        if (r.commands === 0 && r.decisions.length === 0) t = r.nextWakeAt ? Math.max(t + 1, r.nextWakeAt.getTime()) : t + 1000;
      }
      const s = (performance.now() - t0) / 1000;
      const label = withAudit ? "with" : "without";
      console.log(`${engine}: dispatcher ${label} ClickHouse step lines, fan-out ticks: ${fanCommands} commands in ${(fanMs / 1000).toFixed(1)} s = ${Math.round(fanCommands / (fanMs / 1000))} commands/s (target >= 5 000)`);
      console.log(`${engine}: dispatcher ${label} ClickHouse step lines, whole run incl. retry tail: ${commands} commands (${scheduled} scheduled, ${campaignCount} campaigns, waves of 100) in ${ticks} ticks, ${s.toFixed(1)} s = ${Math.round(commands / s)} commands/s`);
    }

    // Action latency: the lib functions the actions call, permission check included.
    const gw = fleet.gateways[0]!.id;
    const start: number[] = [];
    const pause: number[] = [];
    for (let i = 0; i < 30; i++) {
      const c = await createCampaign({ name: `lat ${i}`, jobType: "fw_verify", targetQuery: { gw }, options, creationKey: `lat${i}${Date.now().toString(36)}` }, users.operator);
      let t1 = performance.now();
      await startCampaign({ campaignId: c.id }, users.operator, now());
      start.push(performance.now() - t1);
      t1 = performance.now();
      await pauseCampaign({ campaignId: c.id }, users.operator);
      pause.push(performance.now() - t1);
      await resumeCampaign({ campaignId: c.id }, users.operator, now());
      await abortCampaign({ campaignId: c.id }, users.operator, now());
    }
    console.log(`${engine}: start (resolve ${fleet.gateways[0]!.meterCount} meters in ClickHouse, plan, freeze) p50 ${p(start, 0.5).toFixed(0)} ms p95 ${p(start, 0.95).toFixed(0)} ms; pause p50 ${p(pause, 0.5).toFixed(1)} ms p95 ${p(pause, 0.95).toFixed(1)} ms`);
  } finally {
    await env.cleanup();
  }
}

async function main() {
  const engine = arg("engine", "");
  if (engine === "pglite" || engine === "postgresql") return benchEngine(engine);
  console.log(`bench:campaigns on ${os.cpus().length} cores, node ${process.version}`);
  await benchPlan();
  for (const e of ["pglite", "postgresql"]) {
    const r = spawnSync(process.execPath, ["--import", "tsx", path.join(__dirname, "bench-campaigns.ts"), "--engine", e, ...args], { stdio: "inherit", env: { ...process.env, NODE_ENV: "test" } });
    if (r.status !== 0) console.log(`${e}: bench failed (exit ${r.status})`);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
