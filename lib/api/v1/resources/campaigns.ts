// /api/v1/campaigns: the same lib/campaigns/service functions the campaign
// server actions and pages call (each re-checks the actor's role and writes the
// operator trail), so the console and the API cannot drift.
import { createHash, randomUUID } from "node:crypto";
import { z } from "zod";
import { getCampaignProgress } from "@/lib/campaigns/progress";
import { campaignIdSchema, campaignOptionsSchema, createCampaignSchema, jobTypeSchema, targetQuerySchema } from "@/lib/campaigns/schemas";
import {
  abortCampaign,
  approveCampaign,
  createCampaign,
  getCampaign,
  getCampaignOutcomes,
  listCampaigns,
  pauseCampaign,
  previewCampaign,
  resumeCampaign,
  retryFailed,
  skipWave,
  startCampaign,
  summarizePlan,
} from "@/lib/campaigns/service";
import { describeTargetQuery } from "@/lib/campaigns/target-text";
import { AppError } from "@/lib/errors";
import { defineEndpoint, type EndpointContext } from "../endpoint";
import { cursorQuery, decodeCursor, nextLink, pageOf } from "../paging";
import { campaignSchema, isoDate, looseObject, named, toCampaign } from "../schemas";

const idParams = z.object({ id: campaignIdSchema.shape.campaignId.meta({ description: "Campaign id." }) });
const reasonBody = z.object({ reason: z.string().trim().max(500).optional() }).strict();

const campaignListItemSchema = named(
  "CampaignListItem",
  z.object({
    id: z.string(),
    name: z.string(),
    jobType: z.string(),
    status: z.string(),
    createdByEmail: z.string(),
    createdAt: isoDate,
    targetCount: z.number().int(),
    succeeded: z.number().int(),
    failed: z.number().int(),
    progressPct: z.number(),
  }),
);

const previewBodySchema = named("CampaignPreviewRequest", z.object({ jobType: jobTypeSchema, targetQuery: targetQuerySchema, options: campaignOptionsSchema.optional() }));
const planViewSchema = looseObject(
  "CampaignPlan",
  {
    targetCount: z.number().int(),
    targetDescription: z.string(),
    requiresApproval: z.boolean(),
    settings: z.record(z.string(), z.unknown()),
    summary: z.record(z.string(), z.unknown()),
    notes: z.array(z.string()),
    waves: z.array(z.record(z.string(), z.unknown())),
    exclusionReasons: z.array(z.object({ code: z.string(), message: z.string(), meters: z.number().int() })),
    exclusions: z.array(z.object({ meterId: z.string(), stage: z.string(), reasons: z.string() })),
  },
  "The plan an operator reviews before starting (first 200 waves, first 500 exclusions).",
);

const createBodySchema = named(
  "CampaignCreateRequest",
  createCampaignSchema.extend({
    creationKey: createCampaignSchema.shape.creationKey.optional().meta({ description: "Defaults to one derived from the Idempotency-Key (or a new one)." }),
  }),
);

const progressSchema = looseObject("CampaignProgress", {
  id: z.string(),
  status: z.string(),
  statusReason: z.string().nullable(),
  counts: z.record(z.string(), z.number()),
  scheduled: z.number().int(),
  waves: z.array(z.record(z.string(), z.unknown())),
  activeWave: z.number().int().nullable(),
  gateways: z.array(z.record(z.string(), z.unknown())),
  failuresByCode: z.array(z.object({ code: z.string(), meters: z.number().int() })),
  findings: z.array(z.object({ code: z.string(), meters: z.number().int(), label: z.string(), action: z.string(), runbook: z.string() })),
  followUps: z.object({ open: z.number().int(), total: z.number().int() }),
  updatedAt: z.string(),
});

const findingsSchema = named(
  "CampaignFindings",
  z.object({
    campaignId: z.string(),
    findings: progressSchema.shape.findings,
    followUps: progressSchema.shape.followUps,
  }),
);

