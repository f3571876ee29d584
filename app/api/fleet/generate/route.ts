// POST /api/fleet/generate - write a simulator fleet into the server's engines (npm run simulate while the server runs)
import { authorizeFleetWrite, FLEET_HTTP_LIMITS, generateFleetIntoStores, generateRequestSchema } from "@/lib/fleet/service";
import { errorResponse } from "@/lib/http/errors";
import { readJsonBody } from "@/lib/http/read-body";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

export async function POST(req: Request) {
  const auth = await authorizeFleetWrite(req.headers.get("authorization"));
  if (!auth.ok) return Response.json({ error: auth.error }, { status: auth.status });
  try {
    const parsed = generateRequestSchema.safeParse(await readJsonBody(req, FLEET_HTTP_LIMITS.generateBodyBytes));
    if (!parsed.success) {
      return Response.json(
        { error: `expected { meters, seed, now }: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`, issues: parsed.error.issues },
        { status: 400 },
      );
    }
    const result = await generateFleetIntoStores(parsed.data, auth.actor);
    return Response.json(result, { status: 200, headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return errorResponse(err, { tag: "api/fleet/generate" });
  }
}
