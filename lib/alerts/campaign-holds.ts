// Maintenance awareness: while a campaign wave runs or soaks on a set of meters, the alerts
// its own steps cause on those meters (comms resets, reboots after FOTA, expected LAST_GASP)
// are held, with the campaign named as the reason. When the wave ends: its gate failed ->
// the held alerts still firing are released as one message linked to the campaign; it passed
// -> alerts still firing after the soak are no longer the campaign's and go out as firing.
import type { PrismaClient } from "@/lib/db";
import { findActiveWaves, findEndedCampaignHolds, releaseHeldAlerts } from "@/lib/db/alerts";
import type { MessageAlert } from "./messages";

export interface CampaignHold {
  campaignId: string;
  campaignName: string;
  index: number;
  key: string;
  meters: Set<string>;
}

/** An alert is the wave's when at least half of the meters behind it are in the wave. */
export const HOLD_SHARE = 0.5;

export async function loadCampaignHolds(db: PrismaClient, _at: Date): Promise<CampaignHold[]> {
  const waves = await findActiveWaves(db);
  return waves.map((w) => ({ campaignId: w.campaignId, campaignName: w.campaignName, index: w.index, key: `campaign:${w.campaignId}:${w.index}`, meters: new Set(w.meters) }));
}

/** The wave holding an alert with these meters (an alert already held stays with its wave while it runs). */
export function findCampaignHold(holds: CampaignHold[], meters: string[], heldBy: string | null): CampaignHold | null {
  if (heldBy) {
    const same = holds.find((h) => h.key === heldBy);
    if (same) return same;
  }
  if (!meters.length) return null;
  let best: CampaignHold | null = null;
  let bestShare = 0;
  for (const h of holds) {
    const share = meters.filter((m) => h.meters.has(m)).length / meters.length;
    if (share >= HOLD_SHARE && share > bestShare) {
      best = h;
      bestShare = share;
    }
  }
  return best;
}

export interface ReleasedGroup {
  kind: "released" | "firing";
  campaign: { id: string; name: string; url: string };
  channelIds: string[];
  alerts: MessageAlert[];
}

/** Ends the holds of waves that are over; returns what to send (firing alerts only). */
export async function releaseFailedCampaignHolds(db: PrismaClient, input: { at: Date; baseUrl: string }): Promise<ReleasedGroup[]> {
  const ended = await findEndedCampaignHolds(db);
  const out: ReleasedGroup[] = [];
  for (const e of ended) {
    const failed = e.waveState === "failed";
    const note = failed ? `released: campaign ${e.campaignName} failed its gate` : `campaign ${e.campaignName} wave ended (${e.waveState}); no longer held`;
    await releaseHeldAlerts(db, { alertIds: e.alerts.map((a) => a.id), at: input.at, note });
    const firing = e.alerts.filter((a) => a.state === "firing");
    if (!firing.length) continue;
    const campaign = { id: e.campaignId, name: e.campaignName, url: `${input.baseUrl}/campaigns/${encodeURIComponent(e.campaignId)}` };
    const channelIds = [...new Set(firing.flatMap((a) => (Array.isArray(a.rule.channelIds) ? (a.rule.channelIds as string[]) : [])))];
    out.push({
      kind: failed ? "released" : "firing",
      campaign,
      channelIds,
      alerts: firing.map((a) => ({
        id: a.id,
        fingerprint: a.fingerprint,
        rule: { id: a.rule.id, name: a.rule.name },
        severity: a.rule.severity,
        state: a.state,
        labels: a.labels as Record<string, string>,
        summary: a.summary,
        value: a.value,
        firedAt: a.firedAt?.toISOString() ?? null,
        resolvedAt: null,
        runbookUrl: a.rule.runbookUrl,
        url: `${input.baseUrl}/alerts?alert=${encodeURIComponent(a.id)}`,
      })),
    });
  }
  return out;
}
