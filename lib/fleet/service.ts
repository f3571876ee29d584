// Fleet writes on the process-wide engines, for the CLI (engines locked by the
// CLI itself) and for the HTTP endpoints (engines owned by the server).
// Both are audited: who (a user or an ingest token) changed the fleet.
import { z } from "zod";
import { recordAuditEvent, type Actor } from "@/lib/audit-trail";
import { can } from "@/lib/auth/permissions";
import { getCurrentUser } from "@/lib/auth/session";
import { getClickHouse } from "@/lib/clickhouse/client";
import { getDb } from "@/lib/db";
import { authenticateIngestToken } from "@/lib/ingest-tokens";
import { generateFleet } from "@/lib/simulator/fleet";
import { writeGeneratedFleet } from "./generate";
import { importFleet, type ImportResult } from "./import";

export const generateRequestSchema = z.object({
  meters: z.number().int().min(1).max(2_000_000),
  seed: z.union([z.string().min(1).max(100), z.number().int()]),
  /** Epoch ms the fleet is generated relative to (install dates, certificate expiries). */
  now: z.number().int().positive(),
});
export type GenerateRequest = z.infer<typeof generateRequestSchema>;

export const importRequestSchema = z.object({
  metersCsv: z.string().min(1),
  gatewaysCsv: z.string().optional(),
});

/** Who may write the fleet over HTTP: an ingest token (scripts) or an operator/admin session. */
export async function authorizeFleetWrite(authorization: string | null): Promise<{ ok: true; actor: Actor } | { ok: false; status: number; error: string }> {
  if (authorization) {
    const t = await authenticateIngestToken(authorization);
    return t.ok ? { ok: true, actor: { id: null, email: `token:${t.name}` } } : t;
  }
  const user = await getCurrentUser();
  if (!user) return { ok: false, status: 401, error: "sign in or send Authorization: Bearer <ingest token>" };
  if (!can(user.role, "ingest.view")) return { ok: false, status: 403, error: `role ${user.role} may not change the fleet` };
  return { ok: true, actor: { id: user.id, email: user.email } };
}

export async function generateFleetIntoStores(input: GenerateRequest, actor: Actor | null, log?: (m: string) => void) {
  const t0 = performance.now();
  const fleet = generateFleet({ meters: input.meters, seed: input.seed, now: input.now });
  const generateMs = performance.now() - t0;
  const result = await writeGeneratedFleet({ fleet, db: getDb(), ch: await getClickHouse(), log });
  await recordAuditEvent({ actor, action: "fleet.generate", target: `seed:${String(input.seed)}`, outcome: "ok", details: { meters: input.meters, now: input.now } });
  return { ...result, generateMs };
}

export async function importFleetIntoStores(input: z.infer<typeof importRequestSchema>, actor: Actor | null): Promise<ImportResult> {
  const result = await importFleet({ ...input, db: getDb(), ch: await getClickHouse() });
  await recordAuditEvent({
    actor,
    action: "fleet.import",
    target: "csv",
    outcome: result.ok ? "ok" : "failed",
    details: result.ok ? { meters: result.meters, gateways: result.gateways } : { badRows: result.errors.length },
  });
  return result;
}
