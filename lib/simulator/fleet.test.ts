import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { METER_ID_RE } from "@/lib/audit/codes";
import { compareVersions, findGatewayIndex, findMeterIndex, generateFleet, getMeter, getMeterId, YEAR_MS, type Fleet } from "./fleet";
import { getDistanceKm } from "./region";

const NOW = Date.UTC(2026, 10, 25);

function hashFleet(f: Fleet): string {
  const h = createHash("sha256");
  for (const col of Object.values(f.meters)) if (ArrayBuffer.isView(col)) h.update(new Uint8Array(col.buffer, col.byteOffset, col.byteLength));
  h.update(JSON.stringify([f.gateways, f.firmwareImages, f.compatibility, f.zones]));
  return h.digest("hex");
}

describe("generateFleet", () => {
  const fleet = generateFleet({ meters: 30_000, seed: 11, now: NOW });

  it("is identical for the same seed and different for another", () => {
    expect(hashFleet(generateFleet({ meters: 30_000, seed: 11, now: NOW }))).toBe(hashFleet(fleet));
    expect(hashFleet(generateFleet({ meters: 30_000, seed: 12, now: NOW }))).not.toBe(hashFleet(fleet));
  });

  it("mixes kinds about 70/20/10 with spec ids that round-trip", () => {
    const counts = [0, 0, 0];
    for (let i = 0; i < fleet.meters.count; i++) counts[fleet.meters.kind[i]!]!++;
    expect(counts[0]! / fleet.meters.count).toBeCloseTo(0.7, 1);
    expect(counts[1]! / fleet.meters.count).toBeCloseTo(0.2, 1);
    expect(counts[2]! / fleet.meters.count).toBeCloseTo(0.1, 1);
    for (const i of [0, 1, 999, 29_999]) {
      const id = getMeterId(fleet, i);
      expect(id).toMatch(/^(EM|GM|WM)-\d{7}$/);
      expect(id).toMatch(METER_ID_RE);
      expect(findMeterIndex(fleet, id)).toBe(i);
      expect(getMeter(fleet, i).id).toBe(id);
    }
    expect(findMeterIndex(fleet, "EM-9999999")).toBe(-1);
    expect(findMeterIndex(fleet, "XX-0000001")).toBe(-1);
    expect(new Set(fleet.models.filter((m) => m.kind === "electric").map((m) => m.id)).size).toBeGreaterThanOrEqual(3);
  });

  it("clusters meters near their town and gives busy towns one gateway per 300-800 meters", () => {
    for (let i = 0; i < fleet.meters.count; i += 97) {
      const m = getMeter(fleet, i);
      const town = fleet.region.towns.find((t) => t.name === m.town)!;
      expect(getDistanceKm(m.lat, m.lon, town.lat, town.lon)).toBeLessThan(120);
      expect(fleet.gateways[findGatewayIndex(fleet, m.gatewayId)]!.town).toBe(m.town);
    }
    const houston = fleet.gateways.filter((g) => g.town === "Houston");
    const perGateway = houston.reduce((a, g) => a + g.meterCount, 0) / houston.length;
    expect(perGateway).toBeGreaterThanOrEqual(300);
    expect(perGateway).toBeLessThanOrEqual(800);
    expect(fleet.gateways.map((g) => g.id).slice(0, 2)).toEqual(["GW-0001", "GW-0002"]);
    for (const g of fleet.gateways) {
      expect(g.maxConcurrentSessions).toBeGreaterThanOrEqual(8);
      expect(g.maxConcurrentSessions).toBeLessThanOrEqual(32);
    }
    expect(new Set(fleet.gateways.map((g) => g.backhaul))).toEqual(new Set(["mesh", "cellular"]));
    expect(new Set(fleet.gateways.map((g) => g.timezone))).toEqual(new Set(["America/Chicago", "America/Denver"]));
  });

  it("leaves realistic defects in the field: incompatible pairs, old head-ends, expired certificates", () => {
    let incompatible = 0;
    let expired = 0;
    let oldest = NOW;
    const compat = new Map(fleet.compatibility.map((c) => [c.metrologyVersion + c.commsVersion, c.compatible]));
    for (let i = 0; i < fleet.meters.count; i++) {
      const mv = fleet.metrologyVersions[fleet.meters.fwMetrology[i]!]!;
      const cv = fleet.commsVersions[fleet.meters.fwComms[i]!]!;
      if (!compat.get(mv + cv)) incompatible++;
      if (fleet.meters.certNotAfter[i]! < NOW) expired++;
      oldest = Math.min(oldest, fleet.meters.installedAt[i]!);
      expect(fleet.meters.certNotAfter[i]).toBeLessThan(NOW + 2 * YEAR_MS);
    }
    expect(incompatible / fleet.meters.count).toBeGreaterThan(0.01);
    expect(incompatible / fleet.meters.count).toBeLessThan(0.1);
    expect(expired / fleet.meters.count).toBeGreaterThan(0.02);
    expect(expired / fleet.meters.count).toBeLessThan(0.2);
    expect((NOW - oldest) / YEAR_MS).toBeGreaterThan(14);
    expect((NOW - oldest) / YEAR_MS).toBeLessThanOrEqual(15);
    const versions = new Set(fleet.gateways.map((g) => g.hesVersion));
    expect([...versions].some((v) => compareVersions(v, "4.2.0") < 0)).toBe(true);
    expect([...versions].some((v) => compareVersions(v, "4.2.0") > 0)).toBe(true);
    expect(fleet.firmwareImages.every((img) => /^[0-9a-f]{64}$/.test(img.sha256))).toBe(true);
  });

  it("derives link quality from distance: near meters hear their gateway better", () => {
    let near = 0,
      nearN = 0,
      far = 0,
      farN = 0;
    for (let i = 0; i < fleet.meters.count; i++) {
      const g = fleet.gateways[fleet.meters.gateway[i]!]!;
      const d = getDistanceKm(fleet.meters.lat[i]!, fleet.meters.lon[i]!, g.lat, g.lon);
      if (d < 0.5) {
        near += fleet.meters.rssi[i]!;
        nearN++;
      }
      if (d > 2) {
        far += fleet.meters.rssi[i]!;
        farN++;
      }
    }
    expect(near / nearN - far / farN).toBeGreaterThan(10);
  });
});
