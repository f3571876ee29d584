"use client";
// Result rows: TanStack Table for the model, @tanstack/react-virtual for the DOM (only visible rows
// exist, so tens of thousands of loaded lines stay smooth). A row expands to every field incl. attrs.
import { useEffect, useMemo, useRef, useState } from "react";
import { getCoreRowModel, useReactTable, type ColumnDef, type ExpandedState } from "@tanstack/react-table";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { LogColumn } from "@/lib/logs/sql-builder";
import { ValueText } from "./value-text";
import styles from "./logs.module.css";

export type LogRow = Record<string, unknown> & { ts: string; id: string };

const WIDTHS: Partial<Record<LogColumn, string>> = {
  ts: "196px",
  sev: "70px",
  code: "140px",
  meter: "112px",
  gw: "84px",
  msg: "minmax(220px, 1fr)",
  attrs: "minmax(180px, 1fr)",
  fw_sha256: "minmax(140px, 1fr)",
};
const LABELS: Partial<Record<LogColumn, string>> = { ts: "Time (UTC)", sev: "Sev", msg: "Message" };
const TIME_COLUMNS = new Set(["ts", "recv_ts", "ingested_at", "cert_not_after"]);

export function ResultsTable({
  rows,
  columns,
  order,
  onToggleOrder,
  hasMore,
  loading,
  onLoadMore,
  onScrolledAway,
  header,
  emptyText,
}: {
  rows: LogRow[];
  columns: readonly LogColumn[];
  order: "desc" | "asc";
  onToggleOrder?: () => void;
  hasMore: boolean;
  loading: boolean;
  onLoadMore?: () => void;
  /** Live tail: true when the user scrolled away from the newest line (pause). */
  onScrolledAway?: (away: boolean) => void;
  header?: React.ReactNode;
  emptyText: React.ReactNode;
}) {
  const [expanded, setExpanded] = useState<ExpandedState>({});
  const columnDefs = useMemo<ColumnDef<LogRow>[]>(() => columns.map((c) => ({ id: c, accessorFn: (r: LogRow) => r[c], header: LABELS[c] ?? c })), [columns]);
  const table = useReactTable({
    data: rows,
    columns: columnDefs,
    getCoreRowModel: getCoreRowModel(),
    getRowId: (r) => r.id,
    getRowCanExpand: () => true,
    state: { expanded },
    onExpandedChange: setExpanded,
  });
  const tableRows = table.getRowModel().rows;
  const template = columns.map((c) => WIDTHS[c] ?? "110px").join(" ");
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: tableRows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => 27,
    overscan: 16,
    getItemKey: (i) => tableRows[i]?.id ?? i,
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.length ? items[items.length - 1]!.index : -1;

  // Infinite scroll: ask for the next keyset page when the last rows come into view.
  useEffect(() => {
    if (hasMore && !loading && onLoadMore && lastIndex >= tableRows.length - 25 && tableRows.length > 0) onLoadMore();
  }, [lastIndex, hasMore, loading, onLoadMore, tableRows.length]);

  return (
    <div className={styles.table} data-testid="results">
      {header}
      <div className={styles.thead} style={{ gridTemplateColumns: template }} role="row">
        {table.getHeaderGroups()[0]!.headers.map((h) => (
          <div key={h.id} role="columnheader">
            {h.id === "ts" && onToggleOrder ? (
              <button
                type="button"
                className={styles.sortButton}
                onClick={onToggleOrder}
                data-testid="sort-time"
                aria-label={`Sort by time, now ${order === "desc" ? "newest" : "oldest"} first`}
              >
                Time (UTC) {order === "desc" ? "↓" : "↑"}
              </button>
            ) : (
              String(h.column.columnDef.header)
            )}
          </div>
        ))}
      </div>
      <div ref={scrollRef} className={styles.scroller} data-testid="results-scroller" onScroll={(e) => onScrolledAway?.((e.currentTarget as HTMLDivElement).scrollTop > 4)}>
        {tableRows.length === 0 ? (
          <div style={{ padding: 16 }} data-testid="results-empty" className="muted">
            {emptyText}
          </div>
        ) : (
          <div style={{ height: virtualizer.getTotalSize(), position: "relative" }} role="table" aria-rowcount={tableRows.length}>
            {items.map((vi) => {
              const row = tableRows[vi.index]!;
              const isOpen = row.getIsExpanded();
              return (
                <div
                  key={vi.key}
                  data-index={vi.index}
                  ref={virtualizer.measureElement}
                  className={styles.tr}
                  style={{ gridTemplateColumns: template, position: "absolute", top: 0, left: 0, right: 0, transform: `translateY(${vi.start}px)` }}
                  role="row"
                  aria-expanded={isOpen}
                  data-testid="log-row"
                  onClick={(e) => {
                    if ((e.target as HTMLElement).closest("[data-details]")) return;
                    row.toggleExpanded();
                  }}
                >
                  {row.getVisibleCells().map((cell) => {
                    const c = cell.column.id;
                    const v = cell.getValue();
                    return (
                      <div key={cell.id} role="cell" data-col={c} className={c === "sev" ? `sev-${String(v)}` : undefined}>
                        <ValueText value={v} time={TIME_COLUMNS.has(c)} />
                      </div>
                    );
                  })}
                  {isOpen && <RowDetails row={row.original} />}
                </div>
              );
            })}
          </div>
        )}
      </div>
      <div className={styles.footer}>
        <span data-testid="loaded-count">{rows.length} loaded</span>
        {onLoadMore && hasMore && (
          <button type="button" onClick={onLoadMore} disabled={loading} data-testid="load-more">
            {loading ? "Loading…" : "Load more"}
          </button>
        )}
        {onLoadMore && !hasMore && rows.length > 0 && <span>End of results</span>}
      </div>
    </div>
  );
}

