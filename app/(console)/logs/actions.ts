"use server";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { authedAction } from "@/lib/auth/authed-action";
import { requirePermission } from "@/lib/auth/session";
import { createSavedSearch, createSavedSearchSchema, deleteSavedSearch, listSavedSearches } from "@/lib/logs/saved-searches";

export const saveSearchAction = authedAction("logs.view", createSavedSearchSchema, async (data, user) => {
  // Sharing is its own right (operator/admin); a private search needs only logs.view.
  if (data.shared) await requirePermission("logs.share_search");
  const created = await createSavedSearch(data, user.id);
  revalidatePath("/logs");
  return { id: created.id, searches: await listSavedSearches(user.id) };
});

export const deleteSavedSearchAction = authedAction("logs.view", z.object({ id: z.string().min(1).max(64) }), async ({ id }, user) => {
  await deleteSavedSearch(id, user.id);
  revalidatePath("/logs");
  return { searches: await listSavedSearches(user.id) };
});
