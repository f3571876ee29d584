// next-auth (v4) configuration: credentials + argon2, JWT sessions carrying the
// user id and the user's session version. The role is NOT trusted from the
// token: getCurrentUser() re-reads the user, and refuses the session once its
// version is stale (logout, password reset, role change, disable).
import { randomBytes } from "node:crypto";
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { isAppError } from "@/lib/errors";
import { env } from "@/lib/env";
import { safeCallbackUrl } from "./callback-url";
import { authenticate } from "./login";
import { recordActivity } from "@/lib/activity/trail";
import { endUserSessions } from "./users-lookup";

function headerValue(headers: unknown, name: string): string | null {
  if (!headers) return null;
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name);
  const v = (headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
}

/** The client address as server.ts recorded it (it overwrites any client-sent value). */
export function clientIpFrom(headers: unknown): string | null {
  return headerValue(headers, "x-ami-client-ip");
}

const g = globalThis as unknown as { __amiDevSecret?: string };

export function getSecret(): string {
  if (env.NEXTAUTH_SECRET) return env.NEXTAUTH_SECRET;
  if (env.NODE_ENV === "production" && !env.AMI_DEMO) {
    throw new Error("NEXTAUTH_SECRET is required in production (openssl rand -base64 32)");
  }
  // server.ts keeps a generated secret under DATA_DIR for dev and demo; a process
  // without one (a script, a test) gets a random one of its own, never a fixed string.
  g.__amiDevSecret ??= randomBytes(32).toString("base64url");
  return g.__amiDevSecret;
}

/**
 * Secure (and __Secure- prefixed) session cookies behind TLS and in production.
 * The demo (a production build on http://localhost) is the one exception.
 */
export function useSecureSessionCookie(e: Pick<typeof env, "NODE_ENV" | "NEXTAUTH_URL" | "AMI_DEMO"> = env): boolean {
  if (e.NEXTAUTH_URL?.startsWith("https://")) return true;
  return e.NODE_ENV === "production" && !e.AMI_DEMO;
}

export const authOptions: NextAuthOptions = {
  session: { strategy: "jwt", maxAge: 12 * 60 * 60 },
  pages: { signIn: "/login", error: "/login" },
  get secret() {
    return getSecret();
  },
  get useSecureCookies() {
    return useSecureSessionCookie();
  },
  providers: [
    CredentialsProvider({
      name: "E-mail and password",
      credentials: { email: { label: "E-mail", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(credentials, req) {
        try {
          const user = await authenticate({
            email: credentials?.email ?? "",
            password: credentials?.password ?? "",
            ip: clientIpFrom(req?.headers),
          });
          return { id: user.id, email: user.email, name: user.name, role: user.role, sessionVersion: user.sessionVersion };
        } catch (err) {
          // next-auth passes this message to the sign-in page as ?error=
          if (isAppError(err)) throw new Error(err.code === "rate_limited" ? "RateLimited" : "CredentialsSignin", { cause: err });
          throw err;
        }
      },
    }),
  ],
  callbacks: {
    // next-auth's own redirects (sign-in, sign-out) follow the same same-origin rule as the login page.
    async redirect({ url, baseUrl }) {
      return new URL(safeCallbackUrl(url, baseUrl), baseUrl).toString();
    },
    async jwt({ token, user }) {
      if (user) {
        token.uid = user.id;
        token.role = (user as { role?: string }).role;
        token.sv = (user as { sessionVersion?: number }).sessionVersion;
      }
      return token;
    },
    async session({ session, token }) {
      if (session.user) {
        (session.user as { id?: string }).id = token.uid as string;
        (session.user as { role?: string }).role = token.role as string;
        (session.user as { sv?: unknown }).sv = token.sv;
      }
      return session;
    },
  },
  events: {
    async signOut({ token }) {
      if (token?.uid) {
        // Logging out ends the session everywhere, even a copy of this cookie.
        await endUserSessions(token.uid as string);
        await recordActivity({ actor: { id: token.uid as string, email: token.email ?? null }, action: "auth.logout", target: token.email ?? "", outcome: "ok" });
      }
    },
  },
};
