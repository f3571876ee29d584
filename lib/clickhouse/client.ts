// The analytics store: one ClickHouse handle per process, embedded chDB under
// data/ch by default or a ClickHouse server when CLICKHOUSE_URL is set. The
// helpers below are the only way the rest of the app talks to ClickHouse.
import { createClient, type ClickHouseClient, type ClickHouseSettings } from "@clickhouse/client";
import { drainPending, Session } from "chdb";
import { createChdbConnection, type ChdbConnection } from "chdb/connection";
import { dataPaths, env } from "@/lib/env";
import { acquireDataLock } from "@/lib/server/data-lock";
import { stringifyWellFormed, wellFormedJson } from "@/lib/format/json-text";

export type ClickHouseKind = "chdb" | "server";

export type ClickHouseOptions =
  { path: string; database?: string; queryTimeoutMs?: number } | { url: string; user?: string; password?: string; database?: string; queryTimeoutMs?: number };

/** Read settings callers may tune per query; anything else is refused (see applyReadSettings). */
export interface ReadSettings {
  max_execution_time?: number;
  max_rows_to_read?: number;
  max_bytes_to_read?: number;
  max_result_rows?: number;
  max_result_bytes?: number;
  max_threads?: number;
  use_skip_indexes?: 0 | 1;
  optimize_use_projections?: 0 | 1;
}

export interface ReadInput {
  query: string;
  params?: Record<string, unknown>;
  /** Short name for logs and error messages, e.g. "explorer.search". */
  tag: string;
  settings?: ReadSettings;
  signal?: AbortSignal;
}

export interface InsertInput {
  table: string;
  values: readonly Record<string, unknown>[];
  format?: "JSONEachRow";
  /** Same token twice = one copy (needs non_replicated_deduplication_window on the table). */
  dedupToken?: string;
}

export interface ClickHouseInfo {
  kind: ClickHouseKind;
  version: string;
  reachable: boolean;
}

/** A read stopped by max_execution_time or a row/byte/memory limit. */
export class QueryLimitError extends Error {
  constructor(
    public readonly tag: string,
    public readonly limit: "time" | "rows" | "bytes" | "memory",
    public readonly detail: string,
  ) {
    super("query too broad: narrow the time range or add a filter");
    this.name = "QueryLimitError";
  }
}

// ClickHouse error codes for limits: TOO_MANY_ROWS, TIMEOUT_EXCEEDED, TOO_SLOW,
// TOO_MANY_BYTES, TOO_MANY_ROWS_OR_BYTES, MEMORY_LIMIT_EXCEEDED.
const LIMIT_CODES: Record<string, QueryLimitError["limit"]> = {
  "158": "rows",
  "159": "time",
  "160": "time",
  "307": "bytes",
  "396": "rows",
  "241": "memory",
};

const IDENTIFIER_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface ClickHouse {
  readonly kind: ClickHouseKind;
  readonly database: string;
  queryRows<T>(input: ReadInput): Promise<T[]>;
  queryStream<T>(input: ReadInput): AsyncGenerator<T>;
  execCommand(input: { query: string; params?: Record<string, unknown> }): Promise<void>;
  insertRows(input: InsertInput): Promise<void>;
  getInfo(): Promise<ClickHouseInfo>;
  close(): Promise<void>;
}

function toQueryError(err: unknown, tag: string): Error {
  const code = String((err as { code?: unknown })?.code ?? "");
  const clickhouseCode = String((err as { clickhouseCode?: unknown })?.clickhouseCode ?? "");
  const limit = LIMIT_CODES[code] ?? LIMIT_CODES[clickhouseCode];
  const message = err instanceof Error ? err.message : String(err);
  const fromText = /Code: (\d+)\./.exec(message)?.[1];
  const l = limit ?? (fromText ? LIMIT_CODES[fromText] : undefined);
  if (l) return new QueryLimitError(tag, l, message);
  return err instanceof Error ? err : new Error(message);
}

