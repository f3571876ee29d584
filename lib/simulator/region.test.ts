import { describe, expect, it } from "vitest";
import { CLIMATE_ZONES, getDistanceKm, getUtcOffsetMinutes, REGION_TIMEZONES, TEXAS } from "./region";

function getIntlOffsetMinutes(timeZone: string, ms: number): number {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" }).formatToParts(new Date(ms));
  const name = parts.find((p) => p.type === "timeZoneName")!.value; // "GMT-05:00"
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name)!;
  return (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

describe("Texas region", () => {
  it("has 30-60 towns inside the bounding box, in all four climate zones and both time zones", () => {
    const { towns, bbox } = TEXAS;
    expect(towns.length).toBeGreaterThanOrEqual(30);
    expect(towns.length).toBeLessThanOrEqual(60);
    for (const t of towns) {
      expect(t.lat).toBeGreaterThanOrEqual(bbox.minLat);
      expect(t.lat).toBeLessThanOrEqual(bbox.maxLat);
      expect(t.lon).toBeGreaterThanOrEqual(bbox.minLon);
      expect(t.lon).toBeLessThanOrEqual(bbox.maxLon);
      expect(t.population).toBeGreaterThan(0);
    }
    expect(new Set(towns.map((t) => t.climate))).toEqual(new Set(CLIMATE_ZONES));
    expect(new Set(towns.map((t) => t.timezone))).toEqual(new Set(REGION_TIMEZONES));
    expect(new Set(towns.map((t) => t.name)).size).toBe(towns.length);
  });

  it("puts towns where they are: Dallas to Houston is about 360 km, El Paso on Mountain time", () => {
    const by = (n: string) => TEXAS.towns.find((t) => t.name === n)!;
    const d = getDistanceKm(by("Dallas").lat, by("Dallas").lon, by("Houston").lat, by("Houston").lon);
    expect(d).toBeGreaterThan(350);
    expect(d).toBeLessThan(370);
    expect(by("El Paso").timezone).toBe("America/Denver");
    expect(by("Amarillo").climate).toBe("cold");
  });

  it("computes UTC offsets that agree with the platform time-zone database across DST changes", () => {
    const instants: number[] = [];
    for (let y = 2024; y <= 2027; y++) for (let h = 0; h < 24 * 366; h += 37) instants.push(Date.UTC(y, 0, 1) + h * 3_600_000);
    // The exact transition instants, both sides.
    instants.push(Date.UTC(2026, 2, 8, 7, 59, 59), Date.UTC(2026, 2, 8, 8), Date.UTC(2026, 10, 1, 6, 59, 59), Date.UTC(2026, 10, 1, 7));
    for (const tz of REGION_TIMEZONES) for (const ms of instants) expect(getUtcOffsetMinutes(tz, ms), `${tz} ${new Date(ms).toISOString()}`).toBe(getIntlOffsetMinutes(tz, ms));
  });
});
