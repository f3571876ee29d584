// Migrations through the wasm schema engine against real engines: embedded
// PGlite in a temp DATA_DIR and PostgreSQL at 127.0.0.1:5432/test (a schema
// of its own per run, dropped afterwards). PostgreSQL being down is a failure.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { closeDb, createDb, dbKind, getDbVersion } from "./client";
import { createDbMigration, diffDbMigrations } from "./create-migration";
import { listAppliedDbMigrations, listDbMigrationFiles, runDbMigrations } from "./migrate";

const repoRoot = path.resolve(__dirname, "../..");
const repoSchema = path.join(repoRoot, "prisma", "schema.prisma");
const repoMigrations = path.join(repoRoot, "prisma", "migrations");
const tsxCli = path.join(repoRoot, "node_modules", "tsx", "dist", "cli.mjs");
const PG_URL = "postgresql://postgres@127.0.0.1:5432/test";

const EXPECTED_TABLES = [
  "Account",
  "ActivityEvent",
  "Alert",
  "AlertEvent",
  "AlertRule",
  "ApiIdempotencyKey",
  "ApiToken",
  "Campaign",
  "CampaignTarget",
  "CampaignWave",
  "ClimateZone",
  "CommandLog",
  "CrewCapacity",
  "FirmwareCompatibility",
  "FirmwareImage",
  "Gateway",
  "IngestToken",
  "LoginThrottle",
  "MaintenanceDueItem",
  "MaintenancePlanRun",
  "Meter",
  "MeterConstantChange",
  "Notification",
  "NotificationChannel",
  "PreventivePlan",
  "SavedSearch",
  "Session",
  "Silence",
  "User",
  "VerificationToken",
  "WorkOrder",
  "_prisma_migrations",
];

const tmpDirs: string[] = [];
function makeTmpDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A copy of prisma/ that a test may change freely. */
function copyPrismaFolder(): { root: string; schema: string; migrations: string } {
  const root = makeTmpDir("ami-prisma-");
  fs.cpSync(path.join(repoRoot, "prisma"), path.join(root, "prisma"), { recursive: true });
  return { root, schema: path.join(root, "prisma", "schema.prisma"), migrations: path.join(root, "prisma", "migrations") };
}

function runTsx(script: string, args: string[], opts: { cwd: string; env?: Record<string, string> }) {
  return spawnSync(process.execPath, [tsxCli, "--tsconfig", path.join(repoRoot, "tsconfig.json"), script, ...args], {
    cwd: opts.cwd,
    env: { NODE_ENV: "test", ...opts.env },
    encoding: "utf8",
    timeout: 90_000,
  });
}

async function listTables(db: PrismaClient): Promise<string[]> {
  const rows = await db.$queryRaw<{ name: string }[]>`
    SELECT table_name AS name FROM information_schema.tables
    WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`;
  return rows.map((r) => r.name);
}

