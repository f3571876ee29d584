// GET /api/logs/histogram - match counts per time bucket, stacked by sev or code (q, from, to, stack)
import { NextResponse } from "next/server";
import { getLogHistogram } from "@/lib/clickhouse/queries/logs";
import { handleLogRequest } from "../respond";

export const dynamic = "force-dynamic";

export async function GET(request: Request) {
  return handleLogRequest(request, "logs.view", async (input, signal) => {
    const histogram = await getLogHistogram({ ast: input.ast, from: input.from, to: input.to, stackBy: input.stackBy, targetBuckets: 80, signal });
    return NextResponse.json(histogram, { headers: { "cache-control": "no-store" } });
  });
}
