"use client";
import Link from "next/link";
import { createColumnHelper, flexRender, getCoreRowModel, getSortedRowModel, useReactTable, type SortingState } from "@tanstack/react-table";
import { useState } from "react";
import type { CampaignListRow } from "@/lib/campaigns/service";

const col = createColumnHelper<CampaignListRow>();
const columns = [
  col.accessor("name", { header: "Name", cell: (c) => <Link href={`/campaigns/${c.row.original.id}`} data-testid="campaign-link">{c.getValue()}</Link> }),
  col.accessor("jobType", { header: "Step" }),
  col.accessor("status", { header: "Status", cell: (c) => <span className={`badge status-${c.getValue()}`} data-testid="campaign-status">{c.getValue().replace("_", " ")}</span> }),
  col.accessor("targetCount", { header: "Meters" }),
  col.accessor("progressPct", {
    header: "Progress",
    cell: (c) => (
      <div className="bar" title={`${c.getValue()}%`}>
        <span style={{ width: `${c.getValue()}%` }} />
        <em>{c.getValue()}%</em>
      </div>
    ),
  }),
  col.accessor("failed", { header: "Failed" }),
  col.accessor("createdByEmail", { header: "Created by" }),
  col.accessor("createdAt", { header: "Created (UTC)", cell: (c) => c.getValue().replace("T", " ").slice(0, 16) }),
];

export function CampaignsTable({ rows }: { rows: CampaignListRow[] }) {
  const [sorting, setSorting] = useState<SortingState>([]);
  const table = useReactTable({ data: rows, columns, state: { sorting }, onSortingChange: setSorting, getCoreRowModel: getCoreRowModel(), getSortedRowModel: getSortedRowModel() });
  return (
    <div className="card" style={{ padding: 0, overflow: "auto" }}>
      <table className="data" data-testid="campaigns-table">
        <thead>
          {table.getHeaderGroups().map((hg) => (
            <tr key={hg.id}>
              {hg.headers.map((h) => (
                <th key={h.id} onClick={h.column.getToggleSortingHandler()} style={{ cursor: "pointer" }}>
                  {flexRender(h.column.columnDef.header, h.getContext())}
                  {{ asc: " ▲", desc: " ▼" }[h.column.getIsSorted() as string] ?? ""}
                </th>
              ))}
            </tr>
          ))}
        </thead>
        <tbody>
          {table.getRowModel().rows.map((r) => (
            <tr key={r.id} data-testid="campaign-row">
              {r.getVisibleCells().map((c) => <td key={c.id}>{flexRender(c.column.columnDef.cell, c.getContext())}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
