"use client";
// Live: room `fleet` over socket.io; deltas coalesce in a Map and apply to the shared
// typed arrays once per animation frame (lib/map/browser/deltas.ts), then the counts, colours
// and cells of the view follow. The open meter's room feeds the drawer's lines.
import { useEffect, useRef, useState, type RefObject } from "react";
import { io, type Socket } from "socket.io-client";
import type { BatchEnvelope } from "@/lib/realtime/rooms";
import { cellKey, cellOf } from "@/lib/map/cells";
import { applyPending, coalesceItems } from "@/lib/map/browser/deltas";
import { inBoxDelta } from "@/lib/map/browser/points";
import type { FleetLiveItem, MapCell } from "@/lib/map/types";
import type { Line, MapStore } from "./map-types";
import { REPLAY_MS } from "./use-map-data";

export interface LiveStatus {
  connected: boolean;
  lagMs: number | null;
  changes: number;
}

export interface LiveInput {
  store: MapStore;
  selectedRef: RefObject<string | null>;
  setCounts: (c: number[]) => void;
  setCells: (c: MapCell[]) => void;
  bumpColors: () => void;
  /** Lines streamed for the open meter. */
  onMeterLines: (lines: Line[]) => void;
}

export function useLiveUpdates({ store, selectedRef, setCounts, setCells, bumpColors, onMeterLines }: LiveInput) {
  const [live, setLive] = useState<LiveStatus>({ connected: false, lagMs: null, changes: 0 });
  const socketRef = useRef<Socket | null>(null);
  // The latest callbacks, read by the one socket's handlers.
  const cb = useRef({ setCounts, setCells, bumpColors, onMeterLines });
  cb.current = { setCounts, setCells, bumpColors, onMeterLines };

  useEffect(() => {
    let raf: number | null = null;
    const socket: Socket = io({ path: "/socket.io", withCredentials: true, transports: ["websocket", "polling"] });
    const flush = () => {
      raf = null;
      const f = store.fleet;
      const a = store.arrays;
      if (!f || !a || store.pending.size === 0) return;
      const changed = applyPending(store.pending, f.indexOf, a);
      if (!changed.length) return;
      const iv = store.inView;
      if (iv) iv.n += inBoxDelta(changed, f.lon, f.lat, a.visible, iv.box);
      const c = store.cells;
      for (const ch of changed) {
        const { cx, cy } = cellOf(f.lon[ch.index]!, f.lat[ch.index]!, c.level);
        const cell = c.byKey.get(cellKey(cx, cy));
        if (cell) {
          cell.counts[ch.from]!--;
          cell.counts[ch.to]!++;
        }
      }
      cb.current.setCounts([...a.counts]);
      cb.current.bumpColors();
      if (c.byKey.size) cb.current.setCells([...c.byKey.values()]);
      setLive((l) => ({ ...l, changes: l.changes + changed.length }));
    };
    socket.on("connect", () => {
      socket.emit("subscribe", "fleet", (r: { ok: boolean; error?: string }) => {
        setLive((l) => ({ ...l, connected: r?.ok !== false }));
      });
      if (selectedRef.current) socket.emit("subscribe", `meter:${selectedRef.current}`, () => {});
    });
    socket.on("disconnect", () => setLive((l) => ({ ...l, connected: false })));
    socket.on("batch", (env: BatchEnvelope<FleetLiveItem>) => {
      if (!env || !Array.isArray(env.items)) return;
      if (env.room === "fleet") {
        const receivedAt = Date.now();
        coalesceItems(store.pending, env.items);
        const recent = store.recent;
        recent.push({ at: receivedAt, items: env.items });
        while (recent.length && recent[0]!.at < receivedAt - REPLAY_MS) recent.shift();
        setLive((l) => ({ ...l, lagMs: Math.max(0, Date.now() - env.sentAt) }));
        raf ??= requestAnimationFrame(flush);
      } else if (env.room === `meter:${selectedRef.current}`) {
        const lines = env.items
          .filter((it): it is FleetLiveItem & { ts: number } => typeof it === "object" && it !== null && typeof (it as FleetLiveItem).ts === "number")
          .map((it) => {
            const x = it as unknown as Partial<Line>;
            return {
              ts: it.ts,
              code: String(x.code ?? it.code ?? ""),
              sev: String(x.sev ?? ""),
              led: String(x.led ?? ""),
              gw: String(x.gw ?? ""),
              step: String(x.step ?? ""),
              job: String(x.job ?? ""),
              msg: String(x.msg ?? ""),
            };
          });
        if (lines.length) cb.current.onMeterLines(lines.sort((a, b) => b.ts - a.ts));
      }
    });
    socketRef.current = socket;
    return () => {
      socket.close();
      socketRef.current = null;
      if (raf !== null) cancelAnimationFrame(raf);
    };
  }, [store, selectedRef]);

  return { live, socketRef };
}
