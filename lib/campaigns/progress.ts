// Progress of a campaign as the detail page draws it (per-wave bars, per-gateway
// load of the active wave, failures by code), and its publication to the
// socket.io rooms `campaign:<id>` and `campaigns`.
import { getDb } from "@/lib/db";
import { FOLLOW_UP_JOB_TYPE, getFindings } from "@/lib/scheduling/job-types";
import { publish } from "@/lib/realtime/hub";
import type { Reason } from "@/lib/scheduling/types";
import { describeGateDecision } from "./gate-text";
import { OPEN_WAVE_STATES } from "./lifecycle";

export interface WaveProgress {
  index: number;
  isCanary: boolean;
  state: string;
  size: number;
  /** The IANA zone whose local window the wave was planned in ("" for waves planned before zones were kept). */
  timezone: string;
  scheduledAt: string;
  /** End of the allowed window the wave is placed in (null: any time). */
  windowEnd: string | null;
  soakEndsAt: string | null;
  decision: string | null;
  reasons: Reason[];
  /** The gate's pause or stop in plain words with the numbers (lib/campaigns/gate-text); null otherwise. */
  gateText: string | null;
  counts: Record<string, number>;
}

export interface CampaignProgress {
  id: string;
  status: string;
  /** As stored: a gate's codes and messages, or who paused it. Kept as the detail. */
  statusReason: string | null;
  /** The same in plain words ("Paused: 3 of 10 meters in the canary failed …"). */
  statusReasonText: string | null;
  /** Targets in each state, preflight exclusions at start included. */
  counts: Record<string, number>;
  /** Targets scheduled at start (matched minus excluded by preflight then). */
  scheduled: number;
  waves: WaveProgress[];
  activeWave: number | null;
  gateways: { gatewayId: string; inFlight: number; done: number; failed: number; total: number }[];
  failuresByCode: { code: string; meters: number }[];
  /** What a diagnostic step found (job-types.ts findings): meters per code, with the fix. */
  findings: { code: string; meters: number; label: string; action: string; runbook: string }[];
  /** The work orders its findings became: still open, and in all. */
  followUps: { open: number; total: number };
  updatedAt: string;
}

/**
 * Share of the scheduled targets that are settled (succeeded, failed, skipped, or excluded during
 * the run). Meters preflight excluded at start were never scheduled: they are not progress.
 */
export function progressPct(counts: Record<string, number>, scheduled: number): number {
  if (scheduled <= 0) return 0;
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const excludedAtStart = Math.max(0, total - scheduled);
  const settled = (counts.succeeded ?? 0) + (counts.failed ?? 0) + (counts.skipped ?? 0) + (counts.excluded ?? 0) - excludedAtStart;
  return Math.round((100 * Math.min(scheduled, Math.max(0, settled))) / scheduled);
}

