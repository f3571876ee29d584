import { describe, expect, it } from "vitest";
import { rateLimitHeaders, resetRateLimits, takeRateLimit } from "./rate-limit";

describe("per-token rate limit (token bucket)", () => {
  it("allows `limit` calls at once, refuses the next with Retry-After, and refills evenly", () => {
    resetRateLimits();
    const t0 = 1_000_000;
    for (let i = 0; i < 6; i++) expect(takeRateLimit("tok-a", 6, t0).allowed).toBe(true);
    const refused = takeRateLimit("tok-a", 6, t0);
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 10 });
    expect(rateLimitHeaders(refused)).toMatchObject({ "retry-after": "10", "ratelimit-limit": "6", "ratelimit-remaining": "0", "ratelimit-reset": "60" });
    // Another token has its own bucket.
    expect(takeRateLimit("tok-b", 6, t0).allowed).toBe(true);
    // 10 s later one call is back (6 per minute).
    expect(takeRateLimit("tok-a", 6, t0 + 9_000).allowed).toBe(false);
    expect(takeRateLimit("tok-a", 6, t0 + 20_000).allowed).toBe(true);
  });
});
