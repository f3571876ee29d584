// The console's alert service against PGlite/PostgreSQL and chDB: rule changes land in the
// operator trail with before/after, roles are enforced, acknowledging records who and the
// note, channel secrets are stored encrypted and never listed, the preview replays a rule
// over the last 7 days, and the history exports as CSV.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFleetDimensions } from "@/lib/clickhouse/queries/campaigns";
import { isAppError } from "@/lib/errors";
import { auditLine, createTestUsers, openTestEnv, testDbKind, type TestEnv } from "@/lib/testing/env";
import { createAlertEvaluator } from "./evaluator";
import { acknowledgeAlert, createChannel, createRule, historyToCsv, listAlertHistory, listAlerts, listChannels, previewRule, updateRule, type AlertActor } from "./service";

let env: TestEnv;
let users: Record<"viewer" | "operator" | "admin", AlertActor>;
const HOUR = 3_600_000;

const ruleInput = (over: object = {}) => ({
  name: "E105 on a gateway",
  severity: "critical",
  intervalSeconds: 60,
  definition: { kind: "fault_signature", params: { signatureId: "E105", groupBy: "gateway", threshold: 3, windowMinutes: 60 } },
  ...over,
});

beforeAll(async () => {
  process.env.NEXTAUTH_SECRET ??= "test-secret-for-channel-keys-0123456789";
  env = await openTestEnv(testDbKind());
  const u = await createTestUsers(env.db);
  users = { viewer: u.viewer as AlertActor, operator: u.operator as AlertActor, admin: u.admin as AlertActor };
}, 120_000);

afterAll(async () => {
  await env?.cleanup();
});

