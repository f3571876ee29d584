// Benchmark of ingest/parse.ts on 1 M generated realistic audit lines (logfmt, syslog-prefixed
// logfmt in the three prefix forms, JSON). Prints lines/s and MB/s per round, single core.
// Usage: npx tsx scripts/bench-parse.ts [lineCount] [rounds]
import { CODE_LIST, LED_STATES, RESULTS, STEPS } from "../lib/audit/codes";
import { parseLine } from "../ingest/parse";

const LINE_COUNT = Number(process.argv[2] ?? 1_000_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const MESSAGES = [
  "RF timeout after 3 retries",
  "metrology checksum != reference",
  "battery below 3.1 V threshold",
  "tamper switch opened, casing micro-switch",
  "heartbeat ok",
  "TLS handshake failed: unsupported protocol",
  "Zählerkasten über 60 °C",
];

// mulberry32: deterministic so two runs measure the same lines.
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

function generateLines(count: number): string[] {
  const rnd = createRandom(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const lines: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const t = NOW - Math.floor(rnd() * 86_400_000);
    const iso = new Date(t).toISOString();
    const fields: Record<string, string | number> = {
      ts: iso,
      meter: `${pick(["EM", "GM", "WM"])}-${String(Math.floor(rnd() * 1e7)).padStart(7, "0")}`,
      gw: `GW-${String(Math.floor(rnd() * 500)).padStart(4, "0")}`,
      code: pick(CODE_LIST),
    };
    if (rnd() < 0.5) fields.sev = pick(["info", "warn", "error", "critical"]);
    if (rnd() < 0.6) fields.led = pick(LED_STATES);
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
    if (rnd() < 0.1) fields.fw_metrology = `2.${Math.floor(rnd() * 9)}.1`;
    if (rnd() < 0.8) fields.msg = pick(MESSAGES);
    const kind = rnd();
    if (kind < 0.3) {
      lines[i] = JSON.stringify(fields);
      continue;
    }
    const logfmt = Object.entries(fields)
      .map(([k, v]) => (typeof v === "string" && /[\s"]/.test(v) ? `${k}=${JSON.stringify(v)}` : `${k}=${v}`))
      .join(" ");
    const recv = new Date(t + 14);
    if (kind < 0.65) lines[i] = logfmt;
    else if (kind < 0.8) lines[i] = `${recv.toISOString()} hes-01 maintd[2211]: ${logfmt}`;
    else if (kind < 0.9) {
      const d = recv.getUTCDate();
      const hms = recv.toISOString().slice(11, 19);
      lines[i] = `${MONTHS[recv.getUTCMonth()]} ${d < 10 ? " " : ""}${d} ${hms} hes-02 maintd[2211]: ${logfmt}`;
    } else lines[i] = `<134>1 ${recv.toISOString()} hes-03 maintd 2211 AUDIT [origin ip="10.0.0.3"] ${logfmt}`;
  }
  return lines;
}

// CPU time as well as wall time: the 2 cores are shared, so wall time alone understates speed.
function runRound(lines: string[]): { seconds: number; cpuSeconds: number; accepted: number; refused: number } {
  let accepted = 0;
  let refused = 0;
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < lines.length; i++) {
    const r = parseLine(lines[i], { now: NOW });
    if (r.ok === true) accepted++;
    else if (r.ok === false) refused++;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, accepted, refused };
}

function main(): void {
  const lines = generateLines(LINE_COUNT);
  let bytes = 0;
  for (const l of lines) bytes += Buffer.byteLength(l, "utf8");
  console.log(`${lines.length} lines, ${(bytes / 1e6).toFixed(1)} MB, avg ${(bytes / lines.length).toFixed(0)} B/line`);
  runRound(lines.slice(0, 100_000)); // warm-up so the JIT has optimised the scanners
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const { seconds, cpuSeconds, accepted, refused } = runRound(lines);
    const rate = lines.length / seconds;
    rates.push(rate);
    console.log(
      `round ${r + 1}: wall ${seconds.toFixed(3)} s = ${Math.round(rate).toLocaleString("en")} lines/s, ` +
        `${(bytes / 1e6 / seconds).toFixed(1)} MB/s; cpu ${cpuSeconds.toFixed(3)} s = ` +
        `${Math.round(lines.length / cpuSeconds).toLocaleString("en")} lines/s; accepted ${accepted}, refused ${refused}`,
    );
  }
  rates.sort((a, b) => a - b);
  console.log(`median wall: ${Math.round(rates[Math.floor(rates.length / 2)]).toLocaleString("en")} lines/s (one core)`);
}

main();
