import type { Page } from "@playwright/test";
import { credentialsFor, expect, saveScreenshot, signInAs, test } from "./fixtures";

/** Page object for the alerts pages. */
class AlertsPage {
  constructor(private readonly page: Page) {}
  bell() {
    return this.page.getByTestId("alert-bell");
  }
  async openView(view: "firing" | "pending" | "silenced" | "history" | "rules" | "channels") {
    await this.page.goto(`/alerts?view=${view}`);
  }
  row(text: string | RegExp) {
    return this.page.getByTestId("alerts-table").locator("tbody tr").filter({ hasText: text });
  }
}

test.describe("alerts", () => {
  test.setTimeout(300_000);

  test("operator: a rule from a fault row fires on the demo's RF interference, the bell shows it live, acknowledging records who", async ({ page }) => {
    await signInAs(page, "operator");
    // From the troubleshooting matrix: E105's row once the demo stream has produced lines.
    await page.goto("/faults?window=24h");
    const e105 = page.locator('[data-testid="matrix-row"][data-signature="E105"]');
    await expect(async () => {
      await page.reload();
      const text = await e105.getByTestId("events").textContent({ timeout: 2_000 });
      expect(Number((text ?? "0").replace(/,/g, ""))).toBeGreaterThan(0);
    }).toPass({ timeout: 120_000, intervals: [2_000, 5_000] });
    // The interfered gateway (GW-0042 in a large demo fleet, another in the e2e's small one) from the root cause.
    await e105.getByTestId("select-signature").click();
    const dims = page.getByTestId("root-cause").getByTestId("root-cause-dimension");
    await expect(dims.first()).toHaveAttribute("data-dimension", "gateway", { timeout: 30_000 });
    const gateway = (await dims.first().getAttribute("data-top"))!;
    expect(gateway).toMatch(/^GW-\d+$/);
    await page.locator('[data-testid="matrix-row"][data-signature="E105"]').getByTestId("alert-on-this").click();

    await expect(page.getByTestId("rule-form")).toBeVisible();
    await expect(page.getByTestId("rule-name")).toHaveValue(/E105/);
    await expect(page.getByTestId("param-signatureId")).toHaveValue("E105");
    await expect(page.getByTestId("rule-runbook")).toHaveValue("/faults/runbooks/rf-timeout");
    await expect(page.getByTestId("param-groupBy")).toHaveValue("gateway");
    await expect(page.getByTestId("param-minLift")).toHaveValue("3");
    // A small demo fleet: a few meters over the last hour is an incident; the lift keeps other gateways out.
    await page.getByTestId("param-threshold").fill("2");
    await page.getByTestId("param-windowMinutes").fill("60");
    await page.getByTestId("rule-interval").fill("10");
    // Pending 10 s first, so the bell is already listening when it fires.
    await page.getByTestId("rule-for").fill("10");
    await page.getByTestId("rule-preview").click();
    await expect(page.getByTestId("rule-preview-sentence")).toHaveText(/would have fired \d+ times? in the last 7 days/, { timeout: 60_000 });
    await page.getByTestId("rule-save").click();
    await expect(page).toHaveURL(/\/alerts\?view=rules/);
    await expect(page.getByTestId("rules-table")).toContainText("E105");

    // Live: the bell receives the firing alert without a reload.
    await expect(page.getByTestId("alert-bell-item").filter({ hasText: gateway })).toHaveCount(1, { timeout: 90_000 });
    await expect(page.getByTestId("alert-bell-count")).not.toHaveText("0");

    const alerts = new AlertsPage(page);
    await alerts.openView("firing");
    const row = alerts.row(gateway);
    await expect(row).toHaveCount(1);
    await expect(row.getByTestId("label-gateway")).toHaveAttribute("href", `/map?gw=${gateway}`);
    await saveScreenshot(page, "alerts");
    await row.getByTestId("ack-note").fill(`Spectrum scan booked for ${gateway}`);
    await row.getByTestId("ack-button").click();
    await expect(alerts.row(gateway).getByTestId("ack-by")).toContainText(credentialsFor("operator").email);
    await expect(alerts.row(gateway).getByTestId("ack-by")).toContainText(`Spectrum scan booked for ${gateway}`);

    await alerts.openView("history");
    await expect(page.getByTestId("history-table").locator("tbody tr").filter({ hasText: "acknowledged" }).first()).toContainText(credentialsFor("operator").email);
    const csv = await page.request.get("/api/alerts/history");
    expect(csv.status()).toBe(200);
    const text = await csv.text();
    expect(text.split("\r\n")[0]).toBe("at_utc,event,rule,severity,labels,summary,value,by,note,alert_id");
    expect(text).toContain(`Spectrum scan booked for ${gateway}`);

    // The map marks the gateway.
    await page.goto("/map");
    await expect(page.getByTestId("map-firing-gateway").filter({ hasText: gateway })).toHaveCount(1);
  });

  test("viewer: reads alerts and rules, may not acknowledge or edit", async ({ page }) => {
    await signInAs(page, "viewer");
    await page.goto("/alerts?view=firing");
    await expect(page.getByRole("heading", { name: "Alerts" })).toBeVisible();
    await expect(page.getByTestId("new-rule")).toHaveCount(0);
    await expect(page.getByTestId("ack-button")).toHaveCount(0);
    await saveScreenshot(page, "alerts-viewer");
    await page.goto("/alerts?view=rules");
    await expect(page.getByTestId("rules-table").or(page.getByTestId("rules-empty"))).toBeVisible();
  });

  test("admin: adds a webhook channel and sends a test", async ({ page }) => {
    await signInAs(page, "admin");
    await page.goto("/alerts?view=channels");
    await page.getByTestId("channel-name").fill("NOC webhook");
    // Nothing listens on port 9: the test send fails and says so.
    await page.getByTestId("channel-url").fill("http://127.0.0.1:9/hook");
    await page.getByTestId("channel-create").click();
    const row = page.getByTestId("channel-row").filter({ hasText: "NOC webhook" });
    await expect(row).toHaveCount(1);
    await row.getByTestId("channel-test").click();
    await expect(row.getByTestId("channel-test-result")).toHaveText(/Test failed/);
    await saveScreenshot(page, "alerts-channels");
  });
});
