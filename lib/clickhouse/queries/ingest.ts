// Ingest's ClickHouse surface: the insert sink the writer uses (TSV bodies with
// insert_deduplication_token) and the reads behind the Ingest page and MQTT
// redelivery checks. The only ingest file holding ClickHouse SQL.
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

/**
 * chDB: a Session on the same data directory as the process handle (chDB keeps
 * one engine per process; sessions share it). SETTINGS stay on this INSERT.
 * Server: its own HTTP client, TabSeparated body streamed as is.
 */
export function createIngestSink(opts: { chdbPath: string; database: string } | { url: string; user?: string; password?: string; database: string }): IngestSink {
  if ("chdbPath" in opts) {
    const session = new Session(opts.chdbPath);
    return {
      async insertTsv({ table, columns, body, dedupToken }) {
        await session.insert({
          table: `${opts.database}.${table}`,
          format: "TSV",
          columns,
          values: body,
          settings: { insert_deduplication_token: dedupToken },
        });
      },
      async close() {
        session.close();
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
  const rows = await (await client(ch)).queryRows<{ sid: string }>({
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
  const rows = await (await client(ch)).queryRows<{ pos: string }>({
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
  const rows = await (await client(ch)).queryRows<unknown>({
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
  const rows = await (await client(ch)).queryRows<unknown>({
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

const sourceCountSchema = z.object({ source: z.string(), accepted: z.coerce.number(), last_at: z.coerce.number() });
export type SourceCount = z.infer<typeof sourceCountSchema>;

/** Accepted lines per source since `since` (epoch ms). */
export async function getAcceptedCounts(input: { since: number }, ch?: ClickHouse): Promise<SourceCount[]> {
  const rows = await (await client(ch)).queryRows<unknown>({
    query: `SELECT toString(source) AS source, count() AS accepted, toUnixTimestamp64Milli(max(ingested_at)) AS last_at
            FROM audit_log
            WHERE ingested_at >= fromUnixTimestamp64Milli({since: Int64})
            GROUP BY source ORDER BY accepted DESC LIMIT 100`,
    params: { since: input.since },
    tag: "ingest.accepted_counts",
  });
  return rows.map((r) => sourceCountSchema.parse(r));
}

/**
 * Benchmark baseline only (scripts/bench-ingest.ts): chDB reading a log file
 * with its own parser into audit_log, without the contract's validation.
 * Embedded chDB only (the file is read by the engine's process).
 */
export async function benchNativeLoad(input: { path: string }, ch?: ClickHouse): Promise<void> {
  await (await client(ch)).execCommand({
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
