/**
 * Log explorer AST -> ClickHouse SQL for `audit_log`. Pure, no I/O.
 *
 *   buildWhere(ast)                 -> { sql, params }   predicate only ("1" for match-all)
 *   buildSearchQuery(input)         -> { query, params } one keyset page on (ts, id)
 *   buildCountQuery({ ast, from, to }) -> { query, params }  one row: n
 *   buildHistogramQuery(input)      -> { query, params, interval }  rows: bucket, series, n
 *   chooseHistogramInterval(spanMs, targetBuckets) -> HistogramInterval
 *
 * Every value is a query parameter ({p0:String}, {p1:Float32}, ...); columns come from allow-lists, so
 * the SQL text only ever holds fixed fragments. Params are in the form @clickhouse/client and chDB's
 * queryBind accept: strings, numbers, and times as 'YYYY-MM-DD hh:mm:ss.SSS' UTC strings.
 * Time placeholders say DateTime64(3, 'UTC') because a bare DateTime64(3) string parses in the server zone.
 * Search rows: the chosen columns, always starting with ts, id (id is UInt64, a string in JSON);
 * pass the last row's { ts, id } as `cursor` for the next page.
 */
import { AUDIT_LOG_COLUMNS, NULLABLE_COLUMNS, type AuditLogColumn } from "@/lib/audit/columns";
import { formatClickHouseTime, toClickHouseMillis } from "@/lib/clickhouse/time";
import { fieldKind, QUERY_FIELDS, type CompareOp, type FieldRef, type QueryNode } from "./query-parser";

export type QueryParams = Record<string, string | number>;

const TABLE = "audit_log";
const TIME_TYPE = "DateTime64(3, 'UTC')";

const LEADING_COLUMNS = ["ts", "id", "recv_ts", "ingested_at"] as const;
/** Output columns a search may select: every audit_log column, the keyset and the times first. */
export const LOG_COLUMNS: readonly AuditLogColumn[] = [...LEADING_COLUMNS, ...AUDIT_LOG_COLUMNS.filter((c) => !(LEADING_COLUMNS as readonly string[]).includes(c))];
export type LogColumn = AuditLogColumn;

export const MAX_PAGE_SIZE = 1000;

/** Query field -> SQL column; the only route from user text to an identifier. */
const COLUMN_SQL: Readonly<Record<keyof typeof QUERY_FIELDS, string>> = Object.fromEntries(Object.keys(QUERY_FIELDS).map((name) => [name, name])) as Record<
  keyof typeof QUERY_FIELDS,
  string
>;
const NULLABLE = new Set<string>(NULLABLE_COLUMNS);
const COMPARE_SQL: Readonly<Record<CompareOp, string>> = { "=": "=", "<": "<", "<=": "<=", ">": ">", ">=": ">=" };
const STACK_BY_SQL = { sev: "sev", code: "code" } as const;

export interface HistogramInterval {
  label: string;
  seconds: number;
  /** ClickHouse INTERVAL literal, from this fixed list only. */
  sql: string;
}

export const HISTOGRAM_INTERVALS: readonly HistogramInterval[] = [
  { label: "1s", seconds: 1, sql: "INTERVAL 1 SECOND" },
  { label: "5s", seconds: 5, sql: "INTERVAL 5 SECOND" },
  { label: "10s", seconds: 10, sql: "INTERVAL 10 SECOND" },
  { label: "30s", seconds: 30, sql: "INTERVAL 30 SECOND" },
  { label: "1m", seconds: 60, sql: "INTERVAL 1 MINUTE" },
  { label: "5m", seconds: 300, sql: "INTERVAL 5 MINUTE" },
  { label: "10m", seconds: 600, sql: "INTERVAL 10 MINUTE" },
  { label: "30m", seconds: 1800, sql: "INTERVAL 30 MINUTE" },
  { label: "1h", seconds: 3600, sql: "INTERVAL 1 HOUR" },
  { label: "3h", seconds: 10800, sql: "INTERVAL 3 HOUR" },
  { label: "6h", seconds: 21600, sql: "INTERVAL 6 HOUR" },
  { label: "12h", seconds: 43200, sql: "INTERVAL 12 HOUR" },
  { label: "1d", seconds: 86400, sql: "INTERVAL 1 DAY" },
];

