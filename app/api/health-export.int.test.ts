// /api/health shows details only to operators and admins; /api/logs/export
// runs at most EXPORT_MAX_CONCURRENT_PER_USER (2) downloads per user. Route
// handlers against PGlite and chDB; the caller is set by the test.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { auditLine, openTestEnv, testDbKind, type TestEnv } from "@/lib/testing/env";
import { AppError } from "@/lib/errors";
import { can, type Permission } from "@/lib/auth/permissions";
import type { SessionUser } from "@/lib/auth/session";

vi.mock("server-only", () => ({}));
const caller: { user: SessionUser | null } = { user: null };
vi.mock("@/lib/auth/session", async (orig) => ({
  ...(await orig<object>()),
  getCurrentUser: async () => caller.user,
  requirePermission: async (p: Permission) => {
    if (!caller.user) throw new AppError("unauthenticated", "Sign in first.");
    if (!can(caller.user.role, p)) throw new AppError("forbidden", "no");
    return caller.user;
  },
}));

let t: TestEnv;
beforeAll(async () => {
  t = await openTestEnv(testDbKind());
  const now = Date.now();
  const lines = Array.from({ length: 3000 }, (_, i) => auditLine({ ts: now - 60_000 + i, meter: `EM-${String(i).padStart(7, "0")}`, code: "E105", msg: `line ${i}` }, i));
  await t.ch.insertRows({ table: "audit_log", values: lines as unknown as Record<string, unknown>[] });
});
afterAll(async () => {
  await t?.cleanup();
});

const as = (role: SessionUser["role"] | null, id = `u-${role}`) => {
  caller.user = role ? { id, email: `${id}@test.ami`, name: id, role } : null;
};

describe("/api/health", () => {
  it("anonymous callers and viewers get the status only", async () => {
    const { GET } = await import("@/app/api/health/route");
    for (const role of [null, "viewer", "technician"] as const) {
      as(role);
      const body = await (await GET()).json();
      expect(body).toEqual({ status: "ok" });
    }
  });

  it("operators and admins get engines, versions and migrations", async () => {
    const { GET } = await import("@/app/api/health/route");
    for (const role of ["operator", "admin"] as const) {
      as(role);
      const body = await (await GET()).json();
      expect(body.status).toBe("ok");
      expect(body.engines.relational.reachable).toBe(true);
      expect(body.engines.relational.migrationsApplied.length).toBeGreaterThan(0);
      expect(body.engines.analytics.version).toMatch(/\d+\.\d+/);
    }
  });
});

describe("/api/logs/export", () => {
  const url = () =>
    `http://localhost/api/logs/export?q=code:E105&from=${new Date(Date.now() - 3_600_000).toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}&format=csv`;

  it("a third concurrent export of one user is a 429 that says why; another user is not affected; a finished one frees its slot", async () => {
    const { GET } = await import("@/app/api/logs/export/route");
    const errors = vi.spyOn(console, "error");
    as("viewer", "exporter-1");
    const a = await GET(new Request(url()));
    const b = await GET(new Request(url()));
    expect([a.status, b.status]).toEqual([200, 200]);
    const c = await GET(new Request(url()));
    expect(c.status).toBe(429);
    expect(c.headers.get("retry-after")).toBeTruthy();
    expect((await c.json()).error.message).toMatch(/already have 2 exports running \(the limit is 2\)/);

    as("viewer", "exporter-2");
    const other = await GET(new Request(url()));
    expect(other.status).toBe(200);
    await other.body!.cancel();

    // One download read to the end, one cancelled: both slots come back.
    const text = await a.text();
    expect(text.split("\n").length).toBeGreaterThan(3000);
    await b.body!.cancel();
    as("viewer", "exporter-1");
    const d = await GET(new Request(url()));
    const e = await GET(new Request(url()));
    expect([d.status, e.status]).toEqual([200, 200]);
    await d.body!.cancel();
    await e.body!.cancel();
    // A cancelled download is the user's choice, not a failure to log.
    await new Promise((r) => setTimeout(r, 200));
    expect(errors.mock.calls.filter((c) => String(c[0]).includes("[logs export] stream failed"))).toEqual([]);
    errors.mockRestore();
  });
});
