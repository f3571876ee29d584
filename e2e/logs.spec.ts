// Log explorer end to end: lines are injected through the file-tail source (.e2e-data/tail/...),
// then searched, zoomed, tailed live, rendered safely and exported.
import fs from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { expect, test, signInAs, signOut, saveScreenshot } from "./fixtures";
import { E2E_DATA_DIR } from "./paths";

const TAIL_FILE = path.join(E2E_DATA_DIR, "tail", "maintenance_audit.log");

function appendLines(lines: string[]) {
  fs.mkdirSync(path.dirname(TAIL_FILE), { recursive: true });
  fs.appendFileSync(TAIL_FILE, lines.map((l) => l + "\n").join(""));
}

/** A word no other line contains: free-text search on it finds exactly our lines. */
function marker(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

function logfmt(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([k, v]) => (/[\s"\\=]/.test(v) ? `${k}="${v.replace(/[\\"]/g, (m) => "\\" + m)}"` : `${k}=${v}`))
    .join(" ");
}

class LogsPage {
  constructor(readonly page: Page) {}
  async goto(params: Record<string, string>) {
    await this.page.goto(`/logs?${new URLSearchParams(params)}`);
  }
  count() {
    return this.page.getByTestId("result-count");
  }
  async countValue(): Promise<number> {
    const v = await this.count().getAttribute("data-count");
    return v === null || v === "" ? -1 : Number(v);
  }
  async search(q: string) {
    await this.page.getByTestId("query-input").fill(q);
    await this.page.getByTestId("query-submit").click();
  }
  /** Reload until the histogram total is `n` (ingest is asynchronous). */
  async waitForCount(n: number, timeout = 20_000) {
    await expect(async () => {
      await this.page.getByTestId("query-submit").click();
      await expect(this.count()).toHaveAttribute("data-count", String(n), { timeout: 1500 });
    }).toPass({ timeout });
  }
}

test.describe("log explorer", () => {
  test("search narrows the results and the histogram total; syntax errors show their position", async ({ page }) => {
    const m = marker("narrow");
    const now = Date.now();
    appendLines([
      ...Array.from({ length: 4 }, (_, i) =>
        logfmt({ ts: new Date(now - i * 1000).toISOString(), meter: `EM-009900${i}`, gw: "GW-0042", code: "E105", msg: `${m} RF timeout after ${i} retries` }),
      ),
      ...Array.from({ length: 3 }, (_, i) => logfmt({ ts: new Date(now - i * 1000).toISOString(), meter: `EM-009910${i}`, code: "HEARTBEAT", msg: `${m} heartbeat` })),
    ]);
    await signInAs(page, "viewer");
    const logs = new LogsPage(page);
    await logs.goto({ q: m, range: "1h" });
    await logs.waitForCount(7);
    await expect(page.getByTestId("log-row")).toHaveCount(7);

    await logs.search(`${m} code:E105`);
    await expect(page).toHaveURL(/code%3AE105/);
    await expect(logs.count()).toHaveAttribute("data-count", "4");
    await expect(page.getByTestId("log-row")).toHaveCount(4);
    await saveScreenshot(page, "logs");

    // A wider query over the same window counts at least our lines.
    await logs.search("");
    await expect.poll(() => logs.countValue()).toBeGreaterThanOrEqual(7);

    // A syntax error: underlined at its position, nothing sent, no 500.
    const failures: number[] = [];
    page.on("response", (r) => r.url().includes("/api/logs/") && r.status() >= 500 && failures.push(r.status()));
    await page.getByTestId("query-input").fill("code:(E105 OR");
    const err = page.getByTestId("query-error");
    await expect(err).toBeVisible();
    await expect(err).toHaveAttribute("data-position", "11");
    await expect(page.getByTestId("query-error-mark")).toHaveText("OR");
    await expect(page.getByTestId("query-submit")).toBeDisabled();
    // The API refuses it with the position too, never a 500.
    const api = await page.request.get(`/api/logs/search?q=${encodeURIComponent("code:(E105")}&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z`);
    expect(api.status()).toBe(400);
    expect((await api.json()).error).toMatchObject({ kind: "syntax", position: 5 });
    expect(failures).toEqual([]);
  });

  test("drag on the histogram zooms: from/to land in the URL and the window narrows", async ({ page }) => {
    await signInAs(page, "viewer");
    const logs = new LogsPage(page);
    await logs.goto({ range: "24h" });
    await expect(logs.count()).not.toHaveAttribute("data-count", "");
    const svg = page.getByTestId("histogram-svg");
    const box = (await svg.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await expect(page).toHaveURL(/from=.*&to=|to=.*&from=/);
    const url = new URL(page.url());
    const from = Date.parse(url.searchParams.get("from")!);
    const to = Date.parse(url.searchParams.get("to")!);
    const span = to - from;
    expect(span).toBeGreaterThan(0.15 * 86_400_000);
    expect(span).toBeLessThan(0.25 * 86_400_000);
    expect(url.searchParams.get("range")).toBeNull();
    await expect(page.getByTestId("range-custom")).toHaveAttribute("aria-pressed", "true");
  });

  test("live tail shows a freshly ingested matching line within 2 s", async ({ page }) => {
    const m = marker("live");
    await signInAs(page, "viewer");
    const logs = new LogsPage(page);
    await logs.goto({ q: m, range: "15m" });
    await page.getByTestId("live-toggle").click();
    await expect(page.getByTestId("live-bar")).toHaveAttribute("data-status", "live");
    appendLines([
      logfmt({ ts: new Date().toISOString(), meter: "EM-0099200", code: "HEARTBEAT", msg: "not for this tail" }),
      logfmt({ ts: new Date().toISOString(), meter: "EM-0099201", gw: "GW-0042", code: "E105", msg: `${m} fresh line` }),
    ]);
    const row = page.getByTestId("log-row").filter({ hasText: `${m} fresh line` });
    await expect(row).toBeVisible({ timeout: 2_000 });
    // Only the matching line: the server filters per subscription.
    await expect(page.getByTestId("log-row")).toHaveCount(1);

    // Hidden tab: unsubscribed, nothing arrives; visible again: resumes.
    const setVisibility = (state: "hidden" | "visible") =>
      page.evaluate((s) => {
        Object.defineProperty(document, "visibilityState", { value: s, configurable: true });
        document.dispatchEvent(new Event("visibilitychange"));
      }, state);
    await setVisibility("hidden");
    await expect(page.getByTestId("live-bar")).toHaveAttribute("data-status", "hidden");
    appendLines([logfmt({ ts: new Date().toISOString(), meter: "EM-0099202", code: "E105", msg: `${m} while hidden` })]);
    await page.waitForTimeout(1_500);
    await expect(page.getByTestId("log-row")).toHaveCount(1);
    await setVisibility("visible");
    await expect(page.getByTestId("live-bar")).toHaveAttribute("data-status", "live");
    appendLines([logfmt({ ts: new Date().toISOString(), meter: "EM-0099203", code: "E105", msg: `${m} visible again` })]);
    await expect(page.getByTestId("log-row").filter({ hasText: `${m} visible again` })).toBeVisible({ timeout: 2_000 });
  });

  test("hostile lines render literally and run nothing", async ({ page }) => {
    const m = marker("hostile");
    const now = Date.now();
    const hostile = [`${m} <script>window.__pwned=1</script>`, `${m} <img src=x onerror="window.__pwned=1">`, `${m} javascript:alert(1)`, `${m} ansi \\x1b[31mRED\\x1b[0m`];
    appendLines([
      ...hostile.map((msg, i) => logfmt({ ts: new Date(now - i).toISOString(), meter: `EM-009930${i}`, code: "E105", msg })),
      JSON.stringify({ ts: new Date(now - 10).toISOString(), meter: "EM-0099310", code: "E105", msg: `${m} json \u001b[31mRED`, link: "javascript:alert(1)" }),
    ]);
    let dialogs = 0;
    page.on("dialog", async (d) => {
      dialogs++;
      await d.dismiss();
    });
    await signInAs(page, "viewer");
    const logs = new LogsPage(page);
    await logs.goto({ q: m, range: "1h", cols: "ts,sev,code,meter,msg,attrs" });
    await logs.waitForCount(5);
    const results = page.getByTestId("results");
    await expect(results).toContainText("<script>window.__pwned=1</script>");
    await expect(results).toContainText('<img src=x onerror="window.__pwned=1">');
    await expect(results).toContainText("javascript:alert(1)");
    await expect(results).toContainText("\\x1b[31mRED");
    // Expand every row: all fields incl. attrs render as text too.
    for (const row of await page.getByTestId("log-row").all()) await row.click();
    await expect(page.getByTestId("row-details")).toHaveCount(5);
    await expect(page.locator('[data-field="attrs.link"]')).toHaveText("javascript:alert(1)");
    expect(await page.locator("#main img").count()).toBe(0);
    expect(await page.locator('#main a[href^="javascript"]').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
    expect(dialogs).toBe(0);
  });

  test("export downloads a file with one row per matching line", async ({ page }) => {
    const m = marker("export");
    const now = Date.now();
    appendLines(
      Array.from({ length: 6 }, (_, i) =>
        logfmt({
          ts: new Date(now - i * 500).toISOString(),
          meter: `EM-00994${String(i).padStart(2, "0")}`,
          code: i % 2 ? "E105" : "LOW_SNR",
          msg: i === 0 ? `=cmd|' /C calc'!A0 ${m}` : `${m}, "quoted", line ${i}`,
        }),
      ),
    );
    await signInAs(page, "viewer");
    const logs = new LogsPage(page);
    await logs.goto({ q: m, range: "1h" });
    await logs.waitForCount(6);
    const count = await logs.countValue();
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-csv").click()]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^logs_${m}_\\d{8}T\\d{6}Z_\\d{8}T\\d{6}Z\\.csv$`));
    const text = fs.readFileSync((await download.path())!, "utf8");
    const lines = text.split("\r\n").filter((l) => l !== "");
    expect(lines[0]).toBe("ts,sev,code,meter,gw,msg");
    expect(lines.length - 1).toBe(count);
    expect(text).toContain(`'=cmd|' /C calc'!A0 ${m}`);
    const [nd] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-ndjson").click()]);
    const ndLines = fs
      .readFileSync((await nd.path())!, "utf8")
      .trim()
      .split("\n");
    expect(ndLines).toHaveLength(count);
    expect(JSON.parse(ndLines[0]!).msg).toContain(m);
  });

  test("search forgives: a bare code finds its lines, sev:warning suggests warn, and an empty result names its filter", async ({ page }) => {
    await signInAs(page, "viewer");
    const logs = new LogsPage(page);
    await logs.goto({ q: "E105", range: "24h" });
    // The demo's history has RF timeouts in the last day: a bare E105 is read as code:E105.
    await expect(page.getByTestId("query-interpretation")).toContainText("code:E105");
    await expect(async () => expect(await logs.countValue()).toBeGreaterThan(0)).toPass({ timeout: 20_000 });
    await expect(page.getByTestId("log-row").first().locator('[data-col="code"]')).toHaveText("E105");

    await logs.search("code:E105 sev:warning");
    await expect(page.getByTestId("did-you-mean")).toContainText("Did you mean sev:warn?");
    await expect(logs.count()).toHaveAttribute("data-count", "0");
    await expect(page.getByTestId("empty-explanation")).toContainText("No line in this time range matches sev:warning.");

    await page.getByTestId("did-you-mean-apply").click();
    await expect(page.getByTestId("query-input")).toHaveValue("code:E105 sev:warn");
    await expect.poll(() => new URL(page.url()).searchParams.get("q")).toBe("code:E105 sev:warn");
    await expect(page.getByTestId("did-you-mean")).toHaveCount(0);
  });

  test("a shared saved search reproduces the exact view for another user", async ({ page }) => {
    const name = marker("saved");
    await signInAs(page, "operator");
    const logs = new LogsPage(page);
    await logs.goto({ q: "code:E105 gw:GW-0042", range: "24h", cols: "ts,code,meter,msg", stack: "code", order: "asc" });
    await page.getByTestId("saved-searches").locator("summary").click();
    await page.getByTestId("saved-name").fill(name);
    await page.getByTestId("saved-shared").check();
    await page.getByTestId("saved-save").click();
    await expect(page.getByTestId("saved-item").filter({ hasText: name })).toBeVisible();
    await signOut(page);

    await signInAs(page, "viewer");
    await logs.goto({});
    await page.getByTestId("saved-searches").locator("summary").click();
    // A viewer may use shared searches but not share one.
    await expect(page.getByTestId("saved-shared")).toHaveCount(0);
    const item = page.getByTestId("saved-item").filter({ hasText: name });
    await expect(item.getByTestId("saved-delete")).toHaveCount(0);
    await item.getByTestId("saved-open").click();
    await expect(page).toHaveURL(/stack=code/);
    const url = new URL(page.url());
    expect(url.searchParams.get("q")).toBe("code:E105 gw:GW-0042");
    expect(url.searchParams.get("range")).toBe("24h");
    expect(url.searchParams.get("cols")).toBe("ts,code,meter,msg");
    expect(url.searchParams.get("order")).toBe("asc");
    await expect(page.getByTestId("query-input")).toHaveValue("code:E105 gw:GW-0042");
    await expect(page.getByTestId("stack-select")).toHaveValue("code");
    await expect(page.getByRole("columnheader")).toHaveText(["Time (UTC) ↑", "code", "meter", "Message"]);
  });
});
