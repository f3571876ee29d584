// Accepted records and refused lines as ClickHouse insert bodies. TSV, not
// JSONEachRow: chDB parses it ~2x faster and it is cheaper to build here
// (figures: scripts/ingest-format-experiment.ts).
import type { AuditRecord } from "../lib/audit/record";

/** audit_log columns in body order (AuditRecord fields + writer fields). */
export const AUDIT_LOG_COLUMNS = [
  "ts", "recv_ts", "meter", "gw", "code", "sev", "led", "step", "job", "result",
  "rssi", "lqi", "snr", "temp_c", "battery_v", "accuracy_err_pct",
  "fw_metrology", "fw_comms", "fw_sha256", "cert_not_after", "msg", "attrs",
  "source_host", "source_app", "ingested_at", "id", "source",
] as const;

export const INGEST_REJECTS_COLUMNS = ["ingested_at", "source", "position", "reason", "raw"] as const;

const TWO_32 = 4294967296n;

/**
 * Stable 64-bit id of a line (two independent 32-bit murmur3-style hashes of
 * `key`), as the decimal string ClickHouse expects for UInt64.
 */
export function hash64(key: string): string {
  let h1 = 0x9747b28c | 0;
  let h2 = 0x85ebca6b | 0;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0xcc9e2d51);
    h1 = (h1 << 15) | (h1 >>> 17);
    h2 = Math.imul(h2 ^ c, 0x1b873593);
    h2 = (h2 << 13) | (h2 >>> 19);
    h2 = (Math.imul(h2, 5) + 0xe6546b64) | 0;
  }
  h1 ^= key.length;
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
  h1 = Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  h2 ^= h1;
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0x7feb352d);
  h2 = Math.imul(h2 ^ (h2 >>> 15), 0x846ca68b);
  h2 ^= h2 >>> 16;
  return (BigInt(h1 >>> 0) * TWO_32 + BigInt(h2 >>> 0)).toString();
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

/** A quoted literal inside a TSV Map value: '...' with \\ and \' escaped, then TSV-escaped. */
function quoteMapString(s: string): string {
  return "'" + s.replace(/[\\']/g, (m) => "\\" + m) + "'";
}

function num(v: number | null): string {
  return v === null ? "\\N" : String(v);
}

function mapTsv(attrs: Record<string, string>): string {
  let out = "{";
  let first = true;
  for (const k in attrs) {
    if (!first) out += ",";
    first = false;
    out += quoteMapString(k) + ":" + quoteMapString(attrs[k]!);
  }
  return escapeTsv(out + "}");
}

/** One audit_log row as a TSV line (with trailing \n). Timestamps go as epoch ms (DateTime64(3) ticks). */
export function auditRowTsv(r: AuditRecord, ingestedAt: number, id: string, source: string): string {
  return (
    r.ts + "\t" + num(r.recv_ts) + "\t" + escapeTsv(r.meter) + "\t" + escapeTsv(r.gw) + "\t" + r.code + "\t" + r.sev + "\t" +
    r.led + "\t" + r.step + "\t" + escapeTsv(r.job) + "\t" + r.result + "\t" +
    num(r.rssi) + "\t" + num(r.lqi) + "\t" + num(r.snr) + "\t" + num(r.temp_c) + "\t" + num(r.battery_v) + "\t" + num(r.accuracy_err_pct) + "\t" +
    escapeTsv(r.fw_metrology) + "\t" + escapeTsv(r.fw_comms) + "\t" + escapeTsv(r.fw_sha256) + "\t" + num(r.cert_not_after) + "\t" +
    escapeTsv(r.msg) + "\t" + mapTsv(r.attrs) + "\t" + escapeTsv(r.source_host) + "\t" + escapeTsv(r.source_app) + "\t" +
    ingestedAt + "\t" + id + "\t" + escapeTsv(source) + "\n"
  );
}

/** The same row as a JSONEachRow object (the format @clickhouse/client insertRows takes). */
export function auditRowObject(r: AuditRecord, ingestedAt: number, id: string, source: string): Record<string, unknown> {
  return { ...r, ingested_at: ingestedAt, id, source };
}

export function rejectRowTsv(ingestedAt: number, source: string, position: string, reason: string, raw: string): string {
  return ingestedAt + "\t" + escapeTsv(source) + "\t" + position + "\t" + escapeTsv(reason) + "\t" + escapeTsv(raw) + "\n";
}
