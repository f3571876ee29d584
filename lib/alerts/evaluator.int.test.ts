// The evaluator against chDB and PGlite (or PostgreSQL with AMI_TEST_DB=postgresql): two
// evaluator instances on one database evaluate each rule once per tick and fire one alert per
// group; a lease held by a dead process comes back after it expires; a crashed loop is
// restarted and reported as degraded.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFleetDimensions, type FleetMeterRow } from "@/lib/clickhouse/queries/campaigns";
import { leaseDueRules } from "@/lib/db/alerts";
import { getSignatureAffectedByCohort, getSignaturesAffectedByCohort } from "@/lib/clickhouse/queries/alerts";
import { CATALOGUE, findSignature } from "@/lib/faults/catalogue";
import { auditLine, openTestEnv, testDbKind, type TestEnv } from "@/lib/testing/env";
import { createAlertEvaluator, runTick, superviseLoop } from "./evaluator";
import { getAlertLoopStatus, getDegradedAlertLoops } from "./status";

const T = Date.UTC(2026, 11, 8, 2, 0, 0);
const MIN = 60_000;
let env: TestEnv;
let line = 0;

function fleetMeter(meter: string, gw: string): FleetMeterRow {
  return {
    meter,
    kind: "residential",
    model: "AM-1",
    gw,
    zone: "temperate",
    timezone: "UTC",
    lat: 0,
    lon: 0,
    installed_at: Date.UTC(2020, 0, 1),
    fw_metrology: "1.0.0",
    fw_comms: "2.0.0",
    hes_version: "4.2.0",
    cert_not_after: Date.UTC(2030, 0, 1),
  };
}

async function writeE105(gw: string, meters: string[], at: number) {
  await env.ch.insertRows({
    table: "audit_log",
    values: meters.map((m) => auditLine({ ts: at, meter: m, gw, code: "E105", sev: "error" }, line++)) as unknown as Record<string, unknown>[],
  });
}

beforeAll(async () => {
  env = await openTestEnv(testDbKind());
  const meters: FleetMeterRow[] = [];
  for (let i = 0; i < 40; i++) meters.push(fleetMeter(`EM-42${String(i).padStart(5, "0")}`, "GW-0042"));
  for (let i = 0; i < 400; i++) meters.push(fleetMeter(`EM-07${String(i).padStart(5, "0")}`, "GW-0007"));
  await writeFleetDimensions({ meters, gateways: [] }, env.ch);
  // The incident: 25 of GW-0042's 40 meters time out over RF; 10 of GW-0007's 400 do too.
  await writeE105(
    "GW-0042",
    meters.slice(0, 25).map((m) => m.meter),
    T - 5 * MIN,
  );
  await writeE105(
    "GW-0007",
    meters.slice(40, 50).map((m) => m.meter),
    T - 5 * MIN,
  );
}, 120_000);

afterAll(async () => {
  await env?.cleanup();
});

