"use client";
// Create an API token for /api/v1 (shown once) and revoke tokens: each user their own
// personal tokens; admins also service tokens for other systems.
import { createColumnHelper, getCoreRowModel, useReactTable } from "@tanstack/react-table";
import { useState, useTransition } from "react";
import { DataTable } from "@/components/data-table";
import { formatUtc } from "@/lib/format/time";
import { createApiTokenAction, revokeApiTokenAction } from "./actions";

type Role = "viewer" | "technician" | "operator" | "admin";

export interface ApiTokenRow {
  id: string;
  kind: "personal" | "service";
  name: string;
  role: Role;
  readOnly: boolean;
  prefix: string;
  createdByEmail: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  status: "active" | "expired" | "revoked";
}

const col = createColumnHelper<ApiTokenRow>();

export function ApiTokensAdmin({ tokens, roles, defaultRole, canCreateService }: { tokens: ApiTokenRow[]; roles: Role[]; defaultRole: Role; canCreateService: boolean }) {
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ name: string; token: string; role: Role; readOnly: boolean } | null>(null);

  const columns = [
    col.accessor("name", { header: "Name" }),
    col.accessor("kind", { header: "Kind" }),
    col.accessor("role", { header: "Role", cell: (c) => (c.row.original.readOnly ? `${c.getValue()}, read-only` : c.getValue()) }),
    col.accessor("prefix", { header: "Token", cell: (c) => <code>{c.getValue()}…</code> }),
    col.accessor("createdByEmail", { header: "Created by" }),
    col.accessor("createdAt", { header: "Created", cell: (c) => formatUtc(c.getValue()) }),
    col.accessor("expiresAt", { header: "Expires", cell: (c) => (c.getValue() ? formatUtc(c.getValue()) : "never") }),
    col.accessor("lastUsedAt", { header: "Last used", cell: (c) => (c.getValue() ? formatUtc(c.getValue(), { seconds: true }) : "never") }),
    col.display({
      id: "status",
      header: "Status",
      cell: (c) => {
        const t = c.row.original;
        if (t.status === "revoked") return <span className="error-text">revoked {formatUtc(t.revokedAt)}</span>;
        return (
          <span className="row" style={{ gap: 6 }}>
            {t.status === "expired" && <span className="error-text">expired</span>}
            <button
              type="button"
              className="danger"
              disabled={pending}
              data-testid={`api-token-revoke-${t.name}`}
              onClick={() => {
                if (!window.confirm(`Revoke the token ${t.name}? Calls with it get 401 from then on.`)) return;
                startTransition(async () => {
                  const r = await revokeApiTokenAction({ tokenId: t.id });
                  setError(r.ok ? null : r.error);
                });
              }}
            >
              Revoke
            </button>
          </span>
        );
      },
    }),
  ];
  const table = useReactTable({ data: tokens, columns, getCoreRowModel: getCoreRowModel() });

  function onCreate(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    const expiry = String(data.get("expiresInDays") ?? "90");
    const input = {
      name: String(data.get("name") ?? ""),
      kind: String(data.get("kind") ?? "personal"),
      role: String(data.get("role") ?? defaultRole),
      readOnly: data.get("readOnly") === "on",
      expiresInDays: expiry === "never" ? null : Number(expiry),
    };
    startTransition(async () => {
      const r = await createApiTokenAction(input);
      if (r.ok) {
        form.reset();
        setError(null);
        setCreated({ name: r.data.name, token: r.data.token, role: r.data.role, readOnly: r.data.readOnly });
      } else setError(r.error);
    });
  }

  return (
    <section aria-label="API tokens">
      {error && (
        <div className="notice error" role="alert" data-testid="api-token-error" style={{ marginBottom: 8 }}>
          {error}
        </div>
      )}
      {created && (
        <div className="notice ok" role="status" style={{ marginBottom: 8 }}>
          Token <strong>{created.name}</strong> ({created.role}
          {created.readOnly ? ", read-only" : ""}), shown once; store it where the calling system keeps secrets:{" "}
          <code data-testid="api-token-created-value" style={{ userSelect: "all" }}>
            {created.token}
          </code>
          <div className="muted" style={{ fontSize: 12 }}>
            Send it as <code>Authorization: Bearer &lt;token&gt;</code> to <code>/api/v1/…</code>.
          </div>
        </div>
      )}
      <form className="card row" onSubmit={onCreate} aria-label="Create API token" style={{ marginBottom: 12, alignItems: "flex-end", flexWrap: "wrap" }}>
        <label>
          Name
          <input name="name" required maxLength={80} placeholder="work-management" data-testid="api-token-name" />
        </label>
        {canCreateService && (
          <label>
            Kind
            <select name="kind" defaultValue="personal" data-testid="api-token-kind">
              <option value="personal">personal (acts as you)</option>
              <option value="service">service (another system)</option>
            </select>
          </label>
        )}
        <label>
          Role
          <select name="role" defaultValue={defaultRole} data-testid="api-token-role">
            {roles.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <label>
          Expires in
          <select name="expiresInDays" defaultValue="90" data-testid="api-token-expiry">
            <option value="7">7 days</option>
            <option value="30">30 days</option>
            <option value="90">90 days</option>
            <option value="365">365 days</option>
            <option value="never">never</option>
          </select>
        </label>
        <label style={{ display: "flex", alignItems: "center", gap: 6, paddingBottom: 8 }}>
          <input type="checkbox" name="readOnly" data-testid="api-token-read-only" />
          read-only
        </label>
        <button className="primary" type="submit" disabled={pending} data-testid="api-token-create">
          Create token
        </button>
      </form>
      {tokens.length > 0 ? (
        <div className="card" style={{ padding: 0 }}>
          <DataTable table={table} testId="api-tokens" rowProps={(r) => ({ "data-testid": `api-token-row-${r.original.name}` })} />
        </div>
      ) : (
        <p className="muted">No API tokens yet.</p>
      )}
    </section>
  );
}
