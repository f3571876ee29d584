import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClickHouse, type ClickHouse } from "./client";
import { runClickHouseMigrations } from "./migrate";
import { getMeterStates } from "./get-meter-states";
import { auditLogRow } from "@/lib/testing/factories";
import { ensureMeterStatesBuilt, refreshMeterStates } from "./meter-state-current";

let dir: string;
let ch: ClickHouse;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ch-msc-"));
  ch = await createClickHouse({ path: path.join(dir, "ch"), database: "ami", queryTimeoutMs: 20_000 });
  await runClickHouseMigrations(ch);
});
afterAll(async () => {
  await ch?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const row = (p: Parameters<typeof auditLogRow>[0]) => auditLogRow({ gw: "GW-0001", ...p });

async function current(meter: string) {
  const rows = await ch.queryRows<Record<string, unknown>>({
    query: `SELECT meter, gw, led, fault_code, fault_sev, rssi, snr, toUnixTimestamp64Milli(last_seen) AS last_seen
            FROM meter_state_current FINAL WHERE meter = {meter: String}`,
    params: { meter },
    tag: "test.current",
  });
  return rows[0];
}

describe("meter_state_current", () => {
  it("holds the same merged state as meter_state for refreshed meters, and follows later changes", async () => {
    const t0 = Date.UTC(2026, 10, 25, 3, 0, 0);
    await ch.insertRows({
      table: "audit_log",
      values: [
        row({ meter: "EM-0000001", ts: t0, code: "HEARTBEAT", sev: "debug", led: "green_steady", rssi: -70, snr: 22 }),
        row({ meter: "EM-0000001", ts: t0 + 60_000, code: "E105", sev: "error", led: "amber_steady", rssi: -97 }),
        row({ meter: "EM-0000002", ts: t0, code: "E001", sev: "critical", led: "red_blinking", gw: "GW-0002" }),
        // Out of order: an older heartbeat arriving late must not clear the fault.
        row({ meter: "EM-0000002", ts: t0 - 60_000, code: "HEARTBEAT", sev: "debug", led: "green_steady", gw: "GW-0002" }),
      ],
    });
    await refreshMeterStates(["EM-0000001", "EM-0000002"], ch);
    const exact = await getMeterStates({ meters: ["EM-0000001", "EM-0000002"], limit: 10 }, ch);
    for (const m of exact) {
      const c = await current(m.meter);
      expect(c).toMatchObject({ meter: m.meter, gw: m.gw, led: m.led, fault_code: m.fault_code, fault_sev: m.fault_sev, rssi: m.rssi, snr: m.snr });
      expect(Number(c!.last_seen)).toBe(m.last_seen);
    }
    expect(await current("EM-0000001")).toMatchObject({ led: "amber_steady", fault_code: "E105", rssi: -97, snr: 22 });
    expect(await current("EM-0000002")).toMatchObject({ led: "red_blinking", fault_code: "E001", fault_sev: "critical" });

    // Back to normal: a newer green heartbeat clears the open fault.
    await ch.insertRows({ table: "audit_log", values: [row({ meter: "EM-0000001", ts: t0 + 120_000, code: "HEARTBEAT", sev: "debug", led: "green_steady", rssi: -68 })] });
    await refreshMeterStates(["EM-0000001"], ch);
    expect(await current("EM-0000001")).toMatchObject({ led: "green_steady", fault_code: "", fault_sev: "", rssi: -68 });
    const [{ n }] = await ch.queryRows<{ n: string }>({ query: "SELECT count() AS n FROM meter_state_current FINAL", tag: "test.n" });
    expect(Number(n)).toBe(2);
  });

  it("is rebuilt at start when empty while meter_state has rows", async () => {
    await ch.execCommand({ query: "TRUNCATE TABLE meter_state_current" });
    await ensureMeterStatesBuilt(ch);
    expect(await current("EM-0000002")).toMatchObject({ fault_code: "E001" });
    expect(await current("EM-0000001")).toMatchObject({ led: "green_steady" });
  });
});

describe("listCurrentMeterStates", () => {
  it("reads the flat table in the same shape as getMeterStates, latest first", async () => {
    const { listCurrentMeterStates } = await import("./meter-state-current");
    const flat = await listCurrentMeterStates({ limit: 10 }, ch);
    const exact = await getMeterStates({ meters: flat.map((s) => s.meter), limit: 10 }, ch);
    expect(flat.length).toBeGreaterThan(0);
    for (const s of flat) expect(s).toEqual(exact.find((e) => e.meter === s.meter));
    expect(flat.map((s) => s.last_seen)).toEqual([...flat.map((s) => s.last_seen)].sort((a, b) => (b ?? 0) - (a ?? 0)));
  });
});
