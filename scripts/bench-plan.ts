// Times planCampaign on a synthetic fleet and prints the figures.
// Usage: npx tsx scripts/bench-plan.ts [meters=1000000] [jobType=fota]
import { createCatalogue, createFleet } from "../lib/scheduling/meter-factory";
import { planCampaign } from "../lib/scheduling/plan";
import type { JobType } from "../lib/scheduling/job-types";

const count = Number(process.argv[2] ?? 1_000_000);
const jobType = (process.argv[3] ?? "fota") as JobType;
const now = new Date("2026-03-01T12:00:00Z");
const zones = ["Europe/Berlin", "America/Denver", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "Europe/London"];

const t0 = performance.now();
const { meters, gateways } = createFleet(count, { timezones: zones, gatewaysPerZone: 200, maxConcurrentSessions: 10 });
// One meter in 20 fails preflight (weak link), so exclusions are part of the cost.
for (let i = 0; i < meters.length; i += 20) meters[i].snr = 10;
const t1 = performance.now();
const catalogue = createCatalogue({
  compatibility: [{ metrology: "1.1.0", comms: "2.1.0" }],
});
const runs: number[] = [];
const cpu: number[] = [];
let plan;
for (let r = 0; r < 3; r++) {
  const s = performance.now();
  const c = process.cpuUsage();
  plan = planCampaign(
    {
      jobType,
      meters,
      gateways,
      catalogue,
      options: { waveSize: 100, blackoutDates: ["2026-12-24", "2026-12-25"], targetFirmware: { metrology: "1.1.0", comms: "2.1.0" } },
    },
    now,
  );
  runs.push(performance.now() - s);
  const used = process.cpuUsage(c);
  cpu.push((used.user + used.system) / 1000);
}
const p = plan!;
console.log(`fleet build: ${(t1 - t0).toFixed(0)} ms for ${count} meters in ${zones.length} zones`);
console.log(`planCampaign(${jobType}) runs ms: ${runs.map((x) => x.toFixed(0)).join(", ")}  (best ${Math.min(...runs).toFixed(0)} ms)`);
console.log(`  cpu ms (this process, all threads incl. GC): ${cpu.map((x) => x.toFixed(0)).join(", ")}`);
console.log(`waves ${p.summary.waveCount} (canary waves ${p.summary.canaryWaveCount}), scheduled ${p.summary.scheduledMeters}, excluded ${p.summary.excludedMeters}`);
console.log(
  `ETA ${p.summary.eta}, max in flight ${p.summary.blastRadius.maxMetersInFlight}, max gateway share ${(100 * (p.summary.blastRadius.maxGatewayShare?.share ?? 0)).toFixed(2)}%`,
);
console.log(`heap used ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB`);
