"use client";
// Zoom in / out and fit the fleet (the keys do the same: + - and the arrows, fleet-map.tsx).
import styles from "./fleet-map.module.css";

interface Props {
  onZoom: (dz: number) => void;
  onFit: () => void;
}

export function MapControls({ onZoom, onFit }: Props) {
  return (
    <div className={styles.controls} role="group" aria-label="Map view">
      <button type="button" onClick={() => onZoom(1)} aria-label="Zoom in" title="Zoom in (+)" data-testid="map-zoom-in">
        +
      </button>
      <button type="button" onClick={() => onZoom(-1)} aria-label="Zoom out" title="Zoom out (−)" data-testid="map-zoom-out">
        −
      </button>
      <button type="button" onClick={onFit} aria-label="Fit the fleet" title="Fit the fleet" data-testid="map-fit">
        Fit fleet
      </button>
    </div>
  );
}
