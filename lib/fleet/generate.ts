// Writes a generated fleet (lib/simulator generateFleet) into Prisma and into
// ClickHouse's fleet_meters / fleet_gateways. Idempotent: the same seed upserts
// the same ids, so a re-run leaves one row per meter. Meters are built batch
// by batch from the fleet's typed arrays so a million never sit in memory as objects.
import type { PrismaClient } from "@/lib/generated/prisma/client";
import type { ClickHouse } from "@/lib/clickhouse/client";
import { insertFleetGateways, insertFleetMeters } from "@/lib/clickhouse/queries/fleet";
import { getMeter, type Fleet } from "@/lib/simulator/fleet";
import { METER_BATCH, upsertGateways, upsertMeterBatch, upsertZones } from "./store";
import type { FleetGatewayRow, FleetMeterRow } from "./types";

const DAY_MS = 86_400_000;

export function fleetGatewayRows(fleet: Fleet): FleetGatewayRow[] {
  return fleet.gateways.map((g) => ({
    id: g.id,
    name: g.name,
    latitude: g.lat,
    longitude: g.lon,
    backhaul: g.backhaul,
    maxConcurrentSessions: g.maxConcurrentSessions,
    timezone: g.timezone,
    climateZoneId: g.zone,
  }));
}

export function fleetMeterRows(fleet: Fleet, from: number, to: number): FleetMeterRow[] {
  const rows: FleetMeterRow[] = [];
  for (let i = from; i < Math.min(to, fleet.meters.count); i++) {
    const m = getMeter(fleet, i);
    rows.push({
      id: m.id,
      kind: m.kind,
      model: m.model,
      latitude: m.lat,
      longitude: m.lon,
      gatewayId: m.gatewayId,
      installedAt: new Date(m.installedAt),
      climateZoneId: m.zone,
      timezone: m.timezone,
      fwMetrology: m.fwMetrology,
      fwComms: m.fwComms,
      hesVersion: m.hesVersion,
      certNotAfter: new Date(m.certNotAfter),
      lastVerifiedAt: new Date(m.lastVerifiedAt),
      metrologyConstants: m.metrologyConstants,
    });
  }
  return rows;
}

export interface WriteFleetResult {
  meters: number;
  gateways: number;
  zones: number;
  firmwareImages: number;
  prismaMs: number;
  clickhouseMs: number;
}

export interface WriteFleetOptions {
  fleet: Fleet;
  db: PrismaClient;
  ch: ClickHouse;
  log?: (msg: string) => void;
}

/** Upsert the fleet into Prisma (one transaction), then copy it to ClickHouse. */
export async function writeGeneratedFleet({ fleet, db, ch, log = () => {} }: WriteFleetOptions): Promise<WriteFleetResult> {
  const count = fleet.meters.count;
  const gateways = fleetGatewayRows(fleet);
  let t0 = performance.now();
  await db.$transaction(
    async (tx) => {
      await upsertZones(tx, fleet.zones);
      await upsertGateways(tx, gateways);
      // Release dates step back from the newest version of each component (ids are cuids: createMany + skipDuplicates).
      await tx.firmwareImage.createMany({
        data: fleet.firmwareImages.map((img) => {
          const versions = img.component === "metrology" ? fleet.metrologyVersions : fleet.commsVersions;
          const age = versions.length - 1 - versions.indexOf(img.version);
          return { ...img, releasedAt: new Date(fleet.now - (30 + age * 180) * DAY_MS) };
        }),
        skipDuplicates: true,
      });
      await tx.firmwareCompatibility.createMany({ data: fleet.compatibility, skipDuplicates: true });
      for (let i = 0; i < count; i += METER_BATCH) {
        await upsertMeterBatch(tx, fleetMeterRows(fleet, i, i + METER_BATCH));
        if (count > 50_000 && (i / METER_BATCH) % 20 === 19) log(`[fleet] ${Math.min(i + METER_BATCH, count).toLocaleString("en")} / ${count.toLocaleString("en")} meters written`);
      }
    },
    { timeout: 30 * 60_000, maxWait: 60_000 },
  );
  const prismaMs = performance.now() - t0;
  t0 = performance.now();
  await insertFleetGateways(gateways, ch);
  const CH_BATCH = 50_000;
  for (let i = 0; i < count; i += CH_BATCH) await insertFleetMeters(fleetMeterRows(fleet, i, i + CH_BATCH), ch);
  const clickhouseMs = performance.now() - t0;
  return { meters: count, gateways: gateways.length, zones: fleet.zones.length, firmwareImages: fleet.firmwareImages.length, prismaMs, clickhouseMs };
}
