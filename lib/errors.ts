// Errors thrown in lib/ and mapped once at the edge: HTTP status for route
// handlers, `{ error }` for server actions. Messages are safe to show a user.
export type AppErrorCode = "unauthenticated" | "forbidden" | "not_found" | "invalid" | "conflict" | "rate_limited" | "unavailable" | "too_large";

const STATUS: Record<AppErrorCode, number> = {
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  invalid: 400,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
  too_large: 413,
};

export class AppError extends Error {
  constructor(
    public readonly code: AppErrorCode,
    message: string,
    public readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "AppError";
  }
  get status(): number {
    return STATUS[this.code];
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof Error && (e as AppError).name === "AppError" && "code" in e;
}

/** Result shape every server action returns. */
export type ActionResult<T = undefined> = { ok: true; data: T } | { ok: false; error: string; code: AppErrorCode | "internal"; status: number };

/** Run an action body and map errors to ActionResult; unexpected errors are logged, not shown. */
export async function runAction<T>(body: () => Promise<T>): Promise<ActionResult<T>> {
  try {
    return { ok: true, data: await body() };
  } catch (err) {
    if (isAppError(err)) return { ok: false, error: err.message, code: err.code, status: err.status };
    if (err instanceof Error && err.name === "ZodError") {
      return { ok: false, error: "Invalid input: " + err.message.slice(0, 500), code: "invalid", status: 400 };
    }
    // Next's redirect()/notFound() signals must propagate.
    if (err && typeof err === "object" && "digest" in err) throw err;
    console.error("[action] unexpected error", err);
    return { ok: false, error: "Something went wrong on the server; the details are in the server log.", code: "internal", status: 500 };
  }
}
