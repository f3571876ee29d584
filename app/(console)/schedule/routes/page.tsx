import Link from "next/link";
import { requirePagePermission } from "@/lib/auth/session";
import { can } from "@/lib/auth/permissions";
import { getDistrictRoutes, getDistricts } from "@/lib/maintenance/service";
import { EmptyState } from "@/components/empty-state";
import { ScheduleNav } from "../schedule-nav";
import { RouteMap } from "../route-map";
import { AssignRoute } from "./assign-route";
import { jobTypeTitle } from "@/lib/scheduling/job-types";

export const metadata = { title: "Routes" };
export const dynamic = "force-dynamic";

export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requirePagePermission("workorders.view", "/schedule/routes");
  const districts = await getDistricts(user);
  const raw = (await searchParams).district;
  const district = typeof raw === "string" && districts.includes(raw) ? raw : districts[0];
  const data = district ? await getDistrictRoutes(user, district) : null;
  const canAssign = can(user.role, "schedule.manage");
  const emailOf = new Map((data?.technicians ?? []).map((t) => [t.id, t.email]));
  return (
    <>
      <div className="page-header">
        <h1>Routes</h1>
        <p>
          A district&apos;s open field orders as day routes: nearest stop next from the depot, closed when the next stop would pass an 8-hour day (40 km/h, roads 1.3× the straight
          line).
        </p>
      </div>
      <ScheduleNav current="/schedule/routes" />
      <nav className="seg" aria-label="District" style={{ marginBottom: 12, flexWrap: "wrap" }} data-testid="route-districts">
        {districts.map((d) => (
          <Link key={d} href={`/schedule/routes?district=${encodeURIComponent(d)}`} className="seg-item" aria-current={d === district ? "page" : undefined}>
            {d}
          </Link>
        ))}
      </nav>
      {!data || data.routes.length === 0 ? (
        <EmptyState title="No open field orders here" testId="routes-empty">
          Field orders (inspections, calibrations) appear once a plan or campaign makes them.
        </EmptyState>
      ) : (
        <>
          <p data-testid="routes-summary">
            Today in {district}: {data.routes.length} {data.routes.length === 1 ? "route" : "routes"} for {data.crew} {data.crew === 1 ? "technician" : "technicians"} (crew set on{" "}
            <Link href="/schedule/forecast">Forecast and capacity</Link>); {data.waiting.toLocaleString("en-US")} more open field orders wait for later days.
          </p>
          <div className="grid-cards">
            {data.routes.map((r, i) => {
              const assignees = [...new Set(r.orders.map((o) => o.assigneeId))];
              return (
                <section key={i} className="card" data-testid="route-card">
                  <h2 style={{ marginTop: 0 }}>
                    Route {i + 1}: {r.stops.length} stops
                  </h2>
                  <p className="muted" data-testid="route-time">
                    {Math.round(r.driveMinutes)} min driving ({r.km} km) + {r.workMinutes} min on site ·{" "}
                    {assignees.length === 1 && assignees[0]
                      ? `assigned to ${emailOf.get(assignees[0]) ?? "a technician"}`
                      : assignees.some(Boolean)
                        ? "partly assigned"
                        : "not assigned"}
                  </p>
                  <RouteMap depot={data.depot} stops={r.orders.map((o) => ({ id: o.id, meterId: o.meterId, lat: o.lat, lon: o.lon }))} />
                  <ol>
                    {r.orders.map((o) => (
                      <li key={o.id}>
                        <Link href={`/meters/${o.meterId}`}>{o.meterId}</Link> · {jobTypeTitle(o.jobType)} · <Link href={`/meters?gw=${o.gatewayId}`}>{o.gatewayId}</Link> (
                        {o.gwName})
                      </li>
                    ))}
                  </ol>
                  {canAssign && <AssignRoute workOrderIds={r.orders.map((o) => o.id)} technicians={data.technicians} />}
                </section>
              );
            })}
          </div>
        </>
      )}
    </>
  );
}
