"use client";
// What the campaign's step lines say (ClickHouse): outcomes per time bucket, stacked (answered ok,
// found a fault, refused, failed or timed out), and the latest failed steps. Refetched as live progress arrives,
// at most every 5 s.
import { useEffect, useRef, useState } from "react";
import type { CampaignOutcomes } from "@/lib/campaigns/service";
import type { CampaignTimeline as Timeline } from "@/lib/clickhouse/queries/campaigns";
import { formatUtc } from "@/lib/format/time";

const W = 1000;
const H = 110;
/** The chart's width in buckets: the server picks the bucket so that the run so far fits. */
const BUCKETS = 60;
const REFRESH_MIN_MS = 5_000;
const SERIES = [
  { key: "ok", label: "ok", color: "var(--ok)" },
  { key: "found", label: "found a fault", color: "var(--info)" },
  { key: "refused", label: "refused", color: "var(--warn)" },
  { key: "failed", label: "failed / timed out", color: "var(--error)" },
] as const;

const utc = (ms: number) => formatUtc(ms, { zone: true });

function bucketLabel(seconds: number): string {
  return seconds % 3600 === 0 ? `${seconds / 3600} h` : `${seconds / 60} min`;
}

/** The server's first figures, then a refetch whenever `progressAt` moves on (throttled). */
export function useCampaignOutcomes(campaignId: string, initial: CampaignOutcomes | null, progressAt: string) {
  const [outcomes, setOutcomes] = useState<CampaignOutcomes | null>(initial);
  const [error, setError] = useState<string | null>(initial ? null : "The step lines could not be read.");
  const lastFetch = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const seen = useRef<string | null>(initial ? progressAt : null);

  useEffect(() => {
    if (seen.current === progressAt) return;
    seen.current = progressAt;
    if (timer.current) return; // a refetch is already due and will see this progress
    const wait = Math.max(0, lastFetch.current + REFRESH_MIN_MS - Date.now());
    timer.current = setTimeout(async () => {
      timer.current = null;
      lastFetch.current = Date.now();
      try {
        const res = await fetch(`/api/campaigns/${encodeURIComponent(campaignId)}/outcomes`, { cache: "no-store" });
        const body = await res.json();
        if (!res.ok) setError(body?.error?.message ?? `HTTP ${res.status}`);
        else {
          setOutcomes(body as CampaignOutcomes);
          setError(null);
        }
      } catch {
        setError("The step lines could not be read.");
      }
    }, wait);
  }, [campaignId, progressAt]);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  return { outcomes, error };
}

export function CampaignTimeline({ timeline, error, status }: { timeline: Timeline | null; error: string | null; status: string }) {
  const points = timeline?.points ?? [];
  const totals = { ok: 0, found: 0, failed: 0, refused: 0 };
  let max = 0;
  for (const p of points) {
    let sum = 0;
    for (const s of SERIES) {
      const n = p[s.key] ?? 0;
      totals[s.key] += n;
      sum += n;
    }
    max = Math.max(max, sum);
  }
  // The "found" series only for steps that can find something (it stays out of the legend otherwise).
  const series = SERIES.filter((s) => s.key !== "found" || totals.found > 0);
  const isActive = status === "running" || status === "paused";
  const bucketMs = (timeline?.bucketSeconds ?? 60) * 1000;
  const from = timeline?.from ?? 0;
  // A fixed width of BUCKETS buckets: a young campaign fills it from the left.
  const span = Math.max(BUCKETS * bucketMs, (timeline?.to ?? from) - from);
  const x = (t: number) => ((t - from) / span) * W;
  const barW = Math.max(2, (bucketMs / span) * W - 2);

  return (
    <section className="card" data-testid="campaign-timeline">
      <h2>Step outcomes over time</h2>
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      {!points.length ? (
        <p className="muted" data-testid="timeline-empty">
          {status === "draft" || status === "awaiting_approval" || status === "approved" ? "Nothing sent yet: the campaign has not started." : "No step outcome logged yet."}
        </p>
      ) : (
        <>
          <p className="muted" data-testid="timeline-totals">
            {series.map((s, i) => (
              <span key={s.key}>
                {i > 0 && " · "}
                <span style={{ color: s.color }}>■</span> {s.label} {totals[s.key].toLocaleString("en-US")}
              </span>
            ))}
            {` · per ${bucketLabel(timeline!.bucketSeconds)}, highest ${max.toLocaleString("en-US")}`}
          </p>
          <svg viewBox={`0 0 ${W} ${H}`} width="100%" height={H} preserveAspectRatio="none" role="img" aria-label="Step outcomes per time bucket">
            <line x1={0} y1={H - 0.5} x2={W} y2={H - 0.5} stroke="var(--border)" />
            {isActive && <line x1={x(timeline!.to)} y1={0} x2={x(timeline!.to)} y2={H} stroke="var(--text-muted)" strokeDasharray="3 3" />}
            {points.map((p) => {
              let y = H;
              return (
                <g key={p.t} data-testid="timeline-bar" data-ok={p.ok} data-found={p.found ?? 0} data-failed={p.failed} data-refused={p.refused}>
                  <title>{`${utc(p.t)}: ${p.ok} ok, ${p.found ? `${p.found} found a fault, ` : ""}${p.refused} refused, ${p.failed} failed or timed out`}</title>
                  {series.map((s) => {
                    const n = p[s.key] ?? 0;
                    if (!n) return null;
                    const h = Math.max(1, (n / max) * (H - 4));
                    y -= h;
                    return <rect key={s.key} x={Math.max(0, x(p.t))} y={y} width={barW} height={h} fill={s.color} />;
                  })}
                </g>
              );
            })}
          </svg>
          <div className="row" style={{ justifyContent: "space-between", fontSize: 12 }}>
            <span className="muted">{utc(from)}</span>
            {isActive && <span className="muted">dashed line: now</span>}
            <span className="muted">{utc(from + span)}</span>
          </div>
        </>
      )}
    </section>
  );
}
