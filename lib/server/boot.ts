// Start-up and shutdown of everything the server process owns: the data-dir
// lock, both engines and their migrations. Used by server.ts; CLI commands that
// need the engines call the same functions (and so meet the same lock).
import { acquireDataLock, releaseDataLock } from "@/lib/server/data-lock";
import { env } from "@/lib/env";
import { closeDb, getDb } from "@/lib/db";
import { runDbMigrations } from "@/lib/db/migrate";
import { closeClickHouse, getClickHouse } from "@/lib/clickhouse/client";
import { assertDeduplicationEnabled, runClickHouseMigrations } from "@/lib/clickhouse/migrate";

export function usesEmbeddedEngine(): boolean {
  return !env.DATABASE_URL || !env.CLICKHOUSE_URL;
}

export interface BootReport {
  relational: string[];
  analytics: string[];
}

/** Lock data/ (when an embedded engine is used), open both engines, apply migrations. */
export async function startEngines(log: (msg: string) => void = console.log): Promise<BootReport> {
  if (usesEmbeddedEngine()) acquireDataLock(env.DATA_DIR);
  getDb();
  const relational = await runDbMigrations();
  log(
    `[boot] relational store (${env.DATABASE_URL ? "postgresql" : "embedded pglite"}): ${relational.applied.length ? "applied " + relational.applied.join(", ") : "migrations up to date"}`,
  );
  getClickHouse();
  const analytics = await runClickHouseMigrations();
  await assertDeduplicationEnabled();
  log(
    `[boot] analytics store (${env.CLICKHOUSE_URL ? "clickhouse server" : "embedded chdb"}): ${analytics.applied.length ? "applied " + analytics.applied.join(", ") : "migrations up to date"}`,
  );
  return { relational: relational.applied, analytics: analytics.applied };
}

export async function stopEngines(): Promise<void> {
  await Promise.allSettled([closeDb(), closeClickHouse()]);
  releaseDataLock(env.DATA_DIR);
}
