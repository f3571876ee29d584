"use server";
// Campaign server actions: session permission first, zod, then lib/campaigns
// (which re-checks the actor and writes the AuditEvent), then revalidate.
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { requirePermission } from "@/lib/auth/session";
import { isAppError, runAction } from "@/lib/errors";
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

export async function previewCampaignAction(input: unknown) {
  return runAction(async () => {
    const user = await requirePermission("campaigns.manage");
    const data = previewSchema.parse(input);
    const { plan, unknownMeters, targetCount } = await previewCampaign(data, user);
    return { targetCount, targetDescription: describeTargetQuery(data.targetQuery), ...summarizePlan(plan, unknownMeters) };
  });
}

/**
 * Create, and start right away when asked (the form's "Create and start"). A refused start
 * leaves the campaign a draft, and says why (startError) with its id: nothing half-made.
 */
export async function createCampaignAction(input: unknown) {
  return runAction(async () => {
    const user = await requirePermission("campaigns.manage");
    const { start, ...rest } = createCampaignSchema.extend({ start: z.boolean().default(false) }).parse(input);
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
}

export async function startCampaignAction(input: unknown) {
  return runAction(async () => {
    const user = await requirePermission("campaigns.manage");
    const { campaignId } = campaignIdSchema.parse(input);
    const c = await startCampaign({ campaignId }, user);
    revalidatePath(`/campaigns/${campaignId}`);
    revalidatePath("/campaigns");
    return { status: c.status };
  });
}

export async function approveCampaignAction(input: unknown) {
  return runAction(async () => {
    const user = await requirePermission("campaigns.approve");
    const { campaignId } = campaignIdSchema.parse(input);
    const c = await approveCampaign({ campaignId }, user);
    revalidatePath(`/campaigns/${campaignId}`);
    return { status: c.status };
  });
}

export async function pauseCampaignAction(input: unknown) {
  return runAction(async () => {
    const user = await requirePermission("campaigns.manage");
    const { campaignId } = campaignIdSchema.parse(input);
    const c = await pauseCampaign({ campaignId }, user);
    revalidatePath(`/campaigns/${campaignId}`);
    return { status: c.status };
  });
}

export async function resumeCampaignAction(input: unknown) {
  return runAction(async () => {
    const user = await requirePermission("campaigns.manage");
    const { campaignId } = campaignIdSchema.parse(input);
    const c = await resumeCampaign({ campaignId }, user);
    revalidatePath(`/campaigns/${campaignId}`);
    return { status: c.status };
  });
}

export async function skipWaveAction(input: unknown) {
  return runAction(async () => {
    const user = await requirePermission("campaigns.manage");
    const { campaignId } = campaignIdSchema.parse(input);
    const r = await skipWave({ campaignId }, user);
    revalidatePath(`/campaigns/${campaignId}`);
    return r;
  });
}

export async function abortCampaignAction(input: unknown) {
  return runAction(async () => {
    const user = await requirePermission("campaigns.manage");
    const { campaignId } = campaignIdSchema.parse(input);
    const c = await abortCampaign({ campaignId }, user);
    revalidatePath(`/campaigns/${campaignId}`);
    return { status: c.status };
  });
}

export async function retryFailedAction(input: unknown) {
  return runAction(async () => {
    const user = await requirePermission("campaigns.manage");
    const { campaignId } = campaignIdSchema.parse(input);
    const r = await retryFailed({ campaignId }, user);
    revalidatePath(`/campaigns/${campaignId}`);
    return r;
  });
}
