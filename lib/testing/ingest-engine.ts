// Shared set-up for ingest integration tests and scripts: a fresh chDB
// directory with the migrations applied, a sink on it and a writer.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createClickHouse, type ClickHouse } from "../clickhouse/client";
import { runClickHouseMigrations } from "../clickhouse/migrate";
import { createIngestSink, type IngestSink } from "../clickhouse/queries/ingest";
import { hashHead, readCheckpoint } from "../../ingest/checkpoint";
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

/**
 * Until the tail has committed everything: nothing pending, no rotated generation unfinished, and the last
 * committed batch ends the file now at the path. "The file now at the path" is checked by inode AND head:
 * with copytruncate the inode never changes, so an older generation's offset can equal the new file's size.
 */
/** Sequence numbers in [0, written) missing from a source, as ranges (first `limit`). */
export async function missingSeqRanges(eng: TestEngine, source: string, written: number, limit = 20): Promise<[number, number][]> {
  const rows = await eng.ch.queryRows<{ s: string }>({
    query: `SELECT DISTINCT toUInt64(attrs['seq']) AS s FROM audit_log WHERE source = {source: String} ORDER BY s`,
    params: { source },
    tag: "test.seq-missing",
  });
  const have = new Uint8Array(written);
  for (const r of rows) if (Number(r.s) < written) have[Number(r.s)] = 1;
  const out: [number, number][] = [];
  for (let i = 0; i < written && out.length < limit; i++) {
    if (have[i]) continue;
    let j = i;
    while (j + 1 < written && !have[j + 1]) j++;
    out.push([i, j]);
    i = j;
  }
  return out;
}

export async function waitCaughtUp(cpDir: string, file: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let why = "no checkpoint yet";
  while (Date.now() < deadline) {
    const cp = readCheckpoint(cpDir, file);
    if (cp) why = `${cp.pending.length} batch(es) pending, last committed ${cp.identity?.fileKey ?? "none"} up to byte ${cp.offset}`;
    if (cp && cp.pending.length === 0 && cp.identity && fs.existsSync(file)) {
      const st = fs.statSync(file);
      const id = cp.identity;
      const unfinished = (cp.files ?? []).some((p) => !p.done && p.identity.fileKey !== id.fileKey);
      const current = st.ino === id.ino && headHashOf(file, id.headLen) === id.headHash;
      if (!unfinished && current && cp.offset === st.size) return;
      why += `; the file at the path (inode ${st.ino}, ${st.size} bytes) is ${current ? "that file" : "another file"}${unfinished ? `; rotated files unfinished: ${unfinishedList(cp, id.fileKey)}` : ""}`;
    }
    await sleep(50);
  }
  throw new Error(`tail did not catch up in ${Math.round(timeoutMs / 1000)} s: ${why}`);
}

function unfinishedList(cp: NonNullable<ReturnType<typeof readCheckpoint>>, current: string): string {
  return (cp.files ?? [])
    .filter((p) => !p.done && p.identity.fileKey !== current)
    .map((p) => `${path.basename(p.name)} (${p.identity.fileKey}, committed ${p.offset} of ${p.size} bytes, ${fs.existsSync(p.name) ? "there" : "gone"})`)
    .join(", ");
}

function headHashOf(file: string, len: number): string | null {
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.alloc(len);
    const n = fs.readSync(fd, buf, 0, len, 0);
    return n === len ? hashHead(buf) : null;
  } finally {
    fs.closeSync(fd);
  }
}
