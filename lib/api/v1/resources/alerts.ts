// /api/v1/alerts: alerts, their history, rules and silences (issue #25) through
// lib/alerts/service, the functions the Alerts page and its server actions call
// (writes re-check the actor's role and go to the operator trail with before/after).
// Notification channels stay in the console (see the twin test's exclusions).
import { z } from "zod";
import {
  acknowledgeAlert,
  ALERT_VIEWS,
  countAlerts,
  createRule,
  createSilence,
  deleteRule,
  expireSilence,
  getAlert,
  getRule,
  listAlertHistory,
  listAlerts,
  listRules,
  listSilences,
  previewRule,
  updateRule,
} from "@/lib/alerts/service";
import { ruleInputSchema, SEVERITIES } from "@/lib/alerts/rules";
import { silenceMatcherSchema } from "@/lib/alerts/silences";
import { AppError } from "@/lib/errors";
import { defineEndpoint } from "../endpoint";
import { cursorQuery, decodeCursor, nextLink, pageOf } from "../paging";
import { isoDate, named, nullableIso } from "../schemas";

const TAG = "Alerts";
const id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/);
const alertParams = z.object({ id: id.meta({ description: "Alert id." }) });
const ruleParams = z.object({ id: id.meta({ description: "Alert rule id." }) });
const silenceParams = z.object({ id: id.meta({ description: "Silence id." }) });

const alertSchema = named(
  "Alert",
  z.object({
    id: z.string(),
    ruleId: z.string(),
    ruleName: z.string(),
    runbookUrl: z.string().nullable(),
    severity: z.enum(SEVERITIES),
    state: z.enum(["pending", "firing", "resolved"]),
    labels: z.record(z.string(), z.string()),
    summary: z.string(),
    value: z.number(),
    firedAt: nullableIso,
    pendingSince: nullableIso,
    resolvedAt: nullableIso,
    updatedAt: isoDate,
    isFlapping: z.boolean(),
    acknowledgedAt: nullableIso,
    acknowledgedByEmail: z.string().nullable(),
    ackNote: z.string().nullable(),
    suppressedBy: z.string().nullable().meta({ description: "Why nobody was told: silence:<id> or campaign:<id>." }),
    suppressedReason: z.string().nullable(),
    campaignId: z.string().nullable(),
    meters: z.array(z.string()),
  }),
);

const historyEventSchema = named(
  "AlertHistoryEvent",
  z.object({
    id: z.string(),
    at: isoDate,
    type: z.string().meta({ description: "pending, firing, resolved, cleared, flapping, acknowledged, suppressed or released." }),
    alertId: z.string(),
    ruleName: z.string(),
    severity: z.enum(SEVERITIES),
    labels: z.record(z.string(), z.string()),
    summary: z.string().nullable(),
    value: z.number().nullable(),
    actorEmail: z.string().nullable(),
    note: z.string().nullable(),
  }),
);

const ruleSchema = named(
  "AlertRule",
  z.object({
    id: z.string(),
    name: z.string(),
    kind: z.string(),
    params: z.record(z.string(), z.unknown()),
    severity: z.enum(SEVERITIES),
    intervalSeconds: z.number().int(),
    forSeconds: z.number().int(),
    recoverSeconds: z.number().int(),
    runbookUrl: z.string().nullable(),
    enabled: z.boolean(),
    channelIds: z.array(z.string()),
    lastEvalAt: nullableIso,
    lastError: z.string().nullable(),
    createdByEmail: z.string().nullable(),
    createdAt: isoDate,
    updatedAt: isoDate,
  }),
);
type RuleRow = Awaited<ReturnType<typeof getRule>>;

