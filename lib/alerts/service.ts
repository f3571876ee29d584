// Alerts for the console: rules, alerts, acknowledgements, silences and channels. Every
// function re-checks the actor's permission (the action checked it too) and records each
// change in the operator trail with before/after (lib/audit-trail.ts). Pages and actions call
// these; no Prisma elsewhere.
import { getDb } from "@/lib/db";
import { recordActivity } from "@/lib/activity/trail";
import { can, type Permission, type Role } from "@/lib/auth/permissions";
import { AppError } from "@/lib/errors";
import { env } from "@/lib/env";
import { publish } from "@/lib/realtime/hub";
import { channelConfigSchema, sendToChannel, CHANNEL_KINDS } from "./channels";
import { buildMessage } from "./messages";
import { ruleInputSchema, ruleWindowMs, type RuleInput } from "./rules";
import { encryptSecret } from "./secrets";
import { silenceInputSchema } from "./silences";
import { observeRule, RoundCache } from "./sources";
import { replayRule } from "./state";
import { z } from "zod";

export interface AlertActor {
  id: string;
  email: string;
  role: Role;
}

function assertCan(actor: AlertActor, permission: Permission) {
  if (!can(actor.role, permission)) throw new AppError("forbidden", `Your role (${actor.role}) may not do this (${permission}).`);
}

async function audit(actor: AlertActor, action: string, target: string, details: Record<string, unknown>) {
  await recordActivity({ actor: { id: actor.id, email: actor.email }, action, target, outcome: "ok", details });
}

// ---------------------------------------------------------------- rules

function ruleData(input: RuleInput) {
  return {
    name: input.name,
    kind: input.definition.kind,
    params: input.definition.params,
    severity: input.severity,
    intervalSeconds: input.intervalSeconds,
    forSeconds: input.forSeconds,
    recoverSeconds: input.recoverSeconds,
    runbookUrl: input.runbookUrl,
    enabled: input.enabled,
    channelIds: input.channelIds,
  };
}

function ruleSnapshot(r: {
  name: string;
  kind: string;
  params: unknown;
  severity: string;
  intervalSeconds: number;
  forSeconds: number;
  recoverSeconds: number;
  runbookUrl: string | null;
  enabled: boolean;
  channelIds: unknown;
}) {
  const { name, kind, params, severity, intervalSeconds, forSeconds, recoverSeconds, runbookUrl, enabled, channelIds } = r;
  return { name, kind, params, severity, intervalSeconds, forSeconds, recoverSeconds, runbookUrl, enabled, channelIds };
}

export async function listRules() {
  return getDb().alertRule.findMany({ orderBy: { createdAt: "desc" } });
}

export async function getRule(id: string) {
  const r = await getDb().alertRule.findUnique({ where: { id } });
  if (!r) throw new AppError("not_found", "No such alert rule");
  return r;
}

export async function createRule(raw: unknown, actor: AlertActor) {
  assertCan(actor, "alerts.manage");
  const input = ruleInputSchema.parse(raw);
  const rule = await getDb().alertRule.create({ data: { ...ruleData(input), createdById: actor.id, createdByEmail: actor.email, nextEvalAt: new Date() } });
  await audit(actor, "alerts.rule.create", `alert-rule:${rule.id}`, { before: null, after: ruleSnapshot(rule) });
  return rule;
}

export async function updateRule(id: string, raw: unknown, actor: AlertActor) {
  assertCan(actor, "alerts.manage");
  const input = ruleInputSchema.parse(raw);
  const before = await getRule(id);
  const rule = await getDb().alertRule.update({ where: { id }, data: { ...ruleData(input), nextEvalAt: new Date() } });
  await audit(actor, "alerts.rule.update", `alert-rule:${id}`, { before: ruleSnapshot(before), after: ruleSnapshot(rule) });
  return rule;
}

export async function deleteRule(id: string, actor: AlertActor) {
  assertCan(actor, "alerts.manage");
  const before = await getRule(id);
  await getDb().alertRule.delete({ where: { id } });
  await audit(actor, "alerts.rule.delete", `alert-rule:${id}`, { before: ruleSnapshot(before), after: null });
}

