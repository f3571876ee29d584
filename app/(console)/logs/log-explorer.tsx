"use client";
// The log explorer: query bar (syntax errors at their position), time range (URL), stacked
// histogram with drag-to-zoom, virtualized results with keyset paging, live tail, export.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { parseQuery, type QueryNote } from "@/lib/logs/query-parser";
import type { EmptyExplanation } from "@/lib/logs/explain-empty";
import { LOG_COLUMNS, type LogColumn } from "@/lib/logs/sql-builder";
import { resolveTimeRange, TIME_RANGE_PRESET_LIST, type TimeRange, type TimeRangePreset } from "@/lib/logs/time-range";
import type { SavedSearchItem } from "@/lib/logs/saved-searches";
import { Histogram, type HistogramData } from "./histogram";
import { ResultsTable, type LogRow } from "./results-table";
import { SavedSearches } from "./saved-searches";
import { useLiveTail } from "./use-live-tail";
import { COLUMNS_STORAGE_KEY, DEFAULT_COLUMNS, parseColumns, parseViewState, rangeToText, serializeViewState, type ViewState } from "./view-state";
import styles from "./logs.module.css";
import { formatUtc } from "@/lib/format/time";

type ApiError = { kind: "syntax"; message: string; position: number; length: number } | { kind: "invalid" | "limit"; message: string };

const PAGE_SIZE = 200;
const LIVE_MAX_ROWS = 2000;

async function getJson<T>(url: string, signal: AbortSignal): Promise<{ ok: true; data: T } | { ok: false; error: ApiError }> {
  const res = await fetch(url, { signal, headers: { accept: "application/json" } });
  const body = (await res.json().catch(() => null)) as ({ error?: ApiError } & T) | null;
  if (!res.ok || !body) return { ok: false, error: body?.error ?? { kind: "invalid", message: `The server answered ${res.status}` } };
  return { ok: true, data: body };
}

function apiParams(p: { q: string; from: number; to: number; order?: string; stack?: string; cursor?: string | null; cols?: readonly string[]; format?: string; limit?: number }) {
  const sp = new URLSearchParams({ q: p.q, from: new Date(p.from).toISOString(), to: new Date(p.to).toISOString() });
  if (p.order) sp.set("order", p.order);
  if (p.stack) sp.set("stack", p.stack);
  if (p.cursor) sp.set("cursor", p.cursor);
  if (p.cols) sp.set("cols", p.cols.join(","));
  if (p.format) sp.set("format", p.format);
  if (p.limit) sp.set("limit", String(p.limit));
  return sp.toString();
}

