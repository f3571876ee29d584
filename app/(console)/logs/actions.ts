"use server";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { requirePermission } from "@/lib/auth/session";
import { runAction } from "@/lib/errors";
import { createSavedSearch, createSavedSearchSchema, deleteSavedSearch, listSavedSearches } from "@/lib/logs/saved-searches";

export async function saveSearchAction(input: unknown) {
  return runAction(async () => {
    const user = await requirePermission("logs.view");
    const data = createSavedSearchSchema.parse(input);
    // Sharing is its own right (operator/admin); a private search needs only logs.view.
    if (data.shared) await requirePermission("logs.share_search");
    const created = await createSavedSearch(data, user.id);
    revalidatePath("/logs");
    return { id: created.id, searches: await listSavedSearches(user.id) };
  });
}

export async function deleteSavedSearchAction(input: unknown) {
  return runAction(async () => {
    const user = await requirePermission("logs.view");
    const { id } = z.object({ id: z.string().min(1).max(64) }).parse(input);
    await deleteSavedSearch(id, user.id);
    revalidatePath("/logs");
    return { searches: await listSavedSearches(user.id) };
  });
}
