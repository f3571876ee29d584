// The alert evaluator: runs in each server process; several processes on one PostgreSQL
// share the rules. A tick leases the due rules (FOR UPDATE SKIP LOCKED, with an expiry, as
// the campaign dispatcher leases targets), evaluates each (sources -> conditions -> state
// machine), and stores the result only while it still holds the lease, moving the rule's
// next evaluation one interval on. So each rule is evaluated once per interval whatever the
// number of processes, and a dead process's rules come back when their lease expires.
// Alerts fired (or resolved) together in a round go to each channel as one message.
import { randomUUID } from "node:crypto";
import os from "node:os";
import type { ClickHouse } from "@/lib/clickhouse/client";
import { getDb, type PrismaClient } from "@/lib/db";
import { findActiveSilences, findRuleAlerts, leaseDueRules, storeRuleTick, completeRuleEvaluation, type LeasedRule } from "@/lib/db/alerts";
import { enqueueNotifications } from "@/lib/db/notifications";
import type { Catalogue } from "@/lib/faults/catalogue";
import { publish } from "@/lib/realtime/hub";
import { buildMessage, type MessageAlert, type MessageKind } from "./messages";
import { ruleDefinitionSchema } from "./rules";
import { findSilence, type ActiveSilence } from "./silences";
import { observeRule, prefetchSignatureRules, RoundCache } from "./sources";
import { evaluateRuleTick, type AlertSnapshot, type Observation } from "./state";
import { findCampaignHold, loadCampaignHolds, releaseFailedCampaignHolds, type CampaignHold } from "./campaign-holds";
import { getAlertLoopStatus, type AlertLoopName } from "./status";
import { recordLoopError, recordLoopOk } from "@/lib/server/loop-status";

export interface EvaluatorOptions {
  owner?: string;
  now?: () => Date;
  db?: PrismaClient;
  ch?: ClickHouse;
  catalogue?: Catalogue;
  staleAfterMs?: number;
  /** How long a leased rule stays ours (a crashed process's rules return after it). */
  leaseMs?: number;
  batchSize?: number;
  /** Rules evaluated at once (each is one or two ClickHouse reads). */
  concurrency?: number;
  /** Push changes to the socket.io "alerts" room (the bell). */
  publish?: boolean;
  /** Base URL of the console for links in messages. */
  baseUrl?: string;
}

export interface EvaluatorTickResult {
  rules: number;
  fired: number;
  resolved: number;
  notifications: number;
  errors: Array<{ ruleId: string; error: string }>;
  lostLeases: number;
}

interface Pending {
  kind: MessageKind;
  channelIds: string[];
  alert: MessageAlert;
  campaign?: { id: string; name: string; url: string };
}

