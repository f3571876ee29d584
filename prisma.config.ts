// Prisma CLI configuration. The CLI is used only for `prisma generate`
// (scripts/prisma-generate.mjs); migrations run through lib/db/migrate.ts
// with the wasm schema engine, so no datasource URL is needed here.
import path from "node:path";
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
});
