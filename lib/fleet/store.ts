// Prisma side of fleet writes. Upserts go through INSERT ... SELECT FROM
// unnest(arrays) ... ON CONFLICT: one statement and one parameter per column
// for a whole batch (createMany cannot upsert, and re-running an import or a
// seed must update rows, not duplicate or fail). Works on PGlite and PostgreSQL.
import type { Prisma, PrismaClient } from "@/lib/generated/prisma/client";
import type { FleetGatewayRow, FleetMeterRow, FleetZoneRow } from "./types";

export type DbLike = PrismaClient | Prisma.TransactionClient;

export const METER_BATCH = 5_000;

export async function upsertZones(db: DbLike, zones: readonly FleetZoneRow[]): Promise<void> {
  if (!zones.length) return;
  await db.$executeRawUnsafe(
    `INSERT INTO "ClimateZone" ("id", "name", "thermalStressFactor")
     SELECT * FROM unnest($1::text[], $2::text[], $3::float8[])
     ON CONFLICT ("id") DO UPDATE SET "name" = EXCLUDED."name", "thermalStressFactor" = EXCLUDED."thermalStressFactor"`,
    zones.map((z) => z.id),
    zones.map((z) => z.name),
    zones.map((z) => z.thermalStressFactor),
  );
}

export async function upsertGateways(db: DbLike, gateways: readonly FleetGatewayRow[]): Promise<void> {
  for (let i = 0; i < gateways.length; i += METER_BATCH) {
    const b = gateways.slice(i, i + METER_BATCH);
    await db.$executeRawUnsafe(
      `INSERT INTO "Gateway" ("id", "name", "latitude", "longitude", "backhaul", "maxConcurrentSessions", "timezone", "climateZoneId")
       SELECT id, name, lat, lon, backhaul::"Backhaul", sessions, tz, zone
       FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[], $5::text[], $6::int[], $7::text[], $8::text[])
            AS t(id, name, lat, lon, backhaul, sessions, tz, zone)
       ON CONFLICT ("id") DO UPDATE SET "name" = EXCLUDED."name", "latitude" = EXCLUDED."latitude", "longitude" = EXCLUDED."longitude",
         "backhaul" = EXCLUDED."backhaul", "maxConcurrentSessions" = EXCLUDED."maxConcurrentSessions",
         "timezone" = EXCLUDED."timezone", "climateZoneId" = EXCLUDED."climateZoneId"`,
      b.map((g) => g.id),
      b.map((g) => g.name),
      b.map((g) => g.latitude),
      b.map((g) => g.longitude),
      b.map((g) => g.backhaul),
      b.map((g) => g.maxConcurrentSessions),
      b.map((g) => g.timezone),
      b.map((g) => g.climateZoneId),
    );
  }
}

/** Upsert one batch of meters (callers slice to METER_BATCH). Returns rows written. */
export async function upsertMeterBatch(db: DbLike, b: readonly FleetMeterRow[]): Promise<number> {
  if (!b.length) return 0;
  return db.$executeRawUnsafe(
    `INSERT INTO "Meter" ("id", "kind", "model", "latitude", "longitude", "gatewayId", "installedAt", "climateZoneId", "timezone",
                          "fwMetrology", "fwComms", "hesVersion", "certNotAfter", "lastVerifiedAt", "metrologyConstants", "updatedAt")
     SELECT id, kind::"MeterKind", model, lat, lon, gw, installed, zone, tz, fwm, fwc, hes, cert, verified, constants, now()
     FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::text[], $7::timestamptz[], $8::text[], $9::text[],
                 $10::text[], $11::text[], $12::text[], $13::timestamptz[], $14::timestamptz[], $15::jsonb[])
          AS t(id, kind, model, lat, lon, gw, installed, zone, tz, fwm, fwc, hes, cert, verified, constants)
     ON CONFLICT ("id") DO UPDATE SET "kind" = EXCLUDED."kind", "model" = EXCLUDED."model", "latitude" = EXCLUDED."latitude",
       "longitude" = EXCLUDED."longitude", "gatewayId" = EXCLUDED."gatewayId", "installedAt" = EXCLUDED."installedAt",
       "climateZoneId" = EXCLUDED."climateZoneId", "timezone" = EXCLUDED."timezone", "fwMetrology" = EXCLUDED."fwMetrology",
       "fwComms" = EXCLUDED."fwComms", "hesVersion" = EXCLUDED."hesVersion", "certNotAfter" = EXCLUDED."certNotAfter",
       "lastVerifiedAt" = EXCLUDED."lastVerifiedAt", "updatedAt" = now()`,
    b.map((m) => m.id),
    b.map((m) => m.kind),
    b.map((m) => m.model),
    b.map((m) => m.latitude),
    b.map((m) => m.longitude),
    b.map((m) => m.gatewayId),
    b.map((m) => m.installedAt.toISOString()),
    b.map((m) => m.climateZoneId),
    b.map((m) => m.timezone),
    b.map((m) => m.fwMetrology),
    b.map((m) => m.fwComms),
    b.map((m) => m.hesVersion),
    b.map((m) => m.certNotAfter.toISOString()),
    b.map((m) => (m.lastVerifiedAt ? m.lastVerifiedAt.toISOString() : null)),
    b.map((m) => JSON.stringify(m.metrologyConstants)),
  );
}

export async function upsertMeters(db: DbLike, meters: readonly FleetMeterRow[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < meters.length; i += METER_BATCH) n += await upsertMeterBatch(db, meters.slice(i, i + METER_BATCH));
  return n;
}

export async function countFleet(db: DbLike): Promise<{ meters: number; gateways: number; zones: number }> {
  const [meters, gateways, zones] = await Promise.all([db.meter.count(), db.gateway.count(), db.climateZone.count()]);
  return { meters, gateways, zones };
}
