// The alert evaluator's and notifier's status: their entries in the server's loop registry (lib/server/loop-status.ts).
import { getDegradedLoops, getLoopStatus, type DegradedLoop, type LoopStatus } from "@/lib/server/loop-status";

export type AlertLoopName = "evaluator" | "notifier";

export function getAlertLoopStatus(name: AlertLoopName): LoopStatus {
  return getLoopStatus("alerts", name);
}

/** Alert loops failing right now (the server is up but alerts may not be evaluated or sent). */
export function getDegradedAlertLoops(): DegradedLoop[] {
  return getDegradedLoops("alerts");
}