export async function getCampaignProgress(campaignId: string): Promise<CampaignProgress | null> {
  const db = getDb();
  const c = await db.campaign.findUnique({ where: { id: campaignId }, select: { id: true, status: true, statusReason: true, targetCount: true, jobType: true } });
  if (!c) return null;
  const findingSpec = getFindings(c.jobType);
  const hasFindings = Object.keys(findingSpec).length > 0;
  const [waves, byWave, byCode, found, orders] = await Promise.all([
    db.campaignWave.findMany({ where: { campaignId }, orderBy: { index: "asc" } }),
    db.campaignTarget.groupBy({ by: ["wave", "state"], where: { campaignId }, _count: { _all: true } }),
    db.campaignTarget.groupBy({ by: ["lastCode"], where: { campaignId, state: { in: ["failed", "excluded"] }, wave: { gte: 0 } }, _count: { _all: true } }),
    hasFindings ? db.campaignTarget.groupBy({ by: ["lastCode"], where: { campaignId, state: "succeeded", lastCode: { not: null } }, _count: { _all: true } }) : [],
    hasFindings ? db.workOrder.groupBy({ by: ["status"], where: { campaignId, jobType: FOLLOW_UP_JOB_TYPE }, _count: { _all: true } }) : [],
  ]);
  const counts: Record<string, number> = {};
  const perWave = new Map<number, Record<string, number>>();
  for (const r of byWave) {
    counts[r.state] = (counts[r.state] ?? 0) + r._count._all;
    if (r.wave < 0) continue;
    const w = perWave.get(r.wave) ?? {};
    w[r.state] = r._count._all;
    perWave.set(r.wave, w);
  }
  const active = waves.find((w) => (OPEN_WAVE_STATES as readonly string[]).includes(w.state)) ?? null;
  let gateways: CampaignProgress["gateways"] = [];
  if (active) {
    const rows = await db.campaignTarget.groupBy({ by: ["gatewayId", "state"], where: { campaignId, wave: active.index }, _count: { _all: true } });
    const map = new Map<string, CampaignProgress["gateways"][number]>();
    for (const r of rows) {
      const g = map.get(r.gatewayId) ?? { gatewayId: r.gatewayId, inFlight: 0, done: 0, failed: 0, total: 0 };
      const n = r._count._all;
      g.total += n;
      if (r.state === "leased" || r.state === "sent") g.inFlight += n;
      else if (r.state === "succeeded") g.done += n;
      else if (r.state === "failed" || r.state === "excluded") g.failed += n;
      map.set(r.gatewayId, g);
    }
    gateways = [...map.values()].sort((a, b) => b.total - a.total || (a.gatewayId < b.gatewayId ? -1 : 1));
  }
  const waveViews: WaveProgress[] = waves.map((w) => {
    const reasons = Array.isArray(w.reasons) ? (w.reasons as unknown as Reason[]) : [];
    return {
      index: w.index,
      isCanary: w.isCanary,
      state: w.state,
      size: w.size,
      timezone: w.timezone,
      scheduledAt: w.scheduledAt.toISOString(),
      windowEnd: w.windowEnd?.toISOString() ?? null,
      soakEndsAt: w.soakEndsAt?.toISOString() ?? null,
      decision: w.decision,
      reasons,
      gateText: describeGateDecision(w.decision, reasons, w),
      counts: perWave.get(w.index) ?? {},
    };
  });
  // "gate of wave 0: ERROR_BUDGET_EXCEEDED: …" (dispatch/waves.ts): that wave's decision in words.
  const gateOf = /^gate of wave (\d+):/.exec(c.statusReason ?? "");
  const statusReasonText = gateOf ? (waveViews.find((w) => w.index === Number(gateOf[1]))?.gateText ?? c.statusReason) : c.statusReason;
  return {
    id: c.id,
    status: c.status,
    statusReason: c.statusReason,
    statusReasonText,
    counts,
    scheduled: c.targetCount,
    waves: waveViews,
    activeWave: active?.index ?? null,
    gateways,
    failuresByCode: byCode.map((r) => ({ code: r.lastCode ?? "UNKNOWN", meters: r._count._all })).sort((a, b) => b.meters - a.meters),
    findings: found
      .flatMap(({ lastCode: code, _count }) => {
        const f = code ? findingSpec[code] : undefined;
        return f && code ? [{ code, meters: _count._all, ...f }] : [];
      })
      .sort((a, b) => b.meters - a.meters),
    followUps: {
      open: orders.filter((o) => o.status === "open").reduce((n, o) => n + o._count._all, 0),
      total: orders.reduce((n, o) => n + o._count._all, 0),
    },
    updatedAt: new Date().toISOString(),
  };
}

// Snapshots cost a few queries: only computed in a process that serves sockets (startDispatcher turns this on).
const g = globalThis as unknown as { __amiCampaignLive?: boolean };
export function setLiveProgress(isLive: boolean): void {
  g.__amiCampaignLive = isLive;
}

/** A status change: the list room gets a small item, the campaign room a fresh progress snapshot. */
export function publishCampaignChange(campaignId: string, status: string): void {
  publish("campaigns", "campaign", { id: campaignId, status });
  if (g.__amiCampaignLive) void publishProgress(campaignId).catch(() => {});
}

export async function publishProgress(campaignId: string): Promise<void> {
  const progress = await getCampaignProgress(campaignId);
  if (!progress) return;
  publish(`campaign:${campaignId}`, "progress", progress);
  publish("campaigns", "campaign", { id: campaignId, status: progress.status, progressPct: progressPct(progress.counts, progress.scheduled) });
}