const outcomesSchema = looseObject("CampaignOutcomes", {
  timeline: z.looseObject({ bucketSeconds: z.number(), from: z.number(), to: z.number(), points: z.array(z.record(z.string(), z.unknown())) }),
  failures: z.array(z.record(z.string(), z.unknown())),
});

const actionResultSchema = named("CampaignActionResult", z.object({ campaign: campaignSchema, result: z.record(z.string(), z.unknown()).nullable() }));

async function loadCampaignOr404(ctx: EndpointContext<{ id: string }, unknown, unknown>) {
  const c = await getCampaign(ctx.params.id, ctx.actor);
  if (!c) throw new AppError("not_found", `No campaign ${ctx.params.id}.`);
  return c;
}

/** A steering action: the lib function, then the campaign as it is now. */
function steer(
  name: string,
  operationId: string,
  summary: string,
  twin: string,
  run: (campaignId: string, ctx: EndpointContext<{ id: string }, unknown, { reason?: string } | undefined>) => Promise<unknown>,
  opts: { permission?: "campaigns.manage" | "campaigns.approve"; hasReason?: boolean; description?: string } = {},
) {
  return defineEndpoint({
    operationId,
    method: "POST",
    path: `/campaigns/{id}/${name}`,
    tag: "Campaigns",
    summary,
    description: opts.description,
    permission: opts.permission ?? "campaigns.manage",
    params: idParams,
    body: opts.hasReason ? reasonBody : undefined,
    response: actionResultSchema,
    twins: [twin],
    handler: async (ctx) => {
      const result = await run(ctx.params.id, ctx as EndpointContext<{ id: string }, unknown, { reason?: string } | undefined>);
      const c = await loadCampaignOr404(ctx);
      const isRow = typeof result === "object" && result !== null && "creationKey" in result;
      return { campaign: toCampaign(c), result: isRow ? null : ((result ?? null) as Record<string, unknown> | null) };
    },
  });
}

