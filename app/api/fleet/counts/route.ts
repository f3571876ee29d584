// GET /api/fleet/counts?gw=&zone=&kind=&model=&fw=&fault=&since= - the slice's counts with their labels (lib/fleet/slice-counts)
import { requirePermission } from "@/lib/auth/session";
import { getSliceCounts, parseSliceCountsParams } from "@/lib/fleet/slice-counts";
import { errorResponse } from "@/lib/http/errors";

export const dynamic = "force-dynamic";

export async function GET(req: Request) {
  try {
    await requirePermission("fleet.view");
    const result = await getSliceCounts(parseSliceCountsParams(new URL(req.url).searchParams));
    return Response.json(result, { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return errorResponse(err, { tag: "fleet counts" });
  }
}
