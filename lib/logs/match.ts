/**
 * In-JS evaluation of a parsed query (lib/logs/query-parser) against one record, mirroring the SQL that
 * sql-builder.ts emits for the same AST (used by the live tail to filter lines before they reach a socket).
 *
 *   compileMatcher(ast)(record) -> boolean      (compile once per subscription)
 *   matchRecord(ast, record) -> boolean         (one-off)
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
  return compileMatcher(ast)(record);
}

/** Work done by wildcard matching, for tests and benchmarks (character steps, summed over lines). */
export interface WorkCount {
  ops: number;
}

/**
 * Compile once per subscription: wildcard patterns are parsed and folded here, not per line.
 * Throws MatchBudgetExceeded for a line whose wildcard matching would exceed its work bound.
 */
export function compileMatcher(ast: QueryNode, count?: WorkCount): (record: MatchableRecord) => boolean {
  return compileNode(ast, count);
}

type Matcher = (record: MatchableRecord) => boolean;

function compileNode(ast: QueryNode, count: WorkCount | undefined): Matcher {
  switch (ast.type) {
    case "all":
      return () => true;
    case "and": {
      const children = ast.children.map((c) => compileNode(c, count));
      return (r) => children.every((c) => c(r));
    }
    case "or": {
      const children = ast.children.map((c) => compileNode(c, count));
      return (r) => children.some((c) => c(r));
    }
    case "not": {
      const child = compileNode(ast.child, count);
      return (r) => !child(r);
    }
    case "text":
      return (r) => matchText(String(r.msg ?? ""), ast.value, ast.phrase);
    case "term":
      return (r) => stringValue(r, ast.field) === ast.value;
    case "wildcard":
      return compileWildcard(ast.field, ast.pattern, count);
    case "compare": {
      const bound = boundValue(ast.field, ast.value);
      return (r) => {
        const v = orderedValue(r, ast.field);
        return v !== null && compare(v, ast.op, bound);
      };
    }
    case "range": {
      const { field, lower, upper } = ast;
      if (!lower && !upper) return (r) => exists(r, field);
      return (r) => {
        const v = orderedValue(r, field);
        if (v === null) return false;
        if (lower && !compare(v, lower.inclusive ? ">=" : ">", boundValue(field, lower.value))) return false;
        if (upper && !compare(v, upper.inclusive ? "<=" : "<", boundValue(field, upper.value))) return false;
        return true;
      };
    }
    case "exists":
      return (r) => exists(r, ast.field);
    default:
      return () => false;
  }
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

function compileWildcard(field: FieldRef, pattern: string, count: WorkCount | undefined): Matcher {
  const isText = field.kind === "column" && fieldKind(field) === "text";
  // Free text matches anywhere in msg, case-insensitively (ILIKE '%…%'); other fields are anchored LIKE.
  const like = compileLike(globToLike(pattern), isText, isText);
  return (record) => like.test(stringValue(record, field), count);
}

/** A line whose wildcard matching needs more than this many steps per character is not matched (see MatchBudgetExceeded). */
export const WORK_PER_CHAR = 32;
/** Fixed allowance per test, so short values against long patterns (≤ MAX_QUERY_LENGTH) always finish. */
export const WORK_BASE = 8192;

/** The live tail counts such a line as skipped: the line is stored and searchable, only not pushed live. */
export class MatchBudgetExceeded extends Error {
  constructor() {
    super("Wildcard matching exceeded its work bound for this line");
  }
}

type LikeToken = string | typeof ANY_ONE;
const ANY_ONE = Symbol("any one code point");

/** A fixed-length run between two %: literals and _ (one code point). */
interface LikePart {
  tokens: LikeToken[];
  /** Length in code points (each literal counted by its code points, each _ as one). */
  codePoints: number;
  /** Index of the first literal token (tokens before it are all _), or -1. */
  firstLiteral: number;
}

export interface LikeMatcher {
  test(subject: string, count?: WorkCount): boolean;
}

/**
 * LIKE pattern (%, _, \ escapes) -> a matcher over code points that never backtracks: the pattern is
 * cut at each % into fixed-length parts; the first part is anchored at the start, the last at the end,
 * and each middle part is placed at its leftmost occurrence after the previous one (leftmost is always
 * safe, since a % absorbs whatever lies between). Work is O(line × longest part), bounded per test.
 * `anywhere` drops both anchors (ILIKE '%…%'); `caseInsensitive` folds like the RegExp "iu" flags.
 */
export function compileLike(like: string, caseInsensitive: boolean, anywhere = false): LikeMatcher {
  const parts = splitLike(like, caseInsensitive);
  if (anywhere) {
    if (parts.length === 1 || parts[0]!.tokens.length > 0) parts.unshift(emptyPart());
    if (parts[parts.length - 1]!.tokens.length > 0) parts.push(emptyPart());
  }
  return {
    test(raw: string, count?: WorkCount): boolean {
      const meter = { ops: 0, limit: WORK_PER_CHAR * raw.length + WORK_BASE };
      try {
        const subject = caseInsensitive ? foldCase(raw, meter) : raw;
        return matchParts(subject, parts, meter);
      } finally {
        if (count) count.ops += meter.ops;
      }
    },
  };
}

function emptyPart(): LikePart {
  return { tokens: [], codePoints: 0, firstLiteral: -1 };
}

function splitLike(like: string, caseInsensitive: boolean): LikePart[] {
  const parts: LikePart[] = [];
  let tokens: LikeToken[] = [];
  let literal = "";
  const flush = () => {
    if (literal) tokens.push(caseInsensitive ? foldCase(literal) : literal);
    literal = "";
  };
  const close = () => {
    flush();
    let codePoints = 0;
    for (const t of tokens) codePoints += t === ANY_ONE ? 1 : countCodePoints(t);
    parts.push({ tokens, codePoints, firstLiteral: tokens.findIndex((t) => t !== ANY_ONE) });
    tokens = [];
  };
  for (let i = 0; i < like.length; i++) {
    const ch = like[i]!;
    if (ch === "\\" && i + 1 < like.length) {
      literal += like[++i];
    } else if (ch === "%") {
      close();
    } else if (ch === "_") {
      flush();
      tokens.push(ANY_ONE);
    } else {
      literal += ch;
    }
  }
  close();
  return parts;
}

interface Meter {
  ops: number;
  limit: number;
}

function spend(meter: Meter, ops: number) {
  meter.ops += ops;
  if (meter.ops > meter.limit) throw new MatchBudgetExceeded();
}

function matchParts(s: string, parts: LikePart[], meter: Meter): boolean {
  const first = parts[0]!;
  if (parts.length === 1) return matchPartAt(s, 0, first, meter) === s.length;
  let pos = matchPartAt(s, 0, first, meter);
  if (pos < 0) return false;
  for (let i = 1; i < parts.length - 1; i++) {
    pos = findPart(s, pos, parts[i]!, meter);
    if (pos < 0) return false;
  }
  const last = parts[parts.length - 1]!;
  const start = backCodePoints(s, s.length, last.codePoints, pos, meter);
  return start >= 0 && matchPartAt(s, start, last, meter) === s.length;
}

/** End of `part` matched at `p`, or -1. */
function matchPartAt(s: string, p: number, part: LikePart, meter: Meter): number {
  for (const t of part.tokens) {
    if (t === ANY_ONE) {
      spend(meter, 1);
      if (p >= s.length) return -1;
      p += codePointWidth(s, p);
    } else {
      spend(meter, t.length);
      if (!s.startsWith(t, p)) return -1;
      p += t.length;
    }
  }
  return p;
}

/** End of the leftmost match of `part` at or after `from`, or -1. */
function findPart(s: string, from: number, part: LikePart, meter: Meter): number {
  if (part.firstLiteral < 0) return matchPartAt(s, from, part, meter); // only _: the earliest start is the only candidate
  const literal = part.tokens[part.firstLiteral] as string;
  const lead = part.firstLiteral; // number of _ before the literal
  let searchFrom = from;
  for (;;) {
    const i = s.indexOf(literal, searchFrom);
    spend(meter, (i < 0 ? s.length : i + literal.length) - searchFrom + 1);
    if (i < 0) return -1;
    const start = backCodePoints(s, i, lead, from, meter);
    if (start >= 0) {
      const end = matchPartAt(s, start, part, meter);
      if (end >= 0) return end;
    }
    searchFrom = i + 1;
  }
}

/** Position `n` code points before `p`, or -1 if that falls before `floor`. */
function backCodePoints(s: string, p: number, n: number, floor: number, meter: Meter): number {
  spend(meter, n);
  for (let k = 0; k < n; k++) {
    if (p <= floor) return -1;
    const low = s.charCodeAt(p - 1);
    p -= low >= 0xdc00 && low <= 0xdfff && p - 2 >= floor && isHighSurrogate(s.charCodeAt(p - 2)) ? 2 : 1;
  }
  return p;
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function codePointWidth(s: string, p: number): number {
  if (!isHighSurrogate(s.charCodeAt(p)) || p + 1 >= s.length) return 1;
  const next = s.charCodeAt(p + 1);
  return next >= 0xdc00 && next <= 0xdfff ? 2 : 1;
}

function countCodePoints(s: string): number {
  let n = 0;
  for (let p = 0; p < s.length; p += codePointWidth(s, p)) n++;
  return n;
}

const foldCache = new Map<string, string>();

/**
 * Case folding per code point, as RegExp "iu" compares (simple case folding): lower case, then
 * lower(upper(x)) so that variants such as ſ, ς and K fold with s, σ and k; a code point whose
 * mapping is not a single code point keeps itself (İ, ß), so "_" still means one code point.
 */
function foldCase(s: string, meter?: Meter): string {
  if (meter) spend(meter, s.length);
  if (ASCII_ONLY.test(s)) return s.toLowerCase();
  let out = "";
  for (const cp of s) {
    if (cp.length === 1 && cp.charCodeAt(0) < 0x80) {
      out += cp.toLowerCase();
      continue;
    }
    let folded = foldCache.get(cp);
    if (folded === undefined) {
      folded = single(cp.toLowerCase()) ?? cp;
      folded = single(single(folded.toUpperCase())?.toLowerCase()) ?? folded;
      if (foldCache.size < 10_000) foldCache.set(cp, folded);
    }
    out += folded;
  }
  return out;
}

function single(s: string | undefined): string | undefined {
  return s !== undefined && countCodePoints(s) === 1 ? s : undefined;
}

// toFloat64OrNull accepts a plain decimal or exponent form (and inf/nan, which never compare true here).
// Written without nested ambiguity (\d+\.?\d* would backtrack quadratically on a long run of digits).
const FLOAT_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

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
