// POST /api/fleet/import - all-or-nothing CSV import into the server's engines (npm run fleet:import while the server runs)
import { authorizeFleetWrite, FLEET_HTTP_LIMITS, importFleetIntoStores, importRequestSchema } from "@/lib/fleet/service";
import { errorResponse } from "@/lib/http/errors";
import { readJsonBody } from "@/lib/http/read-body";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

export async function POST(req: Request) {
  const auth = await authorizeFleetWrite(req.headers.get("authorization"));
  if (!auth.ok) return Response.json({ error: auth.error }, { status: auth.status });
  try {
    const parsed = importRequestSchema.safeParse(await readJsonBody(req, FLEET_HTTP_LIMITS.importBodyBytes));
    if (!parsed.success) {
      return Response.json({ error: `expected { metersCsv, gatewaysCsv? }: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}` }, { status: 400 });
    }
    const result = await importFleetIntoStores(parsed.data, auth.actor);
    return Response.json(result, { status: result.ok ? 200 : 422, headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return errorResponse(err, { tag: "api/fleet/import" });
  }
}
