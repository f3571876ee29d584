// Meters: server-side filters in the URL, the meter detail with its audit
// lines, and metrology constants (technician edits with history; viewer read-only).
import type { Page } from "@playwright/test";
import { expect, test, signInAs, saveScreenshot } from "./fixtures";

class MetersPage {
  constructor(private readonly page: Page) {}
  async goto(query = "") {
    await this.page.goto(`/meters${query}`);
    await expect(this.page.getByTestId("meters-table")).toBeVisible();
  }
  rows() {
    return this.page.getByTestId("meter-row");
  }
  async columnValues(testId: string) {
    return this.page.getByTestId(testId).allTextContents();
  }
}

test("the meters table filters by kind and by gateway, with the filters in the URL", async ({ page }) => {
  await signInAs(page, "viewer");
  const meters = new MetersPage(page);
  await meters.goto();
  await expect(meters.rows().first()).toBeVisible();
  const allInfo = await page.getByTestId("meters-page-info").textContent();

  await page.getByTestId("filter-kind").selectOption("gas");
  await expect(page).toHaveURL(/kind=gas/);
  await expect(meters.rows().first()).toBeVisible();
  const kinds = await meters.columnValues("cell-kind");
  expect(kinds.length).toBeGreaterThan(0);
  expect(new Set(kinds)).toEqual(new Set(["gas"]));
  await expect(page.getByTestId("meters-page-info")).not.toHaveText(allInfo ?? "");

  const gw = (await page.getByTestId("cell-gateway").first().textContent())!.trim();
  await page.getByTestId("filter-gw").fill(gw);
  await page.getByTestId("filter-apply").click();
  await expect(page).toHaveURL(new RegExp(`gw=${gw}`));
  await expect(page).toHaveURL(/kind=gas/);
  const gateways = await meters.columnValues("cell-gateway");
  expect(gateways.length).toBeGreaterThan(0);
  expect(new Set(gateways)).toEqual(new Set([gw]));
  expect(new Set(await meters.columnValues("cell-kind"))).toEqual(new Set(["gas"]));
  // The header says what is counted, in the words of the other pages.
  await expect(page.getByTestId("meters-total")).toHaveText(new RegExp(`^[\\d,]+ gas meters behind ${gw}\\.$`));
  await saveScreenshot(page, "meters");

  // A reload keeps the filters (they live in the URL).
  await page.reload();
  await expect(page.getByTestId("filter-kind")).toHaveValue("gas");
  await expect(page.getByTestId("filter-gw")).toHaveValue(gw);
});

test("a meter's detail shows its recent audit lines and a viewer cannot edit constants", async ({ page }) => {
  await signInAs(page, "viewer");
  const meters = new MetersPage(page);
  await meters.goto("?kind=electric");
  const link = page.getByTestId("meter-link").first();
  const id = (await link.textContent())!.trim();
  await link.click();
  await expect(page.getByTestId("meter-title")).toHaveText(id);
  await expect(page.getByTestId("meter-line").first()).toBeVisible();
  expect(await page.getByTestId("meter-line").count()).toBeGreaterThan(0);
  await expect(page.getByTestId("meter-logs-link")).toHaveAttribute("href", `/logs?q=${encodeURIComponent(`meter:${id}`)}&range=30d`);
  await expect(page.getByTestId("constants-readonly")).toBeVisible();
  await expect(page.getByTestId("constants-form")).toHaveCount(0);
  await expect(page.getByTestId("constants-save")).toHaveCount(0);
});

test("a technician changes a metrology constant and sees it in the history", async ({ page }) => {
  await signInAs(page, "technician");
  const meters = new MetersPage(page);
  await meters.goto("?kind=electric");
  const link = page.getByTestId("meter-link").nth(3);
  const id = (await link.textContent())!.trim();
  await page.goto(`/meters/${id}`);
  await expect(page.getByTestId("constants-form")).toBeVisible();
  const reason = `e2e recalibration ${Date.now()}`;
  await page.getByTestId("constant-gainCorrection").fill("1.0012");
  await page.getByTestId("constant-reason").fill(reason);
  await page.getByTestId("constants-save").click();
  await expect(page.getByTestId("constants-message")).toHaveText(/Saved/);
  const row = page.getByTestId("constants-history-row").filter({ hasText: reason });
  await expect(row).toBeVisible();
  await expect(row).toContainText("technician@demo.ami");
  await expect(row).toContainText('"gainCorrection":1.0012');
  await page.reload();
  await expect(page.getByTestId("constant-gainCorrection")).toHaveValue("1.0012");
});
