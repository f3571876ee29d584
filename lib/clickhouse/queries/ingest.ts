// Ingest's ClickHouse surface: the insert sink the writer uses (TSV bodies with
// insert_deduplication_token) and the reads behind the Ingest page and MQTT
// redelivery checks. The only ingest file holding ClickHouse SQL.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { createClient, type ClickHouseClient } from "@clickhouse/client";
import { Session } from "chdb";
import { z } from "zod";
import { dataPaths, env } from "@/lib/env";
import { getClickHouse, type ClickHouse } from "../client";

export type IngestTable = "audit_log" | "ingest_rejects";

/** Where the writer puts prepared bodies. Injectable: tests wrap it to fail or slow down. */
export interface IngestSink {
  /** Insert a TSV body (columns in the given order); same token twice = one copy. */
  insertTsv(input: { table: IngestTable; columns: readonly string[]; body: Buffer; dedupToken: string }): Promise<void>;
  close(): Promise<void>;
}

const IDENTIFIER_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

function identifier(name: string): string {
  if (!IDENTIFIER_RE.test(name)) throw new Error(`invalid identifier ${JSON.stringify(name)}`);
  return name;
}

/**
 * The file() structure a TSV body is read with: the table's types, except that
 * LowCardinality(T) is read as plain T and cast to the column type in bulk.
 * Measured (1 M audit rows, chDB 26.7, one thread): parsing the body into the
 * 12 LowCardinality columns row by row took ~3x as long as the whole body read
 * as String (41 vs 13 ms per 20 k rows; 1 M rows: 1.9 s vs 0.5 s on one thread, 1.2 s vs
 * 0.4 s on two, with the since-removed scripts/ingest-format-experiment.ts).
 */
export function tsvInputStructure(types: ReadonlyMap<string, string>, columns: readonly string[]): string {
  return columns
    .map((c) => {
      const t = types.get(c);
      if (!t) throw new Error(`column ${c} not found`);
      return `${identifier(c)} ${t.replace(/^LowCardinality\((.*)\)$/, "$1")}`;
    })
    .join(", ");
}

/**
 * chDB: a Session on the same data directory as the process handle (chDB keeps
 * one engine per process; sessions share it). A body is written to a spool file
 * and loaded with INSERT ... SELECT FROM file() instead of inline INSERT data:
 * file() parses in parallel and lets LowCardinality columns be read as String
 * (see tsvInputStructure); inline TSV parses on one thread straight into the
 * column types. The whole body is squashed into ONE block (min_insert_block_size_*
 * above any batch, max_insert_threads = 1): the dedup token names that block, so
 * a retry cuts the same block and lands once.
 * Server: its own HTTP client, TabSeparated body streamed as is.
 */
export function createIngestSink(opts: { chdbPath: string; database: string } | { url: string; user?: string; password?: string; database: string }): IngestSink {
  if ("chdbPath" in opts) {
    const session = new Session(opts.chdbPath);
    const database = identifier(opts.database);
    // Spool files live only for one insert; a crash leaves at most a few in the OS temp dir.
    const spool = fs.mkdtempSync(path.join(os.tmpdir(), "ami-ingest-spool-"));
    let seq = 0;
    const types = new Map<string, Promise<Map<string, string>>>();
    const typesOf = (table: string) => {
      let p = types.get(table);
      if (!p) {
        p = session
          .queryBindAsync("SELECT name, type FROM system.columns WHERE database = {db: String} AND table = {table: String}", { db: database, table }, { format: "JSONEachRow" })
          .then(
            (r) =>
              new Map(
                r
                  .text()
                  .split("\n")
                  .filter(Boolean)
                  .map((l) => {
                    const x = JSON.parse(l) as { name: string; type: string };
                    return [x.name, x.type] as const;
                  }),
              ),
          );
        p.catch(() => types.delete(table));
        types.set(table, p);
      }
      return p;
    };
    return {
      async insertTsv({ table, columns, body, dedupToken }) {
        const structure = tsvInputStructure(await typesOf(table), columns);
        const file = path.join(spool, `${++seq}.tsv`);
        await writeWhole(file, body);
        try {
          await session.queryBindAsync(
            `INSERT INTO ${database}.${identifier(table)} (${columns.map(identifier).join(", ")})
             SETTINGS insert_deduplication_token = {token: String}, parallel_view_processing = 1,
                      max_insert_threads = 1, min_insert_block_size_rows = 0xFFFFFFFFFF, min_insert_block_size_bytes = 0xFFFFFFFFFF
             SELECT * FROM file({file: String}, 'TSV', {structure: String})`,
            { token: dedupToken, file, structure },
          );
        } finally {
          await fs.promises.rm(file, { force: true });
        }
      },
      async close() {
        session.close();
        fs.rmSync(spool, { recursive: true, force: true });
      },
    };
  }
  const client: ClickHouseClient = createClient({ url: opts.url, username: opts.user, password: opts.password, database: opts.database });
  return {
    async insertTsv({ table, columns, body, dedupToken }) {
      await client.insert({
        table,
        columns: columns as [string, ...string[]],
        values: Readable.from([body]),
        format: "TabSeparated",
        clickhouse_settings: { insert_deduplication_token: dedupToken },
      });
    },
    async close() {
      await client.close();
    },
  };
}

