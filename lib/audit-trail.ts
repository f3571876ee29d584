// AuditEvent: the append-only record of who did what (logins, privileged
// actions). Written by lib/ functions, never by pages.
import { getDb } from "@/lib/db";

export type AuditOutcome = "ok" | "denied" | "failed";

export interface Actor {
  id: string | null;
  email: string | null;
}

export interface AuditEventInput {
  actor: Actor | null;
  action: string;
  target: string;
  outcome: AuditOutcome;
  ip?: string | null;
  details?: Record<string, unknown>;
}

export async function recordAuditEvent(input: AuditEventInput): Promise<void> {
  await getDb().auditEvent.create({
    data: {
      actorId: input.actor?.id ?? null,
      actorEmail: input.actor?.email ?? null,
      action: input.action,
      target: input.target,
      outcome: input.outcome,
      ip: input.ip ?? null,
      details: (input.details ?? {}) as object,
    },
  });
}

export async function listAuditEvents(opts: { limit?: number; action?: string; target?: string } = {}) {
  return getDb().auditEvent.findMany({
    where: { action: opts.action, target: opts.target },
    orderBy: { at: "desc" },
    take: Math.min(opts.limit ?? 100, 1000),
  });
}
