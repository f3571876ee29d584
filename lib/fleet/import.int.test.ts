// CSV import against real engines: a file with bad rows is refused whole
// (every bad line reported, nothing written anywhere); a good file lands in
// Prisma and in ClickHouse with equal counts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countFleetCopies, findFleetMeterCopies } from "@/lib/clickhouse/queries/fleet";
import { importFleet } from "./import";
import { countFleet } from "./store";
import { openTestStores, type TestStores } from "@/lib/testing/stores";

const METER_HEADER =
  "id,kind,model,latitude,longitude,gateway,installed_at,climate_zone,fw_metrology,fw_comms,hes_version,cert_not_after,last_verified_at,timezone,gain_correction";
const GATEWAY_HEADER = "id,name,latitude,longitude,backhaul,max_sessions,timezone,climate_zone";

function meterLine(p: Partial<Record<string, string>> = {}): string {
  const v = {
    id: "EM-0000001",
    kind: "electric",
    model: "aster-e310",
    latitude: "30.2672",
    longitude: "-97.7431",
    gateway: "GW-9001",
    installed_at: "2019-04-02",
    climate_zone: "temperate",
    fw_metrology: "3.2.4",
    fw_comms: "5.4.2",
    hes_version: "4.2.0",
    cert_not_after: "2027-06-30T00:00:00Z",
    last_verified_at: "",
    timezone: "America/Chicago",
    gain_correction: "",
    ...p,
  };
  return METER_HEADER.split(",")
    .map((k) => (v[k as keyof typeof v]?.includes(",") ? `"${v[k as keyof typeof v]}"` : v[k as keyof typeof v]))
    .join(",");
}

function gatewayLine(id: string, zone = "temperate"): string {
  return `${id},"Austin, north ${id}",30.30,-97.70,mesh,16,America/Chicago,${zone}`;
}

function meterIds(n: number, start = 1): string[] {
  return Array.from({ length: n }, (_, i) => `${["EM", "GM", "WM"][i % 3]}-${String(start + i).padStart(7, "0")}`);
}

let s: TestStores;
beforeAll(async () => {
  s = await openTestStores();
});
afterAll(async () => {
  await s?.close();
});

