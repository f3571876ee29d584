// A deterministic synthetic meter fleet over one real region (see region.ts).
// Meters are kept as a struct of typed arrays so a million of them fit in
// ~60 MB and generate in about a second; getMeter() materialises one on demand.
import { createHash } from "node:crypto";
import { formatGatewayId, formatMeterId, KIND_BY_PREFIX, type MeterKindName } from "@/lib/fleet/ids";
import { createRandom, createWeightedPicker, type Seed } from "./random";
import { CLIMATE_ZONES, TEXAS, type ClimateZone, type Region, type RegionTimezone } from "./region";

/** A meter's kind is stored as its index in these two lists (the fleet id grammar's prefixes, lib/fleet/ids). */
export const METER_KIND_PREFIX = Object.keys(KIND_BY_PREFIX);
export const METER_KINDS = Object.values(KIND_BY_PREFIX);
export type MeterKind = MeterKindName;
const KIND_SHARE = [0.7, 0.2, 0.1];

/** Bulk FOTA needs a head-end at or above this version. */
export const MIN_FOTA_HES_VERSION = "4.2.0";

export const YEAR_MS = 365.25 * 86_400_000;

/** Bits of MeterColumns.flags. */
export const METER_FLAGS = { hashMismatch: 1, tamperProne: 2 } as const;

export interface Zone {
  id: ClimateZone;
  name: string;
  thermalStressFactor: number;
}

export interface HesInstance {
  id: string;
  version: string;
}

export interface Gateway {
  id: string;
  name: string;
  lat: number;
  lon: number;
  backhaul: "mesh" | "cellular";
  maxConcurrentSessions: number;
  timezone: RegionTimezone;
  zone: ClimateZone;
  town: string;
  /** Head-end instance serving this gateway, and its software version. */
  hes: string;
  hesVersion: string;
  meterCount: number;
}

export interface MeterModel {
  id: string;
  kind: MeterKind;
  name: string;
  /** Electric: pulses per kWh; gas/water: litres per pulse. */
  pulseConstant: number;
}

export interface FirmwareImage {
  component: "metrology" | "comms";
  version: string;
  sha256: string;
  signed: boolean;
}

export interface CompatibilityEntry {
  metrologyVersion: string;
  commsVersion: string;
  compatible: boolean;
}

export interface MetrologyConstants {
  pulseConstant: number;
  gainCorrection: number;
  phaseCorrectionDeg: number;
}

/** One meter, materialised from the columns. Times are epoch ms UTC. */
export interface Meter {
  index: number;
  id: string;
  kind: MeterKind;
  model: string;
  town: string;
  zone: ClimateZone;
  timezone: RegionTimezone;
  gatewayId: string;
  lat: number;
  lon: number;
  installedAt: number;
  fwMetrology: string;
  fwComms: string;
  /** Hash of the running build; differs from the released build on tampered meters. */
  fwSha256: string;
  hesVersion: string;
  certNotAfter: number;
  lastVerifiedAt: number;
  metrologyConstants: MetrologyConstants;
  accuracyErrPct: number;
  rssi: number;
  lqi: number;
  snr: number;
  batteryV: number | null;
  supercapHealth: number | null;
  isTamperProne: boolean;
}

/** Struct of arrays, one slot per meter. Indexes refer to the fleet's lookup tables. */
export interface MeterColumns {
  count: number;
  kind: Uint8Array;
  /** The number in the id: EM-0000042 has serial 42 (numbered per kind). */
  serial: Uint32Array;
  model: Uint8Array;
  town: Uint16Array;
  gateway: Uint16Array;
  lat: Float64Array;
  lon: Float64Array;
  installedAt: Float64Array;
  fwMetrology: Uint8Array;
  fwComms: Uint8Array;
  certNotAfter: Float64Array;
  lastVerifiedAt: Float64Array;
  gainCorrection: Float32Array;
  phaseCorrectionDeg: Float32Array;
  /** Baseline metrology error vs the reference, percent (voltage-divider ageing). */
  accuracyErrPct: Float32Array;
  rssi: Float32Array;
  lqi: Uint8Array;
  snr: Float32Array;
  /** Gas/water only; NaN for electric. */
  batteryV: Float32Array;
  /** Electric only, 0..1; NaN for gas/water. */
  supercapHealth: Float32Array;
  flags: Uint8Array;
}

