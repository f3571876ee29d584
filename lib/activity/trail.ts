// ActivityEvent: the append-only record of who did what (logins, privileged
// actions). Written by lib/ functions, never by pages.
import { getDb } from "@/lib/db";

export type ActivityOutcome = "ok" | "denied" | "failed";

export interface Actor {
  id: string | null;
  email: string | null;
}

export interface ActivityInput {
  actor: Actor | null;
  action: string;
  target: string;
  outcome: ActivityOutcome;
  ip?: string | null;
  details?: Record<string, unknown>;
}

export async function recordActivity(input: ActivityInput): Promise<void> {
  await getDb().activityEvent.create({
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

export async function listActivity(opts: { limit?: number; action?: string; target?: string } = {}) {
  return getDb().activityEvent.findMany({
    where: { action: opts.action, target: opts.target },
    orderBy: { at: "desc" },
    take: Math.min(opts.limit ?? 100, 1000),
  });
}
