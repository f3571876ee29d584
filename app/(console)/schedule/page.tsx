import Link from "next/link";
import { requirePagePermission } from "@/lib/auth/session";
import { can } from "@/lib/auth/permissions";
import { getPlanRuns, getPlans } from "@/lib/maintenance/service";
import { getJobTypeSpec } from "@/lib/scheduling/job-types";
import { formatUtc } from "@/lib/format/time";
import { EmptyState } from "@/components/empty-state";
import { ScheduleNav } from "./schedule-nav";
import { describeRule, describeScope, describeTriggers } from "./plan-text";
import { RunPlanButton } from "./run-plan-button";
import { jobTypeTitle } from "@/lib/scheduling/job-types";

export const metadata = { title: "Schedule" };
export const dynamic = "force-dynamic";

export default async function Page() {
  const user = await requirePagePermission("schedule.view", "/schedule");
  const [plans, runs] = await Promise.all([getPlans(user), getPlanRuns(user, { limit: 20 })]);
  const canManage = can(user.role, "schedule.manage");
  const names = new Map(plans.map((p) => [p.id, p.name]));
  return (
    <>
      <div className="page-header">
        <h1>Schedule</h1>
        <p>The preventive maintenance programme: each plan says which meters, how often (by climate zone), and what brings the work forward.</p>
      </div>
      <ScheduleNav current="/schedule" />
      <section className="card" style={{ padding: 0, marginBottom: 12 }}>
        <table className="data" data-testid="plans-table">
          <thead>
            <tr>
              <th>Plan</th>
              <th>Job</th>
              <th>Meters</th>
              <th>When</th>
              <th>Brought forward by</th>
              <th>Lookahead</th>
              <th>State</th>
              <th>Next run (UTC)</th>
              {canManage && <th></th>}
            </tr>
          </thead>
          <tbody>
            {plans.map((p) => (
              <tr key={p.id} data-testid="plan-row">
                <td>
                  <Link href={`/schedule/plans/${p.id}`} data-testid="plan-link">
                    {p.name}
                  </Link>
                </td>
                <td>
                  {jobTypeTitle(p.jobType)} <span className="muted">({getJobTypeSpec(p.jobType).execution === "field" ? "work orders" : "campaign"})</span>
                </td>
                <td>{describeScope(p.scope)}</td>
                <td data-testid="plan-rule">{describeRule(p.rule)}</td>
                <td>{describeTriggers(p.triggers)}</td>
                <td>{p.lookaheadDays} days</td>
                <td data-testid="plan-state">{p.enabled ? <span className="ok-text">on</span> : <span className="muted">off</span>}</td>
                <td>{p.enabled ? formatUtc(p.nextRunAt) : "—"}</td>
                {canManage && <td>{p.enabled && <RunPlanButton planId={p.id} />}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {canManage && (
        <p>
          <Link href="/schedule/plans/new" className="button" data-testid="plan-new">
            New plan
          </Link>
        </p>
      )}
      <h2>Recent runs</h2>
      {runs.length ? (
        <table className="data" data-testid="runs-table">
          <thead>
            <tr>
              <th>Started (UTC)</th>
              <th>Plan</th>
              <th>Result</th>
              <th>Due in lookahead</th>
              <th>New items</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => {
              const campaigns = (r.campaignIds ?? []) as string[];
              return (
                <tr key={r.id} data-testid="run-row">
                  <td>{formatUtc(r.startedAt, { seconds: true })}</td>
                  <td>
                    <Link href={`/schedule/plans/${r.planId}`}>{names.get(r.planId) ?? r.planId}</Link>
                  </td>
                  <td className={r.status === "failed" ? "error-text" : undefined}>
                    {r.status}
                    {r.error ? ` — ${r.error}` : ""}
                  </td>
                  <td>{r.dueCount}</td>
                  <td>{r.itemsCreated}</td>
                  <td data-testid="run-created">
                    {r.workOrders > 0 && <Link href="/work-orders?status=open">{r.workOrders} work orders</Link>}
                    {campaigns.map((id) => (
                      <Link key={id} href={`/campaigns/${id}`} style={{ marginLeft: 6 }}>
                        campaign
                      </Link>
                    ))}
                    {!r.workOrders && !campaigns.length && <span className="muted">nothing new</span>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : (
        <EmptyState title="No plan has run yet" testId="runs-empty">
          Switched-on plans run every day; their work orders and campaigns are listed here.
        </EmptyState>
      )}
    </>
  );
}
