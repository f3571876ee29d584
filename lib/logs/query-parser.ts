/**
 * Log explorer query language (Lucene / HyperDX style) -> AST. Pure; parseQuery never throws.
 *
 *   parseQuery(text) -> { ok: true, ast: QueryNode } | { ok: false, error: { message, position, length } }
 *
 * position/length are UTF-16 offsets into `text` (what a textarea selection uses).
 *
 *   timeout  "RF timeout"          free text in msg, case-insensitive (word = whole token, phrase = substring)
 *   time*  rf?timeout              wildcard free text (substring of msg, case-insensitive)
 *   code:E105  gw:GW-0042          exact value (code/sev/led/step/result case is normalised to the catalogue)
 *   meter:EM-00123*  msg:"after 3" wildcard (* any run, ? one char, \ escapes) / quoted value with \" escapes
 *   rssi:<-95 <= > >=  rssi:-95    comparisons on numeric fields; ts/recv_ts/cert_not_after take ISO dates
 *   snr:[5 TO 15] {5 TO 15} [5 TO *}   ranges: [ ] inclusive, { } exclusive, * open end
 *   code:(E105 OR E001)            field group: bare terms inside apply to the field
 *   -code:HEARTBEAT  NOT x  !x     negation;  a b = a AND b;  AND binds tighter than OR;  && || too
 *   attrs.fw_slot:B  foo:bar       attribute map lookups (any field not listed below is an attribute)
 *   _exists_:rssi  rssi:*          presence (not null / not empty / key present)
 *   *                              everything (also the empty query)
 * Operators AND, OR, NOT and TO are upper case, as in Lucene; lower-case "and" is a word.
 *
 * Forgiving (lib/logs/vocabulary.ts): a bare word shaped like a code or an id also matches that
 * field (E105 -> code, GW-0042 -> gw, EM-613 -> meter EM-0000613 or ids starting EM-613), and a
 * value outside a closed field's vocabulary gets a "did you mean" (sev:warning -> warn). Both come
 * back as notes beside the AST; the query itself is never rewritten behind the user's back.
 */
import { CODE_LIST, LED_STATES, RESULTS, SEVERITIES, STEPS } from "@/lib/audit/codes";
import { parseIsoInstant } from "./time-range";
import { readBareToken, suggestIdValue, suggestValue, type QueryNote } from "./vocabulary";

export type { QueryNote } from "./vocabulary";

export type FieldKind = "keyword" | "text" | "number" | "time";

/** Every audit_log column the query language can name, by kind. */
export const QUERY_FIELDS = {
  ts: "time",
  recv_ts: "time",
  cert_not_after: "time",
  meter: "keyword",
  gw: "keyword",
  code: "keyword",
  sev: "keyword",
  led: "keyword",
  step: "keyword",
  job: "keyword",
  result: "keyword",
  fw_metrology: "keyword",
  fw_comms: "keyword",
  fw_sha256: "keyword",
  source: "keyword",
  source_host: "keyword",
  source_app: "keyword",
  rssi: "number",
  lqi: "number",
  snr: "number",
  temp_c: "number",
  battery_v: "number",
  accuracy_err_pct: "number",
  msg: "text",
} as const satisfies Record<string, FieldKind>;
export type QueryField = keyof typeof QUERY_FIELDS;

export const FIELD_ALIASES: Readonly<Record<string, QueryField>> = {
  gateway: "gw",
  severity: "sev",
  host: "source_host",
  app: "source_app",
  temp: "temp_c",
  battery: "battery_v",
  accuracy: "accuracy_err_pct",
  message: "msg",
  timestamp: "ts",
};

export type FieldRef = { kind: "column"; name: QueryField } | { kind: "attr"; key: string };
export type CompareOp = "=" | "<" | "<=" | ">" | ">=";
/** value is a number, or epoch ms for time fields. */
export type RangeBound = { value: number; inclusive: boolean };

