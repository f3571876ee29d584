// At most EXPORT_MAX_CONCURRENT_PER_USER log exports per user at a time (each
// may stream for minutes and holds a ClickHouse query): one more is a 429 that
// says so, not another long query. Counted per server process.
import { AppError } from "@/lib/errors";
import { env } from "@/lib/env";

const g = globalThis as unknown as { __amiExportSlots?: Map<string, number> };
const running = (g.__amiExportSlots ??= new Map());

/** Takes a slot for the user or throws rate_limited; the returned release is idempotent. */
export function acquireExportSlot(userId: string, limit: number = env.EXPORT_MAX_CONCURRENT_PER_USER): () => void {
  const n = running.get(userId) ?? 0;
  if (n >= limit) {
    throw new AppError("rate_limited", `You already have ${n} export${n === 1 ? "" : "s"} running (the limit is ${limit}). Wait for one to finish or cancel it, then try again.`, {
      retryAfterSeconds: 10,
    });
  }
  running.set(userId, n + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (running.get(userId) ?? 1) - 1;
    if (left <= 0) running.delete(userId);
    else running.set(userId, left);
  };
}