function toRule(r: RuleRow): z.infer<typeof ruleSchema> {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    params: r.params as Record<string, unknown>,
    severity: r.severity,
    intervalSeconds: r.intervalSeconds,
    forSeconds: r.forSeconds,
    recoverSeconds: r.recoverSeconds,
    runbookUrl: r.runbookUrl,
    enabled: r.enabled,
    channelIds: Array.isArray(r.channelIds) ? (r.channelIds as string[]) : [],
    lastEvalAt: r.lastEvalAt?.toISOString() ?? null,
    lastError: r.lastError,
    createdByEmail: r.createdByEmail,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

const ruleRequest = named("AlertRuleRequest", ruleInputSchema);

const silenceSchema = named(
  "Silence",
  z.object({
    id: z.string(),
    matchers: z.array(z.object({ label: z.string(), value: z.string() })),
    startsAt: isoDate,
    endsAt: isoDate,
    comment: z.string(),
    createdByEmail: z.string().nullable(),
    createdAt: isoDate,
  }),
);
type SilenceRow = Awaited<ReturnType<typeof listSilences>>[number];

function toSilence(s: SilenceRow): z.infer<typeof silenceSchema> {
  return {
    id: s.id,
    matchers: s.matchers as { label: string; value: string }[],
    startsAt: s.startsAt.toISOString(),
    endsAt: s.endsAt.toISOString(),
    comment: s.comment,
    createdByEmail: s.createdByEmail,
    createdAt: s.createdAt.toISOString(),
  };
}

// The lib schema coerces dates (a form sends strings); the API documents them as ISO times. The lib re-validates.
const silenceRequest = named(
  "SilenceRequest",
  z.object({
    matchers: z
      .array(silenceMatcherSchema)
      .min(1)
      .max(10)
      .meta({ description: 'Every matcher must equal one of the alert\'s labels; "rule" matches the rule id, "severity" its severity.' }),
    startsAt: isoDate,
    endsAt: isoDate,
    comment: z.string().trim().min(1).max(500),
  }),
);

async function alertOr404(alertId: string) {
  const a = await getAlert(alertId);
  if (!a) throw new AppError("not_found", `No alert ${alertId}.`);
  return a;
}

async function silenceOr404(silenceId: string) {
  // listSilences keeps a week of ended ones, as the page shows them; an older one is not found.
  const s = (await listSilences()).find((x) => x.id === silenceId);
  if (!s) throw new AppError("not_found", `No silence ${silenceId} (ended within the last 7 days or later).`);
  return s;
}

export const alertEndpoints = [
  defineEndpoint({
    operationId: "listAlerts",
    method: "GET",
    path: "/alerts",
    tag: TAG,
    summary: "Alerts in one view: firing, pending or silenced (held by a silence or a campaign), most severe first",
    description: "The history of alert events is `/alerts/history`.",
    permission: "alerts.view",
    query: z.object({
      view: z.enum(ALERT_VIEWS.filter((v) => v !== "history") as ["firing", "pending", "silenced"]).default("firing"),
      limit: z.coerce.number().int().min(1).max(500).default(500),
    }),
    response: named("AlertList", z.object({ items: z.array(alertSchema), counts: z.object({ firing: z.number().int(), pending: z.number().int(), silenced: z.number().int() }) })),
    handler: async ({ query }) => {
      const [items, counts] = await Promise.all([listAlerts(query.view, query.limit), countAlerts()]);
      return { items, counts };
    },
  }),
  defineEndpoint({
    operationId: "listAlertHistory",
    method: "GET",
    path: "/alerts/history",
    tag: TAG,
    summary: "Alert events (pending, firing, resolved, acknowledged, suppressed…), newest first",
    permission: "alerts.view",
    query: z.object({
      from: isoDate.optional(),
      to: isoDate.optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(200),
      cursor: cursorQuery,
    }),
    response: named("AlertHistoryPage", pageOf(historyEventSchema)),
    isPaged: true,
    handler: async ({ query, url }) => {
      const before = decodeCursor(query.cursor, z.object({ at: z.iso.datetime(), id: z.string().max(64) }));
      const rows = await listAlertHistory({
        from: query.from ? new Date(query.from) : undefined,
        to: query.to ? new Date(query.to) : undefined,
        limit: query.limit + 1,
        before: before ? { at: new Date(before.at), id: before.id } : undefined,
      });
      const items = rows.slice(0, query.limit);
      const last = items.at(-1);
      return { items, next: rows.length > query.limit && last ? nextLink(url, { at: last.at, id: last.id }) : null };
    },
  }),
  defineEndpoint({
    operationId: "getAlert",
    method: "GET",
    path: "/alerts/{id}",
    tag: TAG,
    summary: "One alert, in any state",
    permission: "alerts.view",
    params: alertParams,
    response: alertSchema,
    handler: async ({ params }) => alertOr404(params.id),
  }),
  defineEndpoint({
    operationId: "acknowledgeAlert",
    method: "POST",
    path: "/alerts/{id}/acknowledge",
    tag: TAG,
    summary: "Acknowledge an alert with a note saying what is being done about it",
    permission: "alerts.acknowledge",
    params: alertParams,
    body: named("AlertAcknowledgeRequest", z.object({ note: z.string().trim().min(1, "Say what you are doing about it").max(1000) })),
    response: alertSchema,
    twins: ["acknowledgeAlertAction"],
    handler: async ({ params, body, actor }) => {
      await acknowledgeAlert({ alertId: params.id, note: body.note }, actor);
      return alertOr404(params.id);
    },
  }),
  defineEndpoint({
    operationId: "listAlertRules",
    method: "GET",
    path: "/alerts/rules",
    tag: TAG,
    summary: "Alert rules, newest first",
    permission: "alerts.view",
    response: named("AlertRuleList", z.object({ items: z.array(ruleSchema) })),
    handler: async () => ({ items: (await listRules()).map(toRule) }),
  }),
  defineEndpoint({
    operationId: "getAlertRule",
    method: "GET",
    path: "/alerts/rules/{id}",
    tag: TAG,
    summary: "One alert rule",
    permission: "alerts.view",
    params: ruleParams,
    response: ruleSchema,
    handler: async ({ params }) => toRule(await getRule(params.id)),
  }),
  defineEndpoint({
    operationId: "createAlertRule",
    method: "POST",
    path: "/alerts/rules",
    tag: TAG,
    summary: "Create an alert rule (audited with its definition)",
    permission: "alerts.manage",
    body: ruleRequest,
    response: ruleSchema,
    successStatus: 201,
    twins: ["createRuleAction"],
    handler: async ({ body, actor }) => toRule(await createRule(body, actor)),
  }),
  defineEndpoint({
    operationId: "previewAlertRule",
    method: "POST",
    path: "/alerts/rules/preview",
    tag: TAG,
    summary: "How often a rule would have fired over the last 7 days; nothing is saved",
    permission: "alerts.view",
    isRead: true,
    body: ruleRequest,
    response: named(
      "AlertRulePreview",
      z.object({
        firings: z.array(z.object({ groupKey: z.string(), firedAt: z.number(), resolvedAt: z.number().nullable(), value: z.number() })),
        ticks: z.number().int(),
        stepMs: z.number().int(),
        from: z.number().meta({ description: "Epoch ms." }),
        to: z.number().meta({ description: "Epoch ms." }),
        isCurrentOnly: z.boolean().meta({ description: "Rules over a state (certificates, silent meters, campaigns) have no past: only now is read." }),
      }),
    ),
    twins: ["previewRuleAction"],
    handler: async ({ body, actor }) => previewRule(body, actor),
  }),
  defineEndpoint({
    operationId: "updateAlertRule",
    method: "POST",
    path: "/alerts/rules/{id}",
    tag: TAG,
    summary: "Replace an alert rule's definition (audited with before and after)",
    permission: "alerts.manage",
    params: ruleParams,
    body: ruleRequest,
    response: ruleSchema,
    twins: ["updateRuleAction"],
    handler: async ({ params, body, actor }) => toRule(await updateRule(params.id, body, actor)),
  }),
  defineEndpoint({
    operationId: "deleteAlertRule",
    method: "POST",
    path: "/alerts/rules/{id}/delete",
    tag: TAG,
    summary: "Delete an alert rule and its alerts (audited with the rule as it was)",
    permission: "alerts.manage",
    params: ruleParams,
    response: z.object({ id: z.string(), deleted: z.literal(true) }),
    twins: ["deleteRuleAction"],
    handler: async ({ params, actor }) => {
      await deleteRule(params.id, actor);
      return { id: params.id, deleted: true as const };
    },
  }),
  defineEndpoint({
    operationId: "listSilences",
    method: "GET",
    path: "/alerts/silences",
    tag: TAG,
    summary: "Silences active, future, or ended within the last 7 days",
    permission: "alerts.view",
    response: named("SilenceList", z.object({ items: z.array(silenceSchema) })),
    handler: async () => ({ items: (await listSilences()).map(toSilence) }),
  }),
  defineEndpoint({
    operationId: "createSilence",
    method: "POST",
    path: "/alerts/silences",
    tag: TAG,
    summary: "Silence alerts matching labels for a time range (audited)",
    permission: "alerts.acknowledge",
    body: silenceRequest,
    response: silenceSchema,
    successStatus: 201,
    twins: ["createSilenceAction"],
    handler: async ({ body, actor }) => toSilence(await createSilence(body, actor)),
  }),
  defineEndpoint({
    operationId: "expireSilence",
    method: "POST",
    path: "/alerts/silences/{id}/expire",
    tag: TAG,
    summary: "End a silence now (audited with before and after)",
    permission: "alerts.acknowledge",
    params: silenceParams,
    response: silenceSchema,
    twins: ["expireSilenceAction"],
    handler: async ({ params, actor }) => {
      await expireSilence(params.id, actor);
      return toSilence(await silenceOr404(params.id));
    },
  }),
];
