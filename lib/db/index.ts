// Public surface of the relational store: the client, migrations, generated types.
export { closeDb, createDb, dbKind, getDb, getDbVersion, parsePostgresUrl } from "./client";
export type { CreateDbOptions, DbKind } from "./client";
export { listAppliedDbMigrations, listDbMigrationFiles, runDbMigrations } from "./migrate";
export type { AppliedDbMigration, DbMigrationOptions } from "./migrate";
export { Prisma, PrismaClient } from "@/lib/generated/prisma/client";
export * from "@/lib/generated/prisma/enums";
export type {
  Account,
  ActivityEvent,
  ClimateZone,
  FirmwareCompatibility,
  FirmwareImage,
  Gateway,
  IngestToken,
  Meter,
  MeterConstantChange,
  SavedSearch,
  Session,
  User,
  VerificationToken,
} from "@/lib/generated/prisma/client";
