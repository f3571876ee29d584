// Log explorer reads: one keyset page, the stacked histogram, the count, and the
// export stream. SQL comes from lib/logs/sql-builder (values as parameters only);
// this file runs it, converts rows at the boundary and applies the read limits.
import { z } from "zod";
import { TIME_COLUMNS } from "@/lib/audit/columns";
import type { QueryNode } from "@/lib/logs/query-parser";
import { buildCountQuery, buildHistogramQuery, buildSearchQuery, buildWhere, LOG_COLUMNS, type LogColumn } from "@/lib/logs/sql-builder";
import { getClickHouse, type ClickHouse, type ReadSettings } from "../client";
import { formatClickHouseTime } from "../time";

/**
 * Columns every result page carries; the shown ones are added. Not all 27: reading every column of a
 * meter's rows (spread over many granules) cost ~5x the lean page at 10 M rows. A row expands via getLogRow.
 */
export const LIST_COLUMNS: readonly LogColumn[] = ["ts", "id", "sev", "code", "meter", "gw", "msg"];
export const DEFAULT_PAGE_SIZE = 200;
/** Exports may run longer than interactive reads, but never unbounded. */
export const EXPORT_MAX_SECONDS = 600;

const TIME = new Set<string>(TIME_COLUMNS);

/** ClickHouse 'YYYY-MM-DD hh:mm:ss.SSS' (UTC) -> ISO 8601 with Z. */
export function clickHouseTimeToIso(text: string): string {
  return text.replace(" ", "T") + (text.includes(".") ? "Z" : ".000Z");
}

export type LogRow = Record<string, unknown> & { ts: string; id: string };

/** Row from JSONEachRow -> plain values: times as ISO strings, UInt64 id as a string. */
export function toLogRow(raw: Record<string, unknown>): LogRow {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    out[k] = TIME.has(k) && typeof v === "string" ? clickHouseTimeToIso(v) : v;
  }
  out.id = String(raw.id ?? "");
  return out as LogRow;
}

export interface LogCursor {
  /** epoch ms */
  ts: number;
  id: string;
}

export interface SearchLogsInput {
  ast: QueryNode;
  from: number;
  to: number;
  order: "desc" | "asc";
  limit?: number;
  cursor?: LogCursor | null;
  /** Shown columns (added to LIST_COLUMNS). */
  columns?: readonly LogColumn[];
  signal?: AbortSignal;
  /** Extra read limits (tests, benches); the client adds the configured timeout. */
  settings?: ReadSettings;
}

export interface SearchLogsResult {
  rows: LogRow[];
  /** Pass back as `cursor` for the next page; null when this page was the last. */
  nextCursor: LogCursor | null;
}

export async function searchLogs(input: SearchLogsInput, ch?: ClickHouse): Promise<SearchLogsResult> {
  const limit = input.limit ?? DEFAULT_PAGE_SIZE;
  // One row more than asked says whether another page exists without a count.
  const { query, params } = buildSearchQuery({
    ast: input.ast,
    from: input.from,
    to: input.to,
    order: input.order,
    limit: limit + 1,
    cursor: input.cursor ?? null,
    columns: [...new Set([...LIST_COLUMNS, ...(input.columns ?? [])])],
  });
  const handle = ch ?? (await getClickHouse());
  const raw = await handle.queryRows<Record<string, unknown>>({
    query,
    params,
    tag: "logs.search",
    signal: input.signal,
    settings: input.settings,
  });
  const rows = raw.slice(0, limit).map(toLogRow);
  const last = rows[rows.length - 1];
  const nextCursor = raw.length > limit && last ? { ts: Date.parse(last.ts), id: last.id } : null;
  return { rows, nextCursor };
}

const histogramRowSchema = z.object({ bucket: z.string(), series: z.string(), n: z.coerce.number() });

export interface HistogramBucket {
  /** Bucket start, epoch ms. */
  t: number;
  series: string;
  n: number;
}

export interface LogHistogram {
  interval: { label: string; seconds: number };
  buckets: HistogramBucket[];
  total: number;
}

