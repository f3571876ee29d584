// /api/v1 end to end on the real engines (PGlite or PostgreSQL, chDB), through
// the typed client over the dispatcher: every answer is validated against the
// generated OpenAPI document (ajv), the role x endpoint matrix for tokens,
// read-only tokens, expiry and revocation, idempotent create under concurrent
// retries, rate limiting, ETags, cursor paging and the operator trail; the
// maintenance schedule and alerts through the same lib/ functions as their actions.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import SwaggerParser from "@apidevtools/swagger-parser";
import { createApiToken } from "@/lib/auth/api-tokens";
import { can, ROLES, type Role } from "@/lib/auth/permissions";
import { stopMapCellsSync } from "@/lib/map/server/cells-sync";
import { generateFleet, getMeter, type Fleet } from "@/lib/simulator/fleet";
import { createTestUsers, openTestEnv, testDbKind, writeFleet, type TestEnv } from "@/lib/testing/env";
import { createContractValidator, inProcessFetch, TEST_ORIGIN, testApiClient } from "@/lib/testing/api";
import { ApiProblemError, type ApiClient } from "./client";
import { getOpenApiDocument } from "./openapi";
import { resetRateLimits } from "./rate-limit";
import { API_ENDPOINTS, API_ROUTES } from "./registry";

vi.mock("server-only", () => ({}));

const RATE_LIMIT = 120;
/** Enough that a FOTA of the whole fleet schedules more than 1000 meters (the approval threshold). */
const METERS = 2600;
let env: TestEnv;
let fleet: Fleet;
let users: Awaited<ReturnType<typeof createTestUsers>>;
const tokens = {} as Record<Role | "operator2" | "readOnly", string>;
const contract = createContractValidator();
// The dispatcher's order (static paths first): /alerts/rules is not /alerts/{id}.
const routes = API_ROUTES;

/** The in-process fetch, with every answer checked against the document. */
const contractFetch: typeof fetch = async (input, init) => {
  const response = await inProcessFetch(input, init);
  const request = new Request(input, init);
  const path = new URL(request.url).pathname.slice("/api/v1".length);
  const route = routes.find((r) => r.endpoint.method === request.method && r.re.test(path));
  if (route) {
    const type = response.headers.get("content-type") ?? "";
    const isJson = /^application\/(problem\+)?json/.test(type);
    const text = response.status === 304 || !isJson ? "" : await response.clone().text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      throw new Error(`${route.endpoint.operationId} ${response.status}: not JSON: ${text.slice(0, 200)}`);
    }
    if (isJson || response.status === 304) contract.check(route.endpoint.operationId, response.status, type, body);
    else contract.check(route.endpoint.operationId, response.status, type, "");
  }
  return response;
};
const client = (token: string): ApiClient => testApiClient(token, contractFetch);

/** The problem of a refused call (or null when it succeeded). */
async function problemOf(p: Promise<unknown>) {
  try {
    await p;
    return null;
  } catch (err) {
    if (err instanceof ApiProblemError) return { status: err.status, code: err.problem?.code, detail: err.problem?.detail, headers: err.response.headers };
    throw err;
  }
}

function pickTargetPair() {
  const ok = fleet.compatibility.filter(
    (c) => c.compatible && fleet.firmwareImages.filter((i) => i.signed && (i.version === c.metrologyVersion || i.version === c.commsVersion)).length === 2,
  );
  const pair = ok.at(-1)!;
  return { metrology: pair.metrologyVersion, comms: pair.commsVersion };
}

beforeAll(async () => {
  process.env.API_RATE_LIMIT_PER_MINUTE = String(RATE_LIMIT);
  env = await openTestEnv(testDbKind());
  fleet = generateFleet({ meters: METERS, seed: "api-v1", now: Date.now() });
  await writeFleet(fleet, env, { heartbeatAt: Date.now(), prismaMeters: 50 });
  users = await createTestUsers(env.db);
  for (const role of ROLES) tokens[role] = (await createApiToken({ name: `${role} token`, role }, users[role])).token;
  tokens.operator2 = (await createApiToken({ name: "second operator", role: "operator" }, users.operator2)).token;
  tokens.readOnly = (await createApiToken({ name: "read only", role: "operator", readOnly: true }, users.operator)).token;
}, 300_000);

afterAll(async () => {
  stopMapCellsSync(); // GET /gateways started the map's cell refresh, as the map route does
  await env?.cleanup();
});

describe("the OpenAPI document", () => {
  it("is a valid OpenAPI 3.1 document (swagger-parser) listing every endpoint", async () => {
    const doc = getOpenApiDocument();
    expect(doc.openapi).toBe("3.1.0");
    await SwaggerParser.validate(structuredClone(doc) as never);
    const ops = Object.values(doc.paths ?? {}).flatMap((item) => Object.values(item as Record<string, { operationId: string }>).map((o) => o.operationId));
    expect(ops.sort()).toEqual(API_ENDPOINTS.map((e) => e.operationId).sort());
  });
});

