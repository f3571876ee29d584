import Link from "next/link";
import { getCurrentUser } from "@/lib/auth/session";
import { can } from "@/lib/auth/permissions";

const TABS = [
  { href: "/schedule", label: "Plans" },
  { href: "/schedule/due", label: "Due and overdue" },
  { href: "/schedule/forecast", label: "Forecast and capacity" },
  { href: "/schedule/compliance", label: "Compliance" },
  { href: "/schedule/routes", label: "Routes" },
] as const;

export async function ScheduleNav({ current }: { current: (typeof TABS)[number]["href"] }) {
  const user = await getCurrentUser();
  // Routes are field orders: roles that cannot see work orders do not get the tab.
  const tabs = TABS.filter((t) => t.href !== "/schedule/routes" || can(user?.role, "workorders.view"));
  return (
    <nav className="seg" aria-label="Schedule" data-testid="schedule-nav" style={{ marginBottom: 12 }}>
      {tabs.map((t) => (
        <Link key={t.href} href={t.href} className="seg-item" aria-current={t.href === current ? "page" : undefined}>
          {t.label}
        </Link>
      ))}
    </nav>
  );
}
