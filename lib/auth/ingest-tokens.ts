// Per-source ingest tokens for POST /api/ingest. Only a SHA-256 of the token
// is stored (tokens are 192 random bits, so a slow KDF adds nothing); the
// plain token is shown once at creation. Creation and revocation are recorded in the activity trail.
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { AppError } from "@/lib/errors";
import { recordActivity, type Actor } from "@/lib/activity/trail";
import { getDb } from "@/lib/db";

export const TOKEN_PREFIX = "ami_ing_";
/** Characters of the token kept in clear to tell tokens apart in the UI. */
const SHOWN_CHARS = TOKEN_PREFIX.length + 6;
/** lastUsedAt is refreshed at most this often per token (no write per request). */
const LAST_USED_RESOLUTION_MS = 60_000;

/** What a token may do: ingest = POST /api/ingest only; fleet = POST /api/fleet/{import,generate} only. */
export const TOKEN_SCOPES = ["ingest", "fleet"] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export const createIngestTokenSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1, "Enter a source name")
    .max(80)
    .regex(/^[A-Za-z0-9][A-Za-z0-9 ._:-]*$/, "Letters, digits, space and . _ : - only"),
  scope: z.enum(TOKEN_SCOPES).default("ingest"),
});
export type CreateIngestTokenInput = z.input<typeof createIngestTokenSchema>;

export function hashIngestToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export interface IngestTokenView {
  id: string;
  name: string;
  scope: TokenScope;
  prefix: string;
  createdAt: Date;
  createdBy: string;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export async function listIngestTokens(): Promise<IngestTokenView[]> {
  const rows = await getDb().ingestToken.findMany({
    orderBy: { createdAt: "desc" },
    include: { createdBy: { select: { email: true } } },
  });
  return rows.map((t) => ({
    id: t.id,
    name: t.name,
    scope: t.scope,
    prefix: t.prefix,
    createdAt: t.createdAt,
    createdBy: t.createdBy.email,
    revokedAt: t.revokedAt,
    lastUsedAt: t.lastUsedAt,
  }));
}

/** Create a token; the plain value is returned here and never again. */
export async function createIngestToken(input: CreateIngestTokenInput, actor: Actor & { id: string }, ip?: string | null) {
  const { name, scope } = createIngestTokenSchema.parse(input);
  const token = TOKEN_PREFIX + randomBytes(24).toString("base64url");
  const row = await getDb().ingestToken.create({
    data: { name, scope, tokenHash: hashIngestToken(token), prefix: token.slice(0, SHOWN_CHARS), createdById: actor.id },
  });
  await recordActivity({ actor, action: "ingest.token.create", target: row.id, outcome: "ok", ip, details: { name, scope, prefix: row.prefix } });
  return { id: row.id, name: row.name, scope: row.scope, prefix: row.prefix, token };
}

export async function revokeIngestToken(id: string, actor: Actor, ip?: string | null) {
  const row = await getDb().ingestToken.findUnique({ where: { id } });
  if (!row) throw new AppError("not_found", "No such ingest token.");
  if (row.revokedAt) throw new AppError("conflict", `Token ${row.name} is already revoked.`);
  await getDb().ingestToken.update({ where: { id }, data: { revokedAt: new Date() } });
  await recordActivity({ actor, action: "ingest.token.revoke", target: id, outcome: "ok", ip, details: { name: row.name, prefix: row.prefix } });
}

export type TokenCheck = { ok: true; id: string; name: string } | { ok: false; status: 401 | 403; error: string };

/** Authenticate `Authorization: Bearer <token>` for one scope: 401 missing/unknown, 403 revoked or another scope. */
export async function authenticateIngestToken(authorization: string | null | undefined, scope: TokenScope = "ingest"): Promise<TokenCheck> {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (!m) return { ok: false, status: 401, error: "missing bearer token" };
  const row = await getDb().ingestToken.findUnique({ where: { tokenHash: hashIngestToken(m[1]!) } });
  if (!row) return { ok: false, status: 401, error: "unknown token" };
  if (row.revokedAt) return { ok: false, status: 403, error: "token revoked" };
  if (row.scope !== scope) return { ok: false, status: 403, error: `this token's scope is ${row.scope}; this endpoint needs a ${scope} token` };
  const now = Date.now();
  if (!row.lastUsedAt || now - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await getDb()
      .ingestToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date(now) } })
      .catch(() => {});
  }
  return { ok: true, id: row.id, name: row.name };
}
