// Silences and campaign-aware suppression against chDB and PGlite/PostgreSQL: an alert that
// matches a silence fires but tells nobody; while a wave runs on a set of meters, the alerts
// on those meters are held ("suppressed by campaign X"); when the wave's gate fails they are
// released as one message linked to the campaign.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFleetDimensions, type FleetMeterRow } from "@/lib/clickhouse/queries/campaigns";
import { auditLine, openTestEnv, testDbKind, type TestEnv } from "@/lib/testing/env";
import { startWebhookReceiver } from "@/lib/testing/receivers";
import { createAlertEvaluator } from "./evaluator";
import type { AlertMessage } from "./messages";
import { createNotifier } from "./notifier";

const T = Date.UTC(2026, 11, 8, 4, 0, 0);
const MIN = 60_000;
let env: TestEnv;
let hook: Awaited<ReturnType<typeof startWebhookReceiver>>;
let line = 0;

function meter(id: string, gw: string): FleetMeterRow {
  return {
    meter: id,
    kind: "residential",
    model: "AM-1",
    gw,
    zone: "z",
    timezone: "UTC",
    lat: 0,
    lon: 0,
    installed_at: 0,
    fw_metrology: "",
    fw_comms: "",
    hes_version: "",
    cert_not_after: Date.UTC(2030, 0, 1),
  };
}

async function gasps(meters: FleetMeterRow[], at: number) {
  await env.ch.insertRows({
    table: "audit_log",
    values: meters.flatMap((m) => [0, 1, 2, 3].map((k) => auditLine({ ts: at - k * 1000, meter: m.meter, gw: m.gw, code: "LAST_GASP", sev: "warn" }, line++))) as unknown as Record<
      string,
      unknown
    >[],
  });
}

beforeAll(async () => {
  env = await openTestEnv(testDbKind());
  hook = await startWebhookReceiver();
}, 120_000);

afterAll(async () => {
  await hook?.close();
  await env?.cleanup();
});

