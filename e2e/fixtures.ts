import fs from "node:fs";
import path from "node:path";
import { expect, type Page } from "@playwright/test";
import { E2E_DATA_DIR } from "./paths";

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
  async goto() {
    await this.page.goto("/login");
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

export async function signInAs(page: Page, role: Role) {
  const { email, password } = credentialsFor(role);
  const login = new LoginPage(page);
  await login.goto();
  await login.submit(email, password);
  await expect(page.getByTestId("role-badge")).toHaveText(role);
}

export async function signOut(page: Page) {
  // A click before hydration would do nothing: wait until the menu is interactive.
  await expect(page.getByTestId("user-menu")).toHaveAttribute("data-ready", "true", { timeout: 30_000 });
  await page.getByTestId("sign-out").click();
  await expect(page.getByTestId("login-form")).toBeVisible();
}
