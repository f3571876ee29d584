// Campaigns in the browser against the production build (demo fleet):
// operator creates from the form with a preview, starts, watches progress,
// pauses and resumes; technician completes a calibration work order; a viewer
// has no buttons and a direct action call is refused; every role against every
// campaign action, through the page and as a direct server-action call.
import fs from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { expect, test, signInAs, saveScreenshot } from "./fixtures";

class NewCampaignPage {
  constructor(private readonly page: Page) {}
  async goto(query: string) {
    await this.page.goto(`/campaigns/new?${query}`);
    await expect(this.page.getByTestId("new-campaign-form")).toBeVisible();
  }
  /** Any time of day, these wave options, and a gate that lets every wave through (success 0 %, errors up to 100 %). */
  async runEveryWave(o: { waveSize: string; canarySize: string; soak: string }) {
    await this.page.getByTestId("o-window").selectOption("any");
    await this.page.getByTestId("o-waveSize").fill(o.waveSize);
    await this.page.getByTestId("o-canarySize").fill(o.canarySize);
    await this.page.getByTestId("o-soak").fill(o.soak);
    await this.page.getByTestId("o-successPct").fill("0");
    await this.page.getByTestId("o-maxErrorPct").fill("100");
  }
  async preview() {
    await this.page.getByTestId("preview-button").click();
    await expect(this.page.getByTestId("plan-preview")).toBeVisible({ timeout: 30_000 });
  }
}

/** "Create and start" asks first, with the blast radius: confirm it. */
async function confirmStart(page: Page) {
  await expect(page.getByTestId("confirm-blast")).toContainText(/on [\d,]+ meters behind [\d,]+ gateways?, in \d+ waves? \(\d+ canary\)/);
  await page.getByTestId("confirm-start-button").click();
}

async function firstGateway(page: Page): Promise<string> {
  // Any gateway the preview of the whole electric fleet lists.
  await page.goto("/campaigns/new?jobType=rf_analysis&kind=electric");
  await page.getByTestId("preview-button").click();
  const row = page.getByTestId("plan-gateways").locator("div").first();
  await expect(row).toBeVisible({ timeout: 30_000 });
  return (await row.innerText()).split(":")[0]!.trim();
}

test("operator: prefilled form, preview, start, live progress, pause and resume", async ({ page }) => {
  await signInAs(page, "operator");
  const gw = await firstGateway(page);
  const form = new NewCampaignPage(page);
  await form.goto(`jobType=fw_verify&gw=${encodeURIComponent(gw)}&days=7`);
  await expect(page.getByTestId("q-gw")).toHaveValue(gw);
  await expect(page.getByTestId("campaign-job-type")).toHaveValue("fw_verify");
  await page.getByTestId("campaign-name").fill(`e2e verify ${gw}`);
  await form.runEveryWave({ waveSize: "5", canarySize: "2", soak: "1" });
  await form.preview();
  await expect(page.getByTestId("plan-waves")).toContainText(/\d+ \(\d+ canary\)/);
  await expect(page.getByTestId("plan-eta")).toContainText("UTC");
  await expect(page.getByTestId("plan-gateways")).toContainText(gw);
  await page.getByTestId("create-start-button").click();
  await confirmStart(page);

  await expect(page).toHaveURL(/\/campaigns\/[a-z0-9]{8,40}$/, { timeout: 30_000 });
  await expect(page.getByTestId("campaign-status")).toHaveText("running");
  await expect(page.getByTestId("live-indicator")).toHaveText("connected");
  await expect(page.getByTestId("wave-row").first()).toBeVisible();
  // Live: the dispatcher's results arrive over socket.io without a reload.
  await expect(page.getByTestId("wave-bar").first()).not.toContainText(/^0\//, { timeout: 30_000 });
  // The outcome chart follows too: its first bars come from step lines logged after the page loaded.
  await expect(page.getByTestId("timeline-bar").first()).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId("timeline-totals")).toContainText(/ok [1-9]/);
  await saveScreenshot(page, "campaign");

  await page.getByTestId("action-pause").click();
  await expect(page.getByTestId("campaign-status")).toHaveText("paused");
  await expect(page.getByTestId("action-resume")).toBeVisible();
  await page.getByTestId("action-resume").click();
  await expect(page.getByTestId("campaign-status")).toHaveText("running");

  // The list is live too: a pause made on another tab shows without a reload.
  const campaignUrl = page.url();
  const campaignId = campaignUrl.split("/").pop()!;
  await page.goto("/campaigns");
  await expect(page.getByTestId("campaigns-table")).toContainText(`e2e verify ${gw}`);
  await expect(page.getByTestId("campaigns-live")).toHaveText("connected");
  const listStatus = page.locator(`[data-testid="campaign-row"][data-campaign="${campaignId}"]`).getByTestId("campaign-status");
  await expect(listStatus).toHaveText("running");
  const other = await page.context().newPage();
  await other.goto(campaignUrl);
  await other.getByTestId("action-pause").click();
  await expect(other.getByTestId("campaign-status")).toHaveText("paused");
  await other.close();
  await expect(listStatus).toHaveText("paused");
});

