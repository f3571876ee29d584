"use client";
// The due list: rows, sort and paging come from the server (manual mode); headers link to the sorted URL.
import Link from "next/link";
import { createColumnHelper, flexRender, getCoreRowModel, useReactTable } from "@tanstack/react-table";
import type { DueRow } from "@/lib/maintenance/service";
import { SortedHeader } from "@/components/sorted-header";

const col = createColumnHelper<DueRow>();
const columns = [
  col.accessor("meterId", {
    id: "meter",
    header: "Meter",
    cell: (c) => (
      <Link href={`/meters/${c.getValue()}`} data-testid="due-meter">
        {c.getValue()}
      </Link>
    ),
  }),
  col.accessor("planName", { header: "Plan", cell: (c) => <Link href={`/schedule/plans/${c.row.original.planId}`}>{c.getValue()}</Link> }),
  col.accessor("dueDate", { id: "due", header: "Due", cell: (c) => <span className={c.row.original.isOverdue ? "error-text" : undefined}>{c.getValue()}</span> }),
  col.accessor("zone", { header: "Zone" }),
  col.accessor("kind", { header: "Kind" }),
  col.accessor("district", { header: "District" }),
  col.accessor("reason", { header: "Why", cell: (c) => <span data-testid="due-reason">{c.getValue()}</span> }),
];
const SORTABLE = new Set(["meter", "due"]);

export function DueTable({ rows, sort, dir, sortHrefs }: { rows: DueRow[]; sort: string; dir: "asc" | "desc"; sortHrefs: Record<string, string> }) {
  const table = useReactTable({
    data: rows,
    columns,
    getCoreRowModel: getCoreRowModel(),
    manualSorting: true,
    manualPagination: true,
    state: { sorting: [{ id: sort, desc: dir === "desc" }] },
  });
  return (
    <div className="card" style={{ padding: 0, overflow: "auto" }}>
      <table className="data" data-testid="due-table">
        <thead>
          {table.getHeaderGroups().map((hg) => (
            <tr key={hg.id}>
              {hg.headers.map((h) => {
                return (
                  <SortedHeader key={h.id} sorted={h.column.getIsSorted()} href={SORTABLE.has(h.column.id) ? sortHrefs[h.column.id] : undefined} testId={`due-sort-${h.column.id}`}>
                    {flexRender(h.column.columnDef.header, h.getContext())}
                  </SortedHeader>
                );
              })}
            </tr>
          ))}
        </thead>
        <tbody>
          {table.getRowModel().rows.map((r) => (
            <tr key={r.id} data-testid="due-row">
              {r.getVisibleCells().map((c) => (
                <td key={c.id} style={c.column.id === "reason" ? undefined : { whiteSpace: "nowrap" }}>
                  {flexRender(c.column.columnDef.cell, c.getContext())}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
