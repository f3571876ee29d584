// Campaign lifecycle: create (idempotent by creation key), preview (planCampaign
// over the resolved targets), start (targets frozen into CampaignTarget, waves
// into CampaignWave), approve (a second person), pause/resume/skip/abort/retry.
// Every function re-checks the actor's permission (the action checked the
// session; this keeps the rule true for any other caller) and writes an ActivityEvent.
import { createHash } from "node:crypto";
import { recordActivity } from "@/lib/activity/trail";
import { can, type Permission, type Role } from "@/lib/auth/permissions";
import { getCampaignStepLines, getCampaignTimeline, type CampaignStepLine, type CampaignTimeline } from "@/lib/clickhouse/queries/campaigns";
import { getDb, Prisma } from "@/lib/db";
import { lockApprovalPool, rescheduleWaves } from "@/lib/db/campaign-targets";
import { AppError, isAppError } from "@/lib/errors";
import { getFindings, getJobTypeSpec, needsApproval, type JobType } from "@/lib/scheduling/job-types";
import { planCampaign, PlanInputError, retimeWaves, WAVE_START_GRACE_MS, type Plan, type PlanOptions } from "@/lib/scheduling/plan";
import {
  APPROVAL_POOL_STATUSES,
  CAMPAIGN_ACTION_PERMISSIONS,
  isActionAllowed,
  isApprovalBarred,
  OPEN_TARGET_STATES,
  OPEN_WAVE_STATES,
  UNFINISHED_STATUSES,
  type CampaignAction,
} from "./lifecycle";
import { progressPct, publishCampaignChange } from "./progress";
import { campaignOptionsSchema, createCampaignSchema, targetQuerySchema, type CampaignOptions, type CreateCampaignInput, type TargetQueryInput } from "./schemas";
import { resolveTargets } from "./targets";

export interface CampaignActor {
  id: string;
  email: string;
  role: Role;
}

/** Roles only, as data: the same table requirePermission reads. */
export function assertActorCan(actor: CampaignActor, permission: Permission): void {
  if (!can(actor.role, permission)) throw new AppError("forbidden", `Your role (${actor.role}) may not do this (${permission}).`);
}

export { CAMPAIGN_ACTION_PERMISSIONS, isApprovalBarred, type CampaignAction } from "./lifecycle";

/** Runs one campaign action: permission, body, ActivityEvent (ok, denied or failed). */
async function withActivity<T>(actor: CampaignActor, action: CampaignAction, target: string, body: () => Promise<T>, details: Record<string, unknown> = {}): Promise<T> {
  try {
    assertActorCan(actor, CAMPAIGN_ACTION_PERMISSIONS[action]);
    const result = await body();
    await recordActivity({ actor, action: `campaign.${action}`, target, outcome: "ok", details });
    return result;
  } catch (err) {
    const outcome = isAppError(err) && (err.code === "forbidden" || err.code === "conflict") ? "denied" : "failed";
    await recordActivity({ actor, action: `campaign.${action}`, target, outcome, details: { ...details, error: err instanceof Error ? err.message : String(err) } }).catch(
      () => {},
    );
    throw err;
  }
}

export function readOptions(value: unknown): CampaignOptions {
  return campaignOptionsSchema.parse(value ?? {});
}

export function toPlanOptions(o: CampaignOptions): PlanOptions {
  return {
    waveSize: o.waveSize,
    canarySize: o.canarySize,
    offPeak: o.offPeak,
    blackoutDates: o.blackoutDates,
    startAt: o.startAt,
    targetFirmware: o.targetFirmware,
  };
}

// ---------------------------------------------------------------- create / preview

/**
 * The planner starts waves on whole minutes (rounding up); planning from the
 * current minute lets "start now" begin at once instead of up to 59 s later.
 */
export function planningNow(now: Date): Date {
  return new Date(Math.floor(now.getTime() / 60_000) * 60_000);
}

