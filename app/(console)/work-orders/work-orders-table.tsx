"use client";
import { createColumnHelper, flexRender, getCoreRowModel, useReactTable } from "@tanstack/react-table";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useMemo, useState, type ReactNode } from "react";
import { io } from "socket.io-client";
import type { WorkOrderRow } from "@/lib/campaigns/work-orders";
import type { BatchEnvelope } from "@/lib/realtime/rooms";
import { formatUtc } from "@/lib/format/time";
import { formatReadings, outcomeLabel } from "@/lib/maintenance/field-report";
import { jobTypeTitle } from "@/lib/scheduling/job-types";
import { CompleteForm } from "./complete-form";

/** Where a work order's meter is and what it shows now (from the fleet in ClickHouse). */
export interface WorkOrderSite {
  gw: string;
  model: string;
  zone: string;
  led: string;
  faultCode: string;
}

type Row = WorkOrderRow & { site: WorkOrderSite | null };
const col = createColumnHelper<Row>();

/** Live: the `workorders` room says when orders are created or completed; the list reloads (at most once a second). */
function useLiveList(): boolean {
  const router = useRouter();
  const [isLive, setIsLive] = useState(false);
  useEffect(() => {
    const socket = io({ transports: ["websocket", "polling"] });
    let timer: ReturnType<typeof setTimeout> | null = null;
    socket.on("connect", () => socket.emit("subscribe", "workorders", (ack: { ok?: boolean } | undefined) => setIsLive(ack?.ok !== false)));
    socket.on("disconnect", () => setIsLive(false));
    socket.on("batch", (b: BatchEnvelope) => {
      if (b.room !== "workorders" || !b.items.length || timer) return;
      timer = setTimeout(() => {
        timer = null;
        router.refresh();
      }, 1000);
    });
    return () => {
      if (timer) clearTimeout(timer);
      socket.disconnect();
    };
  }, [router]);
  return isLive;
}

