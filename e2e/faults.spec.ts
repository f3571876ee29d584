import type { Page } from "@playwright/test";
import { expect, test, signInAs } from "./fixtures";

/** Page object for the troubleshooting matrix. */
class FaultsPage {
  constructor(private readonly page: Page) {}
  async goto(query = "window=24h") {
    await this.page.goto(`/faults?${query}`);
  }
  row(signatureId: string) {
    return this.page.locator(`[data-testid="matrix-row"][data-signature="${signatureId}"]`);
  }
  /** The demo stream needs a little time to produce lines: reload until the signature has events. */
  async waitForEvents(signatureId: string) {
    await expect(async () => {
      await this.page.reload();
      const text = await this.row(signatureId).getByTestId("events").textContent({ timeout: 2_000 });
      expect(Number((text ?? "0").replace(/,/g, ""))).toBeGreaterThan(0);
    }).toPass({ timeout: 120_000, intervals: [2_000, 5_000] });
  }
  rootCause() {
    return this.page.getByTestId("root-cause");
  }
}

test.describe("troubleshooting matrix", () => {
  test.setTimeout(240_000);

  test("operator: E105 rises, root cause names the interfered gateway, links open the explorer and campaign creation", async ({ page }) => {
    await signInAs(page, "operator");
    const faults = new FaultsPage(page);
    await faults.goto();
    await expect(page.getByTestId("catalogue-version")).toHaveText(/\d{4}\.\d+\.\d+/);
    await faults.waitForEvents("E105");

    const e105 = faults.row("E105");
    await expect(e105.getByTestId("trend")).toHaveAttribute("data-direction", /^(up|new)$/);

    await e105.getByTestId("select-signature").click();
    const rc = faults.rootCause();
    await expect(rc).toHaveAttribute("data-signature", "E105");
    // The interfered gateway is read from the page: the gateway dimension's top value must
    // rank first overall, lead its own table, and be the one the sentence names.
    const dims = rc.getByTestId("root-cause-dimension");
    await expect(dims.first()).toHaveAttribute("data-dimension", "gateway");
    const gateway = await dims.first().getAttribute("data-top");
    expect(gateway).toMatch(/^GW-\d+$/);
    await expect(rc.getByTestId("root-cause-sentence")).toContainText(`behind ${gateway}`);
    const topCell = dims.first().getByTestId("root-cause-cell").first();
    await expect(topCell.getByTestId("cell-value")).toHaveText(gateway!);

    // A narrower window on that gateway alone still shows the fault (independent read of the same data).
    await topCell.getByTestId("explorer-link").click();
    await expect(page).toHaveURL(/\/logs\?/);
    const url = new URL(page.url());
    expect(url.searchParams.get("q")).toBe(`code:E105 gw:${gateway}`);
    expect(url.searchParams.get("range")).toBe("24h");

    await faults.goto(`window=24h&gw=${gateway}`);
    const schedule = faults.row("E105").getByTestId("schedule-link");
    await expect(schedule).toHaveText("Schedule RF analysis");
    await schedule.click();
    await expect(page).toHaveURL(/\/campaigns\/new\?/);
    const params = new URL(page.url()).searchParams;
    expect(Object.fromEntries(params)).toMatchObject({ jobType: "rf_analysis", fault: "E105", days: "1", gw: gateway });
  });

  test("viewer sees the matrix and runbooks but no scheduling action", async ({ page }) => {
    await signInAs(page, "viewer");
    const faults = new FaultsPage(page);
    await faults.goto();
    await expect(page.getByTestId("fault-matrix")).toBeVisible();
    await expect(faults.row("E105")).toBeVisible();
    await expect(page.getByTestId("schedule-link")).toHaveCount(0);
    await expect(page.getByRole("columnheader", { name: "Action" })).toHaveCount(0);
    await faults.row("E105").getByTestId("runbook-link").click();
    await expect(page.getByTestId("runbook")).toContainText("RF");
  });

  test("LED x log view lists combinations", async ({ page }) => {
    await signInAs(page, "viewer");
    await page.goto("/faults?window=24h&tab=led");
    await expect(page.getByTestId("led-correlation")).toBeVisible();
    await expect(page.getByTestId("disagree-silent")).toBeVisible();
    await expect(page.getByTestId("disagree-green")).toBeVisible();
  });
});
