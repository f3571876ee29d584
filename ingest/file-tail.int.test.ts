// File tail against real chDB with sequence-numbered lines: rename rotation,
// copytruncate, restart from checkpoint, and SIGKILL of a tailing process at
// random points. Each check: every sequence number stored exactly once.
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileTail } from "./file-tail";
import { Appender, openTestEngine, seqStats, sleep, tempDirs, waitCaughtUp, type TestEngine } from "@/lib/testing/ingest-engine";
import { createIngestWriter, type IngestWriter } from "./writer";

const { tmp, removeAll } = tempDirs();
afterAll(removeAll);

function startTail(file: string, writer: IngestWriter, cpDir: string) {
  // The rotated names below are not logrotate's: they are configured as the chain's glob.
  const tail = new FileTail({
    path: file,
    writer,
    checkpointDir: cpDir,
    batchRows: 300,
    flushIntervalMs: 30,
    pollMs: 10,
    rotateGraceMs: 50,
    rotatedGlobs: ["{name}.*.rot", "{name}.*.copy"],
  });
  tail.start();
  return tail;
}

let shared: TestEngine | null = null;
/** chDB binds one data directory per process: every test in this file shares one. */
async function engine(): Promise<TestEngine> {
  shared ??= await openTestEngine(tmp("ami-tail-"));
  return shared;
}
afterAll(async () => {
  await shared?.close();
});

describe("file tail", () => {
  it("follows rename rotation and copytruncate with no gap and no duplicate", async () => {
    const eng = await engine();
    const logDir = tmp("ami-logs-");
    const file = path.join(logDir, "audit.log");
    const cpDir = tmp("ami-cp-");
    const writer = createIngestWriter({ sink: eng.sink });
    const app = new Appender();
    app.append(file, 1000);
    const tail = startTail(file, writer, cpDir);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 5; i++) {
        app.append(file, 200);
        await sleep(15);
      }
      // rename rotation: the producer appends a little to the old inode, then reopens
      fs.renameSync(file, `${file}.${round}.rot`);
      app.append(`${file}.${round}.rot`, 50);
      app.append(file, 300);
      // The tail must have seen the new file's first line before the next rotation.
      await waitCaughtUp(cpDir, file);
      // copytruncate: copy, truncate in place, go on appending
      app.append(file, 400);
      fs.copyFileSync(file, `${file}.${round}.copy`);
      fs.truncateSync(file, 0);
      app.append(file, 100);
      await sleep(25);
    }
    app.append(file, 500);
    await waitCaughtUp(cpDir, file);
    await tail.stop();
    await writer.close();
    const s = await seqStats(eng, `file:${file}`);
    expect(s).toEqual({ n: app.next, u: app.next, lo: 0, hi: app.next - 1 });
  });

  it("resumes from its checkpoint after a restart without re-reading", async () => {
    const eng = await engine();
    const file = path.join(tmp("ami-logs-"), "audit.log");
    const cpDir = tmp("ami-cp-");
    const app = new Appender();
    app.append(file, 2000);
    let writer = createIngestWriter({ sink: eng.sink });
    let tail = startTail(file, writer, cpDir);
    await waitCaughtUp(cpDir, file);
    await tail.stop();
    await writer.close();
    const committedBefore = writer.getStats().committedBatches;
    expect(committedBefore).toBeGreaterThan(0);
    app.append(file, 700);
    writer = createIngestWriter({ sink: eng.sink });
    tail = startTail(file, writer, cpDir);
    await waitCaughtUp(cpDir, file);
    await tail.stop();
    await writer.close();
    // Only the 700 new lines were read again: at most 300 per batch -> 3 batches.
    expect(writer.getStats().accepted).toBe(700);
    expect(await seqStats(eng, `file:${file}`)).toEqual({ n: 2700, u: 2700, lo: 0, hi: 2699 });
  });

  it("doubles its batches while catching up, up to maxBatchRows, and starts small again at the end of the file", async () => {
    const eng = await engine();
    const file = path.join(tmp("ami-logs-"), "audit.log");
    const cpDir = tmp("ami-cp-");
    const app = new Appender();
    app.append(file, 5000);
    const sizes: number[] = [];
    const writer = createIngestWriter({ sink: eng.sink, maxQueuedRows: 10_000, onCommitted: (b) => sizes.push(b.lines.length) });
    const tail = new FileTail({ path: file, writer, checkpointDir: cpDir, batchRows: 250, maxBatchRows: 1000, flushIntervalMs: 30, pollMs: 10 });
    tail.start();
    await waitCaughtUp(cpDir, file);
    expect(sizes).toEqual([250, 500, 1000, 1000, 1000, 1000, 250]);
    const backlog = sizes.length;
    app.append(file, 600);
    await waitCaughtUp(cpDir, file);
    await tail.stop();
    await writer.close();
    // The tail had reached the end of the file: the new lines start again at 250 (then grow).
    const after = sizes.slice(backlog);
    expect(after[0]).toBe(250);
    expect(after.every((n) => n <= 500)).toBe(true);
    expect(after.reduce((a, b) => a + b, 0)).toBe(600);
    expect(await seqStats(eng, `file:${file}`)).toEqual({ n: 5600, u: 5600, lo: 0, hi: 5599 });
  });

  it("copytruncate while a batch is in flight: a file refilled past the read offset is not read as the old one", async () => {
    const eng = await engine();
    const file = path.join(tmp("ami-logs-"), "audit.log");
    const cpDir = tmp("ami-cp-");
    const app = new Appender();
    app.append(file, 100);
    const writer = createIngestWriter({ sink: eng.sink });
    // The first batch's insert is held until the file has been copied, truncated and refilled with more bytes than were read.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let firstWrite!: () => void;
    const firstWriteCalled = new Promise<void>((r) => (firstWrite = r));
    const write = writer.write.bind(writer);
    let calls = 0;
    writer.write = async (batch) => {
      if (calls++ === 0) {
        firstWrite();
        await held;
      }
      return write(batch);
    };
    const tail = new FileTail({
      path: file,
      writer,
      checkpointDir: cpDir,
      batchRows: 10,
      maxBatchRows: 10,
      maxInFlight: 1,
      flushIntervalMs: 30,
      pollMs: 10,
      rotateGraceMs: 50,
      rotatedGlobs: ["{name}.*.copy"],
    });
    tail.start();
    await firstWriteCalled;
    fs.copyFileSync(file, `${file}.0.copy`);
    fs.truncateSync(file, 0);
    app.append(file, 200);
    release();
    await waitCaughtUp(cpDir, file);
    await tail.stop();
    await writer.close();
    expect(await seqStats(eng, `file:${file}`)).toEqual({ n: 300, u: 300, lo: 0, hi: 299 });
  });
});
