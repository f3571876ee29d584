import Link from "next/link";
import { requirePagePermission } from "@/lib/auth/session";
import { can, ROLES, isRoleWithin } from "@/lib/auth/permissions";
import { listApiTokens } from "@/lib/auth/api-tokens";
import { ApiTokensAdmin } from "./api-tokens-admin";

export const metadata = { title: "API tokens" };
export const dynamic = "force-dynamic";

export default async function ApiTokensPage() {
  const user = await requirePagePermission("api.tokens.personal", "/api-tokens");
  const tokens = await listApiTokens(user);
  const now = new Date();
  return (
    <>
      <div className="page-header">
        <h1>API tokens</h1>
        <p>
          For other systems and scripts calling <code>/api/v1</code> (<Link href="/api-docs">API reference</Link>).
        </p>
      </div>
      <p className="muted" style={{ marginTop: 0 }}>
        A token acts as its role, never above yours; a read-only token only reads. It is shown once, when it is made.
      </p>
      <ApiTokensAdmin
        roles={ROLES.filter((r) => isRoleWithin(r, user.role))}
        defaultRole={user.role}
        canCreateService={can(user.role, "api.tokens.service")}
        tokens={tokens.map((t) => ({
          ...t,
          createdAt: t.createdAt.toISOString(),
          expiresAt: t.expiresAt?.toISOString() ?? null,
          lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
          revokedAt: t.revokedAt?.toISOString() ?? null,
          status: t.revokedAt ? "revoked" : t.expiresAt && t.expiresAt <= now ? "expired" : "active",
        }))}
      />
    </>
  );
}
