"use client";
import { createColumnHelper, getCoreRowModel, useReactTable } from "@tanstack/react-table";
import { DataTable } from "@/components/data-table";
import { formatUtc } from "@/lib/format/time";

export interface ActivityRow {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string;
  outcome: string;
  ip: string;
  details: string;
}

const col = createColumnHelper<ActivityRow>();
const columns = [
  col.accessor("at", { header: "Time (UTC)", cell: (c) => formatUtc(c.getValue(), { seconds: true }) }),
  col.accessor("actor", { header: "Actor" }),
  col.accessor("action", { header: "Action" }),
  col.accessor("target", { header: "Target" }),
  col.accessor("outcome", { header: "Outcome", cell: (c) => <span className={c.getValue() === "ok" ? "ok-text" : "error-text"}>{c.getValue()}</span> }),
  col.accessor("ip", { header: "Address" }),
  col.accessor("details", { header: "Details", cell: (c) => <code>{c.getValue()}</code> }),
];

export function ActivityTable({ events }: { events: ActivityRow[] }) {
  const table = useReactTable({ data: events, columns, getCoreRowModel: getCoreRowModel() });
  if (!events.length) return <p className="muted">No activity yet.</p>;
  return (
    <div className="card" style={{ padding: 0, maxHeight: 420, overflow: "auto" }}>
      <DataTable table={table} testId="activity" rowProps={() => ({ "data-testid": "activity-row" })} />
    </div>
  );
}
