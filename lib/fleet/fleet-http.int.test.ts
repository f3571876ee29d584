// POST /api/fleet/{import,generate}: who may change the fleet (a fleet-scope
// token or a fleet.manage session, not an ingest token or an operator), and
// the body and row caps. The route handlers run against the real stores.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openTestEnv, testDbKind, type TestEnv } from "@/lib/testing/env";
import type { SessionUser } from "@/lib/auth/session";

vi.mock("server-only", () => ({}));
// The route reads the session through next-auth; here the caller is set by the test.
const caller: { user: SessionUser | null } = { user: null };
vi.mock("@/lib/auth/session", async (orig) => ({ ...(await orig<object>()), getCurrentUser: async () => caller.user }));

let t: TestEnv;
let generate: (req: Request) => Promise<Response>;
let importCsv: (req: Request) => Promise<Response>;
let tokens: { ingest: string; fleet: string };

beforeAll(async () => {
  t = await openTestEnv(testDbKind());
  generate = (await import("@/app/api/fleet/generate/route")).POST;
  importCsv = (await import("@/app/api/fleet/import/route")).POST;
  const { createIngestToken } = await import("@/lib/auth/ingest-tokens");
  const admin = await t.db.user.create({ data: { email: "fleet-admin@test.ami", role: "admin" } });
  const actor = { id: admin.id, email: admin.email };
  tokens = {
    ingest: (await createIngestToken({ name: "hes-01", scope: "ingest" }, actor)).token,
    fleet: (await createIngestToken({ name: "fleet-script", scope: "fleet" }, actor)).token,
  };
});
afterAll(async () => {
  await t?.cleanup();
});

function post(body: BodyInit | object, token?: string, headers: Record<string, string> = {}): Request {
  const text = typeof body === "object" && !(body instanceof ReadableStream) ? JSON.stringify(body) : body;
  return new Request("http://localhost/api/fleet/x", {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: text as BodyInit,
    // @ts-expect-error Node's fetch needs this for a stream body
    duplex: "half",
  });
}
const small = { meters: 12, seed: 7, now: Date.UTC(2026, 0, 1) };
const meterCount = () => t.db.meter.count();

describe("who may change the fleet", () => {
  it("an ingest token is refused on both endpoints, and nothing is written", async () => {
    const before = await meterCount();
    const g = await generate(post(small, tokens.ingest));
    expect(g.status).toBe(403);
    expect((await g.json()).error).toMatch(/scope is ingest/);
    const i = await importCsv(post({ metersCsv: "id\nEM-0000001" }, tokens.ingest));
    expect(i.status).toBe(403);
    expect(await meterCount()).toBe(before);
  });

  it("an operator session (ingest.view, not fleet.manage) is refused; no session is 401", async () => {
    caller.user = { id: "op", email: "op@test.ami", name: "op", role: "operator" };
    expect((await generate(post(small))).status).toBe(403);
    expect((await importCsv(post({ metersCsv: "id\nx" }))).status).toBe(403);
    caller.user = null;
    expect((await generate(post(small))).status).toBe(401);
  });

  it("a fleet token and an admin session may generate", async () => {
    const r = await generate(post(small, tokens.fleet));
    expect(r.status).toBe(200);
    expect(await meterCount()).toBe(12);
    caller.user = { id: "ad", email: "ad@test.ami", name: "ad", role: "admin" };
    expect((await generate(post({ ...small, meters: 15 }))).status).toBe(200);
    caller.user = null;
    expect(await meterCount()).toBe(15);
  });
});

describe("caps", () => {
  it("a generation above 500 000 meters is refused with the limit named", async () => {
    const r = await generate(post({ ...small, meters: 2_000_000 }, tokens.fleet));
    expect(r.status).toBe(400);
    expect((await r.json()).error).toMatch(/at most 500,000 meters/);
  });

  it("an import of more than 250 000 meter rows is refused with the limit named", async () => {
    const csv = "id\n" + "EM-1\n".repeat(250_001);
    const r = await importCsv(post({ metersCsv: csv }, tokens.fleet));
    expect(r.status).toBe(400);
    expect((await r.json()).error).toMatch(/at most 250,000 meter rows/);
  });

  it("a body over the cap is refused with 413 while streaming, declared or not", async () => {
    const declared = await importCsv(post("{}", tokens.fleet, { "content-length": String(65 * 1024 * 1024) }));
    expect(declared.status).toBe(413);
    const chunk = new Uint8Array(1024 * 1024).fill(32);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent++ < 80) c.enqueue(chunk);
        else c.close();
      },
    });
    const r = await importCsv(post(stream, tokens.fleet));
    expect(r.status).toBe(413);
    expect((await r.json()).error).toMatch(/larger than 64 MiB/);
    expect(sent).toBeLessThan(70);
    const big = await generate(post({ ...small, pad: "x".repeat(10_000) }, tokens.fleet));
    expect(big.status).toBe(413);
  });
});
