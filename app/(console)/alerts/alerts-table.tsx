"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { createColumnHelper, getCoreRowModel, getFilteredRowModel, getSortedRowModel, useReactTable, type SortingState } from "@tanstack/react-table";
import { useMemo, useState, useTransition } from "react";
import type { AlertRow } from "@/lib/alerts/service";
import { formatUtc } from "@/lib/format/time";
import { DataTable } from "@/components/data-table";
import { acknowledgeAlertAction } from "./actions";
import { LabelLinks } from "./label-links";

const col = createColumnHelper<AlertRow>();

function AckCell({ row, canAck }: { row: AlertRow; canAck: boolean }) {
  const router = useRouter();
  const [note, setNote] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [isPending, startTransition] = useTransition();
  if (row.acknowledgedAt)
    return (
      <span data-testid="ack-by" title={row.ackNote ?? ""}>
        {row.acknowledgedByEmail} at {formatUtc(row.acknowledgedAt)}
        {row.ackNote ? `: ${row.ackNote}` : ""}
      </span>
    );
  if (!canAck) return <span className="muted">not acknowledged</span>;
  return (
    <form
      className="al-ack"
      onSubmit={(e) => {
        e.preventDefault();
        startTransition(async () => {
          const r = await acknowledgeAlertAction({ alertId: row.id, note });
          if (r.ok) router.refresh();
          else setError(r.error);
        });
      }}
    >
      <input aria-label="Acknowledgement note" placeholder="What are you doing about it?" value={note} onChange={(e) => setNote(e.target.value)} data-testid="ack-note" />
      <button type="submit" disabled={isPending || !note.trim()} data-testid="ack-button">
        Acknowledge
      </button>
      {error && (
        <span className="error-text" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}

export function AlertsTable({ rows, canAck, view }: { rows: AlertRow[]; canAck: boolean; view: "firing" | "pending" | "silenced" }) {
  const [sorting, setSorting] = useState<SortingState>([]);
  const [text, setText] = useState("");
  const [severity, setSeverity] = useState("");
  const data = useMemo(() => rows.filter((r) => !severity || r.severity === severity), [rows, severity]);
  const columns = useMemo(
    () => [
      col.accessor("severity", { header: "Severity", cell: (c) => <span className={`al-sev-${c.getValue()}`}>{c.getValue()}</span> }),
      col.accessor("ruleName", {
        header: "Alert",
        cell: (c) => (
          <div data-testid="alert-summary">
            <strong>{c.getValue()}</strong>
            {c.row.original.isFlapping && <span className="badge"> flapping</span>}
            <div>{c.row.original.summary}</div>
            {c.row.original.runbookUrl && (
              <Link href={c.row.original.runbookUrl} data-testid="alert-runbook">
                Runbook
              </Link>
            )}
          </div>
        ),
      }),
      col.accessor((r) => Object.values(r.labels).join(" "), {
        id: "labels",
        header: "Where",
        cell: (c) => <LabelLinks labels={c.row.original.labels} campaignId={c.row.original.campaignId} />,
      }),
      col.accessor((r) => (view === "pending" ? r.pendingSince : r.firedAt) ?? r.updatedAt, { id: "since", header: "Since (UTC)", cell: (c) => formatUtc(c.getValue()) }),
      ...(view === "silenced" ? [col.accessor("suppressedReason", { header: "Held because", cell: (c) => <span data-testid="suppressed-reason">{c.getValue()}</span> })] : []),
      col.display({ id: "ack", header: "Acknowledged", cell: (c) => <AckCell row={c.row.original} canAck={canAck} /> }),
    ],
    [canAck, view],
  );
  const table = useReactTable({
    data,
    columns,
    state: { sorting, globalFilter: text },
    onSortingChange: setSorting,
    onGlobalFilterChange: setText,
    globalFilterFn: (row, _id, value: string) =>
      `${row.original.ruleName} ${row.original.summary} ${Object.values(row.original.labels).join(" ")}`.toLowerCase().includes(value.toLowerCase()),
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    getFilteredRowModel: getFilteredRowModel(),
  });
  return (
    <>
      <div className="al-filters">
        <input aria-label="Filter alerts" placeholder="Filter: rule, gateway, text" value={text} onChange={(e) => setText(e.target.value)} data-testid="alert-filter" />
        <select aria-label="Severity" value={severity} onChange={(e) => setSeverity(e.target.value)} data-testid="alert-severity-filter">
          <option value="">All severities</option>
          <option value="critical">critical</option>
          <option value="warning">warning</option>
          <option value="info">info</option>
        </select>
        <span className="muted">{table.getRowModel().rows.length} shown</span>
      </div>
      <DataTable table={table} testId="alerts-table" rowProps={(r) => ({ "data-alert-id": r.original.id })} />
    </>
  );
}
