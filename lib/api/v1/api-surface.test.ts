// The API's surface against the console's: every server action has an /api/v1
// twin (an endpoint calling the same lib/ function) or a reasoned exclusion,
// and the generated client files are current with the zod schemas.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { renderApiClientFiles } from "./generate-types";
import { API_ENDPOINTS } from "./registry";

vi.mock("server-only", () => ({}));

/** Server actions that stay console-only, and why. Keep it short. */
const EXCLUDED_ACTIONS: Record<string, string> = {
  createUserAction: "user administration stays in the console (an admin's signed-in session), not a machine interface",
  changeUserRoleAction: "user administration stays in the console",
  setUserDisabledAction: "user administration stays in the console",
  resetUserPasswordAction: "user administration stays in the console",
  createIngestTokenAction: "credentials are made in the console only: a leaked API token must not mint more",
  revokeIngestTokenAction: "credentials are managed in the console only",
  createApiTokenAction: "credentials are made in the console only: a leaked API token must not mint more",
  revokeApiTokenAction: "credentials are managed in the console only",
  saveSearchAction: "saved searches are the log explorer's UI state; the API takes the query itself",
  deleteSavedSearchAction: "saved searches are the log explorer's UI state",
  createChannelAction: "notification channels hold credentials (webhook secrets, SMTP passwords) and decide where alerts go: made in the console only, like tokens",
  deleteChannelAction: "notification channels are managed in the console only, with their credentials",
  sendTestNotificationAction: "a channel test belongs to setting the channel up, in the console",
};

function serverActions(): { file: string; name: string }[] {
  const out: { file: string; name: string }[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/\.tsx?$/.test(entry.name)) {
        const text = fs.readFileSync(p, "utf8");
        if (!/^\s*["']use server["']/.test(text)) continue;
        for (const m of text.matchAll(/export\s+(?:const|async function)\s+(\w+)/g)) out.push({ file: path.relative(process.cwd(), p), name: m[1]! });
      }
    }
  };
  walk(path.join(process.cwd(), "app"));
  return out;
}

describe("API surface", () => {
  it("every server action has an API twin or a reasoned exclusion", () => {
    const actions = serverActions();
    expect(actions.length).toBeGreaterThan(15);
    const twins = new Set(API_ENDPOINTS.flatMap((e) => e.twins));
    const missing = actions.filter((a) => !twins.has(a.name) && !(a.name in EXCLUDED_ACTIONS)).map((a) => `${a.file}: ${a.name}`);
    expect(missing).toEqual([]);
    // No stale names: each twin and exclusion names a real action.
    const names = new Set(actions.map((a) => a.name));
    expect([...twins, ...Object.keys(EXCLUDED_ACTIONS)].filter((n) => !names.has(n))).toEqual([]);
  });

  it("the generated OpenAPI document and client types are current (npm run api:types)", async () => {
    const files = await renderApiClientFiles();
    for (const [name, text] of Object.entries(files)) {
      const onDisk = fs.readFileSync(path.join(__dirname, "client", name), "utf8");
      expect(onDisk === text, `lib/api/v1/client/${name} is out of date: run npm run api:types`).toBe(true);
    }
  });
});
