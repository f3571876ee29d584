// Demo data for `npm run demo`: one user per role (passwords generated, printed
// once, and kept in data/demo-credentials.json, which never leaves data/) and a
// demo fleet with a steady stream of events.
import fs from "node:fs";
import { seedMaintenanceHistory } from "./maintenance-history";
import path from "node:path";
import { dataPaths, env } from "@/lib/env";
import { getDb } from "@/lib/db";
import { getClickHouse } from "@/lib/clickhouse/client";
import { createDefaultIngestSink } from "@/lib/clickhouse/queries/ingest";
import { markMetersTouched } from "@/lib/clickhouse/meter-state-current";
import { getIngestRuntime } from "../../ingest/runtime";
import { createDemoLiveWriter, seedDemoFleet, startDemoStream, type DemoStreamHandle } from "./fleet";
import { ROLES, type Role } from "@/lib/auth/permissions";
import { setSharedWorld } from "@/lib/simulator/world";
import { generatePassword } from "@/lib/auth/passwords";
import { createUser, findUserByEmail } from "@/lib/auth/users";

export interface DemoCredential {
  email: string;
  password: string;
  role: Role;
}

export function demoCredentialsPath(): string {
  return path.join(dataPaths().root, "demo-credentials.json");
}

export async function seedDemoUsers(log: (m: string) => void): Promise<DemoCredential[]> {
  const created: DemoCredential[] = [];
  for (const role of ROLES) {
    const email = `${role}@demo.ami`;
    if (await findUserByEmail(email)) continue;
    const password = generatePassword();
    await createUser({ email, name: `Demo ${role}`, role, password }, null);
    created.push({ email, password, role });
  }
  const file = demoCredentialsPath();
  if (created.length) {
    const previous: DemoCredential[] = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : [];
    const merged = [...previous.filter((p) => !created.some((c) => c.email === p.email)), ...created];
    fs.writeFileSync(file, JSON.stringify(merged, null, 2) + "\n", { mode: 0o600 });
    log("\n  Demo sign-ins (shown once; also kept in " + path.relative(process.cwd(), file) + "):");
    for (const c of created) log(`    ${c.role.padEnd(11)} ${c.email.padEnd(22)} ${c.password}`);
    log("");
  } else {
    log(`[demo] demo users exist; their passwords are in ${path.relative(process.cwd(), file)}`);
  }
  return created;
}

/** Lines per second of the live stream while the demo server runs (mostly heartbeats; faults follow the world's per-meter rates). */
export const DEMO_LIVE_RATE = 20;

export interface DemoHandle {
  /** Stop the live stream and flush its writer (call before the engines close). */
  stop(): Promise<void>;
}

/**
 * Demo users, then (if the fleet is empty) DEMO_METERS generated meters with
 * fifteen days of history, then a live stream until stop() or SIGTERM/SIGINT. The demo world
 * is shared (setSharedWorld), so the simulated head-end answers from the facts the stream reports.
 */
export async function seedDemo({ log }: { log: (m: string) => void }): Promise<DemoHandle> {
  await seedDemoUsers(log);
  const sink = createDefaultIngestSink();
  const seeded = await seedDemoFleet({ db: getDb(), ch: await getClickHouse(), sink, meters: env.DEMO_METERS, now: Date.now(), log });
  if (seeded.skipped) log(`[demo] fleet exists (${seeded.meters.toLocaleString("en")} meters); not seeding`);
  await seedMaintenanceHistory(getDb(), Date.now(), log).catch((err: unknown) => log(`[demo] maintenance history failed: ${err instanceof Error ? err.message : String(err)}`));
  setSharedWorld(seeded.world);
  const live = createDemoLiveWriter(sink, markMetersTouched, () => getIngestRuntime()?.writer ?? null);
  let stream: DemoStreamHandle | null = seeded.fleet ? startDemoStream({ fleet: seeded.fleet, world: seeded.world, ratePerSec: DEMO_LIVE_RATE, write: live.write, log }) : null;
  if (stream) log(`[demo] live stream: ${DEMO_LIVE_RATE} lines/s`);
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      await stream?.stop();
      stream = null;
      await live.writer.close(5_000).catch(() => {});
      await sink.close().catch(() => {});
    })());
  return { stop };
}
