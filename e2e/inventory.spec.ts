// Endpoint inventory: every route handler (app/**/route.ts, each exported HTTP
// method) and every server action (each export of a "use server" file) found in
// the code is called by each role and by an anonymous visitor, and the answer
// (allowed or refused) must match the table below. An endpoint missing from the
// table, or a table entry the code no longer has, fails the suite.
import fs from "node:fs";
import path from "node:path";
import type { APIRequestContext, Browser, BrowserContext } from "@playwright/test";
import { expect, signInAs, test, type Role } from "./fixtures";

type Caller = Role | "anonymous";
const CALLERS: Caller[] = ["anonymous", "viewer", "technician", "operator", "admin"];
const EVERY_ROLE: Caller[] = ["viewer", "technician", "operator", "admin"];
const ANYONE: Caller[] = ["anonymous", ...EVERY_ROLE];
const NOBODY: Caller[] = []; // bearer-token endpoints: no session of any role is enough

/** Who may call each route handler: "METHOD /path" (the folder path, [params] as written). */
const ROUTES: Record<string, Caller[]> = {
  "GET /api/alerts/history": EVERY_ROLE,
  "GET /api/auth/[...nextauth]": ANYONE,
  "POST /api/auth/[...nextauth]": ANYONE,
  "GET /api/campaigns/[id]/outcomes": EVERY_ROLE,
  "GET /api/fleet/counts": EVERY_ROLE,
  "POST /api/fleet/generate": ["admin"],
  "POST /api/fleet/import": ["admin"],
  // Everyone gets the status; "allowed" here means the details (engines, versions, migrations).
  "GET /api/health": ["operator", "admin"],
  "POST /api/ingest": NOBODY,
  "GET /api/logs/export": EVERY_ROLE,
  "GET /api/logs/explain": EVERY_ROLE,
  "GET /api/logs/histogram": EVERY_ROLE,
  "GET /api/logs/row": EVERY_ROLE,
  "GET /api/logs/search": EVERY_ROLE,
  "GET /api/map/cells": EVERY_ROLE,
  "GET /api/map/fleet": EVERY_ROLE,
  "GET /api/map/gateway-meters": EVERY_ROLE,
  "GET /api/map/gateways": EVERY_ROLE,
  "GET /api/map/meters/[id]": EVERY_ROLE,
  "GET /api/map/states": EVERY_ROLE,
  "GET /api/ready": ANYONE,
  "GET /schedule/compliance/export": EVERY_ROLE,
  "GET /schedule/due/export": EVERY_ROLE,
  // The management API takes API tokens (Authorization: Bearer), never a session.
  "GET /api/v1/[...path]": NOBODY,
  "POST /api/v1/[...path]": NOBODY,
  "GET /api/v1/openapi.json": ANYONE,
};

