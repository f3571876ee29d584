// Silences: an operator's "do not tell anyone about these" by label matchers and a time
// range. Pure. A matcher equals one label of the alert; "rule" matches the rule id and
// "severity" the rule's severity. Values are compared as text, never as patterns.
import { z } from "zod";

export const silenceMatcherSchema = z.object({
  label: z
    .string()
    .trim()
    .min(1)
    .max(40)
    .regex(/^[a-z_]+$/, "a label name: lower-case letters and _"),
  value: z.string().trim().min(1).max(200),
});
export type SilenceMatcher = z.infer<typeof silenceMatcherSchema>;

export const silenceInputSchema = z
  .object({
    matchers: z.array(silenceMatcherSchema).min(1).max(10),
    startsAt: z.coerce.date(),
    endsAt: z.coerce.date(),
    comment: z.string().trim().min(1).max(500),
  })
  .refine((s) => s.endsAt > s.startsAt, { message: "the silence must end after it starts", path: ["endsAt"] });

export interface ActiveSilence {
  id: string;
  matchers: SilenceMatcher[];
  startsAt: number;
  endsAt: number;
}

export function isSilenceMatch(silence: ActiveSilence, alert: { ruleId: string; severity: string; labels: Record<string, string> }, now: number): boolean {
  if (now < silence.startsAt || now >= silence.endsAt) return false;
  const labels: Record<string, string> = { ...alert.labels, rule: alert.ruleId, severity: alert.severity };
  return silence.matchers.every((m) => labels[m.label] === m.value);
}

export function findSilence(silences: ActiveSilence[], alert: { ruleId: string; severity: string; labels: Record<string, string> }, now: number): ActiveSilence | null {
  return silences.find((s) => isSilenceMatch(s, alert, now)) ?? null;
}
