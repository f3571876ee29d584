// npm run bench:map [-- --meters 1000000 --skip-browser]
// Fleet map figures on a fresh chDB: initial payload size, server time of the
// cell aggregation per zoom (map_meter_cells, 009; the 004 path as a reference),
// the cells table's build and refresh, time to apply 10 000 live state changes,
// and in Chromium (SwiftShader: software GL, no GPU) the frames of what the app
// draws - the cluster view at the fitted default zoom and a city viewport of single
// meters - under 10 000 changes/s, plus a full 1 M-point draw that the app never
// does, labelled as such. As the app, the basemap and the clusters are Canvas 2D
// canvases (lib/map/browser/canvas2d.ts) and the meters WebGL sprites (lib/map/browser/points-gl.ts)
// beside the deck, so a live batch repaints only the clusters or the meters.
// First paint as the app: the extent from the server's cache (warmed before the page,
// as the server does at start), streamed after the HTML; the payloads once the cells are in.
// BENCH_TRACE=1 prints the parts and long tasks, BENCH_PROFILE=f the first page's CPU
// profile, BENCH_TRACE_CITY=f a Chromium trace of the city scenario.
// Prints figures; the city view's frame times only when its pixels show the meters
// drawn (checked once per run; else it says so and exits 1).
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { WebMercatorViewport } from "@deck.gl/core";
import { createClickHouse } from "@/lib/clickhouse/client";
import { runClickHouseMigrations } from "@/lib/clickhouse/migrate";
import { getFleetExtent, getFleetPositions, getFleetVersion, getMapCells, getMapGateways, getMapStates, type Bbox } from "@/lib/clickhouse/queries/map";
import { syncMapCells } from "@/lib/map/server/cells-sync";
import { createExtentCache } from "@/lib/map/server/extent-cache";
import { encodeFleet, encodeStates, fnv1a } from "@/lib/map/binary";
import { gridLevelForZoom } from "@/lib/map/cells";
import { makeIndexOf } from "@/lib/map/browser/fleet-index";
import { applyPending, coalesceItems, colorInto, countStates } from "@/lib/map/browser/deltas";
import { MAP_STATES, type FleetExtent, type FleetLiveItem, type MapCell, type MapFilters } from "@/lib/map/types";

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const METERS = Number(arg("meters") ?? 1_000_000);
const SKIP_BROWSER = args.includes("--skip-browser");
const STALE = 86_400_000;
/** Centre of town 7 of the generator below (meters number % 400 = 7): a city-level viewport. */
const TOWN = [-122 + ((7 * 53) % 470) / 10, 30 + ((7 * 37) % 160) / 10];

