// Times the maintenance schedule at fleet scale and prints the figures:
// due dates of every meter over all default plans (columnar rules).
// Usage: npx tsx scripts/bench-schedule.ts [meters=1000000]
import { computeDueColumns } from "../lib/scheduling/due-columns";
import { DEFAULT_PLANS, planSpecSchema, type Plan } from "../lib/scheduling/maintenance";
import { createScheduleFleet } from "../lib/testing/schedule-fleet";

const count = Number(process.argv[2] ?? 1_000_000);
const now = Date.parse("2026-12-08T10:00:00Z");
const plans: Plan[] = DEFAULT_PLANS.map(({ key, ...spec }) => ({ ...planSpecSchema.parse(spec), id: key }));

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
