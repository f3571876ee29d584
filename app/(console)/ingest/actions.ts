"use server";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { getClientIp, requirePermission } from "@/lib/auth/session";
import { runAction } from "@/lib/errors";
import { createIngestToken, createIngestTokenSchema, revokeIngestToken } from "@/lib/ingest-tokens";

const tokenIdSchema = z.object({ tokenId: z.string().min(1).max(64) });

/** Returns the plain token once; only its hash is stored. */
export async function createIngestTokenAction(input: unknown) {
  return runAction(async () => {
    const actor = await requirePermission("ingest.manage_tokens");
    const data = createIngestTokenSchema.parse(input);
    const created = await createIngestToken(data, actor, await getClientIp());
    revalidatePath("/ingest");
    return created;
  });
}

export async function revokeIngestTokenAction(input: unknown) {
  return runAction(async () => {
    const actor = await requirePermission("ingest.manage_tokens");
    const { tokenId } = tokenIdSchema.parse(input);
    await revokeIngestToken(tokenId, actor, await getClientIp());
    revalidatePath("/ingest");
  });
}
