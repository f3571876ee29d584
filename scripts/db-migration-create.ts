// npm run db:migration -- --name add_campaigns - write the next migration from
// the difference between prisma/migrations and prisma/schema.prisma.
import { parseArgs } from "node:util";
import { createDbMigration } from "@/lib/db/create-migration";

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { name: { type: "string", short: "n" } } });
  if (!values.name) {
    console.error("usage: npm run db:migration -- --name <snake_case_name>");
    return 64;
  }
  const { created, sql } = await createDbMigration({ name: values.name });
  if (!created) {
    console.log("db:migration: no changes (prisma/schema.prisma matches prisma/migrations)");
    return 0;
  }
  console.log(`db:migration: wrote prisma/migrations/${created}/migration.sql (${sql.split("\n").length} lines)`);
  console.log("Review it, then apply with `npm run db:migrate`.");
  return 0;
}

main()
  .then((code) => process.exit(code))
  .catch((err: unknown) => {
    console.error(`db:migration failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
