// The alert evaluator's and notifier's loop status for /api/health, on globalThis (the Next
// bundle and server.ts load separate module copies; both must see the one registry).
export interface AlertLoopStatus {
  name: "evaluator" | "notifier";
  running: boolean;
  lastTickAt: number | null;
  lastError: string | null;
  lastErrorAt: number | null;
  /** Set while the loop fails (restarting with backoff): since when. */
  degradedSince: number | null;
  restarts: number;
}

const g = globalThis as unknown as { __amiAlertLoops?: Map<string, AlertLoopStatus> };

function registry(): Map<string, AlertLoopStatus> {
  return (g.__amiAlertLoops ??= new Map());
}

export function getAlertLoopStatus(name: AlertLoopStatus["name"]): AlertLoopStatus {
  let s = registry().get(name);
  if (!s) {
    s = { name, running: false, lastTickAt: null, lastError: null, lastErrorAt: null, degradedSince: null, restarts: 0 };
    registry().set(name, s);
  }
  return s;
}

/** Loops that are failing right now (the server is up but alerts may not be evaluated or sent). */
export function getDegradedAlertLoops(): Array<Pick<AlertLoopStatus, "name" | "lastError" | "degradedSince" | "restarts">> {
  return [...registry().values()].filter((s) => s.degradedSince !== null).map(({ name, lastError, degradedSince, restarts }) => ({ name, lastError, degradedSince, restarts }));
}
