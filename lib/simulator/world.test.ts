// The world's facts -> what the stream reports and what the simulated head-end's steps find.
import { describe, expect, it } from "vitest";
import { createVirtualClock } from "@/lib/hes/adapter";
import { createSimulatorHes } from "@/lib/hes/simulator-hes";
import { createDemoWorld, describeDemoIncidents } from "./demo-world";
import { createEventStream, takeEvents } from "./events";
import { compareVersions, generateFleet, getMeter, getMeterId, isFirmwarePairCompatible, METER_FLAGS } from "./fleet";
import { createWorld } from "./world";

const NOW = Date.UTC(2026, 10, 25, 12);
const fleet = generateFleet({ meters: 20_000, seed: "ami-demo", now: NOW });

function setUp(world = createDemoWorld(fleet, NOW)) {
  const clock = createVirtualClock(NOW);
  const hes = createSimulatorHes({ fleet, world, seed: 1, clock, latencyScale: 0 });
  return { world, hes, clock };
}

const meterOf = (test: (m: ReturnType<typeof getMeter>, i: number) => boolean) => {
  for (let i = 0; i < fleet.meters.count; i++) if (test(getMeter(fleet, i), i)) return getMeter(fleet, i);
  throw new Error("no such meter");
};

describe("world facts -> head-end answers", () => {
  it("an RF analysis behind the interfered gateway finds LOW_SNR; the same meters' healthy neighbours elsewhere pass", async () => {
    const { hes, world } = setUp();
    const gw = describeDemoIncidents(fleet, NOW).gateway;
    expect(gw).toBe("GW-0042");
    const g = fleet.gateways.findIndex((x) => x.id === gw);
    expect(world.getGatewayLossDb(g, NOW)).toBeGreaterThan(15);
    expect(world.getGatewayLossDb(g, NOW - 11 * 3_600_000)).toBe(0); // before the interferer came on
    const behind = [];
    for (let i = 0; i < fleet.meters.count && behind.length < 20; i++) if (fleet.meters.gateway[i] === g) behind.push(getMeterId(fleet, i));
    const outcomes = await Promise.all(behind.map((meterId, k) => hes.sendCommand({ meterId, step: "rf_analysis", idempotencyKey: `rf-${k}` })));
    const found = outcomes.filter((o) => o.status === "fail" && o.code === "LOW_SNR").length;
    expect(found).toBeGreaterThanOrEqual(10); // SNR 18 dB down: most links fall below 15 dB (the strongest stay above)
    expect(outcomes.every((o) => o.status !== "fail" || o.code === "LOW_SNR")).toBe(true); // no TLS or RF-timeout noise
    const strong = meterOf((m) => m.gatewayId !== gw && m.snr > 28 && m.certNotAfter > NOW + 86_400_000);
    expect((await hes.sendCommand({ meterId: strong.id, step: "rf_analysis", idempotencyKey: "rf-strong" })).status).toBe("ok");
  });

  it("fw_verify finds the planted hash mismatch and passes a clean meter", async () => {
    const { hes } = setUp();
    const ok = (m: ReturnType<typeof getMeter>) => m.snr > 25 && m.certNotAfter > NOW + 86_400_000 && compareVersions(m.hesVersion, "4.2.0") >= 0 && m.gatewayId !== "GW-0042";
    const planted = meterOf((m, i) => ok(m) && (fleet.meters.flags[i]! & METER_FLAGS.hashMismatch) !== 0);
    const clean = meterOf((m, i) => ok(m) && (fleet.meters.flags[i]! & METER_FLAGS.hashMismatch) === 0);
    expect(await hes.sendCommand({ meterId: planted.id, step: "fw_verify", idempotencyKey: "v1" })).toMatchObject({ status: "fail", code: "FW_HASH_MISMATCH" });
    expect((await hes.sendCommand({ meterId: clean.id, step: "fw_verify", idempotencyKey: "v2" })).status).toBe("ok");
  });

  it("a stuck comms module answers nothing until a comms reset clears it", async () => {
    const world = createWorld({ fleet, seed: "stuck", stuckShare: 0.01 });
    const { hes } = setUp(world);
    const stuck = meterOf((m, i) => world.isCommsStuck(i) && m.snr > 25 && m.certNotAfter > NOW + 86_400_000 && m.hesVersion !== "4.1.3");
    expect(await hes.sendCommand({ meterId: stuck.id, step: "fw_verify", idempotencyKey: "s1" })).toMatchObject({ status: "fail", code: "E105" });
    expect(await hes.sendCommand({ meterId: stuck.id, step: "comms_reset", idempotencyKey: "s2" })).toMatchObject({ status: "ok", details: { wasStuck: true } });
    expect((await hes.sendCommand({ meterId: stuck.id, step: "fw_verify", idempotencyKey: "s3" })).status).toBe("ok");
    expect(world.isCommsStuck(stuck.index)).toBe(false);
  });

  it("a FOTA to an incompatible pair fails; to a compatible one it goes through", async () => {
    const { hes } = setUp();
    const m = meterOf((x) => x.snr > 25 && x.certNotAfter > NOW + 86_400_000 && compareVersions(x.hesVersion, "4.2.0") >= 0 && x.fwMetrology === "3.3.0");
    expect(isFirmwarePairCompatible("3.4.1", "5.4.2")).toBe(false);
    const bad = await hes.sendCommand({ meterId: m.id, step: "fota", idempotencyKey: "f1", params: { metrology: "3.4.1", comms: "5.4.2" } });
    expect(bad).toMatchObject({ status: "fail", code: "IPC_ERROR" });
    const good = await hes.sendCommand({ meterId: m.id, step: "fota", idempotencyKey: "f2", params: { metrology: "3.4.1", comms: "6.1.0" } });
    expect(["ok", "fail"]).toContain(good.status);
    if (good.status === "fail")
      expect(good.code).toBe("FOTA_FAILED"); // the 2 % brick chance, never the pair
    else {
      // The stream now reports the pair the head-end flashed.
      const stream = createEventStream({ fleet, world: hes.world, seed: "after-fota", start: NOW, ratePerSec: 100, scenario: "none" });
      const pairs = takeEvents(stream, 400_000)
        .filter((e) => e.line.includes(m.id) && /fw_metrology/.test(e.line))
        .map((e) => /fw_metrology[=":]+([\d.]+).*fw_comms[=":]+([\d.]+)/.exec(e.line)!.slice(1).join("+"));
      expect(pairs.length).toBeGreaterThan(0);
      expect(new Set(pairs)).toEqual(new Set(["3.4.1+6.1.0"]));
    }
  });

  it("a field fix changes the world for both: a replaced supercap passes the audit and stops failing in the stream", async () => {
    const world = createWorld({ fleet, seed: "fix" });
    const { hes } = setUp(world);
    const weak = meterOf((m) => m.kind === "electric" && (m.supercapHealth ?? 1) < 0.3 && m.snr > 25 && m.certNotAfter > NOW + 86_400_000 && m.hesVersion !== "4.1.3");
    expect(await hes.sendCommand({ meterId: weak.id, step: "battery_audit", idempotencyKey: "b1" })).toMatchObject({ status: "fail", code: "SUPERCAP_FAIL" });
    const supercapLines = () => {
      const s = createEventStream({ fleet, world, density: "dense", seed: "fix-stream", start: NOW, ratePerSec: 100, scenario: "none" });
      return takeEvents(s, 100_000)
        .filter((e) => e.line.includes("SUPERCAP_FAIL"))
        .map((e) => /(EM|GM|WM)-\d+/.exec(e.line)![0]);
    };
    const failing = new Set([weak.id, ...supercapLines()]);
    expect(failing.size).toBeGreaterThan(20);
    for (const id of failing) expect(world.applyFieldFix(id, "inspect", "SUPERCAP_FAIL")).toEqual(["supercap replaced"]);
    const after = supercapLines();
    expect(after.filter((id) => failing.has(id))).toEqual([]);
    expect((await hes.sendCommand({ meterId: weak.id, step: "battery_audit", idempotencyKey: "b2" })).status).toBe("ok");
  });

  it("the stream reports the interference the head-end sees: GW-0042's links are below 15 dB in the last hours", () => {
    const world = createDemoWorld(fleet, NOW);
    const g = fleet.gateways.findIndex((x) => x.id === "GW-0042");
    const stream = createEventStream({ fleet, world, density: "fleet", seed: "s", start: NOW - 3_600_000, ratePerSec: 50, scenario: "none" });
    const snrs: number[] = [];
    for (const ev of takeEvents(stream, 150_000)) {
      if (!ev.line.includes("GW-0042")) continue;
      const snr = /snr[=":]+(-?[\d.]+)/.exec(ev.line);
      if (snr) snrs.push(Number(snr[1]));
    }
    expect(snrs.length).toBeGreaterThan(100);
    const mean = snrs.reduce((a, b) => a + b, 0) / snrs.length;
    const own = fleet.meters.snr.filter((_, i) => fleet.meters.gateway[i] === g);
    const ownMean = own.reduce((a, b) => a + b, 0) / own.length;
    expect(ownMean - mean).toBeGreaterThan(12);
    expect(mean).toBeLessThan(15);
  });
});
