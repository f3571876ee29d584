// Prisma's schema engine compiled to wasm, driven through a driver adapter:
// the native engine the migrate CLI wants cannot be downloaded here. Loaded the
// way the Prisma CLI's wasmSchemaEngineLoader does (instantiate the .wasm by hand).
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { PGlite } from "@electric-sql/pglite";
import {
  bindMigrationAwareSqlAdapterFactory,
  DriverAdapterError,
  type ErrorCapturingSqlMigrationAwareDriverAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from "@prisma/driver-adapter-utils";
import type { MigrationList, SchemaEngine } from "@prisma/schema-engine-wasm";

type SchemaEngineClass = typeof SchemaEngine;

export type WasmSchemaEngine = SchemaEngine;

/** Absolute paths of the Prisma files, resolved from the working directory (tsx or compiled server). */
export function getPrismaPaths(root: string = process.cwd()) {
  const prismaDir = path.join(root, "prisma");
  return { root, schema: path.join(prismaDir, "schema.prisma"), migrations: path.join(prismaDir, "migrations") };
}

const globalForEngine = globalThis as unknown as {
  __amiSchemaEngineClass?: Promise<SchemaEngineClass>;
  PRISMA_WASM_PANIC_REGISTRY?: { message: string; get(): string; set_message(m: string): void };
};

/** Resolve from the project (cwd) first, then from this file (scripts run with another cwd). */
function resolveFromCwdOrHere(specifier: string): string {
  try {
    return createRequire(path.join(process.cwd(), "package.json")).resolve(specifier);
  } catch (err) {
    if (typeof __filename !== "string") throw err;
    return createRequire(__filename).resolve(specifier);
  }
}

async function loadSchemaEngineClass(): Promise<SchemaEngineClass> {
  // wasm-bindgen keeps module-level state: instantiating twice breaks it, so once per process.
  globalForEngine.__amiSchemaEngineClass ??= (async () => {
    globalForEngine.PRISMA_WASM_PANIC_REGISTRY ??= {
      message: "",
      get() {
        return this.message;
      },
      set_message(m: string) {
        this.message = `RuntimeError: ${m}`;
      },
    };
    const bgPath = resolveFromCwdOrHere("@prisma/schema-engine-wasm/schema_engine_bg");
    const runtime = await import(/* webpackIgnore: true */ /* turbopackIgnore: true */ pathToFileURL(bgPath).href);
    const bytes = fs.readFileSync(path.join(path.dirname(bgPath), "schema_engine_bg.wasm"));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { "./schema_engine_bg.js": runtime });
    runtime.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return runtime.SchemaEngine as SchemaEngineClass;
  })();
  return globalForEngine.__amiSchemaEngineClass;
}

/**
 * Both adapters run migration scripts badly: pglite-prisma-adapter does not await
 * PGlite's exec (a failing script is reported as applied) and @prisma/adapter-pg
 * splits on ";" (breaks $$ bodies, one autocommit per statement). Send the whole
 * script as one simple query instead: PostgreSQL runs it as a single transaction.
 */
function runScriptWith(adapter: SqlDriverAdapter, exec: (script: string) => Promise<unknown>): SqlDriverAdapter {
  adapter.executeScript = async (script: string) => {
    try {
      await exec(script);
    } catch (e) {
      throw toDriverAdapterError(e);
    }
  };
  return adapter;
}

/** Migration factory over an open PGlite; `shadowIsMain` reuses it as the shadow (throwaway databases). */
export function createPgliteMigrationFactory(
  client: PGlite,
  inner: SqlMigrationAwareDriverAdapterFactory,
  opts: { shadowIsMain?: boolean } = {},
): SqlMigrationAwareDriverAdapterFactory {
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: async () => runScriptWith(await inner.connect(), (s) => client.exec(s)),
    connectToShadowDb: async () => {
      // A throwaway in-memory main database can double as the shadow (saves a PGlite boot).
      if (opts.shadowIsMain) return runScriptWith(await inner.connect(), (s) => client.exec(s));
      const { PGlite } = await import("@electric-sql/pglite");
      const shadow = await PGlite.create(); // in memory
      const { PrismaPGlite } = await import("pglite-prisma-adapter");
      const adapter = runScriptWith(await new PrismaPGlite(shadow).connect(), (s) => shadow.exec(s));
      adapter.dispose = async () => {
        if (!shadow.closed) await shadow.close();
      };
      return adapter;
    },
  };
}

