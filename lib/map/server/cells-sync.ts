// Keeps map_meter_cells (009_map_cells.sql) in step with map_meters: every TICK_MS
// it re-derives the meters that map_touched names after its watermark. Rows are
// read SETTLE_MS after they were touched, so the map_meters part written by the
// same insert is surely visible; the cells are at most ~1.5 s behind, and the
// browser applies live deltas on top of them anyway.
import { getClickHouse, type ClickHouse } from "@/lib/clickhouse/client";
import { getMapCellsStatus, listTouchedMeters, rebuildMapCells, refreshMapCells } from "@/lib/clickhouse/queries/map";
import { fleetExtents } from "./extent-cache";

const TICK_MS = 500;
const SETTLE_MS = 1_000;
/** More touched meters than this in one tick: rebuild the table instead of an IN list. */
const MAX_TOUCHED = 100_000;
/** After a restart, look this far behind the newest refresh (touched rows are kept for a day). */
const RESTART_LOOKBACK_MS = 60_000;

export interface MapCellsSyncOptions {
  /** Tests: 0 reads touched rows at once. */
  settleMs?: number;
  now?: () => number;
}

/** Watermark (ms) per handle: touched rows up to it are in map_meter_cells. */
const watermarks = new WeakMap<ClickHouse, number>();

/** One catch-up step: build the table if empty, else refresh the meters touched since the watermark. */
export async function syncMapCells(ch?: ClickHouse, opts: MapCellsSyncOptions = {}): Promise<{ refreshed: number | "all" }> {
  const client = ch ?? (await getClickHouse());
  const now = opts.now ?? Date.now;
  const until = now() - (opts.settleMs ?? SETTLE_MS);
  let after = watermarks.get(client);
  if (after === undefined) {
    const status = await getMapCellsStatus(client);
    if (status.rows === 0) {
      await rebuildMapCells(client);
      watermarks.set(client, until);
      return { refreshed: "all" };
    }
    after = status.refreshedAt - RESTART_LOOKBACK_MS;
  }
  const meters = await listTouchedMeters({ afterMs: after, untilMs: until, limit: MAX_TOUCHED + 1 }, client);
  if (meters.length > MAX_TOUCHED) await rebuildMapCells(client);
  else if (meters.length) await refreshMapCells(meters, client);
  watermarks.set(client, Math.max(after, until));
  return { refreshed: meters.length > MAX_TOUCHED ? "all" : meters.length };
}

interface SyncLoop {
  ready: Promise<void>;
  timer: NodeJS.Timeout | null;
  stopped: boolean;
}
const g = globalThis as unknown as { __amiMapCellsSync?: SyncLoop };

/**
 * Start the process-wide loop (idempotent) and resolve once the table has caught up
 * at least once. Started by the map's route handlers on first use.
 */
export function ensureMapCellsSync(): Promise<void> {
  if (g.__amiMapCellsSync) return g.__amiMapCellsSync.ready;
  const loop: SyncLoop = { ready: Promise.resolve(), timer: null, stopped: false };
  let lastErrorLog = 0;
  const tick = async () => {
    try {
      await syncMapCells();
    } catch (err) {
      // Logged at most once a minute; the next tick retries from the same watermark.
      if (Date.now() - lastErrorLog > 60_000) console.error("[map] cells sync failed", err);
      lastErrorLog = Date.now();
    }
    if (!loop.stopped) {
      loop.timer = setTimeout(() => void tick(), TICK_MS);
      loop.timer.unref();
    }
  };
  loop.ready = syncMapCells().then(
    () => {
      loop.timer = setTimeout(() => void tick(), TICK_MS);
      loop.timer.unref();
      // The map page's first view (the unfiltered fleet's box) is read once here, not by the first visitor.
      fleetExtents()
        .refresh({ states: [] })
        .catch((err: unknown) => console.error("[map] extent warm-up", err));
    },
    (err) => {
      g.__amiMapCellsSync = undefined; // the next request tries again
      throw err;
    },
  );
  g.__amiMapCellsSync = loop;
  return loop.ready;
}

/** Stop the loop (shutdown, before the engines close). */
export function stopMapCellsSync(): void {
  const loop = g.__amiMapCellsSync;
  if (!loop) return;
  loop.stopped = true;
  if (loop.timer) clearTimeout(loop.timer);
  g.__amiMapCellsSync = undefined;
}
