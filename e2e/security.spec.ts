// Browser-side security: the CSP and anti-framing headers on every kind of
// response, no CSP violation on any page (the map's WebGL, workers and tiles
// included), and no open redirect through the sign-in callbackUrl.
import type { Page } from "@playwright/test";
import { credentialsFor, expect, LoginPage, signInAs, test } from "./fixtures";

function watchCsp(page: Page): string[] {
  const violations: string[] = [];
  page.on("console", (msg) => {
    const text = msg.text();
    if (/Content Security Policy|Refused to (load|execute|connect|create|apply|frame)/i.test(text)) violations.push(`${page.url()}: ${text}`);
  });
  page.on("pageerror", (err) => {
    if (/Content Security Policy|EvalError/i.test(err.message)) violations.push(`${page.url()}: ${err.message}`);
  });
  return violations;
}

test("every response forbids framing and carries a nonce CSP: a page, an API answer, a static file", async ({ request, page }) => {
  const html = await request.get("/login");
  const csp = html.headers()["content-security-policy"]!;
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
  expect(html.headers()["x-frame-options"]).toBe("DENY");
  // The nonce on Next's script tags is this response's, and a fresh one each time.
  const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
  expect(await html.text()).toContain(`nonce="${nonce}"`);
  const again = await request.get("/login");
  expect(again.headers()["content-security-policy"]).not.toContain(nonce);

  const api = await request.get("/api/health");
  expect(api.headers()["x-frame-options"]).toBe("DENY");
  expect(api.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");

  await page.goto("/login");
  const script = await page.locator("script[src]").first().getAttribute("src");
  const asset = await request.get(script!);
  expect(asset.status()).toBe(200);
  expect(asset.headers()["x-frame-options"]).toBe("DENY");
});

test("a client-sent CSP request header does not choose the nonce", async ({ request }) => {
  const res = await request.get("/login", { headers: { "content-security-policy": "script-src 'nonce-attacker'" } });
  expect(res.headers()["content-security-policy"]).not.toContain("attacker");
  expect(await res.text()).not.toContain('nonce="attacker"');
});

test("no page breaks the CSP: each console page as admin, the map drawn, and sign-in", async ({ page }) => {
  test.setTimeout(180_000);
  const violations = watchCsp(page);
  await page.goto("/login");
  await signInAs(page, "admin");
  const pages = ["/map", "/faults", "/logs", "/campaigns", "/campaigns/new", "/work-orders", "/meters", "/ingest", "/admin", "/api-tokens", "/api-docs"];
  for (const p of pages) {
    await page.goto(p);
    await expect(page.getByTestId("role-badge")).toHaveText("admin");
    if (p === "/map") {
      await expect(page.getByTestId("fleet-map").locator("canvas").first()).toBeVisible({ timeout: 30_000 });
      // Let MapLibre start its workers and fetch the basemap.
      await page.waitForTimeout(3000);
    } else {
      await page.waitForTimeout(800);
    }
  }
  await page.goto("/meters");
  await page.getByTestId("meter-link").first().click();
  await page.waitForURL(/\/meters\/[A-Z]{2}-\d+/);
  await page.waitForTimeout(800);
  await page.goto("/campaigns");
  const campaign = page.getByTestId("campaign-link").first();
  if (await campaign.count()) {
    await campaign.click();
    await page.waitForURL(/\/campaigns\/[a-z0-9]+/);
    await page.waitForTimeout(800);
  }
  expect(violations).toEqual([]);
});

for (const evil of ["/\\evil.example", "/\t/evil.example", "//evil.example", "https://evil.example/map"]) {
  test(`sign-in with callbackUrl ${JSON.stringify(evil)} stays on this site`, async ({ page, baseURL }) => {
    await page.goto(`/login?callbackUrl=${encodeURIComponent(evil)}`);
    const { email, password } = credentialsFor("viewer");
    await new LoginPage(page).submit(email, password);
    await expect(page.getByTestId("role-badge")).toHaveText("viewer");
    expect(new URL(page.url()).origin).toBe(new URL(baseURL!).origin);
  });
}
