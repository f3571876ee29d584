// Login throttle, session versions and the last-admin guard on the real
// relational store (PGlite, or PostgreSQL with AMI_TEST_DB=postgresql).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io as connectClient, type Socket } from "socket.io-client";
import { encode } from "next-auth/jwt";
import { openTestEnv, testDbKind, type TestEnv } from "@/lib/testing/env";

let t: TestEnv;
let lib: {
  authenticate: typeof import("./login").authenticate;
  hashPassword: typeof import("./passwords").hashPassword;
  findActiveUser: typeof import("./users-lookup").findActiveUser;
  authOptions: typeof import("./options").authOptions;
  getSecret: typeof import("./options").getSecret;
  users: typeof import("@/lib/auth/users");
  sockets: typeof import("@/lib/realtime/socket-server");
};

beforeAll(async () => {
  t = await openTestEnv(testDbKind());
  lib = {
    authenticate: (await import("./login")).authenticate,
    hashPassword: (await import("./passwords")).hashPassword,
    findActiveUser: (await import("./users-lookup")).findActiveUser,
    authOptions: (await import("./options")).authOptions,
    getSecret: (await import("./options")).getSecret,
    users: await import("@/lib/auth/users"),
    sockets: await import("@/lib/realtime/socket-server"),
  };
});
afterAll(async () => {
  await t?.cleanup();
});

let n = 0;
async function makeUser(role: "viewer" | "technician" | "operator" | "admin", password = "correct-horse-battery") {
  const email = `u${++n}-${Date.now().toString(36)}@test.ami`;
  const u = await t.db.user.create({ data: { email, name: email, role, passwordHash: await lib.hashPassword(password) } });
  return { id: u.id, email, password, role };
}

async function loginReasons(email: string) {
  const rows = await t.db.activityEvent.findMany({ where: { action: "auth.login", target: email } });
  const count = (reason: string) => rows.filter((r) => (r.details as { reason?: string }).reason === reason).length;
  return { verified: count("bad_password"), throttled: count("rate_limited"), ok: rows.filter((r) => r.outcome === "ok").length };
}

describe("login throttle (reserved before argon2)", () => {
  it("12 parallel wrong guesses: at most LOGIN_MAX_FAILURES (5) reach the password check", async () => {
    const u = await makeUser("viewer");
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => lib.authenticate({ email: u.email, password: `wrong-${i}`, ip: null })));
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    const codes = results.map((r) => (r as PromiseRejectedResult).reason.code);
    expect(codes.filter((c) => c === "rate_limited")).toHaveLength(7);
    const { verified, throttled } = await loginReasons(u.email);
    expect(verified).toBe(5);
    expect(throttled).toBe(7);
  });

  it("a success gives its reservation back; the right password is refused once throttled", async () => {
    const u = await makeUser("viewer");
    for (let i = 0; i < 4; i++) await expect(lib.authenticate({ email: u.email, password: "nope", ip: null })).rejects.toMatchObject({ code: "unauthenticated" });
    for (let i = 0; i < 3; i++) await expect(lib.authenticate({ email: u.email, password: u.password, ip: null })).resolves.toMatchObject({ id: u.id });
    await expect(lib.authenticate({ email: u.email, password: "nope", ip: null })).rejects.toMatchObject({ code: "unauthenticated" });
    await expect(lib.authenticate({ email: u.email, password: u.password, ip: null })).rejects.toMatchObject({ code: "rate_limited" });
  });

  it("per address: 4x the account limit across accounts, in parallel", async () => {
    const accounts = await Promise.all(Array.from({ length: 6 }, () => makeUser("viewer")));
    const ip = `198.51.100.${n}`;
    const results = await Promise.allSettled(accounts.flatMap((a) => Array.from({ length: 5 }, () => lib.authenticate({ email: a.email, password: "nope", ip }))));
    const limited = results.filter((r) => r.status === "rejected" && r.reason.code === "rate_limited").length;
    expect(limited).toBe(30 - 20);
  });

  it("rows whose window is over are dropped; a live window is kept", async () => {
    const { deleteExpiredThrottles } = await import("./throttle");
    const now = Date.now();
    await t.db.loginThrottle.createMany({
      data: [
        { key: "a:old@test.ami", windowStart: new Date(now - 16 * 60_000), attempts: 3 },
        { key: "a:new@test.ami", windowStart: new Date(now - 60_000), attempts: 3 },
      ],
    });
    await deleteExpiredThrottles(15 * 60_000, new Date(now));
    const keys = (await t.db.loginThrottle.findMany({ where: { key: { in: ["a:old@test.ami", "a:new@test.ami"] } } })).map((r) => r.key);
    expect(keys).toEqual(["a:new@test.ami"]);
  });
});

