// The one audit-log line parser used by every ingest source (file tail, HTTP, MQTT).
// Contract: shared/spec/audit-log.md. Hand-written charCodeAt scanners, no regex on the
// hot path: the ingest target is >= 300k lines/s on 2 cores including the writer.
import { CODES, LED_STATES, MAX_LINE_BYTES, RESULTS, SEVERITIES, STEPS, type Code, type LedState, type Severity, type Step, type StepResult } from "../lib/audit/codes";
import { AUDIT_LOG_COLUMNS, type AuditRecordColumn } from "../lib/audit/columns";
import type { AuditRecord, ParseResult } from "../lib/audit/record";

export const REQUIRED_KEYS = ["ts", "meter", "code"] as const;
/**
 * Keys a line may carry (audit_log columns, lib/audit/columns.ts), in the spec table's order: the
 * parser indexes them by position (K_* below, REQUIRED_KEYS first) and decides bad_value in this order.
 */
export const KNOWN_KEYS: readonly AuditRecordColumn[] = [
  ...(["ts", "meter", "code", "sev", "gw"] as const),
  // led .. msg: the same order in the contract and in the table
  ...AUDIT_LOG_COLUMNS.slice(AUDIT_LOG_COLUMNS.indexOf("led"), AUDIT_LOG_COLUMNS.indexOf("msg") + 1),
] as AuditRecordColumn[];

/** Every reason parseLine can give, for filters and dashboards. */
export const REFUSAL_REASONS: readonly string[] = ["too_long", "malformed", ...REQUIRED_KEYS.map((k) => `missing:${k}`), ...KNOWN_KEYS.map((k) => `bad_value:${k}`)];
const REASON_SET = new Set(REFUSAL_REASONS);

export function isRefusalReason(s: unknown): boolean {
  return typeof s === "string" && REASON_SET.has(s);
}

/** Numeric ranges (inclusive) of the measurement keys. */
export const NUMBER_RANGES = {
  rssi: [-130, 0],
  lqi: [0, 255],
  snr: [-50, 100],
  temp_c: [-60, 150],
  battery_v: [0, 10],
  accuracy_err_pct: [-100, 100],
} as const;

export const MAX_JOB_CHARS = 128;
/** Timestamps outside [1970-01-01, 2300-01-01) are refused: ClickHouse DateTime64 would clamp them. */
export const MIN_TS_MS = 0;
export const MAX_TS_MS = 10_413_792_000_000;

const [K_TS, K_METER, K_CODE, K_SEV, K_GW, K_LED, K_STEP, K_JOB, K_RESULT, K_RSSI, K_LQI, K_SNR] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const [K_TEMP, K_BATT, K_ACC, K_FWM, K_FWC, K_SHA, K_CERT, K_MSG] = [12, 13, 14, 15, 16, 17, 18, 19];
// Known keys grouped by first letter: a key is recognised in place, without slicing it out.
const KEYS_BY_FIRST: { key: string; index: number }[][] = Array.from({ length: 26 }, () => []);
KNOWN_KEYS.forEach((key, index) => KEYS_BY_FIRST[key.charCodeAt(0) - 97].push({ key, index }));

// Value kinds: logfmt values are always V_STR; JSON keeps its type so "msg":42 can be refused.
const V_STR = 1;
const V_NUM = 2;
const V_BOOL = 3;
const V_NULL = 4;
const V_NESTED = 5;

const DEFAULT_SEV = new Map<string, Severity>(Object.entries(CODES).map(([code, { sev }]) => [code, sev]));
const SEV_SET = new Set<string>(SEVERITIES);
const LED_SET = new Set<string>(LED_STATES);
const STEP_SET = new Set<string>(STEPS);
const RESULT_SET = new Set<string>(RESULTS);
const SEMVER_RE =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAY_MS = 86_400_000;

const SKIP: ParseResult = Object.freeze({ ok: "skip" }) as ParseResult;
const BAD_REASONS = KNOWN_KEYS.map((k) => `bad_value:${k}`);
const MISSING_REASONS = REQUIRED_KEYS.map((k) => `missing:${k}`);

// Per-line scratch state. parseLine is synchronous and never re-entered, so module
// scope is safe and saves allocating a slot table for every line.
// A slot holds a value for this line only if its stamp equals lineStamp (no per-line reset).
const kinds = new Uint8Array(KNOWN_KEYS.length);
const stamps = new Uint32Array(KNOWN_KEYS.length);
let lineStamp = 0;
const vals: string[] = KNOWN_KEYS.map(() => "");
let attrs: Record<string, string> | null = null;
let strOut = "";
let recvTs: number | null = null;
let sourceHost = "";
let sourceApp = "";
let nowMs = 0;

function refuse(reason: string): ParseResult {
  return { ok: false, reason };
}