export type QueryNode =
  | { type: "all" }
  | { type: "and"; children: QueryNode[] }
  | { type: "or"; children: QueryNode[] }
  | { type: "not"; child: QueryNode }
  /** Free text in msg; phrase = quoted (substring match instead of whole-token match). */
  | { type: "text"; value: string; phrase: boolean }
  /** Exact value of a keyword column or an attribute. */
  | { type: "term"; field: FieldRef; value: string }
  /** Glob: `*` any run, `?` one character, `\` makes the next character literal. */
  | { type: "wildcard"; field: FieldRef; pattern: string }
  | { type: "compare"; field: FieldRef; op: CompareOp; value: number }
  | { type: "range"; field: FieldRef; lower: RangeBound | null; upper: RangeBound | null }
  | { type: "exists"; field: FieldRef };

export interface QueryError {
  message: string;
  position: number;
  length: number;
}
export type ParseQueryResult = { ok: true; ast: QueryNode; notes: QueryNote[] } | { ok: false; error: QueryError };

export const MAX_QUERY_LENGTH = 4000;
const MAX_DEPTH = 40;
/** Wildcards (a run of * or one ?) per query: each is a piece the live tail's matcher must place in every line. */
export const MAX_WILDCARDS = 16;

const ENUM_VALUES: Partial<Record<QueryField, readonly string[]>> = {
  code: CODE_LIST,
  sev: SEVERITIES,
  led: LED_STATES,
  step: STEPS,
  result: RESULTS,
};

export function parseQuery(text: string): ParseQueryResult {
  try {
    if (typeof text !== "string") return fail("The query must be text", 0, 0);
    if (text.length > MAX_QUERY_LENGTH) {
      return fail(`The query is too long (at most ${MAX_QUERY_LENGTH} characters)`, MAX_QUERY_LENGTH, text.length - MAX_QUERY_LENGTH);
    }
    const parser = new Parser(text);
    const ast = parser.parseAll();
    return { ok: true, ast, notes: parser.notes };
  } catch (e) {
    if (e instanceof ParseFailure) return fail(e.message, e.position, e.length);
    return fail("The query could not be read", 0, typeof text === "string" ? text.length : 0);
  }
}

function fail(message: string, position: number, length: number): ParseQueryResult {
  return { ok: false, error: { message, position, length } };
}

class ParseFailure {
  constructor(
    readonly message: string,
    readonly position: number,
    readonly length: number,
  ) {}
}

interface Context {
  /** Field of an enclosing `field:( ... )` group. */
  field: { ref: FieldRef; label: string } | null;
  depth: number;
}

interface Word {
  /** Unescaped text. */
  text: string;
  /** Glob with the wildcard-significant characters still escaped. */
  glob: string;
  hasWildcard: boolean;
  start: number;
  end: number;
}

type Operator = { kind: "AND" | "OR" | "NOT"; start: number; end: number; prefix: boolean };

const FIELD_RE = /[A-Za-z_][A-Za-z0-9_.@-]*:/y;
const NUMBER_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

const isSpace = (ch: string | undefined) => ch !== undefined && /\s/.test(ch);
const isTermEnd = (ch: string | undefined) => ch === undefined || ch === "(" || ch === ")" || isSpace(ch);
/** A prefix operator (- ! +) must touch its term: `-code:X`, `-(a OR b)`. */
const startsTerm = (ch: string | undefined) => ch !== undefined && ch !== ")" && !isSpace(ch);

class Parser {
  private pos = 0;
  private wildcards = 0;
  readonly notes: QueryNote[] = [];
  constructor(private readonly src: string) {}

  parseAll(): QueryNode {
    this.skipSpace();
    if (this.atEnd()) return { type: "all" };
    const ast = this.parseOr({ field: null, depth: 0 });
    this.skipSpace();
    if (!this.atEnd()) throw new ParseFailure("Unbalanced parenthesis: ')' has no matching '('", this.pos, 1);
    return ast;
  }

  private atEnd() {
    return this.pos >= this.src.length;
  }

  private skipSpace() {
    while (isSpace(this.src[this.pos])) this.pos++;
  }

  private parseOr(ctx: Context): QueryNode {
    const children = [this.parseAnd(ctx)];
    for (;;) {
      this.skipSpace();
      const op = this.peekOperator();
      if (op?.kind !== "OR") break;
      this.pos = op.end;
      this.expectOperand(op);
      children.push(this.parseAnd(ctx));
    }
    return children.length === 1 ? children[0] : { type: "or", children };
  }

