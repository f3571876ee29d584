// The Prisma client: embedded PGlite under DATA_DIR/pg by default, a real
// PostgreSQL through @prisma/adapter-pg when DATABASE_URL is set. One instance
// per process, kept on globalThis because the Next.js bundle and server.ts
// load lib/ as separate module copies.
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { acquireDataLock } from "@/lib/server/data-lock";
import { dataPaths, env } from "@/lib/env";
import { PrismaClient } from "@/lib/generated/prisma/client";
import { createPgliteMigrationFactory, createPgMigrationFactory } from "./schema-engine";

export type DbKind = "pglite" | "postgresql";

/** `dataDir` is a DATA_DIR root (PGlite lives in its pg/ folder and the lock in .lock). */
export type CreateDbOptions = { dataDir: string } | { url: string; schema?: string };

interface DbInternals {
  kind: DbKind;
  /** Postgres schema the tables live in (search_path of every connection). */
  schema: string;
  /** A migration-aware adapter factory for the wasm schema engine, plus its cleanup. */
  openMigrationFactory(): { factory: SqlMigrationAwareDriverAdapterFactory; close(): Promise<void> };
  /** Run `fn` holding a cross-process migration lock (PostgreSQL only; PGlite has the data lock). */
  withMigrationLock<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const globalForDb = globalThis as unknown as {
  __amiDb?: PrismaClient;
  __amiDbInternals?: WeakMap<PrismaClient, DbInternals>;
};
const internalsByClient = (globalForDb.__amiDbInternals ??= new WeakMap());

// Any fixed 64-bit key works; it only has to differ from Prisma's own (72707369).
const MIGRATION_LOCK_KEY = 4_207_330_001;

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Open a new client (tests, scripts). Callers own it and must `closeDb(db)`. */
export function createDb(opts: CreateDbOptions): PrismaClient {
  return "url" in opts ? createPostgresDb(opts.url, opts.schema) : createPgliteDb(opts.dataDir);
}

function createPgliteDb(dataDir: string): PrismaClient {
  acquireDataLock(dataDir);
  const pglite = new PGlite(dataPaths({ DATA_DIR: dataDir }).pg);
  const client = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  internalsByClient.set(client, {
    kind: "pglite",
    schema: "public",
    openMigrationFactory: () => ({
      factory: createPgliteMigrationFactory(pglite, new PrismaPGlite(pglite)),
      close: async () => {},
    }),
    withMigrationLock: (fn) => fn(),
    close: async () => {
      await client.$disconnect();
      // A clean close checkpoints PGlite; killing it mid-write can corrupt the directory.
      if (!pglite.closed) await pglite.close();
    },
  });
  return client;
}

/** Split `?schema=` off the URL (Prisma's convention; pg itself would ignore it). */
export function parsePostgresUrl(url: string, schema?: string): { connectionString: string; schema: string } {
  const parsed = new URL(url);
  const fromUrl = parsed.searchParams.get("schema") ?? undefined;
  parsed.searchParams.delete("schema");
  const chosen = schema ?? fromUrl ?? "public";
  if (!SCHEMA_NAME.test(chosen)) throw new Error(`invalid PostgreSQL schema name "${chosen}"`);
  return { connectionString: parsed.toString(), schema: chosen };
}

// @prisma/adapter-pg ships its own @types/pg; the runtime pg module is the same one.
function asAdapterPool(pool: pg.Pool): ConstructorParameters<typeof PrismaPg>[0] {
  return pool as unknown as ConstructorParameters<typeof PrismaPg>[0];
}

function createPostgresDb(url: string, schemaOpt?: string): PrismaClient {
  const { connectionString, schema } = parsePostgresUrl(url, schemaOpt);
  // Migration SQL is unqualified, so every connection must resolve names in `schema`.
  const poolConfig: pg.PoolConfig = { connectionString, options: `-c search_path="${schema}"` };
  const pool = new pg.Pool(poolConfig);
  const client = new PrismaClient({ adapter: new PrismaPg(asAdapterPool(pool), { schema }) });
  internalsByClient.set(client, {
    kind: "postgresql",
    schema,
    openMigrationFactory: () => {
      const migrationPool = new pg.Pool({ ...poolConfig, max: 2 });
      return {
        factory: createPgMigrationFactory(new PrismaPg(asAdapterPool(migrationPool), { schema })),
        close: () => migrationPool.end(),
      };
    },
    withMigrationLock: async (fn) => {
      const lockClient = new pg.Client(poolConfig);
      await lockClient.connect();
      try {
        await lockClient.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
        await lockClient.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
        return await fn();
      } finally {
        await lockClient.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => {});
        await lockClient.end();
      }
    },
    close: async () => {
      await client.$disconnect();
      if (!pool.ended) await pool.end();
    },
  });
  return client;
}

/** The process-wide client, configured from lib/env.ts. */
export function getDb(): PrismaClient {
  globalForDb.__amiDb ??= env.DATABASE_URL ? createDb({ url: env.DATABASE_URL }) : createDb({ dataDir: dataPaths().root });
  return globalForDb.__amiDb;
}

/** Internal hooks for migrate.ts; throws for a client that createDb/getDb did not make. */
export function getDbInternals(db: PrismaClient): DbInternals {
  const found = internalsByClient.get(db);
  if (!found) throw new Error("not a client created by lib/db createDb()/getDb()");
  return found;
}

export function dbKind(db: PrismaClient = getDb()): DbKind {
  return getDbInternals(db).kind;
}

/** Close a client (default: the process-wide one). Safe to call twice. */
export async function closeDb(db?: PrismaClient): Promise<void> {
  const target = db ?? globalForDb.__amiDb;
  if (!target) return;
  if (target === globalForDb.__amiDb) globalForDb.__amiDb = undefined;
  await internalsByClient.get(target)?.close();
}

/** Server version string, e.g. "PostgreSQL 17.5 ...", for the health endpoint. */
export async function getDbVersion(db: PrismaClient = getDb()): Promise<string> {
  const rows = await db.$queryRaw<{ version: string }[]>`SELECT version() AS version`;
  return rows[0]?.version ?? "unknown";
}
