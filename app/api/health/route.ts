// GET /api/health - engines, migrations, uptime, sockets. Public: no secrets in it.
import { getHealth } from "@/lib/health";

export const dynamic = "force-dynamic";

export async function GET() {
  const health = await getHealth();
  return Response.json(health, { status: 200, headers: { "Cache-Control": "no-store" } });
}
