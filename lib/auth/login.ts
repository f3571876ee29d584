// Credential check with throttling. Every success and failure is an
// ActivityEvent. The throttle (./throttle.ts) reserves the attempt atomically
// before argon2 runs, so it holds across parallel requests, several server
// processes on one database, and a restart.
import { AppError } from "@/lib/errors";
import { recordActivity } from "@/lib/activity/trail";
import { getDb } from "@/lib/db";
import { env } from "@/lib/env";
import { isRole, type Role } from "./permissions";
import { getDummyHash, verifyPassword } from "./passwords";
import { isLoginThrottled, releaseLoginAttempt, reserveLoginAttempt, type ThrottleKey } from "./throttle";

export interface AuthenticatedUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  /** Carried in the session; a later logout, reset, role change or disable bumps the user's and ends it. */
  sessionVersion: number;
}

/** Per-IP allowance is wider than per-account: a NOC often shares one address. */
const IP_FACTOR = 4;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function throttleKeys(email: string, ip: string | null): ThrottleKey[] {
  const keys: ThrottleKey[] = [{ key: `a:${email}`, limit: env.LOGIN_MAX_FAILURES }];
  if (ip) keys.push({ key: `ip:${ip}`, limit: env.LOGIN_MAX_FAILURES * IP_FACTOR });
  return keys;
}

function rateLimited(retryAfterSeconds: number): AppError {
  const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
  return new AppError("rate_limited", `Too many failed sign-in attempts. Try again in ${minutes} minutes, or ask an admin to reset the password.`, { retryAfterSeconds });
}

/** Throws AppError("rate_limited") with retryAfterSeconds when the account or address is throttled (reserves nothing). */
export async function assertLoginAllowed(emailRaw: string, ip: string | null): Promise<void> {
  const retryAfter = await isLoginThrottled(throttleKeys(normalizeEmail(emailRaw), ip), env.LOGIN_WINDOW);
  if (retryAfter !== null) throw rateLimited(retryAfter);
}

export async function authenticate(input: { email: string; password: string; ip: string | null }): Promise<AuthenticatedUser> {
  const email = normalizeEmail(input.email ?? "");
  const ip = input.ip;
  const reserved = await reserveLoginAttempt(throttleKeys(email, ip), env.LOGIN_WINDOW);
  if (!reserved.ok) {
    await recordActivity({ actor: null, action: "auth.login", target: email, outcome: "denied", ip, details: { reason: "rate_limited" } });
    throw rateLimited(reserved.retryAfterSeconds);
  }
  const user = email ? await getDb().user.findUnique({ where: { email } }) : null;
  const ok = user?.passwordHash ? await verifyPassword(user.passwordHash, input.password ?? "") : (await verifyPassword(await getDummyHash(), "x"), false);
  if (!user || !ok || user.disabled || !isRole(user.role)) {
    const reason = !user ? "unknown_account" : !ok ? "bad_password" : user.disabled ? "disabled" : "bad_role";
    await recordActivity({ actor: null, action: "auth.login", target: email, outcome: "failed", ip, details: { reason } });
    throw new AppError("unauthenticated", "Wrong e-mail or password, or the account is disabled.");
  }
  await releaseLoginAttempt(reserved.reservations);
  await recordActivity({ actor: { id: user.id, email: user.email }, action: "auth.login", target: email, outcome: "ok", ip });
  return { id: user.id, email: user.email, name: user.name ?? user.email, role: user.role, sessionVersion: user.sessionVersion };
}
