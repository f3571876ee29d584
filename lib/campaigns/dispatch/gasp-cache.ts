// LAST_GASP per minute behind each wave's gateways over the 5 minutes before the read. One
// ClickHouse read of all gateways serves the gates and wave starts of every tick for
// GASP_REFRESH_MS of the dispatcher's clock: a storm is seen at most that much later.
import { getLastGaspCounts } from "@/lib/clickhouse/queries/campaigns";

/** LAST_GASP storm check: the span counted, and how long one read of it serves (dispatcher clock). */
const GASP_WINDOW_MS = 5 * 60_000;
const GASP_REFRESH_MS = 2_000;

export interface GaspCache {
  /** LAST_GASP counts per gateway over the window before `at` (started now, awaited where used). */
  counts(at: number): Promise<Map<string, number>>;
  /** Messages per minute behind each wave's gateways. */
  rates(gatewaysPerWave: string[][], at: number): Promise<number[]>;
}

export function createGaspCache(timed: <T>(phase: string, body: () => Promise<T>) => Promise<T>): GaspCache {
  let gaspRead: { at: number; counts: Promise<Map<string, number>> } | null = null;
  function counts(at: number): Promise<Map<string, number>> {
    if (!gaspRead || at < gaspRead.at || at - gaspRead.at >= GASP_REFRESH_MS) {
      const read = { at, counts: timed("ch:gasp", () => getLastGaspCounts({ from: at - GASP_WINDOW_MS, to: at + 1 })) };
      // A failed read is not kept: the next caller reads again.
      read.counts.catch(() => {
        if (gaspRead === read) gaspRead = null;
      });
      gaspRead = read;
    }
    return gaspRead.counts;
  }
  return {
    counts,
    async rates(gatewaysPerWave, at) {
      const byGateway = await counts(at);
      return gatewaysPerWave.map((gws) => (gws.reduce((n, gw) => n + (byGateway.get(gw) ?? 0), 0) * 60_000) / (GASP_WINDOW_MS + 1));
    },
  };
}
