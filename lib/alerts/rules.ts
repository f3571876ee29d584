// Alert rules as data: what a rule watches (its kind and parameters), how alerts are
// grouped, how often it is evaluated, how long a condition must hold before firing
// (`for`) and how long it must be gone before the alert resolves. Pure: zod schemas only.
import { z } from "zod";

export const SEVERITIES = ["info", "warning", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

export const RULE_KINDS = ["fault_signature", "log_query", "anomaly", "last_gasp", "cert_expiry", "stale_meters", "campaign_event"] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

export const RULE_KIND_LABELS: Record<RuleKind, string> = {
  fault_signature: "Fault signature",
  log_query: "Log query",
  anomaly: "Cohort anomaly",
  last_gasp: "LAST_GASP storm",
  cert_expiry: "Certificates expiring",
  stale_meters: "Silent meters",
  campaign_event: "Campaign event",
};

/** Cohorts a fault-signature rule counts per (lib/clickhouse/queries/faults ROOT_CAUSE_DIMENSION_SQL). */
export const FAULT_GROUP_BY = ["gateway", "climate_zone", "meter_model", "fw_pair", "fleet"] as const;
/** Columns a log-query rule may group by (an allow-list: they reach SQL as identifiers). */
export const LOG_GROUP_BY = ["gw", "meter", "code", "fleet"] as const;
export const GATEWAY_GROUP_BY = ["gateway", "fleet"] as const;
export const COMPARE_OPS = ["gt", "gte", "lt", "lte"] as const;
export type CompareOp = (typeof COMPARE_OPS)[number];
export const CAMPAIGN_EVENTS = ["paused", "aborted", "approval_waiting"] as const;

const minutes = z
  .number()
  .int()
  .min(1)
  .max(60 * 24 * 30);

export const faultSignatureParamsSchema = z.object({
  signatureId: z.string().min(1).max(100),
  groupBy: z.enum(FAULT_GROUP_BY).default("gateway"),
  /** meters: distinct affected meters in the group; rate: affected share of the group's meters, 0..1. */
  measure: z.enum(["meters", "rate"]).default("meters"),
  op: z.enum(COMPARE_OPS).default("gt"),
  threshold: z.number().min(0),
  windowMinutes: minutes.default(15),
  /** Optional: the group's lift (its affected rate over the fleet's) must also reach this. */
  minLift: z.number().min(0).nullable().default(null),
});

export const logQueryParamsSchema = z.object({
  query: z.string().min(1).max(4000),
  groupBy: z.enum(LOG_GROUP_BY).default("fleet"),
  op: z.enum(COMPARE_OPS).default("gt"),
  threshold: z.number().min(0),
  windowMinutes: minutes.default(15),
});

export const anomalyParamsSchema = z.object({
  /** Measures to watch (lib/faults/anomaly ANOMALY_MEASURES); empty: all. */
  measures: z.array(z.enum(["rssi", "snr", "temp_c", "battery_v", "accuracy_err_pct", "fault_rate"])).default([]),
  dimension: z.enum(["gateway", "climate_zone", "meter_model", "any"]).default("any"),
  minSigma: z.number().min(1).max(50).default(3),
  minMeters: z.number().int().min(1).default(5),
  windowMinutes: minutes.default(60 * 24),
});

export const lastGaspParamsSchema = z.object({
  groupBy: z.enum(GATEWAY_GROUP_BY).default("gateway"),
  /** LAST_GASP lines per minute over the window, as the dispatcher's gate computes it. */
  perMinute: z.number().min(0),
  windowMinutes: minutes.default(5),
});

export const certExpiryParamsSchema = z.object({
  groupBy: z.enum(GATEWAY_GROUP_BY).default("gateway"),
  withinDays: z.number().int().min(0).max(3650).default(7),
  minMeters: z.number().int().min(1).default(1),
});

export const staleMetersParamsSchema = z.object({
  groupBy: z.enum(GATEWAY_GROUP_BY).default("gateway"),
  /** null: the server's STALE_AFTER. */
  silentMinutes: minutes.nullable().default(null),
  minMeters: z.number().int().min(1).default(1),
});

export const campaignEventParamsSchema = z.object({
  events: z.array(z.enum(CAMPAIGN_EVENTS)).min(1).default(["paused", "aborted"]),
  /** approval_waiting: a campaign awaiting approval longer than this. */
  approvalWaitMinutes: minutes.default(60),
});

export const ruleDefinitionSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("fault_signature"), params: faultSignatureParamsSchema }),
  z.object({ kind: z.literal("log_query"), params: logQueryParamsSchema }),
  z.object({ kind: z.literal("anomaly"), params: anomalyParamsSchema }),
  z.object({ kind: z.literal("last_gasp"), params: lastGaspParamsSchema }),
  z.object({ kind: z.literal("cert_expiry"), params: certExpiryParamsSchema }),
  z.object({ kind: z.literal("stale_meters"), params: staleMetersParamsSchema }),
  z.object({ kind: z.literal("campaign_event"), params: campaignEventParamsSchema }),
]);
export type RuleDefinition = z.infer<typeof ruleDefinitionSchema>;

