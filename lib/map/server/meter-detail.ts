// The meter drawer's data: fleet identity (fleet_meters), latest state and
// measures (meter_state), latest audit lines, maintenance jobs touching it, and
// the actions the caller's role offers. Values from log lines stay plain data:
// the drawer renders them as text.
import "server-only";
import type { Role } from "@/lib/auth/permissions";
import { actionsFor, type MeterAction } from "./drawer-actions";
import { getDb } from "@/lib/db";
import { getMeterStates, type MeterState } from "@/lib/clickhouse/get-meter-states";
import { getMeterFleetRow, getMeterLines, type MeterFleetRow, type MeterLine } from "@/lib/clickhouse/queries/map";

export interface MeterJob {
  source: "campaign" | "work_order";
  id: string;
  name: string;
  jobType: string;
  status: string;
  at: number;
}

export interface MeterDetail {
  fleet: MeterFleetRow;
  state: MeterState | null;
  lines: MeterLine[];
  /** null = the maintenance tables are not available (yet) in this deployment. */
  jobs: MeterJob[] | null;
  actions: MeterAction[];
}

async function findMeterJobs(meter: string): Promise<MeterJob[] | null> {
  try {
    const db = getDb();
    const [targets, orders] = await Promise.all([
      db.campaignTarget.findMany({ where: { meterId: meter }, include: { campaign: true }, orderBy: { updatedAt: "desc" }, take: 20 }),
      db.workOrder.findMany({ where: { meterId: meter }, orderBy: { createdAt: "desc" }, take: 20 }),
    ]);
    return [
      ...targets.map((t) => ({
        source: "campaign" as const,
        id: t.campaignId,
        name: t.campaign.name,
        jobType: t.campaign.jobType,
        status: `${t.campaign.status} / ${t.state}`,
        at: t.updatedAt.getTime(),
      })),
      ...orders.map((o) => ({ source: "work_order" as const, id: o.id, name: `Work order ${o.id}`, jobType: o.jobType, status: o.status, at: o.createdAt.getTime() })),
    ].sort((a, b) => b.at - a.at);
  } catch (err) {
    // Tables not migrated yet in this deployment: the drawer says so instead of failing.
    console.warn("[map] maintenance jobs unavailable:", err instanceof Error ? err.message.split("\n")[0] : err);
    return null;
  }
}

export async function getMeterDetail(meter: string, role: Role): Promise<MeterDetail | null> {
  const [fleet, states, lines, jobs] = await Promise.all([getMeterFleetRow(meter), getMeterStates({ meters: [meter], limit: 1 }), getMeterLines(meter, 50), findMeterJobs(meter)]);
  if (!fleet) return null;
  return { fleet, state: states[0] ?? null, lines, jobs, actions: actionsFor(role, meter) };
}
