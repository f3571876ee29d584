"use client";
import { createColumnHelper, flexRender, getCoreRowModel, useReactTable } from "@tanstack/react-table";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useMemo, useState, useTransition, type ReactNode } from "react";
import { io } from "socket.io-client";
import type { WorkOrderRow } from "@/lib/campaigns/work-orders";
import type { BatchEnvelope } from "@/lib/realtime/rooms";
import { completeWorkOrderAction } from "./actions";
import { formatUtc } from "@/lib/format/time";

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
      col.accessor("jobType", { header: "Step" }),
      col.accessor("status", { header: "Status", cell: (c) => <span data-testid="wo-status">{c.getValue()}</span> }),
      col.accessor((r) => r.site?.gw ?? "", { id: "gw", header: "Gateway", cell: (c) => <span className="nowrap">{c.getValue()}</span> }),
      col.accessor((r) => r.site?.model ?? "", { id: "model", header: "Model", cell: (c) => <span className="nowrap">{c.getValue()}</span> }),
      col.accessor((r) => r.site?.zone ?? "", { id: "zone", header: "Climate zone" }),
      col.accessor((r) => [r.site?.led, r.site?.faultCode].filter(Boolean).join(" · "), {
        id: "now",
        header: "Shows now",
        cell: (c) => <span data-testid="wo-now">{c.getValue()}</span>,
      }),
      col.accessor("campaignName", { header: "Campaign", cell: (c) => c.getValue() ?? "preventive plan" }),
      col.accessor("reason", { header: "Why", cell: (c) => c.getValue() ?? "" }),
      col.accessor("createdAt", { header: "Created (UTC)", cell: (c) => formatUtc(c.getValue()) }),
      col.accessor("readings", {
        header: "Readings",
        cell: (c) => {
          const r = c.getValue();
          return r
            ? `15 A ${r.err15A}% · 30 A ${r.err30A}% · 60 A ${r.err60A}%${r.withinEnvelope === 0 || (r as unknown as { withinEnvelope: boolean }).withinEnvelope === false ? " (outside envelope)" : ""}`
            : "";
        },
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

function CompleteForm({ row, canEditConstants, onDone }: { row: WorkOrderRow; canEditConstants: boolean; onDone: () => void }) {
  const router = useRouter();
  const [isPending, startTransition] = useTransition();
  const [v, setV] = useState({ err15A: "", err30A: "", err60A: "", notes: "", gain: "", phase: "" });
  const [error, setError] = useState<string | null>(null);
  const isCalibration = row.jobType === "calibrate";
  const submit = () =>
    startTransition(async () => {
      setError(null);
      const input: Record<string, unknown> = { workOrderId: row.id, outcome: "done", notes: v.notes || undefined };
      if (isCalibration) input.readings = { err15A: Number(v.err15A), err30A: Number(v.err30A), err60A: Number(v.err60A) };
      if (isCalibration && v.gain && v.phase) input.constants = { gainCorrection: Number(v.gain), phaseCorrectionDeg: Number(v.phase) };
      const r = await completeWorkOrderAction(input);
      if (!r.ok) return setError(r.error);
      onDone();
      router.refresh();
    });
  const input = (k: keyof typeof v, label: string) => (
    <label style={{ display: "flex", flexDirection: "column", fontSize: 12 }}>
      {label}
      <input data-testid={`wo-${k}`} value={v[k]} onChange={(e) => setV({ ...v, [k]: e.target.value })} />
    </label>
  );
  return (
    <section className="card" data-testid="wo-complete-form">
      <h2>
        Complete {row.jobType} on {row.meterId}
      </h2>
      <div style={{ display: "grid", gridTemplateColumns: "repeat(6, minmax(0, 1fr))", gap: 8 }}>
        {isCalibration && (
          <>
            {input("err15A", "Error at 15 A (%)")}
            {input("err30A", "Error at 30 A (%)")}
            {input("err60A", "Error at 60 A (%)")}
          </>
        )}
        {isCalibration && canEditConstants && (
          <>
            {input("gain", "New gain correction")}
            {input("phase", "New phase correction (°)")}
          </>
        )}
        {input("notes", "Notes")}
      </div>
      {isCalibration && <p className="muted">Accuracy envelope: ±0.2 % at every load point.</p>}
      <div style={{ display: "flex", gap: 8 }}>
        <button type="button" className="primary" data-testid="wo-submit" disabled={isPending} onClick={submit}>
          Save
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
      {error && (
        <p className="error-text" role="alert" data-testid="wo-error">
          {error}
        </p>
      )}
    </section>
  );
}