export interface Fleet {
  seed: Seed;
  now: number;
  region: Region;
  zones: Zone[];
  hesInstances: HesInstance[];
  gateways: Gateway[];
  models: MeterModel[];
  firmwareImages: FirmwareImage[];
  /** Versions by index, as referenced by MeterColumns.fwMetrology / fwComms. */
  metrologyVersions: string[];
  commsVersions: string[];
  compatibility: CompatibilityEntry[];
  meters: MeterColumns;
  /** Per kind, meter index by serial - 1: the id lookup without a million-key Map. */
  indexBySerial: Int32Array[];
}

export interface GenerateFleetInput {
  meters: number;
  seed: Seed;
  /** Epoch ms or Date: install dates, certificate expiries and verifications are relative to it. */
  now: number | Date;
  region?: Region;
}

const MODELS: MeterModel[] = [
  { id: "aster-e310", kind: "electric", name: "Aster E310 single-phase", pulseConstant: 1000 },
  { id: "aster-e350", kind: "electric", name: "Aster E350 three-phase CT", pulseConstant: 10000 },
  { id: "brio-e220", kind: "electric", name: "Brio E220 single-phase", pulseConstant: 1600 },
  { id: "corvel-e410", kind: "electric", name: "Corvel E410 polyphase", pulseConstant: 5000 },
  { id: "aster-g150", kind: "gas", name: "Aster G150 diaphragm", pulseConstant: 10 },
  { id: "brio-g200", kind: "gas", name: "Brio G200 ultrasonic", pulseConstant: 10 },
  { id: "corvel-g250", kind: "gas", name: "Corvel G250 rotary", pulseConstant: 100 },
  { id: "aster-w80", kind: "water", name: "Aster W80 ultrasonic", pulseConstant: 1 },
  { id: "brio-w100", kind: "water", name: "Brio W100 multi-jet", pulseConstant: 1 },
  { id: "corvel-w120", kind: "water", name: "Corvel W120 electromagnetic", pulseConstant: 10 },
];

const METROLOGY_VERSIONS = ["3.1.0", "3.2.4", "3.3.0", "3.4.1"];
const COMMS_VERSIONS = ["5.2.0", "5.4.2", "6.0.1", "6.1.0"];
/** Legacy comms build predates the signed-firmware-only policy. */
const UNSIGNED_IMAGES = new Set(["comms@5.2.0"]);

/** The IPC contract: metrology 3.4 speaks only to comms 6.x, metrology 3.1 only to comms 5.x. */
export function isFirmwarePairCompatible(metrology: string, comms: string): boolean {
  if (metrology.startsWith("3.4.") && comms.startsWith("5.")) return false;
  if (metrology.startsWith("3.1.") && comms.startsWith("6.")) return false;
  return true;
}

// [metrology, comms, share]: the field mix, with two incompatible cohorts left by half-done rollouts.
const FIRMWARE_MIX: [string, string, number][] = [
  ["3.1.0", "5.2.0", 0.1],
  ["3.2.4", "5.4.2", 0.3],
  ["3.3.0", "5.4.2", 0.2],
  ["3.2.4", "6.0.1", 0.06],
  ["3.3.0", "6.0.1", 0.15],
  ["3.4.1", "6.1.0", 0.15],
  ["3.4.1", "5.4.2", 0.025],
  ["3.1.0", "6.0.1", 0.015],
];

