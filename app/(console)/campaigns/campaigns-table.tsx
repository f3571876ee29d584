"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { createColumnHelper, flexRender, getCoreRowModel, getSortedRowModel, useReactTable, type SortingState } from "@tanstack/react-table";
import { useEffect, useRef, useState } from "react";
import { io } from "socket.io-client";
import type { CampaignListRow } from "@/lib/campaigns/service";
import type { BatchEnvelope } from "@/lib/realtime/rooms";
import { formatUtc } from "@/lib/format/time";
import { jobTypeTitle } from "@/lib/scheduling/job-types";

type CampaignChange = { id: string; status: string; progressPct?: number };

const col = createColumnHelper<CampaignListRow>();
const columns = [
  col.accessor("name", {
    header: "Name",
    cell: (c) => (
      <Link href={`/campaigns/${c.row.original.id}`} data-testid="campaign-link">
        {c.getValue()}
      </Link>
    ),
  }),
  col.accessor("jobType", { header: "Step", cell: (c) => jobTypeTitle(c.getValue()) }),
  col.accessor("status", {
    header: "Status",
    cell: (c) => (
      <span className={`badge status-${c.getValue()}`} data-testid="campaign-status">
        {c.getValue().replace("_", " ")}
      </span>
    ),
  }),
  col.accessor("targetCount", { header: "Meters" }),
  col.accessor("progressPct", {
    header: "Progress",
    cell: (c) => (
      <div className="bar" title={`${c.getValue()}%`} data-testid="campaign-progress">
        <span style={{ width: `${c.getValue()}%` }} />
        <em>{c.getValue()}%</em>
      </div>
    ),
  }),
  col.accessor("failed", { header: "Failed" }),
  col.accessor("createdByEmail", { header: "Created by" }),
  col.accessor("createdAt", { header: "Created (UTC)", cell: (c) => formatUtc(c.getValue()) }),
];

/** Live: status and progress arrive over the `campaigns` room; a campaign not on the page triggers one refresh. */
function useLiveRows(initial: CampaignListRow[]): { rows: CampaignListRow[]; isLive: boolean } {
  const router = useRouter();
  const [rows, setRows] = useState(initial);
  const [isLive, setIsLive] = useState(false);
  const known = useRef(new Set(initial.map((r) => r.id)));
  useEffect(() => {
    setRows(initial);
    known.current = new Set(initial.map((r) => r.id));
  }, [initial]);
  useEffect(() => {
    const socket = io({ transports: ["websocket", "polling"] });
    let refreshTimer: ReturnType<typeof setTimeout> | null = null;
    socket.on("connect", () => socket.emit("subscribe", "campaigns", (ack: { ok?: boolean } | undefined) => setIsLive(ack?.ok !== false)));
    socket.on("disconnect", () => setIsLive(false));
    socket.on("batch", (b: BatchEnvelope<CampaignChange>) => {
      if (b.room !== "campaigns" || b.event !== "campaign" || !b.items.length) return;
      const latest = new Map(b.items.map((c) => [c.id, c]));
      if ([...latest.keys()].some((id) => !known.current.has(id)) && !refreshTimer) {
        refreshTimer = setTimeout(() => {
          refreshTimer = null;
          router.refresh();
        }, 1000);
      }
      setRows((prev) =>
        prev.map((r) => {
          const c = latest.get(r.id);
          return c ? { ...r, status: c.status as CampaignListRow["status"], progressPct: c.progressPct ?? r.progressPct } : r;
        }),
      );
    });
    return () => {
      if (refreshTimer) clearTimeout(refreshTimer);
      socket.disconnect();
    };
  }, [router]);
  return { rows, isLive };
}

export function CampaignsTable({ rows: initial }: { rows: CampaignListRow[] }) {
  const [sorting, setSorting] = useState<SortingState>([]);
  const { rows, isLive } = useLiveRows(initial);
  const table = useReactTable({ data: rows, columns, state: { sorting }, onSortingChange: setSorting, getCoreRowModel: getCoreRowModel(), getSortedRowModel: getSortedRowModel() });
  return (
    <div className="card" style={{ padding: 0, overflow: "auto" }}>
      <p className="muted" style={{ margin: "0.5rem 0.75rem" }}>
        Live: <span data-testid="campaigns-live">{isLive ? "connected" : "offline"}</span>
      </p>
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
            <tr key={r.id} data-testid="campaign-row" data-campaign={r.original.id}>
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
