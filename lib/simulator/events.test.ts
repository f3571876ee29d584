import { createHash } from "node:crypto";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CODE_LIST, CODES, LED_STATES, METER_ID_RE, RESULTS, SEVERITIES, STEPS } from "@/lib/audit/codes";
import { createEventStream, takeEvents } from "./events";
import { findGatewayIndex, findMeterIndex, generateFleet } from "./fleet";
import { loadScenarioFile } from "./scenario";

const START = Date.UTC(2026, 10, 25, 12);
const fleet = generateFleet({ meters: 20_000, seed: "ami-demo", now: START });

function hashLines(seed: number, n: number): string {
  const h = createHash("sha256");
  const s = createEventStream({ fleet, seed, start: START, ratePerSec: 500 });
  for (let k = 0; k < n; k++) h.update(s.next().value.line + "\n");
  return h.digest("hex");
}

const PREFIXES = [
  /^[A-Z][a-z]{2} [ 1-3]\d \d{2}:\d{2}:\d{2} (\S+) (\S+)\[\d+\]: /, // RFC 3164
  /^<\d{1,3}>1 (\S+) (\S+) (\S+) \S+ \S+ (?:-|\[.*?\]) /, // RFC 5424
  /^\d{4}-\d{2}-\d{2}T\S+ (\S+) (\S+)\[\d+\]: /, // ISO timestamp prefix
];

/** A strict reading of shared/spec/audit-log.md, independent of the product parser. */
function readLine(line: string): { fields: Record<string, string | number>; prefixTs: number | null } {
  if (line.startsWith("{")) return { fields: JSON.parse(line), prefixTs: null };
  let body = line;
  let prefixTs: number | null = null;
  for (const re of PREFIXES) {
    const m = re.exec(line);
    if (m) {
      body = line.slice(m[0].length);
      if (line.startsWith("<")) prefixTs = Date.parse(m[1]!);
      else if (/^\d/.test(line)) prefixTs = Date.parse(line.slice(0, line.indexOf(" ")));
      break;
    }
  }
  const fields: Record<string, string> = {};
  const re = /([a-z][a-z0-9_]*)=("(?:[^"\\]|\\.)*"|[^\s"]+)(?: |$)/y;
  let pos = 0;
  while (pos < body.length) {
    re.lastIndex = pos;
    const m = re.exec(body);
    if (!m) throw new Error(`not logfmt at ${pos}: ${line}`);
    fields[m[1]!] = m[2]!.startsWith('"') ? m[2]!.slice(1, -1).replace(/\\(.)/g, "$1") : m[2]!;
    pos = re.lastIndex;
  }
  return { fields, prefixTs };
}

const has = (list: readonly string[], v: unknown) => list.includes(String(v));

function parseTs(v: string | number): number {
  if (typeof v === "number" || /^\d+$/.test(v)) {
    const n = Number(v);
    return n < 1e11 ? n * 1000 : n;
  }
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v) ? Date.parse(v) : Number.NaN;
}