export function WorkOrdersTable({
  rows,
  sites,
  canComplete,
  canEditConstants,
  children,
}: {
  rows: WorkOrderRow[];
  sites: Record<string, WorkOrderSite>;
  canComplete: boolean;
  canEditConstants: boolean;
  children: ReactNode;
}) {
  const [openId, setOpenId] = useState<string | null>(null);
  const isLive = useLiveList();
  // Stable data and columns: new arrays on every render make the table render again, without end.
  const data: Row[] = useMemo(() => rows.map((r) => ({ ...r, site: sites[r.meterId] ?? null })), [rows, sites]);
  const columns = useMemo(
    () => [
      col.accessor("meterId", {
        header: "Meter",
        cell: (c) => (
          <Link href={`/meters/${encodeURIComponent(c.getValue())}`} data-testid="wo-meter" className="nowrap">
            {c.getValue()}
          </Link>
        ),
      }),
      col.accessor("jobType", { header: "Job", cell: (c) => <span data-testid="wo-job">{jobTypeTitle(c.getValue())}</span> }),
      col.accessor("status", {
        header: "Status",
        cell: (c) => (
          <Link href={`/work-orders/${c.row.original.id}`} data-testid="wo-status" className="nowrap" title="The work order">
            {c.getValue()}
          </Link>
        ),
      }),
      col.accessor((r) => (r.status === "open" ? "" : outcomeLabel(r.outcome, r.status)), {
        id: "outcome",
        header: "Outcome",
        cell: (c) => <span data-testid="wo-outcome-text">{c.getValue()}</span>,
      }),
      col.accessor((r) => r.site?.gw ?? "", {
        id: "gw",
        header: "Gateway",
        cell: (c) =>
          c.getValue() ? (
            <Link href={`/meters?gw=${encodeURIComponent(c.getValue())}`} className="nowrap" data-testid="wo-gw">
              {c.getValue()}
            </Link>
          ) : null,
      }),
      col.accessor((r) => r.site?.model ?? "", { id: "model", header: "Model", cell: (c) => <span className="nowrap">{c.getValue()}</span> }),
      col.accessor((r) => r.site?.zone ?? "", { id: "zone", header: "Climate zone" }),
      col.accessor((r) => [r.site?.led, r.site?.faultCode].filter(Boolean).join(" · "), {
        id: "now",
        header: "Shows now",
        cell: (c) => (
          <span data-testid="wo-now">
            {c.row.original.site?.led}
            {c.row.original.site?.led && c.row.original.site?.faultCode ? " · " : ""}
            {c.row.original.site?.faultCode && <Link href={`/faults?sig=${encodeURIComponent(c.row.original.site.faultCode)}#root-cause`}>{c.row.original.site.faultCode}</Link>}
          </span>
        ),
      }),
      col.accessor((r) => r.originCampaign?.name ?? "", {
        id: "campaign",
        header: "Campaign",
        cell: (c) => {
          const r = c.row.original;
          return (
            <>
              {r.originCampaign ? (
                <Link href={`/campaigns/${r.originCampaign.id}`} data-testid="wo-campaign">
                  {r.originCampaign.name}
                </Link>
              ) : (
                !r.followUpOfId && "preventive plan"
              )}
              {r.followUpOfId && (
                <div className="muted" style={{ fontSize: 11 }}>
                  <Link href={`/work-orders/${r.followUpOfId}`} data-testid="wo-follow-up-of">
                    follow-up of an earlier visit
                  </Link>
                </div>
              )}
            </>
          );
        },
      }),
      col.accessor("reason", { header: "Why", cell: (c) => <div style={{ minWidth: 220, maxWidth: 360 }}>{c.getValue() ?? ""}</div> }),
      col.accessor("createdAt", { header: "Created (UTC)", cell: (c) => <span className="nowrap">{formatUtc(c.getValue())}</span> }),
      col.accessor("completedAt", {
        header: "Closed",
        cell: (c) =>
          c.getValue() ? (
            <span data-testid="wo-closed">
              <span className="nowrap">{formatUtc(c.getValue()!)}</span> by {c.row.original.completedByEmail ?? "—"}
            </span>
          ) : null,
      }),
      col.accessor((r) => formatReadings(r.readings), {
        id: "readings",
        header: "Readings and notes",
        cell: (c) => (
          <span data-testid="wo-readings">
            {c.getValue()}
            {c.row.original.notes && (
              <span className="muted">
                {c.getValue() ? " · " : ""}
                {c.row.original.notes}
              </span>
            )}
          </span>
        ),
      }),
      col.display({
        id: "act",
        header: "",
        cell: (c) =>
          canComplete && c.row.original.status === "open" ? (
            <button type="button" data-testid="wo-complete-open" onClick={() => setOpenId(c.row.original.id)}>
              Complete…
            </button>
          ) : null,
      }),
    ],
    [canComplete],
  );
  const table = useReactTable({ data, columns, getCoreRowModel: getCoreRowModel() });
  const current = rows.find((r) => r.id === openId) ?? null;
  return (
    <>
      <p className="muted" style={{ margin: "0 0 8px" }}>
        Live: <span data-testid="work-orders-live">{isLive ? "connected" : "not connected"}</span>
      </p>
      {current && <CompleteForm row={current} canEditConstants={canEditConstants} onDone={() => setOpenId(null)} />}
      {rows.length ? (
        <div className="card" style={{ padding: 0, overflow: "auto", maxHeight: 560 }}>
          <table className="data" data-testid="work-orders-table">
            <thead>
              {table.getHeaderGroups().map((hg) => (
                <tr key={hg.id}>
                  {hg.headers.map((h) => (
                    <th key={h.id}>{flexRender(h.column.columnDef.header, h.getContext())}</th>
                  ))}
                </tr>
              ))}
            </thead>
            <tbody>
              {table.getRowModel().rows.map((r) => (
                <tr key={r.id} data-testid="wo-row" data-meter={r.original.meterId} data-job={r.original.jobType}>
                  {r.getVisibleCells().map((c) => (
                    <td key={c.id}>{flexRender(c.column.columnDef.cell, c.getContext())}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        children
      )}
    </>
  );
}