const runbookSchema = z
  .string()
  .max(500)
  .refine((s) => s.startsWith("/") || /^https?:\/\//.test(s), { message: "a path on this console (/faults/runbooks/…) or an http(s) URL" });

export const ruleTimingSchema = z.object({
  intervalSeconds: z.number().int().min(10).max(86_400).default(60),
  /** The condition must hold this long (pending) before the alert fires. */
  forSeconds: z.number().int().min(0).max(86_400).default(0),
  /** A firing alert resolves once its condition has been false this long. */
  recoverSeconds: z.number().int().min(0).max(86_400).default(0),
});
export type RuleTiming = z.infer<typeof ruleTimingSchema>;

export const ruleInputSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    severity: z.enum(SEVERITIES).default("warning"),
    runbookUrl: runbookSchema.nullable().default(null),
    enabled: z.boolean().default(true),
    channelIds: z.array(z.string().min(1).max(64)).max(20).default([]),
    definition: ruleDefinitionSchema,
  })
  .and(ruleTimingSchema);
export type RuleInput = z.infer<typeof ruleInputSchema>;

export function compare(value: number, op: CompareOp, threshold: number): boolean {
  switch (op) {
    case "gt":
      return value > threshold;
    case "gte":
      return value >= threshold;
    case "lt":
      return value < threshold;
    case "lte":
      return value <= threshold;
  }
}

export const OP_TEXT: Record<CompareOp, string> = { gt: ">", gte: "≥", lt: "<", lte: "≤" };

/** The span of data a rule reads at each evaluation, in ms (0: a state, not a window). */
export function ruleWindowMs(def: RuleDefinition): number {
  return "windowMinutes" in def.params ? def.params.windowMinutes * 60_000 : 0;
}

/** What the rule editor starts from for each kind (shared by the server page and the client form). */
export const DEFAULT_RULE_PARAMS: Record<RuleKind, Record<string, unknown>> = {
  fault_signature: { signatureId: "E105", groupBy: "gateway", measure: "meters", op: "gt", threshold: 20, windowMinutes: 15, minLift: 3 },
  log_query: { query: "sev:critical", groupBy: "gw", op: "gt", threshold: 10, windowMinutes: 15 },
  anomaly: { measures: [], dimension: "any", minSigma: 4, minMeters: 10, windowMinutes: 1440 },
  last_gasp: { groupBy: "gateway", perMinute: 5, windowMinutes: 5 },
  cert_expiry: { groupBy: "gateway", withinDays: 7, minMeters: 1 },
  stale_meters: { groupBy: "gateway", silentMinutes: null, minMeters: 5 },
  campaign_event: { events: ["paused", "aborted"], approvalWaitMinutes: 60 },
};
