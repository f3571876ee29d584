// Accepted records and refused lines as ClickHouse insert bodies. TSV, not
// JSONEachRow: chDB parses it ~2x faster and it is cheaper to build here.
// Measured (1 M lines, chDB 26.7, 2 cores, noisy): inserts as inline TSV took 12.0 s
// in 100 k blocks, through file() with LowCardinality read as String 8.5 s
// (the script was scripts/ingest-format-experiment.ts, removed; see git history).
import type { AuditRecord } from "../lib/audit/record";

export { AUDIT_LOG_COLUMNS } from "../lib/audit/columns";

export const INGEST_REJECTS_COLUMNS = ["ingested_at", "source", "position", "reason", "raw"] as const;

/**
 * Stable 64-bit id of a line (two independent 32-bit murmur3-style hashes of
 * `key`), as the decimal string ClickHouse expects for UInt64.
 */
export function hash64(key: string): string {
  hashKey(HASH_SEED_1, HASH_SEED_2, key, 0);
  return u64Decimal(hashHi, hashLo);
}

const HASH_SEED_1 = 0x9747b28c | 0;
const HASH_SEED_2 = 0x85ebca6b | 0;
// Results of hashKey (module scratch: no pair object per line).
let hashState1 = 0;
let hashState2 = 0;
let hashHi = 0;
let hashLo = 0;

/** Feed `key` into the hash state (h1, h2); `done` = characters fed before. Finishes into hashHi/hashLo. */
function hashKey(h1: number, h2: number, key: string, done: number): void {
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0xcc9e2d51);
    h1 = (h1 << 15) | (h1 >>> 17);
    h2 = Math.imul(h2 ^ c, 0x1b873593);
    h2 = (h2 << 13) | (h2 >>> 19);
    h2 = (Math.imul(h2, 5) + 0xe6546b64) | 0;
  }
  hashState1 = h1;
  hashState2 = h2;
  h1 ^= done + key.length;
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
  h1 = Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  h2 ^= h1;
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0x7feb352d);
  h2 = Math.imul(h2 ^ (h2 >>> 15), 0x846ca68b);
  h2 ^= h2 >>> 16;
  hashHi = h1 >>> 0;
  hashLo = h2 >>> 0;
}

/**
 * hash64(prefix + suffix) for many suffixes of one prefix: the prefix is hashed
 * once per batch, and each id is written straight into the insert body
 * (building `prefix + position` and the decimal string per line was ~8 % of
 * the writer's time).
 */
export class PrefixHash {
  private readonly s1: number;
  private readonly s2: number;
  private readonly n: number;
  constructor(prefix: string) {
    hashKey(HASH_SEED_1, HASH_SEED_2, prefix, 0);
    this.s1 = hashState1;
    this.s2 = hashState2;
    this.n = prefix.length;
  }
  /** The id as a decimal string (= hash64(prefix + suffix)). */
  id(suffix: string): string {
    hashKey(this.s1, this.s2, suffix, this.n);
    return u64Decimal(hashHi, hashLo);
  }
  /** The id's decimal digits appended to `out`. */
  write(out: ByteSink, suffix: string): void {
    hashKey(this.s1, this.s2, suffix, this.n);
    out.u64(hashHi, hashLo);
  }
}

/**
 * hi * 2^32 + lo in decimal without BigInt (BigInt arithmetic + toString was ~4 % of
 * the writer's time, most of it garbage). 2^32 = 4294 * 10^6 + 967296, so
 * v = (hi * 4294 + floor(low / 10^6)) * 10^6 + low % 10^6 with low = hi * 967296 + lo;
 * every intermediate stays below 2^53.
 */
export function u64Decimal(hi: number, lo: number): string {
  const low = hi * 967296 + lo;
  const top = hi * 4294 + Math.floor(low / 1e6);
  const rest = low % 1e6;
  if (top === 0) return String(rest);
  const r = String(rest);
  return String(top) + "000000".slice(r.length) + r;
}

/** TSV escaping: backslash, tab, newline, carriage return (ClickHouse TabSeparated rules). */
export function escapeTsv(s: string): string {
  let needs = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 || c === 9 || c === 10 || c === 13 || c === 0) {
      needs = true;
      break;
    }
  }
  if (!needs) return s;
  return s.replace(/[\\\t\n\r\0]/g, (m) => (m === "\\" ? "\\\\" : m === "\t" ? "\\t" : m === "\n" ? "\\n" : m === "\r" ? "\\r" : "\\0"));
}

export function rejectRowTsv(ingestedAt: number, source: string, position: string, reason: string, raw: string): string {
  return ingestedAt + "\t" + escapeTsv(source) + "\t" + position + "\t" + escapeTsv(reason) + "\t" + escapeTsv(raw) + "\n";
}

