// GET /api/map/states?<filters> - one state byte per fleet meter, in fleet order (binary, lib/map/binary.ts).
import { requirePermission } from "@/lib/auth/session";
import { getMapStates } from "@/lib/clickhouse/queries/map";
import { ensureMapCellsSync } from "@/lib/map/server/cells-sync";
import { encodeStates, fnv1a } from "@/lib/map/binary";
import { parseMapFilters } from "@/lib/map/search-params";
import { errorResponse } from "@/lib/http/errors";
import { binaryResponse, mapContext } from "@/lib/map/server/payloads";

export const dynamic = "force-dynamic";

export async function GET(req: Request) {
  try {
    await requirePermission("fleet.view");
    await ensureMapCellsSync(); // map_meter_cells built and its refresh loop running
    const filters = parseMapFilters(new URL(req.url).searchParams);
    // The version comes from the same read as the states: the page reloads positions when it differs from theirs.
    const { states, version } = await getMapStates({ filters, ...mapContext() });
    return binaryResponse(req, encodeStates(states, fnv1a(version)), { "Cache-Control": "no-store", "X-Fleet-Version": version });
  } catch (err) {
    return errorResponse(err, { tag: "map" });
  }
}
