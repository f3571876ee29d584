"use client";
// Source status, live over the socket.io room `ingest` (a snapshot every 2 s);
// new refusals refresh the server-rendered refusal list at most every 5 s.
import { createColumnHelper, getCoreRowModel, useReactTable } from "@tanstack/react-table";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { io } from "socket.io-client";
import { DataTable } from "@/components/data-table";
import type { IngestStatus, SourceStatus } from "@/ingest/status";
import type { BatchEnvelope } from "@/lib/realtime/rooms";

const STATE_CLASS: Record<string, string> = { running: "ok-text", idle: "muted", paused: "sev-warn", error: "error-text", starting: "muted", stopped: "muted" };

const formatBytes = (n: number) => (n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(1)} MiB`);

function formatLag(s: SourceStatus): string {
  if (s.lag === null) return "—";
  if (s.lagUnit === "bytes") return formatBytes(s.lag);
  return `${s.lag} msg`;
}

function formatSeconds(sec: number): string {
  return sec < 120 ? `${sec} s` : sec < 7200 ? `${Math.round(sec / 60)} min` : `${(sec / 3600).toFixed(1)} h`;
}

const baseName = (p: string) => p.slice(p.lastIndexOf("/") + 1);
const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);

/** Per file of a tailed chain: bytes and seconds behind. */
function FileLags({ s }: { s: SourceStatus }) {
  const behind = s.files.filter((f) => f.bytesBehind > 0);
  return (
    <>
      <div>{formatLag(s)}</div>
      {behind.length > 0 && (
        <ul style={{ margin: 0, paddingLeft: 14, fontSize: 12 }} className="muted" data-testid={`ingest-files-${s.name}`}>
          {behind.slice(0, 6).map((f) => (
            <li key={f.name} title={f.name}>
              {baseName(f.name)}: {formatBytes(f.bytesBehind)}
              {f.compressed ? " (uncompressed)" : ""} · {formatSeconds(f.secondsBehind)} behind
            </li>
          ))}
          {behind.length > 6 && <li>and {behind.length - 6} more files</li>}
        </ul>
      )}
    </>
  );
}

/** Lines/s per 10 s over the last 10 min as a small SVG area chart. */
function RateChart({ history, label }: { history: number[]; label: string }) {
  const buckets: number[] = [];
  for (let i = 0; i < history.length; i += 10) buckets.push(history.slice(i, i + 10).reduce((a, b) => a + b, 0) / 10);
  const w = 180;
  const h = 36;
  const max = Math.max(1, ...buckets);
  const step = w / Math.max(1, buckets.length - 1);
  const pts = buckets.map((v, i) => `${(i * step).toFixed(1)},${(h - 1 - (v / max) * (h - 4)).toFixed(1)}`);
  return (
    <svg width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={label} style={{ verticalAlign: "middle", color: "var(--accent)" }}>
      <title>{label}</title>
      <polygon points={`0,${h - 1} ${pts.join(" ")} ${w},${h - 1}`} fill="currentColor" opacity={0.15} />
      <polyline points={pts.join(" ")} fill="none" stroke="currentColor" strokeWidth={1.5} />
      <text x={w - 2} y={10} textAnchor="end" fontSize={9} fill="var(--text-muted)">
        {Math.round(max).toLocaleString("en")}/s
      </text>
    </svg>
  );
}

const col = createColumnHelper<SourceStatus>();
const columns = [
  col.accessor("name", { header: "Source", cell: (c) => <code>{c.getValue()}</code> }),
  col.accessor("state", {
    header: "State",
    cell: (c) => {
      const s = c.row.original;
      return (
        <div data-testid={`ingest-state-${s.name}`}>
          {s.degradedSince !== null ? (
            <>
              <strong className="error-text">degraded</strong>
              <span className="error-text" style={{ fontSize: 12 }}>
                {" "}
                since {clock(s.degradedSince)} UTC ({formatSeconds(Math.max(0, Math.round(((c.table.options.meta as { at: number }).at - s.degradedSince) / 1000)))})
              </span>
              <div className="muted" style={{ fontSize: 12 }}>
                {s.state === "error" ? "restarting with backoff" : s.state}
              </div>
            </>
          ) : (
            <>
              <span className={STATE_CLASS[s.state] ?? ""}>{s.state}</span>
              {s.detail && (
                <div className="muted" style={{ fontSize: 12 }}>
                  {s.detail}
                </div>
              )}
            </>
          )}
          {s.gaps > 0 && (
            <div className="sev-warn" style={{ fontSize: 12 }} data-testid={`ingest-gaps-${s.name}`}>
              {s.gaps} {s.gaps === 1 ? "file" : "files"} lost before read: {s.gapFiles.map(baseName).join(", ")}
            </div>
          )}
        </div>
      );
    },
  }),
  col.display({ id: "lag", header: "Lag", cell: (c) => <FileLags s={c.row.original} /> }),
  col.accessor("linesPerSec", { header: "Lines/s", cell: (c) => Math.round(c.getValue()).toLocaleString("en") }),
  col.display({
    id: "history",
    header: "Last 10 min",
    cell: (c) => <RateChart history={c.row.original.history} label={`lines per second of ${c.row.original.name}, last 10 minutes`} />,
  }),
  col.accessor("accepted", {
    header: "Accepted",
    cell: (c) => <span data-testid={`ingest-accepted-${c.row.original.name}`}>{c.getValue().toLocaleString("en")}</span>,
  }),
  col.accessor("refused", {
    header: "Refused",
    cell: (c) => <span data-testid={`ingest-refused-${c.row.original.name}`}>{c.getValue().toLocaleString("en")}</span>,
  }),
  col.accessor("lastError", {
    header: "Last error",
    cell: (c) =>
      c.getValue() ? (
        <span className="error-text" style={{ display: "inline-block", maxWidth: 280, fontSize: 12, overflowWrap: "anywhere" }} data-testid={`ingest-error-${c.row.original.name}`}>
          {`${c.getValue()} (${new Date(c.row.original.lastErrorAt ?? 0).toISOString().slice(11, 19)})`}
        </span>
      ) : null,
  }),
];

export function IngestSources({ initial }: { initial: IngestStatus }) {
  const [status, setStatus] = useState(initial);
  const [live, setLive] = useState<"connecting" | "live" | "error">("connecting");
  const router = useRouter();
  const lastRefresh = useRef(0);

  useEffect(() => {
    const socket = io({ path: "/socket.io", transports: ["websocket"], withCredentials: true });
    socket.on("connect", () => {
      socket.emit("subscribe", "ingest", (r: { ok: boolean }) => setLive(r?.ok ? "live" : "error"));
    });
    socket.on("connect_error", () => setLive("error"));
    socket.on("batch", (m: BatchEnvelope) => {
      if (m?.room !== "ingest") return;
      if (m.event === "status" && m.items.length > 0) setStatus(m.items[m.items.length - 1] as IngestStatus);
      if (m.event === "refused" && Date.now() - lastRefresh.current > 5000) {
        lastRefresh.current = Date.now();
        router.refresh();
      }
    });
    return () => {
      socket.disconnect();
    };
  }, [router]);

  const table = useReactTable({ data: status.sources, columns, getRowId: (s) => s.name, getCoreRowModel: getCoreRowModel(), meta: { at: status.at } });
  const w = status.writer;
  return (
    <section aria-label="Ingest sources" style={{ marginBottom: 16 }}>
      <div className="row" style={{ marginBottom: 8 }}>
        <span className="badge" data-testid="ingest-live">
          {live === "live" ? "live" : live === "error" ? "not live" : "connecting…"}
        </span>
        {w ? (
          <span className={w.failures > 0 ? "error-text" : w.congested ? "sev-warn" : "muted"} data-testid="ingest-writer">
            Writer: {w.failures > 0 ? `inserts failing (${w.failures} attempts): ${w.lastError ?? ""}` : w.congested ? "congested" : "healthy"} · queued{" "}
            {w.queuedRows.toLocaleString("en")} / {w.maxQueuedRows.toLocaleString("en")} rows · {w.accepted.toLocaleString("en")} accepted, {w.refused.toLocaleString("en")} refused
            since start
          </span>
        ) : (
          <span className="muted">Ingest is not running in this process.</span>
        )}
      </div>
      {status.sources.length === 0 ? (
        <div className="empty" data-testid="empty-state">
          <strong>No ingest sources active</strong>Configure INGEST_FILES or MQTT_URL, or create an HTTP ingest token below.
        </div>
      ) : (
        <div className="card" style={{ padding: 0 }}>
          <DataTable
            table={table}
            testId="ingest-sources"
            rowProps={(r) => ({
              "data-testid": `ingest-source-${r.original.name}`,
              // A failing source stands out: a red edge and tint on its whole row.
              style: r.original.degradedSince !== null ? { boxShadow: "inset 3px 0 0 var(--error)", background: "color-mix(in srgb, var(--error) 8%, transparent)" } : undefined,
            })}
          />
        </div>
      )}
    </section>
  );
}
