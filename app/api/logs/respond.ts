// Shared edge of the log API: auth first, then the request, then lib; errors through lib/http/errors.
import "server-only";
import { NextResponse } from "next/server";
import { requirePermission, type SessionUser } from "@/lib/auth/session";
import type { Permission } from "@/lib/auth/permissions";
import { errorResponse as mapError } from "@/lib/http/errors";
import { parseLogApiRequest, type LogApiError, type LogApiRequest } from "@/lib/logs/request";

/** A request the log API refuses before running it (syntax errors carry their position). */
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
    return mapError(err, { signal: request.signal, tag: "logs api", body: "kind" });
  }
}