const HES_INSTANCES: HesInstance[] = [
  { id: "hes-01", version: "4.1.3" },
  { id: "hes-02", version: "4.2.0" },
  { id: "hes-03", version: "4.3.1" },
  { id: "hes-04", version: "4.3.1" },
];
const HES_SHARE = [0.2, 0.35, 0.25, 0.2];

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export function generateFleet(input: GenerateFleetInput): Fleet {
  const count = Math.floor(input.meters);
  if (!(count >= 1) || count > 9_999_999) throw new RangeError("generateFleet: meters must be 1..9,999,999");
  const now = typeof input.now === "number" ? input.now : input.now.getTime();
  const region = input.region ?? TEXAS;
  const root = createRandom(input.seed);
  const towns = region.towns;
  const zoneInfo = new Map(region.climateZones.map((z) => [z.id, z]));

  // Pass 1: town per meter, so each town's gateway count follows its meter count.
  const townRng = root.fork("towns");
  const pickTown = createWeightedPicker(towns.map((tw) => tw.population));
  const meterTown = new Uint16Array(count);
  const perTown = new Uint32Array(towns.length);
  for (let i = 0; i < count; i++) {
    const k = pickTown(townRng);
    meterTown[i] = k;
    perTown[k]!++;
  }

  const townSigmaKm = towns.map((tw) => Math.min(22, 1.5 + 4 * Math.sqrt(tw.population / 100)));
  const gwRng = root.fork("gateways");
  const pickHes = createWeightedPicker(HES_SHARE);
  const gateways: Gateway[] = [];
  const gwLat: number[] = [];
  const gwLon: number[] = [];
  const townGwStart = new Uint32Array(towns.length);
  const townGwCount = new Uint32Array(towns.length);
  towns.forEach((tw, k) => {
    townGwStart[k] = gateways.length;
    if (perTown[k] === 0) return;
    const n = Math.max(1, Math.round(perTown[k]! / gwRng.uniform(300, 800)));
    townGwCount[k] = n;
    const sigma = townSigmaKm[k]! * 0.85;
    const kmLon = 111.32 * Math.cos((tw.lat * Math.PI) / 180);
    for (let j = 0; j < n; j++) {
      // The first gateway sits at the town centre; the rest spread like the town.
      const lat = j === 0 ? tw.lat : tw.lat + gwRng.normal(0, sigma) / 110.574;
      const lon = j === 0 ? tw.lon : tw.lon + gwRng.normal(0, sigma) / kmLon;
      const hes = HES_INSTANCES[pickHes(gwRng)]!;
      gateways.push({
        id: formatGatewayId(gateways.length + 1),
        name: `${tw.name} ${j + 1}`,
        lat: round(lat, 5),
        lon: round(lon, 5),
        backhaul: gwRng.chance(tw.population < 50 ? 0.6 : 0.25) ? "cellular" : "mesh",
        maxConcurrentSessions: gwRng.intBetween(8, 32),
        timezone: tw.timezone,
        zone: tw.climate,
        town: tw.name,
        hes: hes.id,
        hesVersion: hes.version,
        meterCount: 0,
      });
      gwLat.push(lat);
      gwLon.push(lon);
    }
  });
  if (gateways.length > 65535) throw new RangeError("generateFleet: too many gateways for Uint16 indexes");

  const m: MeterColumns = {
    count,
    kind: new Uint8Array(count),
    serial: new Uint32Array(count),
    model: new Uint8Array(count),
    town: meterTown,
    gateway: new Uint16Array(count),
    lat: new Float64Array(count),
    lon: new Float64Array(count),
    installedAt: new Float64Array(count),
    fwMetrology: new Uint8Array(count),
    fwComms: new Uint8Array(count),
    certNotAfter: new Float64Array(count),
    lastVerifiedAt: new Float64Array(count),
    gainCorrection: new Float32Array(count),
    phaseCorrectionDeg: new Float32Array(count),
    accuracyErrPct: new Float32Array(count),
    rssi: new Float32Array(count),
    lqi: new Uint8Array(count),
    snr: new Float32Array(count),
    batteryV: new Float32Array(count),
    supercapHealth: new Float32Array(count),
    flags: new Uint8Array(count),
  };

  const modelsByKind = METER_KINDS.map((k) => MODELS.map((md, i) => (md.kind === k ? i : -1)).filter((i) => i >= 0));
  const pickKind = createWeightedPicker(KIND_SHARE);
  const pickFirmware = createWeightedPicker(FIRMWARE_MIX.map((f) => f[2]));
  const firmwareIdx = FIRMWARE_MIX.map(([mv, cv]) => [METROLOGY_VERSIONS.indexOf(mv), COMMS_VERSIONS.indexOf(cv)] as const);
  const serials = [0, 0, 0];
  const rng = root.fork("meters");
  const zoneStress = towns.map((tw) => zoneInfo.get(tw.climate)?.thermalStressFactor ?? 1);
  const meterSigma = townSigmaKm.map((s) => Math.min(1.2, Math.max(0.4, 0.25 * s)));

  for (let i = 0; i < count; i++) {
    const k = meterTown[i]!;
    const kind = pickKind(rng);
    m.kind[i] = kind;
    m.serial[i] = ++serials[kind]!;
    const models = modelsByKind[kind]!;
    m.model[i] = models[rng.int(models.length)]!;

    // Meters cluster around their gateway, gateways around the town centre.
    const g = townGwStart[k]! + rng.int(townGwCount[k]!);
    m.gateway[i] = g;
    const s = meterSigma[k]!;
    const dy = rng.normal(0, s);
    const dx = rng.normal(0, s);
    const lat0 = gwLat[g]!;
    m.lat[i] = lat0 + dy / 110.574;
    m.lon[i] = gwLon[g]! + dx / (111.32 * Math.cos((lat0 * Math.PI) / 180));
    const distKm = Math.sqrt(dx * dx + dy * dy);

    const installedAt = now - rng.float() * 15 * YEAR_MS;
    m.installedAt[i] = installedAt;
    const ageYears = (now - installedAt) / YEAR_MS;
    const f = firmwareIdx[pickFirmware(rng)]!;
    m.fwMetrology[i] = f[0];
    m.fwComms[i] = f[1];
    m.certNotAfter[i] = now + rng.uniform(-0.15, 1.85) * YEAR_MS;
    m.lastVerifiedAt[i] = Math.max(installedAt, now - rng.float() * 6.5 * YEAR_MS);
    m.gainCorrection[i] = 1 + rng.normal(0, 0.0008);
    m.phaseCorrectionDeg[i] = rng.normal(0, 0.05);

    // Link budget: log-distance path loss plus shadowing; noise floor near -112 dBm.
    const rssi = clamp(-58 - 22 * Math.log10(Math.max(distKm, 0.05) / 0.05) + rng.normal(0, 3), -125, -40);
    const snr = clamp(rssi - rng.normal(-112, 2.5), -5, 40);
    m.rssi[i] = rssi;
    m.snr[i] = snr;
    m.lqi[i] = clamp(Math.round(255 / (1 + Math.exp(-(snr - 8) / 4)) + rng.normal(0, 6)), 0, 255);

    if (kind === 0) {
      // Divider resistors drift after ~8 years; the supercap ages faster in hot enclosures.
      const drift = ageYears > 8 ? (ageYears - 8) * 0.03 * rng.float() * 2 : 0;
      m.accuracyErrPct[i] = Math.abs(rng.normal(0, 0.04)) + drift;
      m.supercapHealth[i] = clamp(1 - (ageYears / 20) * zoneStress[k]! * rng.uniform(0.7, 1.3), 0.05, 1);
      m.batteryV[i] = Number.NaN;
    } else {
      m.accuracyErrPct[i] = Math.abs(rng.normal(0, 0.05));
      const earlyFailure = rng.chance(0.05) ? rng.uniform(0.2, 0.5) : 0;
      m.batteryV[i] = clamp(3.65 - 0.03 * ageYears - Math.abs(rng.normal(0, 0.05)) - earlyFailure, 2.6, 3.7);
      m.supercapHealth[i] = Number.NaN;
    }
    let flags = 0;
    if (rng.chance(0.0008)) flags |= METER_FLAGS.hashMismatch;
    if (rng.chance(0.004)) flags |= METER_FLAGS.tamperProne;
    m.flags[i] = flags;
    gateways[g]!.meterCount++;
  }

  const indexBySerial = serials.map((n) => new Int32Array(n));
  for (let i = 0; i < count; i++) indexBySerial[m.kind[i]!]![m.serial[i]! - 1] = i;

  const firmwareImages: FirmwareImage[] = [
    ...METROLOGY_VERSIONS.map((version) => createImage("metrology", version)),
    ...COMMS_VERSIONS.map((version) => createImage("comms", version)),
  ];
  const compatibility = METROLOGY_VERSIONS.flatMap((mv) => COMMS_VERSIONS.map((cv) => ({ metrologyVersion: mv, commsVersion: cv, compatible: isFirmwarePairCompatible(mv, cv) })));

  return {
    seed: input.seed,
    now,
    region,
    zones: CLIMATE_ZONES.map((id) => {
      const z = zoneInfo.get(id)!;
      return { id, name: z.name, thermalStressFactor: z.thermalStressFactor };
    }),
    hesInstances: HES_INSTANCES.map((h) => ({ ...h })),
    gateways,
    models: MODELS.map((md) => ({ ...md })),
    firmwareImages,
    metrologyVersions: [...METROLOGY_VERSIONS],
    commsVersions: [...COMMS_VERSIONS],
    compatibility,
    meters: m,
    indexBySerial,
  };
}

