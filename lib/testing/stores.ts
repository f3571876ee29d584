// Test-only: fresh, migrated stores for an integration test. Embedded
// PGlite in a temp dir by default; AMI_TEST_DB=postgresql uses TEST_DATABASE_URL
// (default 127.0.0.1:5432/test) with a schema of its own, dropped on close.
// chDB always gets its own temp dir.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { closeDb, createDb, runDbMigrations } from "@/lib/db";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { createClickHouse, type ClickHouse } from "@/lib/clickhouse/client";
import { runClickHouseMigrations } from "@/lib/clickhouse/migrate";

export interface TestStores {
  dir: string;
  db: PrismaClient;
  ch: ClickHouse;
  kind: "pglite" | "postgresql";
  close(): Promise<void>;
}

export async function openTestStores(opts: { clickhouse?: boolean } = {}): Promise<TestStores> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ami-test-"));
  // Test harness switch, not app configuration: lib/env.ts stays the only reader for the app.
  const wantPg = process.env.AMI_TEST_DB === "postgresql";
  const pgUrl = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
  const schema = `ami_test_${process.pid}_${Date.now().toString(36)}`;
  const db = wantPg ? createDb({ url: pgUrl, schema }) : createDb({ dataDir: dir });
  await runDbMigrations(db);
  const ch = opts.clickhouse === false ? (null as unknown as ClickHouse) : await createClickHouse({ path: path.join(dir, "ch") });
  if (ch) await runClickHouseMigrations(ch);
  return {
    dir,
    db,
    ch,
    kind: wantPg ? "postgresql" : "pglite",
    async close() {
      await closeDb(db).catch(() => {});
      if (ch) await ch.close().catch(() => {});
      if (wantPg) {
        const admin = new pg.Client({ connectionString: pgUrl });
        await admin.connect();
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
        await admin.end();
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
