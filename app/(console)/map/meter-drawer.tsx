"use client";
// The open meter: its state, actions for the role, fleet and state facts, jobs and latest lines.
import { MAP_STATE_LABELS, type MapState } from "@/lib/map/types";
import { jobTypeTitle } from "@/lib/scheduling/job-types";
import styles from "./fleet-map.module.css";
import type { Line, MeterDetail } from "./map-types";
import { formatTime } from "./view";

interface Props {
  meter: string;
  detail: MeterDetail | null;
  lines: Line[];
  state: MapState | "excluded" | null;
  onClose: () => void;
}

export function MeterDrawer({ meter, detail, lines, state, onClose }: Props) {
  return (
    <aside className={styles.drawer} data-testid="meter-drawer" aria-label={`Meter ${meter}`}>
      <div className="row">
        <h2 data-testid="drawer-meter-id">{meter}</h2>
        <span className="spacer" />
        <button type="button" onClick={onClose} data-testid="drawer-close" aria-label="Close">
          ×
        </button>
      </div>
      {!detail ? (
        <p className="muted">Loading…</p>
      ) : (
        <>
          <div className="row">
            {state && state !== "excluded" ? (
              <span className="badge" data-testid="drawer-state" data-state={state}>
                {MAP_STATE_LABELS[state]}
              </span>
            ) : null}
            {detail.actions.map((a) => (
              <a key={a.href} className="button primary" href={a.href} data-testid={a.testId}>
                {a.label}
              </a>
            ))}
          </div>
          <dl>
            <dt>Kind / model</dt>
            <dd>
              {detail.fleet.kind} · {detail.fleet.model}
            </dd>
            <dt>Location</dt>
            <dd>
              {detail.fleet.lat.toFixed(5)}, {detail.fleet.lon.toFixed(5)} · {detail.fleet.zone} · {detail.fleet.timezone}
            </dd>
            <dt>Gateway</dt>
            <dd>{detail.state?.gw || detail.fleet.gw}</dd>
            <dt>Firmware</dt>
            <dd>
              {detail.state?.fw_metrology || detail.fleet.fw_metrology} / {detail.state?.fw_comms || detail.fleet.fw_comms}
            </dd>
            <dt>Cert expires</dt>
            <dd>{formatTime(detail.state?.cert_not_after ?? detail.fleet.cert_not_after)}</dd>
            <dt>Last seen</dt>
            <dd>{formatTime(detail.state?.last_seen)}</dd>
            <dt>LED</dt>
            <dd>{detail.state?.led || "—"}</dd>
            <dt>Open fault</dt>
            <dd>{detail.state?.fault_code ? `${detail.state.fault_code} (${detail.state.fault_sev})` : "none"}</dd>
            <dt>RSSI / LQI / SNR</dt>
            <dd>
              {detail.state?.rssi ?? "—"} dBm / {detail.state?.lqi ?? "—"} / {detail.state?.snr ?? "—"} dB
            </dd>
            <dt>Temp / battery</dt>
            <dd>
              {detail.state?.temp_c ?? "—"} °C / {detail.state?.battery_v ?? "—"} V
            </dd>
            <dt>Installed</dt>
            <dd>
              {detail.fleet.installed_at} · HES {detail.fleet.hes_version}
            </dd>
          </dl>
          <h3 style={{ fontSize: 14, margin: "10px 0 4px" }}>Maintenance jobs</h3>
          {detail.jobs === null ? (
            <p className="muted" data-testid="drawer-jobs-unavailable">
              Maintenance jobs are not available in this deployment yet.
            </p>
          ) : detail.jobs.length === 0 ? (
            <p className="muted" data-testid="drawer-jobs-empty">
              No campaign or work order has touched this meter.
            </p>
          ) : (
            <ul className={styles.timeline} data-testid="drawer-jobs">
              {detail.jobs.map((j) => (
                <li key={j.source + j.id}>
                  {formatTime(j.at)} · {jobTypeTitle(j.jobType)} ·{" "}
                  <a href={j.source === "campaign" ? `/campaigns/${encodeURIComponent(j.id)}` : `/work-orders/${encodeURIComponent(j.id)}`}>{j.name}</a> · {j.status}
                </li>
              ))}
            </ul>
          )}
          <h3 style={{ fontSize: 14, margin: "10px 0 4px" }}>
            Audit lines <span className="muted">(latest first)</span>
          </h3>
          {lines.length === 0 ? (
            <p className="muted">No audit lines for this meter yet.</p>
          ) : (
            <ul className={styles.timeline} data-testid="drawer-lines">
              {lines.map((l, k) => (
                <li key={k} data-testid="drawer-line">
                  <span className="mono">{formatTime(l.ts)}</span> <span className={`sev-${l.sev}`}>{l.code}</span> {l.sev}
                  {l.led ? <> · LED {l.led}</> : null}
                  {l.step ? <> · {l.step}</> : null}
                  {l.msg ? <div className="muted">{l.msg}</div> : null}
                </li>
              ))}
            </ul>
          )}
          <a href={`/logs?q=${encodeURIComponent(`meter:${meter}`)}`}>All lines in the log explorer</a>
        </>
      )}
    </aside>
  );
}
