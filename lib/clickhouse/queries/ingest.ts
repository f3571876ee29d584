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

/** Which of these line ids are already in audit_log (MQTT redelivery check). */
export async function findStoredAuditIds(ids: string[], ch?: ClickHouse): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await (await client(ch)).queryRows<{ id: string }>({
    query: "SELECT DISTINCT toString(id) AS id FROM audit_log WHERE id IN {ids: Array(UInt64)}",
    params: { ids },
    tag: "ingest.stored_ids",
  });
  return new Set(rows.map((r) => r.id));
}

/** Which of these positions of `source` are already in ingest_rejects. */
export async function findStoredRejectPositions(source: string, positions: string[], ch?: ClickHouse): Promise<Set<string>> {
  if (positions.length === 0) return new Set();
  const rows = await (await client(ch)).queryRows<{ position: string }>({
    query: `SELECT DISTINCT toString(position) AS position FROM ingest_rejects
            WHERE source = {source: String} AND position IN {positions: Array(UInt64)}`,
    params: { source, positions },
    tag: "ingest.stored_rejects",
  });
  return new Set(rows.map((r) => r.position));
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
    query: `SELECT toUnixTimestamp64Milli(ingested_at) AS ingested_at, toString(source) AS source,
                   toString(position) AS position, toString(reason) AS reason, substringUTF8(raw, 1, 2048) AS raw
            FROM ingest_rejects
            WHERE ingested_at >= fromUnixTimestamp64Milli({since: Int64})
            ${input.reason !== undefined ? "AND reason = {reason: String}" : ""}
            ORDER BY ingested_at DESC, position DESC
            LIMIT {limit: UInt32}`,
    params: { since: input.since, limit: input.limit, ...(input.reason !== undefined ? { reason: input.reason } : {}) },
    tag: "ingest.refused_lines",
  });
  return rows.map((r) => refusedLineSchema.parse(r));
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
