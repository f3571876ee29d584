// The writer against real chDB: every input line ends up exactly once, as an
// audit_log row or an ingest_rejects row; a retried batch lands once.
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSampleLines } from "./sample-lines";
import { openTestEngine, type TestEngine } from "@/lib/testing/ingest-engine";
import { createIngestWriter } from "./writer";
import { MeterStateTracker } from "./state-tracker";
import { getRefusalCounts, listRefusedLines, type IngestSink } from "../lib/clickhouse/queries/ingest";

let eng: TestEngine;
beforeAll(async () => {
  eng = await openTestEngine();
});
afterAll(async () => {
  await eng.close();
  fs.rmSync(eng.dir, { recursive: true, force: true });
});

describe("ingest writer", () => {
  it.each([0, 2])("stores accepted + refused = input, one reason per refused line, and a retried batch once (%i parse workers)", async (parseWorkers) => {
    const writer = createIngestWriter({ sink: eng.sink, parseWorkers });
    const lines = [...generateSampleLines(5000, { seed: 7, refusedShare: 0.1, seqStart: 0 }), "", "   "];
    const positions = lines.map((_, i) => i);
    const source = `test:a${parseWorkers}`;
    const batch = { source, token: `${source}:0-5001`, idPrefix: `${source}#`, lines, positions };
    const r1 = await writer.write(batch);
    expect(r1.accepted + r1.refused).toBe(5000);
    expect(r1.skipped).toBe(2);
    expect(r1.refused).toBeGreaterThan(300);
    expect(Object.values(r1.reasons).reduce((a, b) => a + b, 0)).toBe(r1.refused);
    const r2 = await writer.write(batch); // the same batch again (a retry after a lost reply)
    expect(r2).toEqual(r1);
    expect(await eng.count("audit_log", `source = '${source}'`)).toBe(r1.accepted);
    expect(await eng.count("ingest_rejects", `source = '${source}'`)).toBe(r1.refused);
    const [seqs] = await eng.ch.queryRows<{ n: string; u: string }>({
      query: "SELECT count() AS n, uniqExact(attrs['seq']) AS u FROM audit_log WHERE source = {source: String}",
      params: { source },
      tag: "test",
    });
    expect(Number(seqs!.u)).toBe(r1.accepted);
    const reasons = await eng.ch.queryRows<{ reason: string; n: string }>({
      query: "SELECT toString(reason) AS reason, count() AS n FROM ingest_rejects WHERE source = {source: String} GROUP BY reason",
      params: { source },
      tag: "test",
    });
    expect(Object.fromEntries(reasons.map((r) => [r.reason, Number(r.n)]))).toEqual(r1.reasons);
    // Raw lines are stored whole.
    const raws = await eng.ch.queryRows<{ raw: string }>({ query: "SELECT raw FROM ingest_rejects WHERE source = {source: String}", params: { source }, tag: "test" });
    const refusedInput = new Set(lines.filter((l) => raws.some((r) => r.raw === l)));
    expect(refusedInput.size).toBe(new Set(raws.map((r) => r.raw)).size);
    // The Ingest page's reads see the same counts and lines.
    const counts = await getRefusalCounts({ since: 0 }, eng.ch);
    const total = counts.reduce((a, c) => a + c.n, 0);
    expect(total).toBe(await eng.count("ingest_rejects"));
    const [someReason] = Object.keys(r1.reasons);
    const listed = await listRefusedLines({ since: 0, reason: someReason, limit: 10_000 }, eng.ch);
    expect(listed.filter((l) => l.source === source).length).toBe(r1.reasons[someReason!]);
    expect(listed.every((l) => l.reason === someReason && (l.source !== source || lines[Number(l.position)] === l.raw))).toBe(true);
    await writer.close();
  });

  it("retries while inserts fail, is congested meanwhile, and delivers everything after recovery", async () => {
    let failUntil = Date.now() + 1500;
    let calls = 0;
    const flaky: IngestSink = {
      async insertTsv(input) {
        calls++;
        if (Date.now() < failUntil) throw new Error("simulated: connection refused");
        return eng.sink.insertTsv(input);
      },
      close: async () => {},
    };
    const writer = createIngestWriter({ sink: flaky, retryInitialMs: 50, retryMaxMs: 200 });
    const lines = [...generateSampleLines(1000, { seed: 9 })];
    const p = writer.write({ source: "test:b", token: "test:b:0-999", idPrefix: "b#", lines, positions: lines.map((_, i) => i) });
    await new Promise((r) => setTimeout(r, 300));
    expect(writer.isCongested()).toBe(true);
    expect(writer.getStats().lastError).toContain("simulated");
    const r = await p;
    expect(calls).toBeGreaterThan(2);
    expect(writer.isCongested()).toBe(false);
    expect(await eng.count("audit_log", "source = 'test:b'")).toBe(r.accepted);
    failUntil = 0;
    await writer.close();
  });

  it("starts the next insert before the previous batch's hooks, keeps hooks and results in order, and reuses buffers without touching a body in flight", async () => {
    const events: string[] = [];
    const bodies = new Map<string, string>();
    let release!: () => void;
    let gate = new Promise<void>((r) => (release = r));
    const sink: IngestSink = {
      async insertTsv(input) {
        if (input.table !== "audit_log") return eng.sink.insertTsv(input);
        events.push(`insert ${input.dedupToken}`);
        const before = Buffer.from(input.body).toString("hex");
        await gate;
        // The body handed to the sink must not change while it is being inserted.
        expect(Buffer.from(input.body).toString("hex")).toBe(before);
        bodies.set(input.dedupToken, before);
        await eng.sink.insertTsv(input);
        events.push(`done ${input.dedupToken}`);
      },
      close: async () => {},
    };
    const writer = createIngestWriter({
      sink,
      maxQueuedRows: 10_000,
      onCommitted: (batch) => events.push(`hook ${batch.token}`),
    });
    const mk = (k: number) => {
      const lines = [...generateSampleLines(400 + k * 100, { seed: 40 + k })];
      return { source: "test:p", token: `test:p:${k}`, idPrefix: `p${k}#`, lines, positions: lines.map((_, i) => i) };
    };
    const order: number[] = [];
    const results = [1, 2, 3, 4, 5].map((k) => writer.write(mk(k)).then((r) => (order.push(k), r)));
    await new Promise((r) => setTimeout(r, 100));
    release();
    await Promise.all(results);
    expect(order).toEqual([1, 2, 3, 4, 5]);
    // Batch k's hook runs after batch k+1's insert started.
    for (let k = 1; k < 5; k++) expect(events.indexOf(`hook test:p:${k}`)).toBeGreaterThan(events.indexOf(`insert test:p:${k + 1}`));
    expect(events.filter((e) => e.startsWith("hook"))).toEqual([1, 2, 3, 4, 5].map((k) => `hook test:p:${k}`));
    // Later batches reused earlier buffers: each body is still its own rows.
    expect(await eng.count("audit_log", "source = 'test:p'")).toBe(results.length ? (await Promise.all(results)).reduce((a, r) => a + r.accepted, 0) : 0);
    const distinct = new Set(bodies.values());
    expect(distinct.size).toBe(5);
    gate = Promise.resolve();
    await writer.close();
  });

  it("bounds the queue: write() waits while the queue is full", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow: IngestSink = {
      insertTsv: async (i) => {
        await gate;
        return eng.sink.insertTsv(i);
      },
      close: async () => {},
    };
    const writer = createIngestWriter({ sink: slow, maxQueuedRows: 100 });
    const mk = (k: number) => {
      const lines = [...generateSampleLines(60, { seed: k })];
      return { source: "test:c", token: `test:c:${k}`, idPrefix: `c${k}#`, lines, positions: lines.map((_, i) => i) };
    };
    const first = writer.write(mk(1));
    let secondQueued = false;
    const second = writer.write(mk(2)).then((r) => ((secondQueued = true), r));
    await new Promise((r) => setTimeout(r, 200));
    expect(writer.getStats().queuedRows).toBe(60);
    expect(writer.isCongested()).toBe(false);
    expect(secondQueued).toBe(false);
    release();
    await Promise.all([first, second]);
    expect(await eng.count("audit_log", "source = 'test:c'")).toBe(120);
    await writer.close();
  });

  it("reports LED changes, new critical faults and back to normal after commit", async () => {
    const tracker = new MeterStateTracker(10);
    const seen: string[] = [];
    const writer = createIngestWriter({ sink: eng.sink, tracker, onCommitted: (_b, _r, _recs, changes) => seen.push(...changes.map((c) => `${c.meter}:${c.kind}:${c.led}`)) });
    const lines = [
      "ts=2026-11-25T03:00:00Z meter=EM-0000001 code=HEARTBEAT led=green_steady",
      "ts=2026-11-25T03:01:00Z meter=EM-0000001 code=E001 led=red_blinking",
      "ts=2026-11-25T03:02:00Z meter=EM-0000001 code=E001 led=red_blinking",
      "ts=2026-11-25T03:03:00Z meter=EM-0000001 code=HEARTBEAT led=green_steady",
    ];
    await writer.write({ source: "test:d", token: "test:d:0-3", idPrefix: "d#", lines, positions: [0, 1, 2, 3] });
    expect(seen).toEqual([
      "EM-0000001:led:green_steady",
      "EM-0000001:led:red_blinking",
      "EM-0000001:critical_fault:red_blinking",
      "EM-0000001:led:green_steady",
      "EM-0000001:normal:green_steady",
    ]);
    await writer.close();
  });
});
