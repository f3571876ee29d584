import { requirePagePermission } from "@/lib/auth/session";
import { listUsers } from "@/lib/auth/users";
import { listActivity } from "@/lib/activity/trail";
import { UsersAdmin } from "./users-admin";
import { ActivityTable } from "./activity-table";

export const metadata = { title: "Admin" };
export const dynamic = "force-dynamic";

export default async function AdminPage() {
  const me = await requirePagePermission("users.manage", "/admin");
  const [users, events] = await Promise.all([listUsers(), listActivity({ limit: 100 })]);
  return (
    <>
      <div className="page-header">
        <h1>Admin</h1>
        <p>Users, roles and the activity trail of sign-ins and privileged actions.</p>
      </div>
      <UsersAdmin meId={me.id} users={users.map((u) => ({ ...u, name: u.name ?? "", createdAt: u.createdAt.toISOString(), updatedAt: u.updatedAt.toISOString() }))} />
      <h2>Activity</h2>
      <ActivityTable
        events={events.map((e) => ({
          id: e.id,
          at: e.at.toISOString(),
          actor: e.actorEmail ?? "—",
          action: e.action,
          target: e.target,
          outcome: e.outcome,
          ip: e.ip ?? "",
          details: JSON.stringify(e.details ?? {}),
        }))}
      />
    </>
  );
}