/** Who may call each server action: "file#exportedName". */
const ACTIONS: Record<string, Caller[]> = {
  "app/(console)/admin/actions.ts#createUserAction": ["admin"],
  "app/(console)/admin/actions.ts#changeUserRoleAction": ["admin"],
  "app/(console)/admin/actions.ts#setUserDisabledAction": ["admin"],
  "app/(console)/admin/actions.ts#resetUserPasswordAction": ["admin"],
  "app/(console)/meters/[id]/actions.ts#updateMeterConstantsAction": ["technician", "admin"],
  "app/(console)/logs/actions.ts#saveSearchAction": EVERY_ROLE,
  "app/(console)/logs/actions.ts#deleteSavedSearchAction": EVERY_ROLE,
  "app/(console)/ingest/actions.ts#createIngestTokenAction": ["admin"],
  "app/(console)/ingest/actions.ts#revokeIngestTokenAction": ["admin"],
  "app/(console)/work-orders/actions.ts#completeWorkOrderAction": ["technician", "admin"],
  "app/(console)/campaigns/actions.ts#previewCampaignAction": ["operator", "admin"],
  "app/(console)/campaigns/actions.ts#createCampaignAction": ["operator", "admin"],
  "app/(console)/campaigns/actions.ts#startCampaignAction": ["operator", "admin"],
  "app/(console)/campaigns/actions.ts#approveCampaignAction": ["operator", "admin"],
  "app/(console)/campaigns/actions.ts#pauseCampaignAction": ["operator", "admin"],
  "app/(console)/campaigns/actions.ts#resumeCampaignAction": ["operator", "admin"],
  "app/(console)/campaigns/actions.ts#skipWaveAction": ["operator", "admin"],
  "app/(console)/campaigns/actions.ts#abortCampaignAction": ["operator", "admin"],
  "app/(console)/campaigns/actions.ts#retryFailedAction": ["operator", "admin"],
  "app/(console)/schedule/actions.ts#savePlanAction": ["operator", "admin"],
  "app/(console)/schedule/actions.ts#previewWhatIfAction": EVERY_ROLE,
  "app/(console)/schedule/actions.ts#runPlanNowAction": ["operator", "admin"],
  "app/(console)/schedule/actions.ts#setCrewCapacityAction": ["operator", "admin"],
  "app/(console)/schedule/actions.ts#assignRouteAction": ["operator", "admin"],
  "app/(console)/api-tokens/actions.ts#createApiTokenAction": EVERY_ROLE,
  "app/(console)/api-tokens/actions.ts#revokeApiTokenAction": EVERY_ROLE,
  "app/(console)/alerts/actions.ts#createRuleAction": ["operator", "admin"],
  "app/(console)/alerts/actions.ts#updateRuleAction": ["operator", "admin"],
  "app/(console)/alerts/actions.ts#deleteRuleAction": ["operator", "admin"],
  "app/(console)/alerts/actions.ts#previewRuleAction": EVERY_ROLE,
  "app/(console)/alerts/actions.ts#acknowledgeAlertAction": ["operator", "admin"],
  "app/(console)/alerts/actions.ts#createSilenceAction": ["operator", "admin"],
  "app/(console)/alerts/actions.ts#expireSilenceAction": ["operator", "admin"],
  "app/(console)/alerts/actions.ts#createChannelAction": ["admin"],
  "app/(console)/alerts/actions.ts#deleteChannelAction": ["admin"],
  "app/(console)/alerts/actions.ts#sendTestNotificationAction": ["admin"],
};

// ---------------------------------------------------------------- the inventory, from the code