/**
 * Parse one audit-log line (without its `\n`) into exactly one result.
 * Decisions where the spec is silent (each has a test in parse.test.ts):
 * - Size is counted in UTF-8 bytes after dropping one trailing `\r`; too_long wins over everything.
 * - Blank = only spaces, tabs, CR, LF. A leading BOM (U+FEFF) is ignored.
 * - logfmt: pairs separated by spaces or tabs; `k=` is an empty value; `=` may occur inside an
 *   unquoted value; quoted and unquoted values are equivalent; escapes other than `\"` `\\` are
 *   kept literally (`\n` stays two characters); duplicate keys are malformed.
 * - JSON: strict RFC 8259 object (also allowed behind a syslog prefix); duplicate keys malformed;
 *   escapes that would produce a control byte (`\n`, `\u001b`) are kept as their escape text;
 *   null = key absent; nested objects/arrays of unknown keys go to attrs as their JSON source text;
 *   numeric keys take numbers or numeric strings; text keys need strings (`"msg":42` is bad_value).
 * - Numbers are plain decimals `-?d+(.d+)?` (no exponent); lqi is an integer.
 * - Empty values of known keys are bad_value, except msg (empty text is still text).
 * - ts: ISO 8601 `YYYY-MM-DDTHH:MM:SS[.f]` + `Z` or `±hh:mm` (T/Z any case, fraction truncated to
 *   ms, no leap second), epoch s (10 digits[.f]) or ms (13 digits). cert_not_after: the ISO form
 *   only. Both within [MIN_TS_MS, MAX_TS_MS).
 * - gw: `[A-Za-z0-9][A-Za-z0-9._:-]{0,63}`; job: 1..128 code points; fw_*: semver 2.0.0 (no `v`).
 * - bad_value is decided in KNOWN_KEYS order (the spec table), whatever the order in the line.
 * - Syslog: RFC 3164 time is read as UTC, year nearest to opts.now (default Date.now(); ties: the
 *   earlier year); `<pri>` may precede an RFC 3164 header; RFC 5424 structured data is checked
 *   and discarded; a prefix that does not parse makes the line malformed.
 */
export function parseLine(line: string, opts?: { now?: number }): ParseResult {
  let end = line.length;
  if (end > 0 && line.charCodeAt(end - 1) === 13) end--;
  if (isTooLong(line, end)) return refuse("too_long");

  let p = end > 0 && line.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (p < end) {
    const c = line.charCodeAt(p);
    if (c !== 32 && c !== 9) break;
    p++;
  }
  if (p === end) return SKIP;
  const c0 = line.charCodeAt(p);
  if ((c0 === 13 || c0 === 10) && isBlank(line, p, end)) return SKIP;

  lineStamp = (lineStamp + 1) >>> 0;
  if (lineStamp === 0) {
    stamps.fill(0);
    lineStamp = 1;
  }
  attrs = null;
  recvTs = null;
  sourceHost = "";
  sourceApp = "";
  nowMs = opts?.now ?? NaN;

  if (c0 === 60) p = scanPriPrefix(line, p, end);
  else if (c0 >= 48 && c0 <= 57) p = scanIsoPrefix(line, p, end);
  else if (c0 >= 65 && c0 <= 90) p = scanRfc3164(line, p, end);
  if (p < 0) return refuse("malformed");
  p = skipJsonSpace(line, p, end);
  p = p < end && line.charCodeAt(p) === 123 ? scanJson(line, p, end) : scanLogfmt(line, p, end);
  if (p < 0) return refuse("malformed");
  return validateRecord();
}

function isTooLong(s: string, end: number): boolean {
  // A UTF-16 unit is 1..3 UTF-8 bytes (a surrogate pair 4 for 2 units): count only when unsure.
  if (end * 3 <= MAX_LINE_BYTES) return false;
  if (end > MAX_LINE_BYTES) return true;
  let bytes = 0;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < end && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
    if (bytes > MAX_LINE_BYTES) return true;
  }
  return false;
}

function isBlank(s: string, p: number, end: number): boolean {
  for (; p < end; p++) {
    const c = s.charCodeAt(p);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 10) return false;
  }
  return true;
}

