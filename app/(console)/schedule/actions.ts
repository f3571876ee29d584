"use server";
// Schedule server actions: authedAction checks the permission and parses the input, lib/schedule
// re-checks the actor, does the work and writes the operator trail (before/after), then pages revalidate.
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { authedAction } from "@/lib/auth/authed-action";
import { assignRoute, assignRouteSchema, crewCapacitySchema, previewWhatIf, runPlanNow, savePlan, savePlanSchema, setCrewCapacity, whatIfSchema } from "@/lib/maintenance/service";

export const savePlanAction = authedAction("schedule.manage", savePlanSchema, async (data, user) => {
  const plan = await savePlan(data, user);
  revalidatePath("/schedule");
  return { planId: plan.id, updatedAt: plan.updatedAt.toISOString() };
});

export const previewWhatIfAction = authedAction("schedule.view", whatIfSchema, async (data, user) => {
  const r = await previewWhatIf(data, user);
  const over = r.forecast.districts.filter((d) => d.overWeeks.length);
  return {
    before: r.before,
    after: r.after,
    moves: r.levelling.moves.slice(0, 500),
    unresolved: r.levelling.unresolved,
    districts: over,
    levelled: Object.fromEntries(over.map((d) => [d.district, r.levelling.levelled[d.district] ?? d.hours])),
    weekStarts: r.forecast.weekStarts,
  };
});

export const runPlanNowAction = authedAction("schedule.manage", z.object({ planId: z.string().min(1).max(40) }), async ({ planId }, user) => {
  const r = await runPlanNow(planId, user);
  revalidatePath("/schedule");
  revalidatePath("/work-orders");
  return r;
});

export const setCrewCapacityAction = authedAction("schedule.manage", crewCapacitySchema, async (data, user) => {
  await setCrewCapacity(data, user);
  revalidatePath("/schedule/forecast");
  return { district: data.district };
});

export const assignRouteAction = authedAction("schedule.manage", assignRouteSchema, async (data, user) => {
  const r = await assignRoute(data, user);
  revalidatePath("/schedule/routes");
  revalidatePath("/work-orders");
  return r;
});
