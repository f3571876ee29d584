import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { AppError } from "@/lib/errors";
import { errorResponse, problemResponse } from "./errors";

vi.mock("server-only", () => ({}));

const opts = { requestId: "req-12345678", instance: "/api/v1/campaigns" };

describe("one error classification, two shapes", () => {
  it("an AppError is a problem+json with a stable type; a refined code (token_expired) keeps the status of its AppError", async () => {
    const res = problemResponse(new AppError("unauthenticated", "API token ami_api_x… expired.", { problem: "token_expired" }), opts);
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await res.json()).toEqual({
      type: "urn:ami:problem:token_expired",
      title: "Unauthorized",
      status: 401,
      detail: "API token ami_api_x… expired.",
      instance: "/api/v1/campaigns",
      code: "token_expired",
      requestId: "req-12345678",
    });
    // The console's JSON shape from the same classification.
    const console = errorResponse(new AppError("forbidden", "no"), { body: "kind" });
    expect(console.status).toBe(403);
    expect(await console.json()).toEqual({ error: { kind: "denied", message: "no" } });
  });

  it("rate limits carry Retry-After; bad input is 400 invalid; the unexpected is a generic 500; a gone client is 499", async () => {
    const limited = problemResponse(new AppError("rate_limited", "slow down", { retryAfterSeconds: 7 }), opts);
    expect([limited.status, limited.headers.get("retry-after"), (await limited.json()).type]).toEqual([429, "7", "urn:ami:problem:rate_limited"]);
    const zod = z.object({ n: z.number() }).safeParse({ n: "x" });
    const invalid = problemResponse(zod.error, opts);
    expect(invalid.status).toBe(400);
    expect((await invalid.json()).detail).toMatch(/^invalid input: n:/);
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const crash = problemResponse(new Error("secret detail"), opts);
    expect(crash.status).toBe(500);
    const body = await crash.json();
    expect(body.detail).not.toContain("secret");
    expect(String(log.mock.calls[0]![0])).toContain("req-12345678");
    log.mockRestore();
    const ac = new AbortController();
    ac.abort();
    expect(problemResponse(new Error("gone"), { ...opts, signal: ac.signal }).status).toBe(499);
  });
});