export async function createCampaign(input: CreateCampaignInput, actor: CampaignActor) {
  const data = createCampaignSchema.parse(input);
  const db = getDb();
  return withActivity(
    actor,
    "create",
    data.creationKey,
    async () => {
      const existing = await db.campaign.findUnique({ where: { creationKey: data.creationKey } });
      if (existing) return existing;
      try {
        const created = await db.campaign.create({
          data: {
            name: data.name,
            jobType: data.jobType,
            targetQuery: data.targetQuery as Prisma.InputJsonValue,
            options: data.options as Prisma.InputJsonValue,
            createdById: actor.id,
            createdByEmail: actor.email,
            creationKey: data.creationKey,
          },
        });
        publishCampaignChange(created.id, created.status);
        return created;
      } catch (err) {
        // The same form submitted twice at once: the unique key lets exactly one insert win.
        if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002") {
          const winner = await db.campaign.findUnique({ where: { creationKey: data.creationKey } });
          if (winner) return winner;
        }
        throw err;
      }
    },
    { name: data.name, jobType: data.jobType },
  );
}

export interface PreviewResult {
  plan: Plan;
  unknownMeters: string[];
  targetCount: number;
}

/** The plan an operator reviews before starting; nothing is written. */
export async function previewPlan(input: { jobType: JobType; targetQuery: TargetQueryInput; options: CampaignOptions }, now: Date): Promise<PreviewResult> {
  const query = targetQuerySchema.parse(input.targetQuery);
  const resolved = await resolveTargets(query, now);
  let plan: Plan;
  try {
    plan = planCampaign(
      { jobType: input.jobType, meters: resolved.meters, gateways: resolved.gateways, catalogue: resolved.catalogue, options: toPlanOptions(input.options) },
      planningNow(now),
    );
  } catch (err) {
    if (err instanceof PlanInputError) throw new AppError("invalid", err.message);
    throw err;
  }
  return { plan, unknownMeters: resolved.unknownMeters, targetCount: resolved.meters.length };
}

export async function previewCampaign(
  input: { jobType: JobType; targetQuery: TargetQueryInput; options: unknown },
  actor: CampaignActor,
  now = new Date(),
): Promise<PreviewResult> {
  return withActivity(actor, "preview", input.jobType, () => previewPlan({ jobType: input.jobType, targetQuery: input.targetQuery, options: readOptions(input.options) }, now));
}

/** What the UI shows for a plan: small, serialisable, every exclusion reason kept (first 500 meters listed). */
export function summarizePlan(plan: Plan, unknownMeters: string[]) {
  const reasons: Record<string, { code: string; message: string; meters: number }> = {};
  for (const e of plan.exclusions) for (const r of e.reasons) (reasons[r.code] ??= { code: r.code, message: r.message, meters: 0 }).meters++;
  for (const m of unknownMeters) {
    (reasons.METER_UNKNOWN ??= { code: "METER_UNKNOWN", message: "not in the fleet inventory", meters: 0 }).meters++;
    void m;
  }
  return {
    requiresApproval: plan.requiresApproval,
    settings: plan.settings,
    summary: plan.summary,
    notes: plan.notes,
    canary: plan.canary.slice(0, 50),
    waves: plan.waves.slice(0, 200).map((w) => ({
      index: w.index,
      isCanary: w.isCanary,
      timezone: w.timezone,
      size: w.meterIds.length,
      startAt: w.startAt,
      endAt: w.endAt,
      localStart: w.localStart,
      window: w.window.label,
      gateways: Object.keys(w.metersPerGateway).length,
    })),
    exclusionReasons: Object.values(reasons).sort((a, b) => b.meters - a.meters),
    exclusions: [
      ...plan.exclusions.slice(0, 500).map((e) => ({ meterId: e.meterId, stage: e.stage, reasons: e.reasons.map((r) => `${r.code}: ${r.message}`).join("; ") })),
      ...unknownMeters.slice(0, 100).map((m) => ({ meterId: m, stage: "target", reasons: "METER_UNKNOWN: not in the fleet inventory" })),
    ],
  };
}
export type PlanView = ReturnType<typeof summarizePlan>;

