// Login throttle on LoginThrottle rows. An attempt is reserved with one atomic
// upsert before the password is verified (the row lock serialises parallel
// attempts, also across processes on one PostgreSQL), so at most `limit`
// guesses per window ever reach argon2. A successful sign-in releases its
// reservation: only failures (and attempts in flight) count.
import { getDb } from "@/lib/db";

export interface ThrottleKey {
  key: string;
  limit: number;
}

export interface Reservation {
  key: string;
  windowStart: Date;
}

export type ReserveResult = { ok: true; reservations: Reservation[] } | { ok: false; retryAfterSeconds: number };

/** Reserves one attempt under every key, or none (a refusal releases what it took). */
export async function reserveLoginAttempt(keys: ThrottleKey[], windowMs: number, now = new Date()): Promise<ReserveResult> {
  // Guesses at made-up e-mails each leave a row: now and then drop the rows whose window is over.
  if (Math.random() < 0.02) await deleteExpiredThrottles(windowMs, now);
  const taken: Reservation[] = [];
  for (const { key, limit } of keys) {
    const expired = new Date(now.getTime() - windowMs);
    const rows = await getDb().$queryRaw<{ windowStart: Date }[]>`
      INSERT INTO "LoginThrottle" ("key", "windowStart", "attempts") VALUES (${key}, ${now}, 1)
      ON CONFLICT ("key") DO UPDATE SET
        "attempts" = CASE WHEN "LoginThrottle"."windowStart" <= ${expired} THEN 1 ELSE "LoginThrottle"."attempts" + 1 END,
        "windowStart" = CASE WHEN "LoginThrottle"."windowStart" <= ${expired} THEN EXCLUDED."windowStart" ELSE "LoginThrottle"."windowStart" END
      WHERE "LoginThrottle"."windowStart" <= ${expired} OR "LoginThrottle"."attempts" < ${limit}
      RETURNING "windowStart"`;
    if (rows.length === 0) {
      await releaseLoginAttempt(taken);
      const [row] = await getDb().$queryRaw<{ windowStart: Date }[]>`SELECT "windowStart" FROM "LoginThrottle" WHERE "key" = ${key}`;
      const until = (row?.windowStart.getTime() ?? now.getTime()) + windowMs;
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((until - now.getTime()) / 1000)) };
    }
    taken.push({ key, windowStart: rows[0]!.windowStart });
  }
  return { ok: true, reservations: taken };
}

/** Gives reserved attempts back (a success, or a refusal under another key). */
export async function releaseLoginAttempt(reservations: Reservation[]): Promise<void> {
  for (const r of reservations) {
    await getDb().$executeRaw`
      UPDATE "LoginThrottle" SET "attempts" = GREATEST("attempts" - 1, 0)
      WHERE "key" = ${r.key} AND "windowStart" = ${r.windowStart}`;
  }
}

/** Read-only: would an attempt under these keys be refused now? (the HTTP route's early 429) */
export async function isLoginThrottled(keys: ThrottleKey[], windowMs: number, now = new Date()): Promise<number | null> {
  for (const { key, limit } of keys) {
    const [row] = await getDb().$queryRaw<{ windowStart: Date; attempts: number }[]>`
      SELECT "windowStart", "attempts" FROM "LoginThrottle" WHERE "key" = ${key}`;
    if (row && row.windowStart.getTime() > now.getTime() - windowMs && row.attempts >= limit) {
      return Math.max(1, Math.ceil((row.windowStart.getTime() + windowMs - now.getTime()) / 1000));
    }
  }
  return null;
}

export async function deleteExpiredThrottles(windowMs: number, now = new Date()): Promise<number> {
  return getDb().$executeRaw`DELETE FROM "LoginThrottle" WHERE "windowStart" <= ${new Date(now.getTime() - windowMs)}`;
}
