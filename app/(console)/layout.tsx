import { redirect } from "next/navigation";
import { getCurrentUser } from "@/lib/auth/session";
import { navFor, ROLE_LABELS } from "@/lib/auth/permissions";
import { NavLinks } from "@/components/nav-links";
import { UserMenu } from "@/components/user-menu";

export default async function ConsoleLayout({ children }: { children: React.ReactNode }) {
  const user = await getCurrentUser();
  if (!user) redirect("/login");
  const items = navFor(user.role).map(({ href, label }) => ({ href, label }));
  return (
    <div className="shell">
      <aside className="sidebar" aria-label="Main navigation">
        <div className="brand">
          AMI Console<small>Smart-meter fleet operations</small>
        </div>
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