// ---------------------------------------------------------------- start / approve

async function loadCampaign(campaignId: string) {
  const c = await getDb().campaign.findUnique({ where: { id: campaignId } });
  if (!c) throw new AppError("not_found", "No such campaign.");
  return c;
}

/** Freeze the plan: one CampaignTarget per meter (excluded ones with their reasons), one CampaignWave per wave. */
async function freezePlan(
  tx: Prisma.TransactionClient,
  campaignId: string,
  plan: Plan,
  unknownMeters: string[],
  gatewayOf: Map<string, string>,
  gateways: Record<string, { maxConcurrentSessions: number }>,
) {
  const rows: Prisma.CampaignTargetCreateManyInput[] = [];
  const canary = new Set(plan.canary.map((c) => c.meterId));
  for (const w of plan.waves) {
    for (const m of w.meterIds) {
      const gatewayId = gatewayOf.get(m) ?? "";
      // The planner excluded meters behind a gateway without a cap, so every scheduled one has it.
      const cap = gateways[gatewayId]?.maxConcurrentSessions;
      rows.push({ campaignId, meterId: m, gatewayId, wave: w.index, canary: canary.has(m), state: "pending", sessionCap: cap && cap >= 1 ? Math.floor(cap) : null });
    }
  }
  for (const e of plan.exclusions) {
    rows.push({
      campaignId,
      meterId: e.meterId,
      gatewayId: gatewayOf.get(e.meterId) ?? "",
      state: "excluded",
      reason: e.reasons
        .map((r) => `${r.code}: ${r.message}`)
        .join("; ")
        .slice(0, 1000),
      lastCode: e.reasons[0]?.code,
    });
  }
  for (const m of unknownMeters) rows.push({ campaignId, meterId: m, state: "excluded", reason: "METER_UNKNOWN: not in the fleet inventory", lastCode: "METER_UNKNOWN" });
  for (let i = 0; i < rows.length; i += 20_000) await tx.campaignTarget.createMany({ data: rows.slice(i, i + 20_000), skipDuplicates: true });
  await tx.campaignWave.createMany({
    data: plan.waves.map((w) => ({
      campaignId,
      index: w.index,
      isCanary: w.isCanary,
      timezone: w.timezone,
      size: w.meterIds.length,
      scheduledAt: new Date(w.startAt),
      windowStart: w.windowStart ? new Date(w.windowStart) : null,
      windowEnd: w.windowEnd ? new Date(w.windowEnd) : null,
    })),
    skipDuplicates: true,
  });
  return rows.length;
}

/**
 * A plan whose next wave should have started more than the start grace ago is re-timed from now
 * (same meters, same window rules and spacing), so a late approval, start or resume neither runs
 * its overdue waves back to back nor outside their windows. Re-planning beats refusing: the
 * approver approved these meters and rules, and the times follow from the rules.
 * Returns the number of waves moved.
 */
async function retimeStaleWaves(tx: Prisma.TransactionClient, c: { id: string; jobType: string; options: unknown }, now: Date): Promise<number> {
  const pending = await tx.campaignWave.findMany({
    where: { campaignId: c.id, state: "pending" },
    orderBy: { index: "asc" },
    select: { index: true, timezone: true, scheduledAt: true },
  });
  if (!pending.length || pending[0]!.scheduledAt.getTime() + WAVE_START_GRACE_MS >= now.getTime()) return 0;
  const options = readOptions(c.options);
  let timings;
  try {
    timings = retimeWaves({ jobType: c.jobType as JobType, options: toPlanOptions(options), soakMinutes: options.soakMinutes, waves: pending }, planningNow(now));
  } catch (err) {
    if (err instanceof PlanInputError) throw new AppError("invalid", `The plan is out of date and cannot be re-timed: ${err.message}`);
    throw err;
  }
  await rescheduleWaves(tx, { campaignId: c.id, timings });
  return timings.length;
}

