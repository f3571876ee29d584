// The one mapping of an error to an HTTP answer, for every route handler:
// AppError -> its status (a 404 is a 404), a ClickHouse limit -> 422, bad
// input -> 400, a request the browser gave up on -> 499, anything else -> 500
// with a generic message and the detail in the server log. classifyError does
// it once; errorResponse shapes it as the console's JSON, problemResponse as
// RFC 9457 problem+json for /api/v1.
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

/** An error classified once: what both answer shapes (JSON error, problem+json) are built from. */
export interface ClassifiedError {
  status: number;
  kind: HttpErrorKind;
  /** Stable machine code: the AppError code, or a `problem` detail that refines it (token_expired). */
  code: string;
  message: string;
  headers: Record<string, string>;
}

/** null: the browser went away (499, nobody reads the answer). Unexpected errors are logged here. */
export function classifyError(err: unknown, opts: Pick<ErrorResponseOptions, "signal" | "tag"> = {}): ClassifiedError | null {
  if (isAppError(err)) {
    const retryAfter = err.details?.retryAfterSeconds;
    const problem = typeof err.details?.problem === "string" ? err.details.problem : err.code;
    return { status: err.status, kind: kindOf(err.code), code: problem, message: err.message, headers: retryAfter ? { "retry-after": String(retryAfter) } : {} };
  }
  if (err instanceof QueryLimitError) {
    const why = err.limit === "time" ? "it ran past the time limit" : `it hit the ${err.limit} limit`;
    return { status: 422, kind: "limit", code: "query_limit", message: `The query was cancelled because ${why}: ${err.message}.`, headers: {} };
  }
  if (err instanceof Error && err.name === "ZodError") {
    const issue = (err as Error & { issues?: { path: PropertyKey[]; message: string }[] }).issues?.[0];
    return {
      status: 400,
      kind: "invalid",
      code: "invalid",
      message: issue ? `invalid input: ${issue.path.map(String).join(".") || "request"}: ${issue.message}` : "invalid input",
      headers: {},
    };
  }
  // The browser went away (a newer request replaced this one): nobody reads the answer.
  if (opts.signal?.aborted) return null;
  console.error(`[${opts.tag ?? "api"}] unexpected error`, err);
  return { status: 500, kind: "internal", code: "internal", message: GENERIC, headers: {} };
}

export function errorResponse(err: unknown, opts: ErrorResponseOptions = {}): Response {
  const c = classifyError(err, opts);
  if (!c) return new Response(null, { status: 499 });
  return jsonError(c.status, c.kind, c.message, opts.body ?? "message", c.headers);
}

/** The stable `type` of a problem (RFC 9457): a URN per code, listed in the API reference. */
export function problemType(code: string): string {
  return `urn:ami:problem:${code}`;
}

const TITLES: Record<number, string> = {
  400: "Bad request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not found",
  409: "Conflict",
  413: "Content too large",
  422: "Unprocessable content",
  429: "Too many requests",
  500: "Internal server error",
  503: "Service unavailable",
};

export interface ProblemOptions {
  signal?: AbortSignal;
  tag?: string;
  requestId: string;
  /** The request path, as the problem's `instance`. */
  instance: string;
  headers?: Record<string, string>;
}

/** The same classification as errorResponse, as application/problem+json (RFC 9457) for /api/v1. */
export function problemResponse(err: unknown, opts: ProblemOptions): Response {
  const c = classifyError(err, { signal: opts.signal, tag: opts.tag ? `${opts.tag} ${opts.requestId}` : `api ${opts.requestId}` });
  if (!c) return new Response(null, { status: 499 });
  const body = {
    type: problemType(c.code),
    title: TITLES[c.status] ?? "Error",
    status: c.status,
    detail: c.message,
    instance: opts.instance,
    code: c.code,
    requestId: opts.requestId,
  };
  return new Response(JSON.stringify(body), {
    status: c.status,
    headers: { "content-type": "application/problem+json", "cache-control": "no-store", ...c.headers, ...opts.headers },
  });
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