/** The shared contract every backend must satisfy. */
function describeMigrations(kind: "pglite" | "postgresql", open: () => Promise<PrismaClient>) {
  describe(`migrations on ${kind}`, () => {
    let db: PrismaClient;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(async () => {
      if (db) await closeDb(db);
    });

    it("applies every migration on an empty database, then nothing on the second run", async () => {
      expect(dbKind(db)).toBe(kind);
      expect(await listAppliedDbMigrations(db)).toEqual([]);

      const first = await runDbMigrations(db, { migrationsDir: repoMigrations });
      expect(first.applied).toEqual(listDbMigrationFiles(repoMigrations));
      expect(first.applied.length).toBeGreaterThan(0);

      const second = await runDbMigrations(db, { migrationsDir: repoMigrations });
      expect(second.applied).toEqual([]);

      const applied = await listAppliedDbMigrations(db);
      expect(applied.map((m) => m.name)).toEqual(first.applied);
      expect(applied.every((m) => m.appliedAt instanceof Date)).toBe(true);
      expect(await listTables(db)).toEqual(EXPECTED_TABLES);
    });

    it("creates and reads a User through Prisma", async () => {
      const email = `tech-${Date.now()}@example.test`;
      const created = await db.user.create({ data: { email, name: "Field Tech", passwordHash: "x", role: "technician" } });
      const read = await db.user.findUniqueOrThrow({ where: { email } });
      expect(read).toMatchObject({ id: created.id, email, name: "Field Tech", role: "technician", disabled: false });
      expect(read.createdAt).toBeInstanceOf(Date);
      await expect(db.user.create({ data: { email, role: "viewer" } })).rejects.toThrow(/Unique constraint/i);
    });

    it("keeps ActivityEvent append-only", async () => {
      const event = await db.activityEvent.create({
        data: { action: "auth.login", target: "someone@example.test", outcome: "failed", ip: "10.0.0.9", details: { reason: "bad password" } },
      });
      expect(event.at).toBeInstanceOf(Date);
      await expect(db.activityEvent.update({ where: { id: event.id }, data: { outcome: "ok" } })).rejects.toThrow(/append-only/);
      await expect(db.activityEvent.delete({ where: { id: event.id } })).rejects.toThrow(/append-only/);
      expect(await db.activityEvent.count({ where: { id: event.id, outcome: "failed" } })).toBe(1);
    });

    it("reports its server version", async () => {
      expect(await getDbVersion(db)).toMatch(/PostgreSQL \d+/);
    });
  });
}

describeMigrations("pglite", async () => createDb({ dataDir: makeTmpDir("ami-db-") }));

const pgSchema = `ami_test_${process.pid}_${Date.now().toString(36)}`;
describeMigrations("postgresql", async () => {
  const probe = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000 });
  try {
    await probe.connect();
  } catch (err) {
    throw new Error(`PostgreSQL at ${PG_URL} is unreachable (${(err as Error).message}); start it before running integration tests`, { cause: err });
  } finally {
    await probe.end().catch(() => {});
  }
  return createDb({ url: `${PG_URL}?schema=${pgSchema}` });
});
afterAll(async () => {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect().catch(() => undefined);
  await admin.query(`DROP SCHEMA IF EXISTS "${pgSchema}" CASCADE`).catch(() => undefined);
  await admin.end().catch(() => undefined);
});

