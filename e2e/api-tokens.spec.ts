// The management API from the outside: an operator creates a token on the API
// page, a script (the typed client over node's fetch) previews, creates and
// starts a campaign with it, and the campaign page, open in the browser, shows
// the start live. Viewers make read-only-role tokens; the reference page loads.
import { createApiClient, ApiProblemError } from "../lib/api/v1/client";
import { expect, saveScreenshot, signInAs, test } from "./fixtures";

test("operator: a token made in the UI drives a campaign through /api/v1, and the open campaign page shows it start live", async ({ page, baseURL }) => {
  test.setTimeout(120_000);
  await signInAs(page, "operator");
  await page.goto("/api-tokens");
  await page.getByTestId("api-token-name").fill("e2e scheduler");
  await page.getByTestId("api-token-create").click();
  const token = (await page.getByTestId("api-token-created-value").innerText()).trim();
  expect(token).toMatch(/^ami_api_/);
  await expect(page.getByTestId("api-token-row-e2e scheduler")).toContainText("operator");
  await saveScreenshot(page, "api-tokens");

  // The script: node's fetch, the typed client, the token from the page.
  const api = createApiClient({ baseUrl: baseURL!, token });
  const { data: gateways } = await api.GET("/gateways");
  const gw = gateways.items.find((g) => g.meters > 0)!.gw;
  const options = { offPeak: null, waveSize: 5, canarySize: 0, soakMinutes: 0, thresholds: { successPct: 0, maxErrorPct: 100 } };
  const preview = await api.POST("/campaigns/preview", { body: { jobType: "fw_verify", targetQuery: { gw }, options } });
  expect(preview.data.targetCount).toBeGreaterThan(0);
  const created = await api.POST("/campaigns", { body: { name: `api e2e ${gw}`, jobType: "fw_verify", targetQuery: { gw }, options }, idempotencyKey: `e2e-create-${gw}` });
  expect(created.response.status).toBe(201);
  const id = created.data.id;

  await page.goto(`/campaigns/${id}`);
  await expect(page.getByTestId("campaign-status")).toHaveText("draft");
  await expect(page.getByTestId("live-indicator")).toHaveText("connected");

  const started = await api.POST("/campaigns/{id}/start", { params: { path: { id } }, idempotencyKey: `e2e-start-${gw}` });
  expect(started.data.campaign.status).toBe("running");
  // No reload: the page hears the start over its socket.
  await expect(page.getByTestId("campaign-status")).toHaveText(/running|completed/, { timeout: 30_000 });
  await expect(page.getByTestId("wave-table")).toBeVisible();

  const progress = await api.GET("/campaigns/{id}/progress", { params: { path: { id } } });
  expect(progress.data.scheduled).toBeGreaterThan(0);
  await saveScreenshot(page, "api-campaign");
});

test("viewer: only viewer tokens; a viewer token reads campaigns and is refused a change with a problem", async ({ page, baseURL }) => {
  await signInAs(page, "viewer");
  await page.goto("/api-tokens");
  await expect(page.getByTestId("api-token-role").locator("option")).toHaveText(["viewer"]);
  await expect(page.getByTestId("api-token-kind")).toHaveCount(0);
  await page.getByTestId("api-token-name").fill("e2e viewer");
  await page.getByTestId("api-token-read-only").check();
  await page.getByTestId("api-token-create").click();
  const token = (await page.getByTestId("api-token-created-value").innerText()).trim();
  const api = createApiClient({ baseUrl: baseURL!, token });
  const list = await api.GET("/campaigns", { params: { query: { limit: 5 } } });
  expect(Array.isArray(list.data.items)).toBe(true);
  const refused = await api.POST("/campaigns", { body: { name: "nope", jobType: "fw_verify", targetQuery: {} } }).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(ApiProblemError);
  expect((refused as ApiProblemError).problem).toMatchObject({ status: 403, code: "read_only_token", type: "urn:ami:problem:read_only_token" });

  // Revoke in the UI: the next call is a 401 token_revoked.
  page.once("dialog", (d) => void d.accept());
  await page.getByTestId("api-token-revoke-e2e viewer").click();
  await expect(page.getByTestId("api-token-row-e2e viewer")).toContainText("revoked");
  const after = await api.GET("/campaigns").catch((e: unknown) => e);
  expect((after as ApiProblemError).problem?.code).toBe("token_revoked");
});

test("the API reference page renders the document, offline, for every role", async ({ page }) => {
  for (const role of ["admin", "operator", "viewer"] as const) {
    await signInAs(page, role);
    await page.goto("/api-docs");
    await expect(page.getByTestId("api-reference")).toContainText("AMI operations console API", { timeout: 30_000 });
    await expect(page.getByTestId("api-reference")).toContainText("/campaigns/{id}/start");
    if (role === "admin") await saveScreenshot(page, "api-docs");
    await page.context().clearCookies();
  }
});
