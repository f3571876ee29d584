// GET /api/ready - 200 when both engines answer, 503 otherwise (for load balancers);
// `status: "degraded"` while ingest sources fail (the console still serves). Which sources and
// their errors (file paths, engine text) only for health.details (operator, admin), as /api/health.
import { can } from "@/lib/auth/permissions";
import { getCurrentUser } from "@/lib/auth/session";
import { getHealth } from "@/lib/server/health";

export const dynamic = "force-dynamic";

export async function GET() {
  const [h, user] = await Promise.all([getHealth(), getCurrentUser()]);
  const ready = h.engines.relational.reachable && h.engines.analytics.reachable;
  const details = user && can(user.role, "health.details") ? { degraded: h.ingest.degraded } : { degradedSources: h.ingest.degraded.length };
  return Response.json({ ready, status: h.status, ...details }, { status: ready ? 200 : 503, headers: { "Cache-Control": "no-store" } });
}
