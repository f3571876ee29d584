import { describe, expect, it } from "vitest";
import { distanceKm, planRoutes, type RouteStop } from "./routes";

const depot = { lat: 29.76, lon: -95.37 };
const stop = (id: string, dLatKm: number, dLonKm: number, workMinutes = 45): RouteStop => ({
  id,
  lat: depot.lat + dLatKm / 110.574,
  lon: depot.lon + dLonKm / (111.32 * Math.cos((depot.lat * Math.PI) / 180)),
  workMinutes,
});

describe("routes", () => {
  it("visits the nearest stop next and counts drive and work time", () => {
    const routes = planRoutes([stop("c", 10, 0), stop("a", 1, 0), stop("b", 5, 0)], { depot, dayMinutes: 480, speedKmh: 40, detour: 1 });
    expect(routes).toHaveLength(1);
    expect(routes[0]!.stops.map((s) => s.id)).toEqual(["a", "b", "c"]);
    expect(routes[0]!.workMinutes).toBe(135);
    expect(routes[0]!.km).toBeCloseTo(20, 0);
    expect(routes[0]!.driveMinutes).toBe(30);
  });

  it("starts a new route when the next stop would pass the working day, and never drops a stop", () => {
    const stops = Array.from({ length: 12 }, (_, i) => stop(`s${i}`, i, i % 3, 60));
    const routes = planRoutes(stops, { depot, dayMinutes: 300, speedKmh: 40, detour: 1.3 });
    expect(routes.length).toBeGreaterThan(2);
    expect(routes.flatMap((r) => r.stops.map((s) => s.id)).sort()).toEqual(stops.map((s) => s.id).sort());
    for (const r of routes) if (r.stops.length > 1) expect(r.driveMinutes + r.workMinutes).toBeLessThanOrEqual(300);
    expect(distanceKm(depot, depot)).toBe(0);
  });
});