/**
 * Every read sends every allow-listed setting, defaults included: chDB turns
 * clickhouse_settings into session-level SETs that would otherwise leak into
 * the next query on the same connection.
 */
function applyReadSettings(settings: ReadSettings | undefined, timeoutMs: number): ClickHouseSettings {
  const defaults: Required<ReadSettings> = {
    max_execution_time: Math.max(1, Math.ceil(timeoutMs / 1000)),
    max_rows_to_read: 0,
    max_bytes_to_read: 0,
    max_result_rows: 0,
    max_result_bytes: 0,
    max_threads: 0,
    use_skip_indexes: 1,
    optimize_use_projections: 1,
  };
  for (const [k, v] of Object.entries(settings ?? {})) {
    if (!(k in defaults)) throw new Error(`setting ${k} is not allowed on reads`);
    if (!Number.isInteger(v) || (v as number) < 0) throw new Error(`setting ${k} must be a non-negative integer`);
  }
  // Fixed, not tunable: 64-bit ints as JSON strings on both engines (chDB defaults to bare numbers).
  const merged = { ...defaults, ...settings, output_format_json_quote_64bit_integers: 1 };
  return Object.fromEntries(Object.entries(merged).map(([k, v]) => [k, String(v)])) as ClickHouseSettings;
}

/** The read request every client-API read sends; `settings` carries what differs per engine. */
function sendRead(client: ClickHouseClient, input: ReadInput, settings: ClickHouseSettings) {
  return client.query({
    query: input.query,
    query_params: input.params,
    format: "JSONEachRow",
    clickhouse_settings: settings,
    abort_signal: input.signal,
  });
}

/** queryRows on either engine (the server's settingsFor also adds readonly per request). */
function rowsReader(client: ClickHouseClient, settingsFor: (s: ReadSettings | undefined) => ClickHouseSettings) {
  return async <T>(input: ReadInput): Promise<T[]> => {
    try {
      const rs = await sendRead(client, input, settingsFor(input.settings));
      return await rs.json<T>();
    } catch (err) {
      throw toQueryError(err, input.tag);
    }
  };
}

/** getInfo on either engine: reachable when SELECT version() answers. */
async function probeInfo(kind: ClickHouseKind, queryRows: ClickHouse["queryRows"]): Promise<ClickHouseInfo> {
  try {
    const [row] = await queryRows<{ v: string }>({ query: "SELECT version() AS v", tag: "info.version" });
    return { kind, version: row?.v ?? "", reachable: true };
  } catch {
    return { kind, version: "", reachable: false };
  }
}

function serializeJsonEachRow(values: readonly Record<string, unknown>[]): Buffer {
  let body = "";
  for (const row of values) body += JSON.stringify(row) + "\n";
  // Lone surrogates as U+FFFD: JSONEachRow refuses their escapes, failing the whole insert (json-text.ts).
  // One pass over the whole body (per row, it doubled the serialising time).
  body = wellFormedJson(body);
  return Buffer.from(body, "utf8");
}

function assertIdentifier(name: string, what: string): string {
  if (!IDENTIFIER_RE.test(name)) throw new Error(`invalid ${what}: ${JSON.stringify(name)}`);
  return name;
}

// chdb types its Connection against @clickhouse/client-common, which
// @clickhouse/client 1.23 vendors under its own path: same shape, two type identities.
type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>["connection"]>;

/** Reader connections of the embedded engine: one per core of the machines this runs on (2). */
const CHDB_READERS = 2;

