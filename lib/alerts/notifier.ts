// The notifier: sends the outbox (Notification rows) written by the evaluator. Leased like
// the rules (two processes never send one message at once); a failed send is retried with
// exponential backoff up to MAX_ATTEMPTS, each attempt in the row's send log; a channel over
// its per-minute limit has its messages deferred (not failed).
import { randomUUID } from "node:crypto";
import os from "node:os";
import { getDb, type PrismaClient } from "@/lib/db";
import { countSentSince, leaseDueNotifications, recordNotificationAttempt } from "@/lib/db/notifications";
import { channelConfigSchema, sendToChannel, type SendOutcome } from "./channels";
import { runTick, superviseLoop } from "./evaluator";

export const MAX_ATTEMPTS = 6;
export const BACKOFF_BASE_MS = 5_000;
export const BACKOFF_MAX_MS = 10 * 60_000;

/** Wait before attempt n + 1 after n failed attempts: 5 s, 10 s, 20 s, ... capped at 10 min. */
export function backoffMs(attempts: number): number {
  return Math.min(BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1), BACKOFF_MAX_MS);
}

export interface NotifierOptions {
  owner?: string;
  now?: () => Date;
  db?: PrismaClient;
  leaseMs?: number;
  batchSize?: number;
}

export function createNotifier(opts: NotifierOptions = {}) {
  const owner = opts.owner ?? `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const now = opts.now ?? (() => new Date());
  const db = opts.db ?? getDb();
  const leaseMs = opts.leaseMs ?? 60_000;

  async function tick(): Promise<{ sent: number; failed: number; retried: number; deferred: number }> {
    const at = now();
    const out = { sent: 0, failed: 0, retried: 0, deferred: 0 };
    const leased = await leaseDueNotifications(db, { owner, at, leaseMs, limit: opts.batchSize ?? 50 });
    if (!leased.length) return out;
    const channels = new Map((await db.notificationChannel.findMany({ where: { id: { in: [...new Set(leased.map((n) => n.channelId))] } } })).map((c) => [c.id, c]));
    const byChannel = new Map<string, typeof leased>();
    for (const n of leased) byChannel.set(n.channelId, [...(byChannel.get(n.channelId) ?? []), n]);
    await Promise.all(
      [...byChannel.entries()].map(async ([channelId, list]) => {
        const channel = channels.get(channelId);
        let budget = Infinity;
        if (channel) budget = channel.ratePerMinute - (await countSentSince(db, channelId, new Date(at.getTime() - 60_000)));
        // One message at a time per channel, oldest first: a receiver sees them in order.
        for (const n of list) {
          if (channel && budget <= 0) {
            out.deferred++;
            await recordNotificationAttempt(db, { id: n.id, owner, at, ok: false, error: "rate limit: deferred", retryAt: new Date(at.getTime() + 60_000), deferred: true });
            continue;
          }
          let outcome: SendOutcome;
          if (!channel || !channel.enabled) outcome = { ok: false, error: channel ? "channel disabled" : "channel deleted", isRetryable: false };
          else {
            const parsed = channelConfigSchema.safeParse({ kind: channel.kind, config: channel.config });
            outcome = parsed.success ? await sendToChannel(parsed.data, n.payload, at.getTime()) : { ok: false, error: "invalid channel configuration", isRetryable: false };
          }
          const canRetry = !outcome.ok && outcome.isRetryable && n.attempts < MAX_ATTEMPTS;
          await recordNotificationAttempt(db, {
            id: n.id,
            owner,
            at,
            ok: outcome.ok,
            status: outcome.status,
            error: outcome.error,
            retryAt: canRetry ? new Date(at.getTime() + backoffMs(n.attempts)) : null,
          });
          if (outcome.ok) {
            out.sent++;
            budget--;
          } else if (canRetry) out.retried++;
          else out.failed++;
        }
      }),
    );
    return out;
  }
  return { owner, tick };
}

const g = globalThis as unknown as { __amiNotifier?: { stop(): Promise<void> } };

/** Start the notifier loop in this process (server.ts). */
export function startNotifier(options: NotifierOptions & { idleMs?: number } = {}): { stop(): Promise<void> } {
  if (g.__amiNotifier) return g.__amiNotifier;
  const handle = superviseLoop("notifier", async (isStopping, sleep) => {
    const notifier = createNotifier(options);
    while (!isStopping()) {
      const r = await runTick("notifier", () => notifier.tick());
      if (isStopping()) break;
      await sleep(r === null ? 5_000 : r.sent + r.retried + r.failed > 0 ? 0 : (options.idleMs ?? 1000));
    }
  });
  const out = {
    async stop() {
      await handle.stop();
      g.__amiNotifier = undefined;
    },
  };
  g.__amiNotifier = out;
  return out;
}
