"use client";
import { createColumnHelper, getCoreRowModel, useReactTable } from "@tanstack/react-table";
import { DataTable } from "@/components/data-table";
import { useState, useTransition } from "react";
import { changeUserRoleAction, createUserAction, resetUserPasswordAction, setUserDisabledAction } from "./actions";

const ROLES = ["viewer", "technician", "operator", "admin"] as const;

export interface UserRow {
  id: string;
  email: string;
  name: string;
  role: string;
  disabled: boolean;
  createdAt: string;
}

type Notice = { kind: "ok" | "error"; text: string } | null;
const col = createColumnHelper<UserRow>();

export function UsersAdmin({ users, meId }: { users: UserRow[]; meId: string }) {
  const [notice, setNotice] = useState<Notice>(null);
  const [pending, startTransition] = useTransition();

  function run<T>(fn: () => Promise<{ ok: true; data: T } | { ok: false; error: string }>, okText: (d: T) => string) {
    startTransition(async () => {
      const r = await fn();
      setNotice(r.ok ? { kind: "ok", text: okText(r.data) } : { kind: "error", text: r.error });
    });
  }

  const columns = [
    col.accessor("email", { header: "E-mail" }),
    col.accessor("name", { header: "Name" }),
    col.accessor("role", {
      header: "Role",
      cell: (c) => (
        <select
          aria-label={`Role of ${c.row.original.email}`}
          data-testid={`role-select-${c.row.original.email}`}
          value={c.getValue()}
          disabled={pending}
          onChange={(e) => {
            const role = e.target.value;
            run(
              () => changeUserRoleAction({ userId: c.row.original.id, role }),
              () => `${c.row.original.email} is now ${role}.`,
            );
          }}
        >
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      ),
    }),
    col.accessor("disabled", { header: "Status", cell: (c) => (c.getValue() ? <span className="error-text">disabled</span> : <span className="ok-text">active</span>) }),
    col.display({
      id: "actions",
      header: "",
      cell: (c) => {
        const u = c.row.original;
        return (
          <div className="row">
            <button
              type="button"
              disabled={pending || u.id === meId}
              onClick={() =>
                run(
                  () => setUserDisabledAction({ userId: u.id, disabled: !u.disabled }),
                  () => `${u.email} ${u.disabled ? "enabled" : "disabled"}.`,
                )
              }
            >
              {u.disabled ? "Enable" : "Disable"}
            </button>
            <button
              type="button"
              disabled={pending}
              onClick={() =>
                run(
                  () => resetUserPasswordAction({ userId: u.id }),
                  (d) => `New password for ${u.email} (shown once): ${d.password}`,
                )
              }
            >
              Reset password
            </button>
          </div>
        );
      },
    }),
  ];
  const table = useReactTable({ data: users, columns, getCoreRowModel: getCoreRowModel() });

  function onCreate(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const form = e.currentTarget;
    const password = String(f.get("password") ?? "");
    run(
      () => createUserAction({ email: f.get("email"), name: f.get("name"), role: f.get("role"), password: password || undefined }),
      (d) => {
        form.reset();
        return d.generatedPassword ? `Created ${d.user.email}. Password (shown once): ${d.generatedPassword}` : `Created ${d.user.email}.`;
      },
    );
  }

  return (
    <section aria-label="Users">
      {notice && (
        <div className={`notice ${notice.kind}`} role="status" data-testid="admin-notice" style={{ marginBottom: 12 }}>
          {notice.text}
        </div>
      )}
      <form className="card row" onSubmit={onCreate} aria-label="Create user" data-testid="create-user-form" style={{ marginBottom: 12, alignItems: "flex-end" }}>
        <label>
          E-mail
          <input name="email" type="email" required data-testid="new-user-email" />
        </label>
        <label>
          Name
          <input name="name" required data-testid="new-user-name" />
        </label>
        <label>
          Role
          <select name="role" defaultValue="viewer" data-testid="new-user-role">
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <label>
          Password (blank = generate)
          <input name="password" type="password" minLength={10} autoComplete="new-password" />
        </label>
        <button className="primary" type="submit" disabled={pending} data-testid="create-user-submit">
          Create user
        </button>
      </form>
      <div className="card" style={{ padding: 0 }}>
        <DataTable table={table} testId="users-table" rowProps={(r) => ({ "data-testid": `user-row-${r.original.email}` })} />
      </div>
    </section>
  );
}
