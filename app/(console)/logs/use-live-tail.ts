"use client";
// Live tail over socket.io: subscribe to the logs room, set this tab's filter (the server matches
// lines against it), receive throttled batches. Unsubscribes while the tab is hidden; no polling.
import { useEffect, useRef, useState } from "react";
import { io, type Socket } from "socket.io-client";
import type { LogRow } from "./results-table";

export type LiveStatus = "off" | "connecting" | "live" | "hidden" | "error";

interface TailMessage {
  items: LogRow[];
  skipped: number;
  sentAt: number;
}

export function useLiveTail({ enabled, q, onLines }: { enabled: boolean; q: string; onLines: (items: LogRow[], skipped: number) => void }) {
  const [status, setStatus] = useState<LiveStatus>("off");
  const [error, setError] = useState<string | null>(null);
  const onLinesRef = useRef(onLines);
  onLinesRef.current = onLines;

  useEffect(() => {
    if (!enabled) {
      setStatus("off");
      return;
    }
    setStatus("connecting");
    setError(null);
    const socket: Socket = io({ path: "/socket.io", transports: ["websocket"], withCredentials: true });
    let subscribed = false;

    const subscribe = () => {
      if (document.visibilityState === "hidden") {
        setStatus("hidden");
        return;
      }
      socket.emit("subscribe", "logs", (r: { ok: boolean; error?: string }) => {
        if (!r?.ok) {
          setStatus("error");
          setError(r?.error ?? "could not subscribe");
          return;
        }
        socket.emit("logs:tail", { q }, (f: { ok: boolean; error?: { message: string } }) => {
          if (!f?.ok) {
            setStatus("error");
            setError(f?.error?.message ?? "the filter was refused");
            return;
          }
          subscribed = true;
          setStatus("live");
        });
      });
    };
    const unsubscribe = () => {
      if (subscribed) socket.emit("unsubscribe", "logs");
      subscribed = false;
    };
    const onVisibility = () => {
      if (document.visibilityState === "hidden") {
        unsubscribe();
        setStatus("hidden");
      } else if (socket.connected) subscribe();
    };

    socket.on("connect", subscribe);
    socket.on("connect_error", (e) => {
      setStatus("error");
      setError(e.message);
    });
    socket.on("disconnect", () => {
      subscribed = false;
      setStatus("connecting");
    });
    socket.on("logs:tail", (m: TailMessage) => {
      if (!subscribed) return;
      onLinesRef.current(Array.isArray(m?.items) ? m.items : [], Number(m?.skipped) || 0);
    });
    document.addEventListener("visibilitychange", onVisibility);
    return () => {
      document.removeEventListener("visibilitychange", onVisibility);
      unsubscribe();
      socket.disconnect();
    };
  }, [enabled, q]);

  return { status, error };
}
