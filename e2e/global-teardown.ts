import fs from "node:fs";
import { E2E_PID_FILE } from "./paths";

export default async function globalTeardown() {
  const pid = Number(fs.existsSync(E2E_PID_FILE) ? fs.readFileSync(E2E_PID_FILE, "utf8") : NaN);
  if (!Number.isFinite(pid)) return;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  // Wait for a clean shutdown (engines flushed and closed).
  for (let i = 0; i < 60; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  process.kill(pid, "SIGKILL");
}
