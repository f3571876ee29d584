// Reads behind the meters pages: the fleet table (ClickHouse: fleet_meters
// joined to meter_state_current), filter options, and one meter's detail
// (Prisma for identity and constants, ClickHouse for state and recent lines).
import { env } from "@/lib/env";
import { getDb } from "@/lib/db";
import { findMetersPage, getMeterLatestState, listFleetFirmwarePairs, listMeterAuditLines, type MeterListFilters, type MeterSort } from "@/lib/clickhouse/queries/fleet";
import { listMeterConstantChanges } from "./constants";

export const METERS_PAGE_SIZE = 50;

export async function findMeters(input: { filters: MeterListFilters; sort: MeterSort; desc: boolean; page: number; now?: number }) {
  const now = input.now ?? Date.now();
  const { rows, total } = await findMetersPage({
    filters: input.filters,
    sort: input.sort,
    desc: input.desc,
    limit: METERS_PAGE_SIZE,
    offset: (input.page - 1) * METERS_PAGE_SIZE,
    staleBefore: now - env.STALE_AFTER,
    now,
  });
  return { rows, total, pageSize: METERS_PAGE_SIZE, pages: Math.max(1, Math.ceil(total / METERS_PAGE_SIZE)) };
}

export async function getMeterFilterOptions() {
  const db = getDb();
  const [zones, gateways, firmwarePairs] = await Promise.all([
    db.climateZone.findMany({ select: { id: true, name: true }, orderBy: { id: "asc" } }),
    db.gateway.findMany({ select: { id: true, name: true }, orderBy: { id: "asc" } }),
    listFleetFirmwarePairs(),
  ]);
  return { zones, gateways, firmwarePairs };
}

export async function getMeterDetail(meterId: string) {
  const meter = await getDb().meter.findUnique({
    where: { id: meterId },
    include: { gateway: true, climateZone: true },
  });
  if (!meter) return null;
  const [state, lines, changes, campaigns] = await Promise.all([
    getMeterLatestState(meterId),
    listMeterAuditLines(meterId, 50),
    listMeterConstantChanges(meterId),
    listMeterCampaignTargets(meterId),
  ]);
  return { meter, state, lines, changes, campaigns };
}

/** Campaigns that target this meter, newest first. */
export async function listMeterCampaignTargets(meterId: string, limit = 20) {
  return getDb().campaignTarget.findMany({
    where: { meterId },
    orderBy: { updatedAt: "desc" },
    take: limit,
    select: {
      id: true,
      state: true,
      wave: true,
      attempts: true,
      lastCode: true,
      updatedAt: true,
      campaign: { select: { id: true, name: true, jobType: true, status: true } },
    },
  });
}