/** Embedded chDB: a writer connection, reader connections pinned to readonly=2, a Session per stream. */
async function createChdbHandle(path: string, database: string, timeoutMs: number): Promise<ClickHouse> {
  const writerConn = createChdbConnection({ path });
  const writer = createClient({ connection: writerConn as unknown as ClientConnection });
  await writer.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  // USE persists per connection on chDB (the client's `database` option is HTTP-only).
  await writer.command({ query: `USE ${database}` });
  // Readers: a chDB connection runs one query at a time (two concurrent queries on one took
  // as long as the two in a row; on two connections, 202 ms against 276 ms on 2 cores), so
  // reads go to the least busy of CHDB_READERS connections.
  const readers: { client: ClickHouseClient; busy: number; read: <T>(input: ReadInput) => Promise<T[]> }[] = [];
  for (let i = 0; i < CHDB_READERS; i++) {
    const readerConn = createChdbConnection({ path });
    const client = createClient({ connection: readerConn as unknown as ClientConnection });
    await client.command({ query: `USE ${database}` });
    // readonly=2: no writes or DDL, but settings (timeouts, limits) can still be changed.
    await client.command({ query: "SET readonly = 2" });
    readers.push({ client, busy: 0, read: rowsReader(client, (s) => applyReadSettings(s, timeoutMs)) });
  }
  const queryRows = async <T>(input: ReadInput): Promise<T[]> => {
    const r = readers.reduce((a, b) => (b.busy < a.busy ? b : a));
    r.busy++;
    try {
      return await r.read<T>(input);
    } finally {
      r.busy--;
    }
  };

  async function* queryStream<T>(input: ReadInput): AsyncGenerator<T> {
    const settings = applyReadSettings(input.settings, timeoutMs);
    // A fresh Session per stream: chDB allows one active stream per session.
    const session = new Session(path);
    try {
      const sets = Object.entries(settings)
        .map(([k, v]) => `${k} = ${Number(v)}`)
        .join(", ");
      await session.queryAsync(`USE ${database}; SET readonly = 2; SET ${sets}`);
      const stream = session.queryStreamBind(input.query, input.params ?? {}, { format: "JSONEachRow", signal: input.signal });
      try {
        for await (const row of stream.rows<T>()) yield row;
      } finally {
        stream.cancel();
      }
    } catch (err) {
      throw toQueryError(err, input.tag);
    } finally {
      session.close();
    }
  }

  return {
    kind: "chdb",
    database,
    queryRows,
    queryStream,
    async execCommand({ query, params }) {
      await writer.command({ query, query_params: params });
    },
    async insertRows({ table, values, dedupToken }) {
      if (values.length === 0) return;
      // Raw passthrough: the Buffer goes to chDB's parallel parser, and SETTINGS
      // stay on this INSERT (client.insert would SET them for the whole session).
      await (writerConn as ChdbConnection).chdb.rawInsert({
        table: `${database}.${assertIdentifier(table, "table")}`,
        format: "JSONEachRow",
        values: serializeJsonEachRow(values),
        settings: dedupToken === undefined ? undefined : { insert_deduplication_token: dedupToken },
      });
    },
    getInfo: () => probeInfo("chdb", queryRows),
    async close() {
      for (const r of readers) await r.client.close();
      await writer.close();
      await drainPending();
    },
  };
}

/** ClickHouse server over HTTP: settings travel per request, so nothing leaks. Not exercised here (no server). */
async function createServerHandle(opts: { url: string; user?: string; password?: string }, database: string, timeoutMs: number): Promise<ClickHouse> {
  const bootstrap = createClient({ url: opts.url, username: opts.user, password: opts.password });
  try {
    await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  } finally {
    await bootstrap.close();
  }
  const client: ClickHouseClient = createClient({
    url: opts.url,
    username: opts.user,
    password: opts.password,
    database,
    request_timeout: timeoutMs + 5_000,
    // Inserts as on chDB: lone surrogates as U+FFFD (json-text.ts).
    json: { stringify: stringifyWellFormed },
  });

  const readSettings = (s: ReadSettings | undefined): ClickHouseSettings => ({
    ...applyReadSettings(s, timeoutMs),
    readonly: "2",
  });

  const queryRows = rowsReader(client, readSettings);

  async function* queryStream<T>(input: ReadInput): AsyncGenerator<T> {
    try {
      const rs = await sendRead(client, input, readSettings(input.settings));
      for await (const rows of rs.stream<T>()) {
        for (const row of rows) yield row.json<T>();
      }
    } catch (err) {
      throw toQueryError(err, input.tag);
    }
  }

  return {
    kind: "server",
    database,
    queryRows,
    queryStream,
    async execCommand({ query, params }) {
      await client.command({ query, query_params: params });
    },
    async insertRows({ table, values, dedupToken }) {
      if (values.length === 0) return;
      await client.insert({
        table: assertIdentifier(table, "table"),
        values: values as Record<string, unknown>[],
        format: "JSONEachRow",
        clickhouse_settings: dedupToken === undefined ? undefined : { insert_deduplication_token: dedupToken },
      });
    },
    getInfo: () => probeInfo("server", queryRows),
    async close() {
      await client.close();
    },
  };
}

