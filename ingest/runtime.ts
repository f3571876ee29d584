// The running writer and HTTP source, shared through globalThis: server.ts
// starts them, the route handler (a separate module copy inside the Next
// bundle) uses them. Type-only imports keep this module light for the bundle.
import type { HttpSource } from "./http-source";
import type { IngestWriter } from "./writer";

export interface IngestRuntime {
  writer: IngestWriter;
  http: HttpSource;
}

const g = globalThis as unknown as { __amiIngestRuntime?: IngestRuntime | null };

/** null when ingest is not started (e.g. `next dev` without server.ts). */
export function getIngestRuntime(): IngestRuntime | null {
  return g.__amiIngestRuntime ?? null;
}

export function setIngestRuntime(rt: IngestRuntime | null): void {
  g.__amiIngestRuntime = rt;
}