/**
 * The body in one write request. fs.promises.writeFile splits it into 512 KiB
 * writes, each waiting for a turn of the event loop: behind the writer's parse
 * slices a 90 MB body took seconds to reach the disk (an insert that takes
 * 3.5 s alone took 7 s in the full ingest path with the CPU 35 % idle).
 */
async function writeWhole(file: string, body: Uint8Array): Promise<void> {
  const fh = await fs.promises.open(file, "w");
  try {
    let done = 0;
    while (done < body.length) done += (await fh.write(body, done, body.length - done)).bytesWritten;
  } finally {
    await fh.close();
  }
}

/** The sink for the process-wide engine (same target as getClickHouse()). */
export function createDefaultIngestSink(): IngestSink {
  if (env.CLICKHOUSE_URL) {
    return createIngestSink({ url: env.CLICKHOUSE_URL, user: env.CLICKHOUSE_USER, password: env.CLICKHOUSE_PASSWORD, database: env.CLICKHOUSE_DATABASE });
  }
  return createIngestSink({ chdbPath: dataPaths().ch, database: env.CLICKHOUSE_DATABASE });
}

async function client(ch?: ClickHouse): Promise<ClickHouse> {
  return ch ?? (await getClickHouse());
}

/**
 * Which of these line ids are already in audit_log (MQTT redelivery check).
 * The event-time range of those lines bounds the scan through the sort key.
 */
export async function findStoredAuditIds(input: { ids: string[]; fromTs: number; toTs: number }, ch?: ClickHouse): Promise<Set<string>> {
  const { ids, fromTs, toTs } = input;
  if (ids.length === 0) return new Set();
  // UInt64 ids travel as strings: JS numbers would lose precision.
  const rows = await (
    await client(ch)
  ).queryRows<{ sid: string }>({
    query: `SELECT DISTINCT toString(id) AS sid FROM audit_log
            WHERE ts >= fromUnixTimestamp64Milli({fromTs: Int64}) AND ts <= fromUnixTimestamp64Milli({toTs: Int64})
              AND has(arrayMap(x -> toUInt64(x), {ids: Array(String)}), id)`,
    params: { ids, fromTs, toTs },
    tag: "ingest.stored_ids",
  });
  return new Set(rows.map((r) => r.sid));
}

/** Which of these positions of `source` are already in ingest_rejects. */
export async function findStoredRejectPositions(source: string, positions: string[], ch?: ClickHouse): Promise<Set<string>> {
  if (positions.length === 0) return new Set();
  const rows = await (
    await client(ch)
  ).queryRows<{ pos: string }>({
    query: `SELECT DISTINCT toString(position) AS pos FROM ingest_rejects
            WHERE source = {source: String} AND has(arrayMap(x -> toUInt64(x), {positions: Array(String)}), position)`,
    params: { source, positions },
    tag: "ingest.stored_rejects",
  });
  return new Set(rows.map((r) => r.pos));
}

