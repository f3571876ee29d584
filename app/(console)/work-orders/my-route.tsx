// "My route today" (issue #27 §5): the signed-in technician's assigned open orders in driving order.
import Link from "next/link";
import type { SessionUser } from "@/lib/auth/session";
import { getMyRoute } from "@/lib/maintenance/service";
import { RouteMap } from "../schedule/route-map";
import { jobTypeTitle } from "@/lib/scheduling/job-types";

export async function MyRoute({ user }: { user: SessionUser }) {
  if (user.role !== "technician") return null;
  const route = await getMyRoute(user);
  if (!route) return null;
  return (
    <section className="card" style={{ marginBottom: 12 }} data-testid="my-route">
      <h2 style={{ marginTop: 0 }}>My route today</h2>
      <div className="row" style={{ gap: 16, alignItems: "flex-start" }}>
        <RouteMap depot={route.depot} stops={route.orders.map((o) => ({ id: o.id, meterId: o.meterId, lat: o.lat, lon: o.lon }))} size={200} />
        <div>
          <p className="muted">
            {route.stops.length} stops · {Math.round(route.driveMinutes)} min driving ({route.km} km) + {route.workMinutes} min on site
          </p>
          <ol data-testid="my-route-stops">
            {route.orders.map((o) => (
              <li key={o.id}>
                <Link href={`/meters/${o.meterId}`}>{o.meterId}</Link> · {jobTypeTitle(o.jobType)} · <Link href={`/meters?gw=${o.gatewayId}`}>{o.gatewayId}</Link> ({o.gwName})
              </li>
            ))}
          </ol>
        </div>
      </div>
    </section>
  );
}
