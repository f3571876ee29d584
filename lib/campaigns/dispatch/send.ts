// Sending: lease the running waves' due targets, send them per gateway lane at most as many at
// once as the gateway has free sessions, and store the outcomes in coalesced statements (the
// recorder) with their step lines.
import { createHash } from "node:crypto";
import type { AuditRecord } from "@/lib/audit/record";
import { toAuditLogRow, type AuditLogRow } from "@/lib/clickhouse/audit-rows";
import { insertCampaignAuditRows } from "@/lib/clickhouse/queries/campaigns";
import { markMetersTouched } from "@/lib/clickhouse/meter-state-current";
import { leaseTargets, recordOutcomes, releaseLeases, type LeasedTarget } from "@/lib/db/campaign-targets";
import { isAppError } from "@/lib/errors";
import { createBatchQueue } from "../batch-queue";
import { publishWorkOrdersChanged } from "../work-orders";
import { HOST, type Active, type DispatchContext, type TickResult } from "./context";
import { auditRecord, decide, type Decided } from "./outcome";

/** How stale sendLeased's view of a campaign's status may be before the next send re-reads it. */
const RUNNING_RECHECK_MS = 250;
/** Outcomes stored per record statement at most before a flush is due at once, and how long a smaller batch waits. */
const RECORD_BATCH = 1000;
const RECORD_WAIT_MS = 20;

function positionOf(key: string, suffix: string): bigint {
  return BigInt("0x" + createHash("sha256").update(key).update(suffix).digest("hex").slice(0, 15));
}

/** Step lines: few large ClickHouse inserts behind the sends (batch-queue.ts). */
export function createAuditQueue(owner: string, timings: Record<string, number> | undefined) {
  return createBatchQueue<AuditLogRow>({
    insert: async (rows, token) => {
      const t0 = performance.now();
      try {
        await insertCampaignAuditRows(rows, token);
      } finally {
        if (timings) timings.chAudit = (timings.chAudit ?? 0) + performance.now() - t0;
      }
    },
    tokenOf: (rows) => `campaigns:${owner}:${rows[0]?.id ?? ""}:${rows.at(-1)?.id ?? ""}:${rows.length}`,
  });
}

/** Lease and send across all running remote waves until none has a due target (or their campaigns stop running). */
export async function sendRunningWaves(ctx: DispatchContext, running: Active[], result: TickResult) {
  const { db, owner, now, commandTimeoutMs, leaseMs, batchSize, isPglite, timed, audit } = ctx;
  const live = running.filter((a) => a.spec.execution === "remote");
  const byId = new Map(live.map((a) => [a.c.id, a]));
  while (live.length) {
    const leased = await timed("lease", () =>
      leaseTargets(db, { owner, waves: live.map((a) => ({ campaignId: a.c.id, index: a.wave.index })), at: now(), leaseMs, commandTimeoutMs, batchSize, isPglite }),
    );
    if (!leased.length) break;
    const sent = await sendLeased(ctx, byId, leased);
    result.commands += sent.sent;
    result.staleResults += sent.stale;
    // A full batch may have left due targets behind; otherwise everything due on a gateway
    // with a free session was leased (the rest waits for other workers' sessions, next tick).
    if (leased.length < batchSize) break;
  }
  // The round's step lines go to ClickHouse in one insert, not awaited: it goes on beside
  // the soak starts and the next ticks (no gate needs them: see gateSoakedWaves).
  if (result.commands) audit.kick();
}

/**
 * Sends one lease's targets: per gateway at most `slots` at once (the next goes when one
 * answers), all gateways together. Outcomes are stored as they come, coalesced: one record
 * statement in flight at a time, the outcomes that arrive meanwhile go in the next one
 * (a short wait lets a batch build up). Before each send the campaign must still be running
 * (re-read at most every RUNNING_RECHECK_MS) and the lease still held; the targets not sent
 * because of a pause or abort are released.
 */
