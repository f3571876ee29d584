import { afterEach, describe, expect, it } from "vitest";
import { listenHost, parseEnv } from "@/lib/env";
import { authOptions, getSecret, useSecureSessionCookie } from "./options";

const saved = { ...process.env };
function setEnv(vars: Record<string, string | undefined>) {
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  (globalThis as { __amiEnv?: unknown }).__amiEnv = undefined;
}
afterEach(() => {
  process.env = { ...saved };
  (globalThis as { __amiEnv?: unknown }).__amiEnv = undefined;
});

describe("session cookie and secret", () => {
  it("the session cookie is Secure in production and whenever the public URL is https", () => {
    expect(useSecureSessionCookie(parseEnv({ NODE_ENV: "production", NEXTAUTH_SECRET: "x".repeat(32) }))).toBe(true);
    expect(useSecureSessionCookie(parseEnv({ NODE_ENV: "development", NEXTAUTH_URL: "https://noc.example" }))).toBe(true);
    expect(useSecureSessionCookie(parseEnv({ NODE_ENV: "development", NEXTAUTH_URL: "http://localhost:3000" }))).toBe(false);
    // The demo serves a production build on http://localhost.
    expect(useSecureSessionCookie(parseEnv({ NODE_ENV: "production", AMI_DEMO: "1" }))).toBe(false);
    setEnv({ NODE_ENV: "production", NEXTAUTH_SECRET: "y".repeat(32), AMI_DEMO: "0", NEXTAUTH_URL: undefined });
    expect(authOptions.useSecureCookies).toBe(true);
  });

  it("without NEXTAUTH_SECRET, development uses a random secret, not a fixed string", () => {
    setEnv({ NODE_ENV: "development", NEXTAUTH_SECRET: undefined });
    const secret = getSecret();
    expect(secret).not.toBe("ami-console-development-secret-not-for-production");
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(getSecret()).toBe(secret);
    delete (globalThis as { __amiDevSecret?: string }).__amiDevSecret;
    expect(getSecret()).not.toBe(secret);
  });

  it("production without NEXTAUTH_SECRET refuses", () => {
    setEnv({ NODE_ENV: "production", NEXTAUTH_SECRET: undefined, AMI_DEMO: "0" });
    expect(() => getSecret()).toThrow(/NEXTAUTH_SECRET is required/);
  });

  it("the development server listens on loopback unless HOST says otherwise", () => {
    expect(listenHost(parseEnv({ NODE_ENV: "development" }))).toBe("127.0.0.1");
    expect(listenHost(parseEnv({ NODE_ENV: "production" }))).toBe("0.0.0.0");
    expect(listenHost(parseEnv({ NODE_ENV: "development", HOST: "0.0.0.0" }))).toBe("0.0.0.0");
  });
});
