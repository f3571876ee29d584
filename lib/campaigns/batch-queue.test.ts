import { describe, expect, it } from "vitest";
import { createBatchQueue } from "./batch-queue";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An insert that records its calls and can be held or made to fail. */
function fakeInsert() {
  const calls: { rows: number[]; token: string }[] = [];
  let failNext = 0;
  let hold: Promise<void> | null = null;
  return {
    calls,
    failTimes(n: number) {
      failNext = n;
    },
    /** Holds the inserts from now on until the returned release is called. */
    hold() {
      let release!: () => void;
      hold = new Promise<void>((r) => (release = r));
      return () => {
        hold = null;
        release();
      };
    },
    insert: async (rows: number[], token: string) => {
      calls.push({ rows: [...rows], token });
      if (hold) await hold;
      if (failNext > 0) {
        failNext--;
        throw new Error("ClickHouse unavailable");
      }
    },
  };
}

const tokenOf = (rows: number[]) => `t${rows[0]}-${rows.length}`;

describe("createBatchQueue", () => {
  it("holds a small batch until the wait is over, then inserts it whole", async () => {
    const f = fakeInsert();
    const q = createBatchQueue({ insert: f.insert, tokenOf, batch: 100, waitMs: 40 });
    q.push([1, 2]);
    q.push([3]);
    await sleep(10);
    expect(f.calls).toHaveLength(0);
    expect(q.pending).toBe(3);
    await sleep(60);
    expect(f.calls).toEqual([{ rows: [1, 2, 3], token: "t1-3" }]);
    expect(q.pending).toBe(0);
  });

  it("inserts at once when a full batch is queued, and lines pushed meanwhile go in the next insert", async () => {
    const f = fakeInsert();
    const release = f.hold();
    const q = createBatchQueue({ insert: f.insert, tokenOf, batch: 3, waitMs: 10_000 });
    q.push([1, 2, 3]);
    expect(f.calls.map((c) => c.rows)).toEqual([[1, 2, 3]]);
    q.push([4, 5]);
    q.push([6]); // a full batch again, but one insert is in flight
    expect(f.calls).toHaveLength(1);
    release();
    await q.drain();
    expect(f.calls.map((c) => c.rows)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it("drain inserts what waits without waiting for the timer", async () => {
    const f = fakeInsert();
    const q = createBatchQueue({ insert: f.insert, tokenOf, batch: 100, waitMs: 60_000 });
    q.push([7, 8]);
    await q.drain();
    expect(f.calls.map((c) => c.rows)).toEqual([[7, 8]]);
    await q.drain(); // nothing left: returns at once
    expect(f.calls).toHaveLength(1);
  });

  it("kick inserts what waits at once, without waiting for the insert", async () => {
    const f = fakeInsert();
    const release = f.hold();
    const q = createBatchQueue({ insert: f.insert, tokenOf, batch: 100, waitMs: 60_000 });
    q.push([4, 5]);
    q.kick();
    expect(f.calls.map((c) => c.rows)).toEqual([[4, 5]]);
    expect(q.pending).toBe(0); // in flight
    release();
    await q.drain();
    expect(f.calls).toHaveLength(1);
  });

  it("keeps the lines of a failed insert and sends them again under the same token", async () => {
    const f = fakeInsert();
    const q = createBatchQueue({ insert: f.insert, tokenOf, batch: 100, waitMs: 60_000 });
    q.push([1, 2]);
    f.failTimes(1);
    await expect(q.drain()).rejects.toThrow("ClickHouse unavailable");
    expect(q.pending).toBe(2);
    q.push([3]);
    await q.drain();
    // The failed batch first, whole and under its token; the later line in a batch of its own.
    expect(f.calls).toEqual([
      { rows: [1, 2], token: "t1-2" },
      { rows: [1, 2], token: "t1-2" },
      { rows: [3], token: "t3-1" },
    ]);
    expect(q.pending).toBe(0);
  });

  it("without keepFailed, a failed batch is dropped and drain reports the failure even if it came first", async () => {
    const f = fakeInsert();
    const q = createBatchQueue({ insert: f.insert, batch: 2, waitMs: 60_000, keepFailed: false });
    f.failTimes(1);
    q.push([1, 2]); // a full batch: written at once, and fails
    await sleep(5);
    q.push([3]);
    await expect(q.drain()).rejects.toThrow("ClickHouse unavailable");
    expect(q.pending).toBe(1);
    await q.drain();
    expect(f.calls.map((c) => c.rows)).toEqual([[1, 2], [3]]);
    expect(q.pending).toBe(0);
  });

  it("retries a failed insert on its own after the wait, without a drain", async () => {
    const f = fakeInsert();
    const q = createBatchQueue({ insert: f.insert, tokenOf, batch: 1, waitMs: 30 });
    f.failTimes(1);
    q.push([9]);
    await sleep(5);
    expect(f.calls).toHaveLength(1);
    for (let i = 0; i < 40 && q.pending > 0; i++) await sleep(10);
    expect(q.pending).toBe(0);
    expect(f.calls.map((c) => c.token)).toEqual(["t9-1", "t9-1"]);
  });
});
