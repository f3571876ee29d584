// Field work: campaign waves of field steps (inspect, calibrate) and maintenance
// plans (lib/maintenance/runner.ts) create work orders; technicians complete them with readings. A
// calibration may also record new metrology constants (MeterConstantChange
// history + ActivityEvent), which needs meters.edit_constants.
import { z } from "zod";
import { CODES, type Code, type Step } from "@/lib/audit/codes";
import { recordActivity } from "@/lib/activity/trail";
import { toAuditLogRow } from "@/lib/clickhouse/audit-rows";
import { insertCampaignAuditRows } from "@/lib/clickhouse/queries/campaigns";
import { refreshMeterStates } from "@/lib/clickhouse/meter-state-current";
import { getDb, Prisma } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { publish } from "@/lib/realtime/hub";
import { fieldReadingsSchema, missingReadings, WORK_ORDER_OUTCOMES, type FieldReadings, type WorkOrderOutcome } from "@/lib/maintenance/field-report";
import { isJobType, jobTypeLabel } from "@/lib/scheduling/job-types";
import { getSharedWorld } from "@/lib/simulator/world";
import { assertActorCan, type CampaignActor } from "./service";

/** Maximum permissible error of the metrology class, percent. */
export const ACCURACY_ENVELOPE_PCT = 0.2;

export const calibrationReadingsSchema = z.object({
  err15A: z.number().min(-100).max(100),
  err30A: z.number().min(-100).max(100),
  err60A: z.number().min(-100).max(100),
});

export const completeWorkOrderSchema = z.object({
  workOrderId: z.string().min(8).max(40),
  /** What the visit achieved; "done" (before outcomes were recorded) means fixed; "cancelled" closes without a visit. */
  outcome: z.enum([...WORK_ORDER_OUTCOMES, "done", "cancelled"]).default("fixed"),
  readings: fieldReadingsSchema.optional(),
  notes: z.string().max(2000).optional(),
  /** Calibration only: new constants written to the meter. */
  constants: z.object({ gainCorrection: z.number().min(0.5).max(1.5), phaseCorrectionDeg: z.number().min(-10).max(10) }).optional(),
});
export type CompleteWorkOrderInput = z.input<typeof completeWorkOrderSchema>;

/** `campaignId`: only the orders one campaign made (its field waves, or its findings' follow-ups). */
/** `after`: the id of the last order of the previous page (API cursor paging). */
export async function listWorkOrders(
  actor: CampaignActor,
  filter: { status?: "open" | "done" | "cancelled"; campaignId?: string; meterId?: string; limit?: number; after?: string } = {},
) {
  assertActorCan(actor, "workorders.view");
  const db = getDb();
  const rows = await db.workOrder.findMany({
    where: { status: filter.status, campaignId: filter.campaignId, meterId: filter.meterId },
    // Done list: the latest closed first; open list: the oldest first (the queue). The id keeps the API's cursor pages stable.
    orderBy:
      filter.status === "open"
        ? [{ createdAt: "asc" }, { id: "asc" }]
        : [{ status: "asc" }, { completedAt: { sort: "desc", nulls: "first" } }, { createdAt: "asc" }, { id: "asc" }],
    take: Math.min(filter.limit ?? 500, 2000),
    ...(filter.after ? { cursor: { id: filter.after }, skip: 1 } : {}),
    include: { campaign: { select: { name: true } } },
  });
  const codes = await findingCodes(rows);
  // Follow-ups carry no campaign of their own: their code is the one up the chain (few rows).
  const origins = new Map<string, Awaited<ReturnType<typeof findOrigin>>>();
  for (const w of rows.filter((r) => !r.campaignId && r.followUpOfId)) origins.set(w.id, await findOrigin({ ...w, campaign: null }));
  return rows.map((w) => ({
    id: w.id,
    meterId: w.meterId,
    jobType: w.jobType,
    status: w.status,
    campaignId: w.campaignId,
    campaignName: w.campaign?.name ?? null,
    /** The fault the campaign step found on the meter (the reason for a follow-up order), if any. */
    code: codes.get(`${w.campaignId}|${w.meterId}`) ?? origins.get(w.id)?.code ?? null,
    /** A follow-up's campaign is its first order's. */
    originCampaign: w.campaign ? { id: w.campaignId!, name: w.campaign.name } : (origins.get(w.id)?.campaign ?? null),
    reason: w.reason,
    readings: w.readings as Record<string, number | boolean> | null,
    outcome: w.outcome,
    notes: w.notes,
    completedByEmail: w.completedByEmail,
    followUpOfId: w.followUpOfId,
    createdAt: w.createdAt.toISOString(),
    completedAt: w.completedAt?.toISOString() ?? null,
  }));
}
export type WorkOrderRow = Awaited<ReturnType<typeof listWorkOrders>>[number];

