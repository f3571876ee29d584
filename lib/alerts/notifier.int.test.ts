// Notifications to real receivers started by the test: a local HTTP webhook receiver (JSON
// with an HMAC signature, Slack and Teams forms) and an SMTP server (smtp-server); retries
// with backoff while the receiver is down; a per-channel rate limit; alerts fired together
// arrive as one message, and their resolution as another.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFleetDimensions, type FleetMeterRow } from "@/lib/clickhouse/queries/campaigns";
import { enqueueNotifications } from "@/lib/db/notifications";
import { auditLine, openTestEnv, testDbKind, type TestEnv } from "@/lib/testing/env";
import { startSmtpReceiver, startWebhookReceiver } from "@/lib/testing/receivers";
import { signBody, SIGNATURE_HEADER, TIMESTAMP_HEADER } from "./channels";
import { createAlertEvaluator } from "./evaluator";
import { buildMessage, type AlertMessage, type MessageAlert } from "./messages";
import { backoffMs, createNotifier } from "./notifier";
import { encryptSecret } from "./secrets";

const T = Date.UTC(2026, 11, 8, 3, 0, 0);
let env: TestEnv;
let hook: Awaited<ReturnType<typeof startWebhookReceiver>>;

const alert = (over: Partial<MessageAlert> = {}): MessageAlert => ({
  id: "a1",
  fingerprint: "r1|gateway=GW-0042",
  rule: { id: "r1", name: "E105 on a gateway" },
  severity: "critical",
  state: "firing",
  labels: { gateway: "GW-0042" },
  summary: "E105 on GW-0042: 25 meters in 15 min",
  value: 25,
  firedAt: new Date(T).toISOString(),
  resolvedAt: null,
  runbookUrl: "/faults/runbooks/rf-timeout",
  url: "http://localhost:3000/alerts?alert=a1",
  ...over,
});

beforeAll(async () => {
  process.env.NEXTAUTH_SECRET ??= "test-secret-for-channel-keys-0123456789";
  env = await openTestEnv(testDbKind());
  hook = await startWebhookReceiver();
}, 120_000);

afterAll(async () => {
  await hook?.close();
  await env?.cleanup();
});

async function channel(kind: string, config: object, ratePerMinute = 30) {
  return env.db.notificationChannel.create({ data: { name: `${kind}-${Math.random().toString(36).slice(2, 6)}`, kind, config, ratePerMinute } });
}

