"use server";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { getClientIp, requirePermission } from "@/lib/auth/session";
import { runAction } from "@/lib/errors";
import { ROLES } from "@/lib/auth/permissions";
import { changeUserRole, createUser, createUserSchema, resetUserPassword, setUserDisabled } from "@/lib/users";

const userIdSchema = z.object({ userId: z.string().min(1).max(64) });

export async function createUserAction(input: unknown) {
  return runAction(async () => {
    const actor = await requirePermission("users.manage");
    const data = createUserSchema.parse(input);
    const result = await createUser(data, actor, await getClientIp());
    revalidatePath("/admin");
    return result;
  });
}

export async function changeUserRoleAction(input: unknown) {
  return runAction(async () => {
    const actor = await requirePermission("users.manage");
    const { userId, role } = userIdSchema.extend({ role: z.enum(ROLES) }).parse(input);
    await changeUserRole(userId, role, actor, await getClientIp());
    revalidatePath("/admin");
  });
}

export async function setUserDisabledAction(input: unknown) {
  return runAction(async () => {
    const actor = await requirePermission("users.manage");
    const { userId, disabled } = userIdSchema.extend({ disabled: z.boolean() }).parse(input);
    await setUserDisabled(userId, disabled, actor, await getClientIp());
    revalidatePath("/admin");
  });
}

export async function resetUserPasswordAction(input: unknown) {
  return runAction(async () => {
    const actor = await requirePermission("users.manage");
    const { userId } = userIdSchema.parse(input);
    const result = await resetUserPassword(userId, actor, await getClientIp());
    revalidatePath("/admin");
    return result;
  });
}
