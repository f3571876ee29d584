"use client";
// Stacked match counts per time bucket (SVG). Drag across it to zoom: onZoom(from, to) in epoch ms.
import { useMemo, useRef, useState } from "react";
import styles from "./logs.module.css";
import { formatUtc } from "@/lib/format/time";

export interface HistogramData {
  interval: { label: string; seconds: number };
  buckets: { t: number; series: string; n: number }[];
  total: number;
}

const SEV_COLORS: Record<string, string> = {
  debug: "var(--stale)",
  info: "var(--info)",
  warn: "var(--warn)",
  error: "var(--error)",
  critical: "var(--critical)",
};
const SEV_ORDER = ["critical", "error", "warn", "info", "debug"];
const PALETTE = [
  "#58a6ff",
  "#3fb950",
  "#d29922",
  "#f85149",
  "#ff4d9d",
  "#a371f7",
  "#39c5cf",
  "#e3b341",
  "#8b949e",
  "#f0883e",
  "#56d364",
  "#db61a2",
  "#79c0ff",
  "#ffa657",
  "#7ee787",
  "#d2a8ff",
];

export function seriesColor(stackBy: "sev" | "code", series: string, index: number): string {
  if (stackBy === "sev") return SEV_COLORS[series] ?? "var(--text-muted)";
  return PALETTE[index % PALETTE.length]!;
}

const W = 1000;
const H = 100;

export function Histogram({
  data,
  from,
  to,
  stackBy,
  onZoom,
  loading,
}: {
  data: HistogramData | null;
  from: number;
  to: number;
  stackBy: "sev" | "code";
  onZoom: (from: number, to: number) => void;
  loading: boolean;
}) {
  const svgRef = useRef<SVGSVGElement>(null);
  const [drag, setDrag] = useState<{ a: number; b: number } | null>(null);

  const { bars, series, max } = useMemo(() => {
    const byBucket = new Map<number, Map<string, number>>();
    const names = new Set<string>();
    for (const b of data?.buckets ?? []) {
      names.add(b.series);
      let m = byBucket.get(b.t);
      if (!m) byBucket.set(b.t, (m = new Map()));
      m.set(b.series, (m.get(b.series) ?? 0) + b.n);
    }
    const ordered = [...names].sort((x, y) => (stackBy === "sev" ? SEV_ORDER.indexOf(x) - SEV_ORDER.indexOf(y) : x.localeCompare(y)));
    let maxTotal = 0;
    const list = [...byBucket.entries()].map(([t, m]) => {
      const total = [...m.values()].reduce((s, n) => s + n, 0);
      maxTotal = Math.max(maxTotal, total);
      return { t, m, total };
    });
    return { bars: list, series: ordered, max: maxTotal };
  }, [data, stackBy]);

  const span = Math.max(1, to - from);
  const bucketMs = (data?.interval.seconds ?? 60) * 1000;
  const barW = Math.max(1, (bucketMs / span) * W - 1);
  const x = (t: number) => ((t - from) / span) * W;

  const fraction = (clientX: number) => {
    const rect = svgRef.current?.getBoundingClientRect();
    if (!rect || rect.width === 0) return 0;
    return Math.min(1, Math.max(0, (clientX - rect.left) / rect.width));
  };

  const onPointerUp = (e: React.PointerEvent) => {
    if (!drag) return;
    const b = fraction(e.clientX);
    const lo = Math.min(drag.a, b);
    const hi = Math.max(drag.a, b);
    setDrag(null);
    // A click (or a sliver) is not a zoom.
    if (hi - lo < 0.005) return;
    const zFrom = Math.floor(from + lo * span);
    const zTo = Math.ceil(from + hi * span);
    if (zTo - zFrom >= 1000) onZoom(zFrom, zTo);
  };

  return (
    <div>
      <div className={styles.histogram} data-testid="histogram" aria-busy={loading} title="Drag across the chart to zoom into that time range">
        <svg
          ref={svgRef}
          viewBox={`0 0 ${W} ${H}`}
          preserveAspectRatio="none"
          role="img"
          aria-label={`Matching lines over time, ${data?.total ?? 0} in total, stacked by ${stackBy}`}
          data-testid="histogram-svg"
          onPointerDown={(e) => {
            (e.target as Element).setPointerCapture?.(e.pointerId);
            const f = fraction(e.clientX);
            setDrag({ a: f, b: f });
          }}
          onPointerMove={(e) => drag && setDrag({ ...drag, b: fraction(e.clientX) })}
          onPointerUp={onPointerUp}
          onPointerCancel={() => setDrag(null)}
        >
          {bars.map(({ t, m, total }) => {
            let y = H;
            return (
              <g key={t}>
                <title>{`${formatUtc(t, { zone: true })}: ${total}`}</title>
                {series.map((s, i) => {
                  const n = m.get(s) ?? 0;
                  if (!n || max === 0) return null;
                  const h = (n / max) * (H - 2);
                  y -= h;
                  return <rect key={s} x={x(t)} y={y} width={barW} height={h} fill={seriesColor(stackBy, s, i)} />;
                })}
              </g>
            );
          })}
          {drag && (
            <rect data-testid="histogram-selection" x={Math.min(drag.a, drag.b) * W} y={0} width={Math.abs(drag.b - drag.a) * W} height={H} fill="var(--accent)" opacity={0.25} />
          )}
        </svg>
        <div className={styles.axis}>
          <span>{formatUtc(from, { zone: true })}</span>
          <span>{data ? `${data.interval.label} buckets` : loading ? "loading…" : ""}</span>
          <span>{formatUtc(to, { zone: true })}</span>
        </div>
      </div>
      <div className={styles.legend} data-testid="histogram-legend">
        {series.map((s, i) => (
          <span key={s} style={{ ["--swatch" as string]: seriesColor(stackBy, s, i) }}>
            {s}
          </span>
        ))}
      </div>
    </div>
  );
}
