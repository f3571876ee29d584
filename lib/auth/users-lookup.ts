import { getDb } from "@/lib/db";
import { disconnectUserSockets } from "@/lib/realtime/user-sockets";
import { isRole, type Role } from "./permissions";

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: Role;
}

/**
 * The user behind a session, or null when disabled, unknown, or when the
 * session's version is older than the user's (logout, password reset, role
 * change or disable since it was issued).
 */
export async function findActiveUser(id: string, sessionVersion: unknown): Promise<SessionUser | null> {
  const u = await getDb().user.findUnique({ where: { id }, select: { id: true, email: true, name: true, role: true, disabled: true, sessionVersion: true } });
  if (!u || u.disabled || !isRole(u.role)) return null;
  if (typeof sessionVersion !== "number" || sessionVersion !== u.sessionVersion) return null;
  return { id: u.id, email: u.email, name: u.name ?? u.email, role: u.role };
}

type SessionVersionWriter = { user: { update(args: { where: { id: string }; data: { sessionVersion: { increment: number } } }): Promise<unknown> } };

/** Ends every session of the user (all devices) and drops their live sockets. */
export async function endUserSessions(userId: string, db: SessionVersionWriter = getDb()): Promise<void> {
  await db.user.update({ where: { id: userId }, data: { sessionVersion: { increment: 1 } } });
  disconnectUserSockets(userId);
}