function isControl(c: number): boolean {
  return (c < 32 && c !== 9) || c === 127;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

// ---------------------------------------------------------------- syslog prefixes

/** `<pri>1 ...` (RFC 5424) or `<pri>Mmm dd ...` (RFC 3164 as sent on the wire). */
function scanPriPrefix(s: string, p: number, end: number): number {
  p++;
  let pri = 0;
  const start = p;
  while (p < end && isDigit(s.charCodeAt(p)) && p - start < 3) pri = pri * 10 + s.charCodeAt(p++) - 48;
  if (p === start || pri > 191 || p >= end || s.charCodeAt(p) !== 62) return -1;
  p++;
  if (p + 1 < end && s.charCodeAt(p) === 49 && s.charCodeAt(p + 1) === 32) return scanRfc5424(s, p + 2, end);
  const c = s.charCodeAt(p);
  return c >= 65 && c <= 90 ? scanRfc3164(s, p, end) : -1;
}

/** Index of the next space at or after p (end if none); -1 on a control byte. */
function findSpace(s: string, p: number, end: number): number {
  for (; p < end; p++) {
    const c = s.charCodeAt(p);
    if (c === 32) return p;
    if (isControl(c)) return -1;
  }
  return end;
}

// RFC 5424 after "<pri>1 ": TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [SP MSG]
function scanRfc5424(s: string, p: number, end: number): number {
  const fieldEnds: number[] = [];
  const starts: number[] = [];
  for (let f = 0; f < 5; f++) {
    const q = findSpace(s, p, end);
    if (q <= p || q >= end) return -1;
    starts.push(p);
    fieldEnds.push(q);
    p = q + 1;
  }
  if (!isNilField(s, starts[0], fieldEnds[0])) {
    const t = parseIsoAt(s, starts[0], fieldEnds[0]);
    if (Number.isNaN(t)) return -1;
    recvTs = t;
  }
  if (!isNilField(s, starts[1], fieldEnds[1])) sourceHost = s.slice(starts[1], fieldEnds[1]);
  if (!isNilField(s, starts[2], fieldEnds[2])) sourceApp = s.slice(starts[2], fieldEnds[2]);
  p = scanStructuredData(s, p, end);
  if (p < 0 || p === end) return p;
  if (s.charCodeAt(p) !== 32) return -1;
  p++;
  return p < end && s.charCodeAt(p) === 0xfeff ? p + 1 : p;
}

/** RFC 5424 NILVALUE `-`. */
function isNilField(s: string, start: number, end: number): boolean {
  return end - start === 1 && s.charCodeAt(start) === 45;
}

function scanStructuredData(s: string, p: number, end: number): number {
  if (p >= end) return -1;
  if (s.charCodeAt(p) === 45) return p + 1;
  if (s.charCodeAt(p) !== 91) return -1;
  while (p < end && s.charCodeAt(p) === 91) {
    p = scanSdName(s, p + 1, end);
    for (;;) {
      if (p < 0 || p >= end) return -1;
      const c = s.charCodeAt(p);
      if (c === 93) {
        p++;
        break;
      }
      if (c !== 32) return -1;
      p = scanSdName(s, p + 1, end);
      if (p < 0 || p + 1 >= end || s.charCodeAt(p) !== 61 || s.charCodeAt(p + 1) !== 34) return -1;
      p = scanSdParamValue(s, p + 2, end);
    }
  }
  return p;
}

/** SD-ID / PARAM-NAME: printable US-ASCII except space, `=`, `]`, `"`. */
function scanSdName(s: string, p: number, end: number): number {
  const start = p;
  for (; p < end; p++) {
    const c = s.charCodeAt(p);
    if (c <= 32 || c >= 127 || c === 61 || c === 93 || c === 34) break;
  }
  return p > start ? p : -1;
}

/** Quoted PARAM-VALUE after its opening quote; `\"`, `\\`, `\]` are escapes. Returns index after the closing quote. */
function scanSdParamValue(s: string, p: number, end: number): number {
  for (; p < end; p++) {
    const c = s.charCodeAt(p);
    if (c === 34) return p + 1;
    if (isControl(c)) return -1;
    if (c === 92) {
      p++;
      if (p < end && isControl(s.charCodeAt(p))) return -1;
    }
  }
  return -1;
}

// RFC 3339 prefix as written by rsyslog: "2026-11-25T03:14:07.512Z host tag[pid]: "
function scanIsoPrefix(s: string, p: number, end: number): number {
  const q = findSpace(s, p, end);
  if (q < 0 || q >= end) return -1;
  const t = parseIsoAt(s, p, q);
  if (Number.isNaN(t)) return -1;
  recvTs = t;
  return scanHostTag(s, q + 1, end);
}

// RFC 3164: "Mmm dd hh:mm:ss host tag[pid]: " (day space-padded or not).
function scanRfc3164(s: string, p: number, end: number): number {
  if (p + 15 > end) return -1;
  const month = MONTHS.indexOf(s.slice(p, p + 3));
  if (month < 0 || s.charCodeAt(p + 3) !== 32) return -1;
  p += 4;
  if (s.charCodeAt(p) === 32) p++;
  let day = 0;
  const dayStart = p;
  while (p < end && isDigit(s.charCodeAt(p)) && p - dayStart < 2) day = day * 10 + s.charCodeAt(p++) - 48;
  if (p === dayStart || day < 1 || p + 9 > end || s.charCodeAt(p) !== 32) return -1;
  const hh = read2(s, p + 1);
  const mi = read2(s, p + 4);
  const ss = read2(s, p + 7);
  if (s.charCodeAt(p + 3) !== 58 || s.charCodeAt(p + 6) !== 58 || hh > 23 || mi > 59 || ss > 59) return -1;
  const t = inferYearMs(month + 1, day, hh * 3_600_000 + mi * 60_000 + ss * 1000);
  if (Number.isNaN(t)) return -1;
  recvTs = t;
  if (p + 9 >= end || s.charCodeAt(p + 9) !== 32) return -1;
  return scanHostTag(s, p + 10, end);
}

/** "host tag[pid]:" then spaces; sets source_host / source_app. */
function scanHostTag(s: string, p: number, end: number): number {
  const hostEnd = findSpace(s, p, end);
  if (hostEnd <= p || hostEnd >= end) return -1;
  sourceHost = s.slice(p, hostEnd);
  p = hostEnd + 1;
  const tagStart = p;
  let c = 0;
  for (; p < end; p++) {
    c = s.charCodeAt(p);
    if (c === 91 || c === 58 || c === 32 || isControl(c)) break;
  }
  if (p === tagStart || p >= end) return -1;
  sourceApp = s.slice(tagStart, p);
  if (c === 91) {
    const pidStart = ++p;
    while (p < end && isDigit(s.charCodeAt(p))) p++;
    if (p === pidStart || p >= end || s.charCodeAt(p) !== 93) return -1;
    p++;
  }
  if (p >= end || s.charCodeAt(p) !== 58) return -1;
  p++;
  if (p < end && s.charCodeAt(p) !== 32) return -1;
  return p;
}

/** RFC 3164 has no year: take the one that puts the time nearest to now (ties: earlier). */
function inferYearMs(month: number, day: number, msOfDay: number): number {
  const now = Number.isNaN(nowMs) ? Date.now() : nowMs;
  const nowYear = new Date(now).getUTCFullYear();
  const span = month === 2 && day === 29 ? 4 : 1;
  let best = NaN;
  let bestDiff = Infinity;
  for (let y = nowYear - span; y <= nowYear + span; y++) {
    if (day > countDaysInMonth(y, month)) continue;
    const t = countDaysFromCivil(y, month, day) * DAY_MS + msOfDay;
    const diff = Math.abs(t - now);
    if (diff < bestDiff) {
      best = t;
      bestDiff = diff;
    }
  }
  return best;
}

// ---------------------------------------------------------------- logfmt

function scanLogfmt(s: string, p: number, end: number): number {
  for (;;) {
    let c = 0;
    while (p < end && ((c = s.charCodeAt(p)) === 32 || c === 9)) p++;
    if (p >= end) return end;
    if (c < 97 || c > 122) return -1;
    const keyStart = p++;
    for (; p < end; p++) {
      c = s.charCodeAt(p);
      if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95)) break;
    }
    if (p >= end || c !== 61) return -1; // bare word, or a character no key may hold
    const keyEnd = p++;
    let value: string;
    if (p < end && s.charCodeAt(p) === 34) {
      p = scanLogfmtQuoted(s, p + 1, end);
      if (p < 0) return -1;
      if (p < end && (c = s.charCodeAt(p)) !== 32 && c !== 9) return -1;
      value = strOut;
    } else {
      const valueStart = p;
      for (; p < end; p++) {
        c = s.charCodeAt(p);
        if (c > 34 && c !== 127) continue; // the common case first: one compare per character
        if (c === 32 || c === 9) break;
        if (c === 34 || isControl(c)) return -1;
      }
      value = s.slice(valueStart, p);
    }
    if (!storeValue(s, keyStart, keyEnd, value, V_STR)) return -1;
  }
}

