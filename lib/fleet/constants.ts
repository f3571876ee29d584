// Metrology constants of one meter: read with their history, and changed by a
// technician or admin. A change writes the new constants, a MeterConstantChange
// (before/after, reason, who) and an ActivityEvent in one transaction.
import { z } from "zod";
import { can, type Role } from "@/lib/auth/permissions";
import { AppError } from "@/lib/errors";
import { METER_ID_RE } from "@/lib/fleet/ids";
import { getDb } from "@/lib/db";
import type { PrismaClient } from "@/lib/generated/prisma/client";

export const metrologyConstantsSchema = z.strictObject({
  pulseConstant: z.number().positive().max(1e7),
  gainCorrection: z.number().min(0.5).max(1.5),
  phaseCorrectionDeg: z.number().min(-10).max(10),
});

export const updateMeterConstantsSchema = z.object({
  meterId: z.string().regex(METER_ID_RE, "not a meter id"),
  constants: metrologyConstantsSchema,
  reason: z.string().trim().min(3, "say why (at least 3 characters)").max(500),
});
export type UpdateMeterConstantsInput = z.infer<typeof updateMeterConstantsSchema>;

export interface ConstantsActor {
  id: string;
  email: string;
  role: Role;
}

export async function updateMeterConstants(input: UpdateMeterConstantsInput, actor: ConstantsActor, opts: { ip?: string | null; db?: PrismaClient } = {}) {
  const db = opts.db ?? getDb();
  // The action checks the session too; this guards every other caller of lib/.
  if (!can(actor.role, "meters.edit_constants")) {
    await db.activityEvent.create({
      data: {
        actorId: actor.id,
        actorEmail: actor.email,
        action: "authz.denied",
        target: "meters.edit_constants",
        outcome: "denied",
        ip: opts.ip ?? null,
        details: { meterId: input.meterId },
      },
    });
    throw new AppError("forbidden", `Your role (${actor.role}) may not change metrology constants.`);
  }
  const { meterId, constants, reason } = updateMeterConstantsSchema.parse(input);
  return db.$transaction(async (tx) => {
    const meter = await tx.meter.findUnique({ where: { id: meterId }, select: { metrologyConstants: true } });
    if (!meter) throw new AppError("not_found", `Meter ${meterId} does not exist.`);
    const before = (meter.metrologyConstants ?? {}) as Record<string, unknown>;
    const after = { ...before, ...constants };
    const change = await tx.meterConstantChange.create({
      data: { meterId, actorId: actor.id, actorEmail: actor.email, before: before as object, after, reason },
    });
    await tx.meter.update({ where: { id: meterId }, data: { metrologyConstants: after } });
    await tx.activityEvent.create({
      data: {
        actorId: actor.id,
        actorEmail: actor.email,
        action: "meter.constants.update",
        target: meterId,
        outcome: "ok",
        ip: opts.ip ?? null,
        details: { before, after, reason, changeId: change.id } as object,
      },
    });
    return change;
  });
}

export async function listMeterConstantChanges(meterId: string, opts: { limit?: number; db?: PrismaClient } = {}) {
  return (opts.db ?? getDb()).meterConstantChange.findMany({
    where: { meterId },
    orderBy: { at: "desc" },
    take: Math.min(opts.limit ?? 50, 500),
  });
}
