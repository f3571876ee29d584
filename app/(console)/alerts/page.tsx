import Link from "next/link";
import { requirePagePermission } from "@/lib/auth/session";
import { can } from "@/lib/auth/permissions";
import { countAlerts, listAlertHistory, listAlerts, listChannels, listRules, listSilences, ALERT_VIEWS } from "@/lib/alerts/service";
import { RULE_KIND_LABELS, type RuleKind } from "@/lib/alerts/rules";
import { formatUtc } from "@/lib/format/time";
import { EmptyState } from "@/components/empty-state";
import { AlertsTable } from "./alerts-table";
import { HistoryTable } from "./history-table";
import { ChannelsAdmin } from "./channels-admin";
import { SilenceForm, ExpireSilenceButton } from "./silences";
import "./alerts.css";

export const metadata = { title: "Alerts" };
export const dynamic = "force-dynamic";

const VIEWS = [...ALERT_VIEWS, "rules", "channels"] as const;
type View = (typeof VIEWS)[number];
const VIEW_LABELS: Record<View, string> = { firing: "Firing", pending: "Pending", silenced: "Silenced", history: "History", rules: "Rules", channels: "Channels" };

export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requirePagePermission("alerts.view", "/alerts");
  const sp = await searchParams;
  const view: View = VIEWS.includes(sp.view as View) ? (sp.view as View) : "firing";
  const counts = await countAlerts();
  const canManage = can(user.role, "alerts.manage");
  const canAck = can(user.role, "alerts.acknowledge");
  return (
    <>
      <div className="page-header">
        <h1>Alerts</h1>
        <p>What the fleet needs now: rules over faults, logs, anomalies, LAST_GASP storms, certificates, silent meters and campaigns.</p>
        {canManage && (
          <Link href="/alerts/rules/new" className="button" data-testid="new-rule">
            New rule
          </Link>
        )}
      </div>
      <nav className="seg" aria-label="Alert views" data-testid="alert-views">
        {VIEWS.map((v) => (
          <Link key={v} href={`/alerts?view=${v}`} className="seg-item" aria-current={v === view ? "page" : undefined} data-testid={`alert-view-${v}`}>
            {VIEW_LABELS[v]}
            {v in counts ? ` (${counts[v as keyof typeof counts]})` : ""}
          </Link>
        ))}
      </nav>
      {view === "firing" || view === "pending" || view === "silenced" ? <AlertList view={view} canAck={canAck} /> : null}
      {view === "silenced" && <SilenceList canManage={canAck} />}
      {view === "history" && <HistoryTable rows={await listAlertHistory({ limit: 1000 })} />}
      {view === "rules" && <RuleList canManage={canManage} />}
      {view === "channels" && <ChannelsAdmin channels={await listChannels(user)} canManage={can(user.role, "alerts.channels")} />}
    </>
  );
}

async function AlertList({ view, canAck }: { view: "firing" | "pending" | "silenced"; canAck: boolean }) {
  const rows = await listAlerts(view);
  if (!rows.length)
    return (
      <EmptyState title={`No ${view} alerts`} testId="alerts-empty">
        {view === "firing"
          ? "Nothing needs the NOC right now."
          : view === "pending"
            ? "No condition is waiting out its 'for' duration."
            : "No alert is held by a silence or a campaign."}
      </EmptyState>
    );
  return <AlertsTable rows={rows} canAck={canAck} view={view} />;
}

async function SilenceList({ canManage }: { canManage: boolean }) {
  const silences = await listSilences();
  const now = Date.now();
  return (
    <section className="card" data-testid="silences">
      <h2>Silences</h2>
      {canManage && <SilenceForm />}
      {silences.length ? (
        <table className="data">
          <thead>
            <tr>
              <th>Matchers</th>
              <th>From (UTC)</th>
              <th>Until (UTC)</th>
              <th>Comment</th>
              <th>By</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {silences.map((s) => (
              <tr key={s.id}>
                <td className="mono">{(s.matchers as Array<{ label: string; value: string }>).map((m) => `${m.label}=${m.value}`).join(" ")}</td>
                <td>{formatUtc(s.startsAt)}</td>
                <td>{formatUtc(s.endsAt)}</td>
                <td>{s.comment}</td>
                <td>{s.createdByEmail}</td>
                <td>{canManage && s.endsAt.getTime() > now ? <ExpireSilenceButton id={s.id} /> : s.endsAt.getTime() <= now ? <span className="muted">ended</span> : null}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">No silences in the last 7 days.</p>
      )}
    </section>
  );
}

async function RuleList({ canManage }: { canManage: boolean }) {
  const rules = await listRules();
  if (!rules.length)
    return (
      <EmptyState title="No alert rules yet" testId="rules-empty">
        Operators create rules here or from a fault row (“Alert on this”).
      </EmptyState>
    );
  return (
    <table className="data" data-testid="rules-table">
      <thead>
        <tr>
          <th>Name</th>
          <th>Kind</th>
          <th>Severity</th>
          <th>Every</th>
          <th>For</th>
          <th>Enabled</th>
          <th>Last evaluated (UTC)</th>
          <th>Last error</th>
        </tr>
      </thead>
      <tbody>
        {rules.map((r) => (
          <tr key={r.id}>
            <td>{canManage ? <Link href={`/alerts/rules/${r.id}`}>{r.name}</Link> : r.name}</td>
            <td>{RULE_KIND_LABELS[r.kind as RuleKind] ?? r.kind}</td>
            <td className={`al-sev-${r.severity}`}>{r.severity}</td>
            <td>{r.intervalSeconds} s</td>
            <td>{r.forSeconds} s</td>
            <td>{r.enabled ? "yes" : "no"}</td>
            <td>{r.lastEvalAt ? formatUtc(r.lastEvalAt) : "not yet"}</td>
            <td className="error-text">{r.lastError ?? ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
