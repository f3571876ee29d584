// Server side of the map's route handlers: the cached fleet payload and
// compression (errors: lib/http/errors). Route files stay thin adapters over this.
import "server-only";
import { gzipSync } from "node:zlib";
import { env } from "@/lib/env";
import { getFleetPositions, getFleetVersion } from "@/lib/clickhouse/queries/map";
import { encodeFleet } from "../binary";

export function mapContext() {
  return { now: Date.now(), staleAfterMs: env.STALE_AFTER };
}

interface CachedFleet {
  version: string;
  gz: Buffer;
  raw: Uint8Array;
}
const g = globalThis as unknown as { __amiMapFleet?: CachedFleet; __amiMapFleetLoading?: Promise<CachedFleet> };

/** The encoded fleet for the current version, built once per version and shared by concurrent requests. */
export async function getFleetPayload(): Promise<CachedFleet> {
  const version = await getFleetVersion();
  if (g.__amiMapFleet?.version === version) return g.__amiMapFleet;
  g.__amiMapFleetLoading ??= (async () => {
    const p = await getFleetPositions();
    const raw = encodeFleet({ ids: p.ids, lon: Float32Array.from(p.lon), lat: Float32Array.from(p.lat) });
    // Keyed by the version of the list actually read (a meter may have moved since getFleetVersion).
    return { version: p.version, raw, gz: gzipSync(raw, { level: 6 }) };
  })().finally(() => {
    g.__amiMapFleetLoading = undefined;
  });
  const built = await g.__amiMapFleetLoading;
  g.__amiMapFleet = built;
  return built;
}

/**
 * Binary response. Gzip is applied by us and declared in X-Body-Encoding (the
 * browser inflates it with DecompressionStream), not in Content-Encoding: the
 * Next server in front re-encodes or drops that header for route handlers.
 */
export function binaryResponse(req: Request, raw: Uint8Array, headers: Record<string, string>, gz?: Buffer): Response {
  const acceptsGzip = req.headers.get("x-accept-body-encoding") === "gzip";
  const body = acceptsGzip ? (gz ?? gzipSync(raw, { level: 1 })) : raw;
  return new Response(new Uint8Array(body), {
    headers: {
      "Content-Type": "application/octet-stream",
      ...(acceptsGzip ? { "X-Body-Encoding": "gzip" } : {}),
      Vary: "X-Accept-Body-Encoding",
      "X-Raw-Length": String(raw.byteLength),
      ...headers,
    },
  });
}