/**
 * Start: resolve and freeze targets (draft), or go from approved to running.
 * Above the approval size (this plan's meters plus those of the job type's other open
 * campaigns) the campaign waits for a second person instead.
 * A second start of the same campaign (double submit) is a no-op that returns it.
 */
export async function startCampaign(input: { campaignId: string }, actor: CampaignActor, now = new Date()) {
  const db = getDb();
  return withActivity(actor, "start", input.campaignId, async () => {
    const c = await loadCampaign(input.campaignId);
    if (c.status === "running" || c.status === "awaiting_approval") return c;
    if (c.status === "approved") {
      const moved = await db.$transaction(async (tx) => {
        const n = await tx.campaign.updateMany({ where: { id: c.id, status: "approved" }, data: { status: "running", startedAt: now } });
        if (n.count) await retimeStaleWaves(tx, c, now);
        return n.count;
      });
      if (moved) publishCampaignChange(c.id, "running");
      return loadCampaign(c.id);
    }
    if (c.status !== "draft") throw new AppError("conflict", `A ${c.status} campaign cannot be started.`);
    const jobType = c.jobType as JobType;
    const options = readOptions(c.options);
    const query = targetQuerySchema.parse(c.targetQuery);
    const resolved = await resolveTargets(query, now);
    const plan = planCampaign({ jobType, meters: resolved.meters, gateways: resolved.gateways, catalogue: resolved.catalogue, options: toPlanOptions(options) }, planningNow(now));
    if (plan.summary.scheduledMeters === 0) throw new AppError("invalid", "No meter can be scheduled: the preview lists the exclusions.");
    const gatewayOf = new Map(resolved.meters.map((m) => [m.id, m.gatewayId]));
    const view = summarizePlan(plan, resolved.unknownMeters);
    const status = await db.$transaction(
      async (tx) => {
        // One start per job type at a time decides against the others' meters (50 × 1 000-meter FOTAs need approval).
        await lockApprovalPool(tx, jobType);
        const others = await tx.campaign.aggregate({ where: { jobType, status: { in: [...APPROVAL_POOL_STATUSES] }, id: { not: c.id } }, _sum: { targetCount: true } });
        const isApprovalNeeded = plan.requiresApproval || needsApproval(jobType, plan.summary.scheduledMeters + (others._sum.targetCount ?? 0));
        const next = isApprovalNeeded ? "awaiting_approval" : "running";
        // Only one of two concurrent starts moves the draft on; the loser writes nothing.
        const moved = await tx.campaign.updateMany({
          where: { id: c.id, status: "draft" },
          data: {
            status: next,
            startedAt: isApprovalNeeded ? null : now,
            submittedById: actor.id,
            submittedByEmail: actor.email,
            targetCount: plan.summary.scheduledMeters,
            planSummary: { ...view, requiresApproval: isApprovalNeeded, exclusions: view.exclusions.slice(0, 200) } as unknown as Prisma.InputJsonValue,
          },
        });
        if (!moved.count) return null;
        await freezePlan(tx, c.id, plan, resolved.unknownMeters, gatewayOf, resolved.gateways);
        return next;
      },
      { timeout: 600_000, maxWait: 60_000 },
    );
    if (status) publishCampaignChange(c.id, status);
    return loadCampaign(c.id);
  });
}

/** Four eyes: neither the creator nor whoever submitted it for approval may approve it. A stale plan is re-timed. */
export async function approveCampaign(input: { campaignId: string }, actor: CampaignActor, now = new Date()) {
  const db = getDb();
  return withActivity(actor, "approve", input.campaignId, async () => {
    const c = await loadCampaign(input.campaignId);
    if (c.createdById === actor.id) throw new AppError("forbidden", "A campaign must be approved by someone other than its creator.");
    if (isApprovalBarred(c, actor.id)) throw new AppError("forbidden", "A campaign must be approved by someone other than the person who submitted it.");
    if (!isActionAllowed("approve", c.status)) throw new AppError("conflict", `A ${c.status} campaign is not waiting for approval.`);
    await db.$transaction(async (tx) => {
      const moved = await tx.campaign.updateMany({ where: { id: c.id, status: "awaiting_approval" }, data: { status: "approved", approvedById: actor.id, approvedAt: now } });
      if (!moved.count) throw new AppError("conflict", "The campaign changed meanwhile; reload.");
      await retimeStaleWaves(tx, c, now);
    });
    publishCampaignChange(c.id, "approved");
    return loadCampaign(c.id);
  });
}

