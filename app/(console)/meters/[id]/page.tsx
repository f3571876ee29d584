import Link from "next/link";
import { notFound } from "next/navigation";
import { requirePagePermission } from "@/lib/auth/session";
import { can } from "@/lib/auth/permissions";
import { EmptyState } from "@/components/empty-state";
import { getMeterDetail } from "@/lib/fleet/meters";
import { METER_ID_RE } from "@/lib/fleet/ids";
import type { MeterAuditLine } from "@/lib/clickhouse/queries/fleet";
import { ConstantsForm } from "./constants-form";
import { MaintenanceCalendar } from "./maintenance-calendar";
import { MaintenanceHistory } from "./maintenance-history";
import { getDb } from "@/lib/db";
import { maintenanceHistory } from "@/lib/maintenance/history";
import { jobTypeTitle, scheduleLabel } from "@/lib/scheduling/job-types";
import { formatUtc } from "@/lib/format/time";
import { findFiringAlertsFor } from "@/lib/alerts/service";

export const dynamic = "force-dynamic";

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }) {
  return { title: `Meter ${(await params).id}` };
}

const dayOf = (d: Date | number | null | undefined) => (d == null ? "—" : new Date(d).toISOString().slice(0, 10));

/** One stored line as logfmt-like text (rendered as text, never as HTML). */
function lineText(l: MeterAuditLine): string {
  const parts: string[] = [`code=${l.code}`, `sev=${l.sev}`];
  const add = (k: string, v: string | number | null) => {
    if (v !== null && v !== "") parts.push(`${k}=${typeof v === "string" && /\s|"/.test(v) ? JSON.stringify(v) : v}`);
  };
  add("gw", l.gw);
  add("led", l.led);
  add("step", l.step);
  add("job", l.job);
  add("result", l.result);
  add("rssi", l.rssi);
  add("lqi", l.lqi);
  add("snr", l.snr === null ? null : Math.round(l.snr * 10) / 10);
  add("temp_c", l.temp_c === null ? null : Math.round(l.temp_c * 10) / 10);
  add("battery_v", l.battery_v === null ? null : Math.round(l.battery_v * 100) / 100);
  add("accuracy_err_pct", l.accuracy_err_pct === null ? null : Math.round(l.accuracy_err_pct * 1000) / 1000);
  add("msg", l.msg);
  return parts.join(" ");
}

function Field({ label, children, testId }: { label: string; children: React.ReactNode; testId?: string }) {
  return (
    <div>
      <div className="muted" style={{ fontSize: 12 }}>
        {label}
      </div>
      <div data-testid={testId}>{children}</div>
    </div>
  );
}