/** Quoted logfmt value after its opening quote; result in strOut, returns index after the closing quote. */
function scanLogfmtQuoted(s: string, p: number, end: number): number {
  let seg = p;
  let buf: string | null = null;
  for (; p < end; p++) {
    const c = s.charCodeAt(p);
    if (c > 34 && c !== 92 && c !== 127) continue;
    if (c === 34) {
      strOut = buf === null ? s.slice(seg, p) : buf + s.slice(seg, p);
      return p + 1;
    }
    if (c === 92 && p + 1 < end) {
      const e = s.charCodeAt(p + 1);
      if (e === 34 || e === 92) {
        buf = (buf ?? "") + s.slice(seg, p);
        seg = p + 1; // the escaped character itself starts the next segment
        p++;
      }
    } else if (isControl(c)) return -1;
  }
  return -1;
}

function findKnownKey(s: string, start: number, end: number): number {
  const candidates = KEYS_BY_FIRST[s.charCodeAt(start) - 97];
  const n = end - start;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i];
    if (c.key.length === n && isSameText(s, start, c.key)) return c.index;
  }
  return -1;
}

function isSameText(s: string, start: number, key: string): boolean {
  for (let j = 1; j < key.length; j++) if (s.charCodeAt(start + j) !== key.charCodeAt(j)) return false;
  return true; // first character already matched by the KEYS_BY_FIRST bucket
}

/** Store the value of key s[keyStart, keyEnd); false on a duplicate key. */
function storeValue(s: string, keyStart: number, keyEnd: number, value: string, kind: number): boolean {
  const k = findKnownKey(s, keyStart, keyEnd);
  if (k >= 0) {
    if (stamps[k] === lineStamp) return false;
    stamps[k] = lineStamp;
    kinds[k] = kind;
    vals[k] = value;
    return true;
  }
  const key = s.slice(keyStart, keyEnd);
  if (attrs === null) attrs = {};
  else if (Object.hasOwn(attrs, key)) return false;
  attrs[key] = value;
  return true;
}

