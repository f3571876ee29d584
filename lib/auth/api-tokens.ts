// API tokens for /api/v1 (issue #26): personal (a user's own) and service (an
// admin's, for another system). A token acts as its role, which is never above
// its creator's (isRoleWithin), and a read-only token only reads. Only a SHA-256
// of the token is stored (192 random bits, so a slow KDF adds nothing); the
// plain token is shown once. Creation and revocation are audited. The ingest
// tokens (lib/ingest-tokens.ts) stay a separate, narrower kind.
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { AppError } from "@/lib/errors";
import { recordActivity } from "@/lib/activity/trail";
import { getDb } from "@/lib/db";
import { can, isRole, isRoleWithin, ROLES, type Role } from "./permissions";

export const API_TOKEN_PREFIX = "ami_api_";
/** Characters of the token kept in clear to tell tokens apart in the UI. */
const SHOWN_CHARS = API_TOKEN_PREFIX.length + 6;
/** lastUsedAt is refreshed at most this often per token (no write per request). */
const LAST_USED_RESOLUTION_MS = 60_000;
export const API_TOKEN_KINDS = ["personal", "service"] as const;
export type ApiTokenKind = (typeof API_TOKEN_KINDS)[number];
/** Expiry choices offered in the UI (days); null = never. */
export const API_TOKEN_EXPIRY_DAYS = [7, 30, 90, 365] as const;

export const createApiTokenSchema = z.object({
  kind: z.enum(API_TOKEN_KINDS).default("personal"),
  name: z
    .string()
    .trim()
    .min(1, "Enter a name")
    .max(80)
    .regex(/^[A-Za-z0-9][A-Za-z0-9 ._:-]*$/, "Letters, digits, space and . _ : - only"),
  role: z.enum(ROLES),
  readOnly: z.boolean().default(false),
  /** Days until the token stops working; null: it never expires (revoke it instead). */
  expiresInDays: z.number().int().min(1).max(3650).nullable().default(90),
});
export type CreateApiTokenInput = z.input<typeof createApiTokenSchema>;

export interface ApiTokenCreator {
  id: string;
  email: string;
  role: Role;
}