export default async function Page({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await requirePagePermission("fleet.view", `/meters/${encodeURIComponent(id)}`);
  if (!METER_ID_RE.test(id)) notFound();
  const detail = await getMeterDetail(id);
  if (!detail) notFound();
  const { meter, state, lines, changes, campaigns } = detail;
  const history = await maintenanceHistory(getDb(), meter.id);
  const canSchedule = can(user.role, "campaigns.manage");
  const constants = (meter.metrologyConstants ?? {}) as Record<string, number>;
  const canEdit = can(user.role, "meters.edit_constants");
  const alerts = can(user.role, "alerts.view") ? await findFiringAlertsFor({ meter: meter.id, gateway: meter.gatewayId }) : [];
  const certExpired = meter.certNotAfter.getTime() < Date.now();

  return (
    <>
      <div className="page-header">
        <h1 data-testid="meter-title">{meter.id}</h1>
        <p>
          {meter.kind} meter · {meter.model} · <Link href="/meters">all meters</Link>
        </p>
      </div>

      <div className="grid-cards" style={{ marginBottom: 12 }}>
        <section className="card" data-testid="meter-identity">
          <h2 style={{ marginTop: 0 }}>Identity</h2>
          <div className="grid-cards" style={{ gridTemplateColumns: "1fr 1fr", gap: 8 }}>
            <Field label="Kind">{meter.kind}</Field>
            <Field label="Model">{meter.model}</Field>
            <Field label="Installed">{dayOf(meter.installedAt)}</Field>
            <Field label="Last verified">{dayOf(meter.lastVerifiedAt)}</Field>
            <Field label="Head-end version">{meter.hesVersion}</Field>
            <Field label="Certificate expires">
              <span className={certExpired ? "error-text" : undefined}>
                {dayOf(meter.certNotAfter)}
                {certExpired ? " (expired)" : ""}
              </span>
            </Field>
          </div>
        </section>
        <section className="card" data-testid="meter-location">
          <h2 style={{ marginTop: 0 }}>Location and gateway</h2>
          <div className="grid-cards" style={{ gridTemplateColumns: "1fr 1fr", gap: 8 }}>
            <Field label="Position">
              {meter.latitude.toFixed(5)}, {meter.longitude.toFixed(5)}
            </Field>
            <Field label="Time zone">{meter.timezone}</Field>
            <Field label="Climate zone">
              {meter.climateZone.id} (stress ×{meter.climateZone.thermalStressFactor})
            </Field>
            <Field label="Gateway" testId="meter-gateway">
              <Link href={`/meters?gw=${meter.gatewayId}`}>{meter.gatewayId}</Link> · {meter.gateway.name}
              {canSchedule && (
                <div>
                  <Link href={`/campaigns/new?jobType=rf_analysis&gw=${encodeURIComponent(meter.gatewayId)}`} data-testid="meter-gateway-schedule">
                    {scheduleLabel("rf_analysis")} of its meters
                  </Link>
                </div>
              )}
            </Field>
            <Field label="Backhaul">
              {meter.gateway.backhaul}, {meter.gateway.maxConcurrentSessions} sessions
            </Field>
            <Field label="Map">
              <Link href={`/map?gw=${meter.gatewayId}`}>show on the map</Link>
            </Field>
          </div>
        </section>
        <section className="card" data-testid="meter-firmware">
          <h2 style={{ marginTop: 0 }}>Firmware</h2>
          <div className="grid-cards" style={{ gridTemplateColumns: "1fr 1fr", gap: 8 }}>
            <Field label="Metrology (inventory)">{meter.fwMetrology}</Field>
            <Field label="Comms (inventory)">{meter.fwComms}</Field>
            <Field label="Metrology (last reported)">{state?.fw_metrology || "—"}</Field>
            <Field label="Comms (last reported)">{state?.fw_comms || "—"}</Field>
          </div>
        </section>
        <section className="card" data-testid="meter-state">
          <h2 style={{ marginTop: 0 }}>Latest measures</h2>
          {state ? (
            <div className="grid-cards" style={{ gridTemplateColumns: "1fr 1fr", gap: 8 }}>
              <Field label="Last heard">{formatUtc(state.last_seen, { seconds: true, zone: true })}</Field>
              <Field label="LED">{state.led || "—"}</Field>
              <Field label="Open fault" testId="meter-fault">
                {state.fault_code ? (
                  <span className={`sev-${state.fault_sev}`}>
                    {state.fault_code} ({state.fault_sev})
                  </span>
                ) : (
                  <span className="ok-text">none</span>
                )}
              </Field>
              <Field label="RSSI / SNR / LQI">
                {state.rssi ?? "—"} dBm / {state.snr === null ? "—" : state.snr.toFixed(1)} dB / {state.lqi ?? "—"}
              </Field>
              <Field label="Enclosure temperature">{state.temp_c === null ? "—" : `${state.temp_c.toFixed(1)} °C`}</Field>
              <Field label="Battery">{state.battery_v === null ? "—" : `${state.battery_v.toFixed(2)} V`}</Field>
            </div>
          ) : (
            <p className="muted">Never heard from: no audit line for this meter yet.</p>
          )}
        </section>
      </div>

      {alerts.length > 0 && (
        <section className="card" style={{ marginBottom: 12 }} data-testid="meter-alerts">
          <h2 style={{ marginTop: 0 }}>Firing alerts on this meter or its gateway</h2>
          <ul>
            {alerts.map((a) => (
              <li key={a.id}>
                <Link href={`/alerts?view=firing&alert=${encodeURIComponent(a.id)}`} className={`al-sev-${a.severity}`}>
                  {a.ruleName}
                </Link>
                : {a.summary} (since {formatUtc(a.firedAt)} UTC)
              </li>
            ))}
          </ul>
        </section>
      )}
      <MaintenanceCalendar meterId={meter.id} user={user} />

      <section className="card" style={{ marginBottom: 12 }} data-testid="meter-constants">
        <h2 style={{ marginTop: 0 }}>Metrology constants</h2>
        {canEdit ? (
          <ConstantsForm meterId={meter.id} constants={constants} />
        ) : (
          <>
            <dl className="row" style={{ gap: 24, margin: 0 }} data-testid="constants-readonly">
              <div>
                <dt className="muted">Pulse constant</dt>
                <dd style={{ margin: 0 }}>{constants.pulseConstant ?? "—"}</dd>
              </div>
              <div>
                <dt className="muted">Gain correction</dt>
                <dd style={{ margin: 0 }}>{constants.gainCorrection ?? "—"}</dd>
              </div>
              <div>
                <dt className="muted">Phase correction (°)</dt>
                <dd style={{ margin: 0 }}>{constants.phaseCorrectionDeg ?? "—"}</dd>
              </div>
            </dl>
            <p className="muted" style={{ marginBottom: 0 }}>
              Technicians and admins may change these.
            </p>
          </>
        )}
        <h2>History</h2>
        {changes.length ? (
          <table className="data" data-testid="constants-history">
            <thead>
              <tr>
                <th>When (UTC)</th>
                <th>Who</th>
                <th>Before</th>
                <th>After</th>
                <th>Reason</th>
              </tr>
            </thead>
            <tbody>
              {changes.map((c) => (
                <tr key={c.id} data-testid="constants-history-row">
                  <td>{formatUtc(c.at, { seconds: true, zone: true })}</td>
                  <td>{c.actorEmail}</td>
                  <td>
                    <code>{JSON.stringify(c.before)}</code>
                  </td>
                  <td>
                    <code>{JSON.stringify(c.after)}</code>
                  </td>
                  <td>{c.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="muted" data-testid="constants-history-empty">
            No change recorded since the meter was added.
          </p>
        )}
      </section>

      <MaintenanceHistory entries={history} canSeeOrders={can(user.role, "workorders.view")} />

      <section className="card" style={{ marginBottom: 12 }} data-testid="meter-lines">
        <div className="row">
          <h2 style={{ margin: 0 }}>Recent audit lines</h2>
          <span className="spacer" />
          <Link href={`/logs?q=${encodeURIComponent(`meter:${meter.id}`)}&range=30d`} data-testid="meter-logs-link">
            All lines of this meter, 30 days
          </Link>
        </div>
        {lines.length ? (
          <table className="data" style={{ marginTop: 8 }}>
            <thead>
              <tr>
                <th style={{ width: 170 }}>Time (UTC)</th>
                <th>Line</th>
              </tr>
            </thead>
            <tbody>
              {lines.map((l, i) => (
                <tr key={i} data-testid="meter-line">
                  <td className="mono">{formatUtc(l.ts, { seconds: true })}</td>
                  <td className={`mono sev-${l.sev}`} style={{ wordBreak: "break-word" }}>
                    {lineText(l)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <EmptyState title="No audit lines for this meter" testId="meter-lines-empty">
            Lines appear here as the head-end reports them.
          </EmptyState>
        )}
      </section>

      <section className="card" data-testid="meter-jobs">
        <h2 style={{ marginTop: 0 }}>Campaigns touching this meter</h2>
        {campaigns.length ? (
          <table className="data" data-testid="meter-campaigns">
            <thead>
              <tr>
                <th>Campaign</th>
                <th>Job</th>
                <th>Campaign status</th>
                <th>This meter</th>
                <th>Wave</th>
                <th>Attempts</th>
                <th>Updated (UTC)</th>
              </tr>
            </thead>
            <tbody>
              {campaigns.map((t) => (
                <tr key={t.id}>
                  <td>
                    <Link href={`/campaigns/${t.campaign.id}`}>{t.campaign.name}</Link>
                  </td>
                  <td>{jobTypeTitle(t.campaign.jobType)}</td>
                  <td>{t.campaign.status}</td>
                  <td>
                    {t.state}
                    {t.lastCode ? ` · ${t.lastCode}` : ""}
                  </td>
                  <td>{t.wave >= 0 ? t.wave : "—"}</td>
                  <td>{t.attempts}</td>
                  <td>{formatUtc(t.updatedAt, { seconds: true, zone: true })}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="muted" style={{ margin: 0 }} data-testid="meter-campaigns-empty">
            No campaign has targeted this meter. Scheduled work is under <Link href="/campaigns">Campaigns</Link>.
          </p>
        )}
      </section>
    </>
  );
}
