// Deterministic audit lines for benchmarks and tests: a realistic mix of
// logfmt, syslog-prefixed logfmt and JSON, with an optional share of lines
// the parser must refuse and an optional `seq=N` key (kept as an attribute).
import fs from "node:fs";
import { formatGatewayId, formatMeterId } from "../lib/fleet/ids";
import { CODE_LIST, LED_STATES, RESULTS, STEPS } from "../lib/audit/codes";

const MESSAGES = [
  "RF timeout after 3 retries",
  "metrology checksum != reference",
  "battery below threshold",
  "casing micro-switch opened",
  "heartbeat ok",
  "TLS handshake failed: unsupported protocol",
  "terminal block above 60 °C",
];

const BAD_LINES = [
  (i: number) => `ts=2026-11-25T03:14:07Z meter=EM-00${i % 10000} code=E999 seq=${i}`,
  (i: number) => `ts=2026-11-25T03:14:07Z code=E105 seq=${i}`,
  (i: number) => `meter=EM-0012345 code=E105 msg="unterminated seq=${i}`,
  (i: number) => `ts=2026-11-25T03:14:07Z meter=EM-0012345 code=E105 rssi=40 seq=${i}`,
  (i: number) => `{"ts":"2026-11-25T03:14:07Z","meter":"EM-0012345","code":"E105","led":"purple","seq":"${i}"}`,
];

export interface SampleOptions {
  seed?: number;
  /** Share of lines the parser refuses (0..1). */
  refusedShare?: number;
  /** Add `seq=<start+i>` to every line. */
  seqStart?: number;
  /** Distinct meters. */
  meters?: number;
  /** Event time base (epoch ms). */
  now?: number;
  /**
   * Wider mix for the parser benchmark: explicit `sev`, `fw_metrology`, and all three syslog
   * prefix forms (ISO, RFC 3164, RFC 5424 with structured data). Off by default so seeded
   * streams used by tests and the ingest benchmark stay as they are.
   */
  variety?: boolean;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Generate lines [from, from+count) of an endless deterministic stream. */
export function* generateSampleLines(count: number, opts: SampleOptions = {}): Generator<string> {
  const rnd = createRandom(opts.seed ?? 42);
  const meters = opts.meters ?? 200_000;
  const now = opts.now ?? Date.UTC(2026, 10, 25, 12, 0, 0);
  const refused = opts.refusedShare ?? 0;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  for (let i = 0; i < count; i++) {
    const seq = opts.seqStart !== undefined ? opts.seqStart + i : undefined;
    if (refused > 0 && rnd() < refused) {
      yield pick(BAD_LINES)(seq ?? i);
      continue;
    }
    const t = now - Math.floor(rnd() * 86_400_000);
    const m = Math.floor(rnd() * meters);
    const fields: Record<string, string | number> = {
      ts: new Date(t).toISOString(),
      meter: formatMeterId(["EM", "GM", "WM"][m % 3]!, m),
      gw: formatGatewayId(m % 500),
      code: rnd() < 0.5 ? "HEARTBEAT" : pick(CODE_LIST),
    };
    if (opts.variety && rnd() < 0.5) fields.sev = pick(["info", "warn", "error", "critical"]);
    if (rnd() < 0.6) fields.led = rnd() < 0.7 ? "green_steady" : pick(LED_STATES);
    if (rnd() < 0.7) {
      fields.rssi = -Math.floor(rnd() * 120);
      fields.lqi = Math.floor(rnd() * 256);
      fields.snr = Math.round(rnd() * 400) / 10;
    }
    if (rnd() < 0.3) {
      fields.step = pick(STEPS);
      fields.result = pick(RESULTS);
      fields.job = `cmp_${Math.floor(rnd() * 0xffff).toString(16)}`;
    }
    if (rnd() < 0.2) fields.battery_v = Math.round(rnd() * 400) / 100;
    if (opts.variety && rnd() < 0.1) fields.fw_metrology = `2.${Math.floor(rnd() * 9)}.1`;
    if (rnd() < 0.8) fields.msg = pick(MESSAGES);
    if (seq !== undefined) fields.seq = String(seq);
    const kind = rnd();
    if (kind < 0.25) {
      yield JSON.stringify(fields);
      continue;
    }
    const logfmt = Object.entries(fields)
      .map(([k, v]) => (typeof v === "string" && /[\s"=]/.test(v) ? `${k}=${JSON.stringify(v)}` : `${k}=${v}`))
      .join(" ");
    if (kind < 0.7) yield logfmt;
    else if (!opts.variety || kind < 0.8) yield `${new Date(t + 14).toISOString()} hes-01 maintd[2211]: ${logfmt}`;
    else if (kind < 0.9) {
      const recv = new Date(t + 14);
      const d = recv.getUTCDate();
      yield `${MONTHS[recv.getUTCMonth()]} ${d < 10 ? " " : ""}${d} ${recv.toISOString().slice(11, 19)} hes-02 maintd[2211]: ${logfmt}`;
    } else yield `<134>1 ${new Date(t + 14).toISOString()} hes-03 maintd 2211 AUDIT [origin ip="10.0.0.3"] ${logfmt}`;
  }
}

/** Writes `count` generated lines to `file` (replacing it), 50 000 at a time; returns the file's size in bytes. */
export function writeSampleLogFile(file: string, count: number, opts: SampleOptions = {}): number {
  const out = fs.openSync(file, "w");
  try {
    let chunk: string[] = [];
    for (const line of generateSampleLines(count, opts)) {
      chunk.push(line);
      if (chunk.length === 50_000) {
        fs.writeSync(out, chunk.join("\n") + "\n");
        chunk = [];
      }
    }
    if (chunk.length) fs.writeSync(out, chunk.join("\n") + "\n");
  } finally {
    fs.closeSync(out);
  }
  return fs.statSync(file).size;
}
