// How should the writer hand its TSV bodies to chDB? Builds the bodies of
// `lines` generated lines once (ingest/prepare.ts, as the writer does), then on
// a fresh chDB dir with every migration (projection, skip indexes, MVs):
//   1. parse cost alone: the body read by file() into the table's types vs with
//      LowCardinality columns read as String (FORMAT Null, 1 and 2 threads);
//   2. inserts into audit_log: inline TSV (Session.insert, the old sink) vs
//      INSERT ... SELECT FROM file() with the String structure (the sink now),
//      in blocks of 100 k and of 1 M rows.
// Usage: npx tsx scripts/ingest-format-experiment.ts [lines=1000000]
// Figures (1 M lines, chDB 26.7, 2 cores, load 3-4 from other jobs; noisy):
//   parse, real types 1.9 s (1 thread) / 1.2 s (2); LowCardinality as String 0.5 s / 0.4 s
//   insert, inline TSV       100 k blocks 12.0 s, 1 M block 6.4 s
//   insert, file() + String  100 k blocks  8.5 s, 1 M block 4.6 s (4.1 s with parallel_view_processing)
//   chDB's own parser on the raw lines (benchNativeLoad) 4.8 s
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Session } from "chdb";
import { createClickHouse } from "../lib/clickhouse/client";
import { runClickHouseMigrations } from "../lib/clickhouse/migrate";
import { createIngestSink, tsvInputStructure } from "../lib/clickhouse/queries/ingest";
import { emptyPrepared, prepareRange, reserveAuditRoom } from "../ingest/prepare";
import { AUDIT_LOG_COLUMNS } from "../ingest/rows";
import { generateSampleLines } from "../ingest/sample-lines";

const N = Number(process.argv[2] ?? 1_000_000);
const BLOCK = 100_000;

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ingest-fmt-"));
  const ch = await createClickHouse({ path: dir });
  await runClickHouseMigrations(ch);
  await ch.close();
  const lines = [...generateSampleLines(N, { seed: 1, refusedShare: 0.01 })];
  const bodies: Buffer[] = [];
  const now = Date.now();
  for (let i = 0; i < N; i += BLOCK) {
    const out = emptyPrepared();
    const slice = lines.slice(i, i + BLOCK);
    const input = { source: "file:/var/log/ami/maintenance_audit.log", idPrefix: "exp:", positions: slice.map((_, j) => i + j), lines: slice };
    reserveAuditRoom(out, input, 0, slice.length);
    prepareRange(input, 0, slice.length, now, out);
    bodies.push(Buffer.from(out.audit.bytes()));
  }
  const all = Buffer.concat(bodies);
  const s = new Session(dir);
  const typeRows = (await s.queryAsync("SELECT name, type FROM system.columns WHERE database = 'ami' AND table = 'audit_log'", { format: "JSONEachRow" }))
    .text().trim().split("\n").map((l) => JSON.parse(l) as { name: string; type: string });
  const types = new Map(typeRows.map((r) => [r.name, r.type]));
  const realStructure = AUDIT_LOG_COLUMNS.map((c) => `${c} ${types.get(c)}`).join(", ");
  const stringStructure = tsvInputStructure(types, AUDIT_LOG_COLUMNS);
  const bodyFile = path.join(dir, "body.tsv");
  fs.writeFileSync(bodyFile, all);

  for (const [name, structure] of [["real types", realStructure], ["LowCardinality as String", stringStructure]] as const) {
    for (const threads of [1, 2]) {
      const t = performance.now();
      await s.queryBindAsync(`SELECT * FROM file({f: String}, 'TSV', {st: String}) FORMAT Null SETTINGS max_threads = ${threads}`, { f: bodyFile, st: structure });
      console.log(`parse, ${name.padEnd(25)} ${threads} thread(s): ${(performance.now() - t).toFixed(0)} ms`);
    }
  }

  const sink = createIngestSink({ chdbPath: dir, database: "ami" });
  let k = 0;
  const runs: [string, () => Promise<void>][] = [
    ["inline TSV, 100 k blocks", async () => {
      for (const b of bodies) await s.insert({ table: "ami.audit_log", format: "TSV", columns: [...AUDIT_LOG_COLUMNS], values: b, settings: { insert_deduplication_token: `x${k++}` } });
    }],
    ["inline TSV, one 1 M block", async () => {
      await s.insert({ table: "ami.audit_log", format: "TSV", columns: [...AUDIT_LOG_COLUMNS], values: all, settings: { insert_deduplication_token: `x${k++}` } });
    }],
    ["file() sink, 100 k blocks", async () => {
      for (const b of bodies) await sink.insertTsv({ table: "audit_log", columns: AUDIT_LOG_COLUMNS, body: b, dedupToken: `x${k++}` });
    }],
    ["file() sink, one 1 M block", async () => {
      await sink.insertTsv({ table: "audit_log", columns: AUDIT_LOG_COLUMNS, body: all, dedupToken: `x${k++}` });
    }],
  ];
  for (const [name, run] of runs) {
    await s.queryAsync("TRUNCATE TABLE ami.audit_log");
    const t = performance.now();
    await run();
    const ms = performance.now() - t;
    console.log(`insert, ${name.padEnd(27)} ${ms.toFixed(0)} ms  ${Math.round((N / ms) * 1000).toLocaleString("en")} rows/s`);
  }
  await sink.close();
  s.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
