// GET /api/map/gateways?<filters> - gateways with meters served and unhealthy count.
import { requirePermission } from "@/lib/auth/session";
import { getMapGateways } from "@/lib/clickhouse/queries/map";
import { parseMapFilters } from "@/lib/map/search-params";
import { ensureMapCellsSync } from "@/lib/map/server/cells-sync";
import { errorResponse } from "@/lib/http/errors";
import { mapContext } from "@/lib/map/server/payloads";

export const dynamic = "force-dynamic";

export async function GET(req: Request) {
  try {
    await requirePermission("fleet.view");
    await ensureMapCellsSync(); // map_meter_cells built and its refresh loop running
    const gateways = await getMapGateways({ filters: parseMapFilters(new URL(req.url).searchParams), ...mapContext() });
    return Response.json({ gateways }, { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return errorResponse(err, { tag: "map" });
  }
}
