import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { expect, signInAs, test } from "./fixtures";
import { E2E_DATA_DIR, E2E_PID_FILE } from "./paths";

const serverPid = () => Number(fs.readFileSync(E2E_PID_FILE, "utf8"));

test("health reports both embedded engines, their migrations and uptime to an admin; anonymous callers get the status only", async ({ page, request: anonymous }) => {
  const bare = await anonymous.get("/api/health");
  expect(bare.status()).toBe(200);
  expect(await bare.json()).toEqual({ status: "ok" });
  await signInAs(page, "admin");
  const request = page.request;
  const res = await request.get("/api/health");
  expect(res.status()).toBe(200);
  const h = await res.json();
  expect(h.status).toBe("ok");
  expect(h.engines.relational).toMatchObject({ kind: "pglite", reachable: true });
  expect(h.engines.analytics).toMatchObject({ kind: "chdb", reachable: true });
  expect(h.engines.relational.version).toMatch(/\d+\.\d+/);
  expect(h.engines.analytics.version).toMatch(/\d+\.\d+/);
  expect(h.engines.relational.migrationsApplied.length).toBeGreaterThan(0);
  expect(h.engines.analytics.migrationsApplied.length).toBeGreaterThan(0);
  expect(h.uptimeSeconds).toBeGreaterThanOrEqual(0);
  expect(typeof h.sockets).toBe("number");
  expect(JSON.stringify(h)).not.toMatch(/secret|password/i);
  expect((await request.get("/api/ready")).status()).toBe(200);
});

test("a second process on the same data directory is refused and the data stays intact", async ({ page }) => {
  await signInAs(page, "admin");
  const request = page.request;
  const pid = serverPid();
  const env = { ...process.env, DATA_DIR: E2E_DATA_DIR, NODE_ENV: "production", DATABASE_URL: "", CLICKHOUSE_URL: "" } as NodeJS.ProcessEnv;

  const migrate = spawnSync("npx", ["tsx", "scripts/db-migrate.ts"], { env, encoding: "utf8", timeout: 60_000 });
  expect(migrate.status).not.toBe(0);
  expect(migrate.stdout + migrate.stderr).toContain(`data directory in use by PID ${pid}`);

  const second = spawnSync(process.execPath, ["dist/server.js"], { env: { ...env, PORT: "3199", AMI_DEMO: "1" }, encoding: "utf8", timeout: 60_000 });
  expect(second.status).not.toBe(0);
  expect(second.stdout + second.stderr).toContain(`data directory in use by PID ${pid}`);

  const seed = spawnSync("npx", ["tsx", "scripts/user-create.ts", "--email", "late@example.test", "--role", "viewer"], { env, encoding: "utf8", timeout: 60_000 });
  expect(seed.status).not.toBe(0);
  expect(seed.stdout + seed.stderr).toContain(`data directory in use by PID ${pid}`);

  // The owner is unharmed.
  const h = await (await request.get("/api/health")).json();
  expect(h.engines.relational.reachable).toBe(true);
  expect(h.engines.analytics.reachable).toBe(true);
  expect(fs.readFileSync(`${E2E_DATA_DIR}/.lock`, "utf8")).toContain(String(pid));
});

test("pages need a session: an anonymous visitor is sent to sign-in", async ({ page }) => {
  await page.goto("/admin");
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByTestId("login-form")).toBeVisible();
});

test("production start refuses without NEXTAUTH_SECRET, and a bad variable is named", async () => {
  const base = { ...process.env, NODE_ENV: "production", DATA_DIR: ".e2e-data-unused", PORT: "3198", AMI_DEMO: "0" } as NodeJS.ProcessEnv;
  delete base.NEXTAUTH_SECRET;
  const noSecret = spawnSync(process.execPath, ["dist/server.js"], { env: base, encoding: "utf8", timeout: 30_000 });
  expect(noSecret.status).toBe(1);
  expect(noSecret.stderr).toContain("NEXTAUTH_SECRET is required");

  const badPort = spawnSync(process.execPath, ["dist/server.js"], { env: { ...base, NEXTAUTH_SECRET: "x".repeat(32), PORT: "not-a-port" }, encoding: "utf8", timeout: 30_000 });
  expect(badPort.status).toBe(1);
  expect(badPort.stderr).toMatch(/PORT: /);
  expect(fs.existsSync(".e2e-data-unused")).toBe(false);
});
