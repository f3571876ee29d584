// GET /api/map/meters/:id - the meter drawer: identity, fleet row, latest state and measures, latest lines.
import { requirePermission } from "@/lib/auth/session";
import { METER_ID_RE } from "@/lib/fleet/ids";
import { AppError } from "@/lib/errors";
import { getMeterDetail } from "@/lib/map/server/meter-detail";
import { errorResponse } from "@/lib/http/errors";

export const dynamic = "force-dynamic";

export async function GET(_req: Request, ctx: { params: Promise<{ id: string }> }) {
  try {
    const user = await requirePermission("fleet.view");
    const { id } = await ctx.params;
    if (!METER_ID_RE.test(id)) throw new AppError("invalid", "not a meter id");
    const detail = await getMeterDetail(id, user.role);
    if (!detail) throw new AppError("not_found", `meter ${id} is not in the fleet`);
    return Response.json(detail, { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return errorResponse(err, { tag: "map" });
  }
}
