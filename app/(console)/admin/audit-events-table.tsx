"use client";
import { createColumnHelper, flexRender, getCoreRowModel, useReactTable } from "@tanstack/react-table";

export interface AuditEventRow {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string;
  outcome: string;
  ip: string;
  details: string;
}

const col = createColumnHelper<AuditEventRow>();
const columns = [
  col.accessor("at", { header: "Time (UTC)", cell: (c) => c.getValue().replace("T", " ").slice(0, 19) }),
  col.accessor("actor", { header: "Actor" }),
  col.accessor("action", { header: "Action" }),
  col.accessor("target", { header: "Target" }),
  col.accessor("outcome", { header: "Outcome", cell: (c) => <span className={c.getValue() === "ok" ? "ok-text" : "error-text"}>{c.getValue()}</span> }),
  col.accessor("ip", { header: "Address" }),
  col.accessor("details", { header: "Details", cell: (c) => <code>{c.getValue()}</code> }),
];

export function AuditEventsTable({ events }: { events: AuditEventRow[] }) {
  const table = useReactTable({ data: events, columns, getCoreRowModel: getCoreRowModel() });
  if (!events.length) return <p className="muted">No audit events yet.</p>;
  return (
    <div className="card" style={{ padding: 0, maxHeight: 420, overflow: "auto" }}>
      <table className="data" data-testid="audit-events">
        <thead>
          {table.getHeaderGroups().map((hg) => (
            <tr key={hg.id}>{hg.headers.map((h) => <th key={h.id}>{flexRender(h.column.columnDef.header, h.getContext())}</th>)}</tr>
          ))}
        </thead>
        <tbody>
          {table.getRowModel().rows.map((r) => (
            <tr key={r.id} data-testid="audit-event-row">
              {r.getVisibleCells().map((c) => <td key={c.id}>{flexRender(c.column.columnDef.cell, c.getContext())}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
