// A meter's maintenance history: its work orders (open and closed) and the campaign steps that
// ran on it, newest first, with who, when and the outcome. `lastDoneByJobType` answers "when
// was each job last done on these meters" for the maintenance schedule (issue #27).
import type { PrismaClient } from "@/lib/db";
import { findingOf, isJobType, jobTypeTitle, type JobType } from "@/lib/scheduling/job-types";
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

/**
 * When each job type was last done on each meter: a work order closed as fixed (or closed before
 * outcomes were kept), or a campaign step that succeeded. Meters with nothing done are absent.
 */
export async function lastDoneByJobType(db: Db, meterIds: string[]): Promise<Map<string, Partial<Record<JobType, Date>>>> {
  const out = new Map<string, Partial<Record<JobType, Date>>>();
  if (!meterIds.length) return out;
  const note = (meterId: string, jobType: string, at: Date) => {
    if (!isJobType(jobType)) return;
    const m = out.get(meterId) ?? {};
    if (!m[jobType] || m[jobType]! < at) m[jobType] = at;
    out.set(meterId, m);
  };
  const [orders, steps] = await Promise.all([
    db.workOrder.findMany({
      where: { meterId: { in: meterIds }, status: "done", OR: [{ outcome: "fixed" }, { outcome: null }], completedAt: { not: null } },
      select: { meterId: true, jobType: true, completedAt: true },
    }),
    db.campaignTarget.findMany({
      where: { meterId: { in: meterIds }, state: "succeeded" },
      select: { meterId: true, updatedAt: true, campaign: { select: { jobType: true } } },
    }),
  ]);
  for (const o of orders) note(o.meterId, o.jobType, o.completedAt!);
  for (const s of steps) note(s.meterId, s.campaign.jobType, s.updatedAt);
  return out;
}