describe("importFleet", () => {
  it("refuses a file with bad rows, names each bad line and its reason, and writes nothing", async () => {
    const gateways = [GATEWAY_HEADER, gatewayLine("GW-9001"), "GW-9002,Nowhere,95,-97,satellite,16,Mars/Olympus,temperate"].join("\n");
    const lines = [
      METER_HEADER,
      meterLine({ id: "EM-0000001" }), // 2 ok
      meterLine({ id: "XX-12" }), // 3 bad id
      meterLine({ id: "GM-0000003", kind: "electric" }), // 4 prefix/kind mismatch
      meterLine({ id: "EM-0000004", latitude: "north" }), // 5
      meterLine({ id: "EM-0000005", gateway: "GW-7777" }), // 6 unknown gateway
      meterLine({ id: "EM-0000006", installed_at: "yesterday", timezone: "Europe/Nowhere" }), // 7 two reasons
      meterLine({ id: "EM-0000001" }), // 8 duplicate
      meterLine({ id: "EM-0000008", climate_zone: "arctic" }), // 9 unknown zone
      meterLine({ id: "EM-0000009", gain_correction: "7" }), // 10 constant out of range
      "EM-0000010,electric,short-row", // 11 wrong width
      meterLine({ id: "EM-0000011" }), // 12 ok
    ];
    const result = await importFleet({ metersCsv: lines.join("\n") + "\n", gatewaysCsv: gateways, db: s.db, ch: s.ch });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const byLine = Object.fromEntries(result.errors.filter((e) => e.file === "meters").map((e) => [e.line, e.reason]));
    expect(Object.keys(byLine).map(Number)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(byLine[3]).toMatch(/id "XX-12" is not a meter id/);
    expect(byLine[4]).toMatch(/prefix GM does not match kind electric/);
    expect(byLine[5]).toMatch(/latitude "north"/);
    expect(byLine[6]).toMatch(/gateway GW-7777 does not exist/);
    expect(byLine[7]).toMatch(/installed_at "yesterday".*timezone "Europe\/Nowhere"/);
    expect(byLine[8]).toMatch(/appears twice/);
    expect(byLine[9]).toMatch(/climate_zone "arctic" does not exist/);
    expect(byLine[10]).toMatch(/gain_correction "7"/);
    expect(byLine[11]).toMatch(/has 3 fields, the header has 15/);
    const gwErrors = result.errors.filter((e) => e.file === "gateways");
    expect(gwErrors).toHaveLength(1);
    expect(gwErrors[0]).toMatchObject({ line: 3, id: "GW-9002" });
    expect(gwErrors[0]!.reason).toMatch(/latitude "95".*backhaul "satellite".*timezone "Mars\/Olympus"/);

    expect(await countFleet(s.db)).toEqual({ meters: 0, gateways: 0, zones: 0 });
    expect(await countFleetCopies(s.ch)).toEqual({ meters: 0, gateways: 0 });
  });

  it("refuses a file with a missing column at line 1", async () => {
    const result = await importFleet({ metersCsv: "id,kind\nEM-0000001,electric\n", db: s.db, ch: s.ch });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]).toMatchObject({ file: "meters", line: 1, reason: expect.stringMatching(/missing column\(s\): model, latitude/) });
  });

  it("imports a good file into Prisma and ClickHouse (equal counts) and a re-import updates in place", async () => {
    const gwIds = ["GW-9001", "GW-9002", "GW-9003"];
    const gateways = [GATEWAY_HEADER, ...gwIds.map((g, i) => gatewayLine(g, ["temperate", "hot-humid", "cold"][i]))].join("\n");
    const ids = meterIds(1200);
    const kinds: Record<string, string> = { EM: "electric", GM: "gas", WM: "water" };
    const csv = [
      METER_HEADER,
      ...ids.map((id, i) =>
        meterLine({ id, kind: kinds[id.slice(0, 2)], gateway: gwIds[i % 3], climate_zone: ["temperate", "hot-humid", "cold"][i % 3], gain_correction: "1.0004" }),
      ),
    ].join("\r\n");
    const result = await importFleet({ metersCsv: csv, gatewaysCsv: gateways, db: s.db, ch: s.ch });
    expect(result).toMatchObject({ ok: true, meters: 1200, gateways: 3 });
    if (result.ok) expect(result.zonesCreated.sort()).toEqual(["cold", "hot-humid", "temperate"]);
    expect(await countFleet(s.db)).toEqual({ meters: 1200, gateways: 3, zones: 3 });
    expect(await countFleetCopies(s.ch)).toEqual({ meters: 1200, gateways: 3 });
    const m = await s.db.meter.findUniqueOrThrow({ where: { id: ids[4]! } });
    expect(m).toMatchObject({ kind: "gas", gatewayId: "GW-9002", climateZoneId: "hot-humid", fwMetrology: "3.2.4" });
    expect(m.metrologyConstants).toEqual({ gainCorrection: 1.0004 });

    // Re-import with a firmware change on every meter, gateways now known in the database.
    const csv2 = csv.replaceAll(",3.2.4,", ",3.3.0,");
    const again = await importFleet({ metersCsv: csv2, db: s.db, ch: s.ch });
    expect(again).toMatchObject({ ok: true, meters: 1200, gateways: 0 });
    expect(await countFleet(s.db)).toEqual({ meters: 1200, gateways: 3, zones: 3 });
    expect(await s.db.meter.count({ where: { fwMetrology: "3.3.0" } })).toBe(1200);
    expect(await countFleetCopies(s.ch)).toEqual({ meters: 1200, gateways: 3 });
    const [copy] = await findFleetMeterCopies([ids[4]!], s.ch);
    expect(copy).toMatchObject({ gw: "GW-9002", zone: "hot-humid", fw_metrology: "3.3.0", kind: "gas" });
  });
});
