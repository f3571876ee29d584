// A meter's maintenance history: its work orders (open and closed) and the campaign steps that
// ran on it, newest first, with who, when and the outcome. When each job was last done (for the
// schedule's due dates) is lib/db/maintenance.ts loadLastDone, by the same rule: fixed or succeeded.
import type { PrismaClient } from "@/lib/db";
import { findingOf, jobTypeTitle } from "@/lib/scheduling/job-types";
import { formatReadings, outcomeLabel } from "./field-report";

type Db = Pick<PrismaClient, "workOrder" | "campaignTarget">;

export interface MaintenanceEntry {
  kind: "work_order" | "campaign_step";
  /** When it closed (or, still open, when it was created), ISO. */
  at: string;
  jobType: string;
  /** "RF analysis" */
  jobLabel: string;
  /** "fixed", "needs follow-up", "open", "succeeded", "failed: TLS_HANDSHAKE", "found LOW_SNR" */
  outcome: string;
  isOpen: boolean;
  /** Who did it: the technician who closed the order, the operator who ran the campaign. */
  who: string | null;
  campaign: { id: string; name: string } | null;
  workOrderId: string | null;
  followUpOfId: string | null;
  readings: string;
  notes: string | null;
  /** The step's answer code or the order's reason. */
  detail: string | null;
}

const STEP_STATES = ["succeeded", "failed", "skipped", "excluded", "sent"] as const;

export async function maintenanceHistory(db: Db, meterId: string, { limit = 100 }: { limit?: number } = {}): Promise<MaintenanceEntry[]> {
  const [orders, steps] = await Promise.all([
    db.workOrder.findMany({
      where: { meterId },
      orderBy: { createdAt: "desc" },
      take: limit,
      include: { campaign: { select: { id: true, name: true } } },
    }),
    db.campaignTarget.findMany({
      where: { meterId, state: { in: [...STEP_STATES] } },
      orderBy: { updatedAt: "desc" },
      take: limit,
      include: { campaign: { select: { id: true, name: true, jobType: true, createdByEmail: true } } },
    }),
  ]);
  const entries: MaintenanceEntry[] = [
    ...orders.map((w): MaintenanceEntry => {
      const isOpen = w.status === "open";
      return {
        kind: "work_order",
        at: (w.completedAt ?? w.createdAt).toISOString(),
        jobType: w.jobType,
        jobLabel: jobTypeTitle(w.jobType),
        outcome: isOpen ? "open" : outcomeLabel(w.outcome, w.status),
        isOpen,
        who: w.completedByEmail,
        campaign: w.campaign ? { id: w.campaign.id, name: w.campaign.name } : null,
        workOrderId: w.id,
        followUpOfId: w.followUpOfId,
        readings: formatReadings(w.readings as Record<string, unknown> | null),
        notes: w.notes,
        detail: w.reason,
      };
    }),
    // A field step's outcome is its work order's: listed once, as the order.
    ...steps
      .filter((t) => !(t.campaign.jobType === "inspect" || t.campaign.jobType === "calibrate"))
      .map((t): MaintenanceEntry => {
        const finding = t.lastCode ? findingOf(t.campaign.jobType, t.lastCode) : null;
        const outcome =
          t.state === "succeeded" ? (finding ? `found ${t.lastCode}` : "succeeded") : t.state === "sent" ? "in progress" : `${t.state}${t.lastCode ? `: ${t.lastCode}` : ""}`;
        return {
          kind: "campaign_step",
          at: t.updatedAt.toISOString(),
          jobType: t.campaign.jobType,
          jobLabel: jobTypeTitle(t.campaign.jobType),
          outcome,
          isOpen: t.state === "sent",
          who: t.campaign.createdByEmail,
          campaign: { id: t.campaign.id, name: t.campaign.name },
          workOrderId: null,
          followUpOfId: null,
          readings: "",
          notes: null,
          detail: finding ? finding.label : t.reason,
        };
      }),
  ];
  return entries.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).slice(0, limit);
}