describe("createEventStream", () => {
  it("is deterministic: 100 000 lines hash the same per seed and differently for another", () => {
    const a = hashLines(1, 100_000);
    expect(hashLines(1, 100_000)).toBe(a);
    expect(hashLines(2, 100_000)).not.toBe(a);
  });

  it("emits every code of the contract within 20 000 lines of the default stream", () => {
    const seen = new Set<string>();
    for (const { line } of takeEvents(createEventStream({ fleet, seed: 3, start: START, ratePerSec: 200 }), 20_000)) seen.add(String(readLine(line).fields.code));
    expect([...seen].sort()).toEqual([...CODE_LIST].sort());
  });

  it("writes lines that fit the spec: keys, types, ranges, encodings, and advancing timestamps", () => {
    const events = takeEvents(createEventStream({ fleet, seed: 4, start: START, ratePerSec: 100 }), 20_000);
    const styles = { json: 0, plain: 0, rfc3164: 0, rfc5424: 0, iso: 0 };
    let drifted = 0;
    let last = 0;
    let heartbeats = 0;
    const problems: string[] = [];
    for (const { ts, line } of events) {
      expect(ts).toBeGreaterThanOrEqual(last);
      last = ts;
      if (line.startsWith("{")) styles.json++;
      else if (line.startsWith("ts=")) styles.plain++;
      else if (line.startsWith("<")) styles.rfc5424++;
      else if (/^\d/.test(line)) styles.iso++;
      else styles.rfc3164++;
      const { fields: f, prefixTs } = readLine(line);
      // Plain checks collected per line: expect() per field would take seconds here.
      const check = (ok: boolean, what: string) => ok || problems.push(`${what}: ${line}`);
      check(Math.abs(parseTs(f.ts!) - ts) < 1000, "ts");
      if (prefixTs !== null && Math.abs(prefixTs - ts) > 1000) drifted++;
      check(METER_ID_RE.test(String(f.meter)) && findMeterIndex(fleet, String(f.meter)) >= 0, "meter");
      check(String(f.code) in CODES, "code");
      check(f.sev === undefined || has(SEVERITIES, f.sev), "sev");
      check(f.gw === undefined || findGatewayIndex(fleet, String(f.gw)) >= 0, "gw");
      check(f.led === undefined || has(LED_STATES, f.led), "led");
      check(f.step === undefined || has(STEPS, f.step), "step");
      check(f.result === undefined || has(RESULTS, f.result), "result");
      check(f.rssi === undefined || (Number(f.rssi) >= -130 && Number(f.rssi) <= 0), "rssi");
      check(f.lqi === undefined || (Number.isInteger(Number(f.lqi)) && Number(f.lqi) >= 0 && Number(f.lqi) <= 255), "lqi");
      for (const k of ["snr", "temp_c", "battery_v", "accuracy_err_pct"]) check(f[k] === undefined || Number.isFinite(Number(f[k])), k);
      for (const k of ["fw_metrology", "fw_comms"]) check(f[k] === undefined || /^\d+\.\d+\.\d+$/.test(String(f[k])), k);
      check(f.fw_sha256 === undefined || /^[0-9a-f]{64}$/.test(String(f.fw_sha256)), "fw_sha256");
      check(f.cert_not_after === undefined || !Number.isNaN(Date.parse(String(f.cert_not_after))), "cert_not_after");
      if (f.code === "HEARTBEAT") heartbeats++;
      if (f.code === "HOTSPOT") check(Number(f.temp_c) > 60, "hotspot temp");
      if (f.code === "LOW_SNR") check(Number(f.snr) < 15, "low snr");
      if (f.code === "BATTERY_LOW") check(/^(GM|WM)-/.test(String(f.meter)) && Number(f.battery_v) < 3.1, "battery");
      if (f.code === "E001") check(f.led === "red_blinking", "E001 led");
      if (f.code === "E105") check(f.led === "amber_steady", "E105 led");
    }
    expect(problems.slice(0, 5)).toEqual([]);
    for (const n of Object.values(styles)) expect(n).toBeGreaterThan(1000);
    expect(drifted).toBeGreaterThan(0);
    expect(heartbeats / events.length).toBeGreaterThan(0.5);
    // 100 lines/s of event time: 20 000 lines span about 200 s.
    expect((last - START) / 1000).toBeGreaterThan(180);
    expect((last - START) / 1000).toBeLessThan(220);
  });

  it("concentrates E105 behind the gateway of the interference scenario, with degraded links", () => {
    const scenario = loadScenarioFile(path.join(__dirname, "scenarios/interference.yaml"));
    const g = findGatewayIndex(fleet, "GW-0042");
    const fleetShare = fleet.gateways[g]!.meterCount / fleet.meters.count;
    const stream = createEventStream({ fleet, seed: 5, start: START, ratePerSec: 20, scenario });
    let behind = 0;
    let total = 0;
    const snrBefore: number[] = [];
    const snrDuring: number[] = [];
    for (const { ts, line } of takeEvents(stream, 40_000)) {
      const f = readLine(line).fields;
      const meter = findMeterIndex(fleet, String(f.meter));
      const isBehind = fleet.meters.gateway[meter] === g;
      const minutes = (ts - START) / 60_000;
      if (isBehind && f.code === "HEARTBEAT") (minutes < 10 ? snrBefore : minutes > 20 && minutes < 40 ? snrDuring : []).push(Number(f.snr));
      if (f.code !== "E105" || minutes < 10 || minutes > 40) continue;
      total++;
      if (isBehind) behind++;
    }
    expect(total).toBeGreaterThan(200);
    expect(behind / total).toBeGreaterThan(20 * fleetShare);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(snrBefore) - mean(snrDuring)).toBeGreaterThan(8);
  });

  it("raises enclosure temperatures in the hot zone during a heat wave", () => {
    const heat = { name: "t", description: "", events: [{ event: "heatwave" as const, zone: "hot-dry" as const, rise_c: 15, at: 600_000, duration: 3_600_000, severity: 1 }] };
    const stream = createEventStream({ fleet, seed: 6, start: START, ratePerSec: 10, scenario: heat });
    const before: number[] = [];
    const during: number[] = [];
    let hotspots = 0;
    for (const { ts, line } of takeEvents(stream, 30_000)) {
      const f = readLine(line).fields;
      const town = fleet.region.towns[fleet.meters.town[findMeterIndex(fleet, String(f.meter))]!]!;
      if (f.code === "HOTSPOT" && ts - START > 900_000 && town.climate === "hot-dry") hotspots++;
      if (f.code !== "HEARTBEAT" || town.climate !== "hot-dry") continue;
      if (ts - START < 600_000) before.push(Number(f.temp_c));
      else if (ts - START > 1_500_000 && ts - START < 2_400_000) during.push(Number(f.temp_c));
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(during) - mean(before)).toBeGreaterThan(10);
    expect(hotspots).toBeGreaterThan(50);
  });

  it("rejects a non-positive rate", () => {
    expect(() => createEventStream({ fleet, seed: 1, start: START, ratePerSec: 0 })).toThrow(/ratePerSec/);
  });
});
