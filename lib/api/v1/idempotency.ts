// Idempotency-Key for POSTs to /api/v1: the first request with a key reserves
// (token, key) by inserting a row before it runs, so concurrent retries cannot
// both run; a retry gets the stored answer (Idempotent-Replayed: true), a retry
// that arrives while the first still runs waits for it, and the same key with
// another body is refused. Only successful answers are kept: a failure frees
// the key, so the client may retry after fixing the cause. Keys live 24 hours.
import { createHash } from "node:crypto";
import { getDb, Prisma } from "@/lib/db";
import { AppError } from "@/lib/errors";

export const IDEMPOTENCY_KEY_RE = /^[A-Za-z0-9_.:-]{8,128}$/;
const KEEP_MS = 24 * 3_600_000;
const WAIT_MS = 15_000;
const POLL_MS = 50;
let lastSweep = 0;

export interface StoredAnswer {
  status: number;
  body: unknown;
  replayed: boolean;
}

export function requestHash(method: string, path: string, body: unknown): string {
  return createHash("sha256")
    .update(`${method} ${path}\n${JSON.stringify(body ?? null)}`)
    .digest("hex");
}

/** Run `body` once per (tokenId, key); retries get the first answer. */
export async function withIdempotency(
  input: { tokenId: string; key: string; hash: string },
  body: () => Promise<{ status: number; body: unknown }>,
  now = Date.now(),
): Promise<StoredAnswer> {
  const db = getDb();
  if (now - lastSweep > 60_000) {
    lastSweep = now;
    await db.apiIdempotencyKey.deleteMany({ where: { createdAt: { lt: new Date(now - KEEP_MS) } } }).catch(() => {});
  }
  const id = { tokenId: input.tokenId, key: input.key };
  try {
    await db.apiIdempotencyKey.create({ data: { ...id, requestHash: input.hash } });
  } catch (err) {
    if (!(err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002")) throw err;
    return waitForFirst(id, input.hash);
  }
  let answer: { status: number; body: unknown };
  try {
    answer = await body();
  } catch (err) {
    await db.apiIdempotencyKey.delete({ where: { tokenId_key: id } }).catch(() => {});
    throw err;
  }
  await db.apiIdempotencyKey.update({ where: { tokenId_key: id }, data: { status: answer.status, body: (answer.body ?? null) as Prisma.InputJsonValue } });
  return { ...answer, replayed: false };
}

async function waitForFirst(id: { tokenId: string; key: string }, hash: string): Promise<StoredAnswer> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const row = await getDb().apiIdempotencyKey.findUnique({ where: { tokenId_key: id } });
    // The first request failed and freed the key while we looked: this one may try again.
    if (!row) throw new AppError("conflict", "The first request with this Idempotency-Key failed; send the request again.", { problem: "idempotency_retry" });
    if (row.requestHash !== hash)
      throw new AppError("invalid", "This Idempotency-Key was used for a different request (method, path or body); use a new key.", { problem: "idempotency_key_reused" });
    if (row.status !== null) return { status: row.status, body: row.body, replayed: true };
    if (Date.now() > deadline)
      throw new AppError("conflict", "A request with this Idempotency-Key is still running; retry later.", { problem: "idempotency_in_progress", retryAfterSeconds: 1 });
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
