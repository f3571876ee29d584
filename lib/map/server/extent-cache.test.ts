import { describe, expect, it } from "vitest";
import { createExtentCache, EXTENT_FRESH_MS, EXTENT_MAX_ENTRIES, EXTENT_STALE_MS } from "./extent-cache";
import type { FleetExtent, MapFilters } from "../types";

const box = (n: number): FleetExtent => ({ west: -n, south: 10, east: n, north: 20, count: n });

/** A reader whose reads the test settles by hand, and a clock the test moves. */
function harness() {
  let now = 1_000_000;
  const reads: { filters: MapFilters; at: number; resolve: (v: FleetExtent | null) => void; reject: (e: Error) => void }[] = [];
  const cache = createExtentCache(
    (filters, at) => new Promise((resolve, reject) => reads.push({ filters, at, resolve, reject })),
    () => now,
  );
  return { cache, reads, advance: (ms: number) => (now += ms), flush: () => new Promise((r) => setTimeout(r, 0)) };
}

const all: MapFilters = { states: [] };

describe("map extent cache", () => {
  it("reads once for concurrent first requests, then serves the value without reading while fresh", async () => {
    const h = harness();
    const a = h.cache.get(all);
    const b = h.cache.get({ states: [] });
    expect(h.reads).toHaveLength(1);
    h.reads[0]!.resolve(box(5));
    expect(await a).toEqual(box(5));
    expect(await b).toEqual(box(5));
    h.advance(EXTENT_FRESH_MS - 1);
    expect(await h.cache.get(all)).toEqual(box(5));
    expect(h.reads).toHaveLength(1);
  });

  it("serves a stale value at once and refreshes it behind the request; past the stale limit the request waits", async () => {
    const h = harness();
    const first = h.cache.get(all);
    h.reads[0]!.resolve(box(5));
    await first;
    h.advance(EXTENT_FRESH_MS + 1);
    expect(await h.cache.get(all)).toEqual(box(5)); // answered without waiting for the refresh
    expect(h.reads).toHaveLength(2);
    expect(await h.cache.get(all)).toEqual(box(5)); // the refresh is running: no second one
    expect(h.reads).toHaveLength(2);
    h.reads[1]!.resolve(box(7));
    await h.flush();
    expect(await h.cache.get(all)).toEqual(box(7));
    h.advance(EXTENT_STALE_MS + 1);
    let settled = false;
    const late = h.cache.get(all).then((v) => ((settled = true), v));
    await h.flush();
    expect(settled).toBe(false); // too old to show: waits for the read
    expect(h.reads).toHaveLength(3);
    h.reads[2]!.resolve(box(9));
    expect(await late).toEqual(box(9));
  });

  it("keeps one entry per filter set and passes the filters and the time to the read", async () => {
    const h = harness();
    const gas: MapFilters = { states: ["tamper"], kind: "gas", since: "24h" };
    const p1 = h.cache.get(all);
    const p2 = h.cache.get(gas);
    expect(h.reads.map((r) => r.filters)).toEqual([all, gas]);
    expect(h.reads[1]!.at).toBe(1_000_000);
    h.reads[0]!.resolve(box(5));
    h.reads[1]!.resolve(null); // no gas meter in tamper: null is a value, kept like any other
    expect([await p1, await p2]).toEqual([box(5), null]);
    expect(await h.cache.get(gas)).toBeNull();
    expect(h.reads).toHaveLength(2);
    expect(h.cache.size).toBe(2);
  });

  it("does not keep a failed read: the error reaches the request and the next request reads again", async () => {
    const h = harness();
    const p = h.cache.get(all);
    h.reads[0]!.reject(new Error("ClickHouse down"));
    await expect(p).rejects.toThrow("ClickHouse down");
    const q = h.cache.get(all);
    expect(h.reads).toHaveLength(2);
    h.reads[1]!.resolve(box(3));
    expect(await q).toEqual(box(3));
  });

  it("a warm-up read fills the entry the first request then finds", async () => {
    const h = harness();
    const warm = h.cache.refresh(all);
    h.reads[0]!.resolve(box(4));
    await warm;
    expect(await h.cache.get(all)).toEqual(box(4));
    expect(h.reads).toHaveLength(1);
  });

  it("drops the least recently read filter set past its size", async () => {
    const h = harness();
    for (let i = 0; i <= EXTENT_MAX_ENTRIES; i++) {
      const p = h.cache.get({ states: [], gw: `GW-${i}` });
      h.reads.at(-1)!.resolve(box(i + 1));
      await p;
    }
    expect(h.cache.size).toBe(EXTENT_MAX_ENTRIES);
    const reads = h.reads.length;
    await h.cache.get({ states: [], gw: `GW-${EXTENT_MAX_ENTRIES}` }); // newest: kept
    expect(h.reads).toHaveLength(reads);
    const oldest = h.cache.get({ states: [], gw: "GW-0" }); // evicted: read again
    expect(h.reads).toHaveLength(reads + 1);
    h.reads.at(-1)!.resolve(box(1));
    await oldest;
  });
});