export interface RulePreview {
  firings: Array<{ groupKey: string; firedAt: number; resolvedAt: number | null; value: number }>;
  ticks: number;
  stepMs: number;
  from: number;
  to: number;
  /** Rules over a state (certificates, silent meters, campaigns) have no past: only now is read. */
  isCurrentOnly: boolean;
}

const PREVIEW_SPAN_MS = 7 * 86_400_000;
const PREVIEW_MAX_TICKS = 168;

/** "This rule would have fired N times in the last 7 days": the rule replayed over past windows. */
export async function previewRule(raw: unknown, actor: AlertActor, now = Date.now()): Promise<RulePreview> {
  assertCan(actor, "alerts.view");
  const input = ruleInputSchema.parse(raw);
  const def = input.definition;
  const isCurrentOnly = ruleWindowMs(def) === 0 || def.kind === "campaign_event";
  const stepMs = isCurrentOnly ? PREVIEW_SPAN_MS : Math.max(input.intervalSeconds * 1000, Math.ceil(PREVIEW_SPAN_MS / PREVIEW_MAX_TICKS / 60_000) * 60_000);
  const from = now - PREVIEW_SPAN_MS;
  const ticks: Array<{ at: number; observations: Awaited<ReturnType<typeof observeRule>> }> = [];
  for (let at = isCurrentOnly ? now : from + stepMs; at <= now; at += stepMs) {
    ticks.push({ at, observations: await observeRule(def, at, { staleAfterMs: env.STALE_AFTER, cache: new RoundCache() }) });
  }
  // Ticks are coarser than the rule's interval: `for` and recovery count in whole ticks.
  const firings = replayRule({ forSeconds: input.forSeconds, recoverSeconds: input.recoverSeconds }, ticks);
  return { firings, ticks: ticks.length, stepMs, from, to: now, isCurrentOnly };
}

// ---------------------------------------------------------------- alerts

export const ALERT_VIEWS = ["firing", "pending", "silenced", "history"] as const;
export type AlertView = (typeof ALERT_VIEWS)[number];