// ---------------------------------------------------------------- steering

export async function pauseCampaign(input: { campaignId: string; reason?: string }, actor: CampaignActor) {
  return withActivity(actor, "pause", input.campaignId, async () => {
    const moved = await getDb().campaign.updateMany({
      where: { id: input.campaignId, status: "running" },
      data: { status: "paused", statusReason: input.reason ?? `paused by ${actor.email}` },
    });
    if (!moved.count) throw new AppError("conflict", "Only a running campaign can be paused.");
    publishCampaignChange(input.campaignId, "paused");
    return loadCampaign(input.campaignId);
  });
}

/** Resume; a wave a gate paused is accepted by the operator (its remaining meters continue, or it counts as passed). */
export async function resumeCampaign(input: { campaignId: string }, actor: CampaignActor, now = new Date()) {
  const db = getDb();
  return withActivity(actor, "resume", input.campaignId, async () => {
    await db.$transaction(async (tx) => {
      const moved = await tx.campaign.updateMany({ where: { id: input.campaignId, status: "paused" }, data: { status: "running", statusReason: null } });
      if (!moved.count) throw new AppError("conflict", "Only a paused campaign can be resumed.");
      await retimeStaleWaves(tx, await tx.campaign.findUniqueOrThrow({ where: { id: input.campaignId }, select: { id: true, jobType: true, options: true } }), now);
      const paused = await tx.campaignWave.findMany({ where: { campaignId: input.campaignId, state: "paused" } });
      for (const w of paused) {
        const open = await tx.campaignTarget.count({ where: { campaignId: input.campaignId, wave: w.index, state: { in: [...OPEN_TARGET_STATES] } } });
        await tx.campaignWave.update({
          where: { id: w.id },
          data: open ? { state: "running", decision: "resumed" } : { state: "passed", decision: "accepted", decidedAt: now },
        });
      }
    });
    publishCampaignChange(input.campaignId, "running");
    return loadCampaign(input.campaignId);
  });
}

/** Skip the rest of the current wave: its open meters become skipped and the next wave may start. */
export async function skipWave(input: { campaignId: string }, actor: CampaignActor, now = new Date()) {
  const db = getDb();
  return withActivity(actor, "skip", input.campaignId, async () => {
    const c = await loadCampaign(input.campaignId);
    if (!isActionAllowed("skip", c.status)) throw new AppError("conflict", `A ${c.status} campaign has no wave to skip.`);
    const wave = await db.campaignWave.findFirst({ where: { campaignId: c.id, state: { in: [...OPEN_WAVE_STATES] } }, orderBy: { index: "asc" } });
    if (!wave) throw new AppError("conflict", "No wave left to skip.");
    await db.$transaction([
      db.campaignTarget.updateMany({
        where: { campaignId: c.id, wave: wave.index, state: "pending" },
        data: { state: "skipped", reason: `wave skipped by ${actor.email}`, updatedAt: now },
      }),
      db.campaignWave.update({ where: { id: wave.id }, data: { state: "skipped", decision: "skipped", decidedAt: now } }),
    ]);
    publishCampaignChange(c.id, c.status);
    return { skippedWave: wave.index };
  });
}

export async function abortCampaign(input: { campaignId: string; reason?: string }, actor: CampaignActor, now = new Date()) {
  return withActivity(actor, "abort", input.campaignId, () => abortCampaignAs(input.campaignId, input.reason ?? `aborted by ${actor.email}`, now));
}

