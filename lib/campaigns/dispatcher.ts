// The campaign dispatcher: runs inside each server process; several processes
// on one PostgreSQL share the work safely.
// - A tick works phase by phase over ALL running campaigns (gates, wave starts, sends,
//   soak starts), so each phase is a few statements whatever the number of campaigns.
// - Targets are leased across the running waves with one UPDATE … FROM (SELECT … FOR
//   UPDATE SKIP LOCKED LIMIT n): two workers never hold one target; a lease expires,
//   so a dead worker's targets return. A gateway's due targets are leased together and
//   sent as many at a time as it has free sessions; outcomes are stored in coalesced
//   statements as they arrive.
// - Each lease bumps a fencing token; a result is stored only if the fence still
//   matches, so a stalled worker's late answer is dropped.
// - The CommandLog row (state "sending") is written BEFORE the command leaves, and
//   the command carries its idempotency key: after a crash the same key is resent and
//   the head-end answers with the first outcome instead of applying it again.
// - Waves run one at a time; after a wave's soak its gate (evaluateWave) decides.
// The parts: dispatch/outcome.ts (what an answer means, pure), dispatch/send.ts (lease, lanes,
// recorder), dispatch/waves.ts (current wave, start, gate, settle), dispatch/gasp-cache.ts, and
// lib/db/campaign-targets.ts (the SQL). This file holds the tick and the server's loop.
import { randomUUID } from "node:crypto";
import { flushMeterStates } from "@/lib/clickhouse/meter-state-current";
import { dbKind, getDb } from "@/lib/db";
import { HOST, minDate, type DispatchContext, type DispatcherOptions, type TickResult } from "./dispatch/context";
import { createGaspCache } from "./dispatch/gasp-cache";
import { createAuditQueue, sendRunningWaves } from "./dispatch/send";
import { gateSoakedWaves, loadActive, settleRunningWaves, startDueWaves } from "./dispatch/waves";
import { publishProgress, setLiveProgress } from "./progress";
import { recordLoopError, recordLoopOk } from "@/lib/server/loop-status";

export type { DispatcherOptions, TickResult } from "./dispatch/context";

