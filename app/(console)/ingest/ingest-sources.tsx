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

function formatLag(s: SourceStatus): string {
  if (s.lag === null) return "—";
  if (s.lagUnit === "bytes") return s.lag < 1024 ? `${s.lag} B` : s.lag < 1 << 20 ? `${(s.lag / 1024).toFixed(1)} KiB` : `${(s.lag / (1 << 20)).toFixed(1)} MiB`;
  return `${s.lag} msg`;
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
      <text x={w - 2} y={10} textAnchor="end" fontSize={9} fill="var(--text-muted)">{Math.round(max).toLocaleString("en")}/s</text>
    </svg>
  );
}

const col = createColumnHelper<SourceStatus>();
const columns = [
  col.accessor("name", { header: "Source", cell: (c) => <code>{c.getValue()}</code> }),
  col.accessor("state", {
    header: "State",
    cell: (c) => (
      <>
        <span className={STATE_CLASS[c.getValue()] ?? ""}>{c.getValue()}</span>
        {c.row.original.detail && <div className="muted" style={{ fontSize: 12 }}>{c.row.original.detail}</div>}
      </>
    ),
  }),
  col.display({ id: "lag", header: "Lag", cell: (c) => formatLag(c.row.original) }),
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
        <span className="error-text" style={{ display: "inline-block", maxWidth: 280, fontSize: 12 }}>
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

  const table = useReactTable({ data: status.sources, columns, getRowId: (s) => s.name, getCoreRowModel: getCoreRowModel() });
  const w = status.writer;
  return (
    <section aria-label="Ingest sources" style={{ marginBottom: 16 }}>
      <div className="row" style={{ marginBottom: 8 }}>
        <span className="badge" data-testid="ingest-live">{live === "live" ? "live" : live === "error" ? "not live" : "connecting…"}</span>
        {w ? (
          <span className={w.failures > 0 ? "error-text" : w.congested ? "sev-warn" : "muted"} data-testid="ingest-writer">
            Writer: {w.failures > 0 ? `inserts failing (${w.failures} attempts): ${w.lastError ?? ""}` : w.congested ? "congested" : "healthy"} · queued {w.queuedRows.toLocaleString("en")} / {w.maxQueuedRows.toLocaleString("en")} rows · {w.accepted.toLocaleString("en")} accepted, {w.refused.toLocaleString("en")} refused since start
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
          <DataTable table={table} testId="ingest-sources" rowProps={(r) => ({ "data-testid": `ingest-source-${r.original.name}` })} />
        </div>
      )}
    </section>
  );
}
