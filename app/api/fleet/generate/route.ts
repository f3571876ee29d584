// POST /api/fleet/generate - write a simulator fleet into the server's engines (npm run simulate while the server runs)
import { isAppError } from "@/lib/errors";
import { authorizeFleetWrite, generateFleetIntoStores, generateRequestSchema } from "@/lib/fleet/service";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

export async function POST(req: Request) {
  const auth = await authorizeFleetWrite(req.headers.get("authorization"));
  if (!auth.ok) return Response.json({ error: auth.error }, { status: auth.status });
  const parsed = generateRequestSchema.safeParse(await req.json().catch(() => null));
  if (!parsed.success) return Response.json({ error: "expected { meters, seed, now }", issues: parsed.error.issues }, { status: 400 });
  try {
    const result = await generateFleetIntoStores(parsed.data, auth.actor);
    return Response.json(result, { status: 200, headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    if (isAppError(err)) return Response.json({ error: err.message }, { status: err.status });
    console.error("[api/fleet/generate] failed", err);
    return Response.json({ error: "fleet generation failed; the details are in the server log" }, { status: 500 });
  }
}