test("an RF survey of the meters with LOW_SNR lines: the weak links are findings with the fix, each a field work order", async ({ page }) => {
  await signInAs(page, "operator");
  const form = new NewCampaignPage(page);
  // The fault matrix's "schedule diagnostics" for a fault comes here the same way.
  await form.goto("jobType=rf_analysis&fault=LOW_SNR&days=30");
  await page.getByTestId("campaign-name").fill("e2e RF survey of weak links");
  await form.runEveryWave({ waveSize: "100", canarySize: "0", soak: "0" });
  await form.preview();
  await page.getByTestId("create-start-button").click();
  await confirmStart(page);
  await expect(page).toHaveURL(/\/campaigns\/[a-z0-9]{8,40}$/, { timeout: 30_000 });

  // Live, without a reload: the survey's findings, what they mean, the fix and the runbook.
  const row = page.locator('[data-testid="finding-row"][data-code="LOW_SNR"]');
  await expect(row).toBeVisible({ timeout: 60_000 });
  await expect(row).toContainText("mesh SNR below 15 dB");
  await expect(row).toContainText("antenna mount");
  await expect(row.getByRole("link", { name: "runbook" })).toHaveAttribute("href", "/faults/runbooks/low-snr");
  await expect(page.getByTestId("follow-ups")).toContainText(/^[1-9]\d* follow-up work orders?, [1-9]\d* open$/);
  await expect(page.getByTestId("campaign-counts")).toContainText(/with findings/);
  // Findings are not failures: not in the failure list by code, and the chart counts them apart.
  await expect(page.getByTestId("failures-by-code").or(page.getByTestId("no-failures"))).not.toContainText("LOW_SNR");
  await expect(page.getByTestId("timeline-totals")).toContainText(/found a fault [1-9]/, { timeout: 30_000 });

  // The follow-ups are open field orders a technician can take: the link lists this campaign's only.
  const followUps = Number((await page.getByTestId("follow-ups-link").innerText()).split(" ")[0]);
  await page.getByTestId("follow-ups-link").click();
  await expect(page).toHaveURL(/\/work-orders\?status=all&campaign=/);
  await expect(page.getByTestId("wo-campaign-filter")).toContainText("e2e RF survey of weak links");
  await expect(page.getByTestId("wo-row").first()).toBeVisible();
  expect(await page.getByTestId("wo-row").count()).toBeGreaterThanOrEqual(followUps); // more may have come since
  await expect(page.getByTestId("wo-row").filter({ hasNotText: "e2e RF survey of weak links" })).toHaveCount(0);
  await expect(page.getByText(/rf_analysis: mesh SNR [\d.]+ dB below 15 dB\. Fix: check the antenna mount/).first()).toBeVisible();
  await saveScreenshot(page, "work-orders");
  // The status filter keeps the campaign; "all campaigns" drops it.
  await page.getByTestId("wo-filter-open").click();
  await expect(page).toHaveURL(/status=open&campaign=/);
  await expect(page.getByTestId("wo-campaign-filter")).toBeVisible();
  await page.getByTestId("wo-campaign-clear").click();
  await expect(page.getByTestId("wo-campaign-filter")).toHaveCount(0);
});

