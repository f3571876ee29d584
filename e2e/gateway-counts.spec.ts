// One gateway, one number: the interfered gateway followed from the faults page to the map and
// to a campaign preview by clicking links; every count on the way is compared with a direct
// count made here from other reads of the same data (the log export, the map's gateway list).
import type { APIRequestContext, Page } from "@playwright/test";
import type { MapGateway } from "@/lib/map/types";
import { expect, test, saveScreenshot, signInAs } from "./fixtures";
import { canvasSize, projector, shootSpot, type RGB } from "./map-screen";

const DAY = 86_400_000;
/** Gateway discs (use-map-canvases.ts GATEWAY_RGB). */
const GATEWAY_VIOLET: RGB = [163, 113, 247];

interface DirectCounts {
  /** Meters drawn behind the gateway on the map (map_meter_cells, not fleet_meters). */
  behind: number;
  /** Distinct meters with an E105 line on the gateway in the last 24 h (the log export). */
  withE105: number;
  /** Meters the map shows for ?fault=E105&gw=…&since=24h. */
  openE105: number;
  /** Meters the map counts unhealthy behind the gateway, without filters. */
  unhealthy: number;
}

/** `since`: start of the export's window (default 24 h ago); earlier to cover a page rendered a while ago. */
async function directCounts(request: APIRequestContext, gw: string, since?: number): Promise<DirectCounts> {
  const to = Date.now();
  const params = new URLSearchParams({ q: `code:E105 gw:${gw}`, from: new Date(since ?? to - DAY).toISOString(), to: new Date(to).toISOString(), cols: "meter", format: "ndjson" });
  const exported = await request.get(`/api/logs/export?${params}`);
  expect(exported.status()).toBe(200);
  const meters = new Set(
    (await exported.text())
      .split("\n")
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { meter: string }).meter),
  );
  const gateway = async (query: string) => {
    const res = await request.get(`/api/map/gateways${query}`);
    expect(res.status()).toBe(200);
    const { gateways } = (await res.json()) as { gateways: Array<{ gw: string; meters: number; unhealthy: number }> };
    return gateways.find((g) => g.gw === gw) ?? { gw, meters: 0, unhealthy: 0 };
  };
  const all = await gateway("");
  const open = await gateway(`?${new URLSearchParams({ fault: "E105", gw, since: "24h" })}`);
  return { behind: all.meters, withE105: meters.size, openE105: open.meters, unhealthy: all.unhealthy };
}

/** The numbers a page shows, read in one go (live lines move them between separate reads). */
async function sliceCounts(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll("[data-testid^=slice-count-]")].map((e) => [e.getAttribute("data-testid")!.slice("slice-count-".length), Number(e.getAttribute("data-value"))]),
    ),
  );
}

