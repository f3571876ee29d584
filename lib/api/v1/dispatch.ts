// The conventions of every /api/v1 call, in order: request id, bearer token,
// per-token rate limit, read-only and role checks (the lib/auth permission
// table: a token acts as its role), input parsing, Idempotency-Key on POSTs,
// the endpoint's handler, ETag on reads, problem+json for every error (through
// lib/http/errors.ts), and one operator-trail entry with the token's id.
import { createHash, randomUUID } from "node:crypto";
import { recordActivity, type ActivityOutcome } from "@/lib/activity/trail";
import { authenticateApiToken, type ApiPrincipal } from "@/lib/auth/api-tokens";
import { can } from "@/lib/auth/permissions";
import { env } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { problemResponse } from "@/lib/http/errors";
import type { Endpoint, HttpMethod } from "./endpoint";
import { IDEMPOTENCY_KEY_RE, requestHash, withIdempotency } from "./idempotency";
import { rateLimitHeaders, takeRateLimit } from "./rate-limit";

export const API_BASE = "/api/v1";
const REQUEST_ID_RE = /^[A-Za-z0-9._-]{8,64}$/;

interface CompiledRoute {
  endpoint: Endpoint;
  re: RegExp;
  names: string[];
}

export function compileRoutes(endpoints: readonly Endpoint[]): CompiledRoute[] {
  return endpoints.map((endpoint) => {
    const names: string[] = [];
    const pattern = endpoint.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{(\w+)\}/g, (_, n: string) => {
      names.push(n);
      return "([^/]+)";
    });
    return { endpoint, re: new RegExp(`^${pattern}$`), names };
  });
}

function matchRoute(routes: CompiledRoute[], method: string, path: string): { route: CompiledRoute; params: Record<string, string> } | "method" | null {
  let pathMatched = false;
  for (const route of routes) {
    const m = route.re.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (route.endpoint.method !== method) continue;
    const params: Record<string, string> = {};
    route.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
    return { route, params };
  }
  return pathMatched ? "method" : null;
}

/** First value of each query key (repeat keys are not part of this API). */
function queryObject(url: URL): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of url.searchParams) if (!(k in out)) out[k] = v;
  return out;
}

async function readJson(request: Request): Promise<unknown> {
  const text = await request.text();
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError("invalid", "The body is not valid JSON.");
  }
}

function weakEtag(text: string): string {
  return `W/"${createHash("sha256").update(text).digest("base64url").slice(0, 27)}"`;
}

function outcomeOf(status: number): ActivityOutcome {
  return status < 400 ? "ok" : status === 401 || status === 403 ? "denied" : "failed";
}

/** Handle one request below /api/v1 (`path` without the prefix). */
export async function dispatchApiRequest(request: Request, routes: CompiledRoute[], path: string): Promise<Response> {
  const started = Date.now();
  const url = new URL(request.url);
  const incoming = request.headers.get("x-request-id");
  const requestId = incoming && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
  const method = request.method.toUpperCase() as HttpMethod;
  const base: Record<string, string> = { "x-request-id": requestId };
  let principal: ApiPrincipal | null = null;
  let endpoint: Endpoint | null = null;
  let response: Response;
  try {
    // The token first: without one, not even which paths exist is told.
    const check = await authenticateApiToken(request.headers.get("authorization"));
    if (!check.ok) throw new AppError(check.status === 401 ? "unauthenticated" : "forbidden", check.error, { problem: check.code });
    principal = check.principal;

    const matched = matchRoute(routes, method, path);
    if (matched === null) throw new AppError("not_found", `No endpoint ${method} ${API_BASE}${path}; the list is at ${API_BASE}/openapi.json.`, { problem: "no_such_endpoint" });
    if (matched === "method") throw new AppError("invalid", `${API_BASE}${path} does not take ${method}.`, { problem: "method_not_allowed" });
    endpoint = matched.route.endpoint;

    const limit = takeRateLimit(principal.tokenId, env.API_RATE_LIMIT_PER_MINUTE);
    Object.assign(base, rateLimitHeaders(limit));
    if (!limit.allowed)
      throw new AppError("rate_limited", `This token may make ${limit.limit} calls a minute; retry in ${limit.retryAfterSeconds} s.`, {
        retryAfterSeconds: limit.retryAfterSeconds,
      });
    if (!endpoint.isRead && principal.readOnly)
      throw new AppError("forbidden", `Token ${principal.tokenName} is read-only; ${endpoint.operationId} changes things.`, { problem: "read_only_token" });
    if (!can(principal.role, endpoint.permission))
      throw new AppError("forbidden", `This token's role (${principal.role}) may not do this (${endpoint.permission}).`, { problem: "forbidden" });

    const params = endpoint.params ? endpoint.params.parse(matched.params) : undefined;
    const query = endpoint.query ? endpoint.query.parse(queryObject(url)) : undefined;
    const rawBody = method === "POST" ? await readJson(request) : undefined;
    const body = endpoint.body ? endpoint.body.parse(rawBody) : undefined;
    const key = method === "POST" ? request.headers.get("idempotency-key") : null;
    if (key !== null && !IDEMPOTENCY_KEY_RE.test(key)) throw new AppError("invalid", "Idempotency-Key: 8-128 characters of A-Z a-z 0-9 _ . : -", { problem: "invalid" });
    const ctx = { params, query, body, principal, actor: principal.actor, request, url, requestId, idempotencyKey: key };
    const ep = endpoint;

    if (key) {
      const answer = await withIdempotency({ tokenId: principal.tokenId, key, hash: requestHash(method, path, rawBody) }, async () => ({
        status: ep.successStatus,
        body: JSON.parse(JSON.stringify(await ep.handler(ctx))),
      }));
      response = json(answer.status, answer.body, { ...base, ...(answer.replayed ? { "idempotent-replayed": "true" } : {}) });
    } else {
      const result = await ep.handler(ctx);
      if (result instanceof Response) {
        for (const [k, v] of Object.entries(base)) result.headers.set(k, v);
        response = result;
      } else if (ep.hasEtag) {
        const text = JSON.stringify(result);
        const etag = weakEtag(text);
        const headers = { ...base, etag, "cache-control": "private, no-cache" };
        response = request.headers.get("if-none-match") === etag ? new Response(null, { status: 304, headers }) : json(ep.successStatus, text, headers, true);
      } else response = json(ep.successStatus, result, base);
    }
  } catch (err) {
    if (!principal) base["www-authenticate"] = 'Bearer realm="ami"';
    response = problemResponse(err, { signal: request.signal, tag: "api v1", requestId, instance: `${API_BASE}${path}`, headers: base });
  }
  const operation = endpoint ? endpoint.operationId : "unknown";
  console.log(`[api v1] ${requestId} ${method} ${API_BASE}${path} ${response.status} ${Date.now() - started}ms token=${principal?.tokenId ?? "-"} op=${operation}`);
  await recordActivity({
    actor: principal ? { id: principal.actor.id, email: principal.actor.email } : null,
    action: "api.call",
    target: `${method} ${API_BASE}${endpoint?.path ?? path}`,
    outcome: outcomeOf(response.status),
    ip: request.headers.get("x-ami-client-ip"),
    details: { tokenId: principal?.tokenId ?? null, requestId, operationId: operation, status: response.status, path: `${API_BASE}${path}` },
  }).catch((err) => console.error(`[api v1] ${requestId} audit record failed`, err));
  return response;
}

function json(status: number, body: unknown, headers: Record<string, string>, isText = false): Response {
  return new Response(isText ? (body as string) : JSON.stringify(body), { status, headers: { "content-type": "application/json", "cache-control": "no-store", ...headers } });
}
