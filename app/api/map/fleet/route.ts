// GET /api/map/fleet - every meter's id and position (binary, lib/map/binary.ts), revalidated by ETag = fleet version.
import { requirePermission } from "@/lib/auth/session";
import { ensureMapCellsSync } from "@/lib/map/server/cells-sync";
import { errorResponse } from "@/lib/http/errors";
import { binaryResponse, getFleetPayload } from "@/lib/map/server/payloads";

export const dynamic = "force-dynamic";

export async function GET(req: Request) {
  try {
    await requirePermission("fleet.view");
    await ensureMapCellsSync(); // positions are read from map_meter_cells
    const fleet = await getFleetPayload();
    const etag = `"fleet-${fleet.version}"`;
    const cache = { ETag: etag, "Cache-Control": "private, no-cache", "X-Fleet-Version": fleet.version };
    if (req.headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers: cache });
    return binaryResponse(req, fleet.raw, cache, fleet.gz);
  } catch (err) {
    return errorResponse(err, { tag: "map" });
  }
}
