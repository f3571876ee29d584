// Times the maintenance schedule at fleet scale and prints the figures:
// due dates of every meter over all default plans (columnar rules), the due
// list's first page, the 52-week forecast with levelling, and a what-if.
// Usage: npx tsx scripts/bench-schedule.ts [meters=1000000]
import { computeDueColumns } from "../lib/scheduling/due-columns";
import { queryDueList } from "../lib/scheduling/due-list";
import { computeCompliance, forecastWork, proposeLevelling } from "../lib/scheduling/forecast";
import { DEFAULT_PLANS, planSpecSchema, type Plan } from "../lib/scheduling/maintenance";
import { createScheduleFleet } from "../lib/testing/schedule-fleet";

const count = Number(process.argv[2] ?? 1_000_000);
const now = Date.parse("2026-12-08T10:00:00Z");
const plans: Plan[] = DEFAULT_PLANS.map(({ key, ...spec }) => ({ ...planSpecSchema.parse({ ...spec, enabled: true }), id: key }));

const t0 = performance.now();
const { fleet, lastByJobType, conditions } = createScheduleFleet(count, now);
console.log(`[bench:schedule] synthetic fleet ${count} meters built in ${Math.round(performance.now() - t0)} ms`);

function time<T>(label: string, runs: number, fn: () => T): T {
  let out: T;
  const ms: number[] = [];
  for (let r = 0; r < runs; r++) {
    const s = performance.now();
    out = fn();
    ms.push(performance.now() - s);
  }
  ms.sort((a, b) => a - b);
  console.log(`[bench:schedule] ${label}: best ${Math.round(ms[0]!)} ms, median ${Math.round(ms[Math.floor(ms.length / 2)]!)} ms over ${runs} runs`);
  return out!;
}

const cols = time(`due dates, ${count} meters x ${plans.length} plans`, 5, () => computeDueColumns(plans, fleet, lastByJobType, conditions, now));
const today = Math.floor(now / 86_400_000);
for (const [i, c] of cols.entries()) {
  let inScope = 0;
  let overdue = 0;
  let fired = 0;
  for (let k = 0; k < c.due.length; k++) {
    if (c.due[k] === -2_147_483_648) continue;
    inScope++;
    if (c.due[k]! < today) overdue++;
    if (c.fired[k]) fired++;
  }
  console.log(`[bench:schedule]   ${plans[i]!.name}: ${inScope} meters, ${overdue} overdue, ${fired} brought forward by a trigger`);
}

// The due list's first page (all plans, by due date) and the forecast, on the columns above.
const fieldMinutes = { inspect: 45, calibrate: 90 };
const districts = fleet.district.values;
const capacity = Object.fromEntries(districts.map((d) => [d, 8 * 38]));
time("due list first page (overdue, by due date, 50 rows)", 5, () =>
  queryDueList(cols, fleet, { status: "overdue", horizonDays: 30, sort: "due", desc: false, offset: 0, limit: 50 }, today),
);
time("due list first page (hot-humid, due in 30 days, by meter)", 5, () =>
  queryDueList(cols, fleet, { status: "due", horizonDays: 30, zone: "hot-humid", sort: "meter", desc: false, offset: 0, limit: 50 }, today),
);
const forecast = time("forecast, 52 weeks by job type and zone, crew hours by district", 5, () => forecastWork(plans, cols, fleet, { today, weeks: 52, fieldMinutes, capacity }));
console.log(`[bench:schedule]   ${forecast.totals.jobs} jobs in 52 weeks, ${forecast.totals.fieldHours} field hours, ${forecast.totals.weeksOver} district-weeks over capacity`);
time("levelling proposal", 5, () => proposeLevelling(forecast.districts));
// What-if: the hot-humid inspection every 6 months instead of 12; recompute that plan, the forecast and compliance.
time("what-if (one plan changed: due dates, forecast, levelling, compliance)", 5, () => {
  const changed = plans.map((p) =>
    p.id === "inspection" && p.rule.kind === "interval" ? { ...p, rule: { ...p.rule, zoneFactors: { ...p.rule.zoneFactors, "hot-humid": 4 } } } : p,
  );
  const c2 = cols.map((c, i) => (changed[i] === plans[i] ? c : computeDueColumns([changed[i]!], fleet, lastByJobType, conditions, now)[0]!));
  const f2 = forecastWork(changed, c2, fleet, { today, weeks: 52, fieldMinutes, capacity });
  proposeLevelling(f2.districts);
  return computeCompliance(changed, c2, fleet, today, "zone");
});