  private parseAnd(ctx: Context): QueryNode {
    const children = [this.parseUnary(ctx)];
    for (;;) {
      this.skipSpace();
      if (this.atEnd() || this.src[this.pos] === ")") break;
      const op = this.peekOperator();
      if (op?.kind === "OR") break;
      if (op?.kind === "AND") {
        this.pos = op.end;
        this.expectOperand(op);
      }
      children.push(this.parseUnary(ctx));
    }
    return children.length === 1 ? children[0] : { type: "and", children };
  }

  /** After a binary operator or NOT there must be a term before the end or a ')'. */
  private expectOperand(op: Operator) {
    this.skipSpace();
    if (this.atEnd() || this.src[this.pos] === ")") throw this.danglingOperator(op);
  }

  private danglingOperator(op: Operator) {
    const name = this.src.slice(op.start, op.end);
    const where = op.kind === "NOT" ? "after it" : "on both sides";
    return new ParseFailure(`"${name}" needs a term ${where}`, op.start, op.end - op.start);
  }

  private peekOperator(): Operator | null {
    const { src, pos } = this;
    const two = src.slice(pos, pos + 2);
    if (two === "&&") return { kind: "AND", start: pos, end: pos + 2, prefix: false };
    if (two === "||") return { kind: "OR", start: pos, end: pos + 2, prefix: false };
    const ch = src[pos];
    if (ch === "-" || ch === "!") return { kind: "NOT", start: pos, end: pos + 1, prefix: true };
    for (const kind of ["AND", "OR", "NOT"] as const) {
      if (src.startsWith(kind, pos) && isTermEnd(src[pos + kind.length])) {
        return { kind, start: pos, end: pos + kind.length, prefix: false };
      }
    }
    return null;
  }

  private enter(ctx: Context, at: number): Context {
    if (ctx.depth + 1 > MAX_DEPTH) throw new ParseFailure("The query is nested too deeply", at, 1);
    return { ...ctx, depth: ctx.depth + 1 };
  }

  private parseUnary(ctx: Context): QueryNode {
    this.skipSpace();
    const start = this.pos;
    const ch = this.src[start];
    // Inside rssi:( ... ) a leading minus is a sign, not a negation.
    const isSign = ch === "-" && ctx.field !== null && fieldKind(ctx.field.ref) === "number" && /[\d.]/.test(this.src[start + 1] ?? "");
    const op = isSign ? null : this.peekOperator();
    if (op && op.kind !== "NOT") throw this.danglingOperator(op);
    if (op) {
      const inner = this.enter(ctx, start);
      this.pos = op.end;
      if (op.prefix) {
        if (!startsTerm(this.src[this.pos])) throw this.danglingOperator(op);
      } else {
        this.expectOperand(op);
        const next = this.peekOperator();
        if (next && next.kind !== "NOT") throw this.danglingOperator(op);
      }
      return { type: "not", child: this.parseUnary(inner) };
    }
    if (ch === "+") {
      this.pos++;
      if (!startsTerm(this.src[this.pos])) throw new ParseFailure(`"+" needs a term right after it`, start, 1);
      return this.parseUnary(this.enter(ctx, start));
    }
    if (ch === "(") return this.parseGroup(this.enter(ctx, start));
    if (ch === ")") throw new ParseFailure("Unbalanced parenthesis: ')' has no matching '('", start, 1);
    if (ctx.field) return this.parseFieldValue(ctx.field.ref, ctx.field.label, start, ctx);
    if (ch === '"') {
      const value = this.readQuoted();
      if (value === "") throw new ParseFailure("Empty value: the quotes hold nothing", start, this.pos - start);
      return { type: "text", value, phrase: true };
    }
    if (ch === "[" || ch === "{") {
      throw new ParseFailure("A range needs a field, e.g. snr:[5 TO 15]", start, 1);
    }
    FIELD_RE.lastIndex = start;
    const fieldMatch = FIELD_RE.exec(this.src);
    if (fieldMatch) {
      this.pos = FIELD_RE.lastIndex;
      const name = fieldMatch[0].slice(0, -1);
      if (name === "_exists_") return this.parseExists(start);
      const ref = resolveField(name, start);
      return this.parseFieldValue(ref, name, start, ctx);
    }
    const word = this.readWord();
    if (word.hasWildcard) {
      if (isMatchAll(word.glob)) return { type: "all" };
      return { type: "wildcard", field: MSG, pattern: word.glob };
    }
    const text: QueryNode = { type: "text", value: word.text, phrase: false };
    return this.readBareWord(word, text) ?? text;
  }

