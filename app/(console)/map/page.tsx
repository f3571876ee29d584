import { listAlerts } from "@/lib/alerts/service";
import { requirePagePermission } from "@/lib/auth/session";
import { can } from "@/lib/auth/permissions";
import { CODE_LIST, METER_ID_RE } from "@/lib/audit/codes";
import { env } from "@/lib/env";
import { fleetExtents } from "@/lib/map/server/extent-cache";
import { parseMapFilters, parseMapView } from "@/lib/map/search-params";
import type { FleetExtent } from "@/lib/map/types";
import { FleetMap } from "./fleet-map";

export const metadata = { title: "Fleet map" };
export const dynamic = "force-dynamic";

export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requirePagePermission("fleet.view", "/map");
  const sp = await searchParams;
  const meter = typeof sp.meter === "string" && METER_ID_RE.test(sp.meter) ? sp.meter : null;
  const filters = parseMapFilters(sp);
  // The first view's box and count (one aggregate over map_meter_cells): with them the client
  // fetches and draws the cells at once instead of after the positions payload. Centring on a
  // meter needs the positions anyway; a failed read only means the slower first paint.
  // Kept per filter set by the server (lib/map/server/extent-cache.ts), and not awaited: on a
  // miss the promise streams to the client after the page, so the HTML and the bundle
  // load while ClickHouse reads.
  const extent: Promise<FleetExtent | null> = meter
    ? Promise.resolve(null)
    : fleetExtents()
        .get(filters)
        .catch((err: unknown) => {
          console.error("[map] extent", err);
          return null;
        });
  const firingGateways = can(user.role, "alerts.view")
    ? (await listAlerts("firing")).filter((a) => a.labels.gateway).map((a) => ({ gw: a.labels.gateway!, alertId: a.id, ruleName: a.ruleName, severity: a.severity }))
    : [];
  return (
    <FleetMap
      initialFilters={filters}
      initialMeter={meter}
      initialView={parseMapView(sp)}
      role={user.role}
      canSchedule={can(user.role, "campaigns.manage")}
      faultCodes={CODE_LIST.filter((c) => c !== "HEARTBEAT" && c !== "STEP_OK")}
      tileUrl={env.MAP_TILE_URL ?? null}
      staleAfterMs={env.STALE_AFTER}
      initialExtent={extent}
      firingGateways={firingGateways}
    />
  );
}