describe("webhook channel", () => {
  it("posts the documented JSON body with an HMAC signature the receiver can check", async () => {
    hook.requests.length = 0;
    const c = await channel("webhook", { url: hook.url, format: "json", secretEnc: encryptSecret("hmac-key-1") });
    const message = buildMessage("firing", [alert()], T);
    await enqueueNotifications(env.db, [{ channelId: c.id, kind: "firing", alertIds: ["a1"], payload: message }], new Date(T));
    const r = await createNotifier({ db: env.db, now: () => new Date(T) }).tick();
    expect(r).toMatchObject({ sent: 1, failed: 0 });
    expect(hook.requests).toHaveLength(1);
    const req = hook.requests[0]!;
    const body = JSON.parse(req.body) as AlertMessage;
    expect(body).toMatchObject({ version: 1, kind: "firing", title: "Firing: E105 on a gateway (E105 on GW-0042: 25 meters in 15 min)" });
    expect(body.alerts[0]).toMatchObject({ labels: { gateway: "GW-0042" }, severity: "critical", runbookUrl: "/faults/runbooks/rf-timeout" });
    expect(req.headers[TIMESTAMP_HEADER]).toBe(String(T));
    expect(req.headers[SIGNATURE_HEADER]).toBe(signBody("hmac-key-1", String(T), req.body));
    expect(req.headers[SIGNATURE_HEADER]).not.toBe(signBody("another-key", String(T), req.body));
    const row = await env.db.notification.findFirstOrThrow({ where: { channelId: c.id } });
    expect(row.state).toBe("sent");
    expect(row.log).toEqual([{ at: new Date(T).toISOString(), ok: true, status: 200 }]);
  }, 30_000);

  it("Slack and Teams formats", async () => {
    hook.requests.length = 0;
    const slack = await channel("webhook", { url: hook.url, format: "slack" });
    const teams = await channel("webhook", { url: hook.url, format: "teams" });
    const message = buildMessage("firing", [alert()], T);
    await enqueueNotifications(
      env.db,
      [
        { channelId: slack.id, kind: "firing", alertIds: ["a1"], payload: message },
        { channelId: teams.id, kind: "firing", alertIds: ["a1"], payload: message },
      ],
      new Date(T),
    );
    await createNotifier({ db: env.db, now: () => new Date(T) }).tick();
    const bodies = hook.requests.map((r) => JSON.parse(r.body) as Record<string, unknown>);
    const s = bodies.find((b) => "blocks" in b)!;
    expect(s.text).toBe(message.title);
    expect(JSON.stringify(s.blocks)).toContain("[critical] E105 on a gateway: E105 on GW-0042: 25 meters in 15 min");
    const t = bodies.find((b) => b["@type"] === "MessageCard")!;
    expect(t).toMatchObject({ title: message.title, themeColor: "D40E0D" });
    expect(hook.requests.some((r) => SIGNATURE_HEADER in r.headers)).toBe(false);
  }, 30_000);

  it("retries with backoff while the receiver is down, and logs every attempt", async () => {
    hook.requests.length = 0;
    const c = await channel("webhook", { url: hook.url, format: "json" });
    await enqueueNotifications(env.db, [{ channelId: c.id, kind: "firing", alertIds: ["a1"], payload: buildMessage("firing", [alert()], T) }], new Date(T));
    let now = T + 60_000;
    const n = createNotifier({ db: env.db, now: () => new Date(now) });
    hook.respondWith(503);
    expect(await n.tick()).toMatchObject({ sent: 0, retried: 1 });
    let row = await env.db.notification.findFirstOrThrow({ where: { channelId: c.id } });
    expect(row).toMatchObject({ state: "pending", attempts: 1, lastError: "HTTP 503" });
    expect(row.nextAttemptAt.getTime()).toBe(now + backoffMs(1));
    // Not due yet: nothing is sent.
    now += backoffMs(1) - 1;
    expect(await n.tick()).toMatchObject({ sent: 0, retried: 0 });
    // Due, still down: the wait doubles.
    now += 1;
    expect(await n.tick()).toMatchObject({ retried: 1 });
    row = await env.db.notification.findFirstOrThrow({ where: { channelId: c.id } });
    expect(row.nextAttemptAt.getTime()).toBe(now + backoffMs(2));
    expect(backoffMs(2)).toBe(2 * backoffMs(1));
    // Back up.
    hook.respondWith(200);
    now += backoffMs(2);
    expect(await n.tick()).toMatchObject({ sent: 1 });
    row = await env.db.notification.findFirstOrThrow({ where: { channelId: c.id } });
    expect(row.state).toBe("sent");
    expect((row.log as Array<{ ok: boolean; status: number }>).map((l) => [l.ok, l.status])).toEqual([
      [false, 503],
      [false, 503],
      [true, 200],
    ]);
    expect(hook.requests).toHaveLength(3);
  }, 30_000);

  it("a receiver that refuses the connection is retried too", async () => {
    const c = await channel("webhook", { url: "http://127.0.0.1:1/hook", format: "json" });
    await enqueueNotifications(env.db, [{ channelId: c.id, kind: "firing", alertIds: ["a1"], payload: buildMessage("firing", [alert()], T) }], new Date(T));
    const r = await createNotifier({ db: env.db, now: () => new Date(T + 3_600_000) }).tick();
    expect(r.retried).toBeGreaterThanOrEqual(1);
    const row = await env.db.notification.findFirstOrThrow({ where: { channelId: c.id } });
    expect(row.state).toBe("pending");
    expect(row.lastError).toBeTruthy();
  }, 30_000);

  it("a channel over its rate limit defers the rest to the next minute", async () => {
    hook.requests.length = 0;
    const c = await channel("webhook", { url: hook.url, format: "json" }, 2);
    const msg = buildMessage("firing", [alert()], T);
    await enqueueNotifications(
      env.db,
      [1, 2, 3].map(() => ({ channelId: c.id, kind: "firing", alertIds: ["a1"], payload: msg })),
      new Date(T),
    );
    const at = T + 7_200_000;
    const r = await createNotifier({ db: env.db, now: () => new Date(at) }).tick();
    expect(r).toMatchObject({ sent: 2, deferred: 1 });
    expect(hook.requests).toHaveLength(2);
    const deferred = await env.db.notification.findFirstOrThrow({ where: { channelId: c.id, state: "pending" } });
    expect(deferred.attempts).toBe(0);
    expect(deferred.nextAttemptAt.getTime()).toBe(at + 60_000);
    expect(await createNotifier({ db: env.db, now: () => new Date(at + 61_000) }).tick()).toMatchObject({ sent: 1 });
  }, 30_000);
});

