// Shared set-up for ingest integration tests and scripts: a fresh chDB
// directory with the migrations applied, a sink on it and a writer.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createClickHouse, type ClickHouse } from "../clickhouse/client";
import { runClickHouseMigrations } from "../clickhouse/migrate";
import { createIngestSink, type IngestSink } from "../clickhouse/queries/ingest";
import { readCheckpoint } from "../../ingest/checkpoint";
import { generateSampleLines } from "../../ingest/sample-lines";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Temp dirs for a test file; register `removeAll` with afterAll (no vitest import: scripts load this module too). */
export function tempDirs() {
  const dirs: string[] = [];
  return {
    tmp(prefix: string) {
      const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      dirs.push(d);
      return d;
    },
    removeAll() {
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    },
  };
}

export interface TestEngine {
  dir: string;
  ch: ClickHouse;
  sink: IngestSink;
  /** count() of a table, as a number. */
  count(table: "audit_log" | "ingest_rejects", where?: string): Promise<number>;
  close(): Promise<void>;
}

/** Open (or reopen) a chDB directory; `dir` defaults to a new temp dir. */
export async function openTestEngine(dir?: string): Promise<TestEngine> {
  const d = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "ami-ingest-"));
  const ch = await createClickHouse({ path: path.join(d, "ch") });
  await runClickHouseMigrations(ch);
  const sink = createIngestSink({ chdbPath: path.join(d, "ch"), database: ch.database });
  return {
    dir: d,
    ch,
    sink,
    async count(table, where) {
      // Test-only: `where` is a literal written in the test file, never user input.
      const [row] = await ch.queryRows<{ n: string }>({ query: `SELECT count() AS n FROM ${table} ${where ? "WHERE " + where : ""}`, tag: "test.count" });
      return Number(row?.n ?? 0);
    },
    async close() {
      await sink.close();
      await ch.close();
    },
  };
}

/** Appends lines seq, seq+1, ... to whatever file is at `file` now. */
export class Appender {
  next = 0;
  append(file: string, n: number) {
    const lines = [...generateSampleLines(n, { seed: this.next + 1, seqStart: this.next })];
    fs.appendFileSync(file, lines.join("\n") + "\n");
    this.next += n;
  }
}

export async function seqStats(eng: TestEngine, source: string) {
  const [r] = await eng.ch.queryRows<{ n: string; u: string; lo: string; hi: string }>({
    query: `SELECT count() AS n, uniqExact(attrs['seq']) AS u, min(toUInt64(attrs['seq'])) AS lo, max(toUInt64(attrs['seq'])) AS hi
            FROM audit_log WHERE source = {source: String}`,
    params: { source },
    tag: "test.seq",
  });
  return { n: Number(r!.n), u: Number(r!.u), lo: Number(r!.lo), hi: Number(r!.hi) };
}

export async function waitCaughtUp(cpDir: string, file: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const cp = readCheckpoint(cpDir, file);
    const size = fs.existsSync(file) ? fs.statSync(file).size : 0;
    if (cp && cp.pending.length === 0 && cp.offset === size && fs.statSync(file).ino === cp.identity?.ino) return;
    await sleep(50);
  }
  throw new Error("tail did not catch up");
}
