// The one mapping of an error to an HTTP answer, for every route handler:
// AppError -> its status (a 404 is a 404), a ClickHouse limit -> 422, bad
// input -> 400, a request the browser gave up on -> 499, anything else -> 500
// with a generic message and the detail in the server log.
import "server-only";
import { NextResponse } from "next/server";
import { QueryLimitError } from "@/lib/clickhouse/client";
import { isAppError } from "@/lib/errors";

/** What went wrong, for clients that branch on it (the log explorer shows limits apart). */
export type HttpErrorKind = "invalid" | "limit" | "not_found" | "denied" | "unavailable" | "internal";

export interface ErrorResponseOptions {
  /** The request's signal: an aborted request gets 499 and is not logged. */
  signal?: AbortSignal;
  /** Log prefix for unexpected errors, e.g. "logs api". */
  tag?: string;
  /**
   * Body shape: "message" is `{ error: "…" }` (map and fleet clients), "kind" is
   * `{ error: { kind, message } }` (the log API and the campaign outcomes).
   */
  body?: "message" | "kind";
}

const GENERIC = "Something went wrong on the server; the details are in the server log.";

/** A JSON error answer in the chosen body shape; never cached. */
export function jsonError(status: number, kind: HttpErrorKind, message: string, body: "message" | "kind" = "message", headers: Record<string, string> = {}): NextResponse {
  return NextResponse.json(body === "kind" ? { error: { kind, message } } : { error: message }, { status, headers: { "cache-control": "no-store", ...headers } });
}

export function errorResponse(err: unknown, opts: ErrorResponseOptions = {}): Response {
  const body = opts.body ?? "message";
  if (isAppError(err)) {
    const retryAfter = err.details?.retryAfterSeconds;
    return jsonError(err.status, kindOf(err.code), err.message, body, retryAfter ? { "retry-after": String(retryAfter) } : {});
  }
  if (err instanceof QueryLimitError) {
    const why = err.limit === "time" ? "it ran past the time limit" : `it hit the ${err.limit} limit`;
    return jsonError(422, "limit", `The query was cancelled because ${why}: ${err.message}.`, body);
  }
  if (err instanceof Error && err.name === "ZodError") {
    const issue = (err as Error & { issues?: { path: PropertyKey[]; message: string }[] }).issues?.[0];
    return jsonError(400, "invalid", issue ? `invalid input: ${issue.path.map(String).join(".") || "request"}: ${issue.message}` : "invalid input", body);
  }
  // The browser went away (a newer request replaced this one): nobody reads the answer.
  if (opts.signal?.aborted) return new Response(null, { status: 499 });
  console.error(`[${opts.tag ?? "api"}] unexpected error`, err);
  return jsonError(500, "internal", GENERIC, body);
}

function kindOf(code: string): HttpErrorKind {
  switch (code) {
    case "not_found":
      return "not_found";
    case "rate_limited":
    case "too_large":
      return "limit";
    case "unauthenticated":
    case "forbidden":
      return "denied";
    case "unavailable":
      return "unavailable";
    default:
      return "invalid";
  }
}
