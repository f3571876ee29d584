"use client";
import { createColumnHelper, flexRender, getCoreRowModel, useReactTable } from "@tanstack/react-table";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import type { WorkOrderRow } from "@/lib/campaigns/work-orders";
import { completeWorkOrderAction } from "./actions";

const col = createColumnHelper<WorkOrderRow>();

export function WorkOrdersTable({ rows, canComplete, canEditConstants }: { rows: WorkOrderRow[]; canComplete: boolean; canEditConstants: boolean }) {
  const [openId, setOpenId] = useState<string | null>(null);
  const columns = [
    col.accessor("meterId", { header: "Meter" }),
    col.accessor("jobType", { header: "Step" }),
    col.accessor("status", { header: "Status", cell: (c) => <span data-testid="wo-status">{c.getValue()}</span> }),
    col.accessor("campaignName", { header: "Campaign", cell: (c) => c.getValue() ?? "preventive plan" }),
    col.accessor("reason", { header: "Why", cell: (c) => c.getValue() ?? "" }),
    col.accessor("readings", {
      header: "Readings",
      cell: (c) => {
        const r = c.getValue();
        return r ? `15 A ${r.err15A}% · 30 A ${r.err30A}% · 60 A ${r.err60A}%${r.withinEnvelope === 0 || (r as unknown as { withinEnvelope: boolean }).withinEnvelope === false ? " (outside envelope)" : ""}` : "";
      },
    }),
    col.display({
      id: "act",
      header: "",
      cell: (c) =>
        canComplete && c.row.original.status === "open" ? (
          <button type="button" data-testid="wo-complete-open" onClick={() => setOpenId(c.row.original.id)}>Complete…</button>
        ) : null,
    }),
  ];
  const table = useReactTable({ data: rows, columns, getCoreRowModel: getCoreRowModel() });
  const current = rows.find((r) => r.id === openId) ?? null;
  return (
    <>
      {current && <CompleteForm row={current} canEditConstants={canEditConstants} onDone={() => setOpenId(null)} />}
      <div className="card" style={{ padding: 0, overflow: "auto", maxHeight: 560 }}>
        <table className="data" data-testid="work-orders-table">
          <thead>{table.getHeaderGroups().map((hg) => <tr key={hg.id}>{hg.headers.map((h) => <th key={h.id}>{flexRender(h.column.columnDef.header, h.getContext())}</th>)}</tr>)}</thead>
          <tbody>
            {table.getRowModel().rows.map((r) => (
              <tr key={r.id} data-testid="wo-row" data-meter={r.original.meterId} data-job={r.original.jobType}>
                {r.getVisibleCells().map((c) => <td key={c.id}>{flexRender(c.column.columnDef.cell, c.getContext())}</td>)}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
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
      <h2>Complete {row.jobType} on {row.meterId}</h2>
      <div style={{ display: "grid", gridTemplateColumns: "repeat(6, minmax(0, 1fr))", gap: 8 }}>
        {isCalibration && (<>{input("err15A", "Error at 15 A (%)")}{input("err30A", "Error at 30 A (%)")}{input("err60A", "Error at 60 A (%)")}</>)}
        {isCalibration && canEditConstants && (<>{input("gain", "New gain correction")}{input("phase", "New phase correction (°)")}</>)}
        {input("notes", "Notes")}
      </div>
      {isCalibration && <p className="muted">Accuracy envelope: ±0.2 % at every load point.</p>}
      <div style={{ display: "flex", gap: 8 }}>
        <button type="button" className="primary" data-testid="wo-submit" disabled={isPending} onClick={submit}>Save</button>
        <button type="button" onClick={onDone}>Cancel</button>
      </div>
      {error && <p className="error-text" role="alert" data-testid="wo-error">{error}</p>}
    </section>
  );
}
