// The Schedule area in the browser (demo fleet with a maintenance past): an operator shortens
// the hot-humid inspection interval, sees the forecast go over crew capacity, levels it, saves,
// and the next run creates the work orders; the due list and a meter's calendar say why;
// a viewer reads plans but cannot change them.
import type { Page } from "@playwright/test";
import { expect, saveScreenshot, signInAs, test } from "./fixtures";

class PlanPage {
  constructor(private readonly page: Page) {}
  async open(name: string) {
    await this.page.goto("/schedule");
    await this.page
      .getByTestId("plan-link")
      .filter({ hasText: new RegExp(`^${name}$`) })
      .click();
    await expect(this.page.getByTestId("plan-title")).toHaveText(name);
  }
  zone(zone: string) {
    return this.page.getByTestId(`plan-zone-${zone}`);
  }
  async preview() {
    await this.page.getByTestId("plan-preview").click();
    await expect(this.page.getByTestId("whatif")).toBeVisible({ timeout: 30_000 });
  }
  whatIfCells(row: string) {
    return this.page.getByTestId(`whatif-${row}`).locator("td");
  }
}

test("operator: shorter hot-humid inspections go over capacity, are levelled, saved, and the next run creates the orders", async ({ page }) => {
  test.setTimeout(180_000);
  await signInAs(page, "operator", "/schedule");
  await expect(page.getByRole("link", { name: "Schedule" })).toBeVisible();
  // Houston's crew set smaller in the UI: its year of hot-humid inspections cannot fit.
  await page.goto("/schedule/forecast");
  const houston = page.getByTestId("capacity-row").filter({ hasText: "Houston" });
  await houston.getByTestId("capacity-technicians").fill("1");
  await houston.getByTestId("capacity-hours").fill("20");
  await houston.getByTestId("capacity-save").click();
  await expect(async () => {
    await page.reload();
    await expect(houston.getByTestId("capacity-hours")).toHaveValue("20", { timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  await saveScreenshot(page, "schedule-forecast");

  const plan = new PlanPage(page);
  await plan.open("Inspection");
  await expect(page.getByTestId("plan-zone-factors")).toContainText("hot-humid ×");
  await expect(plan.zone("hot-humid")).toHaveValue("2");
  await plan.zone("hot-humid").fill("4");
  await expect(page.getByTestId("plan-zone-factors")).toContainText("= every 6 months");
  await plan.preview();
  // Switched off today: no load; with the shorter interval the districts go over capacity.
  await expect(plan.whatIfCells("weeksOver").nth(1)).toHaveText("0");
  await expect(page.getByTestId("load-chart").filter({ hasText: "Houston" })).toContainText("capacity 20 h/week");
  expect(Number(await plan.whatIfCells("weeksOver").nth(2).textContent())).toBeGreaterThan(0);
  await expect(page.getByTestId("load-over").first()).toContainText(/^\d+ weeks? over capacity \(first \d{4}-\d{2}-\d{2}\)$/);
  await expect(page.getByTestId("whatif-levelling")).toContainText("Levelling:");
  await saveScreenshot(page, "schedule-whatif");
  await page.getByTestId("plan-level").click();
  await expect(page.getByTestId("plan-levelled")).toContainText("Levelled: the work is created");
  const lookahead = Number(await page.getByTestId("plan-lookahead").inputValue());
  expect(lookahead).toBeGreaterThan(30);

  await page.getByTestId("plan-enabled").check();
  await page.getByTestId("plan-save").click();
  await expect(page.getByTestId("plan-message")).toHaveText("Saved. The next run uses this plan.");
  await page.reload();
  await expect(plan.zone("hot-humid")).toHaveValue("4");
  await expect(page.getByTestId("plan-lookahead")).toHaveValue(String(lookahead));

  // The next run (started now instead of waiting for the hourly loop) creates the orders once.
  await page.goto("/schedule");
  const row = page.getByTestId("plan-row").filter({ hasText: "Inspection" });
  await expect(row.getByTestId("plan-rule")).toContainText("hot-humid ×4");
  await row.getByTestId("plan-run-now").click();
  await expect(row.getByTestId("plan-run-result")).toContainText(/^\d+ new, [1-9]\d* work orders$/, { timeout: 60_000 });
  await page.reload();
  await expect(page.getByTestId("run-row").first()).toContainText("Inspection");
  await expect(page.getByTestId("run-row").first().getByTestId("run-created")).toContainText(/[1-9]\d* work orders/);
  await saveScreenshot(page, "schedule-plans");
  // A second run right away has nothing new to make.
  await page.getByTestId("plan-row").filter({ hasText: "Inspection" }).getByTestId("plan-run-now").click();
  await expect(page.getByTestId("plan-row").filter({ hasText: "Inspection" }).getByTestId("plan-run-result")).toHaveText("0 new, 0 work orders", { timeout: 60_000 });

  await page.goto("/work-orders?status=open");
  await expect(page.getByText(/^Inspection (due|overdue since) \d{4}-\d{2}-\d{2} — /).first()).toBeVisible();
});

test("routes: an operator assigns a district's first route, the technician sees it as today's route with its map", async ({ page, browser }) => {
  await signInAs(page, "operator", "/schedule/routes?district=Houston");
  await expect(page.getByTestId("routes-summary")).toContainText("Today in Houston: 1 route for 1 technician");
  const card = page.getByTestId("route-card").first();
  await expect(card).toBeVisible({ timeout: 30_000 });
  await expect(card.getByTestId("route-time")).toContainText(/\d+ min driving \([\d.]+ km\) \+ \d+ min on site · not assigned/);
  const stops = await card.locator("ol li").count();
  await card.getByTestId("route-assign").click();
  await expect(card.getByTestId("route-time")).toContainText("assigned to ");
  await saveScreenshot(page, "schedule-routes");
  const tech = await (await browser.newContext()).newPage();
  await signInAs(tech, "technician", "/work-orders");
  await expect(tech.getByTestId("my-route")).toContainText("My route today");
  await expect(tech.getByTestId("my-route-stops").locator("li")).toHaveCount(stops);
  await expect(tech.getByTestId("route-map")).toBeVisible();
  await saveScreenshot(tech, "my-route");
  await tech.context().close();
});

test("due list: overdue inspections with their reasons, sortable, each meter a link to its calendar", async ({ page }) => {
  await signInAs(page, "viewer", "/schedule/due?status=all");
  await expect(page.getByTestId("due-table")).toBeVisible();
  const first = page.getByTestId("due-row").first();
  await expect(first.getByTestId("due-reason")).toContainText(/ — /);
  await expect(page.getByTestId("due-csv")).toHaveAttribute("href", /\/schedule\/due\/export\?/);
  await page.getByTestId("due-sort-due").click();
  await expect(page).toHaveURL(/sort=due&dir=desc/);
  await saveScreenshot(page, "schedule-due");
  const meter = (await page.getByTestId("due-meter").first().textContent())!;
  await page.getByTestId("due-meter").first().click();
  await expect(page.getByTestId("meter-title")).toHaveText(meter);
  await expect(page.getByTestId("meter-calendar")).toContainText("Maintenance calendar");
  await expect(page.getByTestId("calendar-reason").first()).toContainText(/(due|overdue since) (now|\d{4}-\d{2}-\d{2}) — /);
});

test("compliance report: share within interval by zone, printable, with a CSV", async ({ page }) => {
  await signInAs(page, "viewer", "/schedule/compliance?by=zone");
  const report = page.getByTestId("compliance-report");
  await expect(report).toContainText("Inspection");
  await expect(report).toContainText("hot-humid");
  await expect(report.locator("td").filter({ hasText: / %$/ }).first()).toBeVisible();
  const csv = await page.request.get((await page.getByTestId("compliance-csv").getAttribute("href"))!);
  expect(csv.status()).toBe(200);
  expect(await csv.text()).toMatch(/^planName,group,meters,overdue,compliantPct\r\nInspection,/);
  await saveScreenshot(page, "schedule-compliance");
});

test("viewer: reads a plan and previews a what-if, but has no save", async ({ page }) => {
  await signInAs(page, "viewer", "/schedule");
  await expect(page.getByTestId("plan-new")).toHaveCount(0);
  await expect(page.getByTestId("plan-run-now")).toHaveCount(0);
  await page.getByTestId("plan-link").first().click();
  await expect(page.getByTestId("plan-readonly")).toBeVisible();
  await expect(page.getByTestId("plan-save")).toHaveCount(0);
  await expect(page.getByTestId("plan-name")).toBeDisabled();
  await page.getByTestId("plan-preview").click();
  await expect(page.getByTestId("whatif-table")).toBeVisible({ timeout: 30_000 });
  await saveScreenshot(page, "schedule-plan-viewer");
});
