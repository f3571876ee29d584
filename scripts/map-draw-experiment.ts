// What the map's first draw costs in Chromium's software renderer (SwiftShader), by
// layer: the app's basemap (LineLayer) against a PathLayer basemap, the cluster layers
// (donuts + counts), and the same draw after a warm-up that draws one item per layer.
// Figures behind basemapLayers (lib/map/layers.ts).
//   npx tsx scripts/map-draw-experiment.ts [modes=app,path,split,warm,notext,donuts,text,base]
// Figures (2026-12-02, 2 cores): app 2.8-2.9 s; without the count labels 2.3 s; donuts alone
// 1.4 s, labels alone 1.7 s, basemap alone 1.8 s (each first draw carries ~1 s of set-up).
import http from "node:http";
import { build } from "esbuild";
import { chromium } from "playwright-core";

const entry = `
  import { Deck } from "@deck.gl/core";
  import { PathLayer } from "@deck.gl/layers";
  import { loadBasemapPaths } from "@/lib/map/basemap";
  import { basemapLayers, cellDonuts, cellLayers, mapDeviceProps } from "@/lib/map/layers";
  const out = window.__r = {};
  let tm = performance.now();
  const step = (k) => { const n = performance.now(); out[k] = Math.round(n - tm); tm = n; };
  let waiters = [];
  const deck = new Deck({ parent: document.getElementById("map"), width: "100%", height: "100%", useDevicePixels: false, controller: false,
    deviceProps: mapDeviceProps(), viewState: { longitude: -98, latitude: 39, zoom: 3.6, pitch: 0, bearing: 0 }, layers: [],
    onAfterRender: () => { const w = waiters; waiters = []; for (const f of w) f(); } });
  // Shown at the second animation frame after deck issued the draws (SwiftShader runs them in the GPU process).
  const nextDraw = () => new Promise((r) => waiters.push(r)).then(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const mode = new URLSearchParams(location.search).get("mode");
  const cells = [];
  for (let i = 0; i < 123; i++) cells.push({ cx: i, cy: i, lon: -120 + (i % 12) * 4, lat: 28 + Math.floor(i / 12) * 2, counts: [5000, 300, 200, 100, 50, 20, 10], total: 5680 });
  const donuts = cellDonuts(cells, [true, true, true, true, true, true, true]);
  const basemap = await loadBasemapPaths();
  step("basemap load");
  const pathBase = (b) => [b.countries, b.states].map((data, i) => new PathLayer({ id: "path-" + i, data, getPath: (p) => p, getColor: [110, 118, 129, 200], getWidth: 1, widthUnits: "pixels" }));
  const draw = async (layers, name) => { deck.setProps({ layers }); await nextDraw(); step(name); };
  if (mode === "path") await draw([...pathBase(basemap), ...cellLayers(donuts)], "first draw, PathLayer basemap + cells");
  else if (mode === "split") { await draw(basemapLayers(basemap), "basemap alone"); await draw([...basemapLayers(basemap), ...cellLayers(donuts)], "then the cells"); }
  else if (mode === "notext") await draw([...basemapLayers(basemap), cellLayers(donuts)[0]], "first draw, basemap + donuts, no count labels");
  else if (mode === "donuts") await draw([cellLayers(donuts)[0]], "first draw, donuts alone");
  else if (mode === "text") await draw([cellLayers(donuts)[1]], "first draw, count labels alone");
  else if (mode === "base") await draw(basemapLayers(basemap), "first draw, basemap alone");
  else if (mode === "warm") {
    await draw([...basemapLayers({ countries: [basemap.countries[0]], states: [] }), ...cellLayers(donuts.slice(0, 1))], "warm-up, one item per layer");
    await draw([...basemapLayers(basemap), ...cellLayers(donuts)], "then the whole draw");
  } else await draw([...basemapLayers(basemap), ...cellLayers(donuts)], "first draw, app layers");
  deck.setProps({ viewState: { longitude: -97, latitude: 39, zoom: 3.6, pitch: 0, bearing: 0 } });
  await nextDraw();
  step("a pan after it");
  out.done = true;
`;

async function main() {
  const bundle = await build({
    stdin: { contents: entry, resolveDir: process.cwd(), loader: "ts" }, bundle: true, format: "esm", write: false, minify: true, target: "es2022",
    alias: { "@": process.cwd() }, define: { "process.env.NODE_ENV": '"production"' }, logLevel: "error",
  });
  const js = bundle.outputFiles[0]!.contents;
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith("/b.js")) return res.writeHead(200, { "content-type": "text/javascript" }).end(js);
    res.writeHead(200, { "content-type": "text/html" }).end(`<!doctype html><html><body style="margin:0"><div id="map" style="position:absolute;inset:0"></div><script type="module" src="/b.js"></script></body></html>`);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  try {
    for (const mode of (process.argv[2] ?? "app,path,split,warm").split(",")) {
      const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
      page.on("pageerror", (e) => console.log(`  page error: ${e.message}`));
      await page.goto(`http://127.0.0.1:${port}/?mode=${mode}`);
      await page.waitForFunction(() => (window as unknown as { __r?: { done?: boolean } }).__r?.done === true, null, { timeout: 120_000 });
      const r = await page.evaluate(() => (window as unknown as { __r: Record<string, number | boolean> }).__r);
      delete r.done;
      console.log(`${mode.padEnd(6)} ${Object.entries(r).map(([k, v]) => `${k} ${v} ms`).join(", ")}`);
      await page.close();
    }
  } finally {
    await browser.close();
    server.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
