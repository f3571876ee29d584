// Test support for the fault queries: a small deterministic fleet and audit log with
// one planted cause (RF interference behind GW-0003 in the current window), plus a
// plain-TypeScript reference for what the SQL must return. Not imported by app code.
import { CODES, type Code, type LedState } from "@/lib/audit/codes";
import { isSignatureMatch, type FaultSignature, type MatchableEvent } from "@/lib/faults/catalogue";
import type { ClickHouse } from "@/lib/clickhouse/client";
import { formatMeterId } from "@/lib/fleet/ids";
import { Random } from "@/lib/simulator/random";

export const TO = Date.UTC(2026, 10, 25, 0, 0, 0);
export const HOUR = 3_600_000;
export const FROM = TO - 24 * HOUR;
export const PREV_FROM = FROM - 24 * HOUR;
export const BASELINE_FROM = FROM - 7 * 24 * HOUR;
export const INTERFERED_GW = "GW-0003";
export const COMPATIBLE_PAIRS = ["1.0.0/2.0.0", "1.1.0/2.1.0"];

export interface FleetMeter {
  meter: string;
  kind: string;
  model: string;
  gw: string;
  zone: string;
  fw_metrology: string;
  fw_comms: string;
  hes_version: string;
  install_year: number;
}

export interface Line extends MatchableEvent {
  ts: number;
  meter: string;
  code: Code;
  led: LedState | "";
  gw: string;
}

/**
 * clusterAround: extra instants that each get ~40 lines within +-90 s, so window edges and
 * sparkline bucket boundaries cut through minutes and hours that hold data.
 */
export function generateFaultData(seed = 7, lineCount = 4000, opts: { clusterAround?: number[] } = {}): { fleet: FleetMeter[]; lines: Line[]; unknownMeters: string[] } {
  const random = new Random(seed);
  const rnd = () => random.float();
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const fleet: FleetMeter[] = [];
  const prefixes = [
    ["EM", "electric"],
    ["GM", "gas"],
    ["WM", "water"],
  ] as const;
  for (let i = 1; i <= 160; i++) {
    const [prefix, kind] = i % 5 === 0 ? prefixes[1] : i % 7 === 0 ? prefixes[2] : prefixes[0];
    fleet.push({
      meter: formatMeterId(prefix, i),
      kind,
      model: pick(["A1", "B2", "C3"]),
      gw: `GW-000${1 + (i % 4)}`,
      zone: pick(["hot-dry", "temperate", "cold"]),
      fw_metrology: pick(["1.0.0", "1.1.0"]),
      fw_comms: pick(["2.0.0", "2.1.0"]),
      hes_version: pick(["4.1.0", "4.2.0", "4.10.0"]),
      install_year: 2018 + Math.floor(rnd() * 5),
    });
  }
  const unknownMeters = ["EM-0900001", "EM-0900002", "WM-0900003"];
  const everyone = [...fleet.map((m) => m.meter), ...unknownMeters];
  const gwOf = new Map(fleet.map((m) => [m.meter, m.gw]));
  const faultCodes = (Object.keys(CODES) as Code[]).filter((c) => c !== "HEARTBEAT" && c !== "STEP_OK");
  const lines: Line[] = [];
  const span = TO - BASELINE_FROM;
  const clusters = opts.clusterAround ?? [];
  const clustered = clusters.length * 40;
  for (let i = 0; i < lineCount + clustered; i++) {
    const meter = pick(everyone);
    const gw = gwOf.get(meter) ?? "GW-0009";
    // A few lines exactly on the edges: from and to-1 are in, to is out.
    const ts =
      i >= lineCount
        ? clusters[(i - lineCount) % clusters.length]! + Math.floor((rnd() - 0.5) * 180_000)
        : i % 97 === 0
          ? FROM
          : i % 89 === 0
            ? TO - 1
            : i % 83 === 0
              ? TO
              : BASELINE_FROM + Math.floor(rnd() * span);
    const interfered = gw === INTERFERED_GW && ts >= FROM && rnd() < 0.6;
    const r = rnd();
    const code: Code = interfered ? "E105" : r < 0.55 ? "HEARTBEAT" : r < 0.65 ? "STEP_OK" : pick(faultCodes);
    const led: LedState | "" = interfered
      ? pick(["amber_steady", "amber_steady", ""] as const)
      : pick(["", "", "green_steady", "green_steady", "amber_steady", "red_blinking", "off"] as const);
    const snr = rnd() < 0.5 ? null : interfered ? 4 + rnd() * 8 : 8 + rnd() * 25;
    lines.push({
      ts,
      meter,
      gw,
      code,
      led,
      snr,
      rssi: rnd() < 0.5 ? null : -110 + rnd() * 50,
      temp_c: rnd() < 0.6 ? null : 20 + rnd() * 50,
      cert_not_after: rnd() < 0.7 ? null : ts + Math.floor((rnd() * 70 - 10) * 86_400_000),
      recv_ts: rnd() < 0.6 ? null : ts + Math.floor((rnd() * 4 - 2) * 1000),
    });
  }
  return { fleet, lines, unknownMeters };
}

export async function insertFaultData(ch: ClickHouse, data: { fleet: FleetMeter[]; lines: Line[] }): Promise<void> {
  await ch.insertRows({
    table: "fleet_meters",
    values: data.fleet.map((m) => ({
      meter: m.meter,
      kind: m.kind,
      model: m.model,
      gw: m.gw,
      zone: m.zone,
      timezone: "UTC",
      lat: 0,
      lon: 0,
      installed_at: `${m.install_year}-06-01 00:00:00`,
      fw_metrology: m.fw_metrology,
      fw_comms: m.fw_comms,
      hes_version: m.hes_version,
      cert_not_after: "2030-01-01 00:00:00.000",
      last_verified_at: null,
    })),
  });
  await ch.insertRows({
    table: "audit_log",
    values: data.lines.map((l, i) => ({
      ts: l.ts,
      recv_ts: l.recv_ts ?? null,
      meter: l.meter,
      gw: l.gw,
      code: l.code,
      sev: CODES[l.code].sev,
      led: l.led,
      rssi: l.rssi ?? null,
      snr: l.snr ?? null,
      temp_c: l.temp_c ?? null,
      cert_not_after: l.cert_not_after ?? null,
      msg: "",
      attrs: {},
      id: String(i + 1),
      source: "test",
    })),
  });
}

// ---------------------------------------------------------------- reference (plain TypeScript)

export function inWindow(ts: number, from: number, to: number): boolean {
  return ts >= from && ts < to;
}

export function expectedLineCounts(lines: Line[], signature: FaultSignature, from: number, to: number, keep: (l: Line) => boolean = () => true) {
  const hits = lines.filter((l) => inWindow(l.ts, from, to) && keep(l) && isSignatureMatch(signature.match, l));
  return { events: hits.length, meters: new Set(hits.map((l) => l.meter)).size, hits };
}
