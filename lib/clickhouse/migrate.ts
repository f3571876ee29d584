// Numbered SQL migrations for ClickHouse (lib/clickhouse/migrations/NNN_name.sql),
// applied in order and recorded in schema_migrations with their checksum.
// ClickHouse has no transactional DDL: write every statement so that it can run
// again (IF NOT EXISTS), then a file that failed half-way is safe to re-apply.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { getClickHouse, type ClickHouse } from "./client";

const MIGRATION_FILE_RE = /^(\d{3})_[a-z0-9_]+\.sql$/;

export interface MigrationFile {
  name: string;
  checksum: string;
  statements: string[];
}

export interface AppliedMigration {
  name: string;
  checksum: string;
  applied_at: string;
}

export class MigrationChecksumError extends Error {
  constructor(public readonly migration: string) {
    super(`ClickHouse migration ${migration} was changed after it was applied; add a new migration instead`);
    this.name = "MigrationChecksumError";
  }
}

/** Resolved from the working directory so tsx and the compiled server find the same files. */
export function getMigrationsDir(): string {
  return path.join(process.cwd(), "lib", "clickhouse", "migrations");
}

/**
 * Split a SQL script on `;` outside quotes ('..', "..", `..`) and comments
 * (--, #, /* *\/). Comment-only pieces are dropped.
 */
export function splitSqlStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = "";
  let hasCode = false;
  let i = 0;
  const push = () => {
    if (hasCode) statements.push(current.trim());
    current = "";
    hasCode = false;
  };
  while (i < sql.length) {
    const ch = sql[i]!;
    const next = sql[i + 1];
    if ((ch === "-" && next === "-") || ch === "#") {
      const end = sql.indexOf("\n", i);
      const stop = end === -1 ? sql.length : end;
      current += sql.slice(i, stop);
      i = stop;
    } else if (ch === "/" && next === "*") {
      const end = sql.indexOf("*/", i + 2);
      if (end === -1) throw new Error("unterminated /* comment in migration");
      current += sql.slice(i, end + 2);
      i = end + 2;
    } else if (ch === "'" || ch === '"' || ch === "`") {
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) throw new Error(`unterminated ${ch} quote in migration`);
        if (sql[j] === "\\") j += 2;
        else if (sql[j] === ch && sql[j + 1] === ch)
          j += 2; // doubled quote escape
        else if (sql[j] === ch) break;
        else j++;
      }
      current += sql.slice(i, j + 1);
      hasCode = true;
      i = j + 1;
    } else if (ch === ";") {
      push();
      i++;
    } else {
      current += ch;
      if (!/\s/.test(ch)) hasCode = true;
      i++;
    }
  }
  push();
  return statements;
}

export function readMigrationFiles(dir: string = getMigrationsDir()): MigrationFile[] {
  const names = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort();
  const seen = new Set<string>();
  return names.map((name) => {
    const number = MIGRATION_FILE_RE.exec(name)?.[1];
    if (!number) throw new Error(`bad migration file name ${name}: expected NNN_snake_name.sql`);
    if (seen.has(number)) throw new Error(`two ClickHouse migrations numbered ${number}`);
    seen.add(number);
    const text = fs.readFileSync(path.join(dir, name), "utf8");
    return { name, checksum: createHash("sha256").update(text).digest("hex"), statements: splitSqlStatements(text) };
  });
}

async function ensureMigrationsTable(ch: ClickHouse): Promise<void> {
  await ch.execCommand({
    query: `CREATE TABLE IF NOT EXISTS schema_migrations (
              name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
            ) ENGINE = MergeTree ORDER BY name`,
  });
}

export async function listAppliedClickHouseMigrations(ch?: ClickHouse): Promise<AppliedMigration[]> {
  const client = ch ?? (await getClickHouse());
  await ensureMigrationsTable(client);
  return client.queryRows<AppliedMigration>({
    query: "SELECT name, checksum, toString(applied_at) AS applied_at FROM schema_migrations ORDER BY name",
    tag: "migrations.list",
  });
}

/** Apply pending migrations in order; refuse if an applied file's checksum changed. */
export async function runClickHouseMigrations(ch?: ClickHouse, opts: { dir?: string } = {}): Promise<{ applied: string[] }> {
  const client = ch ?? (await getClickHouse());
  const files = readMigrationFiles(opts.dir);
  const done = new Map((await listAppliedClickHouseMigrations(client)).map((m) => [m.name, m.checksum]));
  for (const file of files) {
    const checksum = done.get(file.name);
    if (checksum !== undefined && checksum !== file.checksum) throw new MigrationChecksumError(file.name);
  }
  const applied: string[] = [];
  for (const file of files) {
    if (done.has(file.name)) continue;
    for (const statement of file.statements) await client.execCommand({ query: statement });
    await client.insertRows({ table: "schema_migrations", values: [{ name: file.name, checksum: file.checksum }] });
    applied.push(file.name);
  }
  if (files.some((f) => f.name.startsWith("001_"))) await assertDeduplicationEnabled(client);
  return { applied };
}

/** Tables whose inserts carry insert_deduplication_token (ingest batches and rejects). */
export const DEDUPLICATED_TABLES = ["audit_log", "ingest_rejects"] as const;

/**
 * On a non-replicated MergeTree the token is ignored unless
 * non_replicated_deduplication_window > 0: read it back from the table DDL.
 */
export async function assertDeduplicationEnabled(ch?: ClickHouse): Promise<void> {
  const client = ch ?? (await getClickHouse());
  const rows = await client.queryRows<{ name: string; create_table_query: string }>({
    query: `SELECT name, create_table_query FROM system.tables
            WHERE database = currentDatabase() AND name IN {tables: Array(String)}`,
    params: { tables: [...DEDUPLICATED_TABLES] },
    tag: "migrations.dedup_check",
  });
  for (const table of DEDUPLICATED_TABLES) {
    const ddl = rows.find((r) => r.name === table)?.create_table_query;
    const window = Number(/non_replicated_deduplication_window\s*=\s*(\d+)/.exec(ddl ?? "")?.[1] ?? 0);
    if (!ddl) throw new Error(`ClickHouse table ${table} is missing; run the migrations`);
    if (!(window > 0)) throw new Error(`ClickHouse table ${table} has non_replicated_deduplication_window = 0: ingest retries would duplicate rows`);
  }
}