export async function sendLeased(ctx: DispatchContext, byId: Map<string, Active>, leased: LeasedTarget[]): Promise<{ sent: number; stale: number }> {
  const { db, owner, now, opts, commandTimeoutMs, timed } = ctx;
  let sent = 0;
  let stale = 0;
  const unsent: LeasedTarget[] = [];
  const recorder = createRecorder(ctx, (n) => (stale += n));
  const isRunning = runningCheck(
    ctx,
    leased.map((r) => r.campaignId),
  );
  const lanes = new Map<string, LeasedTarget[]>();
  for (const row of [...leased].sort((x, y) => x.rn - y.rn)) {
    const lane = lanes.get(row.gatewayId);
    if (lane) lane.push(row);
    else lanes.set(row.gatewayId, [row]);
  }
  const sendOne = async (row: LeasedTarget) => {
    const a = byId.get(row.campaignId)!;
    if (!(await isRunning(row.campaignId))) {
      unsent.push(row);
      return;
    }
    if (now() >= row.leaseExpiresAt) {
      // Its turn came after its lease ran out: another worker may hold it now.
      stale++;
      return;
    }
    sent++;
    const outcome = await opts.hes
      .sendCommand({ meterId: row.meterId, step: a.jobType, params: a.fotaParams, idempotencyKey: row.key, timeoutMs: commandTimeoutMs, job: a.c.id })
      .catch((err: unknown) => ({
        status: "error" as const,
        message: err instanceof Error ? err.message : String(err),
        retryable: !isAppError(err) || err.code === "unavailable",
      }));
    const done = now();
    recorder.push([{ a, d: decide(a.jobType, row, row.key, outcome, done) }]);
  };
  try {
    await timed("hes", () =>
      Promise.all(
        [...lanes.values()].map(async (rows) => {
          let next = 0;
          const lane = async () => {
            while (next < rows.length) await sendOne(rows[next++]!);
          };
          await Promise.all(Array.from({ length: Math.min(rows.length, rows[0]!.slots ?? rows.length) }, lane));
        }),
      ),
    );
  } finally {
    await timed("record", () => recorder.drain());
  }
  if (unsent.length) await releaseLeases(db, { owner, rows: unsent, at: now() });
  return { sent, stale };
}

/** A campaign's status for sendLeased: leased as running; re-read when the last read is older than RUNNING_RECHECK_MS. */
export function runningCheck(ctx: DispatchContext, campaignIds: string[]) {
  const { db } = ctx;
  let running = new Set(campaignIds);
  let readAt = performance.now();
  let reading: Promise<void> | null = null;
  return async (id: string): Promise<boolean> => {
    if (performance.now() - readAt >= RUNNING_RECHECK_MS) {
      reading ??= db.campaign
        .findMany({ where: { id: { in: [...running] }, status: "running" }, select: { id: true } })
        .then((rows) => {
          running = new Set(rows.map((r) => r.id));
          readAt = performance.now();
        })
        .finally(() => (reading = null));
      await reading;
    }
    return running.has(id);
  };
}

/**
 * Outcomes stored in coalesced record statements (batch-queue.ts); the accepted ones get
 * their step lines and callbacks. A failed statement is not retried: drain() throws, and
 * the leases expire, so the same keys go out again.
 */
export function createRecorder(ctx: DispatchContext, onStale: (n: number) => void) {
  const { db, owner, now, opts, writeAuditLines, audit } = ctx;
  return createBatchQueue<{ a: Active; d: Decided }>({
    batch: RECORD_BATCH,
    waitMs: RECORD_WAIT_MS,
    keepFailed: false,
    insert: async (batch) => {
      const done = now();
      const { stored, workOrders } = await recordOutcomes(db, { owner, decided: batch.map((x) => x.d), at: done });
      if (workOrders) publishWorkOrdersChanged("created", workOrders);
      const accepted = batch.filter((x) => stored.has(x.d.row.id));
      onStale(batch.length - accepted.length);
      for (const { d } of accepted) opts.onRecorded?.({ meterId: d.row.meterId, key: d.key, state: d.state });
      if (writeAuditLines && accepted.length) {
        const rows = accepted
          .map(({ a, d }) => ({ d, r: auditRecord(a.c.id, a.jobType, d, done, HOST) }))
          .filter((x): x is { d: Decided; r: AuditRecord } => x.r !== null)
          .map(({ d, r }) => toAuditLogRow(r, { source: `campaign:${r.job}`, position: positionOf(d.key, `${d.row.fence}`) }));
        audit.push(rows);
        // The map's flat table follows on the same debounced refresh as ingested lines (500 ms):
        // re-merging each batch's meters inline took 3.4 s of a 14.8 s bench run (16 k commands, PGlite).
        markMetersTouched(accepted.map(({ d }) => d.row.meterId));
      }
    },
  });
}
