import { z } from "zod";
import { REFUSAL_REASONS } from "@/ingest/parse";

/** ?reason= filters the refused lines; ?hours= the window (1..168). */
export const ingestSearchParamsSchema = z.object({
  reason: z
    .string()
    .refine((r) => REFUSAL_REASONS.includes(r))
    .optional()
    .catch(undefined),
  hours: z.coerce.number().int().min(1).max(168).default(24).catch(24),
});
