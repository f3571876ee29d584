// Campaign status rules in one place, pure (also imported by the campaign page's client code):
// which statuses exist, which move to which, which actions each status allows and to whom,
// and the open/unfinished lists the service and the dispatcher pass to their SQL.
import type { Permission } from "@/lib/auth/permissions";

/** As the CampaignStatus enum in prisma/schema.prisma. */
export const CAMPAIGN_STATUSES = ["draft", "awaiting_approval", "approved", "running", "paused", "completed", "aborted"] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** Every status a campaign may still leave by itself or by an operator: abort applies to these. */
export const UNFINISHED_STATUSES = ["draft", "awaiting_approval", "approved", "running", "paused"] as const satisfies readonly CampaignStatus[];
/** Campaigns whose meters count together toward their job type's approval size (issue 24 #8). */
export const APPROVAL_POOL_STATUSES = ["awaiting_approval", "approved", "running", "paused"] as const satisfies readonly CampaignStatus[];
/** Waves not yet decided: the first of them is the campaign's current wave. */
export const OPEN_WAVE_STATES = ["pending", "running", "soaking", "paused"] as const;
/** Targets still waiting for an outcome. */
export const OPEN_TARGET_STATES = ["pending", "leased", "sent"] as const;

export const TRANSITIONS: Readonly<Record<CampaignStatus, readonly CampaignStatus[]>> = {
  draft: ["awaiting_approval", "running", "aborted"],
  awaiting_approval: ["approved", "aborted"],
  approved: ["running", "aborted"],
  running: ["paused", "completed", "aborted"],
  paused: ["running", "aborted"],
  // A retry of failed meters reopens a completed campaign.
  completed: ["running"],
  aborted: [],
};

export function canTransition(from: CampaignStatus, to: CampaignStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export const CAMPAIGN_ACTION_PERMISSIONS = {
  create: "campaigns.manage",
  preview: "campaigns.manage",
  start: "campaigns.manage",
  pause: "campaigns.manage",
  resume: "campaigns.manage",
  skip: "campaigns.manage",
  abort: "campaigns.manage",
  retry: "campaigns.manage",
  approve: "campaigns.approve",
} as const satisfies Record<string, Permission>;
export type CampaignAction = keyof typeof CAMPAIGN_ACTION_PERMISSIONS;

/** The statuses in which each action on an existing campaign applies. */
export const ACTION_STATUSES: Readonly<Record<Exclude<CampaignAction, "create" | "preview">, readonly CampaignStatus[]>> = {
  start: ["draft", "approved"],
  approve: ["awaiting_approval"],
  pause: ["running"],
  resume: ["paused"],
  skip: ["running", "paused"],
  retry: ["running", "paused", "completed"],
  abort: UNFINISHED_STATUSES,
};
export type CampaignStatusAction = keyof typeof ACTION_STATUSES;

export function isActionAllowed(action: CampaignStatusAction, status: string): boolean {
  return (ACTION_STATUSES[action] as readonly string[]).includes(status);
}

/** Four eyes: neither the creator nor whoever submitted it for approval may approve a campaign. */
export function isApprovalBarred(c: { createdById: string; submittedById: string | null }, userId: string): boolean {
  return c.createdById === userId || c.submittedById === userId;
}
