// GET /api/map/gateway-meters?gw=GW-0042 - fleet indices of a gateway's meters (binary index list).
import { z } from "zod";
import { requirePermission } from "@/lib/auth/session";
import { getGatewayMeterIndices } from "@/lib/clickhouse/queries/map";
import { encodeIndexList } from "@/lib/map/binary";
import { ensureMapCellsSync } from "@/lib/map/server/cells-sync";
import { errorResponse } from "@/lib/http/errors";
import { binaryResponse } from "@/lib/map/server/payloads";

export const dynamic = "force-dynamic";

export async function GET(req: Request) {
  try {
    await requirePermission("fleet.view");
    await ensureMapCellsSync();
    const gw = z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
      .parse(new URL(req.url).searchParams.get("gw"));
    return binaryResponse(req, encodeIndexList(await getGatewayMeterIndices(gw)), { "Cache-Control": "no-store" });
  } catch (err) {
    return errorResponse(err, { tag: "map" });
  }
}
