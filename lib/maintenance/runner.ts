// The plan runner: for each enabled plan whose period has come, under the plan's lease,
// every meter due within the lookahead gets one due item per (plan, meter, due date)
// (unique key, INSERT … ON CONFLICT DO NOTHING), and each item becomes work once:
// a work order for field job types, a campaign (waves, windows, gates as usual) for
// remote ones. Several servers may run it at once; restarts resume the pending items.
import { createHash, randomUUID } from "node:crypto";
import type { ClickHouse } from "@/lib/clickhouse/client";
import { createCampaign, startCampaign, type CampaignActor } from "@/lib/campaigns/service";
import { publishWorkOrdersChanged } from "@/lib/campaigns/work-orders";
import { getDb } from "@/lib/db";
import {
  createPlanRun,
  createWorkOrdersForItems,
  findDuePlanIds,
  findItemsWithoutCampaign,
  findPendingMeters,
  findPlan,
  finishPlanRun,
  insertDueItems,
  leasePlan,
  linkItemsToCampaign,
  listPlans,
  releasePlan,
  type NewDueItem,
  type StoredPlan,
} from "@/lib/db/maintenance";
import { computeDueColumn, dueItemAt, NO_DAY } from "@/lib/scheduling/due-columns";
import { getJobTypeSpec } from "@/lib/scheduling/job-types";
import { dayOf } from "@/lib/scheduling/maintenance";
import { dropScheduleSnapshot, loadScheduleSnapshot, watchedFaultCodes, type ScheduleSnapshot } from "./snapshot";

const DAY_MS = 86_400_000;
const LEASE_MS = 10 * 60_000;

export interface PlanRunResult {
  planId: string;
  runId: string;
  dueCount: number;
  itemsCreated: number;
  workOrders: number;
  campaignIds: string[];
  error?: string;
}

/** Who a plan's campaigns are created and started as: the scheduler, with the operator's permissions. */
export const SCHEDULER_ACTOR: CampaignActor = { id: "system", email: "scheduler", role: "operator" };

/** The meters of one plan due within its lookahead, each with its reason; meters with work still pending left out. */
export function selectDueItems(plan: StoredPlan, snap: ScheduleSnapshot, pending: Map<string, number>, now: number): NewDueItem[] {
  const col = computeDueColumn(plan, snap.fleet, snap.lastByJobType.get(plan.jobType), snap.conditions, now);
  const horizon = dayOf(now) + plan.lookaheadDays;
  const last = snap.lastByJobType.get(plan.jobType);
  const items: NewDueItem[] = [];
  for (let i = 0; i < snap.fleet.n; i++) {
    const d = col.due[i]!;
    if (d === NO_DAY || d > horizon) continue;
    const id = snap.fleet.ids[i]!;
    const pendingAt = pending.get(id);
    // Work created after the last completion is still open: one job at a time per meter and plan.
    if (pendingAt !== undefined && (!last || last.day[i] === NO_DAY || pendingAt > (last.detail.get(i)?.at ?? last.day[i]! * DAY_MS))) continue;
    const item = dueItemAt(plan, snap.fleet, last, snap.conditions, i, now)!;
    items.push({ meterId: id, dueDate: item.dueDate, reason: item.reason });
  }
  return items;
}

async function campaignForItems(plan: StoredPlan, items: { id: string; meterId: string }[], now: Date): Promise<{ campaignId: string; startError?: string }> {
  // The same pending items give the same key: a run resumed after a crash finds the campaign it made.
  const key = `sched-${createHash("sha256")
    .update(`${plan.id}\n${items.map((i) => i.id).join("\n")}`)
    .digest("hex")
    .slice(0, 40)}`;
  const campaign = await createCampaign(
    {
      name: `${plan.name} ${now.toISOString().slice(0, 10)}`.slice(0, 120),
      jobType: plan.jobType,
      targetQuery: { meters: items.map((i) => i.meterId) },
      creationKey: key,
    },
    SCHEDULER_ACTOR,
  );
  await linkItemsToCampaign(
    getDb(),
    items.map((i) => i.id),
    campaign.id,
  );
  try {
    await startCampaign({ campaignId: campaign.id }, SCHEDULER_ACTOR, now);
    return { campaignId: campaign.id };
  } catch (err) {
    return { campaignId: campaign.id, startError: err instanceof Error ? err.message : String(err) };
  }
}

