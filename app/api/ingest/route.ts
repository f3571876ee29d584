// POST /api/ingest - accept a batch of audit lines (per-source bearer token; see ingest/http-source.ts)
import { getIngestRuntime } from "@/ingest/runtime";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

export async function POST(req: Request) {
  const rt = getIngestRuntime();
  if (!rt) {
    return Response.json({ error: "ingest is not running in this process" }, { status: 503, headers: { "Retry-After": "10" } });
  }
  const reply = await rt.http.handle({ headers: req.headers, body: req.body });
  return Response.json(reply.body, { status: reply.status, headers: { "Cache-Control": "no-store", ...reply.headers } });
}
