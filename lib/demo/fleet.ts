// The demo fleet: generated meters in both stores, fifteen days of audit history
// through the ingest writer from the demo world (a quiet fleet with three incidents:
// interference on GW-0042, a bad firmware pair on one model, a storm over one zone),
// and a live stream from the same world while the server runs. Seeded only when the fleet is empty.
import type { PrismaClient } from "@/lib/generated/prisma/client";
import type { ClickHouse } from "@/lib/clickhouse/client";
import type { IngestSink } from "@/lib/clickhouse/queries/ingest";
import { rebuildMeterStates } from "@/lib/clickhouse/meter-state-current";
import { writeGeneratedFleet } from "@/lib/fleet/generate";
import { createEventStream } from "@/lib/simulator/events";
import { generateFleet, type Fleet } from "@/lib/simulator/fleet";
import { createDemoWorld, DEMO_HISTORY_MS, describeDemoIncidents, type DemoIncidents } from "@/lib/simulator/demo-world";
import type { World } from "@/lib/simulator/world";
import { createIngestWriter, type IngestWriter } from "../../ingest/writer";
import { registerSource, type SourceReporter } from "../../ingest/status";

export const DEMO_SEED = "ami-demo";
const HOUR = 3_600_000;

/**
 * History volume over the fifteen days: ~28 lines per meter (mostly heartbeats; faults are
 * per meter per day, so their rates do not depend on this), 60k..560k lines, plus the roll
 * call. Seeding time grows with it (bench:demo).
 */
export function demoHistoryLines(meters: number): number {
  return Math.max(60_000, Math.min(560_000, meters * 28));
}

/** Where the demo's incidents are in this fleet (gateway, model, zone, times), for tests and the log. */
export function demoIncidents(fleet: Fleet, now: number): DemoIncidents {
  return describeDemoIncidents(fleet, now);
}

export interface SeedDemoFleetOptions {
  db: PrismaClient;
  ch: ClickHouse;
  sink: IngestSink;
  meters: number;
  now: number;
  historyMs?: number;
  historyLines?: number;
  log?: (m: string) => void;
}

export interface SeedDemoFleetResult {
  skipped: boolean;
  fleet: Fleet | null;
  /** The world the history was drawn from; the live stream and the simulated head-end read it too. */
  world: World | null;
  meters: number;
  gateways: number;
  lines: number;
  accepted: number;
  refused: number;
  ms: { generate: number; prisma: number; clickhouse: number; history: number; total: number };
}

/** Seed when the fleet is empty; otherwise return quickly with skipped = true (fleet regenerated for the live stream). */
export async function seedDemoFleet(opts: SeedDemoFleetOptions): Promise<SeedDemoFleetResult> {
  const { db, ch, sink, meters, now, log = () => {} } = opts;
  const historyMs = opts.historyMs ?? DEMO_HISTORY_MS;
  const t0 = performance.now();
  const existing = await db.meter.count();
  const fleet = generateFleet({ meters, seed: DEMO_SEED, now });
  const world = createDemoWorld(fleet, now);
  const generate = performance.now() - t0;
  const ms = { generate, prisma: 0, clickhouse: 0, history: 0, total: 0 };
  if (existing > 0) {
    ms.total = performance.now() - t0;
    return { skipped: true, fleet, world, meters: existing, gateways: fleet.gateways.length, lines: 0, accepted: 0, refused: 0, ms };
  }
  log(`[demo] writing a demo fleet of ${meters.toLocaleString("en")} meters (seed "${DEMO_SEED}")`);
  const written = await writeGeneratedFleet({ fleet, db, ch, log });
  ms.prisma = written.prismaMs;
  ms.clickhouse = written.clickhouseMs;

  const lines = opts.historyLines ?? demoHistoryLines(meters);
  const t1 = performance.now();
  const history = await writeHistory({ world, sink, lines, start: now - historyMs, end: now });
  await rebuildMeterStates(ch);
  ms.history = performance.now() - t1;
  ms.total = performance.now() - t0;
  const inc = demoIncidents(fleet, now);
  log(
    `[demo] fleet ready: ${meters.toLocaleString("en")} meters, ${fleet.gateways.length} gateways, ${history.accepted.toLocaleString("en")} history lines over ${Math.round(historyMs / 86_400_000)} days ` +
      `(fleet ${((ms.generate + ms.prisma + ms.clickhouse) / 1000).toFixed(1)} s, history ${(ms.history / 1000).toFixed(1)} s); ` +
      `incidents: interference near ${inc.gateway}, ${inc.pair.metrology}+${inc.pair.comms} on ${inc.model}, storm over ${inc.zone}`,
  );
  return { skipped: false, fleet, world, meters, gateways: fleet.gateways.length, lines, ...history, ms };
}

const BATCH = 25_000;
const ROLL_CALL_MS = 6 * HOUR;

