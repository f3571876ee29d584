// Child process of the crash test (dispatcher-crash.int.test.ts): runs the
// dispatcher against the relational store named by DATABASE_URL or DATA_DIR and
// the simulator head-end served over HTTP by the test process, until the
// campaign settles. The test SIGKILLs it mid-wave and starts it again.
//   tsx lib/testing/campaign-crash-child.ts <campaignId> <hesUrl> <chDir> <fleetSeed> <fleetSize> <fleetNow>
import fs from "node:fs";
import { createClickHouse, setClickHouse } from "@/lib/clickhouse/client";
import { flushMeterStates } from "@/lib/clickhouse/meter-state-current";
import { runClickHouseMigrations } from "@/lib/clickhouse/migrate";
import { getDb } from "@/lib/db";
import { createHttpHes } from "@/lib/hes/http-hes";
import { generateFleet } from "@/lib/simulator/fleet";
import { createDispatcher } from "../campaigns/dispatcher";
import { writeFleet } from "@/lib/testing/env";

// Synchronous: process.exit() must not drop the last lines the test waits for.
const say = (line: string) => fs.writeSync(1, line + "\n");

async function main() {
  const [campaignId, hesUrl, chDir, seed, size, fleetNow] = process.argv.slice(2);
  if (!campaignId || !hesUrl || !chDir || !seed || !size || !fleetNow) throw new Error("usage: crash-child <campaignId> <hesUrl> <chDir> <seed> <size> <now>");
  // chDB binds one directory per process: each run gets its own, with the fleet dimensions preflight reads.
  const ch = await createClickHouse({ path: chDir, database: "ami", queryTimeoutMs: 30_000 });
  await runClickHouseMigrations(ch);
  setClickHouse(ch);
  const db = getDb();
  await writeFleet(generateFleet({ meters: Number(size), seed, now: Number(fleetNow) }), { db, ch }, { heartbeatAt: Date.now() });
  // Idle waits (retry backoff of minutes, lease expiry) are skipped by moving this clock forward.
  let offset = 0;
  const now = () => new Date(Date.now() + offset);
  const dispatcher = createDispatcher({ now, hes: createHttpHes({ url: hesUrl, timeoutMs: 2_000, abortGraceMs: 1_000 }), leaseMs: 1_500, commandTimeoutMs: 2_000, batchSize: 25 });
  say(`ready ${dispatcher.owner}`);
  for (;;) {
    const r = await dispatcher.tick();
    if (r.commands) say(`sent ${r.commands} stale ${r.staleResults}`);
    const c = await db.campaign.findUniqueOrThrow({ where: { id: campaignId }, select: { status: true, statusReason: true } });
    if (c.status !== "running") {
      say(`done ${c.status} ${c.statusReason ?? ""}`);
      break;
    }
    if (!r.commands && !r.decisions.length) {
      if (r.nextWakeAt && r.nextWakeAt > now()) offset += r.nextWakeAt.getTime() - now().getTime();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  // The dispatcher refreshes meter_state_current on a debounce: exiting with that chDB
  // query in flight ends the process by a signal instead of exit code 0.
  await flushMeterStates();
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
