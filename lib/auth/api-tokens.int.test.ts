// API tokens on the real relational store: who may create which, what is
// stored (a hash, never the token), expiry, revocation, a demoted or disabled owner.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestUsers, openTestEnv, testDbKind, type TestEnv } from "@/lib/testing/env";
import { authenticateApiToken, createApiToken, hashApiToken, listApiTokens, revokeApiToken } from "./api-tokens";

let env: TestEnv;
let users: Awaited<ReturnType<typeof createTestUsers>>;
beforeAll(async () => {
  env = await openTestEnv(testDbKind(), { withClickHouse: false });
  users = await createTestUsers(env.db);
});
afterAll(async () => {
  await env?.cleanup();
});

const bearer = (t: string) => `Bearer ${t}`;

describe("API tokens", () => {
  it("stores only the hash, shows the token once, and the token acts as its role for its owner", async () => {
    const created = await createApiToken({ name: "mdm sync", role: "viewer", readOnly: true }, users.operator);
    expect(created.token).toMatch(/^ami_api_[A-Za-z0-9_-]{32}$/);
    const row = await env.db.apiToken.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.tokenHash).toBe(hashApiToken(created.token));
    expect(JSON.stringify(row)).not.toContain(created.token);
    const check = await authenticateApiToken(bearer(created.token));
    expect(check).toMatchObject({
      ok: true,
      principal: { tokenId: created.id, role: "viewer", readOnly: true, kind: "personal", actor: { id: users.operator.id, role: "viewer" } },
    });
    expect((await env.db.apiToken.findUniqueOrThrow({ where: { id: created.id } })).lastUsedAt).not.toBeNull();
    const trail = await env.db.activityEvent.findMany({ where: { action: "api.token.create", target: created.id } });
    expect(trail).toHaveLength(1);
    expect(JSON.stringify(trail[0]!.details)).not.toContain(created.token);
  });

  it("a token's role is never above its creator's, and only admins make service tokens", async () => {
    await expect(createApiToken({ name: "too high", role: "admin" }, users.operator)).rejects.toThrow(/may not be above yours/);
    await expect(createApiToken({ name: "sideways", role: "technician" }, users.operator)).rejects.toThrow(/may not be above yours/);
    await expect(createApiToken({ name: "svc", role: "operator", kind: "service" }, users.operator)).rejects.toThrow(/may not create service tokens/);
    const svc = await createApiToken({ name: "wms", role: "operator", kind: "service" }, users.admin);
    const check = await authenticateApiToken(bearer(svc.token));
    expect(check).toMatchObject({ ok: true, principal: { kind: "service", actor: { id: svc.id, email: "service:wms", role: "operator" } } });
    // The operator does not see the admin's service token; the admin does.
    expect((await listApiTokens(users.operator)).map((t) => t.id)).not.toContain(svc.id);
    expect((await listApiTokens(users.admin)).map((t) => t.id)).toContain(svc.id);
  });

  it("an expired token is refused with token_expired; a revoked one with token_revoked", async () => {
    const old = await createApiToken({ name: "old", role: "viewer", expiresInDays: 1 }, users.viewer, { now: new Date(Date.now() - 2 * 86_400_000) });
    expect(await authenticateApiToken(bearer(old.token))).toMatchObject({ ok: false, status: 401, code: "token_expired" });
    const t = await createApiToken({ name: "soon revoked", role: "viewer", expiresInDays: null }, users.viewer);
    expect((await authenticateApiToken(bearer(t.token))).ok).toBe(true);
    // Another user cannot revoke it (it does not exist for them).
    await expect(revokeApiToken(t.id, users.technician)).rejects.toThrow(/No such API token/);
    await revokeApiToken(t.id, users.viewer);
    expect(await authenticateApiToken(bearer(t.token))).toMatchObject({ ok: false, status: 401, code: "token_revoked" });
    await expect(revokeApiToken(t.id, users.viewer)).rejects.toThrow(/already revoked/);
    expect(await authenticateApiToken(bearer("ami_api_nope"))).toMatchObject({ ok: false, status: 401, code: "unauthenticated" });
    expect(await authenticateApiToken(null)).toMatchObject({ ok: false, status: 401 });
  });

  it("a demoted or disabled owner's tokens stop working", async () => {
    const u = await env.db.user.create({ data: { email: `demoted-${Date.now()}@test.ami`, role: "operator" } });
    const t = await createApiToken({ name: "ops", role: "operator" }, { id: u.id, email: u.email, role: "operator" });
    expect((await authenticateApiToken(bearer(t.token))).ok).toBe(true);
    await env.db.user.update({ where: { id: u.id }, data: { role: "viewer" } });
    expect(await authenticateApiToken(bearer(t.token))).toMatchObject({ ok: false, status: 403, error: expect.stringMatching(/above its owner's \(viewer\)/) });
    await env.db.user.update({ where: { id: u.id }, data: { role: "operator", disabled: true } });
    expect(await authenticateApiToken(bearer(t.token))).toMatchObject({ ok: false, status: 403 });
  });
});
