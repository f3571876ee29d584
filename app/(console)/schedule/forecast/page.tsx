import { requirePagePermission } from "@/lib/auth/session";
import { can } from "@/lib/auth/permissions";
import { getCompliance, getForecast } from "@/lib/maintenance/service";
import { EmptyState } from "@/components/empty-state";
import { ScheduleNav } from "../schedule-nav";
import { LoadChart } from "../load-chart";
import { StackedWeeks } from "./stacked-weeks";
import { CapacityForm } from "./capacity-form";

export const metadata = { title: "Forecast and capacity" };
export const dynamic = "force-dynamic";

export default async function Page() {
  const user = await requirePagePermission("schedule.view", "/schedule/forecast");
  const [{ forecast, levelling, crews, districts }, compliance] = await Promise.all([getForecast(user), getCompliance(user, "zone")]);
  const canManage = can(user.role, "schedule.manage");
  const crewOf = new Map(crews.map((c) => [c.district, c]));
  return (
    <>
      <div className="page-header">
        <h1>Forecast and capacity</h1>
        <p>
          Work the switched-on plans make in the next 52 weeks, and the field hours it puts on each district&apos;s crews.{" "}
          <span data-testid="forecast-totals">
            {forecast.totals.jobs.toLocaleString("en-US")} jobs, {forecast.totals.fieldHours.toLocaleString("en-US")} field hours, {forecast.totals.weeksOver} district-weeks over
            capacity
          </span>
        </p>
      </div>
      <ScheduleNav current="/schedule/forecast" />
      {forecast.series.length === 0 ? (
        <EmptyState title="No plan is switched on" testId="forecast-empty">
          Switch a plan on (or preview one from its page) to see the work it makes.
        </EmptyState>
      ) : (
        <section className="card" style={{ marginBottom: 12 }}>
          <h2 style={{ marginTop: 0 }}>Jobs per week by job type and climate zone</h2>
          <StackedWeeks series={forecast.series} weekStarts={forecast.weekStarts} />
        </section>
      )}
      <section className="card" style={{ marginBottom: 12 }}>
        <h2 style={{ marginTop: 0 }}>Crew capacity and load per district</h2>
        <table className="data" data-testid="capacity-table">
          <thead>
            <tr>
              <th>District</th>
              <th>Technicians</th>
              <th>Hours per technician per week</th>
              <th>Capacity (h/week)</th>
              {canManage && <th></th>}
            </tr>
          </thead>
          <tbody>
            {districts.map((d) => {
              const c = crewOf.get(d);
              return (
                <tr key={d} data-testid="capacity-row">
                  <td>{d}</td>
                  {canManage ? (
                    <CapacityForm district={d} technicians={c?.technicians ?? 0} hoursPerWeek={c?.hoursPerWeek ?? 32} />
                  ) : (
                    <>
                      <td>{c?.technicians ?? "—"}</td>
                      <td>{c?.hoursPerWeek ?? "—"}</td>
                      <td>{c ? c.technicians * c.hoursPerWeek : "not set"}</td>
                    </>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
        {forecast.districts.map((d) => (
          <LoadChart
            key={d.district}
            district={d.district}
            hours={d.hours}
            capacity={d.capacity}
            weekStarts={forecast.weekStarts}
            levelled={d.overWeeks.length ? levelling.levelled[d.district] : undefined}
          />
        ))}
        {levelling.moves.length > 0 && (
          <details data-testid="levelling" open>
            <summary>Levelling proposal: {levelling.moves.length} moves pull work into earlier weeks with free crew time (green line); never later than it is due.</summary>
            <ul>
              {levelling.moves.slice(0, 30).map((m, k) => (
                <li key={k}>
                  {m.district}: {m.hours} h from the week of {forecast.weekStarts[m.fromWeek]} to the week of {forecast.weekStarts[m.toWeek]}
                </li>
              ))}
            </ul>
            {Object.keys(levelling.unresolved).length > 0 && (
              <p className="error-text">
                No earlier week has room for:{" "}
                {Object.entries(levelling.unresolved)
                  .map(([d, h]) => `${d} ${h} h`)
                  .join(", ")}
                . More technicians or a longer interval are needed.
              </p>
            )}
          </details>
        )}
      </section>
      <section className="card">
        <h2 style={{ marginTop: 0 }}>Compliance today: meters within their plan&apos;s interval, by zone</h2>
        <table className="data" data-testid="compliance-table">
          <thead>
            <tr>
              <th>Plan</th>
              <th>Zone</th>
              <th>Meters</th>
              <th>Overdue</th>
              <th>Within interval</th>
            </tr>
          </thead>
          <tbody>
            {compliance.rows.map((r) => (
              <tr key={`${r.planId}-${r.key}`}>
                <td>{r.planName}</td>
                <td>
                  <a href={`/schedule/due?status=overdue&plan=${r.planId}&zone=${encodeURIComponent(r.key)}`}>{r.key}</a>
                </td>
                <td>{r.meters.toLocaleString("en-US")}</td>
                <td>{r.overdue.toLocaleString("en-US")}</td>
                <td className={r.compliantPct < 90 ? "error-text" : "ok-text"}>{r.compliantPct} %</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}