function createImage(component: "metrology" | "comms", version: string): FirmwareImage {
  return { component, version, sha256: sha256Hex(`ami-sim/${component}/${version}`), signed: !UNSIGNED_IMAGES.has(`${component}@${version}`) };
}

const buildHashCache = new Map<string, string>();

/** SHA-256 of the released build for a metrology/comms pair (what the master repository holds). */
export function getBuildSha256(fwMetrology: string, fwComms: string): string {
  const key = fwMetrology + "+" + fwComms;
  let h = buildHashCache.get(key);
  if (!h) {
    h = sha256Hex(`ami-sim/build/${key}`);
    buildHashCache.set(key, h);
  }
  return h;
}

/** The hash a tampered or corrupted meter reports instead of its released build. */
export function getTamperedSha256(meterId: string): string {
  return sha256Hex(`ami-sim/tampered/${meterId}`);
}

export function getMeterId(fleet: Fleet, index: number): string {
  return formatMeterId(METER_KIND_PREFIX[fleet.meters.kind[index]!]!, fleet.meters.serial[index]!);
}

/** Meter index for an id like EM-0000042, or -1. */
export function findMeterIndex(fleet: Fleet, meterId: string): number {
  const kind = METER_KIND_PREFIX.indexOf(meterId.slice(0, 2));
  if (kind < 0 || meterId[2] !== "-") return -1;
  const digits = meterId.slice(3);
  if (!/^[0-9]{4,10}$/.test(digits)) return -1;
  const serial = Number(digits);
  const table = fleet.indexBySerial[kind]!;
  return serial >= 1 && serial <= table.length ? table[serial - 1]! : -1;
}

