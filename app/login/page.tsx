import { redirect } from "next/navigation";
import { safeCallbackUrl } from "@/lib/auth/callback-url";
import { getCurrentUser } from "@/lib/auth/session";
import { LoginForm } from "./login-form";

export const metadata = { title: "Sign in" };

const ERRORS: Record<string, string> = {
  CredentialsSignin: "Wrong e-mail or password, or the account is disabled.",
  RateLimited: "Too many failed sign-in attempts. Wait a while, or ask an admin to reset the password.",
  SessionRequired: "Sign in to continue.",
};

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const sp = await searchParams;
  const callbackUrl = safeCallbackUrl(sp.callbackUrl);
  if (await getCurrentUser()) redirect(callbackUrl);
  const error = sp.error ? (ERRORS[sp.error] ?? "Sign-in failed.") : null;
  return (
    <main className="login-wrap" id="main">
      <div className="card login-card">
        <div className="brand">
          AMI Console<small>Smart-meter fleet operations</small>
        </div>
        <LoginForm callbackUrl={callbackUrl} initialError={error} />
      </div>
    </main>
  );
}
