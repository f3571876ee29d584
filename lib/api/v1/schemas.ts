// Shared answer shapes of /api/v1 (zod; the OpenAPI components are generated
// from the ids in .meta). Request shapes are the lib/ schemas themselves.
import { z } from "zod";
import { CAMPAIGN_STATUSES } from "@/lib/campaigns/lifecycle";
import { problemType } from "@/lib/http/errors";

/**
 * Schemas that become named OpenAPI components (#/components/schemas/<id>). A plain map, not
 * .meta({ id }): zod's global registry refuses an id twice, which a dev-server reload does.
 */
export const NAMED_SCHEMAS = new Map<string, z.ZodType>();
export function named<T extends z.ZodType>(id: string, schema: T): T {
  NAMED_SCHEMAS.set(id, schema);
  return schema;
}

const iso = z.iso.datetime({ offset: true });
export const isoDate = iso.meta({ description: "ISO 8601 time (UTC)." });
export const nullableIso = iso.nullable();

export const PROBLEM_CODES = [
  "invalid",
  "query_syntax",
  "unauthenticated",
  "token_expired",
  "token_revoked",
  "forbidden",
  "read_only_token",
  "not_found",
  "no_such_endpoint",
  "method_not_allowed",
  "conflict",
  "idempotency_key_reused",
  "idempotency_in_progress",
  "idempotency_retry",
  "rate_limited",
  "too_large",
  "query_limit",
  "unavailable",
  "internal",
] as const;

export const problemSchema = named(
  "Problem",
  z
    .object({
      type: z.string().meta({ description: `Stable problem type: ${problemType("<code>")}.`, example: problemType("forbidden") }),
      title: z.string(),
      status: z.number().int(),
      detail: z.string(),
      instance: z.string(),
      code: z.string().meta({ description: `One of: ${PROBLEM_CODES.join(", ")}.` }),
      requestId: z.string(),
    })
    .meta({ description: "RFC 9457 problem details." }),
);

export const campaignSchema = named(
  "Campaign",
  z.object({
    id: z.string(),
    name: z.string(),
    jobType: z.string(),
    status: z.enum(CAMPAIGN_STATUSES),
    statusReason: z.string().nullable(),
    targetQuery: z.record(z.string(), z.unknown()),
    options: z.record(z.string(), z.unknown()),
    planSummary: z.record(z.string(), z.unknown()).nullable(),
    targetCount: z.number().int(),
    createdByEmail: z.string(),
    submittedByEmail: z.string().nullable(),
    approvedAt: nullableIso,
    createdAt: isoDate,
    updatedAt: isoDate,
    startedAt: nullableIso,
    finishedAt: nullableIso,
    links: z.object({ self: z.string(), console: z.string() }),
  }),
);
export type CampaignOut = z.infer<typeof campaignSchema>;

export function toCampaign(c: {
  id: string;
  name: string;
  jobType: string;
  status: string;
  statusReason: string | null;
  targetQuery: unknown;
  options: unknown;
  planSummary: unknown;
  targetCount: number;
  createdByEmail: string;
  submittedByEmail: string | null;
  approvedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}): CampaignOut {
  return {
    id: c.id,
    name: c.name,
    jobType: c.jobType,
    status: c.status as CampaignOut["status"],
    statusReason: c.statusReason,
    targetQuery: (c.targetQuery ?? {}) as Record<string, unknown>,
    options: (c.options ?? {}) as Record<string, unknown>,
    planSummary: (c.planSummary ?? null) as Record<string, unknown> | null,
    targetCount: c.targetCount,
    createdByEmail: c.createdByEmail,
    submittedByEmail: c.submittedByEmail,
    approvedAt: c.approvedAt?.toISOString() ?? null,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
    startedAt: c.startedAt?.toISOString() ?? null,
    finishedAt: c.finishedAt?.toISOString() ?? null,
    links: { self: `/api/v1/campaigns/${c.id}`, console: `/campaigns/${c.id}` },
  };
}

/** Objects whose inner shape belongs to the console's analytic views: top-level fields typed, the rest open. */
export const looseObject = (id: string, shape: z.ZodRawShape, description?: string) => named(id, z.looseObject(shape).meta({ description }));
