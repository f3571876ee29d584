// The operator's day, from the screen only (issue #22): from the start page, the operator
// notices the interference incident on the faults page, opens its root cause, schedules an RF
// analysis of the gateway's meters from the root-cause row, confirms the blast radius, watches
// it run; its LOW_SNR findings become field work orders; a technician completes one with
// readings and an outcome; the meter's page shows it in its maintenance history; a viewer
// reads the work order but cannot complete it. No typed URL after sign-in: every step is a click.
import type { Page } from "@playwright/test";
import { expect, saveScreenshot, signInAs, test } from "./fixtures";

function matrixRow(page: Page, signatureId: string) {
  return page.locator(`[data-testid="matrix-row"][data-signature="${signatureId}"]`);
}

test("operator's day: notice, diagnose, act, field, closed", async ({ page, browser }) => {
  test.setTimeout(420_000);

  // ---- notice: the incident stands out on the faults page
  await signInAs(page, "operator", "/");
  await page.getByTestId("nav-faults").click();
  await expect(page).toHaveURL(/\/faults/);
  const incident = page.locator('[data-testid="anomaly"][data-incident="true"][data-dimension="gateway"]').first();
  await expect(async () => {
    if (!(await incident.isVisible())) await page.reload();
    await expect(incident).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 120_000, intervals: [2_000, 5_000] });
  const gw = (await incident.getAttribute("data-value"))!;
  expect(gw).toMatch(/^GW-\d{4}$/);
  await expect(incident).toContainText("incident");
  await expect(incident.getByTestId("anomaly-link")).toHaveText(`${gw} on this page`);

  // ---- diagnose: E105's root cause names the gateway; its row offers the step for its meters
  const e105 = matrixRow(page, "E105");
  await expect(e105.getByTestId("trend")).toHaveAttribute("data-direction", /^(up|new)$/);
  await e105.getByTestId("select-signature").click();
  const rc = page.getByTestId("root-cause");
  await expect(rc).toHaveAttribute("data-signature", "E105");
  await expect(rc.getByTestId("root-cause-sentence")).toContainText(`behind ${gw}`);
  const gwRow = rc.locator('[data-testid="root-cause-dimension"][data-dimension="gateway"]').getByTestId("root-cause-cell").filter({ hasText: gw }).first();
  const schedule = gwRow.getByTestId("cohort-schedule-link");
  await expect(schedule).toHaveText(/^Schedule RF analysis for these [\d,]+ meters?$/);
  const cohort = Number((await schedule.innerText()).match(/these ([\d,]+) meter/)![1]!.replace(/,/g, ""));
  await saveScreenshot(page, "operator-day-root-cause");

  // ---- act: the form comes prefilled with that cohort and a name saying so; start asks first
  await schedule.click();
  await expect(page).toHaveURL(/\/campaigns\/new\?/);
  await expect(page.getByTestId("campaign-job-type")).toHaveValue("rf_analysis");
  await expect(page.getByTestId("campaign-job-type").locator("option:checked")).toHaveText("RF analysis");
  await expect(page.getByTestId("q-gw")).toHaveValue(gw);
  await expect(page.getByTestId("q-fault")).toHaveValue("E105");
  await expect(page.getByTestId("campaign-name")).toHaveValue(`RF analysis of meters behind ${gw} with E105 in the last 24 h`);
  // Empty filters read "any", not an example value that looks applied.
  await expect(page.getByTestId("q-zone")).toHaveValue("");
  await expect(page.getByTestId("q-zone")).toHaveAttribute("placeholder", "any");
  // The soak is shortened by the campaign's own options, and the gate lets every wave through.
  await page.getByTestId("o-window").selectOption("any");
  await page.getByTestId("o-soak").fill("1");
  await page.getByTestId("o-successPct").fill("0");
  await page.getByTestId("o-maxErrorPct").fill("100");
  await page.getByTestId("preview-button").click();
  await expect(page.getByTestId("plan-preview")).toBeVisible({ timeout: 30_000 });
  const matched = Number((await page.getByTestId("plan-matched").innerText()).replace(/,/g, ""));
  expect(matched).toBeGreaterThan(0);
  expect(Math.abs(matched - cohort)).toBeLessThanOrEqual(Math.max(5, cohort * 0.2)); // the stream adds lines between the two reads
  const scheduled = (await page.getByTestId("plan-scheduled").innerText()).trim();
  await page.getByTestId("create-start-button").click();
  const confirm = page.getByTestId("confirm-start");
  await expect(confirm).toContainText(`RF analysis on ${scheduled} meters behind 1 gateway`);
  await expect(confirm).toContainText(/in \d+ waves? \(\d+ canary\)/);
  await expect(confirm).toContainText("Window: any time (");
  await saveScreenshot(page, "operator-day-confirm");
  await page.getByTestId("confirm-start-button").click();

  // ---- watch it run: a live soak countdown, then the findings and their work orders
  await expect(page).toHaveURL(/\/campaigns\/[a-z0-9]{8,40}$/, { timeout: 30_000 });
  await expect(page.getByTestId("campaign-job")).toHaveText("RF analysis");
  await expect(page.getByTestId("campaign-status")).toHaveText("running");
  const countdown = page.getByTestId("soak-countdown").first();
  await expect(countdown).toHaveText(/^Soak: (\d+ min )?\d+ s left, watching for new faults and re-registration; then (wave \d+|the campaign completes)$/, { timeout: 90_000 });
  await saveScreenshot(page, "operator-day-soak");
  const finding = page.locator('[data-testid="finding-row"][data-code="LOW_SNR"]');
  await expect(finding).toBeVisible({ timeout: 120_000 });
  await expect(finding).toContainText("mesh SNR below 15 dB");
  await expect(finding.getByTestId("finding-code")).toHaveAttribute("href", "/faults?sig=LOW_SNR#root-cause");
  // Failed steps, if any, name their meters as links to the meter's page.
  for (const link of await page.getByTestId("failed-meter").all()) await expect(link).toHaveAttribute("href", /^\/meters\/[A-Z]{2}-\d+$/);
  // Each finding is already a field work order, while the later waves still run.
  await expect(page.getByTestId("follow-ups")).toContainText(/^[1-9]\d* follow-up work orders?, [1-9]\d* open$/);
  const campaignName = `RF analysis of meters behind ${gw} with E105 in the last 24 h`;
  await page.getByTestId("follow-ups-link").click();
  await expect(page.getByTestId("wo-campaign-filter")).toContainText(campaignName);
  const order = page.getByTestId("wo-row").first();
  await expect(order).toBeVisible();
  const meter = (await order.getAttribute("data-meter"))!;
  await expect(order.getByTestId("wo-job")).toHaveText("Inspection");
  await expect(order.getByTestId("wo-campaign")).toHaveText(campaignName);
  await expect(order).toContainText(/rf_analysis: mesh SNR -?[\d.]+ dB below 15 dB/);
  // The operator plans; closing the order is the technician's.
  await expect(page.getByTestId("wo-complete-open")).toHaveCount(0);

  // ---- field: the technician completes it with readings and an outcome
  const tech = await (await browser.newContext()).newPage();
  await signInAs(tech, "technician", "/");
  await tech.getByTestId("nav-work-orders").click();
  const techRow = tech.locator(`[data-testid="wo-row"][data-meter="${meter}"][data-job="inspect"]`);
  await expect(techRow).toBeVisible();
  await techRow.getByTestId("wo-status").click();
  await expect(tech.getByTestId("wo-title")).toHaveText(`Inspection on ${meter}`);
  await expect(tech.getByTestId("wo-detail-campaign")).toHaveText(campaignName);
  await expect(tech.getByTestId("wo-detail-code")).toHaveText("LOW_SNR");
  await tech.getByTestId("wo-complete-open").click();
  await expect(tech.getByTestId("wo-complete-form")).toContainText(`Complete inspection on ${meter} (found LOW_SNR)`);
  await tech.getByTestId("wo-outcome-fixed").check();
  await tech.getByTestId("wo-submit").click();
  // A fixed inspection after a weak-link finding needs its readings.
  await expect(tech.getByTestId("wo-error")).toContainText("needs: hottest terminal, seal intact, arcing marks, mesh SNR after the fix");
  await tech.getByTestId("wo-hottestTerminalC").fill("34");
  await tech.getByTestId("wo-sealIntact").selectOption("yes");
  await tech.getByTestId("wo-arcing").selectOption("no");
  await tech.getByTestId("wo-snrDb").fill("23.5");
  await tech.getByTestId("wo-notes").fill("antenna connector re-seated");
  await saveScreenshot(tech, "operator-day-complete");
  await tech.getByTestId("wo-submit").click();
  await expect(tech.getByTestId("wo-detail-status")).toHaveText("done · fixed");
  await expect(tech.getByTestId("wo-detail-readings")).toHaveText("hottest terminal 34 °C · seal intact: yes · arcing: no · SNR 23.5 dB");
  await expect(tech.getByTestId("wo-detail-closed")).toContainText(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC by \S+@\S+$/);
  await expect(tech.getByTestId("wo-detail-notes")).toHaveText("antenna connector re-seated");

  // ---- closed: the meter's page shows it in its maintenance history, newest first
  await tech.getByTestId("wo-detail-meter").click();
  await expect(tech.getByTestId("meter-title")).toHaveText(meter);
  const history = tech.getByTestId("history-row");
  await expect(history.first()).toHaveAttribute("data-kind", "work_order");
  await expect(history.first()).toContainText("Inspection");
  await expect(history.first().getByTestId("history-outcome")).toHaveText("fixed");
  await expect(history.first().getByTestId("history-readings")).toContainText("SNR 23.5 dB");
  const step = tech.locator('[data-testid="history-row"][data-kind="campaign_step"][data-job="rf_analysis"]').first();
  await expect(step).toContainText("RF analysis");
  await expect(step.getByTestId("history-outcome")).toHaveText("found LOW_SNR");
  await expect(step.getByTestId("history-campaign-link")).toHaveText(campaignName);
  // The visit's own audit line is the meter's newest.
  await expect(tech.getByTestId("meter-line").first()).toContainText("step=inspect");
  await saveScreenshot(tech, "operator-day-meter-history");
  await tech.context().close();

  // ---- the NOC: a viewer reads the closed order and cannot complete anything
  const viewer = await (await browser.newContext()).newPage();
  await signInAs(viewer, "viewer", "/");
  await viewer.getByTestId("nav-work-orders").click();
  await expect(viewer.getByTestId("wo-row").first()).toBeVisible();
  await expect(viewer.getByTestId("wo-complete-open")).toHaveCount(0);
  await viewer.getByTestId("wo-filter-done").click();
  const done = viewer.locator(`[data-testid="wo-row"][data-meter="${meter}"][data-job="inspect"]`);
  await expect(done.getByTestId("wo-outcome-text")).toHaveText("fixed");
  await expect(done.getByTestId("wo-readings")).toContainText("SNR 23.5 dB");
  await done.getByTestId("wo-status").click();
  await expect(viewer.getByTestId("wo-detail-status")).toHaveText("done · fixed");
  await expect(viewer.getByTestId("wo-complete-open")).toHaveCount(0);
  await saveScreenshot(viewer, "operator-day-viewer-order");
  await viewer.context().close();
});