export function createAlertEvaluator(opts: EvaluatorOptions = {}) {
  const owner = opts.owner ?? `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const now = opts.now ?? (() => new Date());
  const db = opts.db ?? getDb();
  const leaseMs = opts.leaseMs ?? 120_000;
  const concurrency = opts.concurrency ?? 4;
  const baseUrl = (opts.baseUrl ?? "http://localhost:3000").replace(/\/$/, "");
  const alertUrl = (id: string) => `${baseUrl}/alerts?alert=${encodeURIComponent(id)}`;

  function toMessageAlert(rule: LeasedRule, id: string, a: AlertSnapshot): MessageAlert {
    const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
    return {
      id,
      fingerprint: a.fingerprint,
      rule: { id: rule.id, name: rule.name },
      severity: rule.severity,
      state: a.state,
      labels: a.labels,
      summary: a.summary,
      value: a.value,
      firedAt: iso(a.firedAt),
      resolvedAt: iso(a.resolvedAt),
      runbookUrl: rule.runbookUrl,
      url: alertUrl(id),
    };
  }

  async function evaluateOne(
    rule: LeasedRule,
    at: Date,
    ctx: { cache: RoundCache; silences: ActiveSilence[]; holds: CampaignHold[] },
    result: EvaluatorTickResult,
    pending: Pending[],
  ) {
    const t0 = performance.now();
    const interval = rule.intervalSeconds * 1000;
    // The next due time is on the rule's own grid: a late round does not shift later ones.
    const behind = Math.max(0, at.getTime() - rule.nextEvalAt.getTime());
    const nextEvalAt = new Date(rule.nextEvalAt.getTime() + interval * (Math.floor(behind / interval) + 1));
    const completion = (error: string | null) => ({ nextEvalAt, evaluatedAt: at, elapsedMs: performance.now() - t0, error });
    let observations: Observation[];
    try {
      const def = ruleDefinitionSchema.parse({ kind: rule.kind, params: rule.params });
      observations = await observeRule(def, at.getTime(), { ch: opts.ch, catalogue: opts.catalogue, staleAfterMs: opts.staleAfterMs ?? 86_400_000, cache: ctx.cache });
    } catch (err) {
      // A rule that cannot be read keeps its alerts as they are (an outage is not a recovery).
      const message = err instanceof Error ? err.message.split("\n")[0]!.slice(0, 300) : String(err);
      result.errors.push({ ruleId: rule.id, error: message });
      await completeRuleEvaluation(db, { id: rule.id, owner, ...completion(message) });
      return;
    }
    const { snapshots, stored } = await findRuleAlerts(db, rule.id, at.getTime());
    const tick = evaluateRuleTick(rule.id, rule, observations, snapshots, at.getTime());
    const metersOf = new Map(observations.map((o) => [o.groupKey, o.meters ?? []]));
    const events: Array<(typeof tick.events)[number] & { note?: string }> = [...tick.events];
    const updates = tick.updates.map((u) => {
      const before = stored.get(u.fingerprint);
      let suppressedBy: string | null = null;
      // A release note (written when a campaign hold ended) stays; an ended silence's mark goes.
      let suppressedReason: string | null = before?.suppressedBy ? null : (before?.suppressedReason ?? null);
      let campaignId: string | null = before?.campaignId ?? null;
      if (u.state !== "resolved") {
        const silence = findSilence(ctx.silences, { ruleId: rule.id, severity: rule.severity, labels: u.labels }, at.getTime());
        const hold = silence ? null : findCampaignHold(ctx.holds, metersOf.get(u.groupKey) ?? [], before?.suppressedBy ?? null);
        if (silence) {
          suppressedBy = `silence:${silence.id}`;
          suppressedReason = "silenced";
        } else if (hold) {
          suppressedBy = hold.key;
          suppressedReason = `suppressed by campaign ${hold.campaignName}`;
          campaignId = hold.campaignId;
        }
        if (suppressedBy && suppressedBy !== before?.suppressedBy)
          events.push({ type: "suppressed", at: at.getTime(), value: u.value, fingerprint: u.fingerprint, note: suppressedReason ?? undefined });
      } else {
        // Resolved: keep the reason it was held, so the history says why nobody was told.
        suppressedBy = before?.suppressedBy ?? null;
      }
      return { ...u, meters: (metersOf.get(u.groupKey) ?? []).slice(0, 50), suppressedBy, suppressedReason, campaignId };
    });
    const saved = await storeRuleTick(db, { ruleId: rule.id, owner, severity: rule.severity, updates, events, completion: completion(null) });
    if (!saved) {
      result.lostLeases++;
      return;
    }
    for (const n of tick.notify) {
      const u = updates.find((x) => x.fingerprint === n.fingerprint)!;
      const row = saved.get(n.fingerprint)!;
      if (n.kind === "firing") result.fired++;
      else result.resolved++;
      // Held alerts tell nobody; a resolved alert tells only if its firing was told.
      const wasHeld = n.kind === "firing" ? u.suppressedBy !== null : (stored.get(n.fingerprint)?.suppressedBy ?? null) !== null;
      if (opts.publish)
        publish("alerts", "alert", {
          id: row.id,
          ruleId: rule.id,
          ruleName: rule.name,
          severity: rule.severity,
          state: u.state,
          summary: u.summary,
          labels: u.labels,
          suppressedBy: u.suppressedBy,
          at: at.getTime(),
        });
      if (wasHeld) continue;
      pending.push({ kind: n.kind, channelIds: rule.channelIds, alert: toMessageAlert(rule, row.id, u) });
    }
  }

  async function tick(): Promise<EvaluatorTickResult> {
    const at = now();
    const result: EvaluatorTickResult = { rules: 0, fired: 0, resolved: 0, notifications: 0, errors: [], lostLeases: 0 };
    const rules = await leaseDueRules(db, { owner, at, leaseMs, limit: opts.batchSize ?? 1000 });
    result.rules = rules.length;
    const pending: Pending[] = [];
    const holds = await loadCampaignHolds(db, at);
    // Alerts held for a wave whose gate failed go out now, one message per campaign.
    for (const r of await releaseFailedCampaignHolds(db, { at, baseUrl })) {
      for (const a of r.alerts) pending.push({ kind: r.kind, channelIds: r.channelIds, alert: a, campaign: r.campaign });
      if (opts.publish)
        for (const a of r.alerts)
          publish("alerts", "alert", {
            id: a.id,
            ruleId: a.rule.id,
            ruleName: a.rule.name,
            severity: a.severity,
            state: a.state,
            summary: a.summary,
            labels: a.labels,
            suppressedBy: null,
            at: at.getTime(),
          });
    }
    if (rules.length) {
      const ctx = { cache: new RoundCache(), silences: await findActiveSilences(db, at), holds };
      const defs = rules.map((r) => ruleDefinitionSchema.safeParse({ kind: r.kind, params: r.params })).flatMap((p) => (p.success ? [p.data] : []));
      prefetchSignatureRules(defs, at.getTime(), { ch: opts.ch, catalogue: opts.catalogue, staleAfterMs: opts.staleAfterMs ?? 86_400_000, cache: ctx.cache });
      let next = 0;
      const worker = async () => {
        while (next < rules.length) {
          const rule = rules[next++]!;
          try {
            await evaluateOne(rule, at, ctx, result, pending);
          } catch (err) {
            const message = err instanceof Error ? err.message.split("\n")[0]!.slice(0, 300) : String(err);
            result.errors.push({ ruleId: rule.id, error: message });
            console.error(`[alerts] rule ${rule.id} failed`, err);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, rules.length) }, worker));
    }
    // One message per channel and kind (and campaign) for everything of this round.
    const groups = new Map<string, { channelId: string; kind: MessageKind; alerts: MessageAlert[]; campaign?: Pending["campaign"] }>();
    for (const p of pending) {
      for (const channelId of p.channelIds) {
        const key = `${channelId}\u0000${p.kind}\u0000${p.campaign?.id ?? ""}`;
        const g = groups.get(key) ?? { channelId, kind: p.kind, alerts: [], campaign: p.campaign };
        if (!g.alerts.some((a) => a.id === p.alert.id)) g.alerts.push(p.alert);
        groups.set(key, g);
      }
    }
    const rows = [...groups.values()].map((g) => ({
      channelId: g.channelId,
      kind: g.kind,
      alertIds: g.alerts.map((a) => a.id),
      payload: buildMessage(g.kind, g.alerts, at.getTime(), g.campaign),
    }));
    if (rows.length) {
      const known = new Set(
        (await db.notificationChannel.findMany({ where: { id: { in: [...new Set(rows.map((r) => r.channelId))] }, enabled: true }, select: { id: true } })).map((c) => c.id),
      );
      const live = rows.filter((r) => known.has(r.channelId));
      await enqueueNotifications(db, live, at);
      result.notifications = live.length;
    }
    return result;
  }

  return { owner, tick };
}
export type AlertEvaluator = ReturnType<typeof createAlertEvaluator>;

// ---------------------------------------------------------------- the server's loop

const g = globalThis as unknown as { __amiAlertEvaluator?: { stop(): Promise<void> } };

/**
 * Runs `body` until stopped; a crash (the loop itself throwing) is reported on the named
 * loop's status and the loop restarts with backoff (1 s doubling to 30 s).
 */
export function superviseLoop(name: AlertLoopName, body: (isStopping: () => boolean, sleep: (ms: number) => Promise<void>) => Promise<void>): { stop(): Promise<void> } {
  const status = getAlertLoopStatus(name);
  let isStopping = false;
  let wake: (() => void) | null = null;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      const t = setTimeout(resolve, ms);
      t.unref?.();
    });
  status.running = true;
  const done = (async () => {
    let backoff = 1000;
    while (!isStopping) {
      try {
        await body(() => isStopping, sleep);
        if (isStopping) break;
        throw new Error("loop ended");
      } catch (err) {
        if (isStopping) break;
        recordLoopError("alerts", name, err);
        status.restarts++;
        console.error(`[alerts] ${name} loop crashed, restarting in ${backoff} ms`, err);
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
    status.running = false;
  })();
  return {
    async stop() {
      isStopping = true;
      wake?.();
      await done.catch(() => {});
    },
  };
}

/** One tick of a loop: a failed tick marks the loop degraded until a tick succeeds. */
export async function runTick<T>(name: AlertLoopName, tick: () => Promise<T>): Promise<T | null> {
  try {
    const r = await tick();
    recordLoopOk("alerts", name);
    return r;
  } catch (err) {
    recordLoopError("alerts", name, err);
    console.error(`[alerts] ${name} tick failed`, err);
    return null;
  }
}

/** Start the evaluator loop in this process (server.ts). Safe to call once per process. */
export function startAlertEvaluator(options: EvaluatorOptions & { idleMs?: number } = {}): { stop(): Promise<void> } {
  if (g.__amiAlertEvaluator) return g.__amiAlertEvaluator;
  const handle = superviseLoop("evaluator", async (isStopping, sleep) => {
    const evaluator = createAlertEvaluator({ publish: true, ...options });
    while (!isStopping()) {
      const r = await runTick("evaluator", () => evaluator.tick());
      if (isStopping()) break;
      await sleep(r === null ? 5_000 : (options.idleMs ?? 1000));
    }
  });
  const out = {
    async stop() {
      await handle.stop();
      g.__amiAlertEvaluator = undefined;
    },
  };
  g.__amiAlertEvaluator = out;
  return out;
}
