"use client";
// The bell: firing alerts, pushed live over the socket.io "alerts" room (alerts.view).
import Link from "next/link";
import { useEffect, useState } from "react";
import { io } from "socket.io-client";
import type { BatchEnvelope } from "@/lib/realtime/rooms";

export interface BellAlert {
  id: string;
  ruleName: string;
  severity: string;
  summary: string;
}

type AlertChange = BellAlert & { state?: string; suppressedBy?: string | null };

export function AlertBell({ initial, initialCount }: { initial: BellAlert[]; initialCount: number }) {
  const [alerts, setAlerts] = useState<Map<string, BellAlert>>(() => new Map(initial.map((a) => [a.id, a])));
  // Firing alerts beyond the ones listed at page load (counted, not listed).
  const [extra] = useState(Math.max(0, initialCount - initial.length));
  const [isLive, setIsLive] = useState(false);
  useEffect(() => {
    const socket = io({ path: "/socket.io", transports: ["websocket"], withCredentials: true });
    socket.on("connect", () => socket.emit("subscribe", "alerts", (ack: { ok?: boolean } | undefined) => setIsLive(ack?.ok !== false)));
    socket.on("disconnect", () => setIsLive(false));
    socket.on("batch", (b: BatchEnvelope<AlertChange>) => {
      if (b.room !== "alerts" || b.event !== "alert") return;
      setAlerts((prev) => {
        const next = new Map(prev);
        for (const c of b.items) {
          if (!c.state) continue; // an acknowledgement: still firing
          if (c.state === "firing" && !c.suppressedBy) next.set(c.id, { id: c.id, ruleName: c.ruleName, severity: c.severity, summary: c.summary });
          else next.delete(c.id);
        }
        return next;
      });
    });
    return () => {
      socket.disconnect();
    };
  }, []);
  const count = alerts.size + extra;
  const list = [...alerts.values()].reverse().slice(0, 8);
  return (
    <details className="alert-bell" data-testid="alert-bell" data-live={isLive ? "yes" : "no"}>
      <summary aria-label={`${count} firing alerts`}>
        <svg aria-hidden="true" width="12" height="12" viewBox="0 0 16 16" style={{ verticalAlign: "-1px" }}>
          <path fill="currentColor" d="M8 1a1 1 0 0 1 1 1v.6A4.5 4.5 0 0 1 12.5 7v3l1.5 2v1H2v-1l1.5-2V7A4.5 4.5 0 0 1 7 2.6V2a1 1 0 0 1 1-1Zm-1.5 13h3a1.5 1.5 0 0 1-3 0Z" />
        </svg>{" "}
        Alerts{" "}
        <span className={count ? "badge sev-critical" : "badge"} data-testid="alert-bell-count">
          {count}
        </span>
      </summary>
      <div className="alert-bell-list">
        {list.length ? (
          list.map((a) => (
            <Link key={a.id} href={`/alerts?view=firing&alert=${encodeURIComponent(a.id)}`} className="alert-bell-item" data-testid="alert-bell-item">
              <strong className={`al-sev-${a.severity}`}>{a.ruleName}</strong>
              <span>{a.summary}</span>
            </Link>
          ))
        ) : (
          <span className="muted">No firing alerts.</span>
        )}
        <Link href="/alerts">All alerts</Link>
      </div>
    </details>
  );
}
