"use client";
// The fleet table: rows, sort and paging come from the server (manual mode); headers link to the sorted URL.
import Link from "next/link";
import { CodeLink } from "@/components/fleet-links";
import { createColumnHelper, flexRender, getCoreRowModel, useReactTable } from "@tanstack/react-table";
import { formatUtc } from "@/lib/format/time";
import { SortedHeader } from "@/components/sorted-header";

export interface MeterTableRow {
  id: string;
  kind: string;
  model: string;
  gateway: string;
  zone: string;
  firmware: string;
  installed: number;
  cert: number;
  lastSeen: number | null;
  state: string;
  faultCode: string;
}

const STATE_CLASS: Record<string, string> = { critical: "sev-critical", error: "sev-error", warn: "sev-warn", normal: "ok-text", stale: "muted" };
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

const col = createColumnHelper<MeterTableRow>();
const columns = [
  col.accessor("id", {
    header: "Meter",
    cell: (c) => (
      <Link href={`/meters/${c.getValue()}`} data-testid="meter-link">
        {c.getValue()}
      </Link>
    ),
  }),
  col.accessor("kind", { header: "Kind", cell: (c) => <span data-testid="cell-kind">{c.getValue()}</span> }),
  col.accessor("model", { header: "Model" }),
  col.accessor("gateway", {
    header: "Gateway",
    cell: (c) => (
      <Link href={`/meters?gw=${encodeURIComponent(c.getValue())}`} data-testid="cell-gateway">
        {c.getValue()}
      </Link>
    ),
  }),
  col.accessor("zone", { header: "Zone" }),
  col.accessor("firmware", { header: "Firmware", cell: (c) => <code>{c.getValue()}</code> }),
  col.accessor("installed", { header: "Installed", cell: (c) => day(c.getValue()) }),
  col.accessor("cert", { header: "Cert. expires", cell: (c) => <span className={c.getValue() < Date.now() ? "error-text" : undefined}>{day(c.getValue())}</span> }),
  col.accessor("lastSeen", { header: "Last heard (UTC)", cell: (c) => (c.getValue() ? formatUtc(c.getValue()) : <span className="muted">never</span>) }),
  col.accessor("state", {
    header: "State",
    cell: (c) => (
      <span className={STATE_CLASS[c.getValue()]} data-testid="cell-state">
        {c.getValue()}
        {c.row.original.faultCode && c.getValue() !== "normal" && c.getValue() !== "stale" ? (
          <>
            {" · "}
            <CodeLink code={c.row.original.faultCode} />
          </>
        ) : (
          ""
        )}
      </span>
    ),
  }),
];

export function MetersTable({ rows, sort, dir, sortHrefs }: { rows: MeterTableRow[]; sort: string; dir: "asc" | "desc"; sortHrefs: Record<string, string> }) {
  const table = useReactTable({
    data: rows,
    columns,
    getCoreRowModel: getCoreRowModel(),
    manualSorting: true,
    manualPagination: true,
    state: { sorting: [{ id: sort, desc: dir === "desc" }] },
  });
  return (
    <div className="card" style={{ padding: 0, maxHeight: "calc(100vh - 260px)", overflow: "auto" }}>
      <table className="data" data-testid="meters-table">
        <thead>
          {table.getHeaderGroups().map((hg) => (
            <tr key={hg.id}>
              {hg.headers.map((h) => {
                return (
                  <SortedHeader key={h.id} sorted={h.column.getIsSorted()} href={sortHrefs[h.column.id] ?? "#"} testId={`sort-${h.column.id}`}>
                    {flexRender(h.column.columnDef.header, h.getContext())}
                  </SortedHeader>
                );
              })}
            </tr>
          ))}
        </thead>
        <tbody>
          {table.getRowModel().rows.map((r) => (
            <tr key={r.id} data-testid="meter-row">
              {r.getVisibleCells().map((c) => (
                <td key={c.id}>{flexRender(c.column.columnDef.cell, c.getContext())}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