/** Also used by the dispatcher when a gate decides abort. In-flight commands finish and are recorded. */
export async function abortCampaignAs(campaignId: string, reason: string, now: Date) {
  const db = getDb();
  const moved = await db.campaign.updateMany({
    where: { id: campaignId, status: { in: [...UNFINISHED_STATUSES] } },
    data: { status: "aborted", statusReason: reason, finishedAt: now },
  });
  if (!moved.count) throw new AppError("conflict", "This campaign has already finished.");
  await db.$transaction([
    db.campaignTarget.updateMany({ where: { campaignId, state: "pending" }, data: { state: "skipped", reason: `campaign aborted: ${reason}`.slice(0, 1000), updatedAt: now } }),
    db.campaignWave.updateMany({ where: { campaignId, state: { in: [...OPEN_WAVE_STATES] } }, data: { state: "skipped", decision: "aborted", decidedAt: now } }),
  ]);
  publishCampaignChange(campaignId, "aborted");
  return loadCampaign(campaignId);
}

/**
 * Retry failed meters only: they go into new waves at the end, one per zone of the waves they came
 * from, each timed from now under the campaign's window rules (so a retry asked for at peak or on a
 * blackout date waits for its window, and the dispatcher's wave-start check applies), with a fresh attempt.
 */
export async function retryFailed(input: { campaignId: string }, actor: CampaignActor, now = new Date()) {
  const db = getDb();
  return withActivity(actor, "retry", input.campaignId, async () => {
    const c = await loadCampaign(input.campaignId);
    if (!isActionAllowed("retry", c.status)) throw new AppError("conflict", `A ${c.status} campaign cannot retry meters.`);
    if (getJobTypeSpec(c.jobType as JobType).execution === "field") throw new AppError("invalid", "Field steps are retried by reopening their work orders.");
    const result = await db.$transaction(async (tx) => {
      const failed = await tx.campaignTarget.groupBy({ by: ["wave"], where: { campaignId: c.id, state: "failed" }, _count: { _all: true } });
      if (!failed.length) throw new AppError("conflict", "No failed meters to retry.");
      const waves = await tx.campaignWave.findMany({ where: { campaignId: c.id }, orderBy: { index: "asc" }, select: { index: true, timezone: true } });
      const zoneOf = new Map(waves.map((w) => [w.index, w.timezone]));
      // A target whose wave has no usable zone (a legacy "retry" wave) takes the campaign's first wave's.
      const fallback = waves[0]?.timezone ?? "";
      const usable = (zone: string | undefined) => !!zone && zone !== "retry";
      const fromWaves = new Map<string, number[]>();
      for (const f of failed) {
        const zone = zoneOf.get(f.wave);
        const key = usable(zone) ? zone! : fallback;
        fromWaves.set(key, [...(fromWaves.get(key) ?? []), f.wave]);
      }
      const first = (waves.at(-1)?.index ?? -1) + 1;
      const zones = [...fromWaves.keys()].sort();
      const options = readOptions(c.options);
      let timings;
      try {
        timings = retimeWaves(
          { jobType: c.jobType as JobType, options: toPlanOptions(options), soakMinutes: options.soakMinutes, waves: zones.map((timezone, i) => ({ index: first + i, timezone })) },
          planningNow(now),
        );
      } catch (err) {
        if (err instanceof PlanInputError) throw new AppError("invalid", `The failed meters cannot be retried: ${err.message}`);
        throw err;
      }
      const created: { index: number; timezone: string; scheduledAt: string; meters: number }[] = [];
      for (const [i, timezone] of zones.entries()) {
        const timing = timings.find((x) => x.index === first + i)!;
        const moved = await tx.campaignTarget.updateMany({
          where: { campaignId: c.id, state: "failed", wave: { in: fromWaves.get(timezone)! } },
          data: { state: "pending", wave: timing.index, reason: `retry requested by ${actor.email}`, nextAttemptAt: null, updatedAt: now },
        });
        await tx.campaignWave.create({
          data: { campaignId: c.id, index: timing.index, size: moved.count, scheduledAt: timing.startAt, windowStart: timing.windowStart, windowEnd: timing.windowEnd, timezone },
        });
        created.push({ index: timing.index, timezone, scheduledAt: timing.startAt.toISOString(), meters: moved.count });
      }
      await tx.campaign.update({ where: { id: c.id }, data: { status: c.status === "completed" ? "running" : c.status, finishedAt: null } });
      return { waves: created, meters: created.reduce((n, w) => n + w.meters, 0) };
    });
    publishCampaignChange(c.id, c.status === "completed" ? "running" : c.status);
    return result;
  });
}

