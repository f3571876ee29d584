import { describe, expect, it } from "vitest";
import { compareVersions, findMeterIndex, generateFleet, getMeter, type Fleet } from "@/lib/simulator/fleet";
import { createVirtualClock } from "./adapter";
import { createSimulatorHes, type SimulatorHesOptions } from "./simulator-hes";

const NOW = Date.UTC(2026, 10, 25, 2);
const fleet = generateFleet({ meters: 5_000, seed: "hes-test", now: NOW });

/** First meter matching the test: good link, valid certificate, on a head-end that passes the test. */
function findMeter(f: Fleet, test: (m: ReturnType<typeof getMeter>) => boolean): string {
  for (let i = 0; i < f.meters.count; i++) {
    const m = getMeter(f, i);
    if (m.snr > 25 && m.certNotAfter > NOW + 86_400_000 && test(m)) return m.id;
  }
  throw new Error("no such meter in the test fleet");
}

function createHes(options: Partial<SimulatorHesOptions> = {}) {
  const clock = createVirtualClock(NOW);
  const hes = createSimulatorHes({ fleet, seed: 1, clock, latencyScale: 1, ...options });
  const lines: string[] = [];
  hes.subscribe((l) => lines.push(l));
  return { hes, clock, lines };
}

const modernHes = (m: ReturnType<typeof getMeter>) => compareVersions(m.hesVersion, "4.2.0") >= 0;