/** One work order with its campaign (its own, or the one of the order it follows up), and the orders that follow it. */
export async function getWorkOrder(actor: CampaignActor, id: string) {
  assertActorCan(actor, "workorders.view");
  const db = getDb();
  const w = await db.workOrder.findUnique({ where: { id }, include: { campaign: { select: { id: true, name: true, jobType: true } } } });
  if (!w) return null;
  const [origin, followUps] = await Promise.all([findOrigin(w), db.workOrder.findMany({ where: { followUpOfId: w.id }, select: { id: true, status: true } })]);
  return {
    id: w.id,
    meterId: w.meterId,
    jobType: w.jobType,
    status: w.status,
    campaignId: w.campaignId,
    campaignName: w.campaign?.name ?? null,
    originCampaign: origin.campaign,
    code: origin.code,
    reason: w.reason,
    readings: w.readings as Record<string, number | boolean> | null,
    outcome: w.outcome,
    notes: w.notes,
    completedByEmail: w.completedByEmail,
    followUpOfId: w.followUpOfId,
    followUps,
    createdAt: w.createdAt.toISOString(),
    completedAt: w.completedAt?.toISOString() ?? null,
  };
}
export type WorkOrderDetail = NonNullable<Awaited<ReturnType<typeof getWorkOrder>>>;

/**
 * The campaign an order comes from (its own, or up its follow-up chain: a few hops at most)
 * and the code that campaign's step answered on the meter (LOW_SNR, ...): what the visit is for.
 */
async function findOrigin(w: { meterId: string; followUpOfId: string | null; campaign: { id: string; name: string; jobType: string } | null }) {
  const db = getDb();
  let campaign = w.campaign;
  let parentId = w.followUpOfId;
  for (let hops = 0; !campaign && parentId && hops < 20; hops++) {
    const p = await db.workOrder.findUnique({ where: { id: parentId }, select: { followUpOfId: true, campaign: { select: { id: true, name: true, jobType: true } } } });
    campaign = p?.campaign ?? null;
    parentId = p?.followUpOfId ?? null;
  }
  const code = campaign ? ((await db.campaignTarget.findFirst({ where: { campaignId: campaign.id, meterId: w.meterId }, select: { lastCode: true } }))?.lastCode ?? null) : null;
  return { campaign, code };
}

/** The code a campaign step answered for each (campaign, meter) of these orders: a finding's code (LOW_SNR, ...). */
async function findingCodes(rows: { campaignId: string | null; meterId: string }[]): Promise<Map<string, string>> {
  const pairs = rows.filter((r) => r.campaignId);
  if (!pairs.length) return new Map();
  const targets = await getDb().campaignTarget.findMany({
    where: { campaignId: { in: [...new Set(pairs.map((r) => r.campaignId!))] }, meterId: { in: [...new Set(pairs.map((r) => r.meterId))] }, lastCode: { not: null } },
    select: { campaignId: true, meterId: true, lastCode: true },
  });
  return new Map(targets.map((t) => [`${t.campaignId}|${t.meterId}`, t.lastCode!]));
}

/** The work-order page (room `workorders`) reloads its list when orders are created or completed. */
export function publishWorkOrdersChanged(change: "created" | "completed", count: number): void {
  publish("workorders", "changed", { change, count });
}

export function isWithinEnvelope(r: z.infer<typeof calibrationReadingsSchema>): boolean {
  return [r.err15A, r.err30A, r.err60A].every((e) => Math.abs(e) <= ACCURACY_ENVELOPE_PCT);
}

function calibrationOf(r: FieldReadings | undefined): z.infer<typeof calibrationReadingsSchema> | null {
  return r && r.err15A !== undefined && r.err30A !== undefined && r.err60A !== undefined ? { err15A: r.err15A, err30A: r.err30A, err60A: r.err60A } : null;
}