export function hashApiToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export interface ApiTokenView {
  id: string;
  kind: ApiTokenKind;
  name: string;
  role: Role;
  readOnly: boolean;
  prefix: string;
  createdByEmail: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

function toView(t: {
  id: string;
  kind: string;
  name: string;
  role: string;
  readOnly: boolean;
  prefix: string;
  createdByEmail: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}): ApiTokenView {
  return {
    id: t.id,
    kind: t.kind as ApiTokenKind,
    name: t.name,
    role: t.role as Role,
    readOnly: t.readOnly,
    prefix: t.prefix,
    createdByEmail: t.createdByEmail,
    createdAt: t.createdAt,
    expiresAt: t.expiresAt,
    lastUsedAt: t.lastUsedAt,
    revokedAt: t.revokedAt,
  };
}

/** The user's own personal tokens, and (for admins) every service token. */
export async function listApiTokens(user: ApiTokenCreator): Promise<ApiTokenView[]> {
  const rows = await getDb().apiToken.findMany({
    where: can(user.role, "api.tokens.service") ? { OR: [{ kind: "personal", ownerId: user.id }, { kind: "service" }] } : { kind: "personal", ownerId: user.id },
    orderBy: { createdAt: "desc" },
  });
  return rows.map(toView);
}

/** Create a token; the plain value is returned here and never again. */
export async function createApiToken(input: CreateApiTokenInput, creator: ApiTokenCreator, opts: { ip?: string | null; now?: Date } = {}) {
  const data = createApiTokenSchema.parse(input);
  const now = opts.now ?? new Date();
  const needed = data.kind === "service" ? "api.tokens.service" : "api.tokens.personal";
  if (!can(creator.role, needed)) throw new AppError("forbidden", `Your role (${creator.role}) may not create ${data.kind} tokens.`);
  if (!isRoleWithin(data.role, creator.role)) throw new AppError("forbidden", `A token's role may not be above yours: ${data.role} can do things ${creator.role} cannot.`);
  const token = API_TOKEN_PREFIX + randomBytes(24).toString("base64url");
  const row = await getDb().apiToken.create({
    data: {
      kind: data.kind,
      name: data.name,
      role: data.role,
      readOnly: data.readOnly,
      tokenHash: hashApiToken(token),
      prefix: token.slice(0, SHOWN_CHARS),
      ownerId: creator.id,
      createdById: creator.id,
      createdByEmail: creator.email,
      expiresAt: data.expiresInDays === null ? null : new Date(now.getTime() + data.expiresInDays * 86_400_000),
    },
  });
  await recordActivity({
    actor: creator,
    action: "api.token.create",
    target: row.id,
    outcome: "ok",
    ip: opts.ip,
    details: { kind: row.kind, name: row.name, role: row.role, readOnly: row.readOnly, prefix: row.prefix, expiresAt: row.expiresAt?.toISOString() ?? null },
  });
  return { ...toView(row), token };
}

/** Revoke one's own personal token, or (admin) any service token. */
export async function revokeApiToken(id: string, user: ApiTokenCreator, opts: { ip?: string | null } = {}) {
  const row = await getDb().apiToken.findUnique({ where: { id } });
  const mayRevoke = row && (row.kind === "service" ? can(user.role, "api.tokens.service") : row.ownerId === user.id);
  if (!row || !mayRevoke) throw new AppError("not_found", "No such API token.");
  if (row.revokedAt) throw new AppError("conflict", `Token ${row.name} is already revoked.`);
  await getDb().apiToken.update({ where: { id }, data: { revokedAt: new Date() } });
  await recordActivity({ actor: user, action: "api.token.revoke", target: id, outcome: "ok", ip: opts.ip, details: { kind: row.kind, name: row.name, prefix: row.prefix } });
}

/** Who a valid token acts as: the actor lib/ functions take, plus the token's limits. */
export interface ApiPrincipal {
  tokenId: string;
  tokenName: string;
  kind: ApiTokenKind;
  role: Role;
  readOnly: boolean;
  /** Personal: the owner (with the token's role). Service: the token itself, named service:<name>. */
  actor: { id: string; email: string; name: string; role: Role };
}

export type ApiTokenCheck =
  { ok: true; principal: ApiPrincipal } | { ok: false; status: 401 | 403; code: "unauthenticated" | "token_expired" | "token_revoked" | "forbidden"; error: string };

/**
 * `Authorization: Bearer <token>`: 401 when missing, unknown, expired or revoked (the caller
 * needs a new token); 403 when the owner is disabled or no longer holds the token's role.
 */
export async function authenticateApiToken(authorization: string | null | undefined, now = new Date()): Promise<ApiTokenCheck> {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (!m) return { ok: false, status: 401, code: "unauthenticated", error: "Send an API token as Authorization: Bearer <token>." };
  const row = await getDb().apiToken.findUnique({ where: { tokenHash: hashApiToken(m[1]!) } });
  if (!row) return { ok: false, status: 401, code: "unauthenticated", error: "Unknown API token." };
  if (row.revokedAt) return { ok: false, status: 401, code: "token_revoked", error: `API token ${row.prefix}… was revoked.` };
  if (row.expiresAt && row.expiresAt <= now) return { ok: false, status: 401, code: "token_expired", error: `API token ${row.prefix}… expired at ${row.expiresAt.toISOString()}.` };
  const owner = await getDb().user.findUnique({ where: { id: row.ownerId }, select: { id: true, email: true, name: true, role: true, disabled: true } });
  if (!owner || owner.disabled || !isRole(owner.role) || !isRole(row.role)) return { ok: false, status: 403, code: "forbidden", error: "The token's owner is disabled." };
  // A demoted owner's tokens do not keep the old rights.
  if (!isRoleWithin(row.role, owner.role)) return { ok: false, status: 403, code: "forbidden", error: `The token's role (${row.role}) is now above its owner's (${owner.role}).` };
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await getDb()
      .apiToken.update({ where: { id: row.id }, data: { lastUsedAt: now } })
      .catch(() => {});
  }
  const actor =
    row.kind === "service"
      ? { id: row.id, email: `service:${row.name}`, name: row.name, role: row.role }
      : { id: owner.id, email: owner.email, name: owner.name ?? owner.email, role: row.role };
  return { ok: true, principal: { tokenId: row.id, tokenName: row.name, kind: row.kind as ApiTokenKind, role: row.role, readOnly: row.readOnly, actor } };
}