test("FOTA: the target is a catalogue pair, and a large one waits for a second person, not its creator", async ({ page, browser }) => {
  await signInAs(page, "operator");
  const form = new NewCampaignPage(page);
  await form.goto("jobType=fota");
  const target = page.getByTestId("o-target");
  await expect(target).toBeEnabled();
  // Pairs preflight would refuse (unsigned, no known hash) are listed but cannot be chosen.
  const offered = await target.locator("option:not([disabled])").evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value).filter(Boolean));
  expect(offered.length).toBeGreaterThan(0);
  await page.getByTestId("campaign-name").fill(`e2e fota ${offered[0]}`);

  // Without a pair nothing can be scheduled: Start is not offered, a draft still is.
  await form.preview();
  await expect(page.getByTestId("plan-scheduled")).toHaveText("0");
  await expect(page.getByTestId("plan-preview")).toContainText("TARGET_FIRMWARE_MISSING");
  await expect(page.getByTestId("create-start-button")).toBeDisabled();
  await expect(page.getByTestId("create-button")).toBeEnabled();
  await expect(page.getByTestId("create-hint")).toContainText("No meter can be scheduled");
  // Asked for anyway (a hand-made request): the campaign stays a draft and the answer says why.
  const answer = await callAction(page, "/campaigns/new", "createCampaignAction", {
    name: "e2e fota no pair",
    jobType: "fota",
    targetQuery: {},
    options: {},
    creationKey: `nopair-${Date.now()}`,
    start: true,
  });
  expect(answer).toContain('"status":"draft"');
  expect(answer).toContain('"startError":"No meter can be scheduled');

  // A change after the preview withdraws it: what is created is what was previewed.
  await target.selectOption(offered[0]!);
  await expect(page.getByTestId("plan-preview")).toHaveCount(0);
  await expect(page.getByTestId("create-start-button")).toBeDisabled();
  await form.preview();
  await expect(page.getByTestId("plan-preview")).not.toContainText("TARGET_FIRMWARE_MISSING");
  await expect(page.getByTestId("plan-approval")).toHaveText("needs a second operator");
  await page.getByTestId("create-start-button").click();
  await confirmStart(page);
  await expect(page).toHaveURL(/\/campaigns\/[a-z0-9]{8,40}$/, { timeout: 30_000 });
  await expect(page.getByTestId("campaign-status")).toHaveText("awaiting approval");
  await expect(page.getByTestId("campaign-approval")).toContainText("you created it");
  await expect(page.getByTestId("action-approve")).toHaveCount(0);

  const admin = await (await browser.newContext()).newPage();
  await signInAs(admin, "admin");
  await admin.goto(page.url());
  await expect(admin.getByTestId("campaign-approval")).toContainText("yours");
  await admin.getByTestId("action-approve").click();
  await expect(admin.getByTestId("campaign-status")).toHaveText("approved");
  await expect(admin.getByTestId("campaign-approval")).toContainText(/^approved \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
  await admin.getByTestId("action-abort").click();
  await expect(admin.getByTestId("campaign-status")).toHaveText("aborted");
  await admin.context().close();
});