export type TimeInput = Date | number;

export interface SearchQueryInput {
  ast: QueryNode;
  from: TimeInput;
  to: TimeInput;
  limit: number;
  /** ts and id of the last row of the previous page. */
  cursor?: { ts: TimeInput; id: string | number | bigint } | null;
  order: "desc" | "asc";
  columns: readonly LogColumn[];
}

export interface HistogramQueryInput {
  ast: QueryNode;
  from: TimeInput;
  to: TimeInput;
  targetBuckets: number;
  stackBy: keyof typeof STACK_BY_SQL;
}

export function buildWhere(ast: QueryNode): { sql: string; params: QueryParams } {
  const compiler = new WhereCompiler();
  const { sql } = compiler.compile(ast, true);
  return { sql, params: compiler.params };
}

export function buildSearchQuery(input: SearchQueryInput): { query: string; params: QueryParams } {
  const { ast, order, columns } = input;
  if (order !== "desc" && order !== "asc") throw new Error(`Unknown order: ${String(order)}`);
  for (const column of columns) {
    if (!(LOG_COLUMNS as readonly string[]).includes(column)) throw new Error(`Unknown log column: ${String(column)}`);
  }
  const selected = ["ts", "id", ...columns.filter((c) => c !== "ts" && c !== "id")];
  const { clauses, params } = buildFilter(ast, input.from, input.to);
  if (input.cursor) {
    const cmp = order === "desc" ? "<" : ">";
    params.cursor_ts = formatClickHouseTime(input.cursor.ts);
    params.cursor_id = formatUInt64(input.cursor.id);
    clauses.push(`(ts ${cmp} {cursor_ts:${TIME_TYPE}} OR (ts = {cursor_ts:${TIME_TYPE}} AND id ${cmp} {cursor_id:UInt64}))`);
  }
  params.limit = clampLimit(input.limit);
  const dir = order === "desc" ? "DESC" : "ASC";
  const query = [`SELECT ${selected.join(", ")}`, `FROM ${TABLE}`, `WHERE ${clauses.join("\n  AND ")}`, `ORDER BY ts ${dir}, id ${dir}`, "LIMIT {limit:UInt32}"].join("\n");
  return { query, params };
}

export function buildCountQuery(input: { ast: QueryNode; from: TimeInput; to: TimeInput }): { query: string; params: QueryParams } {
  const { clauses, params } = buildFilter(input.ast, input.from, input.to);
  return { query: [`SELECT count() AS n`, `FROM ${TABLE}`, `WHERE ${clauses.join("\n  AND ")}`].join("\n"), params };
}

/** Columns a grouped count (alert rules) may group by: an allow-list, sent as an Identifier. */
export const GROUP_COUNT_COLUMNS = { gw: "gw", meter: "meter", code: "code" } as const;

/**
 * Matching lines per value of one column in [from, to), with up to 50 of their meters (alert
 * rules over the explorer's language); without a column, one fleet-wide row.
 */
export function buildGroupCountQuery(input: { ast: QueryNode; from: TimeInput; to: TimeInput; groupBy: keyof typeof GROUP_COUNT_COLUMNS | null }): {
  query: string;
  params: QueryParams;
} {
  const { clauses, params } = buildFilter(input.ast, input.from, input.to);
  const group = input.groupBy === null ? null : GROUP_COUNT_COLUMNS[input.groupBy];
  if (input.groupBy !== null && !group) throw new Error(`Unknown group column: ${String(input.groupBy)}`);
  if (group) params.group_col = group;
  const select = group ? "toString({group_col:Identifier}) AS g" : "'' AS g";
  const query = [
    `SELECT ${select}, count() AS n, groupUniqArray(50)(meter) AS sample`,
    `FROM ${TABLE}`,
    `WHERE ${clauses.join("\n  AND ")}`,
    group ? "GROUP BY g" : "HAVING n > 0",
  ].join("\n");
  return { query, params };
}