export function LogExplorer({ savedSearches, canShare, canExport }: { savedSearches: SavedSearchItem[]; canShare: boolean; canExport: boolean }) {
  const router = useRouter();
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const spKey = searchParams.toString();
  const view = useMemo(() => parseViewState(new URLSearchParams(spKey)), [spKey]);

  // Columns: the URL wins (shared links), else the remembered choice, else the defaults.
  const [storedCols, setStoredCols] = useState<LogColumn[] | null>(null);
  useEffect(() => {
    try {
      setStoredCols(parseColumns(window.localStorage.getItem(COLUMNS_STORAGE_KEY)));
    } catch {
      /* storage disabled */
    }
  }, []);
  const columns = view.cols ?? storedCols ?? [...DEFAULT_COLUMNS];
  const columnsKey = columns.join(",");

  const navigate = useCallback(
    (patch: Partial<Omit<ViewState, "rangeError">>) => {
      const next = serializeViewState({ ...view, cols: view.cols, ...patch });
      router.push(`${pathname}${next ? `?${next}` : ""}`, { scroll: false });
    },
    [view, router, pathname],
  );

  // The window is resolved once per search: histogram, every page and the export share it.
  const [refreshTick, setRefreshTick] = useState(0);
  const [win, setWin] = useState<{ from: number; to: number } | null>(null);
  useEffect(() => {
    setWin(resolveTimeRange(view.range, Date.now()));
    // eslint-disable-next-line react-hooks/exhaustive-deps -- view.range is derived from spKey
  }, [spKey, refreshTick]);

  // ---- query bar
  const [draft, setDraft] = useState(view.q);
  useEffect(() => setDraft(view.q), [view.q]);
  const draftParse = useMemo(() => parseQuery(draft), [draft]);
  const appliedParse = useMemo(() => parseQuery(view.q), [view.q]);
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (!draftParse.ok) return;
    if (draft === view.q) setRefreshTick((t) => t + 1);
    else navigate({ q: draft });
  };

  // ---- histogram
  const [hist, setHist] = useState<HistogramData | null>(null);
  const [histLoading, setHistLoading] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    if (!win || !appliedParse.ok) return;
    const ac = new AbortController();
    setHistLoading(true);
    getJson<HistogramData>(`/api/logs/histogram?${apiParams({ q: view.q, ...win, stack: view.stack })}`, ac.signal)
      .then((r) => {
        if (r.ok) setHist(r.data);
        else {
          setHist(null);
          setError(r.error);
        }
      })
      .catch(() => {})
      .finally(() => !ac.signal.aborted && setHistLoading(false));
    return () => ac.abort();
  }, [win, view.q, view.stack, appliedParse.ok]);

  // ---- a search that found nothing: which filter removed everything
  const [explanation, setExplanation] = useState<EmptyExplanation | null>(null);
  useEffect(() => {
    setExplanation(null);
    if (!win || !appliedParse.ok || !hist || hist.total !== 0 || view.q.trim() === "") return;
    const ac = new AbortController();
    getJson<EmptyExplanation>(`/api/logs/explain?${apiParams({ q: view.q, ...win })}`, ac.signal)
      .then((r) => !ac.signal.aborted && r.ok && setExplanation(r.data))
      .catch(() => {});
    return () => ac.abort();
  }, [win, view.q, hist, appliedParse.ok]);

  // ---- results (keyset pages)
  const [rows, setRows] = useState<LogRow[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const pageAbort = useRef<AbortController | null>(null);
  const loadPage = useCallback(
    (after: string | null) => {
      if (!win || !appliedParse.ok) return;
      pageAbort.current?.abort();
      const ac = new AbortController();
      pageAbort.current = ac;
      setLoading(true);
      getJson<{ rows: LogRow[]; nextCursor: string | null }>(
        `/api/logs/search?${apiParams({ q: view.q, ...win, order: view.order, cursor: after, limit: PAGE_SIZE, cols: columnsKey.split(",") })}`,
        ac.signal,
      )
        .then((r) => {
          if (ac.signal.aborted) return;
          if (r.ok) {
            setRows((prev) => (after ? [...prev, ...r.data.rows] : r.data.rows));
            setCursor(r.data.nextCursor);
          } else {
            if (!after) setRows([]);
            setCursor(null);
            setError(r.error);
          }
        })
        .catch(() => {})
        .finally(() => !ac.signal.aborted && setLoading(false));
    },
    [win, view.q, view.order, appliedParse.ok, columnsKey],
  );
  useEffect(() => {
    setError(null);
    setRows([]);
    setCursor(null);
    loadPage(null);
    return () => pageAbort.current?.abort();
  }, [loadPage]);
  const loadMore = useCallback(() => cursor && loadPage(cursor), [cursor, loadPage]);

  // ---- live tail
  const [live, setLive] = useState(false);
  const [liveRows, setLiveRows] = useState<LogRow[]>([]);
  const [rateSkipped, setRateSkipped] = useState(0);
  const [paused, setPaused] = useState(false);
  const pausedRef = useRef(false);
  const pending = useRef<LogRow[]>([]);
  const [pendingCount, setPendingCount] = useState(0);
  const onLines = useCallback((items: LogRow[], skipped: number) => {
    if (skipped) setRateSkipped((n) => n + skipped);
    if (!items.length) return;
    const newestFirst = [...items].reverse();
    if (pausedRef.current) {
      pending.current = [...newestFirst, ...pending.current].slice(0, LIVE_MAX_ROWS);
      setPendingCount((n) => n + items.length);
      return;
    }
    setLiveRows((prev) => [...newestFirst, ...prev].slice(0, LIVE_MAX_ROWS));
  }, []);
  const { status: liveStatus, error: liveError } = useLiveTail({ enabled: live && appliedParse.ok, q: view.q, onLines });
  const setPausedState = useCallback((away: boolean) => {
    if (pausedRef.current === away) return;
    pausedRef.current = away;
    setPaused(away);
    if (!away && pending.current.length) {
      const add = pending.current;
      pending.current = [];
      setPendingCount(0);
      setLiveRows((prev) => [...add, ...prev].slice(0, LIVE_MAX_ROWS));
    }
  }, []);
  const toggleLive = () => {
    setLive((on) => !on);
    setLiveRows([]);
    setRateSkipped(0);
    pending.current = [];
    setPendingCount(0);
    pausedRef.current = false;
    setPaused(false);
  };

  // ---- columns
  const [showCols, setShowCols] = useState(false);
  const toggleColumn = (c: LogColumn) => {
    const next = columns.includes(c) ? columns.filter((x) => x !== c) : LOG_COLUMNS.filter((x) => x === c || columns.includes(x));
    if (next.length === 0) return;
    try {
      window.localStorage.setItem(COLUMNS_STORAGE_KEY, next.join(","));
    } catch {
      /* storage disabled */
    }
    setStoredCols(next);
    navigate({ cols: next });
  };

  // ---- absolute range inputs (UTC)
  const [customOpen, setCustomOpen] = useState(view.range.kind === "absolute");
  const [fromText, setFromText] = useState("");
  const [toText, setToText] = useState("");
  useEffect(() => {
    if (!win) return;
    setFromText(new Date(win.from).toISOString().slice(0, 16));
    setToText(new Date(win.to).toISOString().slice(0, 16));
  }, [win]);
  const applyCustom = (e: React.FormEvent) => {
    e.preventDefault();
    const from = Date.parse(fromText + ":00Z");
    const to = Date.parse(toText + ":00Z");
    if (Number.isFinite(from) && Number.isFinite(to) && from < to) navigate({ range: { kind: "absolute", from, to } });
  };
  const setPreset = (preset: TimeRangePreset) => navigate({ range: { kind: "preset", preset } as TimeRange });

  const queryError = !draftParse.ok ? draftParse.error : error?.kind === "syntax" ? error : null;
  const exportHref = (format: "csv" | "ndjson") => (win ? `/api/logs/export?${apiParams({ q: view.q, ...win, order: view.order, cols: columns, format })}` : undefined);

  return (
    <div className={styles.explorer}>
      <form className={styles.searchRow} onSubmit={submit} role="search">
        <div className={styles.queryWrap}>
          <input
            className={styles.queryInput}
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            placeholder='code:E105 gw:GW-0042  ·  meter:EM-0012345  ·  "RF timeout" -sev:debug  ·  rssi:<-95'
            aria-label="Search query"
            aria-invalid={!!queryError}
            aria-describedby={queryError ? "query-error" : undefined}
            spellCheck={false}
            autoComplete="off"
            data-testid="query-input"
          />
          {queryError && <QueryErrorView id="query-error" text={draft} error={queryError} />}
          {draftParse.ok && draftParse.notes.length > 0 && (
            <QueryNotes
              notes={draftParse.notes}
              onApply={(note) => {
                const next = draft.slice(0, note.position) + note.replacement + draft.slice(note.position + note.length);
                setDraft(next);
                navigate({ q: next });
              }}
            />
          )}
        </div>
        <button type="submit" className="primary" disabled={!draftParse.ok} data-testid="query-submit">
          Search
        </button>
        <div className={styles.presets} role="group" aria-label="Time range">
          {TIME_RANGE_PRESET_LIST.map((p) => (
            <button type="button" key={p} aria-pressed={view.range.kind === "preset" && view.range.preset === p} onClick={() => setPreset(p)} data-testid={`range-${p}`}>
              {p}
            </button>
          ))}
          <button type="button" aria-pressed={view.range.kind === "absolute"} onClick={() => setCustomOpen((o) => !o)} data-testid="range-custom">
            Custom…
          </button>
        </div>
      </form>
      {customOpen && (
        <form className={styles.absolute} onSubmit={applyCustom} data-testid="range-absolute">
          <label>
            From (UTC)
            <input type="datetime-local" value={fromText} onChange={(e) => setFromText(e.target.value)} data-testid="range-from" />
          </label>
          <label>
            To (UTC)
            <input type="datetime-local" value={toText} onChange={(e) => setToText(e.target.value)} data-testid="range-to" />
          </label>
          <button type="submit">Apply range</button>
        </form>
      )}
      {view.rangeError && (
        <div className="notice error" role="alert" data-testid="range-error">
          {view.rangeError} — showing the last hour instead.
        </div>
      )}
      {error && error.kind !== "syntax" && (
        <div className="notice error" role="alert" data-testid={error.kind === "limit" ? "query-limit-error" : "query-api-error"}>
          {error.message}
        </div>
      )}

      {explanation && (
        <div className="notice" role="status" data-testid="empty-explanation">
          {explanation.message}
        </div>
      )}

      <div className={styles.toolbar}>
        <span className={styles.count} data-testid="result-count" data-count={hist?.total ?? ""}>
          {hist ? `${hist.total.toLocaleString("en-US")} matching lines` : histLoading ? "Counting…" : "—"}
        </span>
        <span className="muted">{win ? `${formatUtc(win.from, { seconds: true })} → ${formatUtc(win.to, { seconds: true, zone: true })}` : ""}</span>
        <span className={styles.spacer} />
        <label style={{ flexDirection: "row", alignItems: "center" }}>
          Stack by
          <select value={view.stack} onChange={(e) => navigate({ stack: e.target.value === "code" ? "code" : "sev" })} data-testid="stack-select">
            <option value="sev">severity</option>
            <option value="code">code</option>
          </select>
        </label>
        <div className={styles.columnsMenu}>
          <button type="button" onClick={() => setShowCols((s) => !s)} aria-expanded={showCols} data-testid="columns-button">
            Columns
          </button>
          {showCols && (
            <div data-testid="columns-menu">
              {LOG_COLUMNS.filter((c) => c !== "id").map((c) => (
                <label key={c}>
                  <input type="checkbox" checked={columns.includes(c)} onChange={() => toggleColumn(c)} data-testid={`column-${c}`} /> {c}
                </label>
              ))}
            </div>
          )}
        </div>
        <button type="button" onClick={toggleLive} aria-pressed={live} disabled={!appliedParse.ok} data-testid="live-toggle">
          {live ? "Stop live tail" : "Live tail"}
        </button>
        {canExport && win && appliedParse.ok && (
          <>
            <a className="button" href={exportHref("csv")} download data-testid="export-csv">
              Export CSV
            </a>
            <a className="button" href={exportHref("ndjson")} download data-testid="export-ndjson">
              NDJSON
            </a>
          </>
        )}
      </div>

      {win && (
        <Histogram data={hist} from={win.from} to={win.to} stackBy={view.stack} loading={histLoading} onZoom={(from, to) => navigate({ range: { kind: "absolute", from, to } })} />
      )}

      <SavedSearches
        initial={savedSearches}
        canShare={canShare}
        current={{ query: view.q, range: rangeToText(view.range), view: { columns, stack: view.stack, order: view.order } }}
      />

      {live ? (
        <ResultsTable
          rows={liveRows}
          columns={columns}
          order="desc"
          hasMore={false}
          loading={false}
          onScrolledAway={setPausedState}
          header={
            <div className={styles.liveBar} data-testid="live-bar" data-status={liveStatus}>
              <span className={styles.dot} style={{ background: liveStatus === "live" ? "var(--ok)" : "var(--stale)" }} />
              <span data-testid="live-status">
                {liveStatus === "live"
                  ? "Live: new matching lines appear at the top"
                  : liveStatus === "hidden"
                    ? "Paused while the tab is hidden"
                    : liveStatus === "error"
                      ? `Live tail failed: ${liveError ?? ""}`
                      : "Connecting…"}
              </span>
              {rateSkipped > 0 && <span data-testid="live-rate-skipped">{rateSkipped.toLocaleString("en-US")} lines skipped (more than ~10/s)</span>}
              {paused && (
                <button type="button" onClick={() => setPausedState(false)} data-testid="live-resume">
                  Paused while scrolled · {pendingCount.toLocaleString("en-US")} new · resume
                </button>
              )}
            </div>
          }
          emptyText="Waiting for new lines that match this query…"
        />
      ) : (
        <ResultsTable
          rows={rows}
          columns={columns}
          order={view.order}
          onToggleOrder={() => navigate({ order: view.order === "desc" ? "asc" : "desc" })}
          hasMore={!!cursor}
          loading={loading}
          onLoadMore={loadMore}
          emptyText={
            !appliedParse.ok
              ? "Fix the query above to search."
              : loading
                ? "Searching…"
                : error
                  ? "No results: see the message above."
                  : explanation
                    ? explanation.message
                    : "No lines match this query in this time range. Widen the range or remove a filter."
          }
        />
      )}
    </div>
  );
}

