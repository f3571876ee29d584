// Starts the production server (dist/server.js + .next) in demo mode on a fresh
// data directory, waits until it is ready, and leaves its PID for teardown.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { E2E_DATA_DIR, E2E_LOG, E2E_PID_FILE, E2E_PORT } from "./paths";

async function waitForReady(url: string, child: { exitCode: number | null }, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}; see ${E2E_LOG}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`server not ready after ${timeoutMs} ms; see ${E2E_LOG}`);
}

export default async function globalSetup() {
  if (!fs.existsSync(".next/BUILD_ID") || !fs.existsSync("dist/server.js")) {
    throw new Error("e2e needs the production build: run `npm run build` first (npm test does).");
  }
  fs.rmSync(E2E_DATA_DIR, { recursive: true, force: true });
  fs.mkdirSync(E2E_DATA_DIR, { recursive: true });
  const log = fs.openSync(E2E_LOG, "w");
  const child = spawn(process.execPath, ["--enable-source-maps", "dist/server.js"], {
    env: {
      ...process.env,
      NODE_ENV: "production",
      AMI_DEMO: "1",
      PORT: String(E2E_PORT),
      DATA_DIR: E2E_DATA_DIR,
      DEMO_METERS: process.env.E2E_DEMO_METERS ?? "3000",
      // One file, and a glob whose files appear while the server runs (e2e/ingest.spec.ts).
      INGEST_FILES: [path.join(E2E_DATA_DIR, "tail", "maintenance_audit.log"), path.join(E2E_DATA_DIR, "tail", "extra", "*.log")].join(","),
      DATABASE_URL: "",
      CLICKHOUSE_URL: "",
    },
    stdio: ["ignore", log, log],
    detached: false,
  });
  fs.writeFileSync(E2E_PID_FILE, String(child.pid));
  await waitForReady(`http://localhost:${E2E_PORT}/api/ready`, child, 180_000);
}