export const campaignEndpoints = [
  defineEndpoint({
    operationId: "listCampaigns",
    method: "GET",
    path: "/campaigns",
    tag: "Campaigns",
    summary: "List campaigns, newest first",
    permission: "campaigns.view",
    query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50), cursor: cursorQuery }),
    response: named("CampaignPage", pageOf(campaignListItemSchema)),
    isPaged: true,
    handler: async ({ query, actor, url }) => {
      const after = decodeCursor(query.cursor, z.object({ after: z.string().max(40) }));
      const rows = await listCampaigns(actor, query.limit + 1, after?.after);
      const items = rows.slice(0, query.limit);
      return { items, next: rows.length > query.limit ? nextLink(url, { after: items.at(-1)!.id }) : null };
    },
  }),
  defineEndpoint({
    operationId: "getCampaign",
    method: "GET",
    path: "/campaigns/{id}",
    tag: "Campaigns",
    summary: "One campaign",
    permission: "campaigns.view",
    params: idParams,
    response: campaignSchema,
    handler: async (ctx) => toCampaign(await loadCampaignOr404(ctx)),
  }),
  defineEndpoint({
    operationId: "previewCampaign",
    method: "POST",
    path: "/campaigns/preview",
    tag: "Campaigns",
    summary: "Plan a campaign without creating it: waves, windows, exclusions",
    permission: "campaigns.manage",
    isRead: true,
    body: previewBodySchema,
    response: planViewSchema,
    twins: ["previewCampaignAction"],
    handler: async ({ body, actor }) => {
      const { plan, unknownMeters, targetCount } = await previewCampaign({ jobType: body.jobType, targetQuery: body.targetQuery, options: body.options ?? {} }, actor);
      return { targetCount, targetDescription: describeTargetQuery(body.targetQuery), ...summarizePlan(plan, unknownMeters) };
    },
  }),
  defineEndpoint({
    operationId: "createCampaign",
    method: "POST",
    path: "/campaigns",
    tag: "Campaigns",
    summary: "Create a draft campaign",
    description: "A retry with the same Idempotency-Key (or creationKey) returns the first campaign.",
    permission: "campaigns.manage",
    body: createBodySchema,
    response: campaignSchema,
    successStatus: 201,
    twins: ["createCampaignAction"],
    handler: async ({ body, actor, principal, idempotencyKey }) => {
      const creationKey =
        body.creationKey ??
        (idempotencyKey ? createHash("sha256").update(`${principal.tokenId}|${idempotencyKey}`).digest("base64url").slice(0, 40) : randomUUID().replaceAll("-", ""));
      return toCampaign(await createCampaign({ ...body, creationKey }, actor));
    },
  }),
  steer("start", "startCampaign", "Start a draft: freeze targets and waves (or submit it for approval)", "startCampaignAction", (campaignId, { actor }) =>
    startCampaign({ campaignId }, actor),
  ),
  steer(
    "approve",
    "approveCampaign",
    "Approve a campaign awaiting approval (not by its creator or submitter)",
    "approveCampaignAction",
    (campaignId, { actor }) => approveCampaign({ campaignId }, actor),
    { permission: "campaigns.approve" },
  ),
  steer("pause", "pauseCampaign", "Pause a running campaign", "pauseCampaignAction", (campaignId, { actor, body }) => pauseCampaign({ campaignId, reason: body?.reason }, actor), {
    hasReason: true,
  }),
  steer("resume", "resumeCampaign", "Resume a paused campaign", "resumeCampaignAction", (campaignId, { actor }) => resumeCampaign({ campaignId }, actor)),
  steer("skip", "skipWave", "Skip the current wave", "skipWaveAction", (campaignId, { actor }) => skipWave({ campaignId }, actor)),
  steer("abort", "abortCampaign", "Abort a campaign", "abortCampaignAction", (campaignId, { actor, body }) => abortCampaign({ campaignId, reason: body?.reason }, actor), {
    hasReason: true,
  }),
  steer("retry-failed", "retryFailed", "Retry the failed meters in new waves, inside their windows", "retryFailedAction", (campaignId, { actor }) =>
    retryFailed({ campaignId }, actor),
  ),
  defineEndpoint({
    operationId: "getCampaignProgress",
    method: "GET",
    path: "/campaigns/{id}/progress",
    tag: "Campaigns",
    summary: "Progress: targets per state, waves, gateways, failures by code",
    permission: "campaigns.view",
    params: idParams,
    response: progressSchema,
    handler: async (ctx) => {
      await loadCampaignOr404(ctx);
      const p = await getCampaignProgress(ctx.params.id);
      if (!p) throw new AppError("not_found", `No campaign ${ctx.params.id}.`);
      return p;
    },
  }),
  defineEndpoint({
    operationId: "getCampaignOutcomes",
    method: "GET",
    path: "/campaigns/{id}/outcomes",
    tag: "Campaigns",
    summary: "Step outcomes over time and the latest failed steps",
    permission: "campaigns.view",
    params: idParams,
    response: outcomesSchema,
    handler: async ({ params, actor }) => {
      const o = await getCampaignOutcomes(params.id, actor);
      if (!o) throw new AppError("not_found", `No campaign ${params.id}.`);
      return o;
    },
  }),
  defineEndpoint({
    operationId: "getCampaignFindings",
    method: "GET",
    path: "/campaigns/{id}/findings",
    tag: "Campaigns",
    summary: "What diagnostic steps found (meters per code, with the fix) and their follow-up work orders",
    permission: "campaigns.view",
    params: idParams,
    response: findingsSchema,
    handler: async (ctx) => {
      await loadCampaignOr404(ctx);
      const p = await getCampaignProgress(ctx.params.id);
      if (!p) throw new AppError("not_found", `No campaign ${ctx.params.id}.`);
      return { campaignId: p.id, findings: p.findings, followUps: p.followUps };
    },
  }),
];