describe("simulator head-end", () => {
  it("applies a retransmitted command once and returns the first outcome", async () => {
    const { hes, clock, lines } = createHes();
    const meterId = findMeter(fleet, modernHes);
    const cmd = { meterId, step: "calibrate" as const, idempotencyKey: "k-1", job: "cmp_test" };
    const first = await hes.sendCommand(cmd);
    expect(first.status).toBe("ok");
    const t = clock.now();
    const again = await hes.sendCommand(cmd);
    expect(again).toBe(first);
    expect(clock.now()).toBe(t);
    expect(hes.getAppliedCount("k-1")).toBe(1);
    expect(await hes.getOutcome("k-1")).toBe(first);
    expect(await hes.getOutcome("unknown")).toBeNull();
    expect(lines.filter((l) => l.includes("key=k-1"))).toHaveLength(1);
    expect(lines[0]).toMatch(/code=STEP_OK sev=info step=calibrate job=cmp_test result=ok accuracy_err_pct=[\d.]+ key=k-1$/);
    // Concurrent duplicates share one execution too.
    const [a, b] = await Promise.all([hes.sendCommand({ ...cmd, idempotencyKey: "k-2" }), hes.sendCommand({ ...cmd, idempotencyKey: "k-2" })]);
    expect(a).toBe(b);
    expect(hes.getAppliedCount("k-2")).toBe(1);
    expect(() => hes.sendCommand({ ...cmd, step: "inspect" })).toThrow(/idempotency key k-1/);
  });

  it("refuses FOTA below head-end 4.2.0 without touching the meter", async () => {
    const { hes, lines } = createHes();
    const meterId = findMeter(fleet, (m) => m.hesVersion === "4.1.3" && m.fwMetrology === "3.3.0");
    const before = await hes.getFirmwareHash(meterId);
    const outcome = await hes.sendCommand({ meterId, step: "fota", params: { comms: "6.0.1" }, idempotencyKey: "f-1" });
    expect(outcome).toMatchObject({ status: "fail", code: "FOTA_FAILED", refused: true });
    expect(outcome.status === "fail" && outcome.message).toMatch(/4\.1\.3 is below 4\.2\.0/);
    expect(await hes.getFirmwareHash(meterId)).toEqual(before);
    expect(hes.getAppliedCount("f-1")).toBe(0);
    expect(lines[0]).toMatch(/code=FOTA_FAILED sev=warn step=fota result=skipped/);
  });

  it("refuses FOTA that would leave an incompatible metrology/comms pair, and applies a compatible one", async () => {
    const { hes } = createHes({ fotaFailureRate: 0 });
    const meterId = findMeter(fleet, (m) => modernHes(m) && m.fwMetrology === "3.3.0" && m.fwComms === "5.4.2");
    const refused = await hes.sendCommand({ meterId, step: "fota", params: { metrology: "3.4.1" }, idempotencyKey: "f-2" });
    expect(refused).toMatchObject({ status: "fail", code: "IPC_ERROR", refused: true });
    expect((await hes.getFirmwareHash(meterId)).fwMetrology).toBe("3.3.0");
    const done = await hes.sendCommand({ meterId, step: "fota", params: { metrology: "3.4.1", comms: "6.1.0" }, idempotencyKey: "f-3" });
    expect(done.status).toBe("ok");
    expect(await hes.getFirmwareHash(meterId)).toMatchObject({ fwMetrology: "3.4.1", fwComms: "6.1.0" });
    expect(() => hes.sendCommand({ meterId, step: "fota", params: { metrology: "9.0.0" }, idempotencyKey: "f-4" })).toThrow(/metrology must be one of/);
  });

  it("bricks a meter on a failed FOTA until a recovery step", async () => {
    const { hes, lines } = createHes({ fotaFailureRate: 1 });
    const meterId = findMeter(fleet, (m) => modernHes(m) && m.fwMetrology === "3.2.4" && m.fwComms === "5.4.2");
    const failed = await hes.sendCommand({ meterId, step: "fota", params: { metrology: "3.3.0" }, idempotencyKey: "b-1" });
    expect(failed).toMatchObject({ status: "fail", code: "FOTA_FAILED" });
    expect(hes.isBricked(meterId)).toBe(true);
    expect(lines.at(-1)).toMatch(/code=FOTA_FAILED sev=critical led=red_steady step=fota result=fail/);
    expect(await hes.sendCommand({ meterId, step: "inspect", idempotencyKey: "b-2" })).toMatchObject({ status: "fail", code: "FOTA_FAILED" });
    const recovered = await hes.sendCommand({ meterId, step: "fw_verify", params: { recovery: true }, idempotencyKey: "b-3" });
    expect(recovered).toMatchObject({ status: "ok", details: { recovered: true, fwMetrology: "3.2.4" } });
    expect(hes.isBricked(meterId)).toBe(false);
    expect((await hes.sendCommand({ meterId, step: "inspect", idempotencyKey: "b-4" })).status).toBe("ok");
  });

  it("turns gateway congestion into timeouts and HES_TIMEOUT lines, and spaced waves into successes", async () => {
    const { hes, lines } = createHes({ tlsFailureRate: 0 });
    const gw = fleet.gateways.find((g) => g.meterCount >= 200 && g.maxConcurrentSessions <= 16)!;
    const meters: string[] = [];
    for (let i = 0; i < fleet.meters.count && meters.length < 160; i++) {
      const m = getMeter(fleet, i);
      if (m.gatewayId === gw.id && m.snr > 20 && m.certNotAfter > NOW + 86_400_000) meters.push(m.id);
    }
    const burst = await Promise.all(meters.map((meterId, k) => hes.sendCommand({ meterId, step: "inspect", idempotencyKey: `c-${k}`, timeoutMs: 10_000 })));
    const timeouts = burst.filter((o) => o.status === "timeout").length;
    expect(timeouts / burst.length).toBeGreaterThan(0.5);
    expect(lines.filter((l) => l.includes("code=HES_TIMEOUT") && l.includes("result=timeout")).length).toBe(timeouts);
    expect(hes.getInFlight(gw.id)).toBe(0);
    // The same meters in waves within the session limit: no congestion timeouts.
    const waveSize = Math.floor(gw.maxConcurrentSessions / 2);
    let waveTimeouts = 0;
    for (let w = 0; w < meters.length; w += waveSize) {
      const wave = meters.slice(w, w + waveSize);
      const out = await Promise.all(wave.map((meterId, k) => hes.sendCommand({ meterId, step: "inspect", idempotencyKey: `w-${w + k}`, timeoutMs: 10_000 })));
      waveTimeouts += out.filter((o) => o.status === "timeout").length;
    }
    expect(waveTimeouts).toBe(0);
  });

  it("loses commands to RF interference and shows it in the neighbour table", async () => {
    const { hes } = createHes();
    const meterId = findMeter(fleet, (m) => modernHes(m) && m.snr < 30);
    const own = getMeter(fleet, findMeterIndex(fleet, meterId)).gatewayId;
    const clean = await hes.getNeighbourTable(meterId);
    expect(clean.length).toBeGreaterThan(1);
    expect(clean.some((n) => n.neighbour === own)).toBe(true);
    hes.setInterference(own, 1);
    const noisy = await hes.getNeighbourTable(meterId);
    expect(Math.max(...noisy.map((n) => n.rssi))).toBeLessThan(Math.max(...clean.map((n) => n.rssi)));
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, k) => hes.sendCommand({ meterId, step: "inspect", idempotencyKey: `rf-${k}` })));
    expect(outcomes.filter((o) => o.status === "fail" && o.code === "E105").length).toBeGreaterThan(10);
  });

  it("blocks sessions to meters with an expired certificate except renewal", async () => {
    const { hes } = createHes({ tlsFailureRate: 0 });
    let meterId = "";
    for (let i = 0; i < fleet.meters.count && !meterId; i++) {
      const m = getMeter(fleet, i);
      if (m.certNotAfter < NOW && m.snr > 25) meterId = m.id;
    }
    expect(await hes.sendCommand({ meterId, step: "inspect", idempotencyKey: "e-1" })).toMatchObject({ status: "fail", code: "CERT_EXPIRED" });
    expect((await hes.sendCommand({ meterId, step: "cert_renew", idempotencyKey: "e-2" })).status).toBe("ok");
    expect((await hes.sendCommand({ meterId, step: "inspect", idempotencyKey: "e-3" })).status).toBe("ok");
  });

  it("answers instantly at latency scale 0", async () => {
    const { hes, clock } = createHes({ latencyScale: 0 });
    const meterId = findMeter(fleet, modernHes);
    await hes.sendCommand({ meterId, step: "fota", params: { comms: (await hes.getFirmwareHash(meterId)).fwComms }, idempotencyKey: "z-1" });
    expect(clock.now()).toBe(NOW);
  });
});
