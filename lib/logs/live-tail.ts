/**
 * Live tail of accepted audit lines, filtered per subscription on the server.
 *
 *   client: emit("subscribe", "logs", ack)  -> role checked by lib/realtime (logs.view)
 *           emit("logs:tail", { q }, ack)   -> ack { ok } | { ok: false, error: { message, position, length } }
 *           on("logs:tail", { items, skipped, sentAt })   at most ~10 lines/s; skipped = lines not sent since the last message
 *           emit("unsubscribe", "logs")     -> stops (the page does this when the tab is hidden)
 *   ingest: feedLiveTail(records, source)   after a batch committed (one call in ingest/writer.ts)
 *
 * No polling: lines are pushed as the writer commits them. A subscription matches nothing until its
 * filter is set, so nobody receives unfiltered lines.
 */
import { TIME_COLUMNS } from "@/lib/audit/columns";
import type { AuditRecord } from "@/lib/audit/record";
import { onRoomJoin } from "@/lib/realtime/socket-server";
import { compileMatcher, MatchBudgetExceeded, type MatchableRecord } from "./match";
import { parseQuery, type QueryError } from "./query-parser";

export const LIVE_TAIL_ROOM = "logs";
export const LIVE_TAIL_EVENT = "logs:tail";
/** A person reads ~10 lines/s: send at most LINES_PER_TICK every TICK_MS. */
export const TICK_MS = 500;
export const LINES_PER_TICK = 5;
/** Lines waiting per subscriber; older ones beyond this are counted as skipped. */
export const MAX_QUEUE = 20;

export interface LiveTailMessage {
  items: LiveTailItem[];
  skipped: number;
  sentAt: number;
}

/** A line as the table renders it: the search API's row shape (times as ISO strings). */
export type LiveTailItem = Record<string, unknown> & { ts: string; id: string };

export interface TailSocket {
  id: string;
  emit(event: string, payload: unknown): unknown;
}

interface Subscription {
  socket: TailSocket;
  match: ((r: MatchableRecord) => boolean) | null;
  queue: LiveTailItem[];
  skipped: number;
}

function toItem(record: MatchableRecord, source: string | undefined, seq: number): LiveTailItem {
  const item: Record<string, unknown> = { ...record };
  for (const f of TIME_COLUMNS) {
    const v = record[f];
    if (typeof v === "number" && Number.isFinite(v)) item[f] = new Date(v).toISOString();
  }
  if (source !== undefined && item.source === undefined) item.source = source;
  // Lines fed before the writer assigns ids get a process-unique one (React keys, never a cursor).
  item.id = typeof record.id === "string" && record.id ? record.id : `live-${seq}`;
  return item as LiveTailItem;
}

export class LiveTail {
  private subs = new Map<string, Subscription>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private seq = 0;

  constructor(private readonly opts: { tickMs?: number; linesPerTick?: number; maxQueue?: number; now?: () => number; autoTick?: boolean } = {}) {}

  get size(): number {
    return this.subs.size;
  }

  /** Called once the room join passed its permission check. */
  add(socket: TailSocket): void {
    if (!this.subs.has(socket.id)) this.subs.set(socket.id, { socket, match: null, queue: [], skipped: 0 });
  }

  remove(socketId: string): void {
    this.subs.delete(socketId);
    if (this.subs.size === 0) this.stopTimer();
  }

  /** Set or replace the filter; an unparsable query leaves the subscription matching nothing. */
  setFilter(socketId: string, q: unknown): { ok: true } | { ok: false; error: QueryError } {
    const sub = this.subs.get(socketId);
    if (!sub) return { ok: false, error: { message: "Subscribe to the logs room first", position: 0, length: 0 } };
    const parsed = parseQuery(typeof q === "string" ? q : "");
    sub.queue = [];
    sub.skipped = 0;
    if (!parsed.ok) {
      sub.match = null;
      return { ok: false, error: parsed.error };
    }
    sub.match = compileMatcher(parsed.ast);
    return { ok: true };
  }

  /** Committed lines from the writer: matched per subscription now, sent on the next tick. */
  feed(records: readonly MatchableRecord[], source?: string): void {
    if (this.subs.size === 0 || records.length === 0) return;
    const maxQueue = this.opts.maxQueue ?? MAX_QUEUE;
    for (const record of records) {
      let item: LiveTailItem | null = null;
      for (const sub of this.subs.values()) {
        if (!sub.match) continue;
        let ok: boolean;
        try {
          ok = sub.match(record);
        } catch (err) {
          // A line too costly to match is one the subscriber does not see: say so, as for overflow.
          if (err instanceof MatchBudgetExceeded) sub.skipped++;
          ok = false;
        }
        if (!ok) continue;
        item ??= toItem(record, source, ++this.seq);
        sub.queue.push(item);
        if (sub.queue.length > maxQueue) {
          sub.queue.shift();
          sub.skipped++;
        }
      }
    }
    if (this.opts.autoTick !== false) this.startTimer();
  }

  /** Send each subscriber up to linesPerTick queued lines plus its skipped count. */
  tick(): void {
    const perTick = this.opts.linesPerTick ?? LINES_PER_TICK;
    const now = (this.opts.now ?? Date.now)();
    let idle = true;
    for (const sub of this.subs.values()) {
      if (sub.queue.length === 0 && sub.skipped === 0) continue;
      const items = sub.queue.splice(0, perTick);
      const message: LiveTailMessage = { items, skipped: sub.skipped, sentAt: now };
      sub.skipped = 0;
      try {
        sub.socket.emit(LIVE_TAIL_EVENT, message);
      } catch {
        this.subs.delete(sub.socket.id);
      }
      if (sub.queue.length > 0) idle = false;
    }
    if (idle) this.stopTimer();
  }

  private startTimer() {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.opts.tickMs ?? TICK_MS);
    this.timer.unref?.();
  }

  private stopTimer() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  close(): void {
    this.stopTimer();
    this.subs.clear();
  }
}

const g = globalThis as unknown as { __amiLiveTail?: LiveTail; __amiLiveTailInstalled?: boolean };

export function getLiveTail(): LiveTail {
  g.__amiLiveTail ??= new LiveTail();
  return g.__amiLiveTail;
}

/** Hand committed lines to the live tail (cheap when nobody is subscribed). */
export function feedLiveTail(records: readonly AuditRecord[] | readonly MatchableRecord[], source?: string): void {
  // AuditRecord is an interface (no index signature): same fields, read by name.
  getLiveTail().feed(records as readonly MatchableRecord[], source);
}

/** Register the socket.io join hook once per process (runs on import). */
export function installLiveTail(): void {
  if (g.__amiLiveTailInstalled) return;
  g.__amiLiveTailInstalled = true;
  onRoomJoin((socket, _user, room) => {
    if (room !== LIVE_TAIL_ROOM) return;
    const tail = getLiveTail();
    tail.add(socket);
    if (socket.data.__liveTailHandlers) return;
    socket.data.__liveTailHandlers = true;
    socket.on(LIVE_TAIL_EVENT, (payload: unknown, ack?: unknown) => {
      const q = payload && typeof payload === "object" ? (payload as { q?: unknown }).q : undefined;
      const result = tail.setFilter(socket.id, q);
      if (typeof ack === "function") ack(result);
    });
    socket.on("unsubscribe", (r: unknown) => {
      if (r === LIVE_TAIL_ROOM) tail.remove(socket.id);
    });
    socket.on("disconnect", () => tail.remove(socket.id));
  });
}

installLiveTail();