// ---------------------------------------------------------------- reads

/** Newest first; `after`: the id of the last campaign of the previous page (API cursor paging). */
export async function listCampaigns(actor: CampaignActor, limit = 200, after?: string) {
  assertActorCan(actor, "campaigns.view");
  const db = getDb();
  const campaigns = await db.campaign.findMany({ orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: limit, ...(after ? { cursor: { id: after }, skip: 1 } : {}) });
  if (!campaigns.length) return [];
  const counts = await db.campaignTarget.groupBy({ by: ["campaignId", "state"], where: { campaignId: { in: campaigns.map((c) => c.id) } }, _count: { _all: true } });
  return campaigns.map((c) => {
    const byState: Record<string, number> = {};
    for (const r of counts) if (r.campaignId === c.id) byState[r.state] = r._count._all;
    return {
      id: c.id,
      name: c.name,
      jobType: c.jobType,
      status: c.status,
      createdByEmail: c.createdByEmail,
      createdAt: c.createdAt.toISOString(),
      targetCount: c.targetCount,
      succeeded: byState.succeeded ?? 0,
      failed: byState.failed ?? 0,
      // Same measure as the live updates (publishProgress).
      progressPct: progressPct(byState, c.targetCount),
    };
  });
}
export type CampaignListRow = Awaited<ReturnType<typeof listCampaigns>>[number];

export async function getCampaign(campaignId: string, actor: CampaignActor) {
  assertActorCan(actor, "campaigns.view");
  return getDb().campaign.findUnique({ where: { id: campaignId } });
}

export interface CampaignOutcomes {
  /** Step outcomes over time, from the start to the finish (or now). */
  timeline: CampaignTimeline;
  /** The latest failed or timed-out step lines. */
  failures: CampaignStepLine[];
}

/** What the campaign's step lines in ClickHouse say; null for an unknown campaign. */
export async function getCampaignOutcomes(campaignId: string, actor: CampaignActor, now = new Date()): Promise<CampaignOutcomes | null> {
  const c = await getCampaign(campaignId, actor);
  return c ? readCampaignOutcomes(c, now) : null;
}

/** The same, for a campaign the caller already read through getCampaign (which checked the role). */
export async function readCampaignOutcomes(c: { id: string; jobType: string; startedAt: Date | null; finishedAt: Date | null }, now = new Date()): Promise<CampaignOutcomes> {
  const to = (c.finishedAt ?? now).getTime() + 1;
  const findingCodes = Object.keys(getFindings(c.jobType));
  const [timeline, failures] = await Promise.all([
    c.startedAt ? getCampaignTimeline({ campaignId: c.id, from: c.startedAt.getTime(), to, findingCodes }) : { bucketSeconds: 60, from: to, to, points: [] },
    getCampaignStepLines({ campaignId: c.id, limit: 50, failuresOnly: true, findingCodes }),
  ]);
  return { timeline, failures };
}

/**
 * Stable per (campaign, meter, step); the retry generation is appended only after a recorded, not-applied failure.
 * The dispatcher's lease statement computes the same key in SQL (it writes the CommandLog rows); keep both in step.
 */
export function commandKey(campaignId: string, meterId: string, step: string, attempt: number): string {
  const base = createHash("sha256").update(`${campaignId}|${meterId}|${step}`).digest("hex").slice(0, 32);
  return attempt > 1 ? `${base}.r${attempt}` : base;
}
