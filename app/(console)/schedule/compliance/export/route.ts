// GET /schedule/compliance/export - the compliance report as CSV, grouped like the page (?by=plan|zone|model|age)
import { requirePermission } from "@/lib/auth/session";
import { errorResponse } from "@/lib/http/errors";
import { csvHeader, csvRow } from "@/lib/logs/export";
import { getCompliance } from "@/lib/maintenance/service";

const COLUMNS = ["planName", "group", "meters", "overdue", "compliantPct"] as const;

export async function GET(request: Request) {
  try {
    const user = await requirePermission("schedule.view");
    const by = new URL(request.url).searchParams.get("by");
    const group = by === "plan" || by === "model" || by === "age" ? by : "zone";
    const { asOf, rows } = await getCompliance(user, group);
    let body = csvHeader(COLUMNS);
    for (const r of rows) body += csvRow({ ...r, group: r.key }, COLUMNS);
    return new Response(body, {
      headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="compliance-${group}-${asOf}.csv"`, "cache-control": "no-store" },
    });
  } catch (err) {
    return errorResponse(err, { signal: request.signal, tag: "compliance csv" });
  }
}
