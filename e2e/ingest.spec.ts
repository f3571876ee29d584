import fs from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { expect, test, signInAs, saveScreenshot } from "./fixtures";
import { E2E_DATA_DIR } from "./paths";

/** Page object for /ingest. */
class IngestPage {
  constructor(private readonly page: Page) {}
  async goto() {
    return this.page.goto("/ingest");
  }
  async createToken(name: string): Promise<string> {
    await this.page.getByTestId("token-name").fill(name);
    await this.page.getByTestId("token-create").click();
    const value = this.page.getByTestId("token-created-value");
    await expect(value).toBeVisible();
    return (await value.textContent())!.trim();
  }
  refusalCount(reason: string) {
    return this.page.getByTestId(`refusal-count-value-${reason}`);
  }
  accepted(source: string) {
    return this.page.getByTestId(`ingest-accepted-${source}`);
  }
  state(source: string) {
    return this.page.getByTestId(`ingest-state-${source}`);
  }
  lastError(source: string) {
    return this.page.getByTestId(`ingest-error-${source}`);
  }
}

const TS = new Date().toISOString();

test("admin creates a token in the UI; lines posted with it show up in the counts, as text", async ({ page }) => {
  await signInAs(page, "admin");
  const ingest = new IngestPage(page);
  await ingest.goto();
  const name = `e2e-hes-${Date.now()}`;
  const token = await ingest.createToken(name);
  expect(token).toMatch(/^ami_ing_/);
  await expect(page.getByTestId(`token-row-${name}`)).toBeVisible();

  const body = [
    `ts=${TS} meter=EM-0099001 gw=GW-0001 code=HEARTBEAT led=green_steady msg="e2e accepted"`,
    `ts=${TS} meter=EM-0099002 code=E105 rssi=40 msg="<script>window.__e2eInjected=1</script>"`,
  ].join("\n");
  const post = (t: string) =>
    page.request.post("/api/ingest", { headers: { authorization: `Bearer ${t}`, "content-type": "text/plain", "idempotency-key": `e2e-${name}` }, data: body });
  const res = await post(token);
  expect(res.status()).toBe(200);
  expect(await res.json()).toEqual({ accepted: 1, refused: 1, reasons: { "bad_value:rssi": 1 } });
  expect((await post("ami_ing_not-a-token")).status()).toBe(401);

  await ingest.goto();
  await expect(ingest.refusalCount("bad_value:rssi")).toHaveText(/^[1-9]\d*$/);
  await expect(ingest.accepted("http")).toHaveText(/^[1-9][\d,]*$/);
  await expect(page.getByTestId("refused-lines")).toContainText("<script>window.__e2eInjected=1</script>");
  expect(await page.evaluate(() => (window as unknown as { __e2eInjected?: number }).__e2eInjected)).toBeUndefined();

  page.once("dialog", (d) => void d.accept());
  await page.getByTestId(`token-revoke-${name}`).click();
  await expect(page.getByTestId(`token-row-${name}`)).toContainText("revoked");
  expect((await post(token)).status()).toBe(403);
});

test("a line appended to the tailed file is counted for the file source", async ({ page }) => {
  const file = path.join(E2E_DATA_DIR, "tail", "maintenance_audit.log");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.appendFileSync(file, `ts=${TS} meter=WM-0099003 code=BATTERY_LOW battery_v=3.01 msg="e2e tail"\n`);
  await signInAs(page, "operator");
  const ingest = new IngestPage(page);
  await expect(async () => {
    await ingest.goto();
    await expect(ingest.accepted(`file:${file}`)).toHaveText(/^[1-9][\d,]*$/, { timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  // operators see sources but do not manage tokens
  await expect(page.getByTestId("token-create")).toHaveCount(0);
  // The demo's simulated head-end feeds the writer through no file, HTTP or MQTT source: it is a
  // source of its own, so the per-source counts add up to what streams in.
  await expect(ingest.accepted("demo:live")).toHaveText(/^[1-9][\d,]*$/);
  await saveScreenshot(page, "ingest");
});

test("a failing file source shows red with its error, live, and recovers", async ({ page }) => {
  // A directory where the glob expects a log file: the new source's reads fail (EISDIR).
  const failing = path.join(E2E_DATA_DIR, "tail", "extra", "failing.log");
  fs.mkdirSync(failing, { recursive: true });
  const source = `file:${failing}`;
  try {
    await signInAs(page, "operator");
    const ingest = new IngestPage(page);
    await ingest.goto();
    // No reload: the glob picks the path up and the `ingest` room pushes the failure.
    await expect(ingest.state(source)).toContainText(/degraded since \d\d:\d\d:\d\d UTC/, { timeout: 20_000 });
    await expect(ingest.lastError(source)).toContainText("EISDIR");
    const [r, g, b] = (
      await ingest
        .state(source)
        .getByText("degraded", { exact: true })
        .evaluate((el) => getComputedStyle(el).color)
    )
      .match(/\d+/g)!
      .map(Number);
    expect(r).toBeGreaterThan(150);
    expect(g).toBeLessThan(120);
    expect(b).toBeLessThan(120);
    // Fixed (the path is gone: the source waits for it): no longer degraded after its next restart.
    fs.rmSync(failing, { recursive: true, force: true });
    await expect(ingest.state(source)).not.toContainText("degraded", { timeout: 45_000 });
    await expect(ingest.state(source)).toContainText("waiting for the file to appear");
  } finally {
    fs.rmSync(failing, { recursive: true, force: true });
  }
});

test("a viewer has no Ingest navigation and gets 403 on /ingest", async ({ page, browserErrors }) => {
  browserErrors.allow({ status: 403, url: "/ingest", why: "the viewer opens the Ingest page on purpose" });
  await signInAs(page, "viewer");
  await expect(page.getByTestId("nav").getByRole("link", { name: "Ingest" })).toHaveCount(0);
  const res = await page.goto("/ingest");
  expect(res?.status()).toBe(403);
  await expect(page.getByTestId("forbidden")).toBeVisible();
});