/** What the query language made of the query: bare words read as ids, and "did you mean" with a one-click fix. */
function QueryNotes({ notes, onApply }: { notes: QueryNote[]; onApply: (note: QueryNote & { replacement: string }) => void }) {
  return (
    <ul className="muted" style={{ margin: "4px 0 0", paddingLeft: 0, listStyle: "none", fontSize: 12 }} data-testid="query-notes">
      {notes.map((n, i) => (
        <li key={i} data-testid={n.kind === "did_you_mean" ? "did-you-mean" : "query-interpretation"}>
          {n.message}
          {n.kind === "did_you_mean" && n.replacement !== undefined && (
            <>
              {" "}
              <button type="button" style={{ padding: "0 6px", fontSize: 12 }} onClick={() => onApply({ ...n, replacement: n.replacement! })} data-testid="did-you-mean-apply">
                Use {n.replacement}
              </button>
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

function QueryErrorView({ id, text, error }: { id: string; text: string; error: { message: string; position: number; length: number } }) {
  const start = Math.min(error.position, text.length);
  const end = Math.min(text.length, start + Math.max(error.length, 0));
  return (
    <div id={id} role="alert" data-testid="query-error" data-position={error.position} data-length={error.length}>
      <pre className={`${styles.queryError} mono`}>
        {text.slice(0, start)}
        <mark data-testid="query-error-mark">{end > start ? text.slice(start, end) : " "}</mark>
        {text.slice(end)}
      </pre>
      <div className={`${styles.caretLine} mono`} aria-hidden="true">
        {" ".repeat(start + 1)}
        {"^".repeat(Math.max(1, end - start))}
      </div>
      <span className="error-text">
        {error.message} (at character {error.position + 1})
      </span>
    </div>
  );
}
