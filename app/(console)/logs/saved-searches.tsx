"use client";
// Saved searches: open (a link that reproduces the view), save the current view, delete own.
import Link from "next/link";
import { useState, useTransition } from "react";
import type { SavedSearchItem } from "@/lib/logs/saved-searches";
import { deleteSavedSearchAction, saveSearchAction } from "./actions";
import { rangeFromText } from "./view-state";
import styles from "./logs.module.css";

export function savedSearchHref(s: SavedSearchItem): string {
  const sp = rangeFromText(s.range);
  if (s.query) sp.set("q", s.query);
  sp.set("cols", s.view.columns.join(","));
  if (s.view.stack !== "sev") sp.set("stack", s.view.stack);
  if (s.view.order !== "desc") sp.set("order", s.view.order);
  return `/logs?${sp.toString()}`;
}

export function SavedSearches({
  initial,
  canShare,
  current,
}: {
  initial: SavedSearchItem[];
  canShare: boolean;
  current: { query: string; range: string; view: SavedSearchItem["view"] };
}) {
  const [items, setItems] = useState(initial);
  const [name, setName] = useState("");
  const [shared, setShared] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [pending, startTransition] = useTransition();

  const save = (e: React.FormEvent) => {
    e.preventDefault();
    startTransition(async () => {
      const r = await saveSearchAction({ name, shared, ...current });
      if (r.ok) {
        setItems(r.data.searches);
        setName("");
        setMessage({ ok: true, text: "Saved." });
      } else setMessage({ ok: false, text: r.error });
    });
  };
  const remove = (id: string) =>
    startTransition(async () => {
      const r = await deleteSavedSearchAction({ id });
      if (r.ok) setItems(r.data.searches);
      else setMessage({ ok: false, text: r.error });
    });

  return (
    <details className="card" data-testid="saved-searches">
      <summary>Saved searches ({items.length})</summary>
      <div className={styles.saved}>
        {items.length === 0 ? (
          <p className="muted" data-testid="saved-empty">
            No saved searches yet. Save the current view below.
          </p>
        ) : (
          <ul>
            {items.map((s) => (
              <li key={s.id} data-testid="saved-item">
                <Link href={savedSearchHref(s)} data-testid="saved-open">
                  {s.name}
                </Link>
                {s.shared && <span className="badge">shared</span>}
                {!s.isOwn && <span className="muted">by {s.ownerName}</span>}
                <span className="spacer" />
                {s.isOwn && (
                  <button type="button" className="danger" onClick={() => remove(s.id)} disabled={pending} data-testid="saved-delete" aria-label={`Delete saved search ${s.name}`}>
                    Delete
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
        <form onSubmit={save}>
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="Name this search"
            maxLength={120}
            required
            data-testid="saved-name"
            aria-label="Saved search name"
          />
          {canShare && (
            <label style={{ flexDirection: "row", alignItems: "center" }}>
              <input type="checkbox" checked={shared} onChange={(e) => setShared(e.target.checked)} data-testid="saved-shared" /> share with everyone
            </label>
          )}
          <button type="submit" disabled={pending || !name.trim()} data-testid="saved-save">
            Save current view
          </button>
          {message && (
            <span className={message.ok ? "ok-text" : "error-text"} role="status">
              {message.text}
            </span>
          )}
        </form>
      </div>
    </details>
  );
}
