// Input shapes of campaigns, shared by the service, the server actions and the
// /campaigns/new form (search params -> target query). No server imports here.
import { z } from "zod";
import { LED_STATES, STEPS } from "@/lib/audit/codes";
import { METER_ID_RE, METER_KINDS } from "@/lib/fleet/ids";

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "expected HH:MM");
const ymd = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "expected YYYY-MM-DD");
const semver = z.string().regex(/^\d+\.\d+\.\d+$/, "expected a version like 3.4.1");
const short = z.string().trim().max(64);

export const jobTypeSchema = z.enum(STEPS);

export const targetQuerySchema = z
  .object({
    kind: z.enum(METER_KINDS).optional(),
    gw: short.regex(/^[A-Za-z0-9_-]+$/).optional(),
    zone: short.optional(),
    model: short.optional(),
    fw: z
      .string()
      .regex(/^\d+\.\d+\.\d+\/\d+\.\d+\.\d+$/, "expected metrology/comms, e.g. 3.4.1/6.1.0")
      .optional(),
    led: z.enum(LED_STATES).optional(),
    fault: short.regex(/^[A-Za-z0-9_.:-]+$/).optional(),
    days: z.coerce.number().int().min(1).max(90).optional(),
    meters: z.array(z.string().regex(METER_ID_RE, "meter ids look like EM-0012345")).max(2_000_000).optional(),
  })
  .strict();
export type TargetQueryInput = z.infer<typeof targetQuerySchema>;

export const thresholdsSchema = z.object({
  /** Share of a wave that must be verified healthy after the soak. */
  successPct: z.number().min(0).max(100).default(90),
  /** Failed + new faults allowed per wave, as a share of the wave. */
  maxErrorPct: z.number().min(0).max(100).default(10),
  maxErrorCount: z.number().int().min(0).optional(),
  onBreach: z.enum(["pause", "abort"]).default("pause"),
  /** LAST_GASP per minute across the campaign's gateways that pauses everything. */
  lastGaspPerMin: z.number().min(1).default(30),
});

export const campaignOptionsSchema = z
  .object({
    waveSize: z.number().int().min(1).max(100).optional(),
    canarySize: z.number().int().min(0).max(100).optional(),
    /** undefined: the job type's window; null: any time of day. */
    offPeak: z.object({ start: hhmm, end: hhmm }).nullable().optional(),
    blackoutDates: z.array(ymd).max(366).default([]),
    startAt: z.string().datetime().optional(),
    targetFirmware: z.object({ metrology: semver, comms: semver }).optional(),
    /** Overrides the job type's soak (minutes) between a wave and its gate. */
    soakMinutes: z
      .number()
      .int()
      .min(0)
      .max(24 * 60)
      .optional(),
    thresholds: thresholdsSchema.default({ successPct: 90, maxErrorPct: 10, onBreach: "pause", lastGaspPerMin: 30 }),
  })
  .strict();
export type CampaignOptions = z.infer<typeof campaignOptionsSchema>;

export const createCampaignSchema = z.object({
  name: z.string().trim().min(1).max(120),
  jobType: jobTypeSchema,
  targetQuery: targetQuerySchema,
  options: campaignOptionsSchema.default({ blackoutDates: [], thresholds: { successPct: 90, maxErrorPct: 10, onBreach: "pause", lastGaspPerMin: 30 } }),
  /** One per form render: a double submit finds the first campaign. */
  creationKey: z
    .string()
    .min(8)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/),
});
export type CreateCampaignInput = z.input<typeof createCampaignSchema>;

export const campaignIdSchema = z.object({ campaignId: z.string().regex(/^[a-z0-9]{8,40}$/, "not a campaign id") });

/** /campaigns/new?jobType=&fault=&days=&gw=&zone=&kind=&model=&fw=&led=&meter= -> form defaults. */
export function parseNewCampaignParams(sp: Record<string, string | string[] | undefined>): { jobType: string | null; query: TargetQueryInput; ignored: string[] } {
  const one = (k: string) => {
    const v = sp[k];
    return (Array.isArray(v) ? v[0] : v)?.trim() || undefined;
  };
  const raw: Record<string, unknown> = {
    kind: one("kind"),
    gw: one("gw"),
    zone: one("zone"),
    model: one("model"),
    fw: one("fw"),
    led: one("led"),
    fault: one("fault"),
    days: one("days"),
    meters: one("meter") ? [one("meter")] : undefined,
  };
  const query: Record<string, unknown> = {};
  const ignored: string[] = [];
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    const single = (targetQuerySchema.shape as Record<string, z.ZodType>)[k]!.safeParse(v);
    if (single.success) query[k] = single.data;
    else ignored.push(k === "meters" ? "meter" : k);
  }
  const jobType = jobTypeSchema.safeParse(one("jobType"));
  if (one("jobType") && !jobType.success) ignored.push("jobType");
  return { jobType: jobType.success ? jobType.data : null, query: query as TargetQueryInput, ignored };
}