/** One plan's run, if its period has come and this owner gets its lease. null: not this runner's. */
export async function runPlan(planId: string, input: { now: Date; owner: string; snapshot?: ScheduleSnapshot; ch?: ClickHouse }): Promise<PlanRunResult | null> {
  const db = getDb();
  const { now, owner } = input;
  if (!(await leasePlan(db, { planId, owner, now, until: new Date(now.getTime() + LEASE_MS) }))) return null;
  const plan = (await findPlan(planId))!;
  const run = await createPlanRun(planId, owner, now);
  const result: PlanRunResult = { planId, runId: run.id, dueCount: 0, itemsCreated: 0, workOrders: 0, campaignIds: [] };
  try {
    const snap = input.snapshot ?? (await loadScheduleSnapshot({ now: now.getTime(), faultCodes: watchedFaultCodes([plan]), ch: input.ch }));
    const pending = await findPendingMeters(db, plan.id);
    const items = selectDueItems(plan, snap, pending, now.getTime());
    result.dueCount = items.length;
    result.itemsCreated = await insertDueItems(db, { planId: plan.id, jobType: plan.jobType, runId: run.id, items });
    // Pending items, this run's and any a crashed run left, become work.
    if (getJobTypeSpec(plan.jobType).execution === "field") {
      for (;;) {
        const n = await createWorkOrdersForItems(db, plan.id);
        result.workOrders += n;
        if (n === 0) break;
      }
      if (result.workOrders) publishWorkOrdersChanged("created", result.workOrders);
    } else {
      const open = await findItemsWithoutCampaign(db, plan.id);
      if (open.length) {
        const made = await campaignForItems(plan, open, now);
        result.campaignIds.push(made.campaignId);
        if (made.startError) result.error = `campaign not started: ${made.startError}`;
      }
    }
    await finishPlanRun(run.id, { status: "done", ...pick(result) }, new Date());
    await releasePlan(db, { planId, owner, now, nextRunAt: new Date(now.getTime() + plan.everyDays * DAY_MS) });
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    console.error(`[schedule] plan ${plan.name} run failed`, err);
    await finishPlanRun(run.id, { status: "failed", ...pick(result) }, new Date()).catch(() => {});
    // The period stays due: the next round retries (the items made so far are kept and resumed).
    await releasePlan(db, { planId, owner, now, nextRunAt: null }).catch(() => {});
  }
  dropScheduleSnapshot();
  return result;
}

function pick(r: PlanRunResult) {
  return { dueCount: r.dueCount, itemsCreated: r.itemsCreated, workOrders: r.workOrders, campaignIds: r.campaignIds, error: r.error };
}

/** Every due plan, one after another (the dispatcher loop calls this hourly; a plan page may too). */
export async function runMaintenancePlans(input: { now?: Date; owner?: string; ch?: ClickHouse; planIds?: string[] } = {}): Promise<PlanRunResult[]> {
  const now = input.now ?? new Date();
  const owner = input.owner ?? `runner-${process.pid}-${randomUUID().slice(0, 8)}`;
  const ids = (await findDuePlanIds(now)).filter((id) => !input.planIds || input.planIds.includes(id));
  if (!ids.length) return [];
  const plans = (await listPlans()).filter((p) => ids.includes(p.id));
  // One snapshot for all plans of this round; it is read before any lease, so a lost race costs a read.
  const snapshot = await loadScheduleSnapshot({ now: now.getTime(), faultCodes: watchedFaultCodes(plans), ch: input.ch });
  const results: PlanRunResult[] = [];
  for (const id of ids) {
    const r = await runPlan(id, { now, owner, snapshot, ch: input.ch });
    if (r) results.push(r);
  }
  return results;
}
