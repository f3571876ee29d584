// npm run db:migrate - apply pending prisma/migrations to the configured database
// (embedded PGlite under DATA_DIR, or DATABASE_URL). Refuses while another
// process holds the data directory.
import { DataDirLockedError } from "@/lib/server/data-lock";
import { closeDb, dbKind, getDb } from "@/lib/db/client";
import { runDbMigrations } from "@/lib/db/migrate";
import { dataPaths, env } from "@/lib/env";

async function main(): Promise<number> {
  const db = getDb();
  const where = dbKind(db) === "pglite" ? `PGlite at ${dataPaths().pg}` : `PostgreSQL (DATABASE_URL)`;
  try {
    const { applied } = await runDbMigrations(db);
    if (applied.length === 0) console.log(`db:migrate: ${where} is up to date`);
    else console.log(`db:migrate: applied ${applied.length} migration(s) to ${where}:\n${applied.map((m) => `  ${m}`).join("\n")}`);
    return 0;
  } finally {
    await closeDb(db);
  }
}

main()
  .then((code) => process.exit(code))
  .catch((err: unknown) => {
    if (err instanceof DataDirLockedError) {
      console.error(`db:migrate: ${err.message}`);
      process.exit(2);
    }
    console.error(`db:migrate failed: ${err instanceof Error ? err.message : String(err)}`);
    if (env.LOG_LEVEL === "debug" && err instanceof Error) console.error(err.stack);
    process.exit(1);
  });
