// GET /api/logs/export - every matching line as a streamed CSV or NDJSON download (q, from, to, order, cols, format)
import { createLogExportResponse } from "@/lib/logs/export-stream";
import { handleLogRequest } from "../respond";

export const dynamic = "force-dynamic";

export async function GET(request: Request) {
  return handleLogRequest(request, "logs.export", (input, signal, user) => createLogExportResponse(input, signal, user.id));
}
