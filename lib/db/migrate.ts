// Applies prisma/migrations/*/migration.sql with Prisma's wasm schema engine
// (the same engine and _prisma_migrations bookkeeping as `prisma migrate deploy`).
// Run at server start and by `npm run db:migrate`.
import fs from "node:fs";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { getDb, getDbInternals } from "./client";
import { getPrismaPaths, readMigrationList, withSchemaEngine } from "./schema-engine";

const NO_FILTERS = { externalTables: [], externalEnums: [] };

export interface DbMigrationOptions {
  /** Folder holding <timestamp>_<name>/migration.sql; default prisma/migrations under process.cwd(). */
  migrationsDir?: string;
}

/** Apply every migration not yet recorded in _prisma_migrations. Idempotent. */
export async function runDbMigrations(db: PrismaClient = getDb(), opts: DbMigrationOptions = {}): Promise<{ applied: string[] }> {
  const migrationsDir = opts.migrationsDir ?? getPrismaPaths().migrations;
  const migrationsList = readMigrationList(migrationsDir);
  if (migrationsList.migrationDirectories.length === 0) {
    throw new Error(`no migrations found in ${migrationsDir} (is the working directory the project root?)`);
  }
  const internals = getDbInternals(db);
  return internals.withMigrationLock(async () => {
    const { factory, close } = internals.openMigrationFactory();
    try {
      const out = await withSchemaEngine(factory, (run) => run("applyMigrations", (engine) => engine.applyMigrations({ migrationsList, filters: NO_FILTERS })));
      return { applied: out.appliedMigrationNames };
    } finally {
      await close();
    }
  });
}

export interface AppliedDbMigration {
  name: string;
  appliedAt: Date;
}

/** Successfully applied migrations, oldest first; empty when the database was never migrated. */
export async function listAppliedDbMigrations(db: PrismaClient = getDb()): Promise<AppliedDbMigration[]> {
  const { schema } = getDbInternals(db);
  const [{ exists }] = await db.$queryRaw<{ exists: boolean }[]>`
    SELECT to_regclass(format('%I._prisma_migrations', ${schema}::text)) IS NOT NULL AS exists`;
  if (!exists) return [];
  const rows = await db.$queryRaw<{ name: string; appliedAt: Date }[]>`
    SELECT migration_name AS name, finished_at AS "appliedAt" FROM _prisma_migrations
    WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL
    ORDER BY started_at, migration_name`;
  return rows;
}

/** Migration folder names on disk, oldest first. */
export function listDbMigrationFiles(migrationsDir: string = getPrismaPaths().migrations): string[] {
  if (!fs.existsSync(migrationsDir)) return [];
  return readMigrationList(migrationsDir).migrationDirectories.map((d) => d.path);
}
