// Prints simulator figures: fleet generation for 1 M meters, event lines per
// second in-process, and simulator head-end commands per second at latency 0.
// Run: npx tsx scripts/bench-sim.ts [meters=1000000] [lines=500000] [commands=100000]
//   [--prisma N]  also write an N-meter fleet into a fresh PGlite + chDB (lib/fleet/generate.ts)
//   [--demo N]    also time the demo seed (fleet + 24 h history through the ingest writer) for N meters
import { createVirtualClock } from "@/lib/hes/adapter";
import { createSimulatorHes } from "@/lib/hes/simulator-hes";
import { createEventStream } from "@/lib/simulator/events";
import { generateFleet, getMeterId } from "@/lib/simulator/fleet";

const argv = process.argv.slice(2);
const flag = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv.splice(i, 2)[1]) : 0;
};
const prismaMeters = flag("--prisma");
const demoMeters = flag("--demo");
const [meters = 1_000_000, lines = 500_000, commands = 100_000] = argv.map(Number);
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
console.log(
  `events: ${(lines / streamS).toFixed(0)} lines/s, ${(bytes / 1e6 / streamS).toFixed(1)} MB/s (stream setup ${setupMs.toFixed(0)} ms over ${meters.toLocaleString("en")} meters)`,
);

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

/** Fresh temp stores, migrated: the figures include no server and no other data. */
async function openBenchStores() {
  const fs = await import("node:fs");
  const os = await import("node:os");
  const path = await import("node:path");
  const { createDb, runDbMigrations, closeDb } = await import("@/lib/db");
  const { createClickHouse } = await import("@/lib/clickhouse/client");
  const { runClickHouseMigrations } = await import("@/lib/clickhouse/migrate");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ami-bench-fleet-"));
  const db = createDb({ dataDir: dir });
  await runDbMigrations(db);
  const ch = await createClickHouse({ path: path.join(dir, "ch") });
  await runClickHouseMigrations(ch);
  return {
    dir,
    db,
    ch,
    async close() {
      await closeDb(db);
      await ch.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function benchPrismaWrite(n: number): Promise<void> {
  const { writeGeneratedFleet } = await import("@/lib/fleet/generate");
  const s = await openBenchStores();
  try {
    const t = performance.now();
    const f = generateFleet({ meters: n, seed: "bench", now });
    const gen = performance.now() - t;
    const r = await writeGeneratedFleet({ fleet: f, db: s.db, ch: s.ch });
    console.log(
      `fleet write: ${n.toLocaleString("en")} meters: generator ${(gen / 1000).toFixed(1)} s, Prisma/PGlite ${(r.prismaMs / 1000).toFixed(1)} s (${Math.round(n / (r.prismaMs / 1000)).toLocaleString("en")} meters/s), ClickHouse copy ${(r.clickhouseMs / 1000).toFixed(1)} s`,
    );
    const t2 = performance.now();
    const r2 = await writeGeneratedFleet({ fleet: f, db: s.db, ch: s.ch });
    console.log(
      `fleet re-write (idempotent upsert): Prisma/PGlite ${(r2.prismaMs / 1000).toFixed(1)} s, ClickHouse ${(r2.clickhouseMs / 1000).toFixed(1)} s, total ${((performance.now() - t2) / 1000).toFixed(1)} s`,
    );
  } finally {
    await s.close();
  }
}

async function benchDemo(n: number): Promise<void> {
  const path = await import("node:path");
  const { seedDemoFleet } = await import("@/lib/demo/fleet");
  const { createIngestSink } = await import("@/lib/clickhouse/queries/ingest");
  const s = await openBenchStores();
  const sink = createIngestSink({ chdbPath: path.join(s.dir, "ch"), database: s.ch.database });
  try {
    const r = await seedDemoFleet({ db: s.db, ch: s.ch, sink, meters: n, now: Date.now() });
    const ms = Object.fromEntries(Object.entries(r.ms).map(([k, v]) => [k, (v / 1000).toFixed(1) + " s"]));
    console.log(`demo seed: ${n.toLocaleString("en")} meters, ${r.accepted.toLocaleString("en")} history lines: ${JSON.stringify(ms)}`);
  } finally {
    await sink.close();
    await s.close();
  }
}

void (async () => {
  await benchHes();
  if (prismaMeters) await benchPrismaWrite(prismaMeters);
  if (demoMeters) await benchDemo(demoMeters);
})();