describe("alert evaluator", () => {
  it("two evaluators on one database: each rule once per tick, one alert per group, one message", async () => {
    const channel = await env.db.notificationChannel.create({ data: { name: "noc", kind: "webhook", config: { url: "http://127.0.0.1:9/", format: "json" } } });
    const rule = await env.db.alertRule.create({
      data: {
        name: "E105 on a gateway",
        kind: "fault_signature",
        params: { signatureId: "E105", groupBy: "gateway", measure: "meters", op: "gt", threshold: 20, windowMinutes: 15, minLift: 3 },
        severity: "critical",
        intervalSeconds: 60,
        channelIds: [channel.id],
        nextEvalAt: new Date(T),
      },
    });
    let now = T;
    const a = createAlertEvaluator({ owner: "proc-a", now: () => new Date(now), db: env.db, ch: env.ch });
    const b = createAlertEvaluator({ owner: "proc-b", now: () => new Date(now), db: env.db, ch: env.ch });

    const [ra, rb] = await Promise.all([a.tick(), b.tick()]);
    expect(ra.errors).toEqual([]);
    expect(rb.errors).toEqual([]);
    expect(ra.rules + rb.rules).toBe(1);
    expect(ra.fired + rb.fired).toBe(1);
    let alerts = await env.db.alert.findMany({ where: { ruleId: rule.id } });
    // GW-0007 passes neither the count (10) nor the lift: only GW-0042 fires.
    expect(alerts.map((x) => [x.fingerprint, x.state, x.value])).toEqual([[`${rule.id}|gateway=GW-0042`, "firing", 25]]);
    expect(alerts[0]!.summary).toContain("E105 on GW-0042: 25 meters in 15 min");
    let notes = await env.db.notification.findMany({ where: { channelId: channel.id } });
    expect(notes).toHaveLength(1);
    expect(notes[0]!.kind).toBe("firing");
    expect((notes[0]!.payload as { alerts: Array<{ labels: Record<string, string> }> }).alerts.map((x) => x.labels.gateway)).toEqual(["GW-0042"]);

    // Same minute again: nothing is due.
    const again = await Promise.all([a.tick(), b.tick()]);
    expect(again[0].rules + again[1].rules).toBe(0);

    // Next interval, more meters: the same alert updates; nobody is told again.
    now = T + MIN;
    await writeE105("GW-0042", ["EM-4200030", "EM-4200031"], T + 30_000);
    const next = await Promise.all([a.tick(), b.tick()]);
    expect(next[0].rules + next[1].rules).toBe(1);
    alerts = await env.db.alert.findMany({ where: { ruleId: rule.id } });
    expect(alerts.map((x) => [x.state, x.value])).toEqual([["firing", 27]]);
    expect(await env.db.notification.count({ where: { channelId: channel.id } })).toBe(1);

    // 20 minutes on, the lines are out of the window: resolved, one resolved message.
    now = T + 20 * MIN;
    await Promise.all([a.tick(), b.tick()]);
    alerts = await env.db.alert.findMany({ where: { ruleId: rule.id } });
    expect(alerts.map((x) => x.state)).toEqual(["resolved"]);
    notes = await env.db.notification.findMany({ where: { channelId: channel.id }, orderBy: { createdAt: "asc" } });
    expect(notes.map((n) => n.kind)).toEqual(["firing", "resolved"]);
    const history = await env.db.alertEvent.findMany({ where: { alertId: alerts[0]!.id }, orderBy: { at: "asc" } });
    expect(history.map((h) => h.type)).toEqual(["firing", "resolved"]);
    await env.db.alertRule.update({ where: { id: rule.id }, data: { enabled: false } });
  }, 120_000);

  it("signatures read together (one scan per window and cohort) count as each read alone", async () => {
    const window = { from: T - 15 * MIN, to: T + 5 * MIN };
    const signatures = ["E105", "E042", "LOW_SNR", "fw_pair_incompatible"].map((id) => findSignature(CATALOGUE, id)).filter((s) => s !== undefined);
    const norm = (rows: Array<{ g: string; n: number; sample: string[] }>) =>
      rows.map((r) => ({ g: r.g, n: r.n, sample: [...r.sample].sort() })).sort((a, b) => a.g.localeCompare(b.g));
    for (const cohort of ["gateway", "meter_model"] as const) {
      const batch = await getSignaturesAffectedByCohort({ catalogue: CATALOGUE, signatures, window, cohort }, env.ch);
      expect(batch.ids.has("fw_pair_incompatible")).toBe(false);
      for (const s of signatures.filter((x) => batch.ids.has(x.id))) {
        const alone = await getSignatureAffectedByCohort({ catalogue: CATALOGUE, signature: s, window, cohort }, env.ch);
        expect(norm(batch.rows.get(s.id) ?? [])).toEqual(norm(alone ?? []));
      }
      expect(batch.rows.get("E105")?.reduce((a, r) => a + r.n, 0)).toBe(37);
    }
  }, 60_000);

  it("a rule leased by a process that died is evaluated by another once the lease expires", async () => {
    const rule = await env.db.alertRule.create({
      data: { name: "storm", kind: "last_gasp", params: { groupBy: "gateway", perMinute: 100, windowMinutes: 5 }, nextEvalAt: new Date(T) },
    });
    const at = new Date(T + 30 * MIN);
    const dead = await leaseDueRules(env.db, { owner: "dead", at, leaseMs: 60_000, limit: 10 });
    expect(dead.map((r) => r.id)).toEqual([rule.id]);
    let now = at.getTime();
    const live = createAlertEvaluator({ owner: "live", now: () => new Date(now), db: env.db, ch: env.ch });
    expect((await live.tick()).rules).toBe(0);
    now += 61_000;
    const r = await live.tick();
    expect(r.rules).toBe(1);
    const stored = await env.db.alertRule.findUniqueOrThrow({ where: { id: rule.id } });
    expect(stored.leaseOwner).toBeNull();
    expect(stored.lastEvalAt?.getTime()).toBe(now);
    expect(stored.nextEvalAt.getTime()).toBeGreaterThan(now);
  }, 60_000);

  it("a rule that cannot be read records its error and leaves its alerts alone", async () => {
    const rule = await env.db.alertRule.create({ data: { name: "bad", kind: "log_query", params: { query: "code:(", threshold: 1 }, nextEvalAt: new Date(T) } });
    const ev = createAlertEvaluator({ owner: "x", now: () => new Date(T + 60 * MIN), db: env.db, ch: env.ch });
    const r = await ev.tick();
    expect(r.errors.map((e) => e.ruleId)).toContain(rule.id);
    const stored = await env.db.alertRule.findUniqueOrThrow({ where: { id: rule.id } });
    expect(stored.lastError).toMatch(/Log query/);
    expect(stored.leaseOwner).toBeNull();
  }, 60_000);

  it("a crashed loop is restarted and reported degraded until a tick succeeds", async () => {
    let runs = 0;
    let failTicks = 1;
    const loop = superviseLoop("evaluator", async (isStopping, sleep) => {
      runs++;
      if (runs === 1) throw new Error("chDB went away");
      while (!isStopping()) {
        await runTick("evaluator", async () => {
          if (failTicks-- > 0) throw new Error("tick failed once");
          return 1;
        });
        await sleep(20);
      }
    });
    await expect.poll(() => getDegradedAlertLoops().map((d) => d.name)).toEqual(["evaluator"]);
    expect(getAlertLoopStatus("evaluator").lastError).toBe("chDB went away");
    await expect.poll(() => runs, { timeout: 5000 }).toBe(2);
    await expect.poll(() => getDegradedAlertLoops(), { timeout: 5000 }).toEqual([]);
    expect(getAlertLoopStatus("evaluator").restarts).toBe(1);
    await loop.stop();
  }, 20_000);
});
