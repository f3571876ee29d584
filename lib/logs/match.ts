/**
 * In-JS evaluation of a parsed query (lib/logs/query-parser) against one record, mirroring the SQL that
 * sql-builder.ts emits for the same AST (used by the live tail to filter lines before they reach a socket).
 *
 *   matchRecord(ast, record) -> boolean
 *
 * Mirrors: words = hasTokenCaseInsensitive (tokens are runs of ASCII alphanumerics or non-ASCII chars),
 * phrases = case-insensitive substring, LIKE/ILIKE globs, Float32 comparisons on numeric columns,
 * attrs[k] = '' when the key is missing, toFloat64OrNull on attributes, NULL never matches and NOT of a
 * NULL comparison matches (the builder's `NOT ifNull(x, 0)`). Pure.
 */
import { fieldKind, type CompareOp, type FieldRef, type QueryNode } from "./query-parser";
import { globToLike } from "./sql-builder";

/** A line as the writer holds it (AuditRecord) plus the source; times are epoch ms. */
export interface MatchableRecord {
  ts: number;
  recv_ts?: number | null;
  cert_not_after?: number | null;
  msg?: string;
  attrs?: Record<string, string>;
  source?: string;
  [column: string]: unknown;
}

export function matchRecord(ast: QueryNode, record: MatchableRecord): boolean {
  switch (ast.type) {
    case "all":
      return true;
    case "and":
      return ast.children.every((c) => matchRecord(c, record));
    case "or":
      return ast.children.some((c) => matchRecord(c, record));
    case "not":
      return !matchRecord(ast.child, record);
    case "text":
      return matchText(String(record.msg ?? ""), ast.value, ast.phrase);
    case "term":
      return stringValue(record, ast.field) === ast.value;
    case "wildcard":
      return matchWildcard(record, ast.field, ast.pattern);
    case "compare": {
      const v = orderedValue(record, ast.field);
      return v !== null && compare(v, ast.op, boundValue(ast.field, ast.value));
    }
    case "range": {
      if (!ast.lower && !ast.upper) return exists(record, ast.field);
      const v = orderedValue(record, ast.field);
      if (v === null) return false;
      if (ast.lower && !compare(v, ast.lower.inclusive ? ">=" : ">", boundValue(ast.field, ast.lower.value))) return false;
      if (ast.upper && !compare(v, ast.upper.inclusive ? "<=" : "<", boundValue(ast.field, ast.upper.value))) return false;
      return true;
    }
    case "exists":
      return exists(record, ast.field);
    default:
      return false;
  }
}

/** Compile once per subscription: the matcher closes over the AST. */
export function compileMatcher(ast: QueryNode): (record: MatchableRecord) => boolean {
  return (record) => matchRecord(ast, record);
}

// eslint-disable-next-line no-control-regex -- the ASCII range starts at NUL
const ASCII_ONLY = /^[\x00-\x7f]*$/;

/** ClickHouse's positionCaseInsensitive folds ASCII only; the UTF8 variant folds Unicode. */
function fold(text: string, unicode: boolean): string {
  return unicode ? text.toLowerCase() : text.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

function matchText(msg: string, value: string, phrase: boolean): boolean {
  if (!phrase && /^[A-Za-z0-9]+$/.test(value)) {
    // hasToken: separators are ASCII non-alphanumerics; non-ASCII characters belong to tokens.
    const needle = value.toLowerCase();
    // eslint-disable-next-line no-control-regex -- token separators: every ASCII non-alphanumeric, NUL included
    for (const token of fold(msg, false).split(/[\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+/)) {
      if (token === needle) return true;
    }
    return false;
  }
  const unicode = !ASCII_ONLY.test(value);
  return fold(msg, unicode).includes(fold(value, unicode));
}

function columnValue(record: MatchableRecord, field: FieldRef & { kind: "column" }): unknown {
  return record[field.name];
}

function stringValue(record: MatchableRecord, field: FieldRef): string {
  if (field.kind === "attr") {
    const attrs = record.attrs ?? {};
    return Object.hasOwn(attrs, field.key) ? String(attrs[field.key]) : "";
  }
  const v = columnValue(record, field);
  return v === null || v === undefined ? "" : String(v);
}

function matchWildcard(record: MatchableRecord, field: FieldRef, pattern: string): boolean {
  const like = globToLike(pattern);
  const isText = field.kind === "column" && fieldKind(field) === "text";
  if (isText) {
    const anywhere = `${like.startsWith("%") ? "" : "%"}${like}${/(^|[^\\])(\\\\)*%$/.test(like) ? "" : "%"}`;
    return likeToRegExp(anywhere, true).test(stringValue(record, field));
  }
  return likeToRegExp(like, false).test(stringValue(record, field));
}

/** LIKE pattern (%, _, \ escapes) -> anchored RegExp over code points. */
export function likeToRegExp(like: string, caseInsensitive: boolean): RegExp {
  let out = "";
  for (let i = 0; i < like.length; i++) {
    const ch = like[i];
    if (ch === "\\" && i + 1 < like.length) {
      out += escapeRegExp(like[++i]);
    } else if (ch === "%") {
      out += "[\\s\\S]*";
    } else if (ch === "_") {
      out += "[\\s\\S]";
    } else {
      out += escapeRegExp(ch);
    }
  }
  return new RegExp(`^${out}$`, caseInsensitive ? "iu" : "u");
}

function escapeRegExp(ch: string): string {
  return ch.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");
}

// toFloat64OrNull accepts a plain decimal or exponent form (and inf/nan, which never compare true here).
const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function orderedValue(record: MatchableRecord, field: FieldRef): number | null {
  if (field.kind === "attr") {
    const text = stringValue(record, field);
    return FLOAT_RE.test(text) ? Number(text) : null;
  }
  const v = columnValue(record, field);
  if (v === null || v === undefined || v === "") return null;
  const n = typeof v === "number" ? v : Number(v);
  if (!Number.isFinite(n)) return null;
  // Numeric columns are Float32 (lqi UInt8) and compare with Float32 bounds: round both alike.
  return fieldKind(field) === "number" ? Math.fround(n) : n;
}

function boundValue(field: FieldRef, value: number): number {
  return field.kind === "column" && fieldKind(field) === "number" ? Math.fround(value) : value;
}

function compare(v: number, op: CompareOp, bound: number): boolean {
  switch (op) {
    case "=":
      return v === bound;
    case "<":
      return v < bound;
    case "<=":
      return v <= bound;
    case ">":
      return v > bound;
    case ">=":
      return v >= bound;
    default:
      return false;
  }
}

function exists(record: MatchableRecord, field: FieldRef): boolean {
  if (field.kind === "attr") return Object.hasOwn(record.attrs ?? {}, field.key);
  const kind = fieldKind(field);
  const v = columnValue(record, field);
  if (kind === "keyword" || kind === "text") return v !== null && v !== undefined && String(v) !== "";
  return v !== null && v !== undefined;
}
