// GET /api/map/states?<filters> - one state byte per fleet meter, in fleet order (binary, lib/map/binary.ts).
import { requirePermission } from "@/lib/auth/session";
import { getFleetVersion, getMapStates } from "@/lib/clickhouse/queries/map";
import { encodeStates, fnv1a } from "@/lib/map/binary";
import { parseMapFilters } from "@/lib/map/search-params";
import { binaryResponse, errorResponse, mapContext } from "@/lib/map/server";

export const dynamic = "force-dynamic";

export async function GET(req: Request) {
  try {
    await requirePermission("fleet.view");
    const filters = parseMapFilters(new URL(req.url).searchParams);
    const [version, states] = await Promise.all([getFleetVersion(), getMapStates({ filters, ...mapContext() })]);
    return binaryResponse(req, encodeStates(states, fnv1a(version)), { "Cache-Control": "no-store", "X-Fleet-Version": version });
  } catch (err) {
    return errorResponse(err);
  }
}