describe("email channel", () => {
  it("sends over SMTP with credentials stored encrypted or named by environment variable", async () => {
    const smtp = await startSmtpReceiver({ user: "alerts", password: "s3cret" });
    try {
      const base = { host: "127.0.0.1", port: smtp.port, tls: "none", user: "alerts", from: "ami@example.org", to: ["noc@example.org", "oncall@example.org"] };
      const enc = await channel("email", { ...base, passwordEnc: encryptSecret("s3cret") });
      process.env.AMI_ALERT_SMTP_PASSWORD = "s3cret";
      const byEnv = await channel("email", { ...base, passwordEnv: "AMI_ALERT_SMTP_PASSWORD" });
      const wrong = await channel("email", { ...base, passwordEnc: encryptSecret("wrong") });
      const msg = buildMessage("resolved", [alert({ state: "resolved", resolvedAt: new Date(T + 600_000).toISOString() })], T + 600_000);
      await enqueueNotifications(
        env.db,
        [enc, byEnv, wrong].map((c) => ({ channelId: c.id, kind: "resolved", alertIds: ["a1"], payload: msg })),
        new Date(T),
      );
      const r = await createNotifier({ db: env.db, now: () => new Date(T + 10_800_000) }).tick();
      expect(r.sent).toBe(2);
      expect(smtp.messages).toHaveLength(2);
      for (const m of smtp.messages) {
        expect(m.user).toBe("alerts");
        expect(m.to).toEqual(["noc@example.org", "oncall@example.org"]);
        expect(m.raw).toContain("Subject: [AMI] Resolved: E105 on a gateway");
        expect(m.raw).toContain("E105 on GW-0042: 25 meters in 15 min");
        expect(m.raw).toContain("gateway=GW-0042");
      }
      const failed = await env.db.notification.findFirstOrThrow({ where: { channelId: wrong.id } });
      expect(failed.lastError).toMatch(/Invalid username or password|auth/i);
    } finally {
      delete process.env.AMI_ALERT_SMTP_PASSWORD;
      await smtp.close();
    }
  }, 60_000);
});

describe("evaluator to receiver", () => {
  it("alerts fired together arrive as one message; their resolution as another", async () => {
    hook.requests.length = 0;
    const meters: FleetMeterRow[] = [];
    for (const gw of ["GW-0101", "GW-0102"])
      for (let i = 0; i < 10; i++)
        meters.push({
          meter: `EM-${gw.slice(3)}${i}`,
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
        });
    await writeFleetDimensions({ meters, gateways: [] }, env.ch);
    const at = T + 86_400_000;
    await env.ch.insertRows({
      table: "audit_log",
      values: meters.flatMap((m, i) =>
        [0, 1, 2, 3, 4, 5].map((k) => auditLine({ ts: at - 60_000 - k * 1000, meter: m.meter, gw: m.gw, code: "LAST_GASP", sev: "warn" }, 10_000 + i * 10 + k)),
      ) as unknown as Record<string, unknown>[],
    });
    const c = await channel("webhook", { url: hook.url, format: "json" });
    await env.db.alertRule.create({
      data: {
        name: "LAST_GASP storm",
        kind: "last_gasp",
        params: { groupBy: "gateway", perMinute: 5, windowMinutes: 5 },
        channelIds: [c.id],
        nextEvalAt: new Date(at),
        severity: "warning",
      },
    });
    let now = at;
    const evaluator = createAlertEvaluator({ db: env.db, ch: env.ch, now: () => new Date(now), baseUrl: "http://console.test" });
    const notifier = createNotifier({ db: env.db, now: () => new Date(now) });
    expect((await evaluator.tick()).fired).toBe(2);
    await notifier.tick();
    expect(hook.requests).toHaveLength(1);
    const fired = JSON.parse(hook.requests[0]!.body) as AlertMessage;
    expect(fired.kind).toBe("firing");
    expect(fired.alerts.map((a) => a.labels.gateway).sort()).toEqual(["GW-0101", "GW-0102"]);
    expect(fired.alerts[0]!.url).toMatch(/^http:\/\/console\.test\/alerts\?alert=/);
    now = at + 10 * 60_000;
    expect((await evaluator.tick()).resolved).toBe(2);
    await notifier.tick();
    expect(hook.requests).toHaveLength(2);
    const resolved = JSON.parse(hook.requests[1]!.body) as AlertMessage;
    expect(resolved.kind).toBe("resolved");
    expect(resolved.alerts).toHaveLength(2);
  }, 60_000);
});