describe("suppression", () => {
  it("a silence by matchers and time range: the alert fires, is marked silenced, nobody is told", async () => {
    const meters = Array.from({ length: 5 }, (_, i) => meter(`EM-S${i}`, "GW-0201"));
    await writeFleetDimensions({ meters, gateways: [] }, env.ch);
    await gasps(meters, T - MIN);
    const c = await env.db.notificationChannel.create({ data: { name: "s", kind: "webhook", config: { url: hook.url, format: "json" } } });
    const rule = await env.db.alertRule.create({
      data: { name: "storm", kind: "last_gasp", params: { perMinute: 1, windowMinutes: 5 }, channelIds: [c.id], nextEvalAt: new Date(T) },
    });
    const silence = await env.db.silence.create({
      data: { matchers: [{ label: "gateway", value: "GW-0201" }], startsAt: new Date(T - MIN), endsAt: new Date(T + 30 * MIN), comment: "storm test on GW-0201" },
    });
    // A silence for another gateway and one already over change nothing for GW-0201... but hold GW-0202's.
    await env.db.silence.create({
      data: { matchers: [{ label: "gateway", value: "GW-0201" }], startsAt: new Date(T - 60 * MIN), endsAt: new Date(T - 30 * MIN), comment: "over" },
    });
    const r = await createAlertEvaluator({ db: env.db, ch: env.ch, now: () => new Date(T) }).tick();
    expect(r.fired).toBe(1);
    expect(r.notifications).toBe(0);
    const a = await env.db.alert.findFirstOrThrow({ where: { ruleId: rule.id } });
    expect(a).toMatchObject({ state: "firing", suppressedBy: `silence:${silence.id}`, suppressedReason: "silenced" });
    const events = await env.db.alertEvent.findMany({ where: { alertId: a.id }, orderBy: { type: "asc" } });
    expect(events.map((e) => e.type)).toEqual(["firing", "suppressed"]);
    await env.db.alertRule.update({ where: { id: rule.id }, data: { enabled: false } });
  }, 60_000);

  it("held while a campaign wave runs on the meters, released as one message linked to the campaign when its gate fails", async () => {
    hook.requests.length = 0;
    const inWave = Array.from({ length: 8 }, (_, i) => meter(`EM-W${i}`, i < 4 ? "GW-0301" : "GW-0302"));
    const outside = Array.from({ length: 4 }, (_, i) => meter(`EM-X${i}`, "GW-0303"));
    await writeFleetDimensions({ meters: [...inWave, ...outside], gateways: [] }, env.ch);
    const at = T + 2 * 3_600_000;
    // The wave's own reboots: LAST_GASP behind GW-0301 and GW-0302; an unrelated storm on GW-0303.
    await gasps([...inWave, ...outside], at - MIN);
    const user = await env.db.user.create({ data: { email: "op@test.ami", role: "operator" } });
    const campaign = await env.db.campaign.create({
      data: {
        name: "FOTA comms 2.1",
        jobType: "fota",
        status: "running",
        targetQuery: {},
        createdById: user.id,
        createdByEmail: user.email,
        creationKey: "k-supp-1",
        startedAt: new Date(at - 10 * MIN),
      },
    });
    await env.db.campaignWave.create({
      data: { campaignId: campaign.id, index: 0, scheduledAt: new Date(at - 10 * MIN), startedAt: new Date(at - 10 * MIN), state: "running", size: inWave.length },
    });
    await env.db.campaignTarget.createMany({ data: inWave.map((m) => ({ campaignId: campaign.id, meterId: m.meter, gatewayId: m.gw, wave: 0, state: "sent" as const })) });
    const c = await env.db.notificationChannel.create({ data: { name: "noc", kind: "webhook", config: { url: hook.url, format: "json" } } });
    const rule = await env.db.alertRule.create({
      data: { name: "LAST_GASP storm", kind: "last_gasp", params: { perMinute: 1, windowMinutes: 5 }, channelIds: [c.id], nextEvalAt: new Date(at), intervalSeconds: 60 },
    });
    let now = at;
    const evaluator = createAlertEvaluator({ db: env.db, ch: env.ch, now: () => new Date(now), baseUrl: "http://console.test" });
    const notifier = createNotifier({ db: env.db, now: () => new Date(now) });

    expect((await evaluator.tick()).fired).toBe(3);
    await notifier.tick();
    // Only the unrelated gateway is told about.
    expect(hook.requests).toHaveLength(1);
    expect((JSON.parse(hook.requests[0]!.body) as AlertMessage).alerts.map((a) => a.labels.gateway)).toEqual(["GW-0303"]);
    const held = await env.db.alert.findMany({ where: { ruleId: rule.id, suppressedBy: { not: null } }, orderBy: { groupKey: "asc" } });
    expect(held.map((a) => [a.groupKey, a.suppressedReason, a.campaignId])).toEqual([
      ["gateway=GW-0301", "suppressed by campaign FOTA comms 2.1", campaign.id],
      ["gateway=GW-0302", "suppressed by campaign FOTA comms 2.1", campaign.id],
    ]);

    // Still running a minute later: still held, nothing new sent.
    now = at + MIN;
    await gasps(inWave, now - 1000);
    await evaluator.tick();
    await notifier.tick();
    expect(hook.requests).toHaveLength(1);

    // The gate fails: the held alerts go out together, linked to the campaign.
    await env.db.campaignWave.update({ where: { campaignId_index: { campaignId: campaign.id, index: 0 } }, data: { state: "failed", decidedAt: new Date(now) } });
    now = at + 2 * MIN;
    await evaluator.tick();
    await notifier.tick();
    expect(hook.requests).toHaveLength(2);
    const released = JSON.parse(hook.requests[1]!.body) as AlertMessage;
    expect(released.kind).toBe("released");
    expect(released.title).toBe("2 alerts released: campaign FOTA comms 2.1 failed its gate");
    expect(released.campaign).toEqual({ id: campaign.id, name: "FOTA comms 2.1", url: `http://console.test/campaigns/${campaign.id}` });
    expect(released.alerts.map((a) => a.labels.gateway).sort()).toEqual(["GW-0301", "GW-0302"]);
    const after = await env.db.alert.findMany({ where: { ruleId: rule.id, groupKey: { in: ["gateway=GW-0301", "gateway=GW-0302"] } } });
    expect(after.every((a) => a.suppressedBy === null && a.campaignId === campaign.id)).toBe(true);
    expect(after.every((a) => a.suppressedReason === "released: campaign FOTA comms 2.1 failed its gate")).toBe(true);
    const events = await env.db.alertEvent.findMany({ where: { alertId: after[0]!.id } });
    expect(events.map((e) => e.type).sort()).toEqual(["firing", "released", "suppressed"]);
    // Released once: the next round sends nothing more.
    now = at + 3 * MIN;
    await evaluator.tick();
    await notifier.tick();
    expect(hook.requests).toHaveLength(2);
  }, 60_000);
});