// ---------------------------------------------------------------- JSON

function skipJsonSpace(s: string, p: number, end: number): number {
  let c: number;
  while (p < end && ((c = s.charCodeAt(p)) === 32 || c === 9)) p++;
  return p;
}

function scanJson(s: string, p: number, end: number): number {
  p = skipJsonSpace(s, p + 1, end);
  if (p < end && s.charCodeAt(p) === 125) return finishJson(s, p + 1, end);
  for (;;) {
    if (p >= end || s.charCodeAt(p) !== 34) return -1;
    // Plain keys are matched in place; only a key with escapes is decoded first.
    let keySrc = s;
    const keyStart = p + 1;
    let keyEnd = scanPlainKey(s, keyStart, end);
    if (keyEnd < 0) {
      p = scanJsonString(s, keyStart, end);
      if (p < 0 || !isValidKey(strOut)) return -1;
      keySrc = strOut;
      keyEnd = strOut.length;
    } else p = keyEnd + 1;
    const keyFrom = keySrc === s ? keyStart : 0;
    p = skipJsonSpace(s, p, end);
    if (p >= end || s.charCodeAt(p) !== 58) return -1;
    p = skipJsonSpace(s, p + 1, end);
    if (p >= end) return -1;
    const c = s.charCodeAt(p);
    let kind: number;
    let value: string;
    if (c === 34) {
      p = scanJsonString(s, p + 1, end);
      kind = V_STR;
      value = strOut;
    } else if (c === 123 || c === 91) {
      const q = skipJsonNested(s, p, end);
      if (q < 0) return -1;
      kind = V_NESTED;
      value = s.slice(p, q);
      p = q;
    } else {
      const q = scanJsonScalar(s, p, end);
      if (q < 0) return -1;
      value = s.slice(p, q);
      kind = c === 116 || c === 102 ? V_BOOL : c === 110 ? V_NULL : V_NUM;
      p = q;
    }
    if (p < 0 || !storeValue(keySrc, keyFrom, keyEnd, value, kind)) return -1;
    p = skipJsonSpace(s, p, end);
    if (p >= end) return -1;
    const d = s.charCodeAt(p);
    if (d === 125) return finishJson(s, p + 1, end);
    if (d !== 44) return -1;
    p = skipJsonSpace(s, p + 1, end);
  }
}

/** Index of the closing quote of a key made only of `[a-z][a-z0-9_]*`, else -1. */
function scanPlainKey(s: string, p: number, end: number): number {
  const start = p;
  for (; p < end; p++) {
    const c = s.charCodeAt(p);
    if (c === 34) break;
    if (!((c >= 97 && c <= 122) || (p > start && ((c >= 48 && c <= 57) || c === 95)))) return -1;
  }
  return p > start && p < end ? p : -1;
}

function finishJson(s: string, p: number, end: number): number {
  return skipJsonSpace(s, p, end) === end ? end : -1;
}

/** JSON string body after its opening quote; decoded text in strOut. */
function scanJsonString(s: string, p: number, end: number): number {
  let seg = p;
  let buf: string | null = null;
  for (; p < end; p++) {
    const c = s.charCodeAt(p);
    if (c === 34) {
      strOut = buf === null ? s.slice(seg, p) : buf + s.slice(seg, p);
      return p + 1;
    }
    if (c < 32 || c === 127) return -1; // JSON forbids raw control characters, tab included
    if (c !== 92) continue;
    if (p + 1 >= end) return -1;
    const e = s.charCodeAt(p + 1);
    let ch: string | null = null;
    let len = 2;
    if (e === 34 || e === 92 || e === 47) ch = String.fromCharCode(e);
    else if (e === 116) ch = "\t";
    else if (e === 117) {
      const code = readHex4(s, p + 2, end);
      if (code < 0) return -1;
      len = 6;
      // Kept as its escape text so no control byte ever reaches the store.
      if (!isControl(code)) ch = String.fromCharCode(code);
    } else if (e !== 98 && e !== 102 && e !== 110 && e !== 114) return -1;
    if (ch !== null) {
      buf = (buf ?? "") + s.slice(seg, p) + ch;
      seg = p + len;
    }
    p += len - 1;
  }
  return -1;
}