/** Gateway index for an id like GW-0042, or -1. */
export function findGatewayIndex(fleet: Fleet, gatewayId: string): number {
  const match = /^GW-([0-9]{4,})$/.exec(gatewayId);
  if (!match) return -1;
  const i = Number(match[1]) - 1;
  return i >= 0 && i < fleet.gateways.length ? i : -1;
}

export function getMeter(fleet: Fleet, index: number): Meter {
  const m = fleet.meters;
  if (!(index >= 0 && index < m.count)) throw new RangeError(`getMeter: no meter at index ${index}`);
  const town = fleet.region.towns[m.town[index]!]!;
  const model = fleet.models[m.model[index]!]!;
  const gw = fleet.gateways[m.gateway[index]!]!;
  const id = getMeterId(fleet, index);
  const fwMetrology = fleet.metrologyVersions[m.fwMetrology[index]!]!;
  const fwComms = fleet.commsVersions[m.fwComms[index]!]!;
  const battery = m.batteryV[index]!;
  const supercap = m.supercapHealth[index]!;
  return {
    index,
    id,
    kind: METER_KINDS[m.kind[index]!]!,
    model: model.id,
    town: town.name,
    zone: town.climate,
    timezone: town.timezone,
    gatewayId: gw.id,
    lat: round(m.lat[index]!, 5),
    lon: round(m.lon[index]!, 5),
    installedAt: Math.round(m.installedAt[index]!),
    fwMetrology,
    fwComms,
    fwSha256: m.flags[index]! & METER_FLAGS.hashMismatch ? getTamperedSha256(id) : getBuildSha256(fwMetrology, fwComms),
    hesVersion: gw.hesVersion,
    certNotAfter: Math.round(m.certNotAfter[index]!),
    lastVerifiedAt: Math.round(m.lastVerifiedAt[index]!),
    metrologyConstants: {
      pulseConstant: model.pulseConstant,
      gainCorrection: round(m.gainCorrection[index]!, 6),
      phaseCorrectionDeg: round(m.phaseCorrectionDeg[index]!, 4),
    },
    accuracyErrPct: round(m.accuracyErrPct[index]!, 3),
    rssi: Math.round(m.rssi[index]!),
    lqi: m.lqi[index]!,
    snr: round(m.snr[index]!, 1),
    batteryV: Number.isNaN(battery) ? null : round(battery, 2),
    supercapHealth: Number.isNaN(supercap) ? null : round(supercap, 2),
    isTamperProne: (m.flags[index]! & METER_FLAGS.tamperProne) !== 0,
  };
}

/** Compare semver strings like 4.1.3 numerically: negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function clamp(x: number, min: number, max: number): number {
  return x < min ? min : x > max ? max : x;
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
