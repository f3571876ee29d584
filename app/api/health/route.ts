// GET /api/health - status for anyone (load balancers, monitors); engines, versions, migrations and errors only for health.details (operator, admin)
import { can } from "@/lib/auth/permissions";
import { getCurrentUser } from "@/lib/auth/session";
import { getHealth, publicHealth } from "@/lib/server/health";

export const dynamic = "force-dynamic";

export async function GET() {
  const [health, user] = await Promise.all([getHealth(), getCurrentUser()]);
  const body = user && can(user.role, "health.details") ? health : publicHealth(health);
  return Response.json(body, { status: 200, headers: { "Cache-Control": "no-store" } });
}
