// GET /api/ready - 200 when both engines answer, 503 otherwise (for load balancers);
// `status: "degraded"` names the ingest sources failing meanwhile (the console still serves).
import { getHealth } from "@/lib/health";

export const dynamic = "force-dynamic";

export async function GET() {
  const h = await getHealth();
  const ready = h.engines.relational.reachable && h.engines.analytics.reachable;
  return Response.json({ ready, status: h.status, degraded: h.ingest.degraded }, { status: ready ? 200 : 503, headers: { "Cache-Control": "no-store" } });
}
