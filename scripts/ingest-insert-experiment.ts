// Where the ingest insert time goes: the app's writer prepares 2 M generated lines
// once (file tail -> parse -> TSV bodies, kept in memory), then the same bodies are
// inserted through the app's chDB sink into fresh databases that differ in what
// hangs off audit_log, and chDB's own parser loads the file into the same schema.
//   npx tsx scripts/ingest-insert-experiment.ts [lines=2000000] [batchRows=100000] [variants]
// variants (comma-separated): asis (the migrations as shipped), no_state (without
// meter_state_mv), no_state_map (also without map_meters_state_mv), no_mv (also
// without fault_rollup_1h_mv), no_proj (as shipped minus p_meter), bare (no views,
// no projections). Figures behind 011_meter_state_packed.sql.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { FileTail } from "../ingest/file-tail";
import { writeSampleLogFile } from "../ingest/sample-lines";
import { openTestEngine, waitCaughtUp } from "../ingest/test-engine";
import { createIngestWriter } from "../ingest/writer";
import { benchNativeLoad, type IngestSink } from "../lib/clickhouse/queries/ingest";

const LINES = Number(process.argv[2] ?? 2_000_000);
const BATCH = Number(process.argv[3] ?? 100_000);
const VARIANTS = (process.argv[4] ?? "asis,no_state,no_state_map,no_mv,no_proj,bare").split(",");
type Insert = Parameters<IngestSink["insertTsv"]>[0];

const DROPS: Record<string, { views: string[]; projections: string[]; add?: string[] }> = {
  asis: { views: [], projections: [] },
  no_state: { views: ["meter_state_mv"], projections: [] },
  no_state_map: { views: ["meter_state_mv", "map_meters_state_mv"], projections: [] },
  no_mv: { views: ["meter_state_mv", "map_meters_state_mv", "fault_rollup_1h_mv"], projections: [] },
  no_proj: { views: [], projections: ["p_meter"] },
  offsets_proj: { views: [], projections: ["p_meter"], add: ["ALTER TABLE audit_log ADD PROJECTION p_meter (SELECT _part_offset ORDER BY meter, ts)"] },
  bare: { views: ["meter_state_mv", "map_meters_state_mv", "fault_rollup_1h_mv"], projections: ["p_meter", "p_hist"] },
};

async function prepare(dir: string): Promise<{ file: string; inserts: Insert[] }> {
  const file = path.join(dir, "maintenance_audit.log");
  writeSampleLogFile(file, LINES, { seed: 1, refusedShare: 0.01 });
  const inserts: Insert[] = [];
  const writer = createIngestWriter({ sink: { insertTsv: async (i) => void inserts.push(i), close: async () => {} }, maxQueuedRows: BATCH * 3 });
  const cpDir = path.join(dir, "checkpoints");
  const t = performance.now();
  const tail = new FileTail({ path: file, writer, checkpointDir: cpDir, batchRows: BATCH, flushIntervalMs: 50, pollMs: 5, maxInFlight: 2 });
  tail.start();
  await waitCaughtUp(cpDir, file, 3_600_000);
  await tail.stop();
  await writer.close();
  console.log(`prepared ${LINES.toLocaleString("en")} lines without inserting: ${((performance.now() - t) / 1000).toFixed(2)} s, ${inserts.length} insert bodies`);
  return { file, inserts };
}

async function run(variant: string, file: string, inserts: Insert[]) {
  const drops = DROPS[variant];
  if (!drops) throw new Error(`unknown variant ${variant}`);
  const eng = await openTestEngine();
  for (const v of drops.views) await eng.ch.execCommand({ query: `DROP VIEW ${v}` });
  for (const p of drops.projections) await eng.ch.execCommand({ query: `ALTER TABLE audit_log DROP PROJECTION ${p}` });
  for (const q of drops.add ?? []) await eng.ch.execCommand({ query: q });
  let t = performance.now();
  const cpu0 = process.cpuUsage();
  const conc = Number(process.env.CONC ?? 1);
  let next = 0;
  await Promise.all(Array.from({ length: conc }, async () => {
    while (next < inserts.length) await eng.sink.insertTsv(inserts[next++]!);
  }));
  const appMs = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  const appCpuS = (cpu.user + cpu.system) / 1e6;
  await eng.ch.execCommand({ query: "TRUNCATE TABLE audit_log" });
  t = performance.now();
  await benchNativeLoad({ path: file }, eng.ch);
  const nativeMs = performance.now() - t;
  const rate = (ms: number) => Math.round((LINES / ms) * 1000).toLocaleString("en").padStart(9);
  console.log(`${variant.padEnd(13)} app sink ${(appMs / 1000).toFixed(2).padStart(6)} s ${rate(appMs)} rows/s (CPU ${appCpuS.toFixed(1)} s)   chDB native ${(nativeMs / 1000).toFixed(2).padStart(6)} s ${rate(nativeMs)} rows/s`);
  await eng.close();
  fs.rmSync(eng.dir, { recursive: true, force: true });
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ami-insert-exp-"));
  try {
    const { file, inserts } = await prepare(dir);
    for (const v of VARIANTS) await run(v, file, inserts);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
