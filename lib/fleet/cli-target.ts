// Where a fleet CLI writes: straight into the engines when no server holds
// data/ (taking the lock itself, like the server), or over HTTP to the running
// server when one does (the embedded engines are single-owner).
import { dataPaths, env } from "@/lib/env";
import { isPidAlive, readLockPid } from "@/lib/server/data-lock";

export type CliTarget = { kind: "local" } | { kind: "server"; pid: number; url: string };

/** The running server that holds data/, if any (only matters for the embedded engines). */
export function chooseCliTarget(serverUrl?: string): CliTarget {
  const embedded = !env.DATABASE_URL || !env.CLICKHOUSE_URL;
  if (!embedded) return { kind: "local" };
  const pid = readLockPid(dataPaths().lock);
  if (pid !== null && pid !== process.pid && isPidAlive(pid)) {
    return { kind: "server", pid, url: (serverUrl ?? `http://localhost:${env.PORT}`).replace(/\/+$/, "") };
  }
  return { kind: "local" };
}

/** POST JSON to the running server; throws with the server's error text on a non-2xx other than `okStatuses`. */
export async function postToServer<T>(url: string, body: unknown, token: string | undefined, okStatuses: number[] = []): Promise<{ status: number; data: T }> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  } catch (err) {
    throw new Error(`cannot reach the server at ${url}: ${(err as Error).message}`, { cause: err });
  }
  const data = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok && !okStatuses.includes(res.status)) throw new Error(`server answered ${res.status}: ${data.error ?? res.statusText}`);
  return { status: res.status, data };
}
