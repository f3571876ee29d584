// Who is calling, and may they? Used inside every server action, route
// handler and page (middleware is only a convenience redirect).
import "server-only";
import { getServerSession } from "next-auth";
import { headers } from "next/headers";
import { forbidden, redirect } from "next/navigation";
import { AppError } from "@/lib/errors";
import { recordActivity } from "@/lib/activity/trail";
import { findActiveUser, type SessionUser } from "./users-lookup";
import { authOptions, clientIpFrom } from "./options";
import { can, type Permission } from "./permissions";

export type { SessionUser } from "./users-lookup";

/** The signed-in user, re-read from the database (role and disabled are live), or null. */
export async function getCurrentUser(): Promise<SessionUser | null> {
  const session = await getServerSession(authOptions);
  const user = session?.user as { id?: string; sv?: unknown } | undefined;
  if (!user?.id) return null;
  return findActiveUser(user.id, user.sv);
}

export async function getClientIp(): Promise<string | null> {
  return clientIpFrom(await headers());
}

/**
 * For server actions and route handlers: the user if they hold `permission`,
 * else AppError unauthenticated/forbidden (a refusal is recorded in the activity trail).
 */
export async function requirePermission(permission: Permission): Promise<SessionUser> {
  const user = await getCurrentUser();
  if (!user) throw new AppError("unauthenticated", "Sign in first.");
  if (!can(user.role, permission)) {
    await recordActivity({
      actor: { id: user.id, email: user.email },
      action: "authz.denied",
      target: permission,
      outcome: "denied",
      ip: await getClientIp(),
    });
    throw new AppError("forbidden", `Your role (${user.role}) may not do this (${permission}).`);
  }
  return user;
}

/** For pages: redirect to sign-in, or render the 403 page. */
export async function requirePagePermission(permission: Permission, returnTo?: string): Promise<SessionUser> {
  const user = await getCurrentUser();
  if (!user) redirect(returnTo ? `/login?callbackUrl=${encodeURIComponent(returnTo)}` : "/login");
  if (!can(user.role, permission)) forbidden();
  return user;
}