function walk(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

const SOURCES = [...walk("app"), ...walk("lib"), ...walk("components")].filter((f) => /\.(ts|tsx)$/.test(f) && !/\.test\.tsx?$/.test(f) && !f.includes(`lib${path.sep}generated`));

function scanRoutes(): string[] {
  const out: string[] = [];
  for (const f of SOURCES.filter((f) => path.basename(f) === "route.ts" && f.startsWith("app" + path.sep))) {
    const text = fs.readFileSync(f, "utf8");
    const route =
      "/" +
      path
        .dirname(path.relative("app", f))
        .split(path.sep)
        .filter((s) => !/^\(.*\)$/.test(s))
        .join("/");
    for (const m of text.matchAll(/export\s+(?:async\s+function|const|function)\s+(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\b/g)) out.push(`${m[1]} ${route}`);
  }
  return out.sort();
}

function scanActions(): string[] {
  const out: string[] = [];
  for (const f of SOURCES) {
    const text = fs.readFileSync(f, "utf8");
    if (!/^\s*(?:\/\/[^\n]*\n\s*)*["']use server["']/.test(text)) continue;
    for (const m of text.matchAll(/export\s+(?:async\s+function|const|function)\s+([A-Za-z0-9_]+)/g)) out.push(`${f.split(path.sep).join("/")}#${m[1]}`);
  }
  return out.sort();
}

test("the table names every route handler and server action in the code, and nothing else", () => {
  expect(scanRoutes()).toEqual(Object.keys(ROUTES).sort());
  expect(scanActions()).toEqual(Object.keys(ACTIONS).sort());
});

// ---------------------------------------------------------------- calling them

/** A request each endpoint can take without changing anything: bad input after the permission check. */
function routeRequest(key: string): { url: string; data?: unknown; headers?: Record<string, string> } {
  const [, route] = key.split(" ") as [string, string];
  const url = route
    .replace("[...nextauth]", "session")
    .replace("/campaigns/[id]", "/campaigns/inventoryprobe0")
    .replace("/meters/[id]", "/meters/EM-0000001")
    .replace("/v1/[...path]", "/v1/campaigns");
  if (route === "/api/fleet/generate" || route === "/api/fleet/import") return { url, data: { probe: "not a fleet" } };
  if (route === "/api/ingest") return { url, data: "", headers: { "content-type": "text/plain" } };
  return { url };
}

function classifyRoute(key: string, status: number, body: string): "allow" | "deny" {
  expect(status, `${key} answered ${status}: ${body.slice(0, 200)}`).toBeLessThan(500);
  if (key === "GET /api/health") return body.includes('"engines"') ? "allow" : "deny";
  return status === 401 || status === 403 ? "deny" : "allow";
}

interface ManifestEntry {
  workers: Record<string, unknown>;
  filename?: string;
  exportedName?: string;
}

function actionIds(): Map<string, { id: string; page: string }> {
  const manifest = JSON.parse(fs.readFileSync(path.join(".next", "server", "server-reference-manifest.json"), "utf8")) as { node: Record<string, ManifestEntry> };
  const out = new Map<string, { id: string; page: string }>();
  for (const [id, v] of Object.entries(manifest.node)) {
    if (!v.filename || !v.exportedName) continue;
    const worker = Object.keys(v.workers)[0] ?? "app/page";
    const page =
      "/" +
      worker
        .replace(/^app\//, "")
        .replace(/\/?page$/, "")
        .split("/")
        .filter((s) => !/^\(.*\)$/.test(s))
        .map((s) => (s.startsWith("[") ? "inventoryprobe0" : s))
        .join("/");
    out.set(`${v.filename}#${v.exportedName}`, { id, page });
  }
  return out;
}

async function callAction(request: APIRequestContext, page: string, id: string): Promise<{ status: number; text: string }> {
  const res = await request.post(page, {
    headers: { "Next-Action": id, Accept: "text/x-component", "Content-Type": "text/plain;charset=UTF-8" },
    data: JSON.stringify(["__inventory_probe__"]),
    maxRedirects: 0,
  });
  return { status: res.status(), text: await res.text() };
}

function classifyAction(key: string, r: { status: number; text: string }): "allow" | "deny" {
  const code = /"code":"([a-z_]+)"/.exec(r.text)?.[1];
  expect(code, `${key} answered ${r.status} without an action result: ${r.text.slice(0, 300)}`).toBeTruthy();
  if (code === "unauthenticated" || code === "forbidden") return "deny";
  // Allowed: the permission check passed and the probe input was refused, so nothing changed.
  expect(code, `${key}: an allowed caller's probe must be refused as invalid input`).toBe("invalid");
  return "allow";
}

async function contextFor(browser: Browser, caller: Caller, baseURL: string): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL });
  if (caller !== "anonymous") await signInAs(await context.newPage(), caller);
  return context;
}

for (const caller of CALLERS) {
  test(`${caller}: every route handler and server action allows or refuses as the table says`, async ({ browser, baseURL }) => {
    test.setTimeout(180_000);
    const context = await contextFor(browser, caller, baseURL!);
    const mismatches: string[] = [];

    for (const [key, allowed] of Object.entries(ROUTES)) {
      const { url, data, headers } = routeRequest(key);
      const res = key.startsWith("GET ") ? await context.request.get(url, { maxRedirects: 0 }) : await context.request.post(url, { data, headers, maxRedirects: 0 });
      const got = classifyRoute(key, res.status(), await res.text());
      const want = allowed.includes(caller) ? "allow" : "deny";
      if (got !== want) mismatches.push(`${key}: ${got} (status ${res.status()}), table says ${want}`);
    }

    const ids = actionIds();
    for (const [key, allowed] of Object.entries(ACTIONS)) {
      const action = ids.get(key);
      expect(action, `${key} is not in this build's server-reference manifest`).toBeTruthy();
      const got = classifyAction(key, await callAction(context.request, action!.page, action!.id));
      const want = allowed.includes(caller) ? "allow" : "deny";
      if (got !== want) mismatches.push(`${key}: ${got}, table says ${want}`);
    }

    expect(mismatches).toEqual([]);
    await context.close();
  });
}