  /** A bare word shaped like a code, gateway or meter id matches that field too (and stays a word of the message). */
  private readBareWord(word: Word, text: QueryNode): QueryNode | null {
    const reading = readBareToken(word.text);
    if (!reading) return null;
    const field: FieldRef = { kind: "column", name: reading.field };
    const options: QueryNode[] = [{ type: "term", field, value: reading.value }];
    let meaning = `${reading.field}:${reading.value}`;
    if (reading.field === "meter" && reading.prefix) {
      options.push({ type: "wildcard", field, pattern: `${reading.prefix}*` });
      meaning += ` or a meter id starting ${reading.prefix}`;
    }
    this.notes.push({ kind: "interpreted", message: `${word.text} is read as ${meaning} (or the word in messages)`, position: word.start, length: word.end - word.start });
    return { type: "or", children: [...options, text] };
  }

  private parseGroup(ctx: Context): QueryNode {
    const open = this.pos;
    this.pos++;
    this.skipSpace();
    if (this.atEnd()) throw new ParseFailure("Unbalanced parenthesis: '(' is never closed", open, 1);
    if (this.src[this.pos] === ")") throw new ParseFailure("Empty parentheses", open, this.pos + 1 - open);
    const inner = this.parseOr(ctx);
    this.skipSpace();
    if (this.src[this.pos] !== ")") throw new ParseFailure("Unbalanced parenthesis: '(' is never closed", open, 1);
    this.pos++;
    return inner;
  }

  private parseExists(start: number): QueryNode {
    const ch = this.src[this.pos];
    if (isTermEnd(ch)) throw new ParseFailure(`Missing field name after "_exists_:"`, start, this.pos - start);
    const nameStart = this.pos;
    const name = ch === '"' ? this.readQuoted() : this.readWord().text;
    if (name === "") throw new ParseFailure(`Missing field name after "_exists_:"`, start, this.pos - start);
    return { type: "exists", field: resolveField(name, nameStart) };
  }

  /** The value after `field:`, or a bare term inside a `field:( ... )` group (then start = term start). */
  private parseFieldValue(ref: FieldRef, label: string, start: number, ctx: Context): QueryNode {
    const ch = this.src[this.pos];
    if (ch === undefined || ch === ")" || isSpace(ch)) {
      throw new ParseFailure(`Missing value after "${label}:"`, start, this.pos - start);
    }
    if (ch === "(") {
      return this.parseGroup(this.enter({ ...ctx, field: { ref, label } }, this.pos));
    }
    if (ch === "[" || ch === "{") return this.parseRange(ref, label, start);
    if (ch === "<" || ch === ">") return this.parseComparison(ref, label, start);
    if (ch === '"') {
      const valueStart = this.pos;
      const value = this.readQuoted();
      return this.buildValue(ref, label, { text: value, glob: escapeGlob(value), hasWildcard: false, start: valueStart, end: this.pos }, true, start);
    }
    return this.buildValue(ref, label, this.readWord(), false, start);
  }