function readHex4(s: string, p: number, end: number): number {
  if (p + 4 > end) return -1;
  let v = 0;
  for (let i = p; i < p + 4; i++) {
    const c = s.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/** true / false / null / JSON number; returns the index after it. */
function scanJsonScalar(s: string, p: number, end: number): number {
  const c = s.charCodeAt(p);
  if (c === 116) return s.startsWith("true", p) && p + 4 <= end ? p + 4 : -1;
  if (c === 102) return s.startsWith("false", p) && p + 5 <= end ? p + 5 : -1;
  if (c === 110) return s.startsWith("null", p) && p + 4 <= end ? p + 4 : -1;
  if (c === 45) p++;
  if (p >= end) return -1;
  if (s.charCodeAt(p) === 48) p++;
  else {
    const start = p;
    while (p < end && isDigit(s.charCodeAt(p))) p++;
    if (p === start) return -1;
  }
  if (p < end && s.charCodeAt(p) === 46) {
    const start = ++p;
    while (p < end && isDigit(s.charCodeAt(p))) p++;
    if (p === start) return -1;
  }
  if (p < end && (s.charCodeAt(p) | 32) === 101) {
    p++;
    if (p < end && (s.charCodeAt(p) === 43 || s.charCodeAt(p) === 45)) p++;
    const start = p;
    while (p < end && isDigit(s.charCodeAt(p))) p++;
    if (p === start) return -1;
  }
  return p;
}

const J_VALUE = 0;
const J_VALUE_OR_CLOSE = 1;
const J_KEY = 2;
const J_KEY_OR_CLOSE = 3;
const J_COLON = 4;
const J_AFTER = 5;

/** Validate a nested object/array without recursion (a 64 KiB `[[[[` must not blow the stack). */
function skipJsonNested(s: string, p: number, end: number): number {
  const stack: boolean[] = []; // true = object
  let state = J_VALUE;
  for (;;) {
    if (state === J_AFTER && stack.length === 0) return p;
    p = skipJsonSpace(s, p, end);
    if (p >= end) return -1;
    const c = s.charCodeAt(p);
    if (state === J_VALUE || state === J_VALUE_OR_CLOSE) {
      if (c === 93 && state === J_VALUE_OR_CLOSE) {
        stack.pop();
        state = J_AFTER;
        p++;
      } else if (c === 123) {
        stack.push(true);
        state = J_KEY_OR_CLOSE;
        p++;
      } else if (c === 91) {
        stack.push(false);
        state = J_VALUE_OR_CLOSE;
        p++;
      } else {
        p = c === 34 ? scanJsonString(s, p + 1, end) : scanJsonScalar(s, p, end);
        state = J_AFTER;
      }
    } else if (state === J_KEY || state === J_KEY_OR_CLOSE) {
      if (c === 125 && state === J_KEY_OR_CLOSE) {
        stack.pop();
        state = J_AFTER;
        p++;
      } else if (c === 34) {
        p = scanJsonString(s, p + 1, end);
        state = J_COLON;
      } else return -1;
    } else if (state === J_COLON) {
      if (c !== 58) return -1;
      state = J_VALUE;
      p++;
    } else {
      const isObject = stack[stack.length - 1];
      if (c === 44) state = isObject ? J_KEY : J_VALUE;
      else if (c === (isObject ? 125 : 93)) stack.pop();
      else return -1;
      p++;
    }
    if (p < 0) return -1;
  }
}

function isValidKey(k: string): boolean {
  const n = k.length;
  if (n === 0) return false;
  let c = k.charCodeAt(0);
  if (c < 97 || c > 122) return false;
  for (let i = 1; i < n; i++) {
    c = k.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95)) return false;
  }
  return true;
}

// ---------------------------------------------------------------- values

/** Present on this line and not JSON null (null means absent). */
function isPresent(k: number): boolean {
  return stamps[k] === lineStamp && kinds[k] !== V_NULL;
}

/** Text value of a present key k, or null when it is not a string (JSON number, bool, nested). */
function readText(k: number): string | null {
  return kinds[k] === V_STR ? vals[k] : null;
}

/** Numeric text of a present key k (logfmt value, JSON number or JSON string), or null. */
function readNumberText(k: number): string | null {
  return kinds[k] === V_STR || kinds[k] === V_NUM ? vals[k] : null;
}

