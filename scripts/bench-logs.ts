// Log explorer benchmark: fills a fresh chDB with generated audit lines (INSERT ... SELECT from
// numbers(), 1 M meters over 30 days, a realistic code mix and message words), then times the
// explorer's own query functions: first page for one meter over 30 days, code:E105 over 24 h,
// a free-text word over 24 h, and the histogram over 7 days. Prints p50/p95 against the targets.
//
//   npm run bench:logs -- --rows 10000000 [--runs 20] [--dir /tmp/x]   (--dir keeps the data)
//   npm run bench:logs -- --dir /tmp/x --reuse                          (time the queries again, no generation)
//   npm run bench:logs -- --tail-only                                   (only the live-tail matcher figures)
// First it times the live tail's matcher (lib/logs/match.ts) on pathological wildcard queries over
// lines of growing length: the time per line must grow linearly with the line (no backtracking).
// The queries are timed at once and, if background merges are running, again after they settle
// (at most --settle-minutes, default 20; 0 skips the second pass).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createClickHouse } from "@/lib/clickhouse/client";
import { runClickHouseMigrations } from "@/lib/clickhouse/migrate";
import { getLogHistogram, searchLogs } from "@/lib/clickhouse/queries/logs";
import { compileMatcher } from "@/lib/logs/match";
import { parseQuery } from "@/lib/logs/query-parser";
import { formatMeterId } from "@/lib/fleet/ids";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const ROWS = Number(arg("rows", "100000000"));
const RUNS = Math.max(20, Number(arg("runs", "20")));
const REUSE = process.argv.includes("--reuse");
const DIR = arg("dir", "");
const SETTLE_MINUTES = Number(arg("settle-minutes", "20"));
const CHUNK = 5_000_000;
const METERS = 1_000_000;
const DAY = 86_400_000;

// Weighted code mix (per 100 lines): mostly heartbeats and step results, a few faults.
const CODE_MIX: [string, string, number][] = [
  ["HEARTBEAT", "debug", 52],
  ["STEP_OK", "info", 20],
  ["E105", "error", 6],
  ["LOW_SNR", "warn", 5],
  ["BATTERY_LOW", "warn", 4],
  ["LAST_GASP", "warn", 3],
  ["HES_TIMEOUT", "error", 2],
  ["TLS_HANDSHAKE", "error", 2],
  ["IPC_ERROR", "error", 1],
  ["HOTSPOT", "error", 1],
  ["SUPERCAP_FAIL", "error", 1],
  ["E001", "critical", 1],
  ["E042", "critical", 1],
  ["CERT_EXPIRED", "critical", 0.5],
  ["FW_HASH_MISMATCH", "critical", 0.25],
  ["FOTA_FAILED", "critical", 0.25],
];
const WORDS = [
  "retries",
  "after",
  "link",
  "restored",
  "window",
  "session",
  "checksum",
  "reference",
  "neighbour",
  "table",
  "gateway",
  "collector",
  "backoff",
  "queued",
  "accepted",
  "voltage",
  "divider",
  "supercap",
  "carrier",
  "band",
  "spectrum",
  "interference",
  "antenna",
  "extender",
  "enclosure",
  "terminal",
  "seal",
  "casing",
  "handshake",
  "cipher",
];
const RARE_WORD = "interference"; // 1 in 30 lines carries each word

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Live-tail matcher: µs per line for pathological queries over lines of 100 B to 100 kB. */
function benchTailMatcher() {
  const queries = ["msg:*e*e*e*e*e*e*e*e*Z", "msg:*e*e*e*e*e*e*e*e*e*e*Z", "*a?a?a?a?a?a?a?a?a?b", "meter:*0*0*0*0*0*0*X*"];
  const lengths = [100, 1_000, 10_000, 100_000];
  const SLOW_MS = 100; // a row stops growing once a line takes this long (a backtracking matcher grows as n^pieces)
  console.log(`live-tail matcher: time per line (a line of "e"/"a" runs with no final match: the worst case)`);
  console.log(`${"query".padEnd(30)} ${lengths.map((n) => `${n} B`.padStart(12)).join("")}   ratio 100 kB / 1 kB`);
  for (const q of queries) {
    const parsed = parseQuery(q);
    if (!parsed.ok) {
      console.log(`${q.padEnd(30)} refused: ${parsed.error.message}`);
      continue;
    }
    const match = compileMatcher(parsed.ast);
    const cells: string[] = [];
    const perLine = new Map<number, number>();
    for (const n of lengths) {
      const text = "e a ".repeat(Math.ceil(n / 4)).slice(0, n);
      const record = { ts: 0, msg: text, meter: "EM-" + "0".repeat(n - 3), attrs: {} };
      let lines = 0;
      const t = performance.now();
      let elapsed = 0;
      // At least 5 lines and 200 ms per cell, unless one line is already slow.
      while (lines < 5 || elapsed < 200) {
        match(record);
        lines++;
        elapsed = performance.now() - t;
        if (elapsed > SLOW_MS) break;
      }
      const us = (elapsed * 1000) / lines;
      perLine.set(n, us);
      cells.push((us >= 10_000 ? `${(us / 1e6).toFixed(2)} s` : `${us.toFixed(1)} µs`).padStart(12));
      if (us > SLOW_MS * 1000) break;
    }
    while (cells.length < lengths.length) cells.push("(too slow)".padStart(12));
    const ratio = perLine.has(100_000) && perLine.has(1_000) ? (perLine.get(100_000)! / perLine.get(1_000)!).toFixed(0) : "-";
    console.log(`${q.padEnd(30)} ${cells.join("")}   ${ratio} (linear: ~100)`);
  }
}