export interface AlertRow {
  id: string;
  ruleId: string;
  ruleName: string;
  runbookUrl: string | null;
  severity: string;
  state: string;
  labels: Record<string, string>;
  summary: string;
  value: number;
  firedAt: string | null;
  pendingSince: string | null;
  resolvedAt: string | null;
  updatedAt: string;
  isFlapping: boolean;
  acknowledgedAt: string | null;
  acknowledgedByEmail: string | null;
  ackNote: string | null;
  suppressedBy: string | null;
  suppressedReason: string | null;
  campaignId: string | null;
  meters: string[];
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

type AlertWithRule = NonNullable<Awaited<ReturnType<typeof findAlertWithRule>>>;

function findAlertWithRule(id: string) {
  return getDb().alert.findUnique({ where: { id }, include: { rule: { select: { name: true, runbookUrl: true } } } });
}

function toAlertRow(a: AlertWithRule): AlertRow {
  return {
    id: a.id,
    ruleId: a.ruleId,
    ruleName: a.rule.name,
    runbookUrl: a.rule.runbookUrl,
    severity: a.severity,
    state: a.state,
    labels: a.labels as Record<string, string>,
    summary: a.summary,
    value: a.value,
    firedAt: iso(a.firedAt),
    pendingSince: iso(a.pendingSince),
    resolvedAt: iso(a.resolvedAt),
    updatedAt: a.updatedAt.toISOString(),
    isFlapping: a.isFlapping,
    acknowledgedAt: iso(a.acknowledgedAt),
    acknowledgedByEmail: a.acknowledgedByEmail,
    ackNote: a.ackNote,
    suppressedBy: a.suppressedBy,
    suppressedReason: a.suppressedReason,
    campaignId: a.campaignId,
    meters: Array.isArray(a.meters) ? (a.meters as string[]) : [],
  };
}

/** One alert, in any state (the API's GET /alerts/{id}); null when there is none. */
export async function getAlert(id: string): Promise<AlertRow | null> {
  const a = await findAlertWithRule(id);
  return a ? toAlertRow(a) : null;
}

export async function listAlerts(view: Exclude<AlertView, "history">, limit = 500): Promise<AlertRow[]> {
  const where =
    view === "firing"
      ? { state: "firing" as const, suppressedBy: null }
      : view === "pending"
        ? { state: "pending" as const, suppressedBy: null }
        : { state: { not: "resolved" as const }, suppressedBy: { not: null } };
  const rows = await getDb().alert.findMany({
    where,
    include: { rule: { select: { name: true, runbookUrl: true } } },
    orderBy: [{ severity: "desc" }, { updatedAt: "desc" }],
    take: limit,
  });
  return rows.map(toAlertRow);
}

/** Counts for the tabs and the bell. */
export async function countAlerts(): Promise<Record<Exclude<AlertView, "history">, number>> {
  const db = getDb();
  const [firing, pending, silenced] = await Promise.all([
    db.alert.count({ where: { state: "firing", suppressedBy: null } }),
    db.alert.count({ where: { state: "pending", suppressedBy: null } }),
    db.alert.count({ where: { state: { not: "resolved" }, suppressedBy: { not: null } } }),
  ]);
  return { firing, pending, silenced };
}

export interface HistoryRow {
  id: string;
  at: string;
  type: string;
  alertId: string;
  ruleName: string;
  severity: string;
  labels: Record<string, string>;
  summary: string | null;
  value: number | null;
  actorEmail: string | null;
  note: string | null;
}

/** Newest first; `before` continues after the last row of a page (the API's cursor): events at the same ms go by id. */
export async function listAlertHistory(opts: { from?: Date; to?: Date; limit?: number; before?: { at: Date; id: string } } = {}): Promise<HistoryRow[]> {
  const b = opts.before;
  const rows = await getDb().alertEvent.findMany({
    where: { at: { gte: opts.from, lt: opts.to }, ...(b ? { OR: [{ at: { lt: b.at } }, { at: b.at, id: { lt: b.id } }] } : {}) },
    include: { alert: { select: { labels: true, severity: true, rule: { select: { name: true } } } } },
    orderBy: [{ at: "desc" }, { id: "desc" }],
    take: Math.min(opts.limit ?? 500, 100_000),
  });
  return rows.map((e) => ({
    id: e.id,
    at: e.at.toISOString(),
    type: e.type,
    alertId: e.alertId,
    ruleName: e.alert.rule.name,
    severity: e.alert.severity,
    labels: e.alert.labels as Record<string, string>,
    summary: e.summary,
    value: e.value,
    actorEmail: e.actorEmail,
    note: e.note,
  }));
}

/** CSV of the history (RFC 4180 quoting; a leading =+-@ is prefixed with ' so a spreadsheet does not run it). */
export function historyToCsv(rows: HistoryRow[]): string {
  const cell = (v: unknown) => {
    let s = v === null || v === undefined ? "" : String(v);
    if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const header = ["at_utc", "event", "rule", "severity", "labels", "summary", "value", "by", "note", "alert_id"];
  const lines = rows.map((r) =>
    [
      r.at,
      r.type,
      r.ruleName,
      r.severity,
      Object.entries(r.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(" "),
      r.summary,
      r.value,
      r.actorEmail,
      r.note,
      r.alertId,
    ]
      .map(cell)
      .join(","),
  );
  return [header.join(","), ...lines].join("\r\n") + "\r\n";
}

export async function acknowledgeAlert(input: { alertId: string; note: string }, actor: AlertActor) {
  assertCan(actor, "alerts.acknowledge");
  const db = getDb();
  const before = await db.alert.findUnique({ where: { id: input.alertId } });
  if (!before) throw new AppError("not_found", "No such alert");
  if (before.state === "resolved") throw new AppError("conflict", "This alert has resolved; there is nothing to acknowledge.");
  const at = new Date();
  const after = await db.$transaction(async (tx) => {
    const a = await tx.alert.update({
      where: { id: input.alertId },
      data: { acknowledgedAt: at, acknowledgedById: actor.id, acknowledgedByEmail: actor.email, ackNote: input.note },
    });
    await tx.alertEvent.create({
      data: { alertId: a.id, ruleId: a.ruleId, type: "acknowledged", at, value: a.value, summary: a.summary, actorId: actor.id, actorEmail: actor.email, note: input.note },
    });
    return a;
  });
  await audit(actor, "alerts.acknowledge", `alert:${input.alertId}`, {
    before: { acknowledgedAt: iso(before.acknowledgedAt), acknowledgedByEmail: before.acknowledgedByEmail, ackNote: before.ackNote },
    after: { acknowledgedAt: iso(after.acknowledgedAt), acknowledgedByEmail: after.acknowledgedByEmail, ackNote: after.ackNote },
  });
  publish("alerts", "alert", { id: after.id, state: after.state, acknowledgedByEmail: actor.email, at: at.getTime() });
  return after;
}

// ---------------------------------------------------------------- silences

export async function listSilences() {
  return getDb().silence.findMany({ where: { endsAt: { gt: new Date(Date.now() - 7 * 86_400_000) } }, orderBy: { endsAt: "desc" }, take: 200 });
}

export async function createSilence(raw: unknown, actor: AlertActor) {
  assertCan(actor, "alerts.acknowledge");
  const input = silenceInputSchema.parse(raw);
  const s = await getDb().silence.create({
    data: { matchers: input.matchers, startsAt: input.startsAt, endsAt: input.endsAt, comment: input.comment, createdById: actor.id, createdByEmail: actor.email },
  });
  await audit(actor, "alerts.silence.create", `silence:${s.id}`, {
    before: null,
    after: { matchers: input.matchers, startsAt: iso(s.startsAt), endsAt: iso(s.endsAt), comment: s.comment },
  });
  return s;
}

export async function expireSilence(id: string, actor: AlertActor) {
  assertCan(actor, "alerts.acknowledge");
  const before = await getDb().silence.findUnique({ where: { id } });
  if (!before) throw new AppError("not_found", "No such silence");
  const now = new Date();
  const s = await getDb().silence.update({ where: { id }, data: { endsAt: before.endsAt > now ? now : before.endsAt } });
  await audit(actor, "alerts.silence.expire", `silence:${id}`, { before: { endsAt: iso(before.endsAt) }, after: { endsAt: iso(s.endsAt) } });
}

// ---------------------------------------------------------------- channels

export const channelInputSchema = z.object({
  name: z.string().trim().min(1).max(100),
  kind: z.enum(CHANNEL_KINDS),
  enabled: z.boolean().default(true),
  ratePerMinute: z.number().int().min(1).max(600).default(30),
  url: z.string().max(2000).optional(),
  format: z.enum(["json", "slack", "teams"]).optional(),
  /** A new secret in clear (stored encrypted), or an AMI_ALERT_* variable name. */
  secret: z.string().max(500).optional(),
  secretEnv: z.string().max(80).optional(),
  host: z.string().max(255).optional(),
  port: z.number().int().optional(),
  tls: z.enum(["none", "starttls", "tls"]).optional(),
  user: z.string().max(255).optional(),
  from: z.string().max(255).optional(),
  to: z.array(z.string().max(255)).optional(),
});

/** A channel as the browser may see it: secrets replaced by whether one is set. */
export interface ChannelView {
  id: string;
  name: string;
  kind: string;
  enabled: boolean;
  ratePerMinute: number;
  target: string;
  secret: "none" | "stored" | `env ${string}`;
  lastSentAt: string | null;
  lastError: string | null;
}

export async function listChannels(actor: AlertActor): Promise<ChannelView[]> {
  assertCan(actor, "alerts.view");
  const db = getDb();
  const channels = await db.notificationChannel.findMany({ orderBy: { createdAt: "asc" } });
  const last = await Promise.all(
    channels.map((c) =>
      db.notification.findFirst({ where: { channelId: c.id, state: { in: ["sent", "failed", "pending"] }, attempts: { gt: 0 } }, orderBy: { createdAt: "desc" } }),
    ),
  );
  return channels.map((c, i) => {
    const cfg = c.config as Record<string, unknown>;
    const envName = (cfg.secretEnv ?? cfg.passwordEnv) as string | null | undefined;
    const enc = (cfg.secretEnc ?? cfg.passwordEnc) as string | null | undefined;
    const target =
      c.kind === "webhook"
        ? `${String(cfg.format ?? "json")} → ${safeUrl(String(cfg.url ?? ""))}`
        : c.kind === "email"
          ? `${((cfg.to as string[]) ?? []).join(", ")} via ${String(cfg.host)}:${String(cfg.port)}`
          : "the bell in the console";
    return {
      id: c.id,
      name: c.name,
      kind: c.kind,
      enabled: c.enabled,
      ratePerMinute: c.ratePerMinute,
      target,
      secret: envName ? (`env ${envName}` as const) : enc ? "stored" : "none",
      lastSentAt: iso(last[i]?.sentAt ?? null),
      lastError: last[i]?.lastError ?? null,
    };
  });
}

/** A webhook URL without credentials or query (tokens often ride there). */
function safeUrl(u: string): string {
  try {
    const url = new URL(u);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return "";
  }
}

export async function createChannel(raw: unknown, actor: AlertActor) {
  assertCan(actor, "alerts.channels");
  const input = channelInputSchema.parse(raw);
  const secretEnc = input.secret ? encryptSecret(input.secret) : null;
  const secretEnv = input.secretEnv || null;
  const config =
    input.kind === "webhook"
      ? { url: input.url, format: input.format ?? "json", secretEnv, secretEnc: secretEnv ? null : secretEnc }
      : input.kind === "email"
        ? {
            host: input.host,
            port: input.port ?? 587,
            tls: input.tls ?? "starttls",
            user: input.user || null,
            passwordEnv: secretEnv,
            passwordEnc: secretEnv ? null : secretEnc,
            from: input.from,
            to: input.to ?? [],
          }
        : {};
  const parsed = channelConfigSchema.safeParse({ kind: input.kind, config });
  if (!parsed.success) throw new AppError("invalid", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  const c = await getDb().notificationChannel.create({
    data: { name: input.name, kind: input.kind, config: parsed.data.config, enabled: input.enabled, ratePerMinute: input.ratePerMinute },
  });
  await audit(actor, "alerts.channel.create", `channel:${c.id}`, {
    before: null,
    after: { name: c.name, kind: c.kind, enabled: c.enabled, ratePerMinute: c.ratePerMinute, secret: secretEnv ? `env ${secretEnv}` : secretEnc ? "stored" : "none" },
  });
  return c;
}

export async function deleteChannel(id: string, actor: AlertActor) {
  assertCan(actor, "alerts.channels");
  const before = await getDb().notificationChannel.findUnique({ where: { id } });
  if (!before) throw new AppError("not_found", "No such channel");
  await getDb().notificationChannel.delete({ where: { id } });
  await audit(actor, "alerts.channel.delete", `channel:${id}`, { before: { name: before.name, kind: before.kind }, after: null });
}

/** "Send test": one message now, outside the outbox, recorded in the channel's send log. */
export async function sendTestNotification(id: string, actor: AlertActor): Promise<{ ok: boolean; error: string | null }> {
  assertCan(actor, "alerts.channels");
  const db = getDb();
  const c = await db.notificationChannel.findUnique({ where: { id } });
  if (!c) throw new AppError("not_found", "No such channel");
  const parsed = channelConfigSchema.safeParse({ kind: c.kind, config: c.config });
  if (!parsed.success) throw new AppError("invalid", "The channel's configuration is invalid");
  const now = Date.now();
  const message = buildMessage("test", [], now);
  const r = await sendToChannel(parsed.data, message, now);
  await db.notification.create({
    data: {
      channelId: c.id,
      kind: "test",
      alertIds: [],
      payload: message as unknown as object,
      state: r.ok ? "sent" : "failed",
      attempts: 1,
      sentAt: r.ok ? new Date(now) : null,
      lastError: r.error ?? null,
      log: [{ at: new Date(now).toISOString(), ok: r.ok, ...(r.status ? { status: r.status } : {}), ...(r.error ? { error: r.error } : {}) }],
    },
  });
  await audit(actor, "alerts.channel.test", `channel:${id}`, { ok: r.ok, error: r.error ?? null });
  return { ok: r.ok, error: r.error ?? null };
}

/** Gateways and meters with a firing alert (the map's marks, the meter page). */
export async function findFiringAlertsFor(input: { gateway?: string; meter?: string }): Promise<AlertRow[]> {
  const rows = await listAlerts("firing");
  return rows.filter((a) => (input.gateway && a.labels.gateway === input.gateway) || (input.meter && (a.labels.meter === input.meter || a.meters.includes(input.meter))));
}

/** Channels a rule may notify (names only, for the rule editor). */
export async function listChannelOptions(opts: { enabledOnly?: boolean } = {}) {
  return getDb().notificationChannel.findMany({ where: opts.enabledOnly ? { enabled: true } : {}, select: { id: true, name: true, kind: true }, orderBy: { name: "asc" } });
}
