"use client";
// Meters by state (each a show/hide toggle), and the map's other marks: gateways and the selection outline.
import { MAP_STATES, MAP_STATE_COLORS, MAP_STATE_LABELS, type MapState } from "@/lib/map/types";
import styles from "./fleet-map.module.css";
import { GATEWAY_RGB, SELECTION_RGB } from "./use-map-canvases";

interface Props {
  counts: number[];
  visible: boolean[];
  staleAfterMs: number;
  onToggle: (s: MapState) => void;
}

export function MapLegend({ counts, visible, staleAfterMs, onToggle }: Props) {
  const shown = counts.reduce((acc, n, s) => acc + (visible[s] ? n : 0), 0);
  const total = counts.reduce((acc, n) => acc + n, 0);
  return (
    <div className={styles.legend} data-testid="legend" aria-label="Legend and state filter">
      <strong style={{ fontSize: 12 }}>
        Meters by state{" "}
        <span className="muted" data-testid="legend-total">
          {shown.toLocaleString("en-US")} shown of {total.toLocaleString("en-US")}
        </span>
      </strong>
      {MAP_STATES.map((s, i) => (
        <button
          key={s}
          type="button"
          aria-pressed={visible[i]}
          onClick={() => onToggle(s)}
          data-testid={`legend-${s}`}
          data-count={counts[i]}
          title={visible[i] ? "Hide these meters" : "Show these meters"}
        >
          <span className={styles.swatch} style={{ background: `rgb(${MAP_STATE_COLORS[s].join(",")})` }} />
          {MAP_STATE_LABELS[s]}
          <span className={styles.count}>{counts[i]!.toLocaleString("en-US")}</span>
        </button>
      ))}
      <span className={styles.marks}>
        <span>
          <span className={styles.swatch} style={{ background: `rgb(${GATEWAY_RGB.join(",")})`, border: "1px solid #0d1117" }} /> Gateway
        </span>
        <span>
          <span className={styles.swatch} style={{ border: `2px solid rgb(${SELECTION_RGB.join(",")})` }} /> Selected
        </span>
      </span>
      <span className="muted" style={{ fontSize: 11 }}>
        Stale = not heard for {Math.round(staleAfterMs / 3_600_000)} h. Click to show/hide.
      </span>
    </div>
  );
}
