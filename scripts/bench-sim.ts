// Prints simulator figures: fleet generation for 1 M meters, event lines per
// second in-process, and simulator head-end commands per second at latency 0.
// Run: npx tsx scripts/bench-sim.ts [meters=1000000] [lines=500000] [commands=100000]
import { createVirtualClock } from "@/lib/hes/adapter";
import { createSimulatorHes } from "@/lib/hes/simulator-hes";
import { createEventStream } from "@/lib/simulator/events";
import { generateFleet, getMeterId } from "@/lib/simulator/fleet";

const [meters = 1_000_000, lines = 500_000, commands = 100_000] = process.argv.slice(2).map(Number);
const now = Date.UTC(2026, 10, 25);

let t0 = performance.now();
const fleet = generateFleet({ meters, seed: "bench", now });
const genMs = performance.now() - t0;
const heapMb = process.memoryUsage().heapUsed / 1e6 + process.memoryUsage().arrayBuffers / 1e6;
console.log(`fleet: ${meters.toLocaleString("en")} meters, ${fleet.gateways.length} gateways in ${(genMs / 1000).toFixed(2)} s (~${heapMb.toFixed(0)} MB heap+buffers)`);

t0 = performance.now();
const stream = createEventStream({ fleet, seed: "bench", start: now, ratePerSec: 1000 });
const setupMs = performance.now() - t0;
t0 = performance.now();
let bytes = 0;
for (let k = 0; k < lines; k++) bytes += stream.next().value.line.length + 1;
const streamS = (performance.now() - t0) / 1000;
console.log(`events: ${(lines / streamS).toFixed(0)} lines/s, ${(bytes / 1e6 / streamS).toFixed(1)} MB/s (stream setup ${setupMs.toFixed(0)} ms over ${meters.toLocaleString("en")} meters)`);

async function benchHes(): Promise<void> {
const hes = createSimulatorHes({ fleet, seed: "bench", clock: createVirtualClock(now), latencyScale: 0 });
const statuses: Record<string, number> = {};
t0 = performance.now();
const batch = 1000;
for (let k = 0; k < commands; k += batch) {
  const out = await Promise.all(
    Array.from({ length: Math.min(batch, commands - k) }, (_, j) =>
      hes.sendCommand({ meterId: getMeterId(fleet, (k + j) % fleet.meters.count), step: "inspect", idempotencyKey: `b-${k + j}` }),
    ),
  );
  for (const o of out) statuses[o.status] = (statuses[o.status] ?? 0) + 1;
}
const hesS = (performance.now() - t0) / 1000;
console.log(`hes: ${(commands / hesS).toFixed(0)} commands/s at latency scale 0, batches of ${batch}; outcomes ${JSON.stringify(statuses)}`);
}

void benchHes();