export function buildHistogramQuery(input: HistogramQueryInput): {
  query: string;
  params: QueryParams;
  interval: HistogramInterval;
} {
  if (!Object.hasOwn(STACK_BY_SQL, input.stackBy)) throw new Error(`Unknown stackBy: ${String(input.stackBy)}`);
  const series = STACK_BY_SQL[input.stackBy];
  const fromMs = toClickHouseMillis(input.from);
  const toMs = toClickHouseMillis(input.to);
  const interval = chooseHistogramInterval(toMs - fromMs, input.targetBuckets);
  const minuteFrom = Math.ceil(fromMs / MINUTE_MS) * MINUTE_MS;
  const minuteTo = Math.floor(toMs / MINUTE_MS) * MINUTE_MS;
  if (interval.seconds < 60 || minuteTo <= minuteFrom || !readsOnly(input.ast, MINUTE_COUNT_FIELDS)) {
    const { clauses, params } = buildFilter(input.ast, fromMs, toMs);
    const query = [
      `SELECT toStartOfInterval(ts, ${interval.sql}) AS bucket, ${series} AS series, count() AS n`,
      `FROM ${TABLE}`,
      `WHERE ${clauses.join("\n  AND ")}`,
      "GROUP BY bucket, series",
      "ORDER BY bucket ASC, series ASC",
    ].join("\n");
    return { query, params, interval };
  }
  // Whole minutes from the per-minute counts (projection p_hist, migration 010): every
  // expression of the first branch is computed from toStartOfMinute(ts), code and sev only,
  // which is what lets ClickHouse read the projection. The partial minutes at either edge
  // come from the table, so the counts are exact for any from/to.
  const where = buildWhere(input.ast);
  const filter = where.sql === "1" ? "" : ` AND (${where.sql})`;
  const params: QueryParams = {
    ...where.params,
    from: formatClickHouseTime(fromMs),
    to: formatClickHouseTime(toMs),
    minute_from: formatClickHouseTime(minuteFrom),
    minute_to: formatClickHouseTime(minuteTo),
  };
  const query = [
    "SELECT bucket, series, sum(n) AS n FROM (",
    `  SELECT toStartOfInterval(toStartOfMinute(ts), ${interval.sql}) AS bucket, ${series} AS series, count() AS n`,
    `  FROM ${TABLE}`,
    `  WHERE toStartOfMinute(ts) >= {minute_from:${TIME_TYPE}} AND toStartOfMinute(ts) < {minute_to:${TIME_TYPE}}${filter}`,
    "  GROUP BY bucket, series",
    "  UNION ALL",
    `  SELECT toStartOfInterval(ts, ${interval.sql}) AS bucket, ${series} AS series, count() AS n`,
    `  FROM ${TABLE}`,
    `  WHERE ((ts >= {from:${TIME_TYPE}} AND ts < {minute_from:${TIME_TYPE}}) OR (ts >= {minute_to:${TIME_TYPE}} AND ts < {to:${TIME_TYPE}}))${filter}`,
    "  GROUP BY bucket, series",
    ")",
    "GROUP BY bucket, series",
    "ORDER BY bucket ASC, series ASC",
  ].join("\n");
  return { query, params, interval };
}

/** Columns the per-minute counts (projection p_hist, migration 010) are grouped by. */
const MINUTE_COUNT_FIELDS: ReadonlySet<string> = new Set(["code", "sev"]);
const MINUTE_MS = 60_000;

/** True when every condition of the query is on one of these columns (no free text, no attribute). */
function readsOnly(node: QueryNode, columns: ReadonlySet<string>): boolean {
  switch (node.type) {
    case "all":
      return true;
    case "and":
    case "or":
      return node.children.every((c) => readsOnly(c, columns));
    case "not":
      return readsOnly(node.child, columns);
    case "text":
      return false;
    default:
      return node.field.kind === "column" && columns.has(node.field.name);
  }
}

