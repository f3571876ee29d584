import { getDb } from "@/lib/db";
import { isRole, type Role } from "./permissions";

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: Role;
}

export async function findActiveUser(id: string): Promise<SessionUser | null> {
  const u = await getDb().user.findUnique({ where: { id }, select: { id: true, email: true, name: true, role: true, disabled: true } });
  if (!u || u.disabled || !isRole(u.role)) return null;
  return { id: u.id, email: u.email, name: u.name ?? u.email, role: u.role };
}
