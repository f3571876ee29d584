// Credential check with throttling. Every success and failure is an
// AuditEvent; the throttle counts those events, so it holds across several
// server processes on one database and survives a restart.
import { AppError } from "@/lib/errors";
import { countLoginFailures, recordAuditEvent } from "@/lib/audit-trail";
import { getDb } from "@/lib/db";
import { env } from "@/lib/env";
import { isRole, type Role } from "./permissions";
import { getDummyHash, verifyPassword } from "./passwords";

export interface AuthenticatedUser {
  id: string;
  email: string;
  name: string;
  role: Role;
}

/** Per-IP allowance is wider than per-account: a NOC often shares one address. */
const IP_FACTOR = 4;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Throws AppError("rate_limited") with retryAfterSeconds when the account or address is throttled. */
export async function assertLoginAllowed(emailRaw: string, ip: string | null): Promise<void> {
  const email = normalizeEmail(emailRaw);
  const since = new Date(Date.now() - env.LOGIN_WINDOW);
  const { byAccount, byIp } = await countLoginFailures({ email, ip, since });
  if (byAccount >= env.LOGIN_MAX_FAILURES || byIp >= env.LOGIN_MAX_FAILURES * IP_FACTOR) {
    const minutes = Math.ceil(env.LOGIN_WINDOW / 60_000);
    throw new AppError(
      "rate_limited",
      `Too many failed sign-in attempts. Try again in ${minutes} minutes, or ask an admin to reset the password.`,
      { retryAfterSeconds: Math.ceil(env.LOGIN_WINDOW / 1000) },
    );
  }
}

export async function authenticate(input: { email: string; password: string; ip: string | null }): Promise<AuthenticatedUser> {
  const email = normalizeEmail(input.email ?? "");
  const ip = input.ip;
  try {
    await assertLoginAllowed(email, ip);
  } catch (err) {
    await recordAuditEvent({ actor: null, action: "auth.login", target: email, outcome: "denied", ip, details: { reason: "rate_limited" } });
    throw err;
  }
  const user = email ? await getDb().user.findUnique({ where: { email } }) : null;
  const ok = user?.passwordHash ? await verifyPassword(user.passwordHash, input.password ?? "") : (await verifyPassword(await getDummyHash(), "x"), false);
  if (!user || !ok || user.disabled || !isRole(user.role)) {
    const reason = !user ? "unknown_account" : !ok ? "bad_password" : user.disabled ? "disabled" : "bad_role";
    await recordAuditEvent({ actor: null, action: "auth.login", target: email, outcome: "failed", ip, details: { reason } });
    throw new AppError("unauthenticated", "Wrong e-mail or password, or the account is disabled.");
  }
  await recordAuditEvent({ actor: { id: user.id, email: user.email }, action: "auth.login", target: email, outcome: "ok", ip });
  return { id: user.id, email: user.email, name: user.name ?? user.email, role: user.role };
}
