"use client";
import { signIn } from "next-auth/react";
import { useState } from "react";

const MESSAGES: Record<string, string> = {
  CredentialsSignin: "Wrong e-mail or password, or the account is disabled.",
  RateLimited: "Too many failed sign-in attempts. Wait a while, or ask an admin to reset the password.",
};

export function LoginForm({ callbackUrl, initialError }: { callbackUrl: string; initialError: string | null }) {
  const [error, setError] = useState<string | null>(initialError);
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    const res = await signIn("credentials", {
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
      redirect: false,
      callbackUrl,
    });
    setBusy(false);
    if (!res || res.error) {
      setError(MESSAGES[res?.error ?? ""] ?? (res?.status === 429 ? MESSAGES.RateLimited : "Sign-in failed."));
      return;
    }
    window.location.assign(callbackUrl);
  }

  return (
    <form onSubmit={onSubmit} className="login-card" aria-label="Sign in" data-testid="login-form">
      <label>
        E-mail
        <input name="email" type="email" autoComplete="username" required autoFocus data-testid="login-email" />
      </label>
      <label>
        Password
        <input name="password" type="password" autoComplete="current-password" required data-testid="login-password" />
      </label>
      {error && (
        <div className="notice error" role="alert" data-testid="login-error">
          {error}
        </div>
      )}
      <button className="primary" type="submit" disabled={busy} data-testid="login-submit">
        {busy ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