test("technician: a calibration work order appears live, is completed with readings, and moves to Done", async ({ page, browser }) => {
  await signInAs(page, "technician");
  await page.goto("/work-orders");
  await expect(page.getByTestId("work-orders-live")).toHaveText("connected");
  const before = await page.locator('[data-testid="wo-row"][data-job="calibrate"]').count();

  // An operator creates a one-meter calibration campaign; its wave becomes a work order.
  const op = await (await browser.newContext()).newPage();
  await signInAs(op, "operator");
  await op.goto("/campaigns/new?jobType=calibrate&kind=electric");
  await op.getByTestId("o-waveSize").fill("1");
  await op.getByTestId("o-canarySize").fill("0");
  await op.getByTestId("campaign-name").fill("e2e calibration");
  await op.getByTestId("preview-button").click();
  await expect(op.getByTestId("plan-preview")).toBeVisible({ timeout: 30_000 });
  await op.getByTestId("create-start-button").click();
  await confirmStart(op);
  await expect(op).toHaveURL(/\/campaigns\/[a-z0-9]{8,40}$/, { timeout: 30_000 });
  await op.context().close();

  // No reload: the list follows the `workorders` room.
  const rows = page.locator('[data-testid="wo-row"][data-job="calibrate"]');
  await expect(rows).toHaveCount(before + 1, { timeout: 30_000 });
  const row = rows.filter({ has: page.getByText("e2e calibration", { exact: true }) }).first();
  const meter = (await row.getAttribute("data-meter"))!;
  // Where the meter is, for the field visit: its gateway from the fleet.
  await expect(row).toContainText(/GW-\d+/);
  await row.getByTestId("wo-complete-open").click();
  await page.getByTestId("wo-err15A").fill("0.05");
  await page.getByTestId("wo-err30A").fill("-0.08");
  await page.getByTestId("wo-err60A").fill("0.11");
  await page.getByTestId("wo-submit").click();
  await expect(page.getByTestId("wo-complete-form")).toBeHidden();
  await expect(page.locator(`[data-testid="wo-row"][data-meter="${meter}"][data-job="calibrate"]`)).toHaveCount(0);
  await page.getByTestId("wo-filter-done").click();
  await expect(page.getByTestId("wo-filter-done")).toHaveAttribute("aria-current", "page");
  await expect(page.getByTestId("wo-filter-open")).not.toHaveAttribute("aria-current", "page");
  const done = page.locator(`[data-testid="wo-row"][data-meter="${meter}"][data-job="calibrate"]`);
  await expect(done).toContainText("15 A 0.05%");
  await expect(done.getByTestId("wo-status")).toHaveText("done");
});

test("viewer: no campaign buttons, and a direct action call is refused", async ({ page, browserErrors }) => {
  browserErrors.allow({ status: 403, url: "/campaigns/new", why: "the viewer opens the campaign form on purpose" });
  await signInAs(page, "viewer");
  await page.goto("/campaigns");
  await expect(page.getByTestId("new-campaign")).toHaveCount(0);
  const link = page.getByTestId("campaign-link").first();
  await expect(link).toBeVisible();
  await link.click();
  await expect(page.getByTestId("campaign-live")).toBeVisible();
  await expect(page.getByTestId("campaign-actions").locator("button")).toHaveCount(0);
  // The form page itself is closed to viewers.
  const res = await page.goto("/campaigns/new");
  expect(res?.status()).toBe(403);

  // Call the pause server action directly with the viewer's session, as a crafted request would.
  const campaignId = (await page.goto("/campaigns"), await page.getByTestId("campaign-link").first().getAttribute("href"))!.split("/").pop()!;
  const body = await callAction(page, `/campaigns/${campaignId}`, "pauseCampaignAction", { campaignId });
  expect(body).toContain('"code":"forbidden"');
  expect(body).toContain('"status":403');

  // Reading is allowed: the outcomes route answers the viewer, and nobody without a session.
  const outcomes = await page.request.get(`/api/campaigns/${campaignId}/outcomes`);
  expect(outcomes.status()).toBe(200);
  const read = await outcomes.json();
  expect(Array.isArray(read.timeline.points)).toBe(true);
  expect(Array.isArray(read.failures)).toBe(true);
  const anonymous = await page
    .context()
    .browser()!
    .newContext({ baseURL: new URL(page.url()).origin });
  const refused = await anonymous.request.get(`/api/campaigns/${campaignId}/outcomes`);
  expect([401, 403]).toContain(refused.status());
  await anonymous.close();
});

/** Posts a campaign server action with the page's session, as a hand-made client would; the response text. */
async function callAction(page: Page, url: string, exportedName: string, input: unknown): Promise<string> {
  const res = await page.request.post(url, {
    headers: { "Next-Action": findActionId("app/(console)/campaigns/actions.ts", exportedName), "Content-Type": "text/plain;charset=UTF-8", Accept: "text/x-component" },
    data: JSON.stringify([input]),
  });
  return res.text();
}

/** The id Next gave a server action in this build (the request a hand-made client would send). */
function findActionId(filename: string, exportedName: string): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(".next", "server", "server-reference-manifest.json"), "utf8")) as {
    node: Record<string, { filename?: string; exportedName?: string }>;
  };
  const hit = Object.entries(manifest.node).find(([, v]) => v.filename === filename && v.exportedName === exportedName);
  if (!hit) throw new Error(`no server action ${exportedName} in ${filename}`);
  return hit[0];
}

