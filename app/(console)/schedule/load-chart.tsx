// Weekly field hours of one district against its crew capacity (SVG, no script): bars over the
// capacity line are drawn in the error colour and listed in the title for screen readers.
export function LoadChart({
  district,
  hours,
  capacity,
  weekStarts,
  levelled,
}: {
  district: string;
  hours: number[];
  capacity: number | null;
  weekStarts: string[];
  levelled?: number[];
}) {
  const W = 520;
  const H = 90;
  const max = Math.max(1, capacity ?? 0, ...hours, ...(levelled ?? []));
  const bw = W / hours.length;
  const y = (v: number) => H - (v / max) * (H - 4);
  const over = capacity === null ? [] : hours.flatMap((h, w) => (h > capacity ? [w] : []));
  return (
    <figure style={{ margin: "6px 0" }} data-testid="load-chart" data-district={district}>
      <figcaption style={{ fontSize: 12 }}>
        <strong>{district}</strong> · {capacity === null ? "capacity not set" : `capacity ${capacity} h/week`} ·{" "}
        <span className={over.length ? "error-text" : "ok-text"} data-testid="load-over">
          {over.length ? `${over.length} ${over.length === 1 ? "week" : "weeks"} over capacity (first ${weekStarts[over[0]!]})` : "within capacity"}
        </span>
      </figcaption>
      <svg width={W} height={H} role="img" aria-label={`${district}: field hours per week for ${hours.length} weeks`}>
        {hours.map((h, w) => (
          <rect
            key={w}
            x={w * bw + 0.5}
            y={y(h)}
            width={Math.max(1, bw - 1)}
            height={H - y(h)}
            fill={capacity !== null && h > capacity ? "var(--error, #c62828)" : "var(--accent, #1565c0)"}
            opacity={levelled ? 0.35 : 0.9}
          >
            <title>{`week of ${weekStarts[w]}: ${h} h`}</title>
          </rect>
        ))}
        {levelled && <polyline fill="none" stroke="var(--ok, #2e7d32)" strokeWidth={2} points={levelled.map((h, w) => `${w * bw + bw / 2},${y(h)}`).join(" ")} />}
        {capacity !== null && <line x1={0} x2={W} y1={y(capacity)} y2={y(capacity)} stroke="currentColor" strokeDasharray="4 3" />}
      </svg>
    </figure>
  );
}
