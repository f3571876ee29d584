import { describe, expect, it } from "vitest";
import { JOB_TYPES } from "./job-types";
import { createCatalogue, createFleet, createMeter } from "./meter-factory";
import { createWaveStartCheck, PlanInputError, planCampaign, retimeWaves, type Plan, type PlanInput } from "./plan";
import type { PlanMeter } from "./types";

const NOW = new Date("2026-03-01T12:00:00Z");
const TARGET = { metrology: "1.1.0", comms: "2.1.0" };
const MIN = 60_000;

// Independent oracle: reads wall-clock straight from Intl, never from the planner's cache.
const oracleFormats = new Map<string, Intl.DateTimeFormat>();
function readLocal(ms: number, timeZone: string) {
  let f = oracleFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-CA", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", weekday: "short" });
    oracleFormats.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, minutes: Number(p.hour) * 60 + Number(p.minute), weekday: p.weekday.toLowerCase() };
}

function formatOracle(ms: number, timeZone: string): string {
  const { date, minutes } = readLocal(ms, timeZone);
  return `${date} ${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

function isInWindow(minutes: number, start: number, end: number): boolean {
  return end > start ? minutes >= start && minutes < end : minutes >= start || minutes < end;
}

/** Calls check for every minute a wave runs, in its zone's local time. */
function forEachWaveMinute(plan: Plan, check: (local: ReturnType<typeof readLocal>, waveIndex: number) => void) {
  for (const w of plan.waves) {
    for (let t = Date.parse(w.startAt); t < Date.parse(w.endAt); t += MIN) check(readLocal(t, w.timezone), w.index);
  }
}

function fotaInput(meters: PlanMeter[], gateways: PlanInput["gateways"], options: PlanInput["options"] = {}): PlanInput {
  return { jobType: "fota", meters, gateways, catalogue: createCatalogue(), options: { targetFirmware: TARGET, ...options } };
}

function meterIdsOf(plan: Plan): string[] {
  return plan.waves.flatMap((w) => w.meterIds);
}

describe("planCampaign: waves", () => {
  const { meters, gateways } = createFleet(400, { gatewaysPerZone: 5, maxConcurrentSessions: 6 });

  it("keeps every wave within the wave size and every gateway within its session cap", () => {
    const plan = planCampaign(fotaInput(meters, gateways, { waveSize: 40, canarySize: 8 }), NOW);
    expect(plan.waves.length).toBeGreaterThan(10);
    const byId = new Map(meters.map((m) => [m.id, m]));
    for (const w of plan.waves) {
      expect(w.meterIds.length).toBeLessThanOrEqual(40);
      const perGw = new Map<string, number>();
      for (const id of w.meterIds) perGw.set(byId.get(id)!.gatewayId, (perGw.get(byId.get(id)!.gatewayId) ?? 0) + 1);
      for (const [gw, n] of perGw) expect(n).toBeLessThanOrEqual(gateways[gw].maxConcurrentSessions);
      expect(Object.fromEntries(perGw)).toEqual(w.metersPerGateway);
    }
  });

  it("schedules every meter exactly once or lists it as excluded", () => {
    const input = fotaInput(meters, gateways, { waveSize: 40 });
    input.meters = [...meters, createMeter({ id: "EM-9000001", gatewayId: "GW-missing" }), createMeter({ id: "EM-9000002", timezone: "Mars/Olympus" })];
    const plan = planCampaign(input, NOW);
    const ids = meterIdsOf(plan);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length + plan.exclusions.length).toBe(input.meters.length);
    expect(plan.exclusions.find((e) => e.meterId === "EM-9000001")?.reasons.map((r) => r.code)).toContain("GATEWAY_UNKNOWN");
    expect(plan.exclusions.find((e) => e.meterId === "EM-9000002")?.reasons.map((r) => r.code)).toContain("TIMEZONE_INVALID");
  });

  it("keeps each wave to one time zone and spaces waves by the soak", () => {
    const plan = planCampaign(fotaInput(meters, gateways, { waveSize: 40 }), NOW);
    const zoneOf = new Map(meters.map((m) => [m.id, m.timezone]));
    for (const w of plan.waves) for (const id of w.meterIds) expect(zoneOf.get(id)).toBe(w.timezone);
    for (let i = 1; i < plan.waves.length; i++) {
      const gap = Date.parse(plan.waves[i].startAt) - Date.parse(plan.waves[i - 1].endAt);
      expect(gap).toBeGreaterThanOrEqual(JOB_TYPES.fota.soakMinutes * MIN);
    }
    for (const w of plan.waves) expect(Date.parse(w.endAt) - Date.parse(w.startAt)).toBe(JOB_TYPES.fota.minutesPerMeter * MIN);
  });

  it("rejects a wave size above 100 and malformed windows", () => {
    expect(() => planCampaign(fotaInput(meters, gateways, { waveSize: 101 }), NOW)).toThrow(PlanInputError);
    expect(() => planCampaign(fotaInput(meters, gateways, { offPeak: { start: "1am", end: "05:00" } }), NOW)).toThrow(PlanInputError);
    const badDay = { maintenanceWindows: [{ days: ["Monday" as "mon"], start: "01:00", end: "05:00" }] };
    expect(() => planCampaign(fotaInput(meters, gateways, badDay), NOW)).toThrow(PlanInputError);
  });
});

describe("planCampaign: local windows and DST", () => {
  it.each([
    ["America/Denver", "2026-03-06T00:00:00Z", "2026-03-08"], // spring forward
    ["America/Denver", "2026-10-30T00:00:00Z", "2026-11-01"], // fall back
    ["Europe/Berlin", "2026-03-27T00:00:00Z", "2026-03-29"],
    ["Europe/Berlin", "2026-10-23T00:00:00Z", "2026-10-25"],
  ])("keeps every minute of every FOTA wave inside 01:00-05:00 local in %s across %s's DST change", (tz, startAt, dstDate) => {
    const { meters, gateways } = createFleet(200, { timezones: [tz], gatewaysPerZone: 4, maxConcurrentSessions: 5 });
    const plan = planCampaign(fotaInput(meters, gateways, { waveSize: 10, canarySize: 0, startAt }), NOW);
    forEachWaveMinute(plan, (local) => expect(isInWindow(local.minutes, 60, 300)).toBe(true));
    expect(plan.waves.map((w) => readLocal(Date.parse(w.startAt), tz).date)).toContain(dstDate);
    for (const w of plan.waves) expect(w.localStart).toBe(formatOracle(Date.parse(w.startAt), w.timezone));
    for (const w of plan.waves) expect(w.localEnd).toBe(formatOracle(Date.parse(w.endAt), w.timezone));
  });

  it("interleaves zones so Berlin and Denver nights are both used", () => {
    const { meters, gateways } = createFleet(400, { gatewaysPerZone: 4, maxConcurrentSessions: 5 });
    const plan = planCampaign(fotaInput(meters, gateways, { waveSize: 20, canarySize: 0 }), NOW);
    const firstNight = plan.waves.filter((w) => Date.parse(w.startAt) < Date.parse("2026-03-03T00:00:00Z"));
    expect(new Set(firstNight.map((w) => w.timezone))).toEqual(new Set(["America/Denver", "Europe/Berlin"]));
  });

  it("uses the short spring-forward night in Denver at its true UTC times", () => {
    const meters = Array.from({ length: 6 }, (_, i) => createMeter({ id: `EM-00000${i + 1}`, timezone: "America/Denver" }));
    const plan = planCampaign(fotaInput(meters, { "GW-1": { maxConcurrentSessions: 1 } }, { waveSize: 1, canarySize: 0, startAt: "2026-03-08T07:00:00Z" }), NOW);
    // 01:00 MST is 08:00Z; each wave takes 40 min + 60 min soak; 05:00 MDT is 11:00Z.
    expect(plan.waves.slice(0, 3).map((w) => w.startAt)).toEqual(["2026-03-08T08:00:00.000Z", "2026-03-08T09:40:00.000Z", "2026-03-09T07:00:00.000Z"]);
    expect(plan.waves[1].localStart).toBe("2026-03-08 03:40");
  });

  it("handles a window crossing midnight (22:00-04:00)", () => {
    const { meters, gateways } = createFleet(3000, { timezones: ["Europe/Berlin"], gatewaysPerZone: 30, maxConcurrentSessions: 10 });
    const plan = planCampaign({ jobType: "battery_audit", meters, gateways, options: { offPeak: { start: "22:00", end: "04:00" }, canarySize: 0 } }, NOW);
    const starts: number[] = [];
    forEachWaveMinute(plan, (local) => expect(isInWindow(local.minutes, 22 * 60, 4 * 60)).toBe(true));
    for (const w of plan.waves) starts.push(readLocal(Date.parse(w.startAt), w.timezone).minutes);
    expect(starts.some((m) => m >= 22 * 60)).toBe(true);
    expect(starts.some((m) => m < 4 * 60)).toBe(true);
    // A night is labelled by the evening it opened on.
    const afterMidnight = plan.waves.find((w) => readLocal(Date.parse(w.startAt), w.timezone).minutes < 4 * 60)!;
    expect(afterMidnight.window.localDate < afterMidnight.localStart.slice(0, 10)).toBe(true);
  });

  it("skips blackout dates in the meter's local date", () => {
    const meters = Array.from({ length: 20 }, (_, i) => createMeter({ id: `EM-10000${i + 10}`, timezone: "America/Denver", gatewayId: `GW-${i % 2}` }));
    const gateways = { "GW-0": { maxConcurrentSessions: 5 }, "GW-1": { maxConcurrentSessions: 5 } };
    const blackout = ["2026-03-02", "2026-03-03"];
    const plan = planCampaign(fotaInput(meters, gateways, { waveSize: 5, canarySize: 0, blackoutDates: blackout }), NOW);
    forEachWaveMinute(plan, (local) => expect(blackout).not.toContain(local.date));
    expect(plan.waves[0].localStart).toBe("2026-03-04 01:00");
  });

  it("honours maintenance windows, intersected with the off-peak window", () => {
    const { meters, gateways } = createFleet(300, { gatewaysPerZone: 3, maxConcurrentSessions: 20 });
    const plan = planCampaign(fotaInput(meters, gateways, { waveSize: 50, maintenanceWindows: [{ days: ["tue", "sat"], start: "03:00", end: "06:00" }] }), NOW);
    expect(plan.waves.length).toBeGreaterThan(3);
    forEachWaveMinute(plan, (local) => {
      expect(["tue", "sat"]).toContain(local.weekday);
      expect(isInWindow(local.minutes, 180, 300)).toBe(true);
    });
  });

  it("excludes meters with reason NO_WINDOW when no slot fits the wave duration", () => {
    const meters = [createMeter({ id: "EM-0000100" })];
    const plan = planCampaign(fotaInput(meters, { "GW-1": { maxConcurrentSessions: 5 } }, { offPeak: { start: "01:00", end: "01:10" } }), NOW);
    expect(plan.waves).toHaveLength(0);
    expect(plan.exclusions).toEqual([expect.objectContaining({ meterId: "EM-0000100", stage: "schedule", reasons: [expect.objectContaining({ code: "NO_WINDOW" })] })]);
  });
});

describe("planCampaign: canary", () => {
  const gateways = { "GW-A": { maxConcurrentSessions: 10 }, "GW-B": { maxConcurrentSessions: 10 }, "GW-C": { maxConcurrentSessions: 10 } };
  const base = Array.from({ length: 60 }, (_, i) => createMeter({ id: `EM-20000${i + 10}`, gatewayId: ["GW-A", "GW-B"][i % 2], installedAt: "2020-01-01T00:00:00Z", snr: 30 }));
  const special = [
    createMeter({ id: "EM-3000001", gatewayId: "GW-A", installedAt: "2009-05-01T00:00:00Z" }),
    createMeter({ id: "GM-3000002", gatewayId: "GW-B", kind: "gas", batteryV: 2.9 }),
    createMeter({ id: "EM-3000003", gatewayId: "GW-A", snr: 15.5 }),
    createMeter({ id: "EM-3000004", gatewayId: "GW-C" }),
    createMeter({ id: "EM-3000005", gatewayId: "GW-B", fwMetrology: "1.0.1", fwComms: "2.0.1" }),
  ];
  const meters = [...base, ...special];

  it("picks the riskiest cohorts and covers every firmware pair and gateway, first", () => {
    const plan = planCampaign(fotaInput(meters, gateways, { canarySize: 8, waveSize: 20 }), NOW);
    const canaryIds = plan.canary.map((c) => c.meterId);
    expect(canaryIds.length).toBeLessThanOrEqual(8);
    expect(canaryIds).toEqual(expect.arrayContaining(["EM-3000001", "GM-3000002", "EM-3000003", "EM-3000004", "EM-3000005"]));
    const why = Object.fromEntries(plan.canary.map((c) => [c.meterId, c.reasons.join("; ")]));
    expect(why["EM-3000001"]).toMatch(/oldest/);
    expect(why["GM-3000002"]).toMatch(/lowest battery/);
    expect(why["EM-3000003"]).toMatch(/lowest SNR/);
    expect(why["EM-3000005"]).toMatch(/firmware pair 1\.0\.1 \/ 2\.0\.1/);
    expect(plan.canary.every((c) => c.reasons.length > 0)).toBe(true);
    const firstMain = plan.waves.findIndex((w) => !w.isCanary);
    expect(plan.waves.slice(0, firstMain).every((w) => w.isCanary)).toBe(true);
    expect(plan.waves.slice(firstMain).every((w) => !w.isCanary)).toBe(true);
    expect(
      plan.waves
        .filter((w) => w.isCanary)
        .flatMap((w) => w.meterIds)
        .sort(),
    ).toEqual([...canaryIds].sort());
    expect(new Set(meterIdsOf(plan)).size).toBe(meters.length);
  });

  it("caps the canary at canarySize and notes what it could not cover", () => {
    const plan = planCampaign(fotaInput(meters, gateways, { canarySize: 1 }), NOW);
    expect(plan.canary).toHaveLength(1);
    expect(plan.notes.join(" ")).toMatch(/covers 1 of 2 firmware pairs/);
  });

  it("plans no canary when canarySize is 0", () => {
    const plan = planCampaign(fotaInput(meters, gateways, { canarySize: 0 }), NOW);
    expect(plan.canary).toHaveLength(0);
    expect(plan.waves.some((w) => w.isCanary)).toBe(false);
  });
});

describe("planCampaign: preflight and summary", () => {
  it("lists preflight exclusions with their reasons", () => {
    const meters = [
      createMeter({ id: "EM-4000001" }),
      createMeter({ id: "EM-4000002", hesVersion: "4.1.9" }),
      createMeter({ id: "EM-4000003", snr: 9 }),
      createMeter({ id: "EM-4000004", fwMetrology: TARGET.metrology, fwComms: TARGET.comms }),
    ];
    const plan = planCampaign(fotaInput(meters, { "GW-1": { maxConcurrentSessions: 5 } }), NOW);
    const codes = Object.fromEntries(plan.exclusions.map((e) => [e.meterId, e.reasons.map((r) => r.code)]));
    expect(codes).toEqual({ "EM-4000002": ["HES_TOO_OLD"], "EM-4000003": ["SNR_TOO_LOW"], "EM-4000004": ["ALREADY_ON_TARGET"] });
    expect(meterIdsOf(plan)).toEqual(["EM-4000001"]);
  });

  it("excludes the whole fleet when the target pair is not compatible", () => {
    const { meters, gateways } = createFleet(30);
    const plan = planCampaign({ ...fotaInput(meters, gateways), catalogue: createCatalogue({ compatibility: [{ metrology: "1.1.0", comms: "2.0.0" }] }) }, NOW);
    expect(plan.waves).toHaveLength(0);
    expect(plan.exclusions.every((e) => e.reasons.some((r) => r.code === "PAIR_INCOMPATIBLE"))).toBe(true);
  });

  it("summarises gateways, ETA, windows and blast radius from the waves", () => {
    const { meters, gateways } = createFleet(500, { gatewaysPerZone: 4, maxConcurrentSessions: 8 });
    const plan = planCampaign(fotaInput(meters, gateways, { waveSize: 30 }), NOW);
    const s = plan.summary;
    expect(s.waveCount).toBe(plan.waves.length);
    expect(s.scheduledMeters).toBe(500);
    expect(s.eta).toBe(plan.waves[plan.waves.length - 1].endAt);
    const recount: Record<string, number> = {};
    for (const m of meters) recount[m.gatewayId] = (recount[m.gatewayId] ?? 0) + 1;
    expect(s.metersPerGateway).toEqual(recount);
    expect(s.blastRadius.maxMetersInFlight).toBe(Math.max(...plan.waves.map((w) => w.meterIds.length)));
    const maxShare = Math.max(...plan.waves.flatMap((w) => Object.entries(w.metersPerGateway).map(([gw, n]) => n / recount[gw])));
    expect(s.blastRadius.maxGatewayShare?.share).toBeCloseTo(maxShare);
    expect(s.blastRadius.kinds).toEqual(["electric", "gas", "water"]);
    expect(s.blastRadius.zones).toEqual(["cold", "hot_arid", "temperate"]);
    expect(s.windowsUsed.map((u) => u.timezone).sort()).toEqual(["America/Denver", "Europe/Berlin"]);
    expect(s.windowsUsed.reduce((n, u) => n + u.waveCount, 0)).toBe(plan.waves.length);
    expect(s.windowsUsed[0].label).toBe("01:00-05:00");
  });

  it("asks for approval above the FOTA limit only", () => {
    const small = createFleet(50);
    expect(planCampaign(fotaInput(small.meters, small.gateways), NOW).requiresApproval).toBe(false);
    const large = createFleet(JOB_TYPES.fota.approvalAbove! + 1, { gatewaysPerZone: 20 });
    expect(planCampaign(fotaInput(large.meters, large.gateways, { waveSize: 100 }), NOW).requiresApproval).toBe(true);
  });
});

describe("re-timing a frozen plan and the wave-start check (issue 24 #3)", () => {
  const TZ = "Europe/Berlin";
  const at = (iso: string) => new Date(iso);

  it("re-times overdue waves from now: each whole run inside the off-peak window, spaced by run and soak", () => {
    const waves = Array.from({ length: 6 }, (_, index) => ({ index, timezone: TZ }));
    const timed = retimeWaves({ jobType: "fota", waves }, at("2026-03-02T11:07:30Z"));
    let previousEnd = 0;
    for (const w of timed) {
      const start = readLocal(w.startAt.getTime(), TZ).minutes;
      const end = readLocal(w.startAt.getTime() + 40 * 60_000 - 1, TZ).minutes;
      expect(start >= 60 && end < 300, w.startAt.toISOString()).toBe(true);
      expect(w.startAt.getTime()).toBeGreaterThanOrEqual(Math.max(previousEnd, Date.parse("2026-03-02T11:07:30Z")));
      expect(w.windowStart!.getTime()).toBeLessThanOrEqual(w.startAt.getTime());
      previousEnd = w.startAt.getTime() + (40 + JOB_TYPES.fota.soakMinutes) * 60_000;
    }
    expect(timed[0]!.startAt.toISOString()).toBe("2026-03-03T00:00:00.000Z"); // 01:00 in Berlin the next night
  });

  it("lets a wave start inside its window, and moves one due on a blackout date to the next night", () => {
    const check = createWaveStartCheck("fota", { blackoutDates: ["2026-03-03"] })!;
    const noWindow = { timezone: TZ, windowStart: null, windowEnd: null };
    expect(check(noWindow, at("2026-03-02T01:30:00Z"))).toEqual({ ok: true }); // 02:30 Berlin
    const blackout = check(noWindow, at("2026-03-03T01:30:00Z"));
    expect(blackout.ok).toBe(false);
    if (!blackout.ok) expect(blackout.next!.startAt.toISOString()).toBe("2026-03-04T00:00:00.000Z");
    const noon = check(noWindow, at("2026-03-02T11:00:00Z"));
    expect(noon.ok === false && noon.next!.startAt.toISOString()).toBe("2026-03-04T00:00:00.000Z");
    // A run that no longer fits before 05:00 (less the grace) waits too.
    expect(check(noWindow, at("2026-03-02T03:40:00Z")).ok).toBe(false);
    expect(createWaveStartCheck("fota", { offPeak: null })).toBeNull();
  });
});
