import { redirect } from "next/navigation";
import { getCurrentUser } from "@/lib/auth/session";
import { can, navFor, ROLE_LABELS } from "@/lib/auth/permissions";
import { countAlerts, listAlerts } from "@/lib/alerts/service";
import { AlertBell } from "@/components/alert-bell";
import { NavLinks } from "@/components/nav-links";
import { UserMenu } from "@/components/user-menu";

export default async function ConsoleLayout({ children }: { children: React.ReactNode }) {
  const user = await getCurrentUser();
  if (!user) redirect("/login");
  const items = navFor(user.role).map(({ href, label }) => ({ href, label }));
  const bell = can(user.role, "alerts.view") ? await Promise.all([listAlerts("firing", 8), countAlerts()]) : null;
  return (
    <div className="shell">
      <aside className="sidebar" aria-label="Main navigation">
        <div className="brand">
          AMI Console<small>Smart-meter fleet operations</small>
        </div>
        {bell && <AlertBell initial={bell[0].map(({ id, ruleName, severity, summary }) => ({ id, ruleName, severity, summary }))} initialCount={bell[1].firing} />}
        <NavLinks items={items} />
        <div className="sidebar-footer">
          <UserMenu name={user.name} email={user.email} role={user.role} roleHint={ROLE_LABELS[user.role].description} />
        </div>
      </aside>
      <main className="main" id="main">
        {children}
      </main>
    </div>
  );
}
