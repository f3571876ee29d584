// GET/POST /api/auth/* - next-auth (credentials). Sign-in attempts are
// throttled here first so API clients get a real 429 with Retry-After.
import NextAuth from "next-auth";
import { authOptions, clientIpFrom } from "@/lib/auth/options";
import { assertLoginAllowed } from "@/lib/auth/login";
import { isAppError } from "@/lib/errors";
import { recordActivity } from "@/lib/activity/trail";

const handler = NextAuth(authOptions);

type Ctx = { params: Promise<{ nextauth: string[] }> };

export async function GET(req: Request, ctx: Ctx) {
  return handler(req, ctx);
}

export async function POST(req: Request, ctx: Ctx) {
  const { nextauth } = await ctx.params;
  if (nextauth.join("/") === "callback/credentials") {
    const form = await req
      .clone()
      .formData()
      .catch(() => null);
    const email = String(form?.get("email") ?? "")
      .trim()
      .toLowerCase();
    const ip = clientIpFrom(req.headers);
    try {
      await assertLoginAllowed(email, ip);
    } catch (err) {
      if (!isAppError(err) || err.code !== "rate_limited") throw err;
      await recordActivity({ actor: null, action: "auth.login", target: email, outcome: "denied", ip, details: { reason: "rate_limited" } });
      const retryAfter = String(err.details?.retryAfterSeconds ?? 900);
      return Response.json(
        { error: "RateLimited", message: err.message, url: new URL("/login?error=RateLimited", req.url).toString() },
        { status: 429, headers: { "Retry-After": retryAfter } },
      );
    }
  }
  return handler(req, ctx);
}