function validateRecord(): ParseResult {
  for (let k = 0; k < REQUIRED_KEYS.length; k++) if (!isPresent(k)) return refuse(MISSING_REASONS[k]);

  const tsText = readNumberText(K_TS);
  const ts = tsText === null ? NaN : parseTimestamp(tsText);
  if (Number.isNaN(ts)) return refuse(BAD_REASONS[K_TS]);
  const meter = readText(K_METER);
  if (meter === null || !isMeterId(meter)) return refuse(BAD_REASONS[K_METER]);
  const code = readText(K_CODE);
  const defaultSev = code === null ? undefined : DEFAULT_SEV.get(code);
  if (defaultSev === undefined) return refuse(BAD_REASONS[K_CODE]);

  let sev: string = defaultSev;
  if (isPresent(K_SEV)) {
    const v = readText(K_SEV);
    if (v === null || !SEV_SET.has(v)) return refuse(BAD_REASONS[K_SEV]);
    sev = v;
  }
  let gw = "";
  if (isPresent(K_GW)) {
    const v = readText(K_GW);
    if (v === null || !isGatewayId(v)) return refuse(BAD_REASONS[K_GW]);
    gw = v;
  }
  const led = readEnum(K_LED, LED_SET);
  if (led === null) return refuse(BAD_REASONS[K_LED]);
  const step = readEnum(K_STEP, STEP_SET);
  if (step === null) return refuse(BAD_REASONS[K_STEP]);
  let job = "";
  if (isPresent(K_JOB)) {
    const v = readText(K_JOB);
    if (v === null || !isJobId(v)) return refuse(BAD_REASONS[K_JOB]);
    job = v;
  }
  const result = readEnum(K_RESULT, RESULT_SET);
  if (result === null) return refuse(BAD_REASONS[K_RESULT]);

  const rssi = readNumber(K_RSSI, NUMBER_RANGES.rssi, false);
  if (rssi === undefined) return refuse(BAD_REASONS[K_RSSI]);
  const lqi = readNumber(K_LQI, NUMBER_RANGES.lqi, true);
  if (lqi === undefined) return refuse(BAD_REASONS[K_LQI]);
  const snr = readNumber(K_SNR, NUMBER_RANGES.snr, false);
  if (snr === undefined) return refuse(BAD_REASONS[K_SNR]);
  const temp = readNumber(K_TEMP, NUMBER_RANGES.temp_c, false);
  if (temp === undefined) return refuse(BAD_REASONS[K_TEMP]);
  const batt = readNumber(K_BATT, NUMBER_RANGES.battery_v, false);
  if (batt === undefined) return refuse(BAD_REASONS[K_BATT]);
  const acc = readNumber(K_ACC, NUMBER_RANGES.accuracy_err_pct, false);
  if (acc === undefined) return refuse(BAD_REASONS[K_ACC]);

  const fwm = readSemver(K_FWM);
  if (fwm === null) return refuse(BAD_REASONS[K_FWM]);
  const fwc = readSemver(K_FWC);
  if (fwc === null) return refuse(BAD_REASONS[K_FWC]);
  let sha = "";
  if (isPresent(K_SHA)) {
    const v = readText(K_SHA);
    if (v === null || !isSha256(v)) return refuse(BAD_REASONS[K_SHA]);
    sha = v.toLowerCase();
  }
  let cert: number | null = null;
  if (isPresent(K_CERT)) {
    const v = readText(K_CERT);
    cert = v === null ? NaN : parseIsoAt(v, 0, v.length);
    if (Number.isNaN(cert)) return refuse(BAD_REASONS[K_CERT]);
  }
  let msg = "";
  if (isPresent(K_MSG)) {
    const v = readText(K_MSG);
    if (v === null) return refuse(BAD_REASONS[K_MSG]);
    msg = v;
  }

  const record: AuditRecord = {
    ts,
    recv_ts: recvTs,
    meter,
    gw,
    code: code as Code,
    sev: sev as Severity,
    led: led as LedState | "",
    step: step as Step | "",
    job,
    result: result as StepResult | "",
    rssi,
    lqi,
    snr,
    temp_c: temp,
    battery_v: batt,
    accuracy_err_pct: acc,
    fw_metrology: fwm,
    fw_comms: fwc,
    fw_sha256: sha,
    cert_not_after: cert,
    msg,
    attrs: attrs ?? {},
    source_host: sourceHost,
    source_app: sourceApp,
  };
  return { ok: true, record };
}

/** "" when absent, null when present but not in the set. */
function readEnum(k: number, set: Set<string>): string | null {
  if (!isPresent(k)) return "";
  const v = readText(k);
  return v !== null && set.has(v) ? v : null;
}

/** null when absent, undefined when present but invalid. */
function readNumber(k: number, range: readonly [number, number], integer: boolean): number | null | undefined {
  if (!isPresent(k)) return null;
  const v = readNumberText(k);
  if (v === null || (integer && v.includes("."))) return undefined;
  const n = parseDecimal(v);
  return n >= range[0] && n <= range[1] ? n + 0 : undefined; // + 0 turns -0 into 0
}

function readSemver(k: number): string | null {
  if (!isPresent(k)) return "";
  const v = readText(k);
  return v !== null && v.length <= 256 && SEMVER_RE.test(v) ? v : null;
}

/** `-?[0-9]+(\.[0-9]+)?` exactly; NaN otherwise. Exact: small mantissas divide by an exact 10^k. */
export function parseDecimal(s: string): number {
  const n = s.length;
  let i = 0;
  if (n > 0 && s.charCodeAt(0) === 45) i = 1;
  let mant = 0;
  let digits = 0;
  const intStart = i;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    mant = mant * 10 + (c - 48);
    digits++;
  }
  if (i === intStart) return NaN;
  let frac = 0;
  if (i < n && s.charCodeAt(i) === 46) {
    i++;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      mant = mant * 10 + (c - 48);
      frac++;
    }
    if (frac === 0) return NaN;
  }
  if (i !== n) return NaN;
  if (digits + frac > 15) return Number(s);
  const v = frac === 0 ? mant : mant / POW10[frac];
  return s.charCodeAt(0) === 45 ? -v : v;
}

/** ISO 8601 with zone, epoch seconds (10 digits, optional fraction) or ms (13 digits); NaN if invalid. */
export function parseTimestamp(s: string): number {
  const n = s.length;
  if (n >= 10 && isDigit(s.charCodeAt(0)) && (n === 10 || n === 13 || s.charCodeAt(10) === 46)) {
    return parseEpoch(s);
  }
  return parseIsoAt(s, 0, n);
}

