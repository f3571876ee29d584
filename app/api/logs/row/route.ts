// GET /api/logs/row - one whole audit line (every field incl. attrs) by code, ts and id, for an expanded row
import { NextResponse } from "next/server";
import { z } from "zod";
import { requirePermission } from "@/lib/auth/session";
import { getLogRow } from "@/lib/clickhouse/queries/logs";
import { parseIsoInstant } from "@/lib/logs/time-range";
import { AppError } from "@/lib/errors";
import { errorResponse } from "@/lib/http/errors";

export const dynamic = "force-dynamic";

const rowKeySchema = z.object({
  code: z.string().min(1).max(64),
  ts: z.string().min(1).max(40),
  id: z.string().regex(/^\d{1,20}$/),
});

export async function GET(request: Request) {
  try {
    await requirePermission("logs.view");
    const sp = new URL(request.url).searchParams;
    const parsed = rowKeySchema.safeParse({ code: sp.get("code"), ts: sp.get("ts"), id: sp.get("id") });
    const ts = parsed.success ? parseIsoInstant(parsed.data.ts) : null;
    if (!parsed.success || ts === null) throw new AppError("invalid", "code, ts (ISO) and id are required");
    const row = await getLogRow({ code: parsed.data.code, ts, id: parsed.data.id, signal: request.signal });
    if (!row) throw new AppError("not_found", "No such line");
    return NextResponse.json({ row }, { headers: { "cache-control": "no-store" } });
  } catch (err) {
    return errorResponse(err, { signal: request.signal, tag: "logs api", body: "kind" });
  }
}