/**
 * An append-only byte buffer for insert bodies, written byte by byte. Building
 * each row as a JS string and Buffer.write()-ing it spent ~30 % of the writer's
 * time in string concatenation, flattening, the write call and the garbage it
 * left (profile of 100 k lines: GC 28 %, row strings 10 %, Buffer.write 10 %);
 * writing the escaped bytes directly does neither.
 */
export class ByteSink {
  buf: Buffer;
  length = 0;
  constructor(initial = 1 << 20) {
    this.buf = Buffer.allocUnsafeSlow(initial);
  }
  /** Room for n more bytes. */
  ensure(n: number): void {
    const need = this.length + n;
    if (need <= this.buf.length) return;
    const next = Buffer.allocUnsafeSlow(Math.max(need, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  /** A string as UTF-8, unescaped. */
  push(s: string): void {
    this.ensure(s.length * 3);
    this.length += this.buf.write(s, this.length, "utf8");
  }
  /** An ASCII string (numbers, pre-escaped constants), unescaped. */
  ascii(s: string): void {
    this.ensure(s.length);
    const b = this.buf;
    let p = this.length;
    for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i);
    this.length = p;
  }
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    if (bytes.length > 16) {
      // The per-row source tail (~60 bytes): one native copy beats a byte loop (~1 s per 2 M rows).
      this.buf.set(bytes, this.length);
      this.length += bytes.length;
      return;
    }
    const b = this.buf;
    let p = this.length;
    for (let i = 0; i < bytes.length; i++) b[p++] = bytes[i]!;
    this.length = p;
  }
  byte(c: number): void {
    this.ensure(1);
    this.buf[this.length++] = c;
  }
  /**
   * An integer with |v| < 2^53 as decimal ASCII (the bytes of String(v)).
   * String() of a number above 2^31 (every epoch-ms time) goes through V8's
   * slow double-to-text path and leaves a string behind; this writes digits.
   */
  int(v: number): void {
    this.ensure(17);
    if (v < 0) {
      this.buf[this.length++] = 45;
      v = -v;
    }
    if (v < 1e8) this.small(v);
    else {
      const hi = Math.floor(v / 1e8);
      this.small(hi);
      this.padded(v - hi * 1e8, 8);
    }
  }
  /** hi * 2^32 + lo (two uint32) in decimal: the digits of u64Decimal(hi, lo). */
  u64(hi: number, lo: number): void {
    this.ensure(21);
    const low = hi * 967296 + lo;
    const top = hi * 4294 + Math.floor(low / 1e6);
    const rest = low % 1e6;
    if (top === 0) this.small(rest);
    else {
      this.int(top);
      this.padded(rest, 6);
    }
  }
  /**
   * A finite number as String(v) would write it. Integers and values with at
   * most three decimals (every measure in the contract) are written digit by
   * digit: when round(v * 1000) / 1000 === v and |v| < 1e12 the decimal with
   * those <= 15 significant digits is the shortest that reads back as v, which
   * is what String() prints. Anything else goes through String().
   */
  num(v: number): void {
    if (Number.isInteger(v) && v > -9e15 && v < 9e15) {
      this.int(v === 0 ? 0 : v);
      return;
    }
    const x = Math.round(v * 1000);
    if (x / 1000 !== v || v >= 1e12 || v <= -1e12) {
      this.ascii(String(v));
      return;
    }
    this.ensure(20);
    let a = x;
    if (a < 0) {
      this.buf[this.length++] = 45;
      a = -a;
    }
    const whole = Math.floor(a / 1000);
    let frac = a - whole * 1000;
    this.int(whole);
    this.buf[this.length++] = 46;
    let digits = 3;
    while (frac % 10 === 0) {
      frac /= 10;
      digits--;
    }
    this.padded(frac, digits);
  }
  /** 0 <= v < 1e8, no padding. */
  private small(v: number): void {
    let n = 1;
    for (let t = v; t >= 10; t = (t / 10) | 0) n++;
    this.padded(v, n);
  }
  /** 0 <= v < 1e8 as exactly `width` digits, zero-padded. */
  private padded(v: number, width: number): void {
    const b = this.buf;
    let p = this.length + width;
    this.length = p;
    let t = v | 0;
    for (let i = 0; i < width; i++) {
      const q = (t / 10) | 0;
      b[--p] = 48 + t - q * 10;
      t = q;
    }
  }
  /**
   * A TSV field: UTF-8 with \\ \t \n \r \0 escaped (the same bytes as
   * Buffer.from(escapeTsv(s)): lone surrogates become U+FFFD). `map` = inside a
   * quoted Map literal, where \\ and ' are first escaped with a backslash.
   */
  tsv(s: string, map = false): void {
    // Worst case per UTF-16 unit: 3 bytes of UTF-8, or 4 for a map-escaped backslash.
    this.ensure(s.length * 4);
    const b = this.buf;
    let p = this.length;
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) {
        if (c >= 0x20 && c !== 92 && !(map && c === 39)) {
          b[p++] = c;
          continue;
        }
        if (c === 92) {
          b[p++] = 92;
          b[p++] = 92;
          if (map) {
            b[p++] = 92;
            b[p++] = 92;
          }
        } else if (c === 39) {
          b[p++] = 92;
          b[p++] = 92;
          b[p++] = 39;
        } else if (c === 9) {
          b[p++] = 92;
          b[p++] = 116;
        } else if (c === 10) {
          b[p++] = 92;
          b[p++] = 110;
        } else if (c === 13) {
          b[p++] = 92;
          b[p++] = 114;
        } else if (c === 0) {
          b[p++] = 92;
          b[p++] = 48;
        } else b[p++] = c;
      } else if (c < 0x800) {
        b[p++] = 0xc0 | (c >> 6);
        b[p++] = 0x80 | (c & 63);
      } else {
        if (c >= 0xd800 && c <= 0xdfff) {
          const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
          if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
            c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
            i++;
            b[p++] = 0xf0 | (c >> 18);
            b[p++] = 0x80 | ((c >> 12) & 63);
            b[p++] = 0x80 | ((c >> 6) & 63);
            b[p++] = 0x80 | (c & 63);
            continue;
          }
          c = 0xfffd;
        }
        b[p++] = 0xe0 | (c >> 12);
        b[p++] = 0x80 | ((c >> 6) & 63);
        b[p++] = 0x80 | (c & 63);
      }
    }
    this.length = p;
  }
  /** The bytes written (a view, not a copy). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

const TAB = 9;

function tsvField(out: ByteSink, s: string): void {
  out.tsv(s);
  out.byte(TAB);
}

/** Validated ASCII (enum values, numbers as text): no escaping needed. */
function asciiField(out: ByteSink, s: string): void {
  out.ascii(s);
  out.byte(TAB);
}

