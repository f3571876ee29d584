// Per-token rate limit of /api/v1: a token bucket per API token, in this
// process's memory (the console is one server process; a restart refills every
// bucket, which errs on the side of the caller). Headers follow the IETF
// RateLimit fields draft: RateLimit-Limit / -Remaining / -Reset (seconds) and
// RateLimit-Policy; a refused call also gets Retry-After.

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
  /** Seconds until one more call is allowed (0 when allowed). */
  retryAfterSeconds: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const WINDOW_MS = 60_000;
const buckets = new Map<string, Bucket>();

/** Take one call from `key`'s bucket of `limit` calls per minute. */
export function takeRateLimit(key: string, limit: number, now = Date.now()): RateLimitDecision {
  const ratePerMs = limit / WINDOW_MS;
  const b = buckets.get(key) ?? { tokens: limit, at: now };
  b.tokens = Math.min(limit, b.tokens + (now - b.at) * ratePerMs);
  b.at = now;
  const allowed = b.tokens >= 1;
  if (allowed) b.tokens -= 1;
  buckets.set(key, b);
  // Forget full buckets now and then so the map holds only recent callers.
  if (buckets.size > 10_000) for (const [k, v] of buckets) if (v.tokens + (now - v.at) * ratePerMs >= limit) buckets.delete(k);
  return {
    allowed,
    limit,
    remaining: Math.floor(b.tokens),
    resetSeconds: Math.ceil((limit - b.tokens) / ratePerMs / 1000),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - b.tokens) / ratePerMs / 1000)),
  };
}

export function rateLimitHeaders(d: RateLimitDecision): Record<string, string> {
  return {
    "ratelimit-limit": String(d.limit),
    "ratelimit-remaining": String(d.remaining),
    "ratelimit-reset": String(d.resetSeconds),
    "ratelimit-policy": `${d.limit};w=60`,
    ...(d.allowed ? {} : { "retry-after": String(d.retryAfterSeconds) }),
  };
}

/** Tests: start from full buckets. */
export function resetRateLimits(): void {
  buckets.clear();
}
