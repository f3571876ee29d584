"use client";
// The searched or clicked gateway: its meters (outlined on the map), a filter to them, diagnostics.
import type { MapFilters, MapGateway } from "@/lib/map/types";
import styles from "./fleet-map.module.css";

interface Props {
  gateway: MapGateway;
  canSchedule: boolean;
  setFilters: (f: (f: MapFilters) => MapFilters) => void;
  onClose: () => void;
}

export function GatewayPanel({ gateway: g, canSchedule, setFilters, onClose }: Props) {
  return (
    <div className={styles.gwpanel} data-testid="gateway-panel">
      <strong>{g.gw}</strong> <span className="muted">{g.name}</span>
      <div>{g.meters.toLocaleString("en-US")} meters · {g.unhealthy.toLocaleString("en-US")} unhealthy ({g.meters ? Math.round((100 * g.unhealthy) / g.meters) : 0} %)</div>
      <div className="row" style={{ marginTop: 4 }}>
        <button type="button" onClick={() => setFilters((f) => ({ ...f, gw: g.gw }))}>Only this gateway</button>
        {canSchedule && <a className="button" href={`/campaigns/new?jobType=rf_analysis&gw=${encodeURIComponent(g.gw)}`}>Schedule diagnostics</a>}
        <button type="button" onClick={onClose} aria-label="Close gateway">×</button>
      </div>
    </div>
  );
}