async function main() {
  benchTailMatcher();
  if (process.argv.includes("--tail-only")) return;
  const dir = DIR || fs.mkdtempSync(path.join(os.tmpdir(), "bench-logs-"));
  const ch = await createClickHouse({ path: path.join(dir, "ch"), database: "ami", queryTimeoutMs: 60_000 });
  // A reused dataset keeps the schema it was generated with (its migrations may be older).
  if (!REUSE) await runClickHouseMigrations(ch);
  if (!REUSE) {
    // The explorer reads audit_log only. The materialized views hanging off it (meter state,
    // map, fault rollups) add insert work that the queries timed here never read, so the
    // generator drops them: generation is faster and the timed queries are unchanged.
    const views = await ch.queryRows<{ name: string }>({
      query: "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView'",
      tag: "bench.views",
    });
    for (const v of views) await ch.execCommand({ query: "DROP VIEW {v:Identifier}", params: { v: v.name } });
    if (views.length) console.log(`dropped ${views.length} materialized views not read by the explorer: ${views.map((v) => v.name).join(", ")}`);
  }
  let now = Date.now();
  const start = now - 30 * DAY;
  const codes: string[] = [];
  const sevs: string[] = [];
  for (const [code, sev, weight] of CODE_MIX) {
    for (let i = 0; i < weight * 4; i++) {
      codes.push(code);
      sevs.push(sev);
    }
  }
  const arr = (xs: string[]) => `[${xs.map((x) => `'${x}'`).join(",")}]`;
  const t0 = performance.now();
  if (!REUSE) console.log(`generating ${ROWS.toLocaleString()} rows (1 M meters, 30 days) in ${dir}`);
  for (let offset = 0; !REUSE && offset < ROWS; offset += CHUNK) {
    const n = Math.min(CHUNK, ROWS - offset);
    // Generator constants are code, not user input: no parameters needed.
    await ch.execCommand({
      query: `INSERT INTO audit_log (ts, meter, gw, code, sev, led, step, job, result, rssi, lqi, snr, msg, attrs, source_host, source_app, id, source)
        SELECT
          fromUnixTimestamp64Milli(toInt64(${start} + intDiv(number * ${30 * DAY}, ${ROWS}) + (cityHash64(number, 1) % 1000))) AS ts,
          concat(['EM','GM','WM'][1 + m % 3], '-', leftPad(toString(m), 7, '0')) AS meter,
          concat('GW-', leftPad(toString(m % 2000), 4, '0')) AS gw,
          ${arr(codes)}[1 + k] AS code,
          ${arr(sevs)}[1 + k] AS sev,
          if(code = 'HEARTBEAT', 'green_steady', if(sev IN ('error', 'critical'), 'amber_steady', '')) AS led,
          '' AS step, if(number % 50 = 0, concat('cmp_', toString(number % 97)), '') AS job, '' AS result,
          toFloat32(-60 - (cityHash64(number, 3) % 60)) AS rssi, toUInt8(cityHash64(number, 4) % 255) AS lqi,
          toFloat32((cityHash64(number, 5) % 300) / 10) AS snr,
          concat(code, ' ', ${arr(WORDS)}[1 + cityHash64(number, 6) % ${WORDS.length}], ' ', ${arr(WORDS)}[1 + cityHash64(number, 8) % ${WORDS.length}], ' after ', toString(number % 5), ' retries') AS msg,
          map() AS attrs, 'hes-01' AS source_host, 'maintd' AS source_app,
          cityHash64(number, 7) AS id, 'bench' AS source
        FROM (SELECT number + ${offset} AS number, cityHash64(number + ${offset}) % ${METERS} AS m, cityHash64(number + ${offset}, 2) % ${codes.length} AS k FROM numbers(${n}))`,
    });
    process.stdout.write(`  ${(offset + n).toLocaleString()} rows, ${((performance.now() - t0) / 1000).toFixed(0)} s\r`);
  }
  let rowsInTable = ROWS;
  if (REUSE) {
    const [r] = await ch.queryRows<{ n: string; last: string }>({ query: "SELECT count() AS n, toUnixTimestamp64Milli(max(ts)) AS last FROM audit_log", tag: "bench.count" });
    rowsInTable = Number(r?.n ?? 0);
    now = Number(r?.last ?? now) + 1; // the windows end where the generated data ends
    console.log(`reusing ${rowsInTable.toLocaleString()} rows in ${dir}`);
  } else {
    const genSeconds = (performance.now() - t0) / 1000;
    console.log(`\ngenerated ${ROWS.toLocaleString()} rows in ${genSeconds.toFixed(1)} s (${Math.round(ROWS / genSeconds).toLocaleString()} rows/s)`);
  }

  const ast = (q: string) => {
    const r = parseQuery(q);
    if (!r.ok) throw new Error(r.error.message);
    return r.ast;
  };
  const meterOf = (i: number) => {
    const m = (i * 7919 + 12345) % METERS;
    return formatMeterId(["EM", "GM", "WM"][m % 3]!, m);
  };
  const cases: { name: string; target: number; run: (i: number) => Promise<number> }[] = [
    {
      name: "meter:X, 30 d, first page",
      target: 100,
      run: async (i) => (await searchLogs({ ast: ast(`meter:${meterOf(i)}`), from: now - 30 * DAY, to: now, order: "desc" }, ch)).rows.length,
    },
    {
      name: "code:E105, 24 h, first page",
      target: 1000,
      run: async (i) => (await searchLogs({ ast: ast("code:E105"), from: now - DAY - i * 60_000, to: now - i * 60_000, order: "desc" }, ch)).rows.length,
    },
    {
      name: `word "${RARE_WORD}", 24 h, first page`,
      target: 1000,
      run: async (i) => (await searchLogs({ ast: ast(RARE_WORD), from: now - DAY - i * 60_000, to: now - i * 60_000, order: "desc" }, ch)).rows.length,
    },
    {
      name: "histogram, 7 d, stacked by sev",
      target: 1000,
      run: async (i) => (await getLogHistogram({ ast: ast(""), from: now - 7 * DAY - i * 60_000, to: now - i * 60_000, stackBy: "sev" }, ch)).total,
    },
  ];
  const partsOf = async () => {
    const [p] = await ch.queryRows<{ parts: string; merges: string }>({
      query: `SELECT (SELECT count() FROM system.parts WHERE database = currentDatabase() AND table = 'audit_log' AND active) AS parts,
                     (SELECT count() FROM system.merges WHERE database = currentDatabase() AND table = 'audit_log') AS merges`,
      tag: "bench.parts",
    });
    return { parts: Number(p?.parts ?? 0), merges: Number(p?.merges ?? 0) };
  };
  const timeAll = async (label: string) => {
    const { parts, merges } = await partsOf();
    console.log(`\n${label}: audit_log has ${parts} active parts, ${merges} merges running`);
    console.log(`${"query".padEnd(36)} ${"p50 ms".padStart(8)} ${"p95 ms".padStart(8)} ${"target".padStart(8)}  rows  ok`);
    let allOk = true;
    for (const c of cases) {
      await c.run(RUNS + 1); // warm-up (marks loaded, caches), not counted
      const times: number[] = [];
      let rows = 0;
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        rows = await c.run(i);
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      const p95 = pct(times, 95);
      const ok = p95 <= c.target;
      allOk &&= ok;
      console.log(
        `${c.name.padEnd(36)} ${pct(times, 50).toFixed(1).padStart(8)} ${p95.toFixed(1).padStart(8)} ${`≤${c.target}`.padStart(8)}  ${String(rows).padStart(5)}  ${ok ? "yes" : "NO"}`,
      );
    }
    const load = os.loadavg()[0]!.toFixed(1);
    console.log(`${RUNS} runs each, ${rowsInTable.toLocaleString()} rows, ${os.cpus().length} cores, load average ${load}; ${allOk ? "all targets met" : "some targets missed"}`);
  };
  // A meter lookup costs a few ms per active part (one projection index lookup each), so the
  // figures depend on how far background merges have got: measured right after a bulk load
  // (a merge backlog, as after a backfill) and again once merges have settled (the usual state).
  await timeAll("now");
  const settleUntil = Date.now() + SETTLE_MINUTES * 60_000;
  let state = await partsOf();
  if (state.merges > 0 && SETTLE_MINUTES > 0) {
    process.stdout.write(`\nwaiting up to ${SETTLE_MINUTES} min for background merges to settle`);
    while (state.merges > 0 && Date.now() < settleUntil) {
      await new Promise((r) => setTimeout(r, 5_000));
      state = await partsOf();
      process.stdout.write(` ${state.parts}`);
    }
    console.log("");
    await timeAll(state.merges > 0 ? `after ${SETTLE_MINUTES} min (merges still running)` : "merges settled");
  }
  await ch.close();
  if (!DIR) fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