async function writeHistory(input: { world: World; sink: IngestSink; lines: number; start: number; end: number }) {
  const { world, sink, lines, start, end } = input;
  const writer = createIngestWriter({ sink, maxQueuedRows: 100_000 });
  const stream = createEventStream({ fleet: world.fleet, world, density: "fleet", seed: DEMO_SEED, start, ratePerSec: lines / ((end - start) / 1000), scenario: "none" });
  let accepted = 0;
  let refused = 0;
  let position = 0;
  const pending: Promise<unknown>[] = [];
  let batch: string[] = [];
  const flush = () => {
    if (!batch.length) return;
    const positions = batch.map((_, i) => position + i);
    // Deterministic token per batch: a seed interrupted and re-run lands each batch once.
    const p = writer.write({ source: "demo:history", token: `demo:history:${start}:${position}`, idPrefix: "demo:history#", lines: batch, positions }).then((r) => {
      accepted += r.accepted;
      refused += r.refused;
    });
    pending.push(p);
    position += batch.length;
    batch = [];
  };
  for (const ev of stream) {
    if (ev.ts >= end) break;
    batch.push(ev.line);
    if (batch.length >= BATCH) {
      flush();
      // Keep at most two batches in flight: parsing of the next overlaps the insert of the previous.
      if (pending.length >= 2) await pending.shift();
    }
  }
  // Every meter's daily read in the last hours: none looks stale for want of lines.
  for (const ev of stream.rollCall(end, ROLL_CALL_MS)) {
    batch.push(ev.line);
    if (batch.length >= BATCH) {
      flush();
      if (pending.length >= 2) await pending.shift();
    }
  }
  flush();
  await Promise.all(pending);
  await writer.close();
  return { accepted, refused };
}

export interface DemoStreamHandle {
  stop(): Promise<void>;
  stats(): { lines: number };
}

/**
 * A steady live stream: every second, the lines whose event time has come are
 * handed to `write` (the server's ingest writer, or a writer of its own).
 */
export function startDemoStream(opts: {
  fleet: Fleet;
  /** The world the lines describe (the demo's, shared with the simulated head-end); none: chronic causes only. */
  world?: World | null;
  ratePerSec: number;
  write: (lines: string[]) => Promise<unknown>;
  now?: () => number;
  log?: (m: string) => void;
}): DemoStreamHandle {
  const now = opts.now ?? Date.now;
  const start = now();
  const stream = createEventStream({
    fleet: opts.fleet,
    world: opts.world ?? undefined,
    density: opts.world ? "fleet" : "dense",
    seed: `${DEMO_SEED}:live:${start}`,
    start,
    ratePerSec: opts.ratePerSec,
    scenario: "none",
  });
  let next = stream.next().value;
  let stopped = false;
  let total = 0;
  let inFlight: Promise<unknown> = Promise.resolve();
  let warned = false;
  const tick = async () => {
    const until = now();
    const lines: string[] = [];
    while (next.ts <= until && lines.length < opts.ratePerSec * 10) {
      lines.push(next.line);
      next = stream.next().value;
    }
    if (!lines.length) return;
    total += lines.length;
    inFlight = opts.write(lines).catch((err: unknown) => {
      if (!stopped && !warned) opts.log?.(`[demo] live stream write failed: ${(err as Error).message}`);
      warned = true;
    });
    await inFlight;
  };
  let running = false;
  const timer = setInterval(() => {
    if (stopped || running) return;
    running = true;
    void tick().finally(() => {
      running = false;
    });
  }, 1000);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await inFlight;
    },
    stats: () => ({ lines: total }),
  };
}

const METER_IN_LINE = /(?:meter=|"meter":")((?:EM|GM|WM)-[0-9]{4,10})/;

/**
 * The live stream's write function: through the server's one ingest writer
 * (getIngestRuntime, so live events and the tracker see the lines) once ingest
 * has started, through a writer of the demo's own before that. Touched meters
 * are marked for the meter_state_current refresh. Its lines are counted as the source
 * "demo:live" on the Ingest page (they come through no file, HTTP or MQTT source).
 */
export function createDemoLiveWriter(
  sink: IngestSink,
  onCommitted: (meters: string[]) => void,
  getRuntimeWriter: () => IngestWriter | null = () => null,
  reporter: SourceReporter = registerSource("demo:live", "demo"),
): { writer: IngestWriter; write: (lines: string[]) => Promise<unknown> } {
  const own = createIngestWriter({ sink });
  reporter.setState("running", "simulated head-end of npm run demo");
  let position = 0;
  const startedAt = Date.now();
  return {
    writer: own,
    write: async (lines) => {
      const positions = lines.map((_, i) => position + i);
      position += lines.length;
      const writer = getRuntimeWriter() ?? own;
      let result;
      try {
        result = await writer.write({ source: "demo:live", token: `demo:live:${startedAt}:${positions[0]}`, idPrefix: `demo:live:${startedAt}#`, lines, positions });
      } catch (err) {
        reporter.recordError(err);
        throw err;
      }
      reporter.recordBatch(result);
      const meters = new Set<string>();
      for (const l of lines) {
        const m = METER_IN_LINE.exec(l);
        if (m) meters.add(m[1]!);
      }
      onCommitted([...meters]);
      return result;
    },
  };
}
