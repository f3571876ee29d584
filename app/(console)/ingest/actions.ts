"use server";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { authedAction } from "@/lib/auth/authed-action";
import { getClientIp } from "@/lib/auth/session";
import { createIngestToken, createIngestTokenSchema, revokeIngestToken } from "@/lib/auth/ingest-tokens";

const tokenIdSchema = z.object({ tokenId: z.string().min(1).max(64) });

/** Returns the plain token once; only its hash is stored. */
export const createIngestTokenAction = authedAction("ingest.manage_tokens", createIngestTokenSchema, async (data, actor) => {
  const created = await createIngestToken(data, actor, await getClientIp());
  revalidatePath("/ingest");
  return created;
});

export const revokeIngestTokenAction = authedAction("ingest.manage_tokens", tokenIdSchema, async ({ tokenId }, actor) => {
  await revokeIngestToken(tokenId, actor, await getClientIp());
  revalidatePath("/ingest");
});