test("operator follows the interfered gateway from the faults page to the map and a campaign preview; every count agrees with a direct count", async ({ page }) => {
  test.setTimeout(240_000);
  await signInAs(page, "operator");
  await page.goto("/faults?window=24h");
  const e105 = page.locator('[data-testid="matrix-row"][data-signature="E105"]');
  await expect(async () => {
    await page.reload();
    expect(Number(((await e105.getByTestId("events").textContent({ timeout: 2_000 })) ?? "0").replace(/,/g, ""))).toBeGreaterThan(0);
  }).toPass({ timeout: 120_000, intervals: [2_000, 5_000] });

  // Faults: the root cause names the gateway; its cell says what it counts.
  const renderedAt = Date.now(); // the root cause's 24 h end no earlier than this
  await e105.getByTestId("select-signature").click();
  const gatewayDimension = page.locator('[data-testid="root-cause-dimension"][data-dimension="gateway"]');
  const gw = (await gatewayDimension.getAttribute("data-top"))!;
  expect(gw).toMatch(/^GW-\d+$/);
  const cell = gatewayDimension.getByTestId("root-cause-cell").filter({ has: page.getByTestId("cell-value").getByText(gw, { exact: true }) });
  await expect(cell.getByTestId("cell-affected")).toHaveText(new RegExp(`^[\\d,]+ of [\\d,]+ behind ${gw}$`));
  await expect(gatewayDimension.locator("th", { hasText: "Meters with E105 in the last 24 h" })).toBeVisible();
  const affected = Number(await cell.getByTestId("cell-affected").getAttribute("data-affected"));
  const behindInCell = Number(await cell.getByTestId("cell-affected").getAttribute("data-meters"));
  let direct = await directCounts(page.request, gw);
  expect(behindInCell).toBe(direct.behind);
  // Lines keep streaming in and the 24 h window slides: a count from the page's window start to
  // now holds every meter the page counted, and those heard since.
  expect(affected).toBeLessThanOrEqual((await directCounts(page.request, gw, renderedAt - DAY)).withE105);
  expect(affected).toBeGreaterThan(0);

  // Narrowed to the gateway (a click on it): the counts of that slice, each saying what it counts.
  await cell.getByTestId("cell-value").click();
  await expect(page).toHaveURL(new RegExp(`/faults\\?.*gw=${gw}`));
  await expect(async () => {
    await page.reload();
    const shown = await sliceCounts(page);
    direct = await directCounts(page.request, gw);
    expect(shown).toEqual({ meters: direct.behind, withFault: direct.withE105, withOpenFault: direct.openE105, unhealthy: direct.unhealthy });
  }).toPass({ timeout: 60_000, intervals: [1_000, 2_000, 5_000] });
  await expect(page.getByTestId("slice-count-meters")).toContainText(`${direct.behind.toLocaleString("en")} meters behind ${gw}`);
  await expect(page.getByTestId("slice-count-withFault")).toContainText(/^[\d,]+ with E105 in the last 24 h/);
  await expect(page.getByTestId("slice-count-withOpenFault")).toContainText(/^[\d,]+ with E105 open now/);
  await expect(page.getByTestId("slice-count-unhealthy")).toContainText(/^[\d,]+ unhealthy now/);
  await expect(page.getByTestId("root-cause-totals")).toContainText(new RegExp(`with E105 in the last 24 h of ${direct.behind.toLocaleString("en")} meters behind ${gw}`));
  await page.evaluate(() => window.scrollTo(0, 0));
  await saveScreenshot(page, "faults");

  // The map link: the same gateway, fault and window in the map's URL.
  const faultsUrl = page.url();
  await page.getByTestId("slice-map-link").click();
  await expect(page).toHaveURL(/\/map\?/);
  expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({ fault: "E105", gw, since: "24h" });
  await expect(page.getByRole("heading", { name: "Fleet map" })).toBeVisible();

  // The gateway's popup, opened by a click on its disc: the same counts, with the map's filters.
  // The view is put over the gateway with the map's own link parameter (at=), so the test knows
  // where the disc is drawn; it clicks there only once the canvas shows the gateway's violet.
  const mapLink = page.url();
  const gateways = ((await (await page.request.get("/api/map/gateways")).json()) as { gateways: MapGateway[] }).gateways;
  const gateway = gateways.find((g) => g.gw === gw)!;
  expect(gateway).toBeTruthy();
  await page.goto(`${mapLink}&at=14/${gateway.lat}/${gateway.lon}`);
  await expect(page.getByTestId("fleet-map")).toHaveAttribute("data-mode", "points", { timeout: 30_000 });
  const { width, height } = await canvasSize(page);
  const [gx, gy] = projector({ longitude: gateway.lon, latitude: gateway.lat, zoom: 14 }, width, height)(gateway.lon, gateway.lat);
  await expect.poll(async () => (await shootSpot(page, gx, gy, 3)).anyNear(gx, gy, 2, GATEWAY_VIOLET, 30), { timeout: 20_000 }).toBe(true);
  const panel = page.getByTestId("gateway-panel");
  await expect(async () => {
    if (await panel.isVisible()) await panel.getByRole("button", { name: "Close gateway" }).click();
    await page.getByTestId("map-canvas").click({ position: { x: gx, y: gy } });
    await expect(panel).toHaveAttribute("data-gw", gw, { timeout: 5_000 });
    await expect(panel.getByTestId("gateway-counts")).toBeVisible({ timeout: 15_000 });
    const shown = await sliceCounts(page);
    direct = await directCounts(page.request, gw);
    expect(shown).toEqual({ meters: direct.behind, withFault: direct.withE105, withOpenFault: direct.openE105, unhealthy: direct.unhealthy });
  }).toPass({ timeout: 90_000, intervals: [1_000, 2_000, 5_000] });
  await expect(panel.getByTestId("slice-count-meters")).toHaveText(`${direct.behind.toLocaleString("en")} meters behind ${gw}`);
  await expect(panel.getByTestId("slice-count-withFault")).toHaveText(/^[\d,]+ with E105 in the last 24 h$/);
  await expect(panel.getByTestId("slice-count-withOpenFault")).toHaveText(/^[\d,]+ with E105 open now$/);
  await expect(panel.getByTestId("slice-count-unhealthy")).toHaveText(/^[\d,]+ unhealthy now$/);
  await expect(panel).not.toContainText("%");
  await saveScreenshot(page, "map-gateway");

  // Back on the faults page, the campaign link: the preview matches the meters with E105 behind it.
  // (The map's own history entries sit between: back to the faults page by its address.)
  await page.goto(faultsUrl);
  await expect(page.getByTestId("slice-counts")).toBeVisible();
  await page.getByTestId("slice-schedule-link").click();
  await expect(page).toHaveURL(/\/campaigns\/new\?/);
  expect(Object.fromEntries(new URL(page.url()).searchParams)).toMatchObject({ jobType: "rf_analysis", fault: "E105", days: "1", gw });
  await expect(page.getByTestId("new-campaign-form")).toBeVisible();
  await expect(async () => {
    await page.getByTestId("preview-button").click();
    await expect(page.getByTestId("plan-preview")).toBeVisible({ timeout: 30_000 });
    const matched = Number((await page.getByTestId("plan-matched").textContent())!.replace(/,/g, ""));
    direct = await directCounts(page.request, gw);
    expect(matched).toBe(direct.withE105);
  }).toPass({ timeout: 90_000, intervals: [1_000, 2_000, 5_000] });
  await expect(page.getByTestId("plan-matched-what")).toHaveText(`meters behind ${gw} with E105 in the last 24 h`);
  await saveScreenshot(page, "campaign-preview");
});