const reasonCountSchema = z.object({ reason: z.string(), n: z.coerce.number() });
export type RefusalCount = z.infer<typeof reasonCountSchema>;

/** Refused lines per reason since `since` (epoch ms). */
export async function getRefusalCounts(input: { since: number }, ch?: ClickHouse): Promise<RefusalCount[]> {
  const rows = await (
    await client(ch)
  ).queryRows<unknown>({
    query: `SELECT reason, count() AS n FROM ingest_rejects
            WHERE ingested_at >= fromUnixTimestamp64Milli({since: Int64})
            GROUP BY reason ORDER BY n DESC, reason LIMIT 100`,
    params: { since: input.since },
    tag: "ingest.refusal_counts",
  });
  return rows.map((r) => reasonCountSchema.parse(r));
}

const refusedLineSchema = z.object({
  ingested_at: z.coerce.number(),
  source: z.string(),
  position: z.string(),
  reason: z.string(),
  raw: z.string(),
});
export type RefusedLine = z.infer<typeof refusedLineSchema>;

/** The most recent refused lines, optionally of one reason. Raw lines are cut at 2 KiB for display. */
export async function listRefusedLines(input: { since: number; reason?: string; limit: number }, ch?: ClickHouse): Promise<RefusedLine[]> {
  const rows = await (
    await client(ch)
  ).queryRows<unknown>({
    // Aliases differ from column names: ClickHouse would resolve WHERE/ORDER BY to the aliases.
    query: `SELECT toUnixTimestamp64Milli(ingested_at) AS at_ms, toString(source) AS src,
                   toString(position) AS pos, toString(reason) AS why, substringUTF8(raw, 1, 2048) AS line
            FROM ingest_rejects
            WHERE ingested_at >= fromUnixTimestamp64Milli({since: Int64})
            ${input.reason !== undefined ? "AND reason = {reason: String}" : ""}
            ORDER BY ingested_at DESC, position DESC
            LIMIT {limit: UInt32}`,
    params: { since: input.since, limit: input.limit, ...(input.reason !== undefined ? { reason: input.reason } : {}) },
    tag: "ingest.refused_lines",
  });
  return rows.map((r) => {
    const x = r as { at_ms: unknown; src: unknown; pos: unknown; why: unknown; line: unknown };
    return refusedLineSchema.parse({ ingested_at: x.at_ms, source: x.src, position: x.pos, reason: x.why, raw: x.line });
  });
}

/**
 * Benchmark baseline only (scripts/bench-ingest.ts): chDB reading a log file
 * with its own parser into audit_log, without the contract's validation.
 * Embedded chDB only (the file is read by the engine's process).
 */
export async function benchNativeLoad(input: { path: string }, ch?: ClickHouse): Promise<void> {
  await (
    await client(ch)
  ).execCommand({
    query: `INSERT INTO audit_log (ts, meter, gw, code, sev, led, step, job, result, rssi, lqi, snr, battery_v, msg, attrs, ingested_at, id, source)
            SELECT parseDateTime64BestEffortOrZero(kv['ts'], 3) AS ts, kv['meter'], kv['gw'], kv['code'], kv['sev'], kv['led'],
                   kv['step'], kv['job'], kv['result'], toFloat32OrNull(kv['rssi']), toUInt8OrNull(kv['lqi']),
                   toFloat32OrNull(kv['snr']), toFloat32OrNull(kv['battery_v']), kv['msg'],
                   mapFilter((k, v) -> k NOT IN ('ts', 'meter', 'gw', 'code', 'sev', 'led', 'step', 'job', 'result', 'rssi', 'lqi', 'snr', 'battery_v', 'msg'), kv),
                   now64(3), cityHash64(line), 'native'
            FROM (SELECT line, extractKeyValuePairsWithEscaping(line, '=', ' ', '"') AS kv FROM file({path: String}, 'LineAsString'))`,
    params: { path: input.path },
  });
}
