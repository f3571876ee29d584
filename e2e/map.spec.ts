// The live fleet map against the production build with the demo fleet.
import fs from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { expect, test, signInAs } from "./fixtures";
import { E2E_DATA_DIR } from "./paths";

const TAIL_FILE = path.join(E2E_DATA_DIR, "tail", "maintenance_audit.log");

type MapHook = {
  stateOf(id: string): string | null;
  project(id: string): [number, number] | null;
  ids(limit?: number): string[];
  zoomTo(id: string, zoom: number): boolean;
  trace(id: string): { ts: number | null; sentAt: number; receivedAt: number; appliedAt: number | null; shownAt: number | null } | null;
  /** Draws so far of the basemap canvas and of the data canvas. */
  draws(): { basemap: number; data: number };
};

/** Page object for /map. */
class MapPage {
  constructor(readonly page: Page) {}
  async goto(query = "") {
    await this.page.goto(`/map${query}`);
    await expect(this.root()).toHaveAttribute("data-fleet-count", /^[1-9]\d*$/, { timeout: 30_000 });
    await expect.poll(() => this.shown(), { timeout: 15_000 }).toBeGreaterThan(0);
  }
  root() {
    return this.page.getByTestId("fleet-map");
  }
  async shown() {
    return Number((await this.root().getAttribute("data-shown")) ?? 0);
  }
  async inView() {
    return Number((await this.root().getAttribute("data-in-view")) ?? 0);
  }
  legendCount(state: string) {
    return this.page.getByTestId(`legend-${state}`).getAttribute("data-count").then(Number);
  }
  /** Every legend count read in one go (live batches move meters between states between separate reads). */
  legendCounts(states: string[]): Promise<number[]> {
    return this.page.evaluate((ss) => ss.map((s) => Number(document.querySelector(`[data-testid="legend-${s}"]`)?.getAttribute("data-count"))), states);
  }
  hook<T>(fn: (m: MapHook, arg: string) => T, arg = ""): Promise<T> {
    return this.page.evaluate(([src, a]) => {
      const f = new Function("m", "a", `return (${src})(m, a)`) as (m: unknown, a: string) => T;
      return f((window as unknown as { __amiMap: unknown }).__amiMap, a);
    }, [fn.toString(), arg] as const);
  }
  /** A meter the map knows, in a given state if possible. */
  async pickMeter(prefer: string[]): Promise<string> {
    return this.hook((m, wanted) => {
      const ids = m.ids(100000);
      const order = wanted.split(",");
      for (const w of order) {
        const id = ids.find((x) => m.stateOf(x) === w);
        if (id) return id;
      }
      return ids[0]!;
    }, prefer.join(","));
  }
  async search(id: string) {
    await this.page.getByTestId("map-search").fill(id);
    await this.page.getByTestId("map-search-go").click();
  }
  drawer() {
    return this.page.getByTestId("meter-drawer");
  }
}

