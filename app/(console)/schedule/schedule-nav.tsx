import Link from "next/link";

const TABS = [
  { href: "/schedule", label: "Plans" },
  { href: "/schedule/due", label: "Due and overdue" },
  { href: "/schedule/forecast", label: "Forecast and capacity" },
  { href: "/schedule/compliance", label: "Compliance" },
] as const;

export function ScheduleNav({ current }: { current: (typeof TABS)[number]["href"] }) {
  return (
    <nav className="seg" aria-label="Schedule" data-testid="schedule-nav" style={{ marginBottom: 12 }}>
      {TABS.map((t) => (
        <Link key={t.href} href={t.href} className="seg-item" aria-current={t.href === current ? "page" : undefined}>
          {t.label}
        </Link>
      ))}
    </nav>
  );
}
