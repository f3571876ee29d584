import fs from "node:fs";
import path from "node:path";
import { test as base, expect, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { E2E_DATA_DIR } from "./paths";

export { expect };

/**
 * An HTTP error a test causes on purpose (a viewer opening an operator page, a wrong password),
 * with the reason. 429 only for the sign-in throttle a test trips on purpose.
 */
export interface AllowedHttpError {
  status: 401 | 403 | 429;
  /** Path prefix ("/ingest") or a pattern over the whole URL. */
  url: string | RegExp;
  why: string;
}

export interface BrowserErrors {
  /** Allow one intended 401/403 (429) in this test; anything else the browser reports fails the test. */
  allow(error: AllowedHttpError): void;
}

const FAILED_LOAD = /^Failed to load resource: the server responded with a status of (\d{3})/;

function isAllowed(allowed: AllowedHttpError[], status: number, url: string): boolean {
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    /* not a URL: match the text as is */
  }
  return allowed.some((a) => a.status === status && (typeof a.url === "string" ? path === a.url || path.startsWith(`${a.url}/`) || path.startsWith(`${a.url}?`) : a.url.test(url)));
}

function watchPage(page: Page, problems: string[], allowed: AllowedHttpError[]) {
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const text = msg.text();
    const loc = msg.location().url;
    const failed = FAILED_LOAD.exec(text);
    // The browser logs every refused load once more as a console error: judged with its response.
    if (failed && isAllowed(allowed, Number(failed[1]), loc)) return;
    problems.push(`console error on ${page.url()}: ${text.slice(0, 400)}${loc ? ` (${loc})` : ""}`);
  });
  page.on("pageerror", (err) => problems.push(`page error on ${page.url()}: ${String(err.message).slice(0, 400)}`));
  page.on("response", (res) => {
    const status = res.status();
    if (status < 400 || isAllowed(allowed, status, res.url())) return;
    problems.push(`HTTP ${status} ${res.request().method()} ${res.url()}`);
  });
  page.on("requestfailed", (req) => {
    const error = req.failure()?.errorText ?? "";
    // Cancelled by the page itself (a navigation or an unmounted fetch), not a failure of the server.
    if (error === "net::ERR_ABORTED") return;
    problems.push(`request failed: ${req.method()} ${req.url()} ${error}`);
  });
}

function watchContext(context: BrowserContext, problems: string[], allowed: AllowedHttpError[]) {
  for (const p of context.pages()) watchPage(p, problems, allowed);
  context.on("page", (p) => watchPage(p, problems, allowed));
}

/**
 * Every test fails on a browser console error, an uncaught page error, a failed request or an
 * HTTP error the test did not allow (browserErrors.allow, 401/403 only). Pages of contexts the
 * test opens itself (browser.newContext) are watched too.
 */
export const test = base.extend<{ browserErrors: BrowserErrors }>({
  browserErrors: [
    async ({ browser, context }, use, testInfo) => {
      const problems: string[] = [];
      const allowed: AllowedHttpError[] = [];
      watchContext(context, problems, allowed);
      const b = browser as Browser & { newContext: Browser["newContext"] };
      const newContext = b.newContext;
      b.newContext = async (...args: Parameters<Browser["newContext"]>) => {
        const c = await newContext.apply(browser, args);
        watchContext(c, problems, allowed);
        return c;
      };
      try {
        await use({
          allow(error) {
            if (![401, 403, 429].includes(error.status)) throw new Error(`only intended 401/403/429 may be allowed, not ${error.status}`);
            allowed.push(error);
          },
        });
      } finally {
        b.newContext = newContext;
      }
      if (problems.length) testInfo.annotations.push(...problems.map((description) => ({ type: "browser error", description })));
      // A plain throw: an expect() failing in fixture teardown trips Playwright's step bookkeeping under tracing.
      if (problems.length) throw new Error(`The browser reported ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    },
    { auto: true },
  ],
});

/** The README's screenshots: one per main page, written by the suite into docs/screenshots/. */
export async function saveScreenshot(page: Page, name: string) {
  fs.mkdirSync("docs/screenshots", { recursive: true });
  await page.screenshot({ path: path.join("docs/screenshots", `${name}.png`) });
}

export type Role = "viewer" | "technician" | "operator" | "admin";

export function demoCredentials(): { email: string; password: string; role: Role }[] {
  return JSON.parse(fs.readFileSync(path.join(E2E_DATA_DIR, "demo-credentials.json"), "utf8"));
}

export function credentialsFor(role: Role) {
  const c = demoCredentials().find((x) => x.role === role);
  if (!c) throw new Error(`no demo user for ${role}`);
  return c;
}

/** Page object for the sign-in screen. */
export class LoginPage {
  constructor(private readonly page: Page) {}
  async goto(callbackUrl?: string) {
    await this.page.goto(callbackUrl ? `/login?${new URLSearchParams({ callbackUrl })}` : "/login");
  }
  async submit(email: string, password: string) {
    await this.page.getByTestId("login-email").fill(email);
    await this.page.getByTestId("login-password").fill(password);
    await this.page.getByTestId("login-submit").click();
  }
  error() {
    return this.page.getByTestId("login-error");
  }
}

/**
 * Signs in and lands on `landing` (default the meters list, which every role may see): the
 * product's own landing page is the map, which the map specs visit themselves, so a test of
 * another page does not also answer for the map's browser errors.
 */
export async function signInAs(page: Page, role: Role, landing = "/meters") {
  const { email, password } = credentialsFor(role);
  const login = new LoginPage(page);
  await login.goto(landing);
  await login.submit(email, password);
  await expect(page.getByTestId("role-badge")).toHaveText(role);
}

export async function signOut(page: Page) {
  // A click before hydration would do nothing: wait until the menu is interactive.
  await expect(page.getByTestId("user-menu")).toHaveAttribute("data-ready", "true", { timeout: 30_000 });
  await page.getByTestId("sign-out").click();
  await expect(page.getByTestId("login-form")).toBeVisible();
}