export function createDispatcher(opts: DispatcherOptions) {
  const owner = opts.owner ?? `${HOST}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const db = getDb();
  const timings = opts.timings;
  async function timed<T>(phase: string, body: () => Promise<T>): Promise<T> {
    if (!timings) return body();
    const t0 = performance.now();
    try {
      return await body();
    } finally {
      timings[phase] = (timings[phase] ?? 0) + performance.now() - t0;
    }
  }
  const commandTimeoutMs = opts.commandTimeoutMs ?? 30_000;
  const ctx: DispatchContext = {
    db,
    isPglite: dbKind(db) === "pglite",
    owner,
    now: opts.now ?? (() => new Date()),
    opts,
    commandTimeoutMs,
    leaseMs: opts.leaseMs ?? commandTimeoutMs + 30_000,
    batchSize: opts.batchSize ?? 1000,
    writeAuditLines: opts.writeAuditLines ?? true,
    timings,
    timed,
    audit: createAuditQueue(owner, timings),
    gasp: createGaspCache(timed),
    tickAt: 0,
  };
  const { now } = ctx;
  const lastPublished = new Map<string, number>();

  /**
   * One round over all running campaigns, phase by phase so that every phase is a
   * handful of statements whatever the number of campaigns: gates of soaked waves,
   * starts of due waves, sends, then soak starts.
   */
  async function tick(): Promise<TickResult> {
    const result: TickResult = { commands: 0, staleResults: 0, runningCampaigns: 0, nextWakeAt: null, decisions: [] };
    ctx.tickAt = now().getTime();
    const campaigns = await timed("load", () =>
      db.campaign.findMany({ where: { status: "running" }, select: { id: true, jobType: true, options: true }, orderBy: { startedAt: "asc" } }),
    );
    result.runningCampaigns = campaigns.length;
    const guard = async (what: string, ids: string[], body: () => Promise<void>) => {
      try {
        await body();
      } catch (err) {
        console.error(`[dispatcher] ${what} (campaigns ${ids.join(", ")}):`, err);
        result.nextWakeAt = minDate(result.nextWakeAt, new Date(now().getTime() + 5_000));
      }
    };
    let active = await timed("load", () => loadActive(ctx, campaigns, now()));
    // Gates and wave starts check LAST_GASP: its read goes to ClickHouse now, beside their PostgreSQL reads.
    if (
      active.some(
        (a) =>
          (a.wave.state === "soaking" && (!a.wave.soakEndsAt || ctx.tickAt >= a.wave.soakEndsAt.getTime())) ||
          (a.wave.state === "pending" && ctx.tickAt >= a.wave.scheduledAt.getTime()),
      )
    ) {
      ctx.gasp.counts(ctx.tickAt).catch(() => {}); // awaited where it is used
    }
    const soaked = active.filter((a) => a.wave.state === "soaking");
    await guard(
      "gate",
      soaked.map((a) => a.c.id),
      async () => {
        const t = now();
        const due = soaked.filter((a) => !a.wave.soakEndsAt || t >= a.wave.soakEndsAt);
        for (const a of soaked) if (!due.includes(a)) result.nextWakeAt = minDate(result.nextWakeAt, a.wave.soakEndsAt);
        await timed("gate", () => gateSoakedWaves(ctx, due, result));
      },
    );
    // A passed gate may make the next wave due at once.
    if (result.decisions.length) {
      const still = await db.campaign.findMany({ where: { id: { in: campaigns.map((c) => c.id) }, status: "running" }, select: { id: true, jobType: true, options: true } });
      active = await loadActive(ctx, still, now());
    }
    const running = active.filter((a) => a.wave.state === "running");
    await guard(
      "wave start",
      active.filter((a) => a.wave.state === "pending").map((a) => a.c.id),
      async () => {
        running.push(
          ...(await timed("waveStart", () =>
            startDueWaves(
              ctx,
              active.filter((a) => a.wave.state === "pending"),
              result,
            ),
          )),
        );
      },
    );
    await guard(
      "send",
      running.map((a) => a.c.id),
      () => sendRunningWaves(ctx, running, result),
    );
    await guard(
      "settle",
      running.map((a) => a.c.id),
      () =>
        timed("settle", async () => {
          // Campaigns paused or aborted while this tick sent are left as they are.
          const still =
            result.commands === 0 || !running.length
              ? new Set(running.map((a) => a.c.id))
              : new Set((await db.campaign.findMany({ where: { id: { in: running.map((a) => a.c.id) }, status: "running" }, select: { id: true } })).map((c) => c.id));
          await settleRunningWaves(
            ctx,
            running.filter((a) => still.has(a.c.id)),
            result,
          );
        }),
    );
    if (opts.publish) {
      for (const c of campaigns) {
        const last = lastPublished.get(c.id) ?? 0;
        if (Date.now() - last >= 500) {
          lastPublished.set(c.id, Date.now());
          await publishProgress(c.id).catch(() => {});
        }
      }
    }
    return result;
  }

  return {
    owner,
    tick,
    /**
     * Waits until the step lines queued by earlier ticks are in ClickHouse: at shutdown, and for
     * a caller that reads them right after ticking (a tick does not wait for them; a batch goes
     * after each send round and otherwise within the queue's wait).
     */
    drain: () => ctx.audit.drain(),
  };
}
export type Dispatcher = ReturnType<typeof createDispatcher>;

// ---------------------------------------------------------------- the server's loop

const g = globalThis as unknown as { __amiDispatcher?: { stop(): Promise<void> } };
const PREVENTIVE_EVERY_MS = 3_600_000;

/** Start the dispatcher loop in this process (server.ts). Safe to call once per process. */
export function startDispatcher(options: Partial<DispatcherOptions> & { idleMs?: number } = {}): { stop(): Promise<void> } {
  if (g.__amiDispatcher) return g.__amiDispatcher;
  let isStopping = false;
  let wake: (() => void) | null = null;
  const loop = (async () => {
    const { getHes } = await import("@/lib/hes");
    setLiveProgress(true);
    const dispatcher = createDispatcher({ hes: options.hes ?? getHes(), publish: true, ...options });
    const idleMs = options.idleMs ?? 1000;
    const { runMaintenancePlans } = await import("@/lib/maintenance/runner");
    let preventiveAt = 0;
    while (!isStopping) {
      let delay = idleMs;
      // Maintenance plans: hourly is enough (a plan's period is days); each period is leased to one runner.
      if (Date.now() - preventiveAt >= PREVENTIVE_EVERY_MS) {
        preventiveAt = Date.now();
        // A failed run is retried at the next period and shows as degraded in /api/health until one goes through.
        await runMaintenancePlans().then(
          () => recordLoopOk("maintenance", "plan runner"),
          (err: unknown) => {
            recordLoopError("maintenance", "plan runner", err);
            console.error("[dispatcher] maintenance plans failed", err);
          },
        );
      }
      try {
        const r = await dispatcher.tick();
        recordLoopOk("campaigns", "dispatcher");
        if (r.commands > 0) delay = 0;
        else if (r.nextWakeAt) delay = Math.max(0, Math.min(idleMs, r.nextWakeAt.getTime() - Date.now()));
      } catch (err) {
        recordLoopError("campaigns", "dispatcher", err);
        console.error("[dispatcher] tick failed", err);
        delay = 5_000;
      }
      if (isStopping) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, delay);
      });
    }
    // The last busy tick's step lines may still be on their way to ClickHouse.
    await dispatcher.drain().catch((err: unknown) => console.error("[dispatcher] step lines failed", err));
  })();
  const handle = {
    async stop() {
      isStopping = true;
      wake?.();
      await loop.catch(() => {});
      await flushMeterStates().catch((err: unknown) => console.error("[dispatcher] meter state refresh failed", err));
      g.__amiDispatcher = undefined;
      setLiveProgress(false);
    },
  };
  g.__amiDispatcher = handle;
  return handle;
}

/** Stop the loop started by startDispatcher (server shutdown); waits for the current round. */
export async function stop(): Promise<void> {
  await g.__amiDispatcher?.stop();
}