/** Smallest interval from the fixed list giving at most targetBuckets buckets; 1d if none does. */
export function chooseHistogramInterval(spanMs: number, targetBuckets: number): HistogramInterval {
  const target = Number.isFinite(targetBuckets) ? Math.max(1, Math.floor(targetBuckets)) : 100;
  const span = Math.max(0, spanMs);
  return HISTOGRAM_INTERVALS.find((i) => span / (i.seconds * 1000) <= target) ?? HISTOGRAM_INTERVALS[HISTOGRAM_INTERVALS.length - 1];
}

function formatUInt64(id: string | number | bigint): string {
  const text = String(id);
  if (!/^\d{1,20}$/.test(text)) throw new RangeError(`Invalid cursor id: ${text}`);
  return text;
}

function clampLimit(limit: number): number {
  if (!Number.isFinite(limit)) return MAX_PAGE_SIZE;
  return Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(limit)));
}

function buildFilter(ast: QueryNode, from: TimeInput, to: TimeInput): { clauses: string[]; params: QueryParams } {
  const where = buildWhere(ast);
  const params: QueryParams = { from: formatClickHouseTime(from), to: formatClickHouseTime(to), ...where.params };
  const clauses = [`ts >= {from:${TIME_TYPE}}`, `ts < {to:${TIME_TYPE}}`];
  if (where.sql !== "1") clauses.push(`(${where.sql})`);
  return { clauses, params };
}

interface Compiled {
  sql: string;
  /** Can evaluate to NULL (touches a Nullable column), which NOT must treat as "no match". */
  nullable: boolean;
}

class WhereCompiler {
  readonly params: QueryParams = {};
  private next = 0;

  compile(node: QueryNode, isRoot = false): Compiled {
    switch (node.type) {
      case "all":
        return { sql: "1", nullable: false };
      case "and":
      case "or": {
        if (node.children.length === 0) return { sql: node.type === "and" ? "1" : "0", nullable: false };
        const parts = node.children.map((child) => this.compile(child));
        const sql = parts.map((p) => p.sql).join(node.type === "and" ? " AND " : " OR ");
        return { sql: isRoot || parts.length === 1 ? sql : `(${sql})`, nullable: parts.some((p) => p.nullable) };
      }
      case "not": {
        const inner = this.compile(node.child, true);
        // Lucene: -rssi:<-95 keeps rows without rssi; NOT NULL would drop them.
        return { sql: inner.nullable ? `NOT ifNull(${inner.sql}, 0)` : `NOT (${inner.sql})`, nullable: false };
      }
      case "text":
        return { sql: this.textMatch(String(node.value), node.phrase), nullable: false };
      case "term": {
        const target = this.stringTarget(node.field);
        return { sql: `${target} = ${this.param("String", String(node.value))}`, nullable: false };
      }
      case "wildcard":
        return this.wildcard(node.field, String(node.pattern));
      case "compare":
        return this.comparison(node.field, node.op, node.value);
      case "range":
        return this.range(node);
      case "exists":
        return this.exists(node.field);
      default:
        throw new Error(`Unknown query node: ${JSON.stringify(node)}`);
    }
  }

  private param(type: string, value: string | number): string {
    const name = `p${this.next++}`;
    this.params[name] = value;
    return `{${name}:${type}}`;
  }

  private column(field: FieldRef): string {
    if (field.kind !== "column" || !Object.hasOwn(COLUMN_SQL, field.name)) {
      throw new Error(`Unknown field: ${JSON.stringify(field)}`);
    }
    return COLUMN_SQL[field.name];
  }

  private attrValue(field: FieldRef & { kind: "attr" }): string {
    return `attrs[${this.param("String", String(field.key))}]`;
  }

  /** A String-typed expression for equality / LIKE: keyword or text column, or attribute. */
  private stringTarget(field: FieldRef): string {
    if (field.kind === "attr") return this.attrValue(field);
    const column = this.column(field);
    const kind = fieldKind(field);
    if (kind !== "keyword" && kind !== "text") throw new Error(`Field ${column} holds no text`);
    return column;
  }