  private buildValue(ref: FieldRef, label: string, word: Word, quoted: boolean, start: number): QueryNode {
    const kind = fieldKind(ref);
    if (!quoted && isMatchAll(word.glob)) return { type: "exists", field: ref };
    if (kind === "time") {
      throw new ParseFailure(`Use a comparison or range on "${label}", e.g. ${label}:>=2024-05-01T10:00:00Z`, start, this.pos - start);
    }
    if (kind === "number") {
      const value = parseNumber(word.hasWildcard ? "" : word.text);
      if (value === null) throw this.numberExpected(label, word.start, word.end);
      return { type: "compare", field: ref, op: "=", value };
    }
    if (word.hasWildcard) return { type: "wildcard", field: ref, pattern: word.glob };
    if (kind === "text") {
      if (word.text === "") throw new ParseFailure(`Empty value after "${label}:"`, start, this.pos - start);
      return { type: "text", value: word.text, phrase: quoted };
    }
    const value = normaliseEnumValue(ref, word.text);
    if (ref.kind === "column" && !word.hasWildcard) {
      const suggestion = suggestValue(ref.name, value) ?? suggestIdValue(ref.name, value);
      if (suggestion !== null) {
        const known = ref.name === "gw" || ref.name === "meter" ? "" : ` (${label} is one of the log contract's values)`;
        this.notes.push({
          kind: "did_you_mean",
          message: `No line has ${label}:${value}${known}. Did you mean ${label}:${suggestion}?`,
          position: word.start,
          length: word.end - word.start,
          replacement: quoted ? `"${suggestion}"` : suggestion,
        });
      }
    }
    return { type: "term", field: ref, value };
  }

  private parseComparison(ref: FieldRef, label: string, start: number): QueryNode {
    const op: CompareOp = this.src[this.pos + 1] === "=" ? (`${this.src[this.pos]}=` as CompareOp) : (this.src[this.pos] as CompareOp);
    this.pos += op.length;
    const ch = this.src[this.pos];
    if (ch === undefined || ch === ")" || isSpace(ch)) {
      throw new ParseFailure(`Missing value after "${this.src.slice(start, this.pos)}"`, start, this.pos - start);
    }
    const valueStart = this.pos;
    const text = ch === '"' ? this.readQuoted() : this.readWord().text;
    this.requireOrderedField(ref, label, "A comparison", start);
    return { type: "compare", field: ref, op, value: this.parseBound(ref, label, text, valueStart, this.pos) };
  }

  private parseRange(ref: FieldRef, label: string, start: number): QueryNode {
    const open = this.pos;
    const lowerInclusive = this.src[open] === "[";
    this.pos++;
    const lower = this.readRangeToken("a lower bound", open);
    const to = this.readRangeToken("TO", open);
    if (to.text !== "TO") throw new ParseFailure(`Expected "TO" in the range, e.g. [5 TO 15]`, to.start, to.end - to.start);
    const upper = this.readRangeToken("an upper bound", open);
    this.skipSpace();
    const close = this.src[this.pos];
    if (close === undefined) throw new ParseFailure("Unterminated range: close it with ] or }", open, this.pos - open);
    if (close !== "]" && close !== "}") throw new ParseFailure("Expected ] or } to close the range", this.pos, 1);
    this.pos++;
    this.requireOrderedField(ref, label, "A range", start);
    const bound = (token: Word, inclusive: boolean): RangeBound | null =>
      token.text === "*" ? null : { value: this.parseBound(ref, label, token.text, token.start, token.end), inclusive };
    const lo = bound(lower, lowerInclusive);
    const hi = bound(upper, close === "]");
    if (lo && hi && (lo.value > hi.value || (lo.value === hi.value && !(lo.inclusive && hi.inclusive)))) {
      throw new ParseFailure("Empty range: the lower bound is not below the upper bound", start, this.pos - start);
    }
    if (!lo && !hi) return { type: "exists", field: ref };
    return { type: "range", field: ref, lower: lo, upper: hi };
  }

