"use client";
// Refused lines as plain text (never markup): source, position, reason and the raw line.
import { createColumnHelper, getCoreRowModel, useReactTable } from "@tanstack/react-table";
import { DataTable } from "@/components/data-table";
import type { RefusedLine } from "@/lib/clickhouse/queries/ingest";
import { formatUtc } from "@/lib/format/time";

const col = createColumnHelper<RefusedLine>();
const columns = [
  col.accessor("ingested_at", { header: "Received", cell: (c) => formatUtc(c.getValue(), { seconds: true }) }),
  col.accessor("source", { header: "Source" }),
  col.accessor("position", { header: "Position", cell: (c) => <span className="muted">{c.getValue()}</span> }),
  col.accessor("reason", { header: "Reason", cell: (c) => <span className="sev-error">{c.getValue()}</span> }),
  col.accessor("raw", {
    header: "Line",
    cell: (c) => <code style={{ whiteSpace: "pre-wrap", wordBreak: "break-all", fontSize: 12 }}>{c.getValue()}</code>,
  }),
];

export function RefusedLinesTable({ rows }: { rows: RefusedLine[] }) {
  const table = useReactTable({ data: rows, columns, getCoreRowModel: getCoreRowModel() });
  if (rows.length === 0)
    return (
      <p className="muted" data-testid="refused-lines-empty">
        No refused lines in this window.
      </p>
    );
  return (
    <div className="card" style={{ padding: 0, maxHeight: 480, overflow: "auto" }}>
      <DataTable table={table} testId="refused-lines" />
    </div>
  );
}
