"use client";
// The searched or clicked gateway: its counts as every page defines them (lib/fleet/slice-counts,
// read from /api/fleet/counts with the map's filters), a filter to its meters, an RF analysis of its meters.
import { useEffect, useState } from "react";
import type { SliceCountLabel } from "@/lib/fleet/slice-counts-text";
import type { MapFilters, MapGateway } from "@/lib/map/types";
import { scheduleLabel } from "@/lib/scheduling/job-types";
import styles from "./fleet-map.module.css";
import { reportFetchError } from "./use-map-data";

interface Props {
  gateway: MapGateway;
  filters: MapFilters;
  canSchedule: boolean;
  setFilters: (f: (f: MapFilters) => MapFilters) => void;
  onClose: () => void;
  /** Firing alerts on this gateway. */
  alerts?: Array<{ alertId: string; ruleName: string; severity: string }>;
}

/** The counts' query: this gateway, and the map's filters the counts take (the state toggles are not a slice). */
export function gatewayCountsQuery(gw: string, f: MapFilters): string {
  const q = new URLSearchParams({ gw });
  for (const k of ["fault", "since", "zone", "kind", "model", "fw"] as const) if (f[k]) q.set(k, f[k]!);
  return q.toString();
}

export function GatewayPanel({ gateway: g, filters, canSchedule, setFilters, onClose, alerts = [] }: Props) {
  const query = gatewayCountsQuery(g.gw, filters);
  const [counts, setCounts] = useState<{ query: string; labels: SliceCountLabel[] } | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const ctrl = new AbortController();
    setError(null);
    fetch(`/api/fleet/counts?${query}`, { signal: ctrl.signal, cache: "no-store" })
      .then(async (r) => {
        if (r.ok) return setCounts({ query, labels: ((await r.json()) as { labels: SliceCountLabel[] }).labels });
        // A refused query (4xx) is said in the panel; a server failure is also reported.
        const msg = ((await r.json().catch(() => ({}))) as { error?: string }).error ?? `HTTP ${r.status}`;
        if (r.status >= 500) reportFetchError(new Error(`counts: ${r.status} ${msg}`), ctrl.signal);
        if (!ctrl.signal.aborted) setError(msg);
      })
      .catch((e: unknown) => {
        if (ctrl.signal.aborted) return;
        reportFetchError(e, ctrl.signal);
        setError(e instanceof Error ? e.message : String(e));
      });
    return () => ctrl.abort();
  }, [query]);

  const labels = counts?.query === query ? counts.labels : null;
  return (
    <div className={styles.gwpanel} data-testid="gateway-panel" data-gw={g.gw}>
      <a href={`/meters?gw=${encodeURIComponent(g.gw)}`} data-testid="gateway-panel-link">
        <strong>{g.gw}</strong>
      </a>{" "}
      <span className="muted">{g.name}</span>
      {alerts.map((a) => (
        <div key={a.alertId} data-testid="gateway-alert">
          <a href={`/alerts?view=firing&alert=${encodeURIComponent(a.alertId)}`} className={`al-sev-${a.severity}`}>
            ● Firing: {a.ruleName}
          </a>
        </div>
      ))}
      {error ? (
        <div className="error" role="alert">
          Counts unavailable: {error}
        </div>
      ) : labels ? (
        <ul className={styles.gwcounts} data-testid="gateway-counts">
          {labels.map((l) => (
            <li key={l.key} data-testid={`slice-count-${l.key}`} data-value={l.value}>
              {l.text}
            </li>
          ))}
        </ul>
      ) : (
        <div className="muted">Counting…</div>
      )}
      <div className="row" style={{ marginTop: 4 }}>
        {filters.gw !== g.gw && (
          <button type="button" onClick={() => setFilters((f) => ({ ...f, gw: g.gw }))}>
            Only this gateway
          </button>
        )}
        {canSchedule && (
          <a className="button" href={`/campaigns/new?jobType=rf_analysis&gw=${encodeURIComponent(g.gw)}`} data-testid="gateway-schedule">
            {scheduleLabel("rf_analysis")} of its meters
          </a>
        )}
        <button type="button" onClick={onClose} aria-label="Close gateway">
          ×
        </button>
      </div>
    </div>
  );
}
