// Jobs per week, stacked by job type and zone (SVG, server-rendered). A legend names each colour.
import type { ForecastSeries } from "@/lib/scheduling/forecast";
import { jobTypeTitle } from "@/lib/scheduling/job-types";

const PALETTE = ["#58a6ff", "#3fb950", "#d29922", "#f85149", "#bc8cff", "#39c5cf", "#ff9bce", "#8b949e", "#e3b341", "#56d364", "#79c0ff", "#ffa657"];

export function StackedWeeks({ series, weekStarts }: { series: ForecastSeries[]; weekStarts: string[] }) {
  const W = 900;
  const H = 220;
  const weeks = weekStarts.length;
  const totals = Array.from({ length: weeks }, (_, w) => series.reduce((n, s) => n + s.counts[w]!, 0));
  // Week 0 carries the overdue backlog; scale to the rest so the year stays readable, and label week 0.
  const max = Math.max(1, ...totals.slice(1));
  const bw = W / weeks;
  const y = (v: number) => (Math.min(v, max) / max) * (H - 10);
  return (
    <div data-testid="forecast-chart">
      <svg width={W} height={H + 18} role="img" aria-label={`Jobs per week for ${weeks} weeks, stacked by job type and zone`}>
        {totals.map((_, w) => {
          let acc = 0;
          return (
            <g key={w}>
              {series.map((s, k) => {
                const v = s.counts[w]!;
                if (!v) return null;
                const h = y(acc + v) - y(acc);
                acc += v;
                return (
                  <rect key={k} x={w * bw + 0.5} y={H - y(acc)} width={Math.max(1, bw - 1)} height={Math.max(0, h)} fill={PALETTE[k % PALETTE.length]}>
                    <title>{`week of ${weekStarts[w]}: ${jobTypeTitle(s.jobType)} in ${s.zone}: ${v}`}</title>
                  </rect>
                );
              })}
            </g>
          );
        })}
        <text x={2} y={12} fontSize={11} fill="currentColor">
          {totals[0]! > max ? `this week ${totals[0]!.toLocaleString("en-US")} (overdue backlog, cut off)` : ""}
        </text>
        <text x={0} y={H + 14} fontSize={11} fill="currentColor">
          {weekStarts[0]}
        </text>
        <text x={W - 70} y={H + 14} fontSize={11} fill="currentColor">
          {weekStarts[weeks - 1]}
        </text>
      </svg>
      <ul className="row" style={{ flexWrap: "wrap", gap: 12, listStyle: "none", padding: 0, fontSize: 12 }} data-testid="forecast-legend">
        {series.map((s, k) => (
          <li key={k}>
            <span style={{ display: "inline-block", width: 10, height: 10, background: PALETTE[k % PALETTE.length], marginRight: 4 }} />
            {jobTypeTitle(s.jobType)} · {s.zone} ({s.counts.reduce((a, b) => a + b, 0).toLocaleString("en-US")})
          </li>
        ))}
      </ul>
    </div>
  );
}
