// Writing a generated fleet into Prisma and ClickHouse, twice: the second run
// upserts the same ids (no duplicates) and both engines agree on the counts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countFleetCopies, findFleetMeterCopies } from "@/lib/clickhouse/queries/fleet";
import { generateFleet, getMeter } from "@/lib/simulator/fleet";
import { writeGeneratedFleet } from "./generate";
import { countFleet } from "./store";
import { openTestStores, type TestStores } from "@/lib/testing/stores";

let s: TestStores;
beforeAll(async () => {
  s = await openTestStores();
});
afterAll(async () => {
  await s?.close();
});

describe("writeGeneratedFleet", () => {
  it("writes zones, gateways, firmware and meters, and a re-run upserts without duplicates", async () => {
    const fleet = generateFleet({ meters: 2500, seed: "gen-test", now: Date.UTC(2026, 10, 25) });
    const first = await writeGeneratedFleet({ fleet, db: s.db, ch: s.ch });
    expect(first.meters).toBe(2500);
    const counts = await countFleet(s.db);
    expect(counts).toEqual({ meters: 2500, gateways: fleet.gateways.length, zones: fleet.zones.length });
    expect(await s.db.firmwareImage.count()).toBe(fleet.firmwareImages.length);
    expect(await s.db.firmwareCompatibility.count()).toBe(fleet.compatibility.length);

    const m7 = getMeter(fleet, 7);
    const stored = await s.db.meter.findUniqueOrThrow({ where: { id: m7.id } });
    expect(stored).toMatchObject({ kind: m7.kind, gatewayId: m7.gatewayId, fwMetrology: m7.fwMetrology, fwComms: m7.fwComms, climateZoneId: m7.zone });
    expect(stored.certNotAfter.getTime()).toBe(m7.certNotAfter);
    expect(stored.metrologyConstants).toEqual(m7.metrologyConstants);

    // A technician's change survives a re-seed: constants are written on insert only.
    await s.db.meter.update({ where: { id: m7.id }, data: { metrologyConstants: { ...m7.metrologyConstants, gainCorrection: 1.01 } } });
    await writeGeneratedFleet({ fleet, db: s.db, ch: s.ch });
    expect(await countFleet(s.db)).toEqual(counts);
    expect(await s.db.firmwareImage.count()).toBe(fleet.firmwareImages.length);
    const again = await s.db.meter.findUniqueOrThrow({ where: { id: m7.id } });
    expect((again.metrologyConstants as { gainCorrection: number }).gainCorrection).toBe(1.01);

    const copies = await countFleetCopies(s.ch);
    expect(copies).toEqual({ meters: 2500, gateways: fleet.gateways.length });
    const [copy] = await findFleetMeterCopies([m7.id], s.ch);
    expect(copy).toMatchObject({ meter: m7.id, kind: m7.kind, gw: m7.gatewayId, zone: m7.zone, fw_metrology: m7.fwMetrology });
    expect(new Date(copy!.cert_not_after.replace(" ", "T") + "Z").getTime()).toBe(m7.certNotAfter);
  });
});