const mb = (n: number) => (n / 1024 / 1024).toFixed(2) + " MB";
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const p95 = (a: number[]) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * 0.95))]!;

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-map-"));
  const ch = await createClickHouse({ path: path.join(dir, "ch"), database: "ami", queryTimeoutMs: 120_000 });
  try {
    await runClickHouseMigrations(ch);
    console.log(`bench:map - ${METERS.toLocaleString("en-US")} meters, chDB at ${dir}, ${os.cpus().length} cores`);
    let t = performance.now();
    // Towns: meters cluster around 400 centres across the continental US, like a utility's territory.
    await ch.execCommand({
      query: `INSERT INTO fleet_meters (meter, kind, model, gw, zone, timezone, lat, lon, installed_at, fw_metrology, fw_comms, hes_version, cert_not_after)
              SELECT concat(['EM','GM','WM'][1 + number % 3], '-', leftPad(toString(number), 8, '0')),
                     ['electric','gas','water'][1 + number % 3], 'aster-e310', concat('GW-', leftPad(toString(intDiv(number, 500) % 4000), 4, '0')),
                     ['Coastal','Desert','Alpine','Continental'][1 + (number % 400) % 4], 'UTC',
                     30 + ((number % 400) * 37 % 160) / 10 + (cityHash64(number, 1) % 20000 - 10000) / 40000,
                     -122 + ((number % 400) * 53 % 470) / 10 + (cityHash64(number, 2) % 20000 - 10000) / 30000,
                     now() - toIntervalDay(number % 3000), ['1.2.0','1.3.1','2.0.0'][1 + number % 3], ['3.1.0','3.2.0'][1 + number % 2], '4.2.0',
                     now64(3) + toIntervalDay(number % 700)
              FROM numbers({n: UInt64})`,
      params: { n: METERS },
    });
    console.log(`fleet_meters insert (-> map_meters MV): ${((performance.now() - t) / 1000).toFixed(1)} s`);
    t = performance.now();
    // One latest line per meter (93 % of meters); the rest never heard. Mix of states.
    await ch.execCommand({
      query: `INSERT INTO audit_log (ts, meter, gw, code, sev, led, id, source)
              SELECT now64(3) - toIntervalSecond(cityHash64(number, 3) % 100000), concat(['EM','GM','WM'][1 + number % 3], '-', leftPad(toString(number), 8, '0')),
                     concat('GW-', leftPad(toString(intDiv(number, 500) % 4000), 4, '0')),
                     ['HEARTBEAT','HEARTBEAT','HEARTBEAT','HEARTBEAT','HEARTBEAT','HEARTBEAT','E105','E001','E042','LAST_GASP'][1 + cityHash64(number, 4) % 10],
                     ['debug','debug','debug','debug','debug','debug','error','critical','critical','warn'][1 + cityHash64(number, 4) % 10],
                     ['green_steady','green_steady','green_steady','green_steady','green_steady','green_steady','amber_steady','red_blinking','',''][1 + cityHash64(number, 4) % 10],
                     number, 'bench'
              FROM numbers({n: UInt64}) WHERE number % 15 != 0`,
      params: { n: METERS },
    });
    console.log(`audit_log insert (-> meter_state, map_meters MVs): ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const [parts] = await ch.queryRows<{ n: string }>({
      query: "SELECT count() AS n FROM system.parts WHERE table = 'map_meters' AND active AND database = currentDatabase()",
      tag: "bench.parts",
    });
    console.log(`map_meters active parts: ${parts?.n}`);

    const ctx = () => ({ now: Date.now(), staleAfterMs: STALE });
    const timeIt = async (runs: number, fn: () => Promise<unknown>) => {
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        await fn();
        times.push(performance.now() - t0);
      }
      return { median: Math.round(median(times)), max: Math.round(Math.max(...times)) };
    };

    console.log(`\nBefore (reference): the 004 path, GROUP BY meter over map_meters and dims unpacked per read (median of 3):`);
    for (const [label, extra] of [
      ["zoom 6, whole fleet", ""],
      ["zoom 6, kind=gas fault=E105", "WHERE splitByChar('|', d)[2] = 'gas' AND fp % 32 = 3 AND intDiv(fp, 32) > lc"],
    ] as const) {
      const r = await timeIt(3, () => ch.queryRows({ query: legacyCellsSql(9, extra), params: { now: Date.now(), staleAfterMs: STALE }, tag: "bench.legacy_cells" }));
      console.log(`  ${label}: ${r.median} ms`);
    }

    t = performance.now();
    await syncMapCells(ch, { settleMs: 0 });
    console.log(`\nmap_meter_cells (009): first build ${((performance.now() - t) / 1000).toFixed(1)} s (once, on the first map request after the migration)`);
    // A second of live traffic: 10 000 meters get a line; the sync re-derives just those.
    await ch.execCommand({
      query: `INSERT INTO audit_log (ts, meter, gw, code, sev, led, id, source)
              SELECT now64(3), concat(['EM','GM','WM'][1 + n % 3], '-', leftPad(toString(n), 8, '0')), concat('GW-', leftPad(toString(intDiv(n, 500) % 4000), 4, '0')),
                     'E001', 'critical', 'red_blinking', 2000000000 + number, 'bench'
              FROM (SELECT number, cityHash64(number, 9) % {n: UInt64} AS n FROM numbers(10000))`,
      params: { n: METERS },
    });
    t = performance.now();
    const synced = await syncMapCells(ch, { settleMs: 0 });
    console.log(`  refresh of ${synced.refreshed} touched meters: ${Math.round(performance.now() - t)} ms (the loop runs every 500 ms)`);
    const [cp] = await ch.queryRows<{ n: string }>({
      query: "SELECT count() AS n FROM system.parts WHERE table = 'map_meter_cells' AND active AND database = currentDatabase()",
      tag: "bench.parts",
    });
    console.log(`  active parts now: ${cp?.n} (reads use FINAL; the figures below include it)`);

    // Initial load payload: positions, states and the version read map_meter_cells (built above).
    t = performance.now();
    const pos = await getFleetPositions(ch);
    const fleetQueryMs = performance.now() - t;
    const fleetBytes = encodeFleet({ ids: pos.ids, lon: Float32Array.from(pos.lon), lat: Float32Array.from(pos.lat) });
    const fleetGz = gzipSync(fleetBytes, { level: 6 });
    t = performance.now();
    const { states } = await getMapStates({ filters: { states: [] }, now: Date.now(), staleAfterMs: STALE }, ch);
    const statesMs = performance.now() - t;
    const statesFiltered = await timeIt(3, () => getMapStates({ filters: { states: [], kind: "gas", fault: "E105" }, ...ctx() }, ch));
    const versionR = await timeIt(3, () => getFleetVersion(ch));
    const statesBytes = encodeStates(states, fnv1a("v"));
    const statesGz = gzipSync(statesBytes, { level: 1 });
    console.log(`\nInitial load (once per fleet version + once per filter change):`);
    console.log(`  fleet ids+positions: ${mb(fleetBytes.byteLength)} raw, ${mb(fleetGz.byteLength)} gzip (query+encode ${Math.round(fleetQueryMs)} ms, cached per version)`);
    console.log(
      `  states:              ${mb(statesBytes.byteLength)} raw, ${mb(statesGz.byteLength)} gzip (query ${Math.round(statesMs)} ms; per filter change, kind=gas fault=E105: ${statesFiltered.median} ms median of 3)`,
    );
    console.log(`  fleet version check (each positions request): ${versionR.median} ms`);
    console.log(`  total on the wire:   ${mb(fleetGz.byteLength + statesGz.byteLength)} (target <= 12 MB)`);
    console.log(
      `  state mix: ${countStates(states)
        .map((n, i) => `${MAP_STATES[i]} ${n}`)
        .join(", ")}`,
    );

    console.log(`\nCell aggregation in ClickHouse, map_meter_cells (server time, median / max of 5; target <= 200 ms):`);
    const cellFigures: number[] = [];
    for (let zoom = 0; zoom < 10; zoom++) {
      const level = gridLevelForZoom(zoom);
      let cells = 0;
      const r = await timeIt(5, async () => (cells = (await getMapCells({ level, filters: { states: [] }, ...ctx() }, ch)).length));
      cellFigures.push(r.median);
      console.log(`  zoom ${zoom} (grid level ${level}), whole fleet: ${r.median} / ${r.max} ms, ${cells} cells`);
    }
    // What the page asks: the bbox of its viewport (use-map-data.ts), here 1366x768 on the densest
    // place, a town; at zoom <= 5 that viewport holds the whole fleet anyway.
    const appFigures: number[] = [];
    for (let zoom = 0; zoom < 10; zoom++) {
      const level = gridLevelForZoom(zoom);
      const [west, south, east, north] = new WebMercatorViewport({ width: 1366, height: 768, longitude: TOWN[0], latitude: TOWN[1], zoom }).getBounds() as [
        number,
        number,
        number,
        number,
      ];
      const bbox = { west: Math.max(-180, west), south: Math.max(-85, south), east: Math.min(180, east), north: Math.min(85, north) };
      let cells = 0;
      const r = await timeIt(5, async () => (cells = (await getMapCells({ level, bbox, filters: { states: [] }, ...ctx() }, ch)).length));
      appFigures.push(r.median);
      console.log(`  zoom ${zoom} (grid level ${level}), a 1366x768 viewport on a town, as the page asks: ${r.median} / ${r.max} ms, ${cells} cells`);
    }
    const filterCases: [string, MapFilters][] = [
      ["kind=gas fault=E105", { states: [], kind: "gas", fault: "E105" }],
      ["gw=GW-0042", { states: [], gw: "GW-0042" }],
      ["fw=1.2.0/3.1.0 since=24h zone=Desert", { states: [], fw: "1.2.0/3.1.0", since: "24h", zone: "Desert" }],
    ];
    for (const zoom of [2, 6, 9]) {
      for (const [label, filters] of filterCases) {
        const r = await timeIt(5, () => getMapCells({ level: gridLevelForZoom(zoom), filters, ...ctx() }, ch));
        cellFigures.push(r.median);
        console.log(`  zoom ${zoom} with ${label}: ${r.median} / ${r.max} ms`);
      }
    }
    console.log(
      `  worst median of the page's requests (viewport rows): ${Math.max(...appFigures)} ms; of the whole-fleet and filter rows (the whole fleet at every zoom, beyond any viewport from zoom 6 on): ${Math.max(...cellFigures)} ms`,
    );
    // Two viewers panning while a third changes a filter: each request's own time, median of 3 rounds.
    const conc: number[][] = [[], [], []];
    for (let r = 0; r < 3; r++) {
      const timed = async (fn: () => Promise<unknown>) => {
        const t0 = performance.now();
        await fn();
        return performance.now() - t0;
      };
      const got = await Promise.all([
        timed(() => getMapCells({ level: gridLevelForZoom(6), filters: { states: [] }, ...ctx() }, ch)),
        timed(() => getMapCells({ level: gridLevelForZoom(8), filters: { states: [] }, ...ctx() }, ch)),
        timed(() => getMapStates({ filters: { states: [], kind: "gas" }, ...ctx() }, ch)),
      ]);
      got.forEach((ms, i) => conc[i]!.push(ms));
    }
    console.log(`  concurrent (cells z6 + cells z8 + a states read at once): ${conc.map((a) => Math.round(median(a))).join(" / ")} ms`);
    const gwR = await timeIt(3, () => getMapGateways({ filters: { states: [] }, ...ctx() }, ch));
    console.log(`  gateways (4 000, unhealthy share): ${gwR.median} ms`);
    const extentR = await timeIt(5, () => getFleetExtent({ filters: { states: [] }, now: Date.now() }, ch));
    const extentGas = await timeIt(5, () => getFleetExtent({ filters: { states: [], kind: "gas" }, now: Date.now() }, ch));
    console.log(`  first-view extent (1st-99th percentile box, the map page reads it): whole fleet ${extentR.median} / max ${extentR.max} ms, kind=gas ${extentGas.median} ms`);

    // Delta merge: 10 000 changes into the 1 M-meter typed arrays.
    const visible = MAP_STATES.map(() => true);
    const arr = { states: Uint8Array.from(states), colors: new Uint8Array(states.length * 4), visible, counts: countStates(states) };
    for (let i = 0; i < arr.states.length; i++) colorInto(arr.colors, i, arr.states[i]!, visible);
    const indexOf = makeIndexOf(pos.ids); // as the page: binary search over the sorted ids
    const leds = ["red_blinking", "amber_steady", "green_steady", "off"];
    const items: FleetLiveItem[] = Array.from({ length: 10_000 }, (_, k) => ({
      meter: pos.ids[(k * 7919) % pos.ids.length]!,
      ts: Date.now() + k,
      led: leds[k % 4],
      code: "E105",
      sev: "error",
    }));
    const mergeTimes: number[] = [];
    for (let r = 0; r < 5; r++) {
      const pending = new Map<string, FleetLiveItem>();
      const t0 = performance.now();
      coalesceItems(pending, items);
      applyPending(pending, indexOf, arr);
      mergeTimes.push(performance.now() - t0);
    }
    console.log(`\nDelta merge: 10 000 changes applied in ${median(mergeTimes).toFixed(1)} ms (median of 5)`);

    if (!SKIP_BROWSER) {
      await benchBrowser(
        fleetBytes,
        statesBytes,
        (level, bbox) => getMapCells({ level, bbox, filters: { states: [] }, ...ctx() }, ch),
        () => getFleetExtent({ filters: { states: [] }, now: Date.now() }, ch),
      );
    }
  } finally {
    await ch.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The cell query as it was before 009 (004 map_meters, GROUP BY meter, dims unpacked per row), for the before/after line. */
function legacyCellsSql(level: number, where: string): string {
  const step = 360 / 2 ** level;
  return `
    SELECT cx, cy, state, count() AS n, avg(mlon) AS lon, avg(mlat) AS lat
    FROM (
      SELECT (toFloat64(bitAnd(p, 4294967295)) / 10000000 - 180) AS mlon, (toFloat64(bitAnd(bitShiftRight(p, 32), 4294967295)) / 10000000 - 90) AS mlat,
             multiIf(ls = 0, 6, lg >= ls OR lp % 8 = 1, 4, ls < {now: UInt64} - {staleAfterMs: UInt64}, 5, lt > lc, 3, lp % 8 = 6, 2, lp % 8 = 3, 1, 0) AS state,
             toInt32(floor((mlon + 180) / ${step})) AS cx, toInt32(floor((mlat + 90) / ${step})) AS cy
      FROM (SELECT meter, max(pos) AS p, max(dims) AS d, max(last_seen) AS ls, max(led) AS lp, max(last_clear_at) AS lc,
                   max(last_gasp_at) AS lg, max(last_tamper_at) AS lt, max(fault) AS fp
            FROM map_meters GROUP BY meter HAVING p > 0) ${where})
    GROUP BY cx, cy, state`;
}

/** Static pages with the app's layers (lib/map/browser/layers.ts) and delta path, in Chromium with SwiftShader. */
async function benchBrowser(
  fleetBytes: Uint8Array,
  statesBytes: Uint8Array,
  getCells: (level: number, bbox: Bbox) => Promise<MapCell[]>,
  getExtent: () => Promise<FleetExtent | null>,
) {
  const { chromium } = await import("playwright-core");
  const entry = `
    import { Deck, WebMercatorViewport } from "@deck.gl/core";
    import { decodeFleet, decodeStates } from "@/lib/map/binary";
    import { loadBasemapPaths } from "@/lib/map/browser/basemap";
    import { cellKey, cellOf, gridLevelForZoom, shouldShowPoints } from "@/lib/map/cells";
    import { applyPending, coalesceItems, colorInto, countStates } from "@/lib/map/browser/deltas";
    import { cellDonuts, mapDeviceProps } from "@/lib/map/browser/layers";
    import { createOverlayCanvas, StaticLayers } from "@/lib/map/browser/canvas2d";
    import { MeterPoints } from "@/lib/map/browser/points-gl";
    import { makeIndexOf } from "@/lib/map/browser/fleet-index";
    import { countInBox, gatherColors, inBoxDelta, padBox, selectPoints } from "@/lib/map/browser/points";
    import { MAP_STATES } from "@/lib/map/types";
    const out = window.__bench = { firstPaintMs: null, ready: false, steps: {}, marks: {}, longTasks: [] };
    const t0 = performance.now();
    try { new PerformanceObserver((l) => { for (const e of l.getEntries()) if (out.firstPaintMs === null) out.longTasks.push(Math.round(e.startTime - t0) + "+" + Math.round(e.duration)); }).observe({ type: "longtask", buffered: true }); } catch {}
    let tm = t0;
    const step = (name) => { const now = performance.now(); out.steps[name] = Math.round(now - tm); tm = now; };
    // As the app: the Deck (its WebGL device) is created at mount, while the payloads load.
    let drawWaiters = [];
    let renderStart = 0, renderMs = [], flushMs = [];
    let batchAt = null;
    let latencies = [];
    let renderedBatch = null;
    // As the app: the basemap on a Canvas 2D canvas below the deck (redrawn only when the view
    // moves), the meters (WebGL sprites) and the clusters (Canvas 2D) on canvases above it.
    const deviceProps = window.__benchDevice ?? (window.__benchMsaa === undefined ? mapDeviceProps() : { webgl: { antialias: window.__benchMsaa, preserveDrawingBuffer: window.__benchMsaa } });
    const baseCanvas = createOverlayCanvas("map-basemap"), cellsCanvas = createOverlayCanvas("map-cells");
    document.getElementById("map").prepend(baseCanvas);
    const statics = new StaticLayers(baseCanvas, cellsCanvas);
    // As the app: single meters as WebGL sprites on their own canvas above the clusters (lib/map/browser/points-gl.ts).
    const pointsCanvas = createOverlayCanvas("map-points");
    const points = new MeterPoints(pointsCanvas);
    const NO_CELLS = [];
    // As use-map-canvases.ts paint: the map's own layers drawn with deck's viewport, in deck's
    // frame when deck draws (the view moved) and in an animation frame of their own otherwise.
    const afterPaint = () => {
      renderMs.push(performance.now() - renderStart);
      const now = performance.now();
      if (batchAt !== null && batchAt.applied) { renderedBatch = { at: batchAt.at, ticks: 0 }; batchAt = null; }
      const w = drawWaiters; drawWaiters = []; for (const f of w) f(now);
    };
    const paintOverlays = () => { const vp = deck.getViewports()[0]; if (!vp) return; renderStart = performance.now(); statics.sync(vp); points.sync(vp); afterPaint(); };
    const deck = new Deck({ parent: document.getElementById("map"), id: "map-data", width: "100%", height: "100%", useDevicePixels: false, controller: false,
      deviceProps,
      viewState: { longitude: -98, latitude: 39, zoom: 3, pitch: 0, bearing: 0 },
      layers: [],
      onLoad: () => { out.marks["data deck ready"] = Math.round(performance.now() - t0); },
      onBeforeRender: () => { renderStart = performance.now(); out.marks["data deck render start"] ??= Math.round(renderStart - t0); const vp = deck.getViewports()[0]; if (vp) { statics.sync(vp); points.sync(vp); } },
      onAfterRender: () => {
        out.marks["data deck first render end"] ??= Math.round(performance.now() - t0);
        afterPaint();
      } });
    // As the app: the meters below deck's canvas (gateways and outlines over them), the clusters on top.
    baseCanvas.after(pointsCanvas);
    document.getElementById("map").append(cellsCanvas);
    step("deck created");
    // As the app: the page carries the filtered fleet's box and count (getFleetExtent), so the
    // fitted view's cells are fetched and drawn while the positions and states payloads load.
    // The payloads are decoded as soon as they arrive, as use-map-data.ts does, on the same main thread as the first draw.
    const visible = MAP_STATES.map(() => true);
    let decodeMs = 0;
    // As the app: on the first load the payloads wait for the first cells answer (at most 1.2 s, FIRST_PAYLOAD_WAIT_MS).
    let releasePayloads;
    const firstCellsIn = new Promise((r) => (releasePayloads = r));
    const payloads = Promise.race([firstCellsIn, new Promise((r) => setTimeout(r, 1200))]).then(() => Promise.all([fetch("/fleet.bin").then((r) => r.arrayBuffer()), fetch("/states.bin").then((r) => r.arrayBuffer())]).then(([fb, sb]) => {
      const t = performance.now();
      // As use-map-data.ts: decode, id lookup by binary search (no Map), colours.
      const fleet = decodeFleet(fb);
      const { states } = decodeStates(sb);
      const n = fleet.ids.length;
      const indexOf = makeIndexOf(fleet.ids);
      const arr = { states, colors: new Uint8Array(n * 4), visible, counts: countStates(states) };
      for (let i = 0; i < n; i++) colorInto(arr.colors, i, states[i], visible);
      decodeMs = Math.round(performance.now() - t);
      return { fleet, states, n, indexOf, arr, at: performance.now() };
    }));
    // As FleetMap's initialExtent prop: a promise the page's stream resolves after the HTML.
    const extent = await window.__extentP;
    const extentAt = Math.round(performance.now() - t0);

    const W = window.innerWidth, H = window.innerHeight;
    const bboxOf = (v) => { const [w, s, e, nn] = new WebMercatorViewport({ ...v, width: W, height: H }).getBounds(); return { west: Math.max(-180, w), south: Math.max(-85, s), east: Math.min(180, e), north: Math.min(85, nn) }; };
    // The app's default view: fitted to the 1st-99th percentile box of the fleet.
    const fit = new WebMercatorViewport({ width: W, height: H }).fitBounds([[extent.west - 0.01, extent.south - 0.01], [extent.east + 0.01, extent.north + 0.01]], { padding: 60 });
    const defaultView = { longitude: fit.longitude, latitude: fit.latitude, zoom: Math.min(13, fit.zoom), pitch: 0, bearing: 0 };
    // Draw calls are issued in onAfterRender but SwiftShader runs them in the GPU process:
    // the frame counts as shown at the second animation frame after it.
    const nextDraw = () => new Promise((r) => drawWaiters.push(r)).then(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const level0 = gridLevelForZoom(defaultView.zoom);
    const b0 = bboxOf(defaultView);
    const mark = (k) => (v) => { out.marks[k] = Math.round(performance.now() - t0); return v; };
    out.marks = { ...out.marks, "extent arrived": extentAt };
    const [basemap, cells0] = await Promise.all([
      loadBasemapPaths().then(mark("basemap loaded")),
      fetch("/cells?level=" + level0 + "&bbox=" + [b0.west, b0.south, b0.east, b0.north].join(",")).then((r) => r.json()).then(mark("cells fetched")).finally(() => releasePayloads()),
    ]);
    step("cells fetch + basemap");
    const donuts0 = cellDonuts(cells0, visible);
    statics.basemap = basemap;
    // As the app: the clusters are Canvas 2D, painted with deck's viewport for the fitted view.
    const firstDrawn = nextDraw();
    statics.cells = donuts0;
    deck.setProps({ viewState: defaultView, layers: [] });
    paintOverlays();
    await firstDrawn;
    step("first draw");
    out.firstPaintMs = performance.now() - t0;
    // Since the navigation started (the page request): the server's extent read, the HTML, the bundle's load and evaluation included.
    out.firstPaintSinceNavigation = performance.now();
    out.scriptStartedAt = t0;
    const { fleet, states, n, indexOf, arr, at: decodedAt } = await payloads;
    out.steps["positions + states fetched and decoded, at"] = Math.round(decodedAt - t0);
    out.steps["of which decode + index + colours"] = decodeMs;
    tm = performance.now();
    const positions = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) { positions[2 * i] = fleet.lon[i]; positions[2 * i + 1] = fleet.lat[i]; }
    let version = 0;
    const inViewOf = (v) => countInBox(fleet.lon, fleet.lat, arr.states, visible, bboxOf(v));
    out.ready = true;
    const leds = ["red_blinking", "amber_steady", "green_steady", "off"];
    let k = 0;
    // The meters canvas read back right after a draw (its drawing buffer is valid until the
    // frame is composited): per meter in view, is its centre pixel opaque, and in its own
    // state colour (a neighbour drawn later may cover it)? A program that failed to link
    // draws nothing: 0 of N.
    const checkPixels = (sel) => {
      const vp = deck.getViewports()[0];
      points.setColors(gatherColors(sel.indices, arr.colors)); // a new array: the next sync draws
      points.sync(vp);
      const c2 = document.createElement("canvas");
      c2.width = pointsCanvas.width; c2.height = pointsCanvas.height;
      const g = c2.getContext("2d", { willReadFrequently: true });
      g.drawImage(pointsCanvas, 0, 0);
      const px = g.getImageData(0, 0, c2.width, c2.height).data;
      let expected = 0, opaque = 0, own = 0;
      for (let k = 0; k < sel.indices.length; k++) {
        const i = sel.indices[k];
        if (arr.colors[4 * i + 3] === 0) continue;
        const [x, y] = vp.project([fleet.lon[i], fleet.lat[i]]);
        const X = Math.floor(x), Y = Math.floor(y);
        if (X < 0 || Y < 0 || X >= c2.width || Y >= c2.height) continue;
        expected++;
        const o = 4 * (Y * c2.width + X);
        if (px[o + 3] < 230) continue;
        opaque++;
        if (Math.abs(px[o] - arr.colors[4 * i]) <= 12 && Math.abs(px[o + 1] - arr.colors[4 * i + 1]) <= 12 && Math.abs(px[o + 2] - arr.colors[4 * i + 2]) <= 12) own++;
      }
      // Every centre covered (by its own sprite or one drawn over it), and most in their own colour.
      return { expected, opaque, own, ok: expected > 0 && opaque >= expected * 0.99 && own >= expected * 0.5, error: points.error };
    };
    window.__scenario = async (name, seconds, town) => {
      let view, layers, byKey = null, level = 0, selected = 0, pointsSel = null;
      points.setSelection(null, deck.getViewports()[0]);
      if (name === "cells") {
        view = defaultView; level = gridLevelForZoom(view.zoom);
        const b = bboxOf(view);
        const cells = await fetch("/cells?level=" + level + "&bbox=" + [b.west, b.south, b.east, b.north].join(",")).then((r) => r.json());
        byKey = new Map(cells.map((c) => [cellKey(c.cx, c.cy), c]));
        layers = () => { statics.cells = cellDonuts([...byKey.values()], visible); return []; };
      } else if (name === "city") {
        // As the app: only the meters within 3x the viewport go into the layer (lib/map/browser/points.ts).
        view = { longitude: town[0], latitude: town[1], zoom: 11, pitch: 0, bearing: 0 };
        const sel = selectPoints(fleet.lon, fleet.lat, padBox(bboxOf(view), 3), view.zoom);
        selected = sel.indices.length;
        layers = () => { points.setColors(gatherColors(sel.indices, arr.colors)); return []; };
        pointsSel = sel;
      } else {
        view = { longitude: -98, latitude: 38, zoom: 3.6, pitch: 0, bearing: 0 };
        // Every meter as sprites at once: what the viewport selection (lib/map/browser/points.ts) avoids.
        layers = () => { points.setColors(arr.colors); return []; };
        pointsSel = { indices: new Uint32Array(0), positions };
      }
      const box = bboxOf(view);
      let inView = inViewOf(view);
      const appMode = shouldShowPoints(view.zoom, inView) ? "points" : "cells";
      let t = performance.now();
      if (name !== "cells") statics.cells = NO_CELLS;
      const drawn = nextDraw();
      deck.setProps({ viewState: view, layers: layers() });
      if (pointsSel) points.setSelection(pointsSel, deck.getViewports()[0]);
      deck.redraw("scenario");
      await drawn;
      const setupDrawMs = performance.now() - t;
      // Once per run: the sprites' pixels, so a program that draws nothing (or elsewhere) is reported, not timed.
      const pixels = name === "city" ? checkPixels(pointsSel) : null;
      if (seconds === 0) return { setupDrawMs, inView, appMode };
      if (pixels && !pixels.ok) return { setupDrawMs, inView, appMode, pixels };
      latencies = []; batchAt = null; renderedBatch = null; renderMs = []; flushMs = [];
      const pending = new Map();
      let raf = null, applied = 0;
      const flush = () => {
        const f0 = performance.now();
        raf = null;
        const changed = applyPending(pending, indexOf, arr);
        applied += changed.length;
        if (byKey) for (const ch of changed) { const { cx, cy } = cellOf(fleet.lon[ch.index], fleet.lat[ch.index], level); const c = byKey.get(cellKey(cx, cy)); if (c) { c.counts[ch.from]--; c.counts[ch.to]++; } }
        version++;
        inView += inBoxDelta(changed, fleet.lon, fleet.lat, visible, box); // as the app: in-view count kept by the changes, no rescan
        deck.setProps({ layers: layers() });
        if (name !== "full") paintOverlays(); // as the app: new clusters or colours are painted in this frame, deck untouched
        flushMs.push(performance.now() - f0);
        if (batchAt) batchAt.applied = true;
      };
      const frames = [];
      await new Promise((resolve) => {
        const batch = 2500; // 10 000/s as 4 socket batches per second (hub FLUSH_MS = 250)
        const timer = setInterval(() => {
          const items = [];
          for (let j = 0; j < batch; j++, k++) items.push({ meter: fleet.ids[(k * 7919) % n], led: leds[(k + Math.floor(k / n)) % 4], code: "E105", sev: "error" });
          coalesceItems(pending, items);
          batchAt ??= { at: performance.now(), applied: false };
          raf ??= requestAnimationFrame(flush);
        }, 250);
        let last = performance.now();
        const end = last + seconds * 1000;
        const tick = (now) => { frames.push(now - last); last = now; if (renderedBatch && ++renderedBatch.ticks === 2) { latencies.push(now - renderedBatch.at); renderedBatch = null; } if (now < end) requestAnimationFrame(tick); else { clearInterval(timer); resolve(); } };
        requestAnimationFrame(tick);
      });
      return { setupDrawMs, inView, appMode, frames: frames.slice(3), latencies, applied, cells: byKey ? byKey.size : 0, selected, renderMs, flushMs, pixels };
    };
  `;
  const bundle = await build({
    stdin: { contents: entry, resolveDir: process.cwd(), loader: "ts" },
    bundle: true,
    format: "esm",
    write: false,
    minify: true,
    target: "es2022",
    alias: { "@": process.cwd() },
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "error",
  });
  const js = bundle.outputFiles[0]!.contents;
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      ...(process.env.BENCH_CHROMIUM_ARGS ?? "").split(" ").filter(Boolean),
    ],
  });
  const servers: http.Server[] = [];
  const extentMs: number[] = [];
  // As app/(console)/map/page.tsx: the extent through the server's cache (lib/map/server/extent-cache.ts).
  const extents = createExtentCache(() => getExtent());
  let warmExtentMs: number;
  try {
    const files: Record<string, { body: Buffer; type: string }> = {
      "/bench.js": { body: Buffer.from(js), type: "text/javascript" },
      "/fleet.bin": { body: Buffer.from(fleetBytes), type: "application/octet-stream" },
      "/states.bin": { body: Buffer.from(statesBytes), type: "application/octet-stream" },
    };
    const errors: string[] = [];
    let pageAt = 0;
    /** A page running the bench entry; `lumaDefaults`: luma.gl's context attributes (MSAA, preserveDrawingBuffer) instead of mapDeviceProps. */
    // A local HTTP server, as the app's pages are served: Playwright's request interception
    // passes bodies through the DevTools pipe, where the 9 MB payloads held up the small
    // requests behind them (the extent waited 2.9 s).
    const server = http.createServer((req, res) => {
      void (async () => {
        const url = new URL(req.url ?? "/", "http://bench.local");
        const json = (v: unknown) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(v));
        if (url.pathname === "/") {
          // As app/(console)/map/page.tsx: the page is sent at once, the extent read meanwhile
          // and streamed after it (a promise prop), so the bundle loads during the read.
          res
            .writeHead(200, { "content-type": "text/html" })
            .write(
              `<!doctype html><html><body style="margin:0;background:#0d1117"><div id="map" style="position:absolute;inset:0"></div>` +
                `<script>window.__extentP = new Promise((r) => { window.__setExtent = r; });</script><script type="module" async src="/bench.js"></script>`,
            );
          pageAt = performance.now();
          const t = performance.now();
          const extent = await extents.get({ states: [] });
          extentMs.push(performance.now() - t);
          return res.end(`<script>window.__setExtent(${JSON.stringify(extent)});</script></body></html>`);
        }
        if (url.pathname === "/cells") {
          // What /api/map/cells answers, from the same chDB.
          const [west, south, east, north] = url.searchParams.get("bbox")!.split(",").map(Number) as [number, number, number, number];
          const t = performance.now();
          const cells = await getCells(Number(url.searchParams.get("level")), { west, south, east, north });
          if (process.env.BENCH_TRACE)
            console.log(`  [server] cells arrived at ${Math.round(t - pageAt)} ms after the page was sent, answered in ${Math.round(performance.now() - t)} ms`);
          return json(cells);
        }
        const f = files[url.pathname];
        if (process.env.BENCH_TRACE) console.log(`  [server] ${url.pathname} at ${Math.round(performance.now() - pageAt)} ms`);
        return f ? res.writeHead(200, { "content-type": f.type }).end(f.body) : res.writeHead(404).end();
      })().catch((err: unknown) => res.writeHead(500).end(String(err)));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    servers.push(server);
    const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const open = async (lumaDefaults: boolean) => {
      const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
      // BENCH_DEVICE='{"webgl":{...}}': other context attributes for the first page (experiments).
      if (process.env.BENCH_DEVICE && !lumaDefaults)
        await page.addInitScript((d) => {
          (window as unknown as { __benchDevice: unknown }).__benchDevice = JSON.parse(d);
        }, process.env.BENCH_DEVICE);
      if (lumaDefaults)
        await page.addInitScript(() => {
          (window as unknown as { __benchMsaa: boolean }).__benchMsaa = true;
        });
      page.on("pageerror", (e) => errors.push(e.message));
      page.setDefaultTimeout(300_000);
      // BENCH_PROFILE=file.cpuprofile: the first page's main thread profiled from the request to ready (open it in DevTools).
      const profile = process.env.BENCH_PROFILE && !lumaDefaults ? await page.context().newCDPSession(page) : null;
      if (profile) {
        await profile.send("Profiler.enable");
        await profile.send("Profiler.setSamplingInterval", { interval: 200 });
        await profile.send("Profiler.start");
      }
      await page.goto(`${origin}/`);
      await page.waitForFunction(() => (window as unknown as { __bench?: { ready: boolean } }).__bench?.ready === true, null, { timeout: 300_000 });
      if (profile) fs.writeFileSync(process.env.BENCH_PROFILE!, JSON.stringify((await profile.send("Profiler.stop")).profile));
      return page;
    };
    // The browser is started and its GPU process (SwiftShader) brought up by a blank WebGL page
    // first: the figure is the map page's first paint in a running browser, not the browser's
    // start-up. That page compiles none of the map's shaders.
    const warm = await browser.newPage();
    await warm.setContent(`<canvas id="c"></canvas>`);
    await warm.evaluate(
      () =>
        new Promise<void>((resolve) => {
          const gl = (document.getElementById("c") as HTMLCanvasElement).getContext("webgl2")!;
          gl.clearColor(0, 0, 0, 1);
          gl.clear(gl.COLOR_BUFFER_BIT);
          requestAnimationFrame(() => requestAnimationFrame(() => resolve()));
        }),
    );
    await warm.close();
    // As the server once the map's cells are built (cells-sync.ts): the unfiltered extent read into its cache.
    const tw = performance.now();
    await extents.refresh({ states: [] });
    warmExtentMs = performance.now() - tw;
    let page = await open(false);
    const { firstPaintSinceNavigation, scriptStartedAt, steps, marks, longTasks } = await page.evaluate(
      () =>
        (
          window as unknown as {
            __bench: { firstPaintSinceNavigation: number; scriptStartedAt: number; steps: Record<string, number>; marks: Record<string, number>; longTasks: string[] };
          }
        ).__bench,
    );
    if (process.env.BENCH_TRACE) console.log(`  [page] long tasks before the first paint (start+duration ms since the script started): ${longTasks.join(", ")}`);
    const renderer = await page.evaluate(() => {
      const gl = document.createElement("canvas").getContext("webgl2");
      const ext = gl?.getExtension("WEBGL_debug_renderer_info");
      return ext ? String(gl!.getParameter(ext.UNMASKED_RENDERER_WEBGL)) : "unknown";
    });
    type Pixels = { expected: number; opaque: number; own: number; ok: boolean; error: string | null };
    type Result = {
      setupDrawMs: number;
      inView: number;
      appMode: string;
      frames?: number[];
      latencies?: number[];
      applied?: number;
      cells?: number;
      selected?: number;
      renderMs?: number[];
      flushMs?: number[];
      pixels?: Pixels | null;
    };
    const run = (name: string, seconds: number, p = page) =>
      p.evaluate(([nm, sec, town]) => (window as unknown as { __scenario: (a: string, b: number, c: number[]) => Promise<Result> }).__scenario(nm, sec, town), [
        name,
        seconds,
        TOWN,
      ] as const);
    const fmt = (r: Result) => {
      const f = r.frames!.length ? r.frames! : [NaN];
      const l = r.latencies!.length ? r.latencies! : [NaN];
      return (
        `${r.frames!.length} frames, interval median ${median(f).toFixed(0)} ms / p95 ${p95(f).toFixed(0)} ms / max ${Math.max(...f).toFixed(0)} ms; ` +
        `batch-to-shown median ${median(l).toFixed(0)} ms / max ${Math.max(...l).toFixed(0)} ms; ${r.applied} changes applied; ` +
        `per batch on the main thread: apply + layers ${median(r.flushMs!.length ? r.flushMs! : [NaN]).toFixed(1)} ms, paint (issuing draws) ${median(r.renderMs!.length ? r.renderMs! : [NaN]).toFixed(1)} ms median`
      );
    };
    console.log(`\nBrowser: Chromium with ${renderer} - software rendering on the CPU, no GPU; 1366x768; 10 000 changes/s fleet-wide as 4 batches/s:`);
    const pageRead = extentMs[0] ?? NaN;
    console.log(
      `  first paint as the app does it (the page request, the extent read on the server while the page loads, then in the browser the cells of the view fitted to it fetched and drawn, the positions and states payloads fetched once the cells are in): ` +
        `${Math.round(firstPaintSinceNavigation)} ms from the page request (target <= 3000 ms); the script started at ${Math.round(scriptStartedAt)} ms ` +
        `(the HTML and the bundle's load and evaluation; the server's extent, streamed after the HTML, came from its cache in ${Math.round(pageRead)} ms; the read into the cache before, as the server does at start, took ${Math.round(warmExtentMs)} ms), then ${Object.entries(
          steps,
        )
          .map(([k, v]) => `${k} ${v} ms`)
          .join(", ")}` +
        `; since the script started: ${Object.entries(marks)
          .sort((a, b) => a[1] - b[1])
          .map(([k, v]) => `${k} at ${v} ms`)
          .join(", ")}`,
    );
    const cells = await run("cells", 6);
    console.log(`  cluster view at the default zoom (app mode: ${cells.appMode}, ${cells.cells} cells, ${cells.inView.toLocaleString("en-US")} meters in view): ${fmt(cells)}`);
    // BENCH_TRACE_CITY=file.json: a Chromium trace (all processes, the GPU's included) of the city scenario.
    if (process.env.BENCH_TRACE_CITY)
      await browser.startTracing(page, {
        path: process.env.BENCH_TRACE_CITY,
        categories: ["toplevel", "gpu", "viz", "cc", "blink", "v8", "disabled-by-default-devtools.timeline", "benchmark", "latencyInfo"],
      });
    const city = await run("city", 6);
    if (process.env.BENCH_TRACE_CITY) await browser.stopTracing();
    const px = city.pixels!;
    const pixelsLine = `pixels checked once: ${px.opaque.toLocaleString("en-US")} of ${px.expected.toLocaleString("en-US")} meters in view have a sprite at their centre, ${px.own.toLocaleString("en-US")} in their own state colour (the rest covered by a neighbour drawn later)`;
    if (!px.ok) {
      // A program that draws nothing is fast: its frame times are not figures.
      console.log(`  city viewport, zoom 11: NOT DRAWN - ${pixelsLine}${px.error ? `; meters program: ${px.error}` : ""}. Frame times not reported.`);
      process.exitCode = 1;
    } else {
      console.log(
        `  city viewport, zoom 11 (app mode: ${city.appMode}, ${city.inView.toLocaleString("en-US")} meters in view, ${city.selected!.toLocaleString("en-US")} in the layer = 3x margin; ${pixelsLine}): ${fmt(city)}`,
      );
      const full = await run("full", 0);
      console.log(
        `  NOT what the app draws - all ${METERS.toLocaleString("en-US")} meters as sprites at zoom 3.6 (the app shows ${full.appMode} there): the first draw, with the upload, took ${(full.setupDrawMs / 1000).toFixed(1)} s`,
      );
    }
    await page.close();
    // Before/after of the context attributes: the same cluster view with luma.gl's defaults.
    page = await open(true);
    const ref = await run("cells", 6);
    console.log(`  reference, luma.gl's default context (4x MSAA + preserveDrawingBuffer), cluster view: ${fmt(ref)}`);
    console.log(`  (frame target <= 33 ms; SwiftShader figures are a CPU-rendering worst case, a GPU draws these layers in a few ms)`);
    if (errors.length) console.log(`  page errors: ${errors.join("; ")}`);
  } finally {
    await browser.close();
    for (const s of servers) s.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