describe("migration files", () => {
  it("schema.prisma and prisma/migrations agree (the create command reports no changes)", async () => {
    expect(await diffDbMigrations(repoSchema, repoMigrations)).toBe("");
    const copy = copyPrismaFolder();
    const run = runTsx(path.join(repoRoot, "scripts", "db-migration-create.ts"), ["--name", "nothing"], { cwd: copy.root });
    expect(run.stderr).toBe("");
    expect(run.stdout).toMatch(/no changes/);
    expect(run.status).toBe(0);
    expect(fs.readdirSync(copy.migrations).sort()).toEqual(fs.readdirSync(repoMigrations).sort());
  });

  it("adds a later migration and applies only that one to a migrated database", async () => {
    const copy = copyPrismaFolder();
    const db = createDb({ dataDir: makeTmpDir("ami-db-") });
    try {
      const before = await runDbMigrations(db, { migrationsDir: copy.migrations });
      fs.appendFileSync(
        copy.schema,
        `\nmodel MaintenanceNote {\n  id        String   @id @default(cuid())\n  body      String\n  createdAt DateTime @default(now()) @db.Timestamptz(3)\n}\n`,
      );
      const created = await createDbMigration({
        name: "Add maintenance notes!",
        schemaPath: copy.schema,
        migrationsDir: copy.migrations,
        now: new Date("2030-01-02T03:04:05Z"),
      });
      expect(created.created).toBe("20300102030405_add_maintenance_notes");
      expect(created.sql).toMatch(/CREATE TABLE "MaintenanceNote"/);
      expect(fs.readFileSync(path.join(copy.migrations, created.created!, "migration.sql"), "utf8")).toBe(created.sql);

      const again = await createDbMigration({ name: "again", schemaPath: copy.schema, migrationsDir: copy.migrations });
      expect(again.created).toBeNull();

      const after = await runDbMigrations(db, { migrationsDir: copy.migrations });
      expect(after.applied).toEqual(["20300102030405_add_maintenance_notes"]);
      expect((await listAppliedDbMigrations(db)).map((m) => m.name)).toEqual([...before.applied, created.created]);
      expect(await listTables(db)).toContain("MaintenanceNote");
    } finally {
      await closeDb(db);
    }
  });

  it("the activity_trail migration renames AuditEvent to ActivityEvent keeping its rows and its append-only trigger", async () => {
    const copy = copyPrismaFolder();
    const rename = "20261208021500_activity_trail";
    const parked = path.join(copy.root, rename);
    fs.renameSync(path.join(copy.migrations, rename), parked);
    const db = createDb({ dataDir: makeTmpDir("ami-db-") });
    try {
      await runDbMigrations(db, { migrationsDir: copy.migrations });
      await db.$executeRaw`INSERT INTO "AuditEvent" ("id", "action", "target", "outcome", "ip") VALUES ('evt-before-rename', 'user.create', 'a@example.test', 'ok', '10.0.0.1')`;
      fs.renameSync(parked, path.join(copy.migrations, rename));
      expect((await runDbMigrations(db, { migrationsDir: copy.migrations })).applied).toEqual([rename]);
      expect(await listTables(db)).not.toContain("AuditEvent");
      const kept = await db.activityEvent.findUniqueOrThrow({ where: { id: "evt-before-rename" } });
      expect(kept).toMatchObject({ action: "user.create", target: "a@example.test", outcome: "ok", ip: "10.0.0.1" });
      await expect(db.activityEvent.delete({ where: { id: kept.id } })).rejects.toThrow(/ActivityEvent is append-only/);
      await expect(db.activityEvent.update({ where: { id: kept.id }, data: { outcome: "failed" } })).rejects.toThrow(/append-only/);
    } finally {
      await closeDb(db);
    }
  });

  it("rolls back a failing migration as a whole and reports the database error", async () => {
    const copy = copyPrismaFolder();
    const db = createDb({ dataDir: makeTmpDir("ami-db-") });
    try {
      await runDbMigrations(db, { migrationsDir: copy.migrations });
      const dir = path.join(copy.migrations, "20300101000000_broken");
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, "migration.sql"), `CREATE TABLE "Half" ("id" TEXT);\nSELECT * FROM "NoSuchTable";\n`);
      await expect(runDbMigrations(db, { migrationsDir: copy.migrations })).rejects.toThrow(/NoSuchTable/);
      expect(await listTables(db)).not.toContain("Half");
      expect((await listAppliedDbMigrations(db)).map((m) => m.name)).not.toContain("20300101000000_broken");
    } finally {
      await closeDb(db);
    }
  });
});

describe("npm run db:migrate", () => {
  it("migrates the DATA_DIR database, then refuses while another process holds the directory", async () => {
    const dataDir = makeTmpDir("ami-db-");
    const script = path.join(repoRoot, "scripts", "db-migrate.ts");
    const first = runTsx(script, [], { cwd: repoRoot, env: { DATA_DIR: dataDir } });
    expect(first.stderr).toBe("");
    expect(first.stdout).toMatch(/applied \d+ migration\(s\)/);
    expect(first.status).toBe(0);

    const db = createDb({ dataDir }); // takes the data lock for this test process
    try {
      const locked = runTsx(script, [], { cwd: repoRoot, env: { DATA_DIR: dataDir } });
      expect(locked.status).not.toBe(0);
      expect(locked.stderr).toContain(`data directory in use by PID ${process.pid}`);
      expect((await listAppliedDbMigrations(db)).length).toBe(listDbMigrationFiles(repoMigrations).length);
    } finally {
      await closeDb(db);
    }
  });
});
