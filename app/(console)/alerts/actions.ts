"use server";
// Alert server actions: authedAction checks the permission and parses the input, then
// lib/alerts/service (which re-checks the actor and records the operator trail) does the work.
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { authedAction } from "@/lib/auth/authed-action";
import {
  acknowledgeAlert,
  createChannel,
  createRule,
  createSilence,
  deleteChannel,
  deleteRule,
  expireSilence,
  previewRule,
  sendTestNotification,
  updateRule,
  channelInputSchema,
} from "@/lib/alerts/service";
import { ruleInputSchema } from "@/lib/alerts/rules";
import { silenceInputSchema } from "@/lib/alerts/silences";

const idSchema = z.string().min(1).max(64);

export const createRuleAction = authedAction("alerts.manage", ruleInputSchema, async (input, user) => {
  const r = await createRule(input, user);
  revalidatePath("/alerts");
  return { id: r.id };
});

export const updateRuleAction = authedAction("alerts.manage", z.object({ id: idSchema, rule: ruleInputSchema }), async ({ id, rule }, user) => {
  await updateRule(id, rule, user);
  revalidatePath("/alerts");
  return { id };
});

export const deleteRuleAction = authedAction("alerts.manage", z.object({ id: idSchema }), async ({ id }, user) => {
  await deleteRule(id, user);
  revalidatePath("/alerts");
  return { id };
});

export const previewRuleAction = authedAction("alerts.view", ruleInputSchema, async (input, user) => previewRule(input, user));

export const acknowledgeAlertAction = authedAction(
  "alerts.acknowledge",
  z.object({ alertId: idSchema, note: z.string().trim().min(1, "Say what you are doing about it").max(1000) }),
  async (input, user) => {
    const a = await acknowledgeAlert(input, user);
    revalidatePath("/alerts");
    return { id: a.id, acknowledgedByEmail: a.acknowledgedByEmail };
  },
);

export const createSilenceAction = authedAction("alerts.acknowledge", silenceInputSchema, async (input, user) => {
  const s = await createSilence(input, user);
  revalidatePath("/alerts");
  return { id: s.id };
});

export const expireSilenceAction = authedAction("alerts.acknowledge", z.object({ id: idSchema }), async ({ id }, user) => {
  await expireSilence(id, user);
  revalidatePath("/alerts");
  return { id };
});

export const createChannelAction = authedAction("alerts.channels", channelInputSchema, async (input, user) => {
  const c = await createChannel(input, user);
  revalidatePath("/alerts");
  return { id: c.id };
});

export const deleteChannelAction = authedAction("alerts.channels", z.object({ id: idSchema }), async ({ id }, user) => {
  await deleteChannel(id, user);
  revalidatePath("/alerts");
  return { id };
});

export const sendTestNotificationAction = authedAction("alerts.channels", z.object({ id: idSchema }), async ({ id }, user) => sendTestNotification(id, user));