test.describe("fleet map", () => {
  test("renders the demo fleet with a legend, live indicator and offline basemap", async ({ page }, testInfo) => {
    const external: string[] = [];
    page.on("request", (r) => {
      const u = new URL(r.url());
      if (u.hostname !== "localhost" && u.protocol.startsWith("http")) external.push(r.url());
    });
    await signInAs(page, "operator");
    const map = new MapPage(page);
    await map.goto();
    const fleetCount = Number(await map.root().getAttribute("data-fleet-count"));
    const states = ["normal", "amber_steady", "red_blinking", "tamper", "offline", "stale", "unknown"];
    const counts = await map.legendCounts(states);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(fleetCount);
    await expect(page.getByTestId("live-indicator")).toContainText("Live", { timeout: 15_000 });
    await expect(page.locator("[data-testid=map-canvas] canvas#map-data")).toBeVisible();
    await page.waitForTimeout(1500); // let the cells and basemap draw
    const shot = await page.screenshot();
    fs.mkdirSync("docs/screenshots", { recursive: true });
    fs.writeFileSync("docs/screenshots/console.png", shot);
    await testInfo.attach("console.png", { body: shot, contentType: "image/png" });
    expect(external).toEqual([]);
  });

  test("filtering by state changes the legend total and the points in view", async ({ page }) => {
    await signInAs(page, "viewer");
    const map = new MapPage(page);
    await map.goto();
    const before = await map.shown();
    const inViewBefore = await map.inView();
    const normal = await map.legendCount("normal");
    expect(normal).toBeGreaterThan(0);
    await page.getByTestId("legend-normal").click();
    await expect(page.getByTestId("legend-normal")).toHaveAttribute("aria-pressed", "false");
    await expect.poll(() => map.shown()).toBeLessThan(before);
    await expect.poll(() => map.inView()).toBeLessThan(inViewBefore);
    expect(page.url()).toContain("state=");
    await expect(page.getByTestId("legend-total")).toContainText(`shown of`);
    // The URL is shareable: reloading keeps the filter.
    await page.reload();
    await expect(page.getByTestId("legend-normal")).toHaveAttribute("aria-pressed", "false");
  });

  test("search and a canvas click open the meter drawer with its latest lines; operators get the scheduling action", async ({ page }) => {
    await signInAs(page, "operator");
    const map = new MapPage(page);
    await map.goto();
    const id = await map.pickMeter(["normal", "amber_steady", "red_blinking", "tamper", "offline", "stale"]);
    await map.search(id);
    await expect(map.drawer()).toBeVisible();
    await expect(page.getByTestId("drawer-meter-id")).toHaveText(id);
    await expect(page.getByTestId("drawer-line").first()).toBeVisible({ timeout: 15_000 });
    await expect(page.getByTestId("action-schedule-diagnostics")).toHaveAttribute("href", `/campaigns/new?jobType=rf_analysis&meter=${id}`);
    await page.getByTestId("drawer-close").click();
    await expect(map.drawer()).toBeHidden();

    // One real click on the canvas at the meter's projected position, zoomed in so it stands alone.
    expect(await map.hook((m, a) => m.zoomTo(a, 17), id)).toBe(true);
    await expect(map.root()).toHaveAttribute("data-mode", "points");
    await page.waitForTimeout(800);
    const xy = await map.hook((m, a) => m.project(a), id);
    expect(xy).not.toBeNull();
    const box = (await page.getByTestId("map-canvas").boundingBox())!;
    await page.mouse.click(box.x + xy![0], box.y + xy![1]);
    try {
      await expect(page.getByTestId("drawer-meter-id")).toHaveText(id);
    } catch (err) {
      const pick = await map.hook((m) => (m as unknown as { lastPick(): unknown }).lastPick());
      throw new Error(`canvas click at ${xy} did not open ${id}; last pick: ${JSON.stringify(pick)}\n${err}`, { cause: err });
    }
  });

  test("a state change appended to the ingest tail recolours the meter within 2 s", async ({ page }) => {
    await signInAs(page, "viewer");
    const map = new MapPage(page);
    await map.goto();
    await expect(page.getByTestId("live-indicator")).toContainText("Live", { timeout: 15_000 });
    const [warm, ...ids] = await map.hook((m) => m.ids(100000).filter((x) => m.stateOf(x) === "normal").slice(0, 4));
    expect(ids.length).toBe(3);
    const stateOf = (meter: string) => map.hook((m, a) => m.stateOf(a), meter);
    // Warm-up: the first line also waits for the tail to discover the new file; the
    // 2 s budget below is the live path (tail -> ingest -> socket -> frame) only.
    fs.mkdirSync(path.dirname(TAIL_FILE), { recursive: true });
    // Event times two minutes ahead: the demo's live stream (100 lines/s over the fleet) may
    // send a line for the same meter meanwhile; as an older event it must not undo the change
    // (seen: a HEARTBEAT 79 ms after the E001 line set the meter back to normal, correctly).
    const eventTs = () => new Date(Date.now() + 120_000).toISOString();
    fs.appendFileSync(TAIL_FILE, `ts=${eventTs()} meter=${warm} code=E105 sev=error led=amber_steady msg="e2e warm-up"\n`);
    await expect.poll(() => stateOf(warm), { timeout: 15_000 }).toBe("amber_steady");
    // The view stays put from here: live batches redraw the data canvas, never the basemap's.
    const drawsBefore = await map.hook((m) => m.draws());
    // Three changes, a second apart: each must be on screen within 2 s, not just a lucky one.
    // "On screen" is the page's own record (lib: fleet-map.tsx trace): the animation frame
    // after deck drew the change. Polling through Playwright adds its round trip to a busy
    // renderer (seen: +370 ms under load), which no user waits for; it is reported, not held.
    for (const id of ids) {
      await page.waitForTimeout(1_000);
      const started = Date.now();
      fs.appendFileSync(TAIL_FILE, `ts=${eventTs()} meter=${id} code=E001 sev=critical led=red_blinking msg="e2e: metrology checksum != reference"\n`);
      await expect.poll(() => stateOf(id), { timeout: 10_000, intervals: [25] }).toBe("red_blinking");
      const observed = Date.now() - started;
      await expect.poll(() => map.hook((m, a) => m.trace(a)?.shownAt ?? null, id), { timeout: 5_000 }).not.toBeNull();
      const tr = (await map.hook((m, a) => m.trace(a), id))!;
      const shown = tr.shownAt! - started;
      // Where the time went: server (tail read + batch interval + insert + hub flush), socket, client apply, draw.
      const breakdown = `server ${tr.sentAt - started} ms, socket ${tr.receivedAt - tr.sentAt} ms, apply ${tr.appliedAt! - tr.receivedAt} ms, ` +
        `draw ${tr.shownAt! - tr.appliedAt!} ms; seen by the test's poll after ${observed} ms`;
      testInfo().annotations.push({ type: "recolour_ms", description: `${shown} (${breakdown})` });
      console.log(`[map e2e] recolour ${id} on screen after ${shown} ms: ${breakdown}`);
      expect.soft(shown, `on screen after ${shown} ms (${breakdown})`).toBeLessThanOrEqual(2_000);
    }
    const drawsAfter = await map.hook((m) => m.draws());
    expect(drawsAfter.data).toBeGreaterThan(drawsBefore.data + 2);
    expect(drawsAfter.basemap).toBe(drawsBefore.basemap);
  });

  test("with the positions payload held back, the cells of the view fitted to the page's extent are fetched and shown first", async ({ page }) => {
    await signInAs(page, "viewer");
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await page.route("**/api/map/fleet", async (route) => {
      await held;
      await route.continue();
    });
    // Every cells answer whose body could be read: the map aborts a request its next fit
    // superseded, and an aborted response has no body left (seen once in CI).
    const bodies: { cells: { total: number }[] }[] = [];
    page.on("response", (r) => {
      if (r.url().includes("/api/map/cells") && r.status() === 200) r.json().then((b) => bodies.push(b), () => {});
    });
    await page.goto("/map");
    await expect.poll(() => bodies.length, { timeout: 15_000 }).toBeGreaterThan(0);
    const body = bodies.at(-1)!;
    const inCells = body.cells.reduce((a, c) => a + c.total, 0);
    const root = new MapPage(page).root();
    await expect(root).toHaveAttribute("data-mode", "cells");
    // Nothing of the positions payload yet: the view and the cells came from the page's extent.
    expect(await root.getAttribute("data-fleet-count")).toBe("");
    expect(inCells).toBeGreaterThan(0);
    release();
    await expect(root).toHaveAttribute("data-fleet-count", /^[1-9]\d*$/, { timeout: 30_000 });
    const fleetCount = Number(await root.getAttribute("data-fleet-count"));
    // The fitted box spans the 1st-99th percentile on each axis: nearly the whole fleet is in those cells.
    expect(inCells).toBeGreaterThanOrEqual(Math.floor(fleetCount * 0.9));
    expect(inCells).toBeLessThanOrEqual(fleetCount);
  });

  test("a viewer sees the drawer without any scheduling action", async ({ page }) => {
    await signInAs(page, "viewer");
    const map = new MapPage(page);
    await map.goto();
    const id = await map.pickMeter(["red_blinking", "normal"]);
    await map.goto(`?meter=${id}`);
    await expect(page.getByTestId("drawer-meter-id")).toHaveText(id);
    await expect(page.getByTestId("drawer-lines").or(page.getByText("No audit lines for this meter yet."))).toBeVisible({ timeout: 15_000 });
    await expect(page.getByTestId("action-schedule-diagnostics")).toHaveCount(0);
    await expect(page.getByTestId("action-open-meter")).toHaveCount(0);
  });
});

function testInfo() {
  return test.info();
}
