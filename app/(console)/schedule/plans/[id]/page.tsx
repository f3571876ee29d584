import Link from "next/link";
import { notFound } from "next/navigation";
import { requirePagePermission } from "@/lib/auth/session";
import { can } from "@/lib/auth/permissions";
import { getClimateZones, getPlan, getPlanRuns } from "@/lib/maintenance/service";
import { DEFAULT_PLANS, type PlanSpec } from "@/lib/scheduling/maintenance";
import { formatUtc } from "@/lib/format/time";
import { ScheduleNav } from "../../schedule-nav";
import { PlanForm } from "./plan-form";

export const dynamic = "force-dynamic";

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return { title: id === "new" ? "New plan" : "Plan" };
}

export default async function Page({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await requirePagePermission("schedule.view", `/schedule/plans/${encodeURIComponent(id)}`);
  const canManage = can(user.role, "schedule.manage");
  const isNew = id === "new";
  if (isNew && !canManage) notFound();
  const plan = isNew ? null : await getPlan(user, id);
  if (!isNew && !plan) notFound();
  const { key: _key, ...template } = DEFAULT_PLANS[0]!;
  const spec: PlanSpec = plan
    ? { name: plan.name, jobType: plan.jobType, scope: plan.scope, rule: plan.rule, triggers: plan.triggers, lookaheadDays: plan.lookaheadDays, enabled: plan.enabled }
    : { ...template, name: "", enabled: false };
  const [runs, zones] = await Promise.all([plan ? getPlanRuns(user, { planId: plan.id, limit: 5 }) : [], getClimateZones(user)]);
  return (
    <>
      <div className="page-header">
        <h1 data-testid="plan-title">{plan ? plan.name : "New plan"}</h1>
        <p>
          <Link href="/schedule">All plans</Link>
          {plan && (
            <>
              {" "}
              · <Link href={`/schedule/due?plan=${plan.id}`}>its due list</Link>
              {plan.lastRunAt ? ` · last run ${formatUtc(plan.lastRunAt)}` : " · never run"}
            </>
          )}
        </p>
      </div>
      <ScheduleNav current="/schedule" />
      {!canManage && (
        <p className="notice" data-testid="plan-readonly">
          You can read this plan and try a what-if; operators change plans.
        </p>
      )}
      <PlanForm planId={plan?.id ?? null} updatedAt={plan?.updatedAt.toISOString() ?? null} spec={spec} zones={zones} canManage={canManage} />
      {runs.length > 0 && (
        <section className="card" style={{ marginTop: 12 }}>
          <h2 style={{ marginTop: 0 }}>Recent runs</h2>
          <ul data-testid="plan-runs">
            {runs.map((r) => (
              <li key={r.id}>
                {formatUtc(r.startedAt, { seconds: true })}: {r.status}, {r.itemsCreated} new items, {r.workOrders} work orders
                {((r.campaignIds ?? []) as string[]).map((c) => (
                  <Link key={c} href={`/campaigns/${c}`} style={{ marginLeft: 6 }}>
                    campaign
                  </Link>
                ))}
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}
