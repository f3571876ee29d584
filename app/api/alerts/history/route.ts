// GET /api/alerts/history - the alert history as CSV (alerts.view; ?from=&to= ISO, default the last 30 days)
import { z } from "zod";
import { requirePermission } from "@/lib/auth/session";
import { historyToCsv, listAlertHistory } from "@/lib/alerts/service";
import { errorResponse } from "@/lib/http/errors";

export const dynamic = "force-dynamic";

const querySchema = z.object({ from: z.coerce.date().optional(), to: z.coerce.date().optional() });

export async function GET(req: Request) {
  try {
    await requirePermission("alerts.view");
    const url = new URL(req.url);
    const q = querySchema.parse({ from: url.searchParams.get("from") ?? undefined, to: url.searchParams.get("to") ?? undefined });
    const to = q.to ?? new Date();
    const from = q.from ?? new Date(to.getTime() - 30 * 86_400_000);
    const rows = await listAlertHistory({ from, to, limit: 100_000 });
    return new Response(historyToCsv(rows), {
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="alert-history-${to.toISOString().slice(0, 10)}.csv"`,
        "cache-control": "no-store",
      },
    });
  } catch (err) {
    return errorResponse(err);
  }
}
