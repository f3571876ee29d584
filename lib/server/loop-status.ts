// Background loops of the server process (the alert evaluator and notifier, the maintenance plan
// runner, the campaign dispatcher's tick) and whether each is failing right now, for /api/health.
// On globalThis: the Next bundle and server.ts load separate module copies; both must see one registry.
export interface LoopStatus {
  area: string;
  name: string;
  running: boolean;
  lastTickAt: number | null;
  lastError: string | null;
  lastErrorAt: number | null;
  /** Set while the loop fails (restarting or retrying): since when. */
  degradedSince: number | null;
  restarts: number;
}

export type DegradedLoop = Pick<LoopStatus, "name" | "lastError" | "degradedSince" | "restarts">;

const g = globalThis as unknown as { __amiLoops?: Map<string, LoopStatus> };

function registry(): Map<string, LoopStatus> {
  return (g.__amiLoops ??= new Map());
}

export function getLoopStatus(area: string, name: string): LoopStatus {
  const key = `${area}/${name}`;
  let s = registry().get(key);
  if (!s) {
    s = { area, name, running: false, lastTickAt: null, lastError: null, lastErrorAt: null, degradedSince: null, restarts: 0 };
    registry().set(key, s);
  }
  return s;
}

/** A round of the loop went through: it is no longer degraded. */
export function recordLoopOk(area: string, name: string): void {
  const s = getLoopStatus(area, name);
  s.lastTickAt = Date.now();
  s.degradedSince = null;
}

/** A round failed: degraded (since the first failure) until a round goes through. */
export function recordLoopError(area: string, name: string, err: unknown): void {
  const s = getLoopStatus(area, name);
  s.lastError = err instanceof Error ? err.message.split("\n")[0]!.slice(0, 300) : String(err);
  s.lastErrorAt = Date.now();
  s.degradedSince ??= Date.now();
}

/** An area's loops that are failing right now (the server is up but their work is late or not done). */
export function getDegradedLoops(area: string): DegradedLoop[] {
  return [...registry().values()]
    .filter((s) => s.area === area && s.degradedSince !== null)
    .map(({ name, lastError, degradedSince, restarts }) => ({ name, lastError, degradedSince, restarts }));
}