/** Open a handle without touching the process singleton (tests, scripts). */
export async function createClickHouse(opts: ClickHouseOptions): Promise<ClickHouse> {
  const database = assertIdentifier(opts.database ?? "ami", "database");
  const timeoutMs = opts.queryTimeoutMs ?? 10_000;
  if ("path" in opts) return createChdbHandle(opts.path, database, timeoutMs);
  return createServerHandle(opts, database, timeoutMs);
}

// Next.js bundles lib/ apart from server.ts: the singleton must live on globalThis
// or the two copies would each open libchdb (one data directory per process).
const globalForClickHouse = globalThis as unknown as { __amiClickHouse?: Promise<ClickHouse> };

/** The process-wide handle: chDB under data/ch (taking data/.lock first) or the server at CLICKHOUSE_URL. */
export function getClickHouse(): Promise<ClickHouse> {
  if (!globalForClickHouse.__amiClickHouse) {
    const opened = (async () => {
      const common = { database: env.CLICKHOUSE_DATABASE, queryTimeoutMs: env.CLICKHOUSE_QUERY_TIMEOUT };
      if (env.CLICKHOUSE_URL) {
        return createClickHouse({ url: env.CLICKHOUSE_URL, user: env.CLICKHOUSE_USER, password: env.CLICKHOUSE_PASSWORD, ...common });
      }
      acquireDataLock(env.DATA_DIR);
      return createClickHouse({ path: dataPaths().ch, ...common });
    })();
    // A failed open must not stick: the next call retries.
    opened.catch(() => {
      if (globalForClickHouse.__amiClickHouse === opened) globalForClickHouse.__amiClickHouse = undefined;
    });
    globalForClickHouse.__amiClickHouse = opened;
  }
  return globalForClickHouse.__amiClickHouse;
}

/** Install a handle as the process singleton (integration tests on a temp dir). */
export function setClickHouse(ch: ClickHouse): void {
  globalForClickHouse.__amiClickHouse = Promise.resolve(ch);
}

export async function closeClickHouse(): Promise<void> {
  const current = globalForClickHouse.__amiClickHouse;
  globalForClickHouse.__amiClickHouse = undefined;
  if (current) await (await current).close();
}

export async function getClickHouseInfo(): Promise<ClickHouseInfo> {
  try {
    return await (await getClickHouse()).getInfo();
  } catch {
    return { kind: env.CLICKHOUSE_URL ? "server" : "chdb", version: "", reachable: false };
  }
}

/** Read rows as JSON objects; read-only, time-limited, values only through params. */
export async function queryRows<T>(input: ReadInput): Promise<T[]> {
  return (await getClickHouse()).queryRows<T>(input);
}

/** Stream rows for exports; same guarantees as queryRows without buffering the result. */
export async function* queryStream<T>(input: ReadInput): AsyncGenerator<T> {
  yield* (await getClickHouse()).queryStream<T>(input);
}

/** DDL and writes (migrations, maintenance). */
export async function execCommand(input: { query: string; params?: Record<string, unknown> }): Promise<void> {
  return (await getClickHouse()).execCommand(input);
}

export async function insertRows(input: InsertInput): Promise<void> {
  return (await getClickHouse()).insertRows(input);
}
