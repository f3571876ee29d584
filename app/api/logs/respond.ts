// Shared edge mapping for the log API: auth first, then the request, then lib; errors -> JSON status.
import "server-only";
import { NextResponse } from "next/server";
import { requirePermission, type SessionUser } from "@/lib/auth/session";
import type { Permission } from "@/lib/auth/permissions";
import { QueryLimitError } from "@/lib/clickhouse/client";
import { isAppError } from "@/lib/errors";
import { parseLogApiRequest, type LogApiError, type LogApiRequest } from "@/lib/logs/request";

export function errorResponse(error: LogApiError, status: number): NextResponse {
  return NextResponse.json({ error }, { status, headers: { "cache-control": "no-store" } });
}

/** Run a log API handler: permission check, request parsing, and one mapping of every error. */
export async function handleLogRequest(
  request: Request,
  permission: Permission,
  body: (input: LogApiRequest, signal: AbortSignal, user: SessionUser) => Promise<Response>,
): Promise<Response> {
  try {
    const user = await requirePermission(permission);
    const parsed = parseLogApiRequest(new URL(request.url).searchParams);
    if (!parsed.ok) return errorResponse(parsed.error, 400);
    return await body(parsed.value, request.signal, user);
  } catch (err) {
    return mapError(err, request.signal);
  }
}

export function mapError(err: unknown, signal?: AbortSignal): Response {
  if (isAppError(err)) {
    const retryAfter = err.details?.retryAfterSeconds;
    const headers: Record<string, string> = { "cache-control": "no-store" };
    if (retryAfter) headers["retry-after"] = String(retryAfter);
    return NextResponse.json({ error: { kind: err.code === "rate_limited" ? "limit" : "invalid", message: err.message } }, { status: err.status, headers });
  }
  if (err instanceof QueryLimitError) {
    const why = err.limit === "time" ? "it ran past the time limit" : `it hit the ${err.limit} limit`;
    return errorResponse({ kind: "limit", message: `The query was cancelled because ${why}: ${err.message}.` }, 422);
  }
  // The browser went away (a newer search replaced this one): nobody reads the answer.
  if (signal?.aborted) return new Response(null, { status: 499 });
  console.error("[logs api] unexpected error", err);
  return errorResponse({ kind: "invalid", message: "Something went wrong on the server; the details are in the server log." }, 500);
}
