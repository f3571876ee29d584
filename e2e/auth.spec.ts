import { expect, test, LoginPage, signInAs, signOut, type Role, saveScreenshot } from "./fixtures";

const NAV: Record<Role, string[]> = {
  // Viewers read work orders (issue #22): the NOC sees whether a crew was sent.
  viewer: ["Map", "Alerts", "Faults", "Logs", "Campaigns", "Work orders", "Schedule", "Meters", "API"],
  technician: ["Map", "Alerts", "Faults", "Logs", "Campaigns", "Work orders", "Schedule", "Meters", "API"],
  operator: ["Map", "Alerts", "Faults", "Logs", "Campaigns", "Work orders", "Schedule", "Meters", "Ingest", "API"],
  admin: ["Map", "Alerts", "Faults", "Logs", "Campaigns", "Work orders", "Schedule", "Meters", "Ingest", "API", "Admin"],
};

for (const role of Object.keys(NAV) as Role[]) {
  test(`${role} signs in and sees only its navigation`, async ({ page }) => {
    await signInAs(page, role);
    await expect(page.getByTestId("nav").getByRole("link")).toHaveText(NAV[role]);
    await signOut(page);
    await page.goto("/map");
    await expect(page).toHaveURL(/\/login/);
  });
}

test("a viewer gets 403 on an admin page and from an admin server action called directly", async ({ page, browser, browserErrors }) => {
  browserErrors.allow({ status: 403, url: "/admin", why: "the viewer opens the admin page on purpose" });
  // Capture a real admin server-action request (its action id and body shape).
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signInAs(admin, "admin");
  await admin.goto("/admin");
  const captured = new Promise<{ id: string; url: string }>((resolve) => {
    admin.on("request", (req) => {
      const id = req.headers()["next-action"];
      if (id && req.method() === "POST") resolve({ id, url: req.url() });
    });
  });
  await admin.getByTestId("new-user-email").fill("probe-created-by-admin@example.test");
  await admin.getByTestId("new-user-name").fill("Probe");
  await admin.getByTestId("create-user-submit").click();
  const action = await captured;
  await expect(admin.getByTestId("admin-notice")).toContainText("Created probe-created-by-admin@example.test");

  await signInAs(page, "viewer");
  const res = await page.goto("/admin");
  expect(res?.status()).toBe(403);
  await expect(page.getByTestId("forbidden")).toBeVisible();

  const direct = await page.request.post(action.url, {
    headers: { "Next-Action": action.id, Accept: "text/x-component", "Content-Type": "text/plain;charset=UTF-8" },
    data: JSON.stringify([{ email: "smuggled-by-viewer@example.test", name: "Smuggled", role: "admin" }]),
  });
  const body = await direct.text();
  expect(body).toContain('"status":403');
  expect(body).toContain("forbidden");

  await admin.reload();
  await expect(admin.getByTestId("users-table")).not.toContainText("smuggled-by-viewer@example.test");
  await expect(admin.getByTestId("activity")).toContainText("authz.denied");
  await adminContext.close();
});

test("an admin creates a user, changes the role, and the activity trail records both", async ({ page }) => {
  await signInAs(page, "admin");
  await page.goto("/admin");
  const email = `tech-${Date.now()}@example.test`;
  await page.getByTestId("new-user-email").fill(email);
  await page.getByTestId("new-user-name").fill("New Tech");
  await page.getByTestId("new-user-role").selectOption("technician");
  await page.getByTestId("create-user-submit").click();
  await expect(page.getByTestId("admin-notice")).toContainText(`Created ${email}`);
  await expect(page.getByTestId(`user-row-${email}`)).toBeVisible();

  await page.getByTestId(`role-select-${email}`).selectOption("operator");
  await expect(page.getByTestId("admin-notice")).toContainText(`${email} is now operator`);
  await page.reload();
  const rows = page.getByTestId("activity-row");
  await expect(rows.filter({ hasText: "user.create" }).filter({ hasText: email })).toHaveCount(1);
  await expect(rows.filter({ hasText: "user.role" }).filter({ hasText: email })).toContainText('"after":"operator"');
  await saveScreenshot(page, "admin");
});

test("six wrong passwords trigger the rate limit, in the page and as HTTP 429", async ({ page, browser, browserErrors }) => {
  browserErrors.allow({ status: 401, url: "/api/auth/callback/credentials", why: "wrong passwords on purpose" });
  browserErrors.allow({ status: 429, url: "/api/auth/callback/credentials", why: "the throttle this test trips" });
  // A fresh account, so throttling it does not lock out the demo users other tests need.
  const email = `throttle-${Date.now()}@example.test`;
  const password = "correct-horse-battery";
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signInAs(admin, "admin");
  await admin.goto("/admin");
  await admin.getByTestId("new-user-email").fill(email);
  await admin.getByTestId("new-user-name").fill("Throttle");
  await admin.locator('input[name="password"]').fill(password);
  await admin.getByTestId("create-user-submit").click();
  await expect(admin.getByTestId("admin-notice")).toContainText(`Created ${email}`);
  await adminContext.close();

  const login = new LoginPage(page);
  await login.goto();
  for (let i = 0; i < 5; i++) {
    await login.submit(email, "wrong-password-" + i);
    await expect(login.error()).toContainText("Wrong e-mail or password");
  }
  await login.submit(email, "wrong-password-6");
  await expect(login.error()).toContainText("Too many failed sign-in attempts");
  // Even the right password is refused while throttled.
  await login.submit(email, password);
  await expect(login.error()).toContainText("Too many failed sign-in attempts");

  const api = await page.request.post("/api/auth/callback/credentials", { form: { email, password: "x" } });
  expect(api.status()).toBe(429);
  expect(Number(api.headers()["retry-after"])).toBeGreaterThan(0);
});