/** Search pages carry the list columns only: an expanded row reads the whole line once. */
function useWholeRow(row: LogRow): { row: LogRow; error: string | null } {
  const isWhole = "attrs" in row && "source" in row;
  const [whole, setWhole] = useState<LogRow | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (isWhole || /^live-/.test(row.id)) return;
    const ac = new AbortController();
    const sp = new URLSearchParams({ code: String(row.code ?? ""), ts: row.ts, id: row.id });
    fetch(`/api/logs/row?${sp}`, { signal: ac.signal })
      .then(async (r) => {
        const body = (await r.json().catch(() => null)) as { row?: LogRow; error?: { message: string } } | null;
        if (r.ok && body?.row) setWhole(body.row);
        else setError(body?.error?.message ?? `The server answered ${r.status}`);
      })
      .catch(() => {});
    return () => ac.abort();
  }, [isWhole, row.code, row.ts, row.id]);
  return { row: whole ?? row, error };
}

function RowDetails({ row: listed }: { row: LogRow }) {
  const { row, error } = useWholeRow(listed);
  const attrs = row.attrs && typeof row.attrs === "object" ? (row.attrs as Record<string, unknown>) : {};
  const fields = Object.entries(row).filter(([k, v]) => k !== "attrs" && v !== null && v !== "" && v !== undefined);
  return (
    <div className={styles.details} data-details data-testid="row-details" role="cell">
      <dl>
        {fields.map(([k, v]) => (
          <Field key={k} name={k} value={v} />
        ))}
        {Object.entries(attrs).map(([k, v]) => (
          <Field key={`attrs.${k}`} name={`attrs.${k}`} value={v} />
        ))}
      </dl>
      {error && <p className="error-text">{error}</p>}
    </div>
  );
}

function Field({ name, value }: { name: string; value: unknown }) {
  return (
    <>
      <dt>{name}</dt>
      <dd data-field={name}>
        <ValueText value={value} time={TIME_COLUMNS.has(name)} />
      </dd>
    </>
  );
}