describe("campaigns through the API", () => {
  it("preview, create, start, follow, pause, resume, skip, abort: every answer fits the document and the trail names the token", async () => {
    const api = client(tokens.operator);
    const gw = fleet.gateways[0]!.id;
    const preview = await api.POST("/campaigns/preview", { body: { jobType: "fw_verify", targetQuery: { gw }, options: { offPeak: null, blackoutDates: [] } } });
    expect(preview.data.targetCount).toBe(fleet.gateways[0]!.meterCount);
    expect(preview.data.targetDescription).toContain(gw);

    const created = await api.POST("/campaigns", {
      body: { name: "api verify", jobType: "fw_verify", targetQuery: { gw }, options: { offPeak: null, soakMinutes: 0 } },
      idempotencyKey: "create-api-verify-1",
    });
    expect(created.response.status).toBe(201);
    expect(created.data.status).toBe("draft");
    expect(created.data.links.console).toBe(`/campaigns/${created.data.id}`);
    const id = created.data.id;

    const started = await api.POST("/campaigns/{id}/start", { params: { path: { id } }, idempotencyKey: "start-api-verify-1" });
    expect(started.data.campaign.status).toBe("running");
    expect(started.data.campaign.targetCount).toBeGreaterThan(0);

    const progress = await api.GET("/campaigns/{id}/progress", { params: { path: { id } } });
    expect(progress.data.status).toBe("running");
    expect(progress.data.waves.length).toBeGreaterThan(0);
    const findings = await api.GET("/campaigns/{id}/findings", { params: { path: { id } } });
    expect(findings.data.campaignId).toBe(id);
    const outcomes = await api.GET("/campaigns/{id}/outcomes", { params: { path: { id } } });
    expect(outcomes.data.failures).toEqual([]);

    expect((await api.POST("/campaigns/{id}/pause", { params: { path: { id } }, body: { reason: "change freeze" } })).data.campaign.status).toBe("paused");
    // Steering a campaign in the wrong state is a 409 problem, not a 500.
    expect(await problemOf(api.POST("/campaigns/{id}/pause", { params: { path: { id } } }))).toMatchObject({ status: 409, code: "conflict" });
    expect((await api.POST("/campaigns/{id}/resume", { params: { path: { id } } })).data.campaign.status).toBe("running");
    const skipped = await api.POST("/campaigns/{id}/skip", { params: { path: { id } } });
    expect(skipped.data.result).toHaveProperty("skippedWave");
    expect(await problemOf(api.POST("/campaigns/{id}/retry-failed", { params: { path: { id } } }))).toMatchObject({ status: 409, detail: "No failed meters to retry." });
    // Two meters fail (as the dispatcher would record it): retry-failed puts them in new waves.
    const failed = await env.db.campaignTarget.findMany({ where: { campaignId: id, state: "pending" }, take: 2 });
    await env.db.campaignTarget.updateMany({ where: { id: { in: failed.map((t) => t.id) } }, data: { state: "failed", lastCode: "E001" } });
    const retried = await api.POST("/campaigns/{id}/retry-failed", { params: { path: { id } } });
    expect(retried.data.result).toMatchObject({ meters: 2 });
    expect((await api.POST("/campaigns/{id}/abort", { params: { path: { id } }, body: { reason: "test over" } })).data.campaign.status).toBe("aborted");
    expect((await api.GET("/campaigns/{id}", { params: { path: { id } } })).data.statusReason).toContain("test over");

    const trail = await env.db.activityEvent.findMany({ where: { action: "api.call", actorId: users.operator.id }, orderBy: { at: "asc" } });
    const tokenRow = await env.db.apiToken.findFirstOrThrow({ where: { name: "operator token" } });
    expect(trail.length).toBeGreaterThanOrEqual(12);
    for (const e of trail) expect(e.details).toMatchObject({ tokenId: tokenRow.id, requestId: expect.any(String) });
    expect(trail.map((e) => e.target)).toContain("POST /api/v1/campaigns/{id}/start");
    // The lib function wrote its own campaign record too, as the server action does.
    expect(await env.db.activityEvent.count({ where: { action: "campaign.start", target: id, outcome: "ok" } })).toBe(1);
  });

  it("a large FOTA waits for a second person: its creator's token is refused, another operator's approves", async () => {
    const api = client(tokens.operator);
    const c = await api.POST("/campaigns", { body: { name: "fota all", jobType: "fota", targetQuery: {}, options: { targetFirmware: pickTargetPair() } } });
    const started = await api.POST("/campaigns/{id}/start", { params: { path: { id: c.data.id } } });
    expect(started.data.campaign.status, JSON.stringify(started.data.campaign.planSummary)).toBe("awaiting_approval");
    expect(await problemOf(api.POST("/campaigns/{id}/approve", { params: { path: { id: c.data.id } } }))).toMatchObject({ status: 403 });
    const approved = await client(tokens.operator2).POST("/campaigns/{id}/approve", { params: { path: { id: c.data.id } } });
    expect(["approved", "running"]).toContain(approved.data.campaign.status);
    await api.POST("/campaigns/{id}/abort", { params: { path: { id: c.data.id } } });
  });

  it("idempotent create: ten concurrent retries with one key make one campaign and all get it; the same key with another body is refused", async () => {
    const api = client(tokens.admin);
    const body = { name: "once only", jobType: "fw_verify" as const, targetQuery: { kind: "gas" as const }, options: { offPeak: null } };
    const results = await Promise.all(Array.from({ length: 10 }, () => api.POST("/campaigns", { body, idempotencyKey: "retry-storm-0001" })));
    expect(new Set(results.map((r) => r.data.id)).size).toBe(1);
    expect(results.every((r) => r.response.status === 201)).toBe(true);
    expect(results.filter((r) => r.response.headers.get("idempotent-replayed") === "true")).toHaveLength(9);
    expect(await env.db.campaign.count({ where: { name: "once only" } })).toBe(1);
    // A later retry replays the stored answer.
    const later = await api.POST("/campaigns", { body, idempotencyKey: "retry-storm-0001" });
    expect(later.data.id).toBe(results[0]!.data.id);
    expect(await problemOf(api.POST("/campaigns", { body: { ...body, name: "other" }, idempotencyKey: "retry-storm-0001" }))).toMatchObject({
      status: 400,
      code: "idempotency_key_reused",
    });
    // Keys are per token: another token's same key is another request.
    const other = await client(tokens.operator).POST("/campaigns", { body, idempotencyKey: "retry-storm-0001" });
    expect(other.data.id).not.toBe(results[0]!.data.id);
  });

  it("lists page with a cursor: following `next` gives every campaign once", async () => {
    const api = client(tokens.viewer);
    const total = await env.db.campaign.count();
    expect(total).toBeGreaterThan(3);
    const ids: string[] = [];
    let next: string | null = "/campaigns?limit=2";
    while (next) {
      const res = await inProcessFetch(`${TEST_ORIGIN}/api/v1${next.replace(/^\/api\/v1/, "")}`, { headers: { authorization: `Bearer ${tokens.viewer}` } });
      const page = (await res.json()) as { items: { id: string }[]; next: string | null };
      expect(page.items.length).toBeLessThanOrEqual(2);
      ids.push(...page.items.map((c) => c.id));
      next = page.next;
    }
    expect(ids).toHaveLength(total);
    expect(new Set(ids).size).toBe(total);
    expect((await api.GET("/campaigns", { params: { query: { limit: 200 } } })).data.next).toBeNull();
  });
});