describe("alert service", () => {
  it("rule changes are recorded in the operator trail with before and after; a viewer may not change rules", async () => {
    const rule = await createRule(ruleInput(), users.operator);
    await updateRule(rule.id, ruleInput({ name: "E105 storm", definition: { kind: "fault_signature", params: { signatureId: "E105", threshold: 10 } } }), users.operator);
    const trail = await env.db.activityEvent.findMany({ where: { target: `alert-rule:${rule.id}` }, orderBy: { at: "asc" } });
    expect(trail.map((t) => [t.action, t.actorEmail])).toEqual([
      ["alerts.rule.create", users.operator.email],
      ["alerts.rule.update", users.operator.email],
    ]);
    const update = trail[1]!.details as { before: { name: string; params: { threshold: number } }; after: { name: string; params: { threshold: number } } };
    expect([update.before.name, update.before.params.threshold]).toEqual(["E105 on a gateway", 3]);
    expect([update.after.name, update.after.params.threshold]).toEqual(["E105 storm", 10]);
    const denied = await createRule(ruleInput(), users.viewer).catch((e: unknown) => e);
    expect(isAppError(denied) && denied.code).toBe("forbidden");
  });

  it("the preview replays the rule over the last 7 days and says when it would have fired", async () => {
    const now = Date.now();
    await writeFleetDimensions(
      {
        meters: Array.from({ length: 20 }, (_, i) => ({
          meter: `EM-P${i}`,
          kind: "residential",
          model: "AM-1",
          gw: i < 10 ? "GW-0500" : "GW-0501",
          zone: "z",
          timezone: "UTC",
          lat: 0,
          lon: 0,
          installed_at: 0,
          fw_metrology: "",
          fw_comms: "",
          hes_version: "",
          cert_not_after: now + 365 * 24 * HOUR,
        })),
        gateways: [],
      },
      env.ch,
    );
    // Two bursts on GW-0500: three days ago and one day ago.
    const burst = (at: number, base: number) =>
      Array.from({ length: 6 }, (_, i) => auditLine({ ts: at + i * 1000, meter: `EM-P${i}`, gw: "GW-0500", code: "E105", sev: "error" }, base + i));
    await env.ch.insertRows({ table: "audit_log", values: [...burst(now - 72 * HOUR, 0), ...burst(now - 24 * HOUR, 100)] as unknown as Record<string, unknown>[] });
    const p = await previewRule(
      ruleInput({ definition: { kind: "fault_signature", params: { signatureId: "E105", groupBy: "gateway", threshold: 5, windowMinutes: 60 } } }),
      users.viewer,
      now,
    );
    expect(p.isCurrentOnly).toBe(false);
    expect(p.firings.map((f) => f.groupKey)).toEqual(["gateway=GW-0500", "gateway=GW-0500"]);
    expect(Math.abs(p.firings[0]!.firedAt - (now - 72 * HOUR))).toBeLessThanOrEqual(p.stepMs + 60 * 60_000);
    expect(Math.abs(p.firings[1]!.firedAt - (now - 24 * HOUR))).toBeLessThanOrEqual(p.stepMs + 60 * 60_000);
    expect(p.firings.every((f) => f.resolvedAt !== null)).toBe(true);
  }, 60_000);

  it("acknowledging records who and the note, in the alert, its history and the trail; the CSV holds it", async () => {
    const now = Date.now();
    await env.ch.insertRows({
      table: "audit_log",
      values: Array.from({ length: 6 }, (_, i) => auditLine({ ts: now - 60_000 + i, meter: `EM-P${i}`, gw: "GW-0500", code: "E105", sev: "error" }, 200 + i)) as unknown as Record<
        string,
        unknown
      >[],
    });
    const rule = await createRule(
      ruleInput({ name: '=HYPERLINK("x") E105', definition: { kind: "fault_signature", params: { signatureId: "E105", groupBy: "gateway", threshold: 5, windowMinutes: 15 } } }),
      users.operator,
    );
    await createAlertEvaluator({ db: env.db, ch: env.ch, now: () => new Date(now + 1000) }).tick();
    const [firing] = (await listAlerts("firing")).filter((a) => a.ruleId === rule.id);
    expect(firing?.labels.gateway).toBe("GW-0500");
    const denied = await acknowledgeAlert({ alertId: firing!.id, note: "x" }, users.viewer).catch((e: unknown) => e);
    expect(isAppError(denied) && denied.code).toBe("forbidden");
    await acknowledgeAlert({ alertId: firing!.id, note: "Crew on site, antenna check" }, users.operator);
    const [acked] = (await listAlerts("firing")).filter((a) => a.id === firing!.id);
    expect([acked!.acknowledgedByEmail, acked!.ackNote]).toEqual([users.operator.email, "Crew on site, antenna check"]);
    // The next tick updates the firing alert in place and keeps the acknowledgement.
    await createAlertEvaluator({ db: env.db, ch: env.ch, now: () => new Date(now + 62_000) }).tick();
    const [still] = (await listAlerts("firing")).filter((a) => a.id === firing!.id);
    expect([still!.acknowledgedByEmail, still!.firedAt]).toEqual([users.operator.email, firing!.firedAt]);
    const trail = await env.db.activityEvent.findFirstOrThrow({ where: { target: `alert:${firing!.id}` } });
    expect(trail.details).toMatchObject({ before: { acknowledgedByEmail: null }, after: { acknowledgedByEmail: users.operator.email, ackNote: "Crew on site, antenna check" } });
    const history = (await listAlertHistory()).filter((h) => h.alertId === firing!.id);
    expect(history.map((h) => h.type).sort()).toEqual(["acknowledged", "firing"]);
    const csv = historyToCsv(history);
    expect(csv).toContain(`acknowledged,"'=HYPERLINK(""x"") E105",critical,gateway=GW-0500 signature=E105`);
    expect(csv).toContain(users.operator.email);
  }, 60_000);

  it("channel secrets are stored encrypted and never listed; only an admin manages channels", async () => {
    const c = await createChannel({ name: "noc", kind: "webhook", url: "https://hooks.example.org/a?token=abc", format: "slack", secret: "hmac-plain-secret" }, users.admin);
    const stored = await env.db.notificationChannel.findUniqueOrThrow({ where: { id: c.id } });
    expect(JSON.stringify(stored.config)).not.toContain("hmac-plain-secret");
    expect((stored.config as { secretEnc: string }).secretEnc).toMatch(/^v1:/);
    const listed = (await listChannels(users.operator)).find((x) => x.id === c.id)!;
    expect(listed).toMatchObject({ secret: "stored", target: "slack → https://hooks.example.org/a" });
    expect(JSON.stringify(listed)).not.toContain("token=abc");
    const denied = await createChannel({ name: "x", kind: "console" }, users.operator).catch((e: unknown) => e);
    expect(isAppError(denied) && denied.code).toBe("forbidden");
    const byEnv = await createChannel({ name: "env", kind: "webhook", url: "https://hooks.example.org/b", secretEnv: "NEXTAUTH_SECRET" }, users.admin).catch((e: unknown) => e);
    expect(isAppError(byEnv) && byEnv.code).toBe("invalid");
  });
});
