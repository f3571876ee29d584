"use client";
// The drawer's meter: its detail (/api/map/meters/:id) and its live room's lines.
import { useCallback, useEffect, useState, type RefObject } from "react";
import type { Socket } from "socket.io-client";
import type { Line, MeterDetail } from "./map-types";

export function useMeterDetail(selectedMeter: string | null, socketRef: RefObject<Socket | null>, setError: (e: string) => void) {
  const [detail, setDetail] = useState<MeterDetail | null>(null);
  const [liveLines, setLiveLines] = useState<Line[]>([]);

  useEffect(() => {
    setDetail(null);
    setLiveLines([]);
    if (!selectedMeter) return;
    const socket = socketRef.current;
    socket?.emit("subscribe", `meter:${selectedMeter}`, () => {});
    const ctrl = new AbortController();
    fetch(`/api/map/meters/${encodeURIComponent(selectedMeter)}`, { signal: ctrl.signal, cache: "no-store" })
      .then(async (r) => (r.ok ? r.json() : Promise.reject(new Error((await r.json().catch(() => ({}))).error ?? `meter: ${r.status}`))))
      .then((d: MeterDetail) => setDetail(d))
      .catch((e) => {
        if (!ctrl.signal.aborted) setError(e instanceof Error ? e.message : String(e));
      });
    return () => {
      ctrl.abort();
      socket?.emit("unsubscribe", `meter:${selectedMeter}`);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [selectedMeter]);

  const addLiveLines = useCallback((lines: Line[]) => setLiveLines((prev) => [...lines, ...prev].slice(0, 100)), []);
  const lines = detail ? [...liveLines, ...detail.lines] : liveLines;
  return { detail, lines, addLiveLines };
}