describe("fleet, faults, logs, ingest and work orders through the API", () => {
  it("meters (filters, cursor, detail, state, history, constants), gateways, fault matrix and root cause, log search, histogram and export, ingest sources", async () => {
    const api = client(tokens.admin);
    const gw = fleet.gateways[1]!.id;
    const page1 = await api.GET("/meters", { params: { query: { gw } } });
    expect(page1.data.total).toBe(fleet.gateways[1]!.meterCount);
    expect(page1.data.items.every((m) => m.gw === gw)).toBe(true);
    const all = await api.GET("/meters");
    expect(all.data.total).toBe(METERS);
    expect(all.data.next).toMatch(/^\/api\/v1\/meters\?cursor=/);
    const meterId = getMeter(fleet, 0).id;
    const meter = await api.GET("/meters/{id}", { params: { path: { id: meterId } } });
    expect(meter.data.id).toBe(meterId);
    expect((await api.GET("/meters/{id}/state", { params: { path: { id: meterId } } })).data.last_seen).toBeGreaterThan(0);
    const change = await api.POST("/meters/{id}/constants", {
      params: { path: { id: meterId } },
      body: { constants: { pulseConstant: 1000, gainCorrection: 1.01, phaseCorrectionDeg: 0.2 }, reason: "bench recalibration" },
    });
    const history = await api.GET("/meters/{id}/history", { params: { path: { id: meterId } } });
    expect(history.data.constantChanges.map((c) => c.id)).toContain(change.data.changeId);
    expect(await problemOf(api.GET("/meters/{id}", { params: { path: { id: "EM-9999999" } } }))).toMatchObject({ status: 404, code: "not_found" });
    expect(await problemOf(api.GET("/meters/{id}", { params: { path: { id: "nope" } } }))).toMatchObject({ status: 400, code: "invalid" });

    const gateways = await api.GET("/gateways");
    expect(gateways.data.items.map((g) => g.gw)).toContain(gw);

    const matrix = await api.GET("/faults/matrix", { params: { query: { window: "7d" } } });
    expect(matrix.data.rows.length).toBeGreaterThan(5);
    const root = await api.GET("/faults/{code}/root-cause", { params: { path: { code: matrix.data.rows[0]!.id } } });
    expect(root.data.signature.id).toBe(matrix.data.rows[0]!.id);
    expect(await problemOf(api.GET("/faults/{code}/root-cause", { params: { path: { code: "NO_SUCH_CODE" } } }))).toMatchObject({ status: 404 });

    // writeFleet's heartbeats are an hour before "now".
    const from = new Date(Date.now() - 3 * 3_600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const search = await api.GET("/logs/search", { params: { query: { q: "code:HEARTBEAT", from, to, limit: 100 } } });
    expect(search.data.items).toHaveLength(100);
    expect(search.data.next).toContain("cursor=");
    const second = await inProcessFetch(`${TEST_ORIGIN}${search.data.next!}`, { headers: { authorization: `Bearer ${tokens.admin}` } });
    const secondPage = (await second.json()) as { items: { id: string }[] };
    expect(secondPage.items[0]!.id).not.toBe(search.data.items[0]!.id);
    expect(await problemOf(api.GET("/logs/search", { params: { query: { q: "code:(", from, to } } }))).toMatchObject({ status: 400, code: "query_syntax" });
    const histogram = await api.GET("/logs/histogram", { params: { query: { q: "code:HEARTBEAT", from, to } } });
    expect(histogram.data.total).toBe(METERS);
    const csv = await (await api.stream("/logs/export", { params: { query: { q: "code:HEARTBEAT", from, to, format: "csv" } } })).text();
    expect(csv.trim().split("\n")).toHaveLength(METERS + 1);

    const ingest = await api.GET("/ingest/sources");
    expect(ingest.data).toHaveProperty("sources");
  });

  it("work orders: list, get, complete with readings; a technician's token completes, a viewer's reads but cannot complete", async () => {
    const meterId = getMeter(fleet, 1).id;
    const wo = await env.db.workOrder.create({ data: { meterId, jobType: "calibrate", reason: "drift" } });
    const tech = client(tokens.technician);
    const list = await tech.GET("/work-orders", { params: { query: { status: "open", meterId } } });
    expect(list.data.items.map((w) => w.id)).toEqual([wo.id]);
    expect((await tech.GET("/work-orders/{id}", { params: { path: { id: wo.id } } })).data.status).toBe("open");
    expect(await problemOf(tech.POST("/work-orders/{id}/complete", { params: { path: { id: wo.id } }, body: { outcome: "done" } }))).toMatchObject({
      status: 400,
      detail: expect.stringMatching(/needs the measured errors/),
    });
    const done = await tech.POST("/work-orders/{id}/complete", {
      params: { path: { id: wo.id } },
      body: { outcome: "done", readings: { err15A: 0.1, err30A: -0.05, err60A: 0.12 } },
    });
    expect(done.data.workOrder.status).toBe("done");
    expect(done.data.withinEnvelope).toBe(true);
    expect(done.data.workOrder).toMatchObject({ outcome: "fixed", completedByEmail: expect.stringContaining("@"), readings: { err15A: 0.1, err30A: -0.05, err60A: 0.12 } });
    // Viewers read work orders (the NOC sees whether a crew was sent) but cannot close them.
    const viewer = client(tokens.viewer);
    expect((await viewer.GET("/work-orders", { params: { query: { meterId } } })).data.items.map((w) => w.id)).toEqual([wo.id]);
    const other = await env.db.workOrder.create({ data: { meterId, jobType: "inspect", reason: "drift" } });
    expect(await problemOf(viewer.POST("/work-orders/{id}/complete", { params: { path: { id: other.id } }, body: { outcome: "cancelled" } }))).toMatchObject({
      status: 403,
      code: "forbidden",
    });
  });

  it("cheap reads carry a weak ETag; If-None-Match gives 304", async () => {
    const headers = { authorization: `Bearer ${tokens.viewer}` };
    const first = await contractFetch(`${TEST_ORIGIN}/api/v1/campaigns?limit=5`, { headers });
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^W\/"/);
    expect(first.headers.get("x-request-id")).toBeTruthy();
    const again = await contractFetch(`${TEST_ORIGIN}/api/v1/campaigns?limit=5`, { headers: { ...headers, "if-none-match": etag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
  });
});

describe("maintenance schedule through the API", () => {
  it("plans (create, get, list, update with before/after, stale update refused), run now, runs, due list paging, forecast, what-if, crews, route assignment", async () => {
    resetRateLimits();
    const api = client(tokens.operator);
    const spec = {
      name: "API water inspection",
      jobType: "inspect" as const,
      scope: { kinds: ["water" as const] },
      rule: { kind: "interval" as const, baseMonths: 1, floorMonths: 1 },
      lookaheadDays: 60,
    };
    const created = await api.POST("/maintenance/plans", { body: { spec }, idempotencyKey: "plan-create-0001" });
    expect(created.response.status).toBe(201);
    expect(created.data).toMatchObject({ name: spec.name, enabled: true, scope: { kinds: ["water"] }, links: { console: `/schedule/plans/${created.data.id}` } });
    const planId = created.data.id;
    expect((await api.GET("/maintenance/plans/{id}", { params: { path: { id: planId } } })).data.updatedAt).toBe(created.data.updatedAt);
    const plans = await client(tokens.viewer).GET("/maintenance/plans");
    expect(plans.data.items.map((p) => p.name)).toEqual(expect.arrayContaining(["Inspection", "Certificate renewal", spec.name]));
    expect(await problemOf(api.GET("/maintenance/plans/{id}", { params: { path: { id: "no-such-plan" } } }))).toMatchObject({ status: 404, code: "not_found" });

    // Update: the lib's validation (a plan needs a rule) and its optimistic check, with the trail's before/after.
    expect(await problemOf(api.POST("/maintenance/plans/{id}", { params: { path: { id: planId } }, body: { spec: { ...spec, rule: undefined } as never } }))).toMatchObject({
      status: 400,
      code: "invalid",
    });
    const updated = await api.POST("/maintenance/plans/{id}", {
      params: { path: { id: planId } },
      body: { updatedAt: created.data.updatedAt, spec: { ...spec, lookaheadDays: 90 } },
    });
    expect(updated.data.lookaheadDays).toBe(90);
    expect(
      await problemOf(api.POST("/maintenance/plans/{id}", { params: { path: { id: planId } }, body: { updatedAt: created.data.updatedAt, spec: { ...spec, lookaheadDays: 10 } } })),
    ).toMatchObject({ status: 409, code: "conflict" });
    const [change] = await env.db.activityEvent.findMany({ where: { action: "schedule.plan.update", target: planId, outcome: "ok" } });
    expect(change!.actorId).toBe(users.operator.id);
    expect(change!.details).toMatchObject({ before: { lookaheadDays: 60 }, after: { lookaheadDays: 90 } });

    const run = await api.POST("/maintenance/plans/{id}/run", { params: { path: { id: planId } } });
    expect(run.data.planId).toBe(planId);
    expect(run.data.workOrders).toBeGreaterThan(0);
    const runs = await client(tokens.viewer).GET("/maintenance/runs", { params: { query: { planId } } });
    expect(runs.data.items.map((r) => r.id)).toEqual([run.data.runId]);
    expect(runs.data.items[0]).toMatchObject({ status: "done", workOrders: run.data.workOrders });

    // The due list: the page's filters, and following `next` gives each row once.
    const due = await api.GET("/maintenance/due", { params: { query: { status: "all", plan: planId, sort: "meter", limit: 5 } } });
    expect(due.data.total).toBeGreaterThan(5);
    expect(due.data.items.every((r) => r.planId === planId && r.kind === "water")).toBe(true);
    expect(due.data.next).toContain("cursor=");
    const seen: string[] = [];
    let next: string | null = `/maintenance/due?status=all&plan=${planId}&sort=meter&limit=5`;
    while (next) {
      const res = await contractFetch(`${TEST_ORIGIN}/api/v1${next.replace(/^\/api\/v1/, "")}`, { headers: { authorization: `Bearer ${tokens.viewer}` } });
      const page = (await res.json()) as { items: { meterId: string }[]; next: string | null };
      seen.push(...page.items.map((r) => r.meterId));
      next = page.next;
    }
    expect(seen).toHaveLength(due.data.total);
    expect(new Set(seen).size).toBe(due.data.total);
    expect(seen).toEqual([...seen].sort());
    expect(await problemOf(api.GET("/maintenance/due", { params: { query: { status: "soon" as never } } }))).toMatchObject({ status: 400, code: "invalid" });

    const district = "API district";
    const crew = await api.POST("/maintenance/crews", { body: { district, technicians: 3, hoursPerWeek: 35 } });
    expect(crew.data).toMatchObject({ district, technicians: 3, hoursPerWeek: 35 });
    const forecast = await client(tokens.viewer).GET("/maintenance/forecast");
    expect(forecast.data.weekStarts).toHaveLength(52);
    expect(forecast.data.totals.jobs).toBeGreaterThan(0);
    expect(forecast.data.crews).toContainEqual(expect.objectContaining({ district, technicians: 3 }));
    const whatIf = await client(tokens.viewer).POST("/maintenance/what-if", { body: { planId, spec: { ...spec, rule: { kind: "interval", baseMonths: 240 } } } });
    expect(whatIf.data.after.jobs).toBeLessThan(whatIf.data.before.jobs);

    const orders = await env.db.workOrder.findMany({ where: { status: "open", jobType: "inspect" }, take: 3, orderBy: { id: "asc" } });
    expect(orders).toHaveLength(3);
    const assigned = await api.POST("/maintenance/routes/assign", { body: { workOrderIds: orders.map((o) => o.id), technicianId: users.technician.id } });
    expect(assigned.data.assigned).toBe(3);
    // Today's routes of the first order's district: every stop an open field order there, the assignment shown.
    const routeDistrict = due.data.items[0]!.district;
    const routes = await client(tokens.technician).GET("/maintenance/routes", { params: { query: { district: routeDistrict } } });
    const stops = routes.data.routes.flatMap((r) => r.orders);
    expect(stops.length).toBeGreaterThan(0);
    expect(stops.every((o) => o.district === routeDistrict && o.jobType === "inspect")).toBe(true);
    expect(routes.data.technicians.map((t) => t.id)).toContain(users.technician.id);
    // Viewers read routes as they read work orders; assigning one is an operator's change.
    expect((await client(tokens.viewer).GET("/maintenance/routes", { params: { query: { district: routeDistrict } } })).data.routes.length).toBe(routes.data.routes.length);
    expect(await problemOf(client(tokens.viewer).POST("/maintenance/routes/assign", { body: { workOrderIds: [orders[0]!.id], technicianId: users.technician.id } }))).toMatchObject(
      { status: 403 },
    );
    const compliance = await client(tokens.viewer).GET("/maintenance/compliance", { params: { query: { group: "zone" } } });
    expect(compliance.data.rows.filter((r) => r.planId === planId).every((r) => r.planName === spec.name && r.meters > 0)).toBe(true);
    expect(compliance.data.rows.some((r) => r.planId === planId)).toBe(true);
    expect(await problemOf(api.POST("/maintenance/routes/assign", { body: { workOrderIds: [orders[0]!.id], technicianId: users.viewer.id } }))).toMatchObject({
      status: 400,
      detail: "Not an active technician.",
    });
  });
});

describe("alerts through the API", () => {
  it("rules (create, preview, list, get, update, delete), alerts by view, get, acknowledge with a note, history paging, silences", async () => {
    resetRateLimits();
    const api = client(tokens.operator);
    const ruleBody = { name: "API certificates", severity: "critical" as const, definition: { kind: "cert_expiry" as const, params: { withinDays: 30 } } };
    const preview = await client(tokens.viewer).POST("/alerts/rules/preview", { body: ruleBody });
    expect(preview.data).toMatchObject({ isCurrentOnly: true, ticks: 1 });
    const rule = await api.POST("/alerts/rules", { body: ruleBody, idempotencyKey: "rule-create-0001" });
    expect(rule.response.status).toBe(201);
    expect(rule.data).toMatchObject({
      name: ruleBody.name,
      kind: "cert_expiry",
      severity: "critical",
      params: { withinDays: 30, groupBy: "gateway" },
      createdByEmail: users.operator.email,
    });
    const ruleId = rule.data.id;
    expect((await client(tokens.viewer).GET("/alerts/rules")).data.items.map((r) => r.id)).toContain(ruleId);
    expect((await api.GET("/alerts/rules/{id}", { params: { path: { id: ruleId } } })).data.name).toBe(ruleBody.name);
    const updated = await api.POST("/alerts/rules/{id}", { params: { path: { id: ruleId } }, body: { ...ruleBody, severity: "warning", forSeconds: 120 } });
    expect(updated.data).toMatchObject({ severity: "warning", forSeconds: 120 });
    expect(await env.db.activityEvent.findFirst({ where: { action: "alerts.rule.update", target: `alert-rule:${ruleId}` } })).toMatchObject({
      details: { before: { severity: "critical" }, after: { severity: "warning" } },
    });
    expect(await problemOf(api.POST("/alerts/rules", { body: { ...ruleBody, runbookUrl: "javascript:alert(1)" } }))).toMatchObject({ status: 400, code: "invalid" });

    // Alerts as the evaluator writes them: one firing, one pending.
    const gw = fleet.gateways[0]!.id;
    const firing = await env.db.alert.create({
      data: {
        ruleId,
        fingerprint: `${ruleId}|${gw}`,
        groupKey: gw,
        labels: { gateway: gw },
        state: "firing",
        severity: "warning",
        value: 4,
        summary: "4 certificates expire",
        firedAt: new Date(),
      },
    });
    await env.db.alert.create({
      data: {
        ruleId,
        fingerprint: `${ruleId}|pending`,
        groupKey: "pending",
        labels: { gateway: "pending" },
        state: "pending",
        severity: "warning",
        value: 1,
        summary: "1",
        pendingSince: new Date(),
      },
    });
    const viewer = client(tokens.viewer);
    const list = await viewer.GET("/alerts", { params: { query: { view: "firing" } } });
    expect(list.data.items.map((a) => a.id)).toEqual([firing.id]);
    expect(list.data.counts).toMatchObject({ firing: 1, pending: 1 });
    expect((await viewer.GET("/alerts", { params: { query: { view: "pending" } } })).data.items.map((a) => a.summary)).toEqual(["1"]);
    expect((await viewer.GET("/alerts/{id}", { params: { path: { id: firing.id } } })).data).toMatchObject({ ruleName: ruleBody.name, labels: { gateway: gw } });
    expect(await problemOf(viewer.POST("/alerts/{id}/acknowledge", { params: { path: { id: firing.id } }, body: { note: "looking" } }))).toMatchObject({ status: 403 });
    expect(await problemOf(api.POST("/alerts/{id}/acknowledge", { params: { path: { id: firing.id } }, body: { note: " " } }))).toMatchObject({ status: 400 });
    const acked = await api.POST("/alerts/{id}/acknowledge", { params: { path: { id: firing.id } }, body: { note: "crew sent to renew" } });
    expect(acked.data).toMatchObject({ acknowledgedByEmail: users.operator.email, ackNote: "crew sent to renew" });

    // History: events at one instant still page once each (keyset on time, then id).
    const at = new Date();
    await env.db.alertEvent.createMany({ data: Array.from({ length: 5 }, (_, i) => ({ alertId: firing.id, ruleId, type: "firing", at, summary: `tick ${i}` })) });
    const history = await viewer.GET("/alerts/history", { params: { query: { limit: 2 } } });
    expect(history.data.items).toHaveLength(2);
    const events: string[] = [];
    let next: string | null = "/alerts/history?limit=2";
    while (next) {
      const res = await contractFetch(`${TEST_ORIGIN}/api/v1${next.replace(/^\/api\/v1/, "")}`, { headers: { authorization: `Bearer ${tokens.viewer}` } });
      const page = (await res.json()) as { items: { id: string; type: string; note: string | null }[]; next: string | null };
      events.push(...page.items.map((e) => e.id));
      next = page.next;
    }
    const total = await env.db.alertEvent.count();
    expect(events).toHaveLength(total);
    expect(new Set(events).size).toBe(total);
    expect(await env.db.alertEvent.count({ where: { type: "acknowledged", note: "crew sent to renew" } })).toBe(1);

    const silence = await api.POST("/alerts/silences", {
      body: { matchers: [{ label: "gateway", value: gw }], startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 3_600_000).toISOString(), comment: "planned works" },
    });
    expect(silence.response.status).toBe(201);
    expect((await viewer.GET("/alerts/silences")).data.items.map((s) => s.id)).toContain(silence.data.id);
    expect(
      await problemOf(
        api.POST("/alerts/silences", { body: { matchers: [{ label: "gateway", value: gw }], startsAt: new Date().toISOString(), endsAt: "2000-01-01T00:00:00Z", comment: "x" } }),
      ),
    ).toMatchObject({ status: 400, code: "invalid" });
    const expired = await api.POST("/alerts/silences/{id}/expire", { params: { path: { id: silence.data.id } } });
    expect(new Date(expired.data.endsAt).getTime()).toBeLessThanOrEqual(Date.now());

    expect((await api.POST("/alerts/rules/{id}/delete", { params: { path: { id: ruleId } } })).data).toEqual({ id: ruleId, deleted: true });
    expect(await problemOf(api.GET("/alerts/rules/{id}", { params: { path: { id: ruleId } } }))).toMatchObject({ status: 404 });
    expect(await problemOf(api.GET("/alerts/{id}", { params: { path: { id: firing.id } } }))).toMatchObject({ status: 404 });
  });
});

/** A request each endpoint accepts from a role that may call it (ids that exist or, for writes, that do not: no change). */
function sampleCall(operationId: string): { path: Record<string, string>; query?: Record<string, string>; body?: unknown } {
  const meterId = getMeter(fleet, 2).id;
  const from = new Date(Date.now() - 3 * 3_600_000).toISOString();
  const to = new Date().toISOString();
  const missingCampaign = "zzzzzzzzzzzzzzzz";
  const planSpec = { name: "matrix plan", jobType: "inspect", rule: { kind: "interval", baseMonths: 24 }, enabled: false };
  const alertRule = { name: "matrix rule", definition: { kind: "cert_expiry", params: {} } };
  const samples: Record<string, { path: Record<string, string>; query?: Record<string, string>; body?: unknown }> = {
    listCampaigns: { path: {} },
    getCampaign: { path: { id: missingCampaign } },
    previewCampaign: { path: {}, body: { jobType: "fw_verify", targetQuery: { meters: [meterId] } } },
    createCampaign: { path: {}, body: { name: "matrix", jobType: "fw_verify", targetQuery: { meters: [meterId] } } },
    getCampaignProgress: { path: { id: missingCampaign } },
    getCampaignOutcomes: { path: { id: missingCampaign } },
    getCampaignFindings: { path: { id: missingCampaign } },
    listWorkOrders: { path: {} },
    getWorkOrder: { path: { id: "missing-work-order" } },
    completeWorkOrder: { path: { id: "missing-work-order" }, body: { outcome: "cancelled" } },
    listMeters: { path: {}, query: { kind: "water" } },
    getMeter: { path: { id: meterId } },
    getMeterState: { path: { id: meterId } },
    getMeterHistory: { path: { id: meterId } },
    updateMeterConstants: { path: { id: "EM-9999999" }, body: { constants: { pulseConstant: 1000, gainCorrection: 1, phaseCorrectionDeg: 0 }, reason: "matrix check" } },
    listGateways: { path: {} },
    getFaultMatrix: { path: {} },
    getFaultRootCause: { path: { code: "E105" } },
    searchLogs: { path: {}, query: { q: "code:HEARTBEAT", from, to, limit: "5" } },
    getLogHistogram: { path: {}, query: { q: "", from, to } },
    exportLogs: { path: {}, query: { q: "code:NONE_SUCH", from, to, format: "ndjson" } },
    listIngestSources: { path: {} },
    listMaintenancePlans: { path: {} },
    getMaintenancePlan: { path: { id: "no-such-plan" } },
    createMaintenancePlan: { path: {}, body: { spec: { ...planSpec, name: "matrix" } } },
    updateMaintenancePlan: { path: { id: "no-such-plan" }, body: { spec: planSpec } },
    runMaintenancePlan: { path: { id: "no-such-plan" } },
    listMaintenancePlanRuns: { path: {}, query: { limit: "5" } },
    listMaintenanceDueItems: { path: {}, query: { status: "due", limit: "5" } },
    getMaintenanceForecast: { path: {} },
    getMaintenanceCompliance: { path: {}, query: { group: "model" } },
    getMaintenanceRoutes: { path: {}, query: { district: "Matrix district" } },
    previewMaintenanceWhatIf: { path: {}, body: { spec: planSpec } },
    setMaintenanceCrewCapacity: { path: {}, body: { district: "Matrix district", technicians: 1, hoursPerWeek: 10 } },
    assignMaintenanceRoute: { path: {}, body: { workOrderIds: ["missing-work-order"], technicianId: null } },
    listAlerts: { path: {}, query: { view: "pending" } },
    listAlertHistory: { path: {}, query: { limit: "5" } },
    getAlert: { path: { id: "no-such-alert" } },
    acknowledgeAlert: { path: { id: "no-such-alert" }, body: { note: "matrix" } },
    listAlertRules: { path: {} },
    getAlertRule: { path: { id: "no-such-rule" } },
    createAlertRule: { path: {}, body: { ...alertRule, enabled: false } },
    previewAlertRule: { path: {}, body: alertRule },
    updateAlertRule: { path: { id: "no-such-rule" }, body: alertRule },
    deleteAlertRule: { path: { id: "no-such-rule" } },
    listSilences: { path: {} },
    createSilence: { path: {}, body: { matchers: [{ label: "gateway", value: "GW-none" }], startsAt: from, endsAt: to, comment: "matrix" } },
    expireSilence: { path: { id: "no-such-silence" } },
  };
  for (const action of ["start", "approve", "pause", "resume", "skip", "abort", "retry-failed"]) samples[`${action}`] = { path: { id: missingCampaign } };
  const steering = API_ENDPOINTS.find((e) => e.operationId === operationId && e.path.startsWith("/campaigns/{id}/") && e.method === "POST");
  if (steering) return { path: { id: missingCampaign } };
  const s = samples[operationId];
  if (!s) throw new Error(`no sample call for ${operationId}`);
  return s;
}

async function callAs(token: string, operationId: string) {
  const e = API_ENDPOINTS.find((x) => x.operationId === operationId)!;
  const s = sampleCall(operationId);
  const path = e.path.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(s.path[k]!));
  const qs = new URLSearchParams(s.query ?? {}).toString();
  const res = await contractFetch(`${TEST_ORIGIN}/api/v1${path}${qs ? `?${qs}` : ""}`, {
    method: e.method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: e.method === "POST" ? JSON.stringify(s.body ?? {}) : undefined,
  });
  const body = /^application\/(problem\+)?json/.test(res.headers.get("content-type") ?? "") ? await res.json() : await res.text();
  return { status: res.status, body };
}

describe("role x endpoint matrix for tokens", () => {
  it("each role's token on each endpoint: allowed (never 401/403) exactly when the permission table says so, else 403 forbidden", async () => {
    resetRateLimits();
    const rows: string[] = [];
    for (const e of API_ENDPOINTS) {
      for (const role of ROLES) {
        const { status, body } = await callAs(tokens[role], e.operationId);
        const allowed = can(role, e.permission);
        rows.push(`${e.operationId} ${role} ${status}`);
        if (allowed) expect([401, 403], `${e.operationId} as ${role}: ${JSON.stringify(body)}`).not.toContain(status);
        else {
          expect(status, `${e.operationId} as ${role}`).toBe(403);
          expect((body as { code: string }).code).toBe("forbidden");
        }
        expect(status, `${e.operationId} as ${role}: ${JSON.stringify(body)}`).toBeLessThan(500);
      }
    }
    expect(rows).toHaveLength(API_ENDPOINTS.length * ROLES.length);
  });

  it("a read-only token reads (and previews) but every change is 403 read_only_token", async () => {
    resetRateLimits();
    for (const e of API_ENDPOINTS) {
      const { status, body } = await callAs(tokens.readOnly, e.operationId);
      if (e.isRead) expect([401, 403], `${e.operationId}: ${JSON.stringify(body)}`).not.toContain(status);
      else expect([status, (body as { code: string }).code], e.operationId).toEqual([403, "read_only_token"]);
    }
  });

  it("no token, an unknown, an expired and a revoked token get 401 problems with their type", async () => {
    const expired = await createApiToken({ name: "expired", role: "viewer", expiresInDays: 1 }, users.viewer, { now: new Date(Date.now() - 3 * 86_400_000) });
    const revoked = await createApiToken({ name: "revoked", role: "viewer" }, users.viewer);
    await env.db.apiToken.update({ where: { id: revoked.id }, data: { revokedAt: new Date() } });
    const cases: [string | null, string][] = [
      [null, "unauthenticated"],
      ["ami_api_unknown", "unauthenticated"],
      [expired.token, "token_expired"],
      [revoked.token, "token_revoked"],
    ];
    for (const [token, code] of cases) {
      const res = await contractFetch(`${TEST_ORIGIN}/api/v1/campaigns`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(await res.json()).toMatchObject({ type: `urn:ami:problem:${code}`, status: 401, code, instance: "/api/v1/campaigns" });
    }
    const unknownPath = await inProcessFetch(`${TEST_ORIGIN}/api/v1/nothing-here`, { headers: { authorization: `Bearer ${tokens.viewer}` } });
    expect(unknownPath.status).toBe(404);
    expect((await unknownPath.json()).code).toBe("no_such_endpoint");
  });
});

describe("rate limits", () => {
  it("a token gets RATE_LIMIT calls a minute, then 429 with Retry-After and RateLimit-* headers; another token is not affected", async () => {
    resetRateLimits();
    const token = (await createApiToken({ name: "chatty", role: "viewer" }, users.viewer)).token;
    const headers = { authorization: `Bearer ${token}` };
    const first = await inProcessFetch(`${TEST_ORIGIN}/api/v1/campaigns?limit=1`, { headers });
    expect(first.headers.get("ratelimit-limit")).toBe(String(RATE_LIMIT));
    expect(first.headers.get("ratelimit-remaining")).toBe(String(RATE_LIMIT - 1));
    // The bucket refills as the calls run (2 a second), so the 429 comes a few calls after RATE_LIMIT.
    let ok = 1;
    let refused: Response | null = null;
    while (!refused && ok < RATE_LIMIT * 2) {
      const res = await contractFetch(`${TEST_ORIGIN}/api/v1/campaigns?limit=1`, { headers });
      if (res.status === 429) refused = res;
      else ok++;
    }
    expect(ok).toBeGreaterThanOrEqual(RATE_LIMIT);
    expect(ok).toBeLessThan(RATE_LIMIT * 1.5);
    if (!refused) throw new Error("never rate limited");
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get("ratelimit-remaining")).toBe("0");
    expect((await refused.json()).type).toBe("urn:ami:problem:rate_limited");
    const other = await inProcessFetch(`${TEST_ORIGIN}/api/v1/campaigns?limit=1`, { headers: { authorization: `Bearer ${tokens.viewer}` } });
    expect(other.status).toBe(200);
  });
});

describe("contract coverage", () => {
  it("every endpoint answered at least once with a success that fits the document", () => {
    const succeeded = new Set([...contract.seen].filter((s) => /\s(200|201)$/.test(s)).map((s) => s.split(" ")[0]));
    expect(API_ENDPOINTS.map((e) => e.operationId).filter((id) => !succeeded.has(id))).toEqual([]);
  });
});
