// GET /schedule/due/export - the due list under the page's filters as CSV (up to 100 000 rows, in the page's order)
import { requirePermission } from "@/lib/auth/session";
import { errorResponse } from "@/lib/http/errors";
import { csvCell, csvHeader, csvRow } from "@/lib/logs/export";
import { dueListSearchSchema, findDueItems } from "@/lib/maintenance/service";

const COLUMNS = ["meterId", "planName", "jobType", "dueDate", "isOverdue", "zone", "kind", "district", "reason"] as const;
const MAX_ROWS = 100_000;

export async function GET(request: Request) {
  try {
    const user = await requirePermission("schedule.view");
    const sp = new URL(request.url).searchParams;
    const search = dueListSearchSchema.parse(Object.fromEntries(Object.keys(dueListSearchSchema.shape).map((k) => [k, sp.get(k) ?? undefined])));
    const r = await findDueItems(user, search, { offset: 0, limit: MAX_ROWS });
    let body = csvHeader(COLUMNS);
    for (const row of r.rows) body += csvRow(row as unknown as Record<string, unknown>, COLUMNS);
    if (r.total > MAX_ROWS) body += csvCell(`# first ${MAX_ROWS} of ${r.total} rows: narrow the filters for the rest`) + "\r\n";
    return new Response(body, {
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="maintenance-${search.status}-${new Date().toISOString().slice(0, 10)}.csv"`,
        "cache-control": "no-store",
      },
    });
  } catch (err) {
    return errorResponse(err, { signal: request.signal, tag: "schedule csv" });
  }
}
