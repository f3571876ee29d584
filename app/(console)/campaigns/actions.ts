"use server";
// Campaign server actions: authedAction checks the session's permission and
// parses the input, then lib/campaigns (which re-checks the actor and writes
// the ActivityEvent) does the work, then the pages are revalidated.
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { authedAction } from "@/lib/auth/authed-action";
import { isAppError } from "@/lib/errors";
import { campaignIdSchema, campaignOptionsSchema, createCampaignSchema, jobTypeSchema, targetQuerySchema } from "@/lib/campaigns/schemas";
import {
  abortCampaign,
  approveCampaign,
  createCampaign,
  pauseCampaign,
  previewCampaign,
  resumeCampaign,
  retryFailed,
  skipWave,
  startCampaign,
  summarizePlan,
} from "@/lib/campaigns/service";
import { describeTargetQuery } from "@/lib/campaigns/target-text";

const previewSchema = z.object({ jobType: jobTypeSchema, targetQuery: targetQuerySchema, options: campaignOptionsSchema });

export const previewCampaignAction = authedAction("campaigns.manage", previewSchema, async (data, user) => {
  const { plan, unknownMeters, targetCount } = await previewCampaign(data, user);
  return { targetCount, targetDescription: describeTargetQuery(data.targetQuery), ...summarizePlan(plan, unknownMeters) };
});

/**
 * Create, and start right away when asked (the form's "Create and start"). A refused start
 * leaves the campaign a draft, and says why (startError) with its id: nothing half-made.
 */
export const createCampaignAction = authedAction("campaigns.manage", createCampaignSchema.extend({ start: z.boolean().default(false) }), async ({ start, ...rest }, user) => {
  const created = await createCampaign(rest, user);
  revalidatePath("/campaigns");
  if (!start) return { id: created.id, status: created.status, startError: null };
  try {
    const c = await startCampaign({ campaignId: created.id }, user);
    return { id: c.id, status: c.status, startError: null };
  } catch (err) {
    if (!isAppError(err)) throw err;
    return { id: created.id, status: created.status, startError: err.message };
  }
});

export const startCampaignAction = authedAction("campaigns.manage", campaignIdSchema, async ({ campaignId }, user) => {
  const c = await startCampaign({ campaignId }, user);
  revalidatePath(`/campaigns/${campaignId}`);
  revalidatePath("/campaigns");
  return { status: c.status };
});

export const approveCampaignAction = authedAction("campaigns.approve", campaignIdSchema, async ({ campaignId }, user) => {
  const c = await approveCampaign({ campaignId }, user);
  revalidatePath(`/campaigns/${campaignId}`);
  return { status: c.status };
});

export const pauseCampaignAction = authedAction("campaigns.manage", campaignIdSchema, async ({ campaignId }, user) => {
  const c = await pauseCampaign({ campaignId }, user);
  revalidatePath(`/campaigns/${campaignId}`);
  return { status: c.status };
});

export const resumeCampaignAction = authedAction("campaigns.manage", campaignIdSchema, async ({ campaignId }, user) => {
  const c = await resumeCampaign({ campaignId }, user);
  revalidatePath(`/campaigns/${campaignId}`);
  return { status: c.status };
});

export const skipWaveAction = authedAction("campaigns.manage", campaignIdSchema, async ({ campaignId }, user) => {
  const r = await skipWave({ campaignId }, user);
  revalidatePath(`/campaigns/${campaignId}`);
  return r;
});

export const abortCampaignAction = authedAction("campaigns.manage", campaignIdSchema, async ({ campaignId }, user) => {
  const c = await abortCampaign({ campaignId }, user);
  revalidatePath(`/campaigns/${campaignId}`);
  return { status: c.status };
});

export const retryFailedAction = authedAction("campaigns.manage", campaignIdSchema, async ({ campaignId }, user) => {
  const r = await retryFailed({ campaignId }, user);
  revalidatePath(`/campaigns/${campaignId}`);
  return r;
});
