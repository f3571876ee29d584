// GET /api/map/cells?level=&bbox=w,s,e,n&<filters> - meters per grid cell and state, aggregated in ClickHouse.
import { z } from "zod";
import { requirePermission } from "@/lib/auth/session";
import { getMapCells } from "@/lib/clickhouse/queries/map";
import { MAX_GRID_LEVEL, MIN_GRID_LEVEL } from "@/lib/map/cells";
import { parseMapFilters } from "@/lib/map/search-params";
import { ensureMapCellsSync } from "@/lib/map/server/cells-sync";
import { errorResponse } from "@/lib/http/errors";
import { mapContext } from "@/lib/map/server/payloads";

export const dynamic = "force-dynamic";

const querySchema = z.object({
  level: z.coerce.number().int().min(MIN_GRID_LEVEL).max(MAX_GRID_LEVEL),
  bbox: z
    .string()
    .regex(/^-?[\d.]+,-?[\d.]+,-?[\d.]+,-?[\d.]+$/)
    .transform((s) => s.split(",").map(Number))
    .refine((a) => a.every(Number.isFinite) && Math.abs(a[1]!) <= 90 && Math.abs(a[3]!) <= 90 && Math.abs(a[0]!) <= 180 && Math.abs(a[2]!) <= 180)
    .optional(),
});

export async function GET(req: Request) {
  try {
    await requirePermission("fleet.view");
    await ensureMapCellsSync(); // map_meter_cells built and its refresh loop running
    const sp = new URL(req.url).searchParams;
    const q = querySchema.parse({ level: sp.get("level"), bbox: sp.get("bbox") ?? undefined });
    const bbox = q.bbox ? { west: q.bbox[0]!, south: q.bbox[1]!, east: q.bbox[2]!, north: q.bbox[3]! } : undefined;
    const t0 = performance.now();
    const cells = await getMapCells({ level: q.level, bbox, filters: parseMapFilters(sp), ...mapContext() });
    return Response.json({ level: q.level, cells, ms: Math.round(performance.now() - t0) }, { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return errorResponse(err, { tag: "map" });
  }
}