  /** One whitespace-separated token inside [ ... ]; ends at space, bracket or parenthesis. */
  private readRangeToken(what: string, open: number): Word {
    this.skipSpace();
    const start = this.pos;
    while (!this.atEnd() && !/[\s\]}()]/.test(this.src[this.pos])) this.pos++;
    if (this.pos === start) {
      if (this.atEnd()) throw new ParseFailure("Unterminated range: close it with ] or }", open, this.pos - open);
      const msg = what === "TO" ? `Expected "TO" in the range, e.g. [5 TO 15]` : `The range needs ${what} (use * for an open end)`;
      throw new ParseFailure(msg, start, 1);
    }
    const text = this.src.slice(start, this.pos);
    return { text, glob: text, hasWildcard: false, start, end: this.pos };
  }

  private requireOrderedField(ref: FieldRef, label: string, what: string, start: number) {
    const kind = fieldKind(ref);
    if (kind === "keyword" || kind === "text") {
      throw new ParseFailure(`${what} needs a numeric or time field; "${label}" is text`, start, this.pos - start);
    }
  }

  private parseBound(ref: FieldRef, label: string, text: string, start: number, end: number): number {
    if (fieldKind(ref) === "time") {
      const ms = parseIsoInstant(text);
      if (ms === null) throw new ParseFailure(`"${label}" needs a date like 2024-05-01T10:00:00Z`, start, end - start);
      return ms;
    }
    const value = parseNumber(text);
    if (value === null) throw this.numberExpected(label, start, end);
    return value;
  }

  private numberExpected(label: string, start: number, end: number) {
    return new ParseFailure(`"${label}" needs a number`, start, Math.max(end - start, 0));
  }

  private readQuoted(): string {
    const start = this.pos;
    this.pos++;
    let value = "";
    for (;;) {
      const ch = this.src[this.pos];
      if (ch === undefined || (ch === "\\" && this.pos + 1 >= this.src.length)) {
        throw new ParseFailure("Unterminated quote", start, this.src.length - start);
      }
      if (ch === "\\") {
        value += this.src[this.pos + 1];
        this.pos += 2;
      } else if (ch === '"') {
        this.pos++;
        return value;
      } else {
        value += ch;
        this.pos++;
      }
    }
  }

  /** Unquoted value up to whitespace or a parenthesis; `\x` makes x literal. */
  private readWord(): Word {
    const start = this.pos;
    let text = "";
    let glob = "";
    let hasWildcard = false;
    let afterStar = false; // a run of * is one piece
    while (!isTermEnd(this.src[this.pos])) {
      const ch = this.src[this.pos];
      if (ch === "\\" && this.pos + 1 < this.src.length) {
        const next = this.src[this.pos + 1];
        afterStar = false;
        text += next;
        glob += escapeGlob(next);
        this.pos += 2;
        continue;
      }
      if ((ch === "?" || (ch === "*" && !afterStar)) && ++this.wildcards > MAX_WILDCARDS) {
        throw new ParseFailure(`Too many wildcards: a query may hold at most ${MAX_WILDCARDS} * or ?`, this.pos, 1);
      }
      afterStar = ch === "*";
      if (ch === "*" || ch === "?") hasWildcard = true;
      text += ch;
      glob += ch === "\\" ? "\\\\" : ch;
      this.pos++;
    }
    return { text, glob, hasWildcard, start, end: this.pos };
  }
}

const MSG: FieldRef = { kind: "column", name: "msg" };

export function fieldKind(ref: FieldRef): FieldKind | "attr" {
  return ref.kind === "attr" ? "attr" : QUERY_FIELDS[ref.name];
}

function resolveField(name: string, at: number): FieldRef {
  const lower = name.toLowerCase();
  if (Object.hasOwn(QUERY_FIELDS, lower)) return { kind: "column", name: lower as QueryField };
  if (Object.hasOwn(FIELD_ALIASES, lower)) return { kind: "column", name: FIELD_ALIASES[lower] };
  if (lower === "attrs" || lower === "attrs.") {
    throw new ParseFailure("Name the attribute, e.g. attrs.fw_slot:B", at, name.length);
  }
  return { kind: "attr", key: lower.startsWith("attrs.") ? name.slice(6) : name };
}

function normaliseEnumValue(ref: FieldRef, value: string): string {
  const values = ref.kind === "column" ? ENUM_VALUES[ref.name] : undefined;
  return values?.find((v) => v.toLowerCase() === value.toLowerCase()) ?? value;
}

function parseNumber(text: string): number | null {
  if (!NUMBER_RE.test(text)) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

function escapeGlob(text: string): string {
  return text.replace(/[*?\\]/g, "\\$&");
}

function isMatchAll(glob: string): boolean {
  return /^\*+$/.test(glob);
}
