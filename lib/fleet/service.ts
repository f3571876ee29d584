// Fleet writes on the process-wide engines, for the CLI (engines locked by the
// CLI itself) and for the HTTP endpoints (engines owned by the server).
// Both are recorded in the activity trail: who (a user or an ingest token) changed the fleet.
import { z } from "zod";
import { recordActivity, type Actor } from "@/lib/activity/trail";
import { can } from "@/lib/auth/permissions";
import { getCurrentUser } from "@/lib/auth/session";
import { getClickHouse } from "@/lib/clickhouse/client";
import { getDb } from "@/lib/db";
import { authenticateIngestToken } from "@/lib/auth/ingest-tokens";
import { generateFleet } from "@/lib/simulator/fleet";
import { writeGeneratedFleet } from "./generate";
import { importFleet, type ImportResult } from "./import";

/** Caps of the HTTP endpoints (the CLI without a running server writes directly, uncapped). */
export const FLEET_HTTP_LIMITS = {
  /** POST /api/fleet/import body (JSON with the CSV texts). */
  importBodyBytes: 64 * 1024 * 1024,
  importMeterRows: 250_000,
  importGatewayRows: 20_000,
  generateBodyBytes: 4096,
  generateMeters: 500_000,
} as const;

export const generateRequestSchema = z.object({
  meters: z
    .number()
    .int()
    .min(1)
    .max(FLEET_HTTP_LIMITS.generateMeters, `at most ${FLEET_HTTP_LIMITS.generateMeters.toLocaleString("en")} meters per request`),
  seed: z.union([z.string().min(1).max(100), z.number().int()]),
  /** Epoch ms the fleet is generated relative to (install dates, certificate expiries). */
  now: z.number().int().positive(),
});
export type GenerateRequest = z.infer<typeof generateRequestSchema>;

function countRows(csv: string): number {
  let n = 0;
  for (let i = csv.indexOf("\n"); i !== -1; i = csv.indexOf("\n", i + 1)) n++;
  return csv.endsWith("\n") ? n - 1 : n; // less the header line
}

export const importRequestSchema = z.object({
  metersCsv: z
    .string()
    .min(1)
    .refine((v) => countRows(v) <= FLEET_HTTP_LIMITS.importMeterRows, `at most ${FLEET_HTTP_LIMITS.importMeterRows.toLocaleString("en")} meter rows per request; split the file`),
  gatewaysCsv: z
    .string()
    .refine((v) => countRows(v) <= FLEET_HTTP_LIMITS.importGatewayRows, `at most ${FLEET_HTTP_LIMITS.importGatewayRows.toLocaleString("en")} gateway rows per request`)
    .optional(),
});

/**
 * Who may write the fleet over HTTP: a token of scope `fleet` (scripts; an
 * ingest-scope token is refused) or a session whose role has fleet.manage (admin).
 */
export async function authorizeFleetWrite(authorization: string | null): Promise<{ ok: true; actor: Actor } | { ok: false; status: number; error: string }> {
  if (authorization) {
    const t = await authenticateIngestToken(authorization, "fleet");
    return t.ok ? { ok: true, actor: { id: null, email: `token:${t.name}` } } : t;
  }
  const user = await getCurrentUser();
  if (!user) return { ok: false, status: 401, error: "sign in or send Authorization: Bearer <fleet token>" };
  if (!can(user.role, "fleet.manage")) return { ok: false, status: 403, error: `role ${user.role} may not change the fleet (fleet.manage)` };
  return { ok: true, actor: { id: user.id, email: user.email } };
}

export async function generateFleetIntoStores(input: GenerateRequest, actor: Actor | null, log?: (m: string) => void) {
  const t0 = performance.now();
  const fleet = generateFleet({ meters: input.meters, seed: input.seed, now: input.now });
  const generateMs = performance.now() - t0;
  const result = await writeGeneratedFleet({ fleet, db: getDb(), ch: await getClickHouse(), log });
  await recordActivity({ actor, action: "fleet.generate", target: `seed:${String(input.seed)}`, outcome: "ok", details: { meters: input.meters, now: input.now } });
  return { ...result, generateMs };
}

export async function importFleetIntoStores(input: z.infer<typeof importRequestSchema>, actor: Actor | null): Promise<ImportResult> {
  const result = await importFleet({ ...input, db: getDb(), ch: await getClickHouse() });
  await recordActivity({
    actor,
    action: "fleet.import",
    target: "csv",
    outcome: result.ok ? "ok" : "failed",
    details: result.ok ? { meters: result.meters, gateways: result.gateways } : { badRows: result.errors.length },
  });
  return result;
}
