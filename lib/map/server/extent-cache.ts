// The map page's first-view extent (getFleetExtent: the filtered fleet's 1st-99th
// percentile box and count) kept per filter set in the server process. The box moves
// only when meters are added, move or change state enough to leave the percentiles,
// and it only places the first view: the positions payload refits nothing once the
// user moved. Read fresh from ClickHouse on every page request it cost 0.3-1.9 s
// beside the browser's own work in bench:map (88 ms alone), the largest and least
// steady part of the first paint. So:
// - a value younger than FRESH_MS is served as it is;
// - an older one (up to STALE_MS) is served at once and refreshed behind the request;
// - past that, or never read, the request waits for the read (one read per key at a time);
// - the server warms the unfiltered fleet's entry once the map's cells are built
//   (cells-sync.ts), so the NOC's home screen finds it.
import type { FleetExtent, MapFilters } from "../types";
import { serializeMapFilters } from "../search-params";

export const EXTENT_FRESH_MS = 30_000;
export const EXTENT_STALE_MS = 10 * 60_000;
/** Filter sets kept (each entry is a few numbers); the least recently read goes first. */
export const EXTENT_MAX_ENTRIES = 64;

export type ExtentReader = (filters: MapFilters, now: number) => Promise<FleetExtent | null>;

interface Entry {
  value: FleetExtent | null;
  readAt: number;
}

export interface ExtentCache {
  get(filters: MapFilters): Promise<FleetExtent | null>;
  /** Read now (a warm-up or a refresh); joins a read already running for these filters. */
  refresh(filters: MapFilters): Promise<FleetExtent | null>;
  readonly size: number;
}

export function createExtentCache(read: ExtentReader, clock: () => number = Date.now): ExtentCache {
  const entries = new Map<string, Entry>();
  const reading = new Map<string, Promise<FleetExtent | null>>();

  function refresh(filters: MapFilters, key = serializeMapFilters(filters).toString()): Promise<FleetExtent | null> {
    const running = reading.get(key);
    if (running) return running;
    const p = read(filters, clock()).then(
      (value) => {
        reading.delete(key);
        entries.delete(key); // re-inserted last: Map order is the eviction order
        entries.set(key, { value, readAt: clock() });
        while (entries.size > EXTENT_MAX_ENTRIES) entries.delete(entries.keys().next().value!);
        return value;
      },
      (err: unknown) => {
        reading.delete(key); // the next request reads again; a kept value stays until it expires
        throw err;
      },
    );
    reading.set(key, p);
    return p;
  }

  return {
    get(filters) {
      const key = serializeMapFilters(filters).toString();
      const e = entries.get(key);
      const age = e ? clock() - e.readAt : Infinity;
      if (e && age < EXTENT_FRESH_MS) return Promise.resolve(e.value);
      if (e && age < EXTENT_STALE_MS) {
        refresh(filters, key).catch((err: unknown) => console.error("[map] extent refresh", err));
        return Promise.resolve(e.value);
      }
      return refresh(filters, key);
    },
    refresh: (filters) => refresh(filters),
    get size() {
      return entries.size;
    },
  };
}

const g = globalThis as unknown as { __amiMapExtents?: ExtentCache };

/**
 * The process's cache over ClickHouse (one per process: the custom server and the
 * Next bundles load this module separately, hence globalThis).
 */
export function fleetExtents(): ExtentCache {
  g.__amiMapExtents ??= createExtentCache(async (filters, now) => {
    const { getFleetExtent } = await import("@/lib/clickhouse/queries/map");
    return getFleetExtent({ filters, now });
  });
  return g.__amiMapExtents;
}