/** Every campaign server action (app/(console)/campaigns/actions.ts), by its exported name. */
const CAMPAIGN_ACTIONS = {
  create: "createCampaignAction",
  preview: "previewCampaignAction",
  start: "startCampaignAction",
  approve: "approveCampaignAction",
  pause: "pauseCampaignAction",
  resume: "resumeCampaignAction",
  skip: "skipWaveAction",
  abort: "abortCampaignAction",
  retry: "retryFailedAction",
} as const;

test("role x action matrix: each role sees exactly the buttons it may use, and a direct call of every action it may not use is refused", async ({ browser, browserErrors }) => {
  browserErrors.allow({ status: 403, url: "/campaigns/new", why: "the viewer and the technician open the campaign form on purpose" });
  test.setTimeout(180_000);
  // A draft made in the UI by the operator: on a draft, managers see Start and Abort.
  const opContext = await browser.newContext();
  const op = await opContext.newPage();
  await signInAs(op, "operator");
  const gw = await firstGateway(op);
  const form = new NewCampaignPage(op);
  await form.goto(`jobType=fw_verify&gw=${encodeURIComponent(gw)}`);
  await op.getByTestId("campaign-name").fill(`e2e matrix ${gw}`);
  await op.getByTestId("o-window").selectOption("any");
  await form.preview();
  await op.getByTestId("create-button").click();
  await expect(op).toHaveURL(/\/campaigns\/[a-z0-9]{8,40}$/, { timeout: 30_000 });
  await expect(op.getByTestId("campaign-status")).toHaveText("draft");
  const campaignId = op.url().split("/").pop()!;
  await opContext.close();

  const inputs: Record<keyof typeof CAMPAIGN_ACTIONS, unknown> = {
    create: { name: "matrix direct", jobType: "fw_verify", targetQuery: { gw }, options: { offPeak: null }, creationKey: `matrix-${Date.now()}`, start: false },
    preview: { jobType: "fw_verify", targetQuery: { gw }, options: { offPeak: null } },
    start: { campaignId },
    approve: { campaignId },
    pause: { campaignId },
    resume: { campaignId },
    skip: { campaignId },
    abort: { campaignId },
    retry: { campaignId },
  };
  const managers = ["operator", "admin"];
  for (const role of ["viewer", "technician", "operator", "admin"] as const) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInAs(page, role);
    const manages = managers.includes(role);

    // Through the UI.
    await page.goto(`/campaigns/${campaignId}`);
    await expect(page.getByTestId("campaign-status")).toHaveText("draft");
    const buttons = page.getByTestId("campaign-actions").locator("button");
    if (manages) await expect(buttons).toHaveText(["Start", "Abort"]);
    else await expect(buttons).toHaveCount(0);
    await page.goto("/campaigns");
    await expect(page.getByTestId("campaign-link").first()).toBeVisible();
    await expect(page.getByTestId("new-campaign")).toHaveCount(manages ? 1 : 0);
    expect((await page.goto("/campaigns/new"))?.status(), role).toBe(manages ? 200 : 403);

    // Directly, as a crafted request with this role's session would.
    for (const [action, name] of Object.entries(CAMPAIGN_ACTIONS) as [keyof typeof CAMPAIGN_ACTIONS, string][]) {
      if (manages && action !== "preview") continue; // the allowed ones change state: preview stands for them here
      const body = await callAction(page, `/campaigns/${campaignId}`, name, inputs[action]);
      if (manages) expect(body, `${role} ${action}`).toContain('"ok":true');
      else {
        expect(body, `${role} ${action}`).toContain('"code":"forbidden"');
        expect(body, `${role} ${action}`).toContain('"status":403');
      }
    }
    await context.close();
  }

  // Nothing the refused calls asked for happened: still a draft, and no second campaign.
  const check = await browser.newContext();
  const p = await check.newPage();
  await signInAs(p, "viewer");
  await p.goto(`/campaigns/${campaignId}`);
  await expect(p.getByTestId("campaign-status")).toHaveText("draft");
  await p.goto("/campaigns");
  await expect(p.getByTestId("campaigns-table")).not.toContainText("matrix direct");
  await check.close();
});
