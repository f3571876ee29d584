"use client";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import type { ChannelView } from "@/lib/alerts/service";
import { formatUtc } from "@/lib/format/time";
import { createChannelAction, deleteChannelAction, sendTestNotificationAction } from "./actions";

function ChannelRow({ c, canManage }: { c: ChannelView; canManage: boolean }) {
  const router = useRouter();
  const [result, setResult] = useState<string | null>(null);
  const [isPending, startTransition] = useTransition();
  return (
    <tr data-testid="channel-row">
      <td>{c.name}</td>
      <td>{c.kind}</td>
      <td className="mono">{c.target}</td>
      <td>{c.secret}</td>
      <td>{c.ratePerMinute}/min</td>
      <td>{c.lastSentAt ? formatUtc(c.lastSentAt) : "never"}</td>
      <td className="error-text">{c.lastError ?? ""}</td>
      <td>
        {canManage && (
          <div className="al-actions">
            <button
              type="button"
              disabled={isPending}
              data-testid="channel-test"
              onClick={() =>
                startTransition(async () => {
                  const r = await sendTestNotificationAction({ id: c.id });
                  setResult(r.ok ? (r.data.ok ? "Test sent" : `Test failed: ${r.data.error}`) : r.error);
                  router.refresh();
                })
              }
            >
              Send test
            </button>
            <button
              type="button"
              disabled={isPending}
              onClick={() =>
                startTransition(async () => {
                  await deleteChannelAction({ id: c.id });
                  router.refresh();
                })
              }
            >
              Delete
            </button>
            {result && <span data-testid="channel-test-result">{result}</span>}
          </div>
        )}
      </td>
    </tr>
  );
}

export function ChannelsAdmin({ channels, canManage }: { channels: ChannelView[]; canManage: boolean }) {
  const router = useRouter();
  const [kind, setKind] = useState<"webhook" | "email" | "console">("webhook");
  const [f, setF] = useState({ name: "", url: "", format: "json", secret: "", secretEnv: "", host: "", port: 587, tls: "starttls", user: "", from: "", to: "", ratePerMinute: 30 });
  const [error, setError] = useState<string | null>(null);
  const [isPending, startTransition] = useTransition();
  const set = (k: keyof typeof f) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) =>
    setF({ ...f, [k]: e.target.type === "number" ? Number(e.target.value) : e.target.value });
  return (
    <section className="card" data-testid="channels">
      <h2>Notification channels</h2>
      {channels.length ? (
        <table className="data" data-testid="channels-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>Sends to</th>
              <th>Secret</th>
              <th>Limit</th>
              <th>Last sent (UTC)</th>
              <th>Last error</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {channels.map((c) => (
              <ChannelRow key={c.id} c={c} canManage={canManage} />
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">No channels yet: firing alerts show in the console&apos;s bell only.</p>
      )}
      {canManage ? (
        <form
          className="al-form"
          data-testid="channel-form"
          onSubmit={(e) => {
            e.preventDefault();
            startTransition(async () => {
              const r = await createChannelAction({
                name: f.name,
                kind,
                ratePerMinute: f.ratePerMinute,
                ...(kind === "webhook" ? { url: f.url, format: f.format, secret: f.secret || undefined, secretEnv: f.secretEnv || undefined } : {}),
                ...(kind === "email"
                  ? {
                      host: f.host,
                      port: f.port,
                      tls: f.tls,
                      user: f.user || undefined,
                      secret: f.secret || undefined,
                      secretEnv: f.secretEnv || undefined,
                      from: f.from,
                      to: f.to.split(/[,\s]+/).filter(Boolean),
                    }
                  : {}),
              });
              if (r.ok) {
                setError(null);
                setF({ ...f, name: "", secret: "" });
                router.refresh();
              } else setError(r.error);
            });
          }}
        >
          <label>
            Name
            <input value={f.name} onChange={set("name")} data-testid="channel-name" />
          </label>
          <label>
            Kind
            <select value={kind} onChange={(e) => setKind(e.target.value as typeof kind)} data-testid="channel-kind">
              <option value="webhook">webhook</option>
              <option value="email">email (SMTP)</option>
              <option value="console">console bell</option>
            </select>
          </label>
          <label>
            Messages per minute
            <input type="number" min={1} max={600} value={f.ratePerMinute} onChange={set("ratePerMinute")} />
          </label>
          <span />
          {kind === "webhook" && (
            <>
              <label className="wide">
                URL
                <input value={f.url} onChange={set("url")} placeholder="https://hooks.example.org/noc" data-testid="channel-url" />
              </label>
              <label>
                Format
                <select value={f.format} onChange={set("format")}>
                  <option value="json">JSON (documented body)</option>
                  <option value="slack">Slack</option>
                  <option value="teams">Microsoft Teams</option>
                </select>
              </label>
              <span />
            </>
          )}
          {kind === "email" && (
            <>
              <label>
                SMTP host
                <input value={f.host} onChange={set("host")} />
              </label>
              <label>
                Port
                <input type="number" value={f.port} onChange={set("port")} />
              </label>
              <label>
                TLS
                <select value={f.tls} onChange={set("tls")}>
                  <option value="starttls">STARTTLS</option>
                  <option value="tls">TLS (465)</option>
                  <option value="none">none</option>
                </select>
              </label>
              <label>
                User
                <input value={f.user} onChange={set("user")} autoComplete="off" />
              </label>
              <label>
                From
                <input value={f.from} onChange={set("from")} placeholder="ami@example.org" />
              </label>
              <label className="wide">
                To (comma-separated)
                <input value={f.to} onChange={set("to")} placeholder="noc@example.org" />
              </label>
              <span />
            </>
          )}
          {kind !== "console" && (
            <>
              <label>
                {kind === "webhook" ? "HMAC secret (stored encrypted)" : "Password (stored encrypted)"}
                <input type="password" value={f.secret} onChange={set("secret")} autoComplete="new-password" />
              </label>
              <label>
                …or environment variable
                <input value={f.secretEnv} onChange={set("secretEnv")} placeholder="AMI_ALERT_NOC_SECRET" />
              </label>
            </>
          )}
          <div className="al-actions">
            <button type="submit" className="primary" disabled={isPending || !f.name.trim()} data-testid="channel-create">
              Add channel
            </button>
            {error && (
              <span className="error-text" role="alert">
                {error}
              </span>
            )}
          </div>
        </form>
      ) : (
        <p className="muted">An admin configures channels.</p>
      )}
    </section>
  );
}
