"use client";
import { createColumnHelper, getCoreRowModel, getFilteredRowModel, useReactTable } from "@tanstack/react-table";
import { useMemo, useState } from "react";
import type { HistoryRow } from "@/lib/alerts/service";
import { formatUtc } from "@/lib/format/time";
import { DataTable } from "@/components/data-table";
import { LabelLinks } from "./label-links";

const col = createColumnHelper<HistoryRow>();
const columns = [
  col.accessor("at", { header: "When (UTC)", cell: (c) => formatUtc(c.getValue(), { seconds: true }) }),
  col.accessor("type", { header: "Event", cell: (c) => <span data-testid="history-event">{c.getValue()}</span> }),
  col.accessor("ruleName", { header: "Rule" }),
  col.accessor("severity", { header: "Severity", cell: (c) => <span className={`al-sev-${c.getValue()}`}>{c.getValue()}</span> }),
  col.accessor((r) => Object.values(r.labels).join(" "), { id: "labels", header: "Where", cell: (c) => <LabelLinks labels={c.row.original.labels} /> }),
  col.accessor("summary", { header: "Summary" }),
  col.accessor("actorEmail", { header: "By", cell: (c) => c.getValue() ?? "" }),
  col.accessor("note", { header: "Note", cell: (c) => c.getValue() ?? "" }),
];

export function HistoryTable({ rows }: { rows: HistoryRow[] }) {
  const [type, setType] = useState("");
  const [text, setText] = useState("");
  const data = useMemo(() => rows.filter((r) => !type || r.type === type), [rows, type]);
  const table = useReactTable({
    data,
    columns,
    state: { globalFilter: text },
    onGlobalFilterChange: setText,
    globalFilterFn: (row, _id, value: string) =>
      `${row.original.ruleName} ${row.original.summary ?? ""} ${Object.values(row.original.labels).join(" ")} ${row.original.actorEmail ?? ""}`
        .toLowerCase()
        .includes(value.toLowerCase()),
    getCoreRowModel: getCoreRowModel(),
    getFilteredRowModel: getFilteredRowModel(),
  });
  return (
    <>
      <div className="al-filters">
        <input aria-label="Filter history" placeholder="Filter: rule, gateway, person" value={text} onChange={(e) => setText(e.target.value)} data-testid="history-filter" />
        <select aria-label="Event" value={type} onChange={(e) => setType(e.target.value)}>
          <option value="">All events</option>
          {["pending", "firing", "resolved", "cleared", "flapping", "acknowledged", "suppressed", "released"].map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
        <a className="button" href="/api/alerts/history" download data-testid="history-csv">
          Export CSV
        </a>
      </div>
      {rows.length ? <DataTable table={table} testId="history-table" /> : <p className="muted">No alert has fired yet.</p>}
    </>
  );
}
