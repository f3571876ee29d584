"use server";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { authedAction } from "@/lib/auth/authed-action";
import { getClientIp } from "@/lib/auth/session";
import { ROLES } from "@/lib/auth/permissions";
import { changeUserRole, createUser, createUserSchema, resetUserPassword, setUserDisabled } from "@/lib/auth/users";

const userIdSchema = z.object({ userId: z.string().min(1).max(64) });

export const createUserAction = authedAction("users.manage", createUserSchema, async (data, actor) => {
  const result = await createUser(data, actor, await getClientIp());
  revalidatePath("/admin");
  return result;
});

export const changeUserRoleAction = authedAction("users.manage", userIdSchema.extend({ role: z.enum(ROLES) }), async ({ userId, role }, actor) => {
  await changeUserRole(userId, role, actor, await getClientIp());
  revalidatePath("/admin");
});

export const setUserDisabledAction = authedAction("users.manage", userIdSchema.extend({ disabled: z.boolean() }), async ({ userId, disabled }, actor) => {
  await setUserDisabled(userId, disabled, actor, await getClientIp());
  revalidatePath("/admin");
});

export const resetUserPasswordAction = authedAction("users.manage", userIdSchema, async ({ userId }, actor) => {
  const result = await resetUserPassword(userId, actor, await getClientIp());
  revalidatePath("/admin");
  return result;
});