describe("session version", () => {
  async function signedIn(role: "viewer" | "admin" = "viewer") {
    const u = await makeUser(role);
    const a = await lib.authenticate({ email: u.email, password: u.password, ip: null });
    expect(await lib.findActiveUser(u.id, a.sessionVersion)).toMatchObject({ id: u.id });
    return { ...u, sv: a.sessionVersion };
  }

  it("logout ends the session (a copied cookie no longer works)", async () => {
    const u = await signedIn();
    await lib.authOptions.events!.signOut!({ token: { uid: u.id, email: u.email }, session: undefined as never });
    expect(await lib.findActiveUser(u.id, u.sv)).toBeNull();
  });

  it("password reset, role change and disable each end the session", async () => {
    const admin = await makeUser("admin");
    const actor = { id: admin.id, email: admin.email };
    const a = await signedIn();
    await lib.users.resetUserPassword(a.id, actor);
    expect(await lib.findActiveUser(a.id, a.sv)).toBeNull();
    const b = await signedIn();
    await lib.users.changeUserRole(b.id, "operator", actor);
    expect(await lib.findActiveUser(b.id, b.sv)).toBeNull();
    const c = await signedIn();
    await lib.users.setUserDisabled(c.id, true, actor);
    expect(await lib.findActiveUser(c.id, c.sv)).toBeNull();
  });

  it("a token without a version (issued before versions existed) is refused", async () => {
    const u = await signedIn();
    expect(await lib.findActiveUser(u.id, undefined)).toBeNull();
  });
});

describe("sockets follow the session", () => {
  let server: http.Server;
  let base: string;
  const clients: Socket[] = [];
  beforeAll(async () => {
    server = http.createServer();
    lib.sockets.attachSocketServer(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await lib.sockets.closeSocketServer();
    server.close();
  });

  async function connectAs(uid: string, sv: number): Promise<Socket> {
    const cookie = await encode({ token: { uid, sv }, secret: lib.getSecret() });
    const socket = connectClient(base, { path: "/socket.io", transports: ["websocket"], extraHeaders: { cookie: `next-auth.session-token=${cookie}` }, reconnection: false });
    clients.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("connect_error", reject);
    });
    return socket;
  }
  const subscribe = (s: Socket, room: string) => new Promise<{ ok: boolean; error?: string }>((r) => s.emit("subscribe", room, r));
  const disconnected = (s: Socket) => new Promise<void>((r) => (s.connected ? s.once("disconnect", () => r()) : r()));

  it("a role change disconnects the user's sockets, and the old cookie cannot reconnect", async () => {
    const admin = await makeUser("admin");
    const op = await makeUser("operator");
    const socket = await connectAs(op.id, 0);
    expect(await subscribe(socket, "ingest")).toEqual({ ok: true });
    const gone = disconnected(socket);
    await lib.users.changeUserRole(op.id, "viewer", { id: admin.id, email: admin.email });
    await gone;
    await expect(connectAs(op.id, 0)).rejects.toThrow(/unauthenticated/);
    // Signed in again (new version): the viewer may not join the ingest room.
    const again = await connectAs(op.id, 1);
    expect((await subscribe(again, "ingest")).ok).toBe(false);
    expect(await subscribe(again, "fleet")).toEqual({ ok: true });
  });

  it("a disable disconnects the user's sockets", async () => {
    const admin = await makeUser("admin");
    const tech = await makeUser("technician");
    const socket = await connectAs(tech.id, 0);
    expect(await subscribe(socket, "workorders")).toEqual({ ok: true });
    const gone = disconnected(socket);
    await lib.users.setUserDisabled(tech.id, true, { id: admin.id, email: admin.email });
    await gone;
  });

  it("a room join re-checks the session version (bumped by another process)", async () => {
    const v = await makeUser("viewer");
    const socket = await connectAs(v.id, 0);
    await t.db.user.update({ where: { id: v.id }, data: { sessionVersion: { increment: 1 } } });
    const gone = disconnected(socket);
    expect(await subscribe(socket, "fleet")).toEqual({ ok: false, error: "unauthenticated" });
    await gone;
  });
});

describe("last-admin guard", () => {
  async function activeAdmins(ids: string[]) {
    return t.db.user.count({ where: { id: { in: ids }, role: "admin", disabled: false } });
  }

  it("two admins demoting each other at once leave one admin", async () => {
    // Every other admin out of the way: these two are the last.
    await t.db.user.updateMany({ where: { role: "admin" }, data: { disabled: true } });
    const a = await makeUser("admin");
    const b = await makeUser("admin");
    const results = await Promise.allSettled([
      lib.users.changeUserRole(b.id, "viewer", { id: a.id, email: a.email }),
      lib.users.changeUserRole(a.id, "viewer", { id: b.id, email: b.email }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.find((r) => r.status === "rejected")).toMatchObject({ reason: { code: "conflict" } });
    expect(await activeAdmins([a.id, b.id])).toBe(1);
  });

  it("two admins disabling each other at once leave one admin", async () => {
    await t.db.user.updateMany({ where: { role: "admin" }, data: { disabled: true } });
    const a = await makeUser("admin");
    const b = await makeUser("admin");
    const results = await Promise.allSettled([
      lib.users.setUserDisabled(b.id, true, { id: a.id, email: a.email }),
      lib.users.setUserDisabled(a.id, true, { id: b.id, email: b.email }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(await activeAdmins([a.id, b.id])).toBe(1);
  });
});
