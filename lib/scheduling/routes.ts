// A district's day of field orders as routes (issue #27 §5): nearest neighbour from the depot,
// a route closes when the next stop would pass the working day; drive time from straight-line
// distance at an average road speed with a detour factor. Pure.
export interface RouteStop {
  id: string;
  lat: number;
  lon: number;
  /** Work on site, minutes. */
  workMinutes: number;
}

export interface Route {
  stops: RouteStop[];
  driveMinutes: number;
  workMinutes: number;
  km: number;
}

export interface RouteOptions {
  depot: { lat: number; lon: number };
  /** Minutes a technician works in a day, driving included. */
  dayMinutes: number;
  /** Average road speed, km/h. */
  speedKmh: number;
  /** Road distance over straight-line distance. */
  detour: number;
}

export const DEFAULT_ROUTE_OPTIONS: Omit<RouteOptions, "depot"> = { dayMinutes: 8 * 60, speedKmh: 40, detour: 1.3 };

export function distanceKm(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const r = Math.PI / 180;
  const dLat = (b.lat - a.lat) * r;
  const dLon = (b.lon - a.lon) * r;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * r) * Math.cos(b.lat * r) * Math.sin(dLon / 2) ** 2;
  return 6371 * 2 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Routes for one day, each starting and ending at the depot; a stop longer than a day gets a route of its own. */
export function planRoutes(stops: readonly RouteStop[], o: RouteOptions): Route[] {
  const left = [...stops].sort((a, b) => (a.id < b.id ? -1 : 1));
  const driveMin = (km: number) => ((km * o.detour) / o.speedKmh) * 60;
  const routes: Route[] = [];
  while (left.length) {
    const route: Route = { stops: [], driveMinutes: 0, workMinutes: 0, km: 0 };
    let at = o.depot;
    for (;;) {
      let best = -1;
      let bestKm = Infinity;
      for (let i = 0; i < left.length; i++) {
        const km = distanceKm(at, left[i]!);
        if (km < bestKm) {
          bestKm = km;
          best = i;
        }
      }
      if (best < 0) break;
      const s = left[best]!;
      const back = distanceKm(s, o.depot);
      const used = route.driveMinutes + route.workMinutes + driveMin(bestKm) + s.workMinutes + driveMin(back);
      if (route.stops.length && used > o.dayMinutes) break;
      left.splice(best, 1);
      route.stops.push(s);
      route.km += bestKm * o.detour;
      route.driveMinutes += driveMin(bestKm);
      route.workMinutes += s.workMinutes;
      at = s;
    }
    const home = distanceKm(at, o.depot);
    route.km = Math.round((route.km + home * o.detour) * 10) / 10;
    route.driveMinutes = Math.round(route.driveMinutes + driveMin(home));
    routes.push(route);
  }
  return routes;
}