export async function getLogHistogram(
  input: { ast: QueryNode; from: number; to: number; targetBuckets?: number; stackBy: "sev" | "code"; signal?: AbortSignal; settings?: ReadSettings },
  ch?: ClickHouse,
): Promise<LogHistogram> {
  const { query, params, interval } = buildHistogramQuery({
    ast: input.ast,
    from: input.from,
    to: input.to,
    targetBuckets: input.targetBuckets ?? 80,
    stackBy: input.stackBy,
  });
  const handle = ch ?? (await getClickHouse());
  const raw = await handle.queryRows<unknown>({ query, params, tag: "logs.histogram", signal: input.signal, settings: input.settings });
  let total = 0;
  const buckets = raw.map((r) => {
    const row = histogramRowSchema.parse(r);
    total += row.n;
    return { t: Date.parse(clickHouseTimeToIso(row.bucket)), series: row.series, n: row.n };
  });
  return { interval: { label: interval.label, seconds: interval.seconds }, buckets, total };
}

export async function countLogs(input: { ast: QueryNode; from: number; to: number; signal?: AbortSignal; settings?: ReadSettings }, ch?: ClickHouse): Promise<number> {
  const { query, params } = buildCountQuery(input);
  const handle = ch ?? (await getClickHouse());
  const [row] = await handle.queryRows<{ n: string }>({ query, params, tag: "logs.count", signal: input.signal, settings: input.settings });
  return Number(row?.n ?? 0);
}

/**
 * Every matching row in [from, to), in time order, without buffering (exports). The columns come
 * from the allow-list; the WHERE is the builder's, so an export holds exactly what the search shows.
 */
export async function* streamLogs(
  input: { ast: QueryNode; from: number; to: number; order: "desc" | "asc"; columns: readonly LogColumn[]; signal?: AbortSignal; settings?: ReadSettings },
  ch?: ClickHouse,
): AsyncGenerator<LogRow> {
  if (input.order !== "desc" && input.order !== "asc") throw new Error(`Unknown order: ${String(input.order)}`);
  for (const c of input.columns) {
    if (!(LOG_COLUMNS as readonly string[]).includes(c)) throw new Error(`Unknown log column: ${String(c)}`);
  }
  const selected = ["ts", "id", ...input.columns.filter((c) => c !== "ts" && c !== "id")];
  const where = buildWhere(input.ast);
  const dir = input.order === "desc" ? "DESC" : "ASC";
  const query = [
    `SELECT ${selected.join(", ")}`,
    "FROM audit_log",
    "WHERE ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}",
    where.sql === "1" ? "" : `  AND (${where.sql})`,
    `ORDER BY ts ${dir}, id ${dir}`,
  ].join("\n");
  const params = { ...where.params, from: formatClickHouseTime(input.from), to: formatClickHouseTime(input.to) };
  const handle = ch ?? (await getClickHouse());
  const stream = handle.queryStream<Record<string, unknown>>({
    query,
    params,
    tag: "logs.export",
    signal: input.signal,
    settings: { max_execution_time: EXPORT_MAX_SECONDS, ...input.settings },
  });
  for await (const raw of stream) yield toLogRow(raw);
}

/** One whole line (every column incl. attrs) by its key; code narrows the read to one primary-key range. */
export async function getLogRow(input: { code: string; ts: number; id: string; signal?: AbortSignal }, ch?: ClickHouse): Promise<LogRow | null> {
  if (!/^\d{1,20}$/.test(input.id)) throw new RangeError(`Invalid id: ${input.id}`);
  const handle = ch ?? (await getClickHouse());
  const [raw] = await handle.queryRows<Record<string, unknown>>({
    query: `SELECT ${LOG_COLUMNS.join(", ")} FROM audit_log
            WHERE code = {code:String} AND ts = {ts:DateTime64(3, 'UTC')} AND id = {id:UInt64}
            LIMIT 1`,
    params: { code: input.code, ts: formatClickHouseTime(input.ts), id: input.id },
    tag: "logs.row",
    signal: input.signal,
  });
  return raw ? toLogRow(raw) : null;
}
