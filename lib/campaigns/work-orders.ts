// Field work: campaign waves of field steps (inspect, calibrate) and maintenance
// plans (lib/schedule/runner.ts) create work orders; technicians complete them with readings. A
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
  outcome: z.enum(["done", "cancelled"]).default("done"),
  readings: calibrationReadingsSchema.optional(),
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
  const rows = await getDb().workOrder.findMany({
    where: { status: filter.status, campaignId: filter.campaignId, meterId: filter.meterId },
    // Open work oldest first; finished work newest first (the demo's years of completed orders would hide today's). The id keeps the API's cursor pages stable.
    orderBy:
      filter.status === "done" || filter.status === "cancelled"
        ? [{ completedAt: "desc" }, { createdAt: "desc" }, { id: "asc" }]
        : [{ status: "asc" }, { createdAt: "asc" }, { id: "asc" }],
    take: Math.min(filter.limit ?? 500, 2000),
    ...(filter.after ? { cursor: { id: filter.after }, skip: 1 } : {}),
    include: { campaign: { select: { name: true } } },
  });
  return rows.map(toWorkOrderRow);
}

/** One work order, or null. */
export async function getWorkOrder(actor: CampaignActor, workOrderId: string) {
  assertActorCan(actor, "workorders.view");
  const w = await getDb().workOrder.findUnique({ where: { id: workOrderId }, include: { campaign: { select: { name: true } } } });
  return w ? toWorkOrderRow(w) : null;
}

function toWorkOrderRow(w: {
  id: string;
  meterId: string;
  jobType: string;
  status: string;
  campaignId: string | null;
  campaign: { name: string } | null;
  reason: string | null;
  readings: unknown;
  createdAt: Date;
  completedAt: Date | null;
}) {
  return {
    id: w.id,
    meterId: w.meterId,
    jobType: w.jobType,
    status: w.status,
    campaignId: w.campaignId,
    campaignName: w.campaign?.name ?? null,
    reason: w.reason,
    readings: w.readings as Record<string, number> | null,
    createdAt: w.createdAt.toISOString(),
    completedAt: w.completedAt?.toISOString() ?? null,
  };
}
export type WorkOrderRow = Awaited<ReturnType<typeof listWorkOrders>>[number];

/** The work-order page (room `workorders`) reloads its list when orders are created or completed. */
export function publishWorkOrdersChanged(change: "created" | "completed", count: number): void {
  publish("workorders", "changed", { change, count });
}

export function isWithinEnvelope(r: z.infer<typeof calibrationReadingsSchema>): boolean {
  return [r.err15A, r.err30A, r.err60A].every((e) => Math.abs(e) <= ACCURACY_ENVELOPE_PCT);
}

export async function completeWorkOrder(input: CompleteWorkOrderInput, actor: CampaignActor, now = new Date()) {
  const data = completeWorkOrderSchema.parse(input);
  const db = getDb();
  try {
    assertActorCan(actor, "workorders.complete");
    const wo = await db.workOrder.findUnique({ where: { id: data.workOrderId } });
    if (!wo) throw new AppError("not_found", "No such work order.");
    if (wo.status !== "open") throw new AppError("conflict", `This work order is already ${wo.status}.`);
    if (wo.jobType === "calibrate" && data.outcome === "done" && !data.readings) throw new AppError("invalid", "A calibration needs the measured errors at 15, 30 and 60 A.");
    if (data.constants) assertActorCan(actor, "meters.edit_constants");
    const within = data.readings ? isWithinEnvelope(data.readings) : null;
    await db.$transaction(async (tx) => {
      const moved = await tx.workOrder.updateMany({
        where: { id: wo.id, status: "open" },
        data: {
          status: data.outcome,
          readings: data.readings ? ({ ...data.readings, envelopePct: ACCURACY_ENVELOPE_PCT, withinEnvelope: within } as Prisma.InputJsonValue) : undefined,
          notes: data.notes,
          completedById: actor.id,
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
        const isOk = data.outcome === "done" && within !== false;
        await tx.campaignTarget.updateMany({
          where: { campaignId: wo.campaignId, meterId: wo.meterId, state: "sent" },
          data: isOk
            ? { state: "succeeded", updatedAt: now }
            : {
                state: data.outcome === "cancelled" ? "skipped" : "failed",
                lastCode: data.outcome === "cancelled" ? null : "E001",
                reason: data.outcome === "cancelled" ? "work order cancelled" : `outside the ${ACCURACY_ENVELOPE_PCT}% envelope after calibration`,
                updatedAt: now,
              },
        });
      }
    });
    // The field step's audit line, like a remote step's: the explorer, the matrix and the wave gate read it.
    if (data.outcome === "done" && (wo.jobType === "calibrate" || wo.jobType === "inspect")) {
      const code: Code = within === false ? "E001" : "STEP_OK";
      const worst = data.readings ? Math.max(Math.abs(data.readings.err15A), Math.abs(data.readings.err30A), Math.abs(data.readings.err60A)) : null;
      const record = {
        ts: now.getTime(),
        recv_ts: null,
        meter: wo.meterId,
        gw: "",
        code,
        sev: CODES[code].sev,
        led: "" as const,
        step: wo.jobType as Step,
        job: wo.campaignId ?? "",
        result: within === false ? ("fail" as const) : ("ok" as const),
        rssi: null,
        lqi: null,
        snr: null,
        temp_c: null,
        battery_v: null,
        accuracy_err_pct: worst,
        fw_metrology: "",
        fw_comms: "",
        fw_sha256: "",
        cert_not_after: null,
        msg: within === false ? `error outside the ${ACCURACY_ENVELOPE_PCT}% envelope after calibration` : "",
        attrs: { work_order: wo.id },
        source_host: "",
        source_app: "work-orders",
      };
      await insertCampaignAuditRows([toAuditLogRow(record, { source: `workorder:${wo.id}`, position: 0 })], `workorder:${wo.id}`);
      await refreshMeterStates([wo.meterId]);
    }
    await recordActivity({
      actor,
      action: "workorder.complete",
      target: wo.id,
      outcome: "ok",
      details: { meterId: wo.meterId, jobType: wo.jobType, outcome: data.outcome, withinEnvelope: within, constantsChanged: Boolean(data.constants) },
    });
    if (data.constants) await recordActivity({ actor, action: "meter.constants", target: wo.meterId, outcome: "ok", details: { workOrderId: wo.id, constants: data.constants } });
    publishWorkOrdersChanged("completed", 1);
    return { id: wo.id, withinEnvelope: within };
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
