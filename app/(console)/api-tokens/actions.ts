"use server";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { authedAction } from "@/lib/auth/authed-action";
import { getClientIp } from "@/lib/auth/session";
import { createApiToken, createApiTokenSchema, revokeApiToken } from "@/lib/auth/api-tokens";

/** Returns the plain token once; only its hash is stored. lib/ checks kind and role against the creator. */
export const createApiTokenAction = authedAction("api.tokens.personal", createApiTokenSchema, async (data, user) => {
  const created = await createApiToken(data, user, { ip: await getClientIp() });
  revalidatePath("/api-tokens");
  return { id: created.id, name: created.name, kind: created.kind, role: created.role, readOnly: created.readOnly, token: created.token };
});

export const revokeApiTokenAction = authedAction("api.tokens.personal", z.object({ tokenId: z.string().min(1).max(64) }), async ({ tokenId }, user) => {
  await revokeApiToken(tokenId, user, { ip: await getClientIp() });
  revalidatePath("/api-tokens");
});
