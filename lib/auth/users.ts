// User administration (admin only at the edge). Every change is recorded in the activity trail.
import { z } from "zod";
import { AppError } from "@/lib/errors";
import { recordActivity, type Actor } from "@/lib/activity/trail";
import { getDb } from "@/lib/db";
import { ROLES, type Role } from "@/lib/auth/permissions";
import { generatePassword, hashPassword, MIN_PASSWORD_LENGTH } from "@/lib/auth/passwords";
import { normalizeEmail } from "@/lib/auth/login";
import { disconnectUserSockets } from "@/lib/realtime/user-sockets";

export const createUserSchema = z.object({
  email: z.string().trim().toLowerCase().email("Enter a valid e-mail address"),
  name: z.string().trim().min(1, "Enter a name").max(120),
  role: z.enum(ROLES),
  password: z.string().min(MIN_PASSWORD_LENGTH, `Password must have at least ${MIN_PASSWORD_LENGTH} characters`).optional(),
});
export type CreateUserInput = z.infer<typeof createUserSchema>;

export async function listUsers() {
  return getDb().user.findMany({
    orderBy: { email: "asc" },
    select: { id: true, email: true, name: true, role: true, disabled: true, createdAt: true, updatedAt: true },
  });
}

/** Creates a user; returns the password when one was generated (shown once). */
export async function createUser(input: CreateUserInput, actor: Actor | null, ip?: string | null) {
  const data = createUserSchema.parse(input);
  const password = data.password ?? generatePassword();
  const existing = await getDb().user.findUnique({ where: { email: data.email } });
  if (existing) throw new AppError("conflict", `A user with e-mail ${data.email} already exists.`);
  const user = await getDb().user.create({
    data: { email: data.email, name: data.name, role: data.role, passwordHash: await hashPassword(password) },
  });
  await recordActivity({ actor, action: "user.create", target: user.email, outcome: "ok", ip, details: { role: data.role } });
  return { user: { id: user.id, email: user.email, role: user.role as Role }, generatedPassword: data.password ? null : password };
}

async function getUserOrThrow(userId: string) {
  const user = await getDb().user.findUnique({ where: { id: userId } });
  if (!user) throw new AppError("not_found", "No such user.");
  return user;
}

type Tx = Parameters<Parameters<ReturnType<typeof getDb>["$transaction"]>[0]>[0];

/**
 * Changes a user inside one transaction that first locks every active admin row
 * (in id order, so two such transactions queue instead of deadlocking). Two
 * admins demoting each other: the second sees the first's commit and is refused.
 * The change ends the user's sessions (the version bump) and, after the commit,
 * drops their sockets.
 */
async function changeUserGuarded(userId: string, change: { role?: Role; disabled?: boolean }) {
  const before = await getDb().$transaction(async (tx: Tx) => {
    const admins = await tx.$queryRaw<{ id: string }[]>`
      SELECT "id" FROM "User" WHERE "role" = 'admin' AND NOT "disabled" ORDER BY "id" FOR UPDATE`;
    const user = await tx.user.findUnique({ where: { id: userId } });
    if (!user) throw new AppError("not_found", "No such user.");
    const losesAdmin = user.role === "admin" && !user.disabled && ((change.role !== undefined && change.role !== "admin") || change.disabled === true);
    if (losesAdmin && !admins.some((a) => a.id !== userId)) {
      throw new AppError("conflict", "This is the last active admin; make another admin first.");
    }
    await tx.user.update({ where: { id: userId }, data: { ...change, sessionVersion: { increment: 1 } } });
    return user;
  });
  disconnectUserSockets(userId);
  return before;
}

export async function changeUserRole(userId: string, role: Role, actor: Actor, ip?: string | null) {
  if (!ROLES.includes(role)) throw new AppError("invalid", `Unknown role ${String(role)}.`);
  const user = await changeUserGuarded(userId, { role });
  await recordActivity({ actor, action: "user.role", target: user.email, outcome: "ok", ip, details: { before: user.role, after: role } });
}

export async function setUserDisabled(userId: string, disabled: boolean, actor: Actor, ip?: string | null) {
  if (disabled && userId === actor.id) throw new AppError("conflict", "You cannot disable your own account.");
  const user = await changeUserGuarded(userId, { disabled });
  await recordActivity({ actor, action: disabled ? "user.disable" : "user.enable", target: user.email, outcome: "ok", ip });
}

/** Sets a new random password and returns it (shown once to the admin); ends the user's sessions and lifts the account's throttle. */
export async function resetUserPassword(userId: string, actor: Actor, ip?: string | null) {
  const user = await getUserOrThrow(userId);
  const password = generatePassword();
  await getDb().user.update({ where: { id: userId }, data: { passwordHash: await hashPassword(password), sessionVersion: { increment: 1 } } });
  await getDb().loginThrottle.deleteMany({ where: { key: `a:${user.email}` } });
  disconnectUserSockets(userId);
  await recordActivity({ actor, action: "user.reset_password", target: user.email, outcome: "ok", ip });
  return { password };
}

export async function findUserByEmail(email: string) {
  return getDb().user.findUnique({ where: { email: normalizeEmail(email) } });
}
