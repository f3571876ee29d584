// The meter's maintenance calendar (issue #27): when each plan next wants it and why, and the
// work the plan runs already made for it. Its own component: the page also gets a history section (#22).
import Link from "next/link";
import type { SessionUser } from "@/lib/auth/session";
import { can } from "@/lib/auth/permissions";
import { getMeterCalendar } from "@/lib/maintenance/service";

export async function MaintenanceCalendar({ meterId, user }: { meterId: string; user: SessionUser }) {
  if (!can(user.role, "schedule.view")) return null;
  const { upcoming, created } = await getMeterCalendar(user, meterId);
  return (
    <section className="card" style={{ marginBottom: 12 }} data-testid="meter-calendar">
      <h2 style={{ marginTop: 0 }}>Maintenance calendar</h2>
      {upcoming.length ? (
        <table className="data">
          <thead>
            <tr>
              <th>Due</th>
              <th>Plan</th>
              <th>Why</th>
            </tr>
          </thead>
          <tbody>
            {upcoming.map((u) => (
              <tr key={u.planId} data-testid="calendar-row">
                <td className={u.isOverdue ? "error-text" : undefined} style={{ whiteSpace: "nowrap" }}>
                  {u.dueDate}
                </td>
                <td>
                  <Link href={`/schedule/plans/${u.planId}`}>{u.planName}</Link>
                  {!u.isEnabled && <span className="muted"> (plan off)</span>}
                </td>
                <td data-testid="calendar-reason">{u.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">No plan covers this meter.</p>
      )}
      {created.length > 0 && (
        <>
          <h3>Work the plans made</h3>
          <ul data-testid="calendar-created">
            {created.map((c) => (
              <li key={c.id}>
                {c.planName}, due {c.dueDate}:{" "}
                {c.workOrderId ? (
                  <Link href={`/work-orders?status=all`}>work order {c.workOrderId}</Link>
                ) : c.campaignId ? (
                  <Link href={`/campaigns/${c.campaignId}`}>campaign</Link>
                ) : (
                  "pending"
                )}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
