// GET /api/logs/search - one keyset page of matching audit lines (q, from, to, order, cursor, limit)
import { NextResponse } from "next/server";
import { searchLogs } from "@/lib/clickhouse/queries/logs";
import { handleLogRequest } from "../respond";

export const dynamic = "force-dynamic";

export async function GET(request: Request) {
  return handleLogRequest(request, "logs.view", async (input, signal) => {
    const page = await searchLogs({ ast: input.ast, from: input.from, to: input.to, order: input.order, limit: input.limit, cursor: input.cursor, columns: input.columns, signal });
    const nextCursor = page.nextCursor ? `${page.nextCursor.ts}_${page.nextCursor.id}` : null;
    return NextResponse.json({ rows: page.rows, nextCursor }, { headers: { "cache-control": "no-store" } });
  });
}