function numField(out: ByteSink, v: number | null): void {
  if (v === null) {
    out.byte(92);
    out.byte(78); // \N
  } else out.num(v);
  out.byte(TAB);
}

/** A row id computed while writing: hash64(prefix + suffix) through the batch's PrefixHash. */
export interface AuditRowId {
  hash: PrefixHash;
  suffix: string;
}

/**
 * One audit_log row as a TabSeparated line (trailing \n; times as epoch ms, i.e.
 * DateTime64(3) ticks; attrs as a quoted Map literal), written straight into `out`. Enum columns
 * (code, sev, led, step, result) are validated ASCII; `sourceTail` is the
 * batch-constant end of every row (auditRowTail).
 */
export function writeAuditRow(out: ByteSink, r: AuditRecord, ingestedAt: string, id: string | AuditRowId, sourceTail: Uint8Array): void {
  out.num(r.ts);
  out.byte(TAB);
  numField(out, r.recv_ts);
  tsvField(out, r.meter);
  tsvField(out, r.gw);
  asciiField(out, r.code);
  asciiField(out, r.sev);
  asciiField(out, r.led);
  asciiField(out, r.step);
  tsvField(out, r.job);
  asciiField(out, r.result);
  numField(out, r.rssi);
  numField(out, r.lqi);
  numField(out, r.snr);
  numField(out, r.temp_c);
  numField(out, r.battery_v);
  numField(out, r.accuracy_err_pct);
  tsvField(out, r.fw_metrology);
  tsvField(out, r.fw_comms);
  tsvField(out, r.fw_sha256);
  numField(out, r.cert_not_after);
  tsvField(out, r.msg);
  out.byte(123); // {
  let first = true;
  const attrs = r.attrs;
  for (const k in attrs) {
    if (!first) out.byte(44); // ,
    first = false;
    out.byte(39);
    out.tsv(k, true);
    out.ascii("':'");
    out.tsv(attrs[k]!, true);
    out.byte(39);
  }
  out.byte(125); // }
  out.byte(TAB);
  tsvField(out, r.source_host);
  tsvField(out, r.source_app);
  asciiField(out, ingestedAt);
  if (typeof id === "string") out.ascii(id);
  else id.hash.write(out, id.suffix);
  out.raw(sourceTail);
}

/** `\t<escaped source>\n` as UTF-8: the constant end of every audit row of a batch. */
export function auditRowTail(source: string): Uint8Array {
  return Buffer.from("\t" + escapeTsv(source) + "\n", "utf8");
}