  private textMatch(value: string, phrase: boolean): string {
    // hasToken* throws on a needle with separators, and only tokenbf-indexes alphanumeric ASCII tokens.
    if (!phrase && /^[A-Za-z0-9]+$/.test(value)) return `hasTokenCaseInsensitive(msg, ${this.param("String", value)})`;
    // The non-UTF8 variant folds ASCII only; use the UTF8 one when the needle needs it.
    // eslint-disable-next-line no-control-regex -- the ASCII range starts at NUL
    const fn = /^[\x00-\x7f]*$/.test(value) ? "positionCaseInsensitive" : "positionCaseInsensitiveUTF8";
    return `${fn}(msg, ${this.param("String", value)}) > 0`;
  }

  private wildcard(field: FieldRef, pattern: string): Compiled {
    const target = this.stringTarget(field);
    const like = globToLike(pattern);
    if (field.kind === "column" && fieldKind(field) === "text") {
      // Free text matches anywhere in msg, like the word and phrase searches.
      const anywhere = `${like.startsWith("%") ? "" : "%"}${like}${/(^|[^\\])(\\\\)*%$/.test(like) ? "" : "%"}`;
      return { sql: `${target} ILIKE ${this.param("String", anywhere)}`, nullable: false };
    }
    return { sql: `${target} LIKE ${this.param("String", like)}`, nullable: false };
  }

  /** Numeric/time expression and the placeholder type for its bounds. */
  private orderedTarget(field: FieldRef): { expr: string; type: string; nullable: boolean; time: boolean } {
    if (field.kind === "attr") {
      return { expr: `toFloat64OrNull(${this.attrValue(field)})`, type: "Float64", nullable: true, time: false };
    }
    const kind = fieldKind(field);
    const column = this.column(field);
    const nullable = NULLABLE.has(column);
    // Float32 bounds compare like the stored Float32 values (12.3 as Float64 is above 12.3 as Float32).
    if (kind === "number") return { expr: column, type: "Float32", nullable, time: false };
    if (kind === "time") return { expr: column, type: TIME_TYPE, nullable, time: true };
    throw new Error(`Field ${column} is not numeric`);
  }

  private bound(target: { type: string; time: boolean }, value: number): string {
    if (typeof value !== "number" || !Number.isFinite(value)) throw new Error(`Invalid bound: ${String(value)}`);
    return this.param(target.type, target.time ? formatClickHouseTime(value) : value);
  }

  private comparison(field: FieldRef, op: CompareOp, value: number): Compiled {
    if (!Object.hasOwn(COMPARE_SQL, op)) throw new Error(`Unknown operator: ${String(op)}`);
    const target = this.orderedTarget(field);
    return { sql: `${target.expr} ${COMPARE_SQL[op]} ${this.bound(target, value)}`, nullable: target.nullable };
  }

  private range(node: QueryNode & { type: "range" }): Compiled {
    if (!node.lower && !node.upper) return this.exists(node.field);
    const target = this.orderedTarget(node.field);
    const parts: string[] = [];
    if (node.lower) parts.push(`${target.expr} ${node.lower.inclusive ? ">=" : ">"} ${this.bound(target, node.lower.value)}`);
    if (node.upper) parts.push(`${target.expr} ${node.upper.inclusive ? "<=" : "<"} ${this.bound(target, node.upper.value)}`);
    return { sql: parts.length === 1 ? parts[0] : `(${parts.join(" AND ")})`, nullable: target.nullable };
  }

  private exists(field: FieldRef): Compiled {
    if (field.kind === "attr") return { sql: `mapContains(attrs, ${this.param("String", String(field.key))})`, nullable: false };
    const column = this.column(field);
    const kind = fieldKind(field);
    return { sql: kind === "keyword" || kind === "text" ? `${column} != ''` : `isNotNull(${column})`, nullable: false };
  }
}

/** Glob (* ? with \ escapes) -> LIKE pattern with %, _ and \ escaped. */
export function globToLike(glob: string): string {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === "\\" && i + 1 < glob.length) {
      out += escapeLikeChar(glob[++i]);
    } else if (ch === "*") {
      out += "%";
    } else if (ch === "?") {
      out += "_";
    } else {
      out += escapeLikeChar(ch);
    }
  }
  return out;
}

function escapeLikeChar(ch: string): string {
  return ch === "%" || ch === "_" || ch === "\\" ? `\\${ch}` : ch;
}
