import { describe, expect, it } from "vitest";
import { buildTargetQuery, timelineBucketSeconds, toTargetMeterRow } from "./campaigns";

const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);
const squash = (sql: string) => sql.replace(/\s+/g, " ").trim();

describe("buildTargetQuery", () => {
  it("puts fleet filters inside both fleet reads, as parameters", () => {
    const { query, params } = buildTargetQuery({ gw: "GW-0042", kind: "electric", fw: "3.4.1/6.1.0" }, { now: NOW });
    const sql = squash(query);
    const where = "WHERE gw = {slice_gw:String} AND kind = {slice_kind:String} AND fw_metrology = {slice_fwMetrology:String} AND fw_comms = {slice_fwComms:String}";
    expect(sql).toContain(`FROM (SELECT * FROM fleet_meters FINAL ${where}) AS f`);
    expect(sql).toContain(`WHERE meter IN (SELECT meter FROM fleet_meters FINAL ${where})) AS s ON s.meter = f.meter`);
    expect(params).toEqual({ slice_gw: "GW-0042", slice_kind: "electric", slice_fwMetrology: "3.4.1", slice_fwComms: "6.1.0", limit: 2_000_000 });
  });

  it("a meter list bounds the state read by itself (no second pass over the fleet)", () => {
    const { query, params } = buildTargetQuery({ gw: "GW-0042", kind: "electric", fw: "3.4.1/6.1.0", meters: ["EM-0000001"] }, { now: NOW });
    const sql = squash(query);
    const where =
      "WHERE gw = {slice_gw:String} AND kind = {slice_kind:String} AND fw_metrology = {slice_fwMetrology:String} AND fw_comms = {slice_fwComms:String} AND meter IN {ids:Array(String)}";
    expect(sql).toContain(`FROM (SELECT * FROM fleet_meters FINAL ${where}) AS f`);
    expect(sql).toContain("FROM meter_state_current FINAL WHERE meter IN {ids:Array(String)}) AS s ON s.meter = f.meter");
    expect(params).toEqual({ slice_gw: "GW-0042", slice_kind: "electric", slice_fwMetrology: "3.4.1", slice_fwComms: "6.1.0", ids: ["EM-0000001"], limit: 2_000_000 });
    expect(sql).not.toContain("GW-0042");
    expect(sql).toMatch(/ORDER BY f\.meter LIMIT \{limit:UInt32\}$/);
  });

  it("a fault seen in audit lines: look-back from now in days, codes as an array parameter", () => {
    const { query, params } = buildTargetQuery({ fault: "E105", days: 3, led: "red_blinking" }, { now: NOW, limit: 10 });
    const sql = squash(query);
    expect(sql).toContain(
      "WHERE s.led = {led:String} AND f.meter IN (SELECT DISTINCT meter FROM audit_log WHERE ts >= {fault_from:DateTime64(3, 'UTC')} AND code IN {sig_codes:Array(String)})",
    );
    expect(params.fault_from).toBe("2026-11-17 12:00:00.000");
    expect(params.sig_codes).toContain("E105");
    expect(params.led).toBe("red_blinking");
    expect(params.limit).toBe(10);
  });

  it("a derived fleet rule without a compatibility list selects nobody, not everybody", () => {
    const { query } = buildTargetQuery({ fault: "fw_pair_incompatible" }, { now: NOW, compatibleFwPairs: null });
    expect(squash(query)).toContain("FROM (SELECT * FROM fleet_meters FINAL WHERE 0) AS f");
  });

  it("an unknown fault signature is refused", () => {
    expect(() => buildTargetQuery({ fault: "no_such_fault" }, { now: NOW })).toThrow(RangeError);
  });
});

describe("toTargetMeterRow", () => {
  const raw = {
    meter: "EM-0000001",
    kind: "electric",
    model: "E350",
    gw: "GW-0042",
    zone: "temperate",
    timezone: "Europe/Berlin",
    installed_ms: "1700000000000",
    fw_metrology: "3.4.1",
    fw_comms: "6.1.0",
    hes_version: "4.2.0",
    cert_ms: "1900000000000",
    snr: 17.5,
    battery_v: "",
    led: "green_steady",
    fault_code: "",
  };

  it("turns 64-bit strings into numbers and empty or null measurements into null", () => {
    expect(toTargetMeterRow(raw)).toEqual({
      meter: "EM-0000001",
      kind: "electric",
      model: "E350",
      gw: "GW-0042",
      zone: "temperate",
      timezone: "Europe/Berlin",
      installedAt: 1_700_000_000_000,
      fwMetrology: "3.4.1",
      fwComms: "6.1.0",
      hesVersion: "4.2.0",
      certNotAfter: 1_900_000_000_000,
      snr: 17.5,
      batteryV: null,
      led: "green_steady",
      faultCode: "",
    });
    expect(toTargetMeterRow({ ...raw, cert_ms: null }).certNotAfter).toBeNull();
  });

  it("refuses a row whose shape is not the query's, naming the column", () => {
    expect(() => toTargetMeterRow({ ...raw, gw: null })).toThrow(/gw is null/);
    expect(() => toTargetMeterRow({ ...raw, snr: "n/a" })).toThrow(/snr is not a number/);
    expect(() => toTargetMeterRow({ ...raw, installed_ms: "" })).toThrow(/installed_ms is missing/);
  });
});

describe("timelineBucketSeconds", () => {
  it("takes the narrowest step that keeps the span within the bucket count", () => {
    expect(timelineBucketSeconds(0)).toBe(60);
    expect(timelineBucketSeconds(60 * 60_000)).toBe(60); // an hour: 60 one-minute buckets
    expect(timelineBucketSeconds(61 * 60_000)).toBe(120);
    expect(timelineBucketSeconds(24 * 3600_000)).toBe(1800);
    expect(timelineBucketSeconds(90 * 86400_000)).toBe(86400 * 2);
    expect(timelineBucketSeconds(10 * 60_000, 5)).toBe(120);
  });
});