function parseEpoch(s: string): number {
  const n = s.length;
  let v = 0;
  let i = 0;
  for (; i < n && i < 13; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
  }
  let ms: number;
  if (i === 13 && n === 13) ms = v;
  else if (i === 10 && n === 10) ms = v * 1000;
  else if (i === 10 && s.charCodeAt(10) === 46 && n > 11) {
    let frac = 0;
    for (let j = 11; j < n; j++) {
      const c = s.charCodeAt(j);
      if (c < 48 || c > 57) return NaN;
      if (j < 14) frac = frac * 10 + (c - 48);
    }
    for (let j = n; j < 14; j++) frac *= 10; // ".5" is 500 ms; digits past ms are truncated
    ms = v * 1000 + frac;
  } else return NaN;
  return ms >= MIN_TS_MS && ms < MAX_TS_MS ? ms : NaN;
}

function read2(s: string, p: number): number {
  const a = s.charCodeAt(p) - 48;
  const b = s.charCodeAt(p + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : 10_000; // too big for any field
}

/** `YYYY-MM-DDTHH:MM:SS[.f+](Z|±hh:mm)` spanning exactly [p, end); epoch ms UTC or NaN. */
export function parseIsoAt(s: string, p: number, end: number): number {
  if (end - p < 20) return NaN;
  const y = read2(s, p) * 100 + read2(s, p + 2);
  const mo = read2(s, p + 5);
  const d = read2(s, p + 8);
  const hh = read2(s, p + 11);
  const mi = read2(s, p + 14);
  const ss = read2(s, p + 17);
  if (
    s.charCodeAt(p + 4) !== 45 ||
    s.charCodeAt(p + 7) !== 45 ||
    (s.charCodeAt(p + 10) | 32) !== 116 ||
    s.charCodeAt(p + 13) !== 58 ||
    s.charCodeAt(p + 16) !== 58 ||
    y < 1970 ||
    y > 2299 ||
    mo < 1 ||
    mo > 12 ||
    d < 1 ||
    d > countDaysInMonth(y, mo) ||
    hh > 23 ||
    mi > 59 ||
    ss > 59
  ) {
    return NaN;
  }
  let i = p + 19;
  let ms = 0;
  if (s.charCodeAt(i) === 46) {
    const start = ++i;
    for (; i < end; i++) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      if (i - start < 3) ms = ms * 10 + (c - 48);
    }
    if (i === start) return NaN;
    for (let k = i - start; k < 3; k++) ms *= 10;
  }
  if (i >= end) return NaN;
  let offsetMin = 0;
  const z = s.charCodeAt(i);
  if ((z | 32) === 122) i++;
  else if (z === 43 || z === 45) {
    if (i + 6 > end || s.charCodeAt(i + 3) !== 58) return NaN;
    const oh = read2(s, i + 1);
    const om = read2(s, i + 4);
    if (oh > 23 || om > 59) return NaN;
    offsetMin = (z === 45 ? -1 : 1) * (oh * 60 + om);
    i += 6;
  } else return NaN;
  if (i !== end) return NaN;
  const t = countDaysFromCivil(y, mo, d) * DAY_MS + hh * 3_600_000 + mi * 60_000 + ss * 1000 + ms - offsetMin * 60_000;
  return t >= MIN_TS_MS && t < MAX_TS_MS ? t : NaN;
}

function countDaysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
function countDaysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** `[A-Z]{2}-[0-9]{4,10}`, METER_ID_RE (lib/fleet/ids) by hand: this runs per line. */
function isMeterId(v: string): boolean {
  const n = v.length;
  if (n < 7 || n > 13) return false;
  const a = v.charCodeAt(0);
  const b = v.charCodeAt(1);
  if (a < 65 || a > 90 || b < 65 || b > 90 || v.charCodeAt(2) !== 45) return false;
  for (let i = 3; i < n; i++) if (!isDigit(v.charCodeAt(i))) return false;
  return true;
}

/** `GW-0042` and other collector ids: `[A-Za-z0-9][A-Za-z0-9._:-]{0,63}`. */
function isGatewayId(v: string): boolean {
  const n = v.length;
  if (n < 1 || n > 64) return false;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    const alnum = (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122);
    if (!alnum && (i === 0 || (c !== 46 && c !== 95 && c !== 58 && c !== 45))) return false;
  }
  return true;
}

function isJobId(v: string): boolean {
  if (v.length === 0) return false;
  if (v.length <= MAX_JOB_CHARS) return true;
  if (v.length > 2 * MAX_JOB_CHARS) return false;
  let points = 0;
  for (const _ of v) points++;
  return points <= MAX_JOB_CHARS;
}

function isSha256(v: string): boolean {
  if (v.length !== 64) return false;
  for (let i = 0; i < 64; i++) {
    const c = v.charCodeAt(i) | 32;
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}
