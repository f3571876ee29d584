// GET /api/logs/explain - for a search that found nothing: which filter removed every line (q, from, to)
import { NextResponse } from "next/server";
import { countLogs } from "@/lib/clickhouse/queries/logs";
import { explainEmptyResult } from "@/lib/logs/explain-empty";
import { handleLogRequest } from "../respond";

export const dynamic = "force-dynamic";

export async function GET(request: Request) {
  return handleLogRequest(request, "logs.view", async (input, signal) => {
    const explanation = await explainEmptyResult({ ast: input.ast, from: input.from, to: input.to }, (ast, from, to) => countLogs({ ast, from, to, signal }));
    return NextResponse.json(explanation, { headers: { "cache-control": "no-store" } });
  });
}
