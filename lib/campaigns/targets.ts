// Target resolution: a saved fleet query (or a list of ids) -> the meters and
// everything planCampaign / preflight need (gateway caps, firmware catalogue).
import { getDb } from "@/lib/db";
import { findTargetMeters, getGatewayCaps, type TargetMeterRow } from "@/lib/clickhouse/queries/campaigns";
import type { Catalogue, PlanMeter } from "@/lib/scheduling/types";
import type { TargetQueryInput } from "./schemas";

export interface ResolvedTargets {
  meters: PlanMeter[];
  gateways: Record<string, { maxConcurrentSessions: number }>;
  catalogue: Catalogue;
  /** Listed ids the fleet does not know. */
  unknownMeters: string[];
}

export function toPlanMeter(r: TargetMeterRow): PlanMeter {
  return {
    id: r.meter,
    gatewayId: r.gw,
    timezone: r.timezone,
    kind: r.kind,
    zone: r.zone,
    snr: r.snr,
    batteryV: r.batteryV,
    installedAt: new Date(r.installedAt),
    fwMetrology: r.fwMetrology,
    fwComms: r.fwComms,
    hesVersion: r.hesVersion,
    certNotAfter: r.certNotAfter === null ? "" : new Date(r.certNotAfter),
    openFaults: r.faultCode ? [r.faultCode] : [],
  };
}

/** Firmware images and compatible pairs from the relational catalogue. */
export async function getFirmwareCatalogue(): Promise<Catalogue> {
  const db = getDb();
  const [images, pairs] = await Promise.all([db.firmwareImage.findMany(), db.firmwareCompatibility.findMany({ where: { compatible: true } })]);
  return {
    images: images.map((i) => ({ component: i.component, version: i.version, sha256: i.sha256, isSigned: i.signed })),
    compatibility: pairs.map((p) => ({ metrology: p.metrologyVersion, comms: p.commsVersion })),
  };
}

export async function resolveTargets(query: TargetQueryInput, now: Date): Promise<ResolvedTargets> {
  const catalogue = await getFirmwareCatalogue();
  const rows = await findTargetMeters(query, {
    now: now.getTime(),
    compatibleFwPairs: catalogue.compatibility.map((p) => `${p.metrology}/${p.comms}`),
  });
  const meters = rows.map(toPlanMeter);
  const gateways = await getGatewayCaps([...new Set(rows.map((r) => r.gw))]);
  let unknownMeters: string[] = [];
  if (query.meters?.length) {
    const known = new Set(rows.map((r) => r.meter));
    unknownMeters = query.meters.filter((m) => !known.has(m));
  }
  return { meters, gateways, catalogue, unknownMeters };
}