/** Migration factory over @prisma/adapter-pg (its adapters expose the pg.Pool as underlyingDriver()). */
export function createPgMigrationFactory(inner: SqlMigrationAwareDriverAdapterFactory): SqlMigrationAwareDriverAdapterFactory {
  const wholeScript = (adapter: SqlDriverAdapter) => {
    const pool = (adapter as SqlDriverAdapter & { underlyingDriver(): { query(sql: string): Promise<unknown> } }).underlyingDriver();
    return runScriptWith(adapter, (s) => pool.query(s));
  };
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: async () => wholeScript(await inner.connect()),
    connectToShadowDb: async () => wholeScript(await inner.connectToShadowDb()),
  };
}

function toDriverAdapterError(e: unknown): unknown {
  const err = e as { code?: unknown; message?: unknown; severity?: unknown; detail?: string; hint?: string; column?: string };
  if (typeof err?.code !== "string" || typeof err.message !== "string") return e;
  return new DriverAdapterError({
    kind: "postgres",
    code: err.code,
    severity: typeof err.severity === "string" ? err.severity : "ERROR",
    message: err.message,
    detail: err.detail,
    column: err.column,
    hint: err.hint,
  });
}

/** A failed engine command, with the engine's message (it includes the database error). */
export class SchemaEngineError extends Error {
  constructor(
    command: string,
    message: string,
    public readonly code?: string,
  ) {
    super(`schema engine ${command} failed: ${message}`);
    this.name = "SchemaEngineError";
  }
}

/**
 * Open the wasm schema engine over a migration-aware adapter factory and run `fn`.
 * The engine is freed afterwards; the adapter's own connection is left to its owner.
 */
export async function withSchemaEngine<T>(
  factory: SqlMigrationAwareDriverAdapterFactory,
  fn: (run: <R>(command: string, call: (engine: WasmSchemaEngine) => Promise<R>) => Promise<R>) => Promise<T>,
  schemaFiles?: { path: string; content: string }[],
): Promise<T> {
  const Engine = await loadSchemaEngineClass();
  // The engine expects the error-capturing wrapper, as the Prisma CLI passes it.
  const bound: ErrorCapturingSqlMigrationAwareDriverAdapterFactory = bindMigrationAwareSqlAdapterFactory(factory);
  const ignoreTrace = () => {}; // engine tracing; failures come back as rejected promises
  const engine = await Engine.new({ datamodels: schemaFiles?.map((f) => [f.path, f.content]) }, ignoreTrace, bound).catch((e: unknown) => {
    throw toSchemaEngineError("connect", e);
  });
  try {
    return await fn(async (command, call) => {
      try {
        return await call(engine);
      } catch (e) {
        throw toSchemaEngineError(command, e);
      }
    });
  } finally {
    engine.free();
  }
}

function toSchemaEngineError(command: string, e: unknown): Error {
  const err = e as { message?: string; code?: string };
  const registry = globalForEngine.PRISMA_WASM_PANIC_REGISTRY;
  // A Rust panic surfaces as "unreachable"; its real message was left in the registry.
  if (registry?.message) {
    const panic = registry.message;
    registry.message = "";
    return new SchemaEngineError(command, `${panic} (${err?.message ?? String(e)})`);
  }
  return new SchemaEngineError(command, err?.message ?? String(e), err?.code);
}

/** Read prisma/migrations into the shape the engine expects. */
export function readMigrationList(migrationsDir: string, shadowDbInitScript = ""): MigrationList {
  const dirs = fs.existsSync(migrationsDir)
    ? fs
        .readdirSync(migrationsDir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort()
    : [];
  const lockPath = path.join(migrationsDir, "migration_lock.toml");
  return {
    baseDir: migrationsDir,
    lockfile: {
      path: "migration_lock.toml",
      content: fs.existsSync(lockPath) ? fs.readFileSync(lockPath, "utf8") : null,
    },
    shadowDbInitScript,
    migrationDirectories: dirs.map((name) => {
      const file = path.join(migrationsDir, name, "migration.sql");
      let content: { tag: "ok"; value: string } | { tag: "error"; value: string };
      try {
        content = { tag: "ok", value: fs.readFileSync(file, "utf8") };
      } catch (e) {
        content = { tag: "error", value: (e as Error).message };
      }
      return { path: name, migrationFile: { path: "migration.sql", content } };
    }),
  };
}
