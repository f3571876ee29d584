/**
 * Log explorer API requests (search page, histogram, export): URL params -> validated input. Pure.
 *
 *   parseLogApiRequest(sp) -> { ok: true, ... } | { ok: false, error }
 *
 * The page resolves a preset range to absolute from/to once per search, so the histogram, every
 * keyset page and the export see the same window: the API takes from/to (ISO) only.
 * A syntax error comes back with its position, never as an exception.
 */
import { z } from "zod";
import { EXPORT_FORMATS, type ExportFormat } from "./export";
import { parseQuery, type QueryError, type QueryNode } from "./query-parser";
import { LOG_COLUMNS, type LogColumn } from "./sql-builder";
import { parseIsoInstant, validateTimeRange } from "./time-range";

export type LogApiError =
  | { kind: "syntax"; message: string; position: number; length: number }
  | { kind: "invalid"; message: string }
  | { kind: "limit"; message: string }
  // From the route handlers' error mapper (lib/http/errors.ts).
  | { kind: "not_found" | "denied" | "unavailable" | "internal"; message: string };

export interface LogApiRequest {
  q: string;
  ast: QueryNode;
  from: number;
  to: number;
  order: "desc" | "asc";
  stackBy: "sev" | "code";
  cursor: { ts: number; id: string } | null;
  limit: number;
  columns: LogColumn[];
  format: ExportFormat;
}

export const DEFAULT_VISIBLE_COLUMNS: readonly LogColumn[] = ["ts", "sev", "code", "meter", "gw", "msg"];

/** The log API's query parameters (the OpenAPI document of /api/v1/logs is generated from it). */
export const logApiQuerySchema = z.object({
  q: z.string().max(4000).default(""),
  from: z.string().min(1, "from is required"),
  to: z.string().min(1, "to is required"),
  order: z.enum(["desc", "asc"]).default("desc"),
  stack: z.enum(["sev", "code"]).default("sev"),
  cursor: z
    .string()
    .regex(/^\d{1,15}_\d{1,20}$/, "cursor must be <epoch ms>_<id>")
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  cols: z.string().max(1000).optional(),
  format: z.enum(EXPORT_FORMATS as [ExportFormat, ...ExportFormat[]]).default("csv"),
});

/** Comma-separated column names -> allow-listed columns (unknown names dropped, order kept). */
export function parseColumnList(text: string | undefined | null): LogColumn[] {
  if (!text) return [...DEFAULT_VISIBLE_COLUMNS];
  const cols = text
    .split(",")
    .map((c) => c.trim())
    .filter((c): c is LogColumn => (LOG_COLUMNS as readonly string[]).includes(c));
  const unique = [...new Set(cols)];
  return unique.length ? unique : [...DEFAULT_VISIBLE_COLUMNS];
}

export function parseLogApiRequest(sp: URLSearchParams): { ok: true; value: LogApiRequest } | { ok: false; error: LogApiError } {
  const raw = Object.fromEntries([...sp.keys()].map((k) => [k, sp.get(k) ?? undefined]));
  const parsed = logApiQuerySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: { kind: "invalid", message: `${issue?.path.join(".") || "request"}: ${issue?.message ?? "invalid"}` } };
  }
  const p = parsed.data;
  const from = parseIsoInstant(p.from);
  const to = parseIsoInstant(p.to);
  if (from === null || to === null) return { ok: false, error: { kind: "invalid", message: "from and to must be ISO 8601 dates" } };
  const check = validateTimeRange({ kind: "absolute", from, to });
  if (!check.ok) return { ok: false, error: { kind: "invalid", message: check.message } };
  const query = parseQuery(p.q);
  if (!query.ok) return { ok: false, error: syntaxError(query.error) };
  let cursor: LogApiRequest["cursor"] = null;
  if (p.cursor) {
    const [ts, id] = p.cursor.split("_");
    cursor = { ts: Number(ts), id: id! };
  }
  return {
    ok: true,
    value: { q: p.q, ast: query.ast, from, to, order: p.order, stackBy: p.stack, cursor, limit: p.limit, columns: parseColumnList(p.cols), format: p.format },
  };
}

function syntaxError(e: QueryError): LogApiError {
  return { kind: "syntax", message: e.message, position: e.position, length: e.length };
}
