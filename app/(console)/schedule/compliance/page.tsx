import Link from "next/link";
import { requirePagePermission } from "@/lib/auth/session";
import { getCompliance } from "@/lib/maintenance/service";
import { ScheduleNav } from "../schedule-nav";
import "./print.css";

export const metadata = { title: "Compliance report" };
export const dynamic = "force-dynamic";

const GROUPS = [
  { id: "plan", label: "Plan" },
  { id: "zone", label: "Zone" },
  { id: "model", label: "Model" },
  { id: "age", label: "Age" },
] as const;
type Group = (typeof GROUPS)[number]["id"];

export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requirePagePermission("schedule.view", "/schedule/compliance");
  const raw = (await searchParams).by;
  const group: Group = GROUPS.some((g) => g.id === raw) ? (raw as Group) : "zone";
  const { asOf, rows } = await getCompliance(user, group);
  return (
    <>
      <div className="page-header">
        <h1>Compliance report</h1>
        <p>Share of meters within each plan&apos;s regulatory interval on {asOf} (UTC), whether or not the plan is switched on. Overdue meters link to the due list.</p>
      </div>
      <div className="no-print">
        <ScheduleNav current="/schedule/compliance" />
        <nav className="seg" aria-label="Group by" style={{ marginBottom: 12 }}>
          {GROUPS.map((g) => (
            <Link key={g.id} href={`/schedule/compliance?by=${g.id}`} className="seg-item" aria-current={g.id === group ? "page" : undefined}>
              by {g.label.toLowerCase()}
            </Link>
          ))}
        </nav>
        <p className="row" style={{ gap: 8 }}>
          <a className="button" href={`/schedule/compliance/export?by=${group}`} download data-testid="compliance-csv">
            CSV
          </a>
          <span className="muted">Print this page for the paper report (the navigation is left out).</span>
        </p>
      </div>
      <table className="data" data-testid="compliance-report">
        <thead>
          <tr>
            <th>Plan</th>
            {group !== "plan" && <th>{GROUPS.find((g) => g.id === group)!.label}</th>}
            <th>Meters</th>
            <th>Overdue</th>
            <th>Within interval</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={`${r.planId}-${r.key}`}>
              <td>{r.planName}</td>
              {group !== "plan" && <td>{r.key}</td>}
              <td>{r.meters.toLocaleString("en-US")}</td>
              <td>
                {r.overdue ? (
                  <Link href={`/schedule/due?status=overdue&plan=${r.planId}${group === "zone" ? `&zone=${encodeURIComponent(r.key)}` : ""}`}>
                    {r.overdue.toLocaleString("en-US")}
                  </Link>
                ) : (
                  0
                )}
              </td>
              <td className={r.compliantPct < 90 ? "error-text" : "ok-text"}>{r.compliantPct} %</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