/** What a campaign target becomes when its field order closes. */
function targetUpdate(outcome: WorkOrderOutcome | "cancelled", within: boolean | null, woId: string, now: Date) {
  if (outcome === "fixed" && within !== false) return { state: "succeeded" as const, updatedAt: now };
  if (outcome === "cancelled") return { state: "skipped" as const, lastCode: null, reason: "work order cancelled", updatedAt: now };
  if (outcome === "fixed" || (outcome === "not_fixed" && within === false))
    return { state: "failed" as const, lastCode: "E001", reason: `outside the ${ACCURACY_ENVELOPE_PCT}% envelope after calibration`, updatedAt: now };
  const why = { not_fixed: "not fixed on site", follow_up: "needs a follow-up visit", no_access: "no access to the meter" }[outcome];
  return { state: "failed" as const, lastCode: `FIELD_${outcome.toUpperCase()}`, reason: `${why} (work order ${woId})`, updatedAt: now };
}

/**
 * Closes a work order with the field's answer: outcome, the readings its job needs, notes, who
 * and when. A "needs follow-up" opens the next order; a fix changes the simulated world (the
 * demo's next lines from the meter show it).
 */
export async function completeWorkOrder(input: CompleteWorkOrderInput, actor: CampaignActor, now = new Date()) {
  const data = completeWorkOrderSchema.parse(input);
  const outcome: WorkOrderOutcome | "cancelled" = data.outcome === "done" ? "fixed" : data.outcome;
  const db = getDb();
  try {
    assertActorCan(actor, "workorders.complete");
    const wo = await db.workOrder.findUnique({ where: { id: data.workOrderId }, include: { campaign: { select: { id: true, name: true, jobType: true } } } });
    if (!wo) throw new AppError("not_found", "No such work order.");
    if (wo.status !== "open") throw new AppError("conflict", `This work order is already ${wo.status}.`);
    const { campaign: originCampaign, code } = await findOrigin(wo);
    if (outcome !== "cancelled") {
      const missing = missingReadings(wo.jobType, code, outcome, data.readings);
      if (wo.jobType === "calibrate" && missing.some((f) => f.key.startsWith("err"))) throw new AppError("invalid", "A calibration needs the measured errors at 15, 30 and 60 A.");
      if (missing.length)
        throw new AppError("invalid", `This ${jobTypeLabel(wo.jobType)} needs: ${missing.map((f) => f.label.charAt(0).toLowerCase() + f.label.slice(1)).join(", ")}.`);
    }
    if (data.constants) assertActorCan(actor, "meters.edit_constants");
    const calibration = calibrationOf(data.readings);
    const within = calibration ? isWithinEnvelope(calibration) : null;
    const followUp = await db.$transaction(async (tx) => {
      const moved = await tx.workOrder.updateMany({
        where: { id: wo.id, status: "open" },
        data: {
          status: outcome === "cancelled" ? "cancelled" : "done",
          outcome: outcome === "cancelled" ? null : outcome,
          readings: data.readings
            ? ((calibration ? { ...data.readings, envelopePct: ACCURACY_ENVELOPE_PCT, withinEnvelope: within } : data.readings) as Prisma.InputJsonValue)
            : undefined,
          notes: data.notes,
          completedById: actor.id,
          completedByEmail: actor.email,
          completedAt: now,
        },
      });
      if (!moved.count) throw new AppError("conflict", "This work order was completed meanwhile.");
      if (data.constants) {
        const meter = await tx.meter.findUnique({ where: { id: wo.meterId }, select: { metrologyConstants: true } });
        if (!meter) throw new AppError("not_found", `Meter ${wo.meterId} is not in the inventory.`);
        const before = (meter.metrologyConstants ?? {}) as Record<string, unknown>;
        const after = { ...before, ...data.constants };
        await tx.meter.update({ where: { id: wo.meterId }, data: { metrologyConstants: after as Prisma.InputJsonValue, lastVerifiedAt: now } });
        await tx.meterConstantChange.create({
          data: {
            meterId: wo.meterId,
            actorId: actor.id,
            actorEmail: actor.email,
            before: before as Prisma.InputJsonValue,
            after: after as Prisma.InputJsonValue,
            reason: `calibration work order ${wo.id}`,
          },
        });
      }
      if (wo.campaignId) {
        await tx.campaignTarget.updateMany({ where: { campaignId: wo.campaignId, meterId: wo.meterId, state: "sent" }, data: targetUpdate(outcome, within, wo.id, now) });
      }
      if (outcome !== "follow_up") return null;
      // The next visit: same job, same meter; it keeps the chain (and so the campaign) through followUpOfId.
      const origin = originCampaign ? ` (${originCampaign.name})` : "";
      return tx.workOrder.create({
        data: {
          meterId: wo.meterId,
          jobType: wo.jobType,
          followUpOfId: wo.id,
          reason: `Follow-up visit${origin}: ${data.notes || "the first visit could not finish"}`.slice(0, 500),
        },
        select: { id: true },
      });
    });
    // The field step's audit line, like a remote step's: the explorer, the matrix and the wave gate read it.
    // A visit that did not fix it logs the fault it left (the finding's code, or E001 for a calibration).
    const isFail = within === false || outcome === "not_fixed";
    const knownCode = code && code in CODES ? (code as Code) : null;
    const stepCode: Code | null = within === false ? "E001" : !isFail ? "STEP_OK" : (knownCode ?? (wo.jobType === "calibrate" ? "E001" : null));
    if ((outcome === "fixed" || outcome === "not_fixed") && stepCode && (wo.jobType === "calibrate" || wo.jobType === "inspect")) {
      const worst = calibration ? Math.max(Math.abs(calibration.err15A), Math.abs(calibration.err30A), Math.abs(calibration.err60A)) : null;
      const record = {
        ts: now.getTime(),
        recv_ts: null,
        meter: wo.meterId,
        gw: "",
        code: stepCode,
        sev: CODES[stepCode].sev,
        led: "" as const,
        step: wo.jobType as Step,
        job: wo.campaignId ?? "",
        result: isFail ? ("fail" as const) : ("ok" as const),
        rssi: null,
        lqi: null,
        snr: data.readings?.snrDb ?? null,
        temp_c: data.readings?.hottestTerminalC ?? null,
        battery_v: data.readings?.batteryV ?? null,
        accuracy_err_pct: worst,
        fw_metrology: "",
        fw_comms: "",
        fw_sha256: "",
        cert_not_after: null,
        msg: within === false ? `error outside the ${ACCURACY_ENVELOPE_PCT}% envelope after calibration` : outcome === "not_fixed" ? "not fixed on site" : "",
        attrs: { work_order: wo.id, outcome },
        source_host: "",
        source_app: "work-orders",
      };
      await insertCampaignAuditRows([toAuditLogRow(record, { source: `workorder:${wo.id}`, position: 0 })], `workorder:${wo.id}`);
      await refreshMeterStates([wo.meterId]);
    }
    const healed = outcome === "fixed" && within !== false ? applyFixToWorld(wo.meterId, wo.jobType, code) : [];
    await recordActivity({
      actor,
      action: "workorder.complete",
      target: wo.id,
      outcome: "ok",
      details: {
        meterId: wo.meterId,
        jobType: wo.jobType,
        outcome,
        withinEnvelope: within,
        readings: data.readings ?? null,
        constantsChanged: Boolean(data.constants),
        followUpId: followUp?.id ?? null,
        world: healed,
      },
    });
    if (data.constants) await recordActivity({ actor, action: "meter.constants", target: wo.meterId, outcome: "ok", details: { workOrderId: wo.id, constants: data.constants } });
    publishWorkOrdersChanged("completed", 1);
    if (followUp) publishWorkOrdersChanged("created", 1);
    return { id: wo.id, outcome, withinEnvelope: within, followUpId: followUp?.id ?? null };
  } catch (err) {
    await recordActivity({
      actor,
      action: "workorder.complete",
      target: data.workOrderId,
      outcome: err instanceof AppError && err.code === "forbidden" ? "denied" : "failed",
      details: { error: err instanceof Error ? err.message : String(err) },
    }).catch(() => {});
    throw err;
  }
}

/** The demo's simulated world learns of the fix (no world outside the demo; a meter it does not know is left alone). */
function applyFixToWorld(meterId: string, jobType: string, code: string | null): string[] {
  const world = getSharedWorld();
  if (!world || !isJobType(jobType)) return [];
  try {
    return world.applyFieldFix(meterId, jobType, code && code in CODES ? (code as Code) : undefined);
  } catch (err) {
    if (err instanceof AppError && err.code === "not_found") return [];
    throw err;
  }
}
