// A log export as a streamed CSV or NDJSON download: the console's export
// route and GET /api/v1/logs/export both answer with this. The export slot of
// the user (or API token) is held until the download ends, fails or is cancelled.
import { streamLogs } from "@/lib/clickhouse/queries/logs";
import { csvHeader, csvRow, exportFileName, ndjsonRow } from "./export";
import { acquireExportSlot } from "./export-slots";
import type { LogApiRequest } from "./request";

const ROWS_PER_CHUNK = 500;

export async function createLogExportResponse(input: LogApiRequest, signal: AbortSignal, slotOwner: string): Promise<Response> {
  // Held until the download ends, fails or is cancelled.
  const release = acquireExportSlot(slotOwner);
  const columns = input.columns;
  const rows = streamLogs({ ast: input.ast, from: input.from, to: input.to, order: input.order, columns, signal });
  let first: IteratorResult<Record<string, unknown>>;
  try {
    // Pull the first row before answering: a limit or engine error becomes a JSON error, not a cut-off file.
    first = await rows.next();
  } catch (err) {
    release();
    throw err;
  }
  const encoder = new TextEncoder();
  const encode = input.format === "csv" ? (r: Record<string, unknown>) => csvRow(r, columns) : ndjsonRow;
  let pending: IteratorResult<Record<string, unknown>> | null = first;
  let headerSent = input.format !== "csv";
  // A download cancelled while a pull is under way: that pull ends quietly (enqueue would throw).
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        let chunk = headerSent ? "" : csvHeader(columns);
        headerSent = true;
        for (let i = 0; i < ROWS_PER_CHUNK; i++) {
          const next: IteratorResult<Record<string, unknown>> = pending ?? (await rows.next());
          pending = null;
          if (next.done) {
            if (chunk) controller.enqueue(encoder.encode(chunk));
            controller.close();
            release();
            return;
          }
          chunk += encode(pick(next.value, columns));
        }
        controller.enqueue(encoder.encode(chunk));
      } catch (err) {
        release();
        if (cancelled || signal.aborted) return;
        console.error("[logs export] stream failed", err);
        controller.error(err);
      }
    },
    async cancel() {
      cancelled = true;
      release();
      await rows.return(undefined);
    },
  });
  const name = exportFileName({ q: input.q, from: input.from, to: input.to, format: input.format });
  return new Response(body, {
    headers: {
      "content-type": input.format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
      "content-disposition": `attachment; filename="${name}"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}

function pick(row: Record<string, unknown>, columns: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(columns.map((c) => [c, row[c] ?? null]));
}
