"use client";
import Link from "next/link";
import { createColumnHelper, getCoreRowModel, useReactTable } from "@tanstack/react-table";
import { DataTable } from "@/components/data-table";
import { Sparkline } from "@/components/sparkline";
import type { MatrixViewRow } from "./view-model";

const ARROWS = { up: "↑", new: "↑", down: "↓", gone: "↓", flat: "→" } as const;

function TrendCell({ row }: { row: MatrixViewRow }) {
  if (!row.trend)
    return (
      <span className="muted" title="A state of the fleet now, not events over time">
        fleet state
      </span>
    );
  const { direction, text } = row.trend;
  const rising = direction === "up" || direction === "new";
  return (
    <span className="row" style={{ gap: 6, flexWrap: "nowrap" }} data-testid="trend" data-direction={direction}>
      <Sparkline values={row.sparkline} label={`${row.id}: events per bucket, ${row.events ?? 0} in the window`} />
      <span
        className={rising ? "error-text" : direction === "flat" ? "muted" : "ok-text"}
        style={{ whiteSpace: "nowrap" }}
        title={`previous window: ${row.previousEvents ?? 0} events`}
      >
        {ARROWS[direction]} {text}
      </span>
    </span>
  );
}

const col = createColumnHelper<MatrixViewRow>();

function buildColumns(canSchedule: boolean, canAlert: boolean) {
  const columns = [
    col.accessor("title", {
      header: "Signature",
      cell: (c) => (
        <div>
          <Link href={c.row.original.selectHref} scroll={false} data-testid="select-signature" aria-current={c.row.original.isSelected ? "true" : undefined}>
            {c.getValue()}
          </Link>
          <div className="muted" style={{ fontSize: 11 }}>
            <code>{c.row.original.id}</code>
            {c.row.original.anomalies.length > 0 && (
              <span className="badge sev-warn" style={{ marginLeft: 4 }} title={c.row.original.anomalies.join("\n")} data-testid="anomaly-flag">
                anomaly
              </span>
            )}
          </div>
        </div>
      ),
    }),
    col.accessor("severity", { header: "Severity", cell: (c) => <span className={`sev-${c.getValue()}`}>{c.getValue()}</span> }),
    col.accessor("meters", {
      header: "Meters",
      cell: (c) =>
        c.row.original.isJudged ? (
          <span data-testid="meters">{(c.getValue() ?? 0).toLocaleString("en")}</span>
        ) : (
          <span className="muted" title="No firmware compatibility list or data to judge this rule">
            n/a
          </span>
        ),
    }),
    col.accessor("events", {
      header: "Events",
      cell: (c) => (c.getValue() === null ? <span className="muted">—</span> : <span data-testid="events">{c.getValue()!.toLocaleString("en")}</span>),
    }),
    col.display({ id: "trend", header: "Trend vs previous", cell: (c) => <TrendCell row={c.row.original} /> }),
    col.accessor("meaning", {
      header: "Meaning and checks",
      cell: (c) => (
        <details>
          <summary style={{ cursor: "pointer" }}>{c.getValue()}</summary>
          <ol style={{ margin: "4px 0", paddingLeft: 18 }}>
            {c.row.original.checks.map((s, i) => (
              <li key={i}>{s}</li>
            ))}
          </ol>
        </details>
      ),
    }),
    col.display({
      id: "links",
      header: "Runbook",
      cell: (c) => (
        <div style={{ display: "flex", flexDirection: "column", gap: 2, whiteSpace: "nowrap" }}>
          <Link href={c.row.original.runbookHref} data-testid="runbook-link">
            runbook
          </Link>
          {c.row.original.explorerHref && (
            <Link href={c.row.original.explorerHref} data-testid="row-explorer-link">
              lines
            </Link>
          )}
          {canAlert && (
            <Link href={`/alerts/rules/new?${new URLSearchParams({ signature: c.row.original.id })}`} data-testid="alert-on-this">
              Alert on this
            </Link>
          )}
        </div>
      ),
    }),
  ];
  if (canSchedule) {
    columns.push(
      col.display({
        id: "action",
        header: "Action",
        cell: (c) =>
          c.row.original.schedule ? (
            <Link href={c.row.original.schedule.href} data-testid="schedule-link">
              {c.row.original.schedule.label}
            </Link>
          ) : c.row.original.noStep ? (
            <div data-testid="no-step-action" style={{ maxWidth: 260 }}>
              <span>{c.row.original.noStep.text}</span>
              {c.row.original.noStep.ruleOut && (
                <div className="muted" style={{ fontSize: 12 }}>
                  {c.row.original.noStep.ruleOut.href ? (
                    <Link href={c.row.original.noStep.ruleOut.href} data-testid="rule-out-link">
                      {c.row.original.noStep.ruleOut.label}
                    </Link>
                  ) : (
                    c.row.original.noStep.ruleOut.label
                  )}{" "}
                  {c.row.original.noStep.ruleOut.why}
                </div>
              )}
              <div>
                <Link href={c.row.original.runbookHref}>runbook</Link>
              </div>
            </div>
          ) : (
            <span className="muted">—</span>
          ),
      }) as never,
    );
  }
  return columns;
}

export function FaultMatrixTable({ rows, canSchedule, canAlert = false }: { rows: MatrixViewRow[]; canSchedule: boolean; canAlert?: boolean }) {
  const table = useReactTable({ data: rows, columns: buildColumns(canSchedule, canAlert), getCoreRowModel: getCoreRowModel(), getRowId: (r) => r.id });
  return (
    <div className="card" style={{ padding: 0, overflow: "auto", maxHeight: "60vh" }}>
      <DataTable
        table={table}
        testId="fault-matrix"
        cellStyle={{ verticalAlign: "top" }}
        rowProps={(r) => ({
          "data-testid": "matrix-row",
          "data-signature": r.original.id,
          "aria-selected": r.original.isSelected,
          style: r.original.isSelected ? { outline: "2px solid var(--accent)" } : undefined,
        })}
      />
    </div>
  );
}
