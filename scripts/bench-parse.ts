// Benchmark of ingest/parse.ts on 1 M generated realistic audit lines (logfmt, syslog-prefixed
// logfmt in the three prefix forms, JSON). Prints lines/s and MB/s per round, single core.
// Usage: npx tsx scripts/bench-parse.ts [lineCount] [rounds]
import { parseLine } from "../ingest/parse";
import { generateSampleLines } from "../ingest/sample-lines";

const LINE_COUNT = Number(process.argv[2] ?? 1_000_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

// The shared generator (ingest/sample-lines.ts) with its wider mix: every syslog prefix form.
function generateLines(count: number): string[] {
  return [...generateSampleLines(count, { seed: 42, now: NOW, meters: 10_000_000, variety: true })];
}

// CPU time as well as wall time: the 2 cores are shared, so wall time alone understates speed.
function runRound(lines: string[]): { seconds: number; cpuSeconds: number; accepted: number; refused: number } {
  let accepted = 0;
  let refused = 0;
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < lines.length; i++) {
    const r = parseLine(lines[i]!, { now: NOW });
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
