"use client";
// Admin: create a per-source HTTP ingest token (shown once) and revoke tokens.
import { createColumnHelper, getCoreRowModel, useReactTable } from "@tanstack/react-table";
import { useState, useTransition } from "react";
import { DataTable } from "@/components/data-table";
import { createIngestTokenAction, revokeIngestTokenAction } from "./actions";
import { formatUtc } from "@/lib/format/time";

export interface TokenRow {
  id: string;
  name: string;
  scope: "ingest" | "fleet";
  prefix: string;
  createdBy: string;
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

const col = createColumnHelper<TokenRow>();

export function TokensAdmin({ tokens }: { tokens: TokenRow[] }) {
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ name: string; token: string; scope: string } | null>(null);

  const columns = [
    col.accessor("name", { header: "Source" }),
    col.accessor("scope", { header: "Scope", cell: (c) => (c.getValue() === "fleet" ? "fleet import/generate" : "ingest") }),
    col.accessor("prefix", { header: "Token", cell: (c) => <code>{c.getValue()}…</code> }),
    col.accessor("createdBy", { header: "Created by" }),
    col.accessor("createdAt", { header: "Created", cell: (c) => formatUtc(c.getValue(), { seconds: true }) }),
    col.accessor("lastUsedAt", { header: "Last used", cell: (c) => formatUtc(c.getValue(), { seconds: true }) }),
    col.display({
      id: "status",
      header: "Status",
      cell: (c) =>
        c.row.original.revokedAt ? (
          <span className="error-text">revoked {formatUtc(c.row.original.revokedAt, { seconds: true })}</span>
        ) : (
          <button
            type="button"
            className="danger"
            disabled={pending}
            data-testid={`token-revoke-${c.row.original.name}`}
            onClick={() => {
              if (!window.confirm(`Revoke the token of ${c.row.original.name}? Its sender gets 403 from then on.`)) return;
              startTransition(async () => {
                const r = await revokeIngestTokenAction({ tokenId: c.row.original.id });
                setError(r.ok ? null : r.error);
              });
            }}
          >
            Revoke
          </button>
        ),
    }),
  ];
  const table = useReactTable({ data: tokens, columns, getCoreRowModel: getCoreRowModel() });

  function onCreate(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    const name = String(data.get("name") ?? "");
    const scope = String(data.get("scope") ?? "ingest");
    startTransition(async () => {
      const r = await createIngestTokenAction({ name, scope });
      if (r.ok) {
        form.reset();
        setError(null);
        setCreated({ name: r.data.name, token: r.data.token, scope: r.data.scope });
      } else setError(r.error);
    });
  }

  return (
    <section aria-label="HTTP ingest tokens">
      {error && (
        <div className="notice error" role="alert" data-testid="token-error" style={{ marginBottom: 8 }}>
          {error}
        </div>
      )}
      {created && (
        <div className="notice ok" role="status" style={{ marginBottom: 8 }}>
          Token for <strong>{created.name}</strong> (shown once; store it in the sender&apos;s configuration):{" "}
          <code data-testid="token-created-value" style={{ userSelect: "all" }}>
            {created.token}
          </code>
          <div className="muted" style={{ fontSize: 12 }}>
            Send with <code>Authorization: Bearer &lt;token&gt;</code> to{" "}
            {created.scope === "fleet" ? "POST /api/fleet/import or /api/fleet/generate (--token of fleet:import and simulate)" : "POST /api/ingest"}.
          </div>
        </div>
      )}
      <form className="card row" onSubmit={onCreate} aria-label="Create ingest token" style={{ marginBottom: 12, alignItems: "flex-end" }}>
        <label>
          Source name
          <input name="name" required maxLength={80} placeholder="hes-01" data-testid="token-name" />
        </label>
        <label>
          Scope
          <select name="scope" defaultValue="ingest" data-testid="token-scope">
            <option value="ingest">ingest (POST /api/ingest)</option>
            <option value="fleet">fleet import/generate</option>
          </select>
        </label>
        <button className="primary" type="submit" disabled={pending} data-testid="token-create">
          Create token
        </button>
      </form>
      {tokens.length > 0 && (
        <div className="card" style={{ padding: 0 }}>
          <DataTable table={table} testId="ingest-tokens" rowProps={(r) => ({ "data-testid": `token-row-${r.original.name}` })} />
        </div>
      )}
    </section>
  );
}
