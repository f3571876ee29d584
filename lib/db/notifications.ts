// PostgreSQL repository of notification channels and the notification outbox. A notification
// row is written in the evaluator's round and sent by the notifier (lib/alerts/notifier.ts),
// leased like rules so two processes never send one message twice at once.
import { Prisma, type PrismaClient } from "@/lib/db";
import type { AlertMessage } from "@/lib/alerts/messages";

type Db = PrismaClient;

export interface LeasedNotification {
  id: string;
  channelId: string;
  kind: string;
  payload: AlertMessage;
  attempts: number;
}

/** Writes messages to send, due at `at` (the evaluator's clock). */
export async function enqueueNotifications(
  db: Pick<Db, "notification">,
  rows: Array<{ channelId: string; kind: string; alertIds: string[]; payload: AlertMessage }>,
  at: Date,
): Promise<void> {
  if (!rows.length) return;
  await db.notification.createMany({
    data: rows.map((r) => ({
      channelId: r.channelId,
      kind: r.kind,
      alertIds: r.alertIds,
      payload: r.payload as unknown as Prisma.InputJsonValue,
      nextAttemptAt: at,
      createdAt: at,
    })),
  });
}

/** Leases due notifications (pending, or a sending lease that expired), counting the attempt. */
export async function leaseDueNotifications(db: Db, input: { owner: string; at: Date; leaseMs: number; limit: number }): Promise<LeasedNotification[]> {
  return db.$queryRaw<LeasedNotification[]>(Prisma.sql`
    UPDATE "Notification" AS n
    SET state = 'sending', "leaseOwner" = ${input.owner}, attempts = n.attempts + 1,
        "leaseExpiresAt" = ${input.at}::timestamptz + ${input.leaseMs}::int * interval '1 millisecond'
    FROM (
      SELECT id FROM "Notification"
      WHERE (state = 'pending' AND "nextAttemptAt" <= ${input.at}) OR (state = 'sending' AND "leaseExpiresAt" < ${input.at})
      ORDER BY "nextAttemptAt", id
      LIMIT ${input.limit}
      FOR UPDATE SKIP LOCKED
    ) AS due
    WHERE n.id = due.id
    RETURNING n.id, n."channelId", n.kind, n.payload, n.attempts`);
}

/** Stores one attempt's outcome: sent, retried at `retryAt`, or failed for good (retryAt null). */
export async function recordNotificationAttempt(
  db: Db,
  input: { id: string; owner: string; at: Date; ok: boolean; status?: number; error?: string; retryAt: Date | null; deferred?: boolean },
): Promise<void> {
  const entry = JSON.stringify([
    {
      at: input.at.toISOString(),
      ok: input.ok,
      ...(input.status ? { status: input.status } : {}),
      ...(input.error ? { error: input.error.slice(0, 300) } : {}),
      ...(input.deferred ? { deferred: true } : {}),
    },
  ]);
  const state = input.ok ? "sent" : input.retryAt ? "pending" : "failed";
  await db.$executeRaw(Prisma.sql`
    UPDATE "Notification" SET state = ${state}, "leaseOwner" = NULL, "leaseExpiresAt" = NULL,
      "nextAttemptAt" = coalesce(${input.retryAt}::timestamptz, "nextAttemptAt"),
      "sentAt" = CASE WHEN ${input.ok} THEN ${input.at}::timestamptz ELSE "sentAt" END,
      "lastError" = ${input.ok ? null : (input.error ?? null)},
      attempts = CASE WHEN ${input.deferred ?? false} THEN attempts - 1 ELSE attempts END,
      log = log || ${entry}::jsonb
    WHERE id = ${input.id} AND "leaseOwner" = ${input.owner}`);
}

/** Messages a channel sent in [since, now): its rate limit counts them. */
export async function countSentSince(db: Db, channelId: string, since: Date): Promise<number> {
  return db.notification.count({ where: { channelId, state: "sent", sentAt: { gte: since } } });
}
