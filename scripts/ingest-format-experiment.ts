// Which insert format is fastest through chDB for audit_log? Builds the same
// parsed rows as TSV and JSONEachRow, times building and inserting each into
// a fresh chDB dir (with 001's projection and materialized view).
// Usage: npx tsx scripts/ingest-format-experiment.ts [lines]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Session } from "chdb";
import { createClickHouse } from "../lib/clickhouse/client";
import { runClickHouseMigrations } from "../lib/clickhouse/migrate";
import { parseLine } from "./../ingest/parse";
import { AUDIT_LOG_COLUMNS, auditRowObject, auditRowTsv, hash64 } from "../ingest/rows";
import { generateSampleLines } from "../ingest/sample-lines";
import type { AuditRecord } from "../lib/audit/record";

async function main() {
  const n = Number(process.argv[2] ?? 300_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ingest-fmt-"));
  const ch = await createClickHouse({ path: dir });
  await runClickHouseMigrations(ch);
  await ch.close();
  const lines = [...generateSampleLines(n)];
  const recs: AuditRecord[] = [];
  for (const l of lines) {
    const r = parseLine(l);
    if (r.ok === true) recs.push(r.record);
  }
  const now = Date.now();
  let t = performance.now();
  const ids = recs.map((_, i) => hash64(`bench#${i}`));
  console.log(`hash64: ${(performance.now() - t).toFixed(0)} ms`);
  t = performance.now();
  let tsv = "";
  for (let i = 0; i < recs.length; i++) tsv += auditRowTsv(recs[i]!, now, ids[i]!, "bench");
  const tsvBuf = Buffer.from(tsv);
  const tsvBuild = performance.now() - t;
  t = performance.now();
  let json = "";
  for (let i = 0; i < recs.length; i++) json += JSON.stringify(auditRowObject(recs[i]!, now, ids[i]!, "bench")) + "\n";
  const jsonBuf = Buffer.from(json);
  const jsonBuild = performance.now() - t;
  const s = new Session(dir);
  for (const [fmt, buf, build] of [["TSV", tsvBuf, tsvBuild], ["JSONEachRow", jsonBuf, jsonBuild]] as const) {
    await s.queryAsync("TRUNCATE TABLE ami.audit_log");
    const t0 = performance.now();
    await s.insert({ table: "ami.audit_log", format: fmt, values: buf, columns: fmt === "TSV" ? [...AUDIT_LOG_COLUMNS] : undefined });
    const ins = performance.now() - t0;
    console.log(`${fmt.padEnd(12)} build ${build.toFixed(0)} ms, insert ${ins.toFixed(0)} ms, ${(buf.length / 1e6).toFixed(1)} MB, ${Math.round(recs.length / ((build + ins) / 1000)).toLocaleString("en")} rows/s build+insert`);
  }
  // The same TSV body read by chDB from a file (parallel parsing) instead of inline INSERT data.
  const tsvFile = path.join(dir, "body.tsv");
  fs.writeFileSync(tsvFile, tsvBuf);
  const typeRows = (await s.queryAsync("SELECT name, type FROM system.columns WHERE database = 'ami' AND table = 'audit_log'", { format: "JSONEachRow" })).text().trim().split("\n").map((l) => JSON.parse(l) as { name: string; type: string });
  const types = new Map(typeRows.map((r) => [r.name, r.type]));
  const structure = AUDIT_LOG_COLUMNS.map((c) => `${c} ${types.get(c)}`).join(", ");
  for (let i = 0; i < 2; i++) {
    await s.queryAsync("TRUNCATE TABLE ami.audit_log");
    const t0 = performance.now();
    await s.queryAsync(`INSERT INTO ami.audit_log (${AUDIT_LOG_COLUMNS.join(",")}) SELECT ${AUDIT_LOG_COLUMNS.join(",")} FROM file('${tsvFile}', 'TSV', '${structure.replace(/'/g, "\\'")}')`);
    console.log(`TSV via file(): insert ${(performance.now() - t0).toFixed(0)} ms`);
  }
  s.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
main();
