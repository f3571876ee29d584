import { describe, expect, it } from "vitest";
import { createHttpHes } from "./http-hes";

type Call = { url: string; init: RequestInit };

function createFetch(respond: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fetchFn = (async (url: string | URL | Request, init?: RequestInit) => {
    const call = { url: String(url), init: init ?? {} };
    calls.push(call);
    return respond(call);
  }) as typeof fetch;
  return { fetchFn, calls };
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

describe("HTTP head-end adapter", () => {
  it("posts the command with bearer token and idempotency key, and returns the outcome", async () => {
    const { fetchFn, calls } = createFetch(() => json(200, { status: "ok", details: { accuracyErrPct: 0.01 } }));
    const hes = createHttpHes({ url: "https://hes.example/api/", token: "t0ken", timeoutMs: 5000, fetch: fetchFn });
    const outcome = await hes.sendCommand({ meterId: "EM-0000001", step: "calibrate", idempotencyKey: "key-1", job: "cmp_1" });
    expect(outcome).toEqual({ status: "ok", details: { accuracyErrPct: 0.01 } });
    const [call] = calls;
    expect(call!.url).toBe("https://hes.example/api/commands");
    expect(call!.init.method).toBe("POST");
    const headers = call!.init.headers as Record<string, string>;
    expect(headers.Authorization).toBe("Bearer t0ken");
    expect(headers["Idempotency-Key"]).toBe("key-1");
    expect(JSON.parse(String(call!.init.body))).toEqual({ meterId: "EM-0000001", step: "calibrate", params: {}, job: "cmp_1", timeoutMs: 5000 });
    expect(call!.init.signal).toBeInstanceOf(AbortSignal);
  });

  it("maps statuses: 504 and aborts to timeout, 401 and 5xx to errors, fail outcomes validated", async () => {
    const respond = { current: (_c: Call): Response | Promise<Response> => json(504, {}) };
    const { fetchFn } = createFetch((c) => respond.current(c));
    const hes = createHttpHes({ url: "http://hes", timeoutMs: 10, abortGraceMs: 0, fetch: fetchFn });
    const send = () => hes.sendCommand({ meterId: "EM-0000001", step: "fota", idempotencyKey: "k" });
    expect(await send()).toEqual({ status: "timeout" });
    respond.current = (c) => new Promise((_resolve, reject) => c.init.signal!.addEventListener("abort", () => reject(c.init.signal!.reason)));
    expect(await send()).toEqual({ status: "timeout" });
    respond.current = () => json(200, { status: "fail", code: "FOTA_FAILED", message: "refused", refused: true });
    expect(await send()).toEqual({ status: "fail", code: "FOTA_FAILED", message: "refused", refused: true });
    respond.current = () => json(200, { status: "fail", code: "E999", message: "?" });
    await expect(send()).rejects.toThrow();
    respond.current = () => json(401, { error: "no" });
    await expect(send()).rejects.toMatchObject({ name: "AppError", code: "unauthenticated" });
    respond.current = () => json(503, {});
    await expect(send()).rejects.toMatchObject({ code: "unavailable" });
    respond.current = () => Promise.reject(new TypeError("fetch failed"));
    await expect(send()).rejects.toMatchObject({ code: "unavailable" });
  });

  it("reads outcomes, neighbour tables and firmware hashes", async () => {
    const { fetchFn, calls } = createFetch(({ url }) => {
      if (url.endsWith("/commands/missing")) return json(404, {});
      if (url.includes("/commands/")) return json(200, { status: "timeout" });
      if (url.endsWith("/neighbours")) return json(200, [{ neighbour: "GW-0001", rssi: -80, lqi: 200 }]);
      return json(200, { fwMetrology: "3.4.1", fwComms: "6.1.0", sha256: "a".repeat(64) });
    });
    const hes = createHttpHes({ url: "http://hes", timeoutMs: 1000, fetch: fetchFn });
    expect(await hes.getOutcome("missing")).toBeNull();
    expect(await hes.getOutcome("a b")).toEqual({ status: "timeout" });
    expect(calls.at(-1)!.url).toBe("http://hes/commands/a%20b");
    expect(await hes.getNeighbourTable("EM-0000001")).toEqual([{ neighbour: "GW-0001", rssi: -80, lqi: 200 }]);
    expect(await hes.getFirmwareHash("EM-0000001")).toMatchObject({ fwMetrology: "3.4.1" });
  });
});
