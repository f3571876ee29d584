// Server-side publishing: lib/ code calls publish(room, event, item); items are
// buffered per (room, event) and flushed as one "batch" message at most every
// FLUSH_MS, so thousands of changes per second stay a few messages per second.
import { FLUSH_MS, type BatchEnvelope } from "./rooms";

export interface Emitter {
  to(room: string): { emit(event: string, payload: unknown): void };
}

const MAX_BUFFER = 50_000;

interface Buffer {
  items: unknown[];
  dropped: number;
}

class Hub {
  private io: Emitter | null = null;
  private buffers = new Map<string, Buffer>();
  private timer: NodeJS.Timeout | null = null;

  attach(io: Emitter) {
    this.io = io;
  }

  detach() {
    this.flush();
    this.io = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  publish(room: string, event: string, item: unknown) {
    if (!this.io) return;
    const key = room + "\u0000" + event;
    let buf = this.buffers.get(key);
    if (!buf) this.buffers.set(key, (buf = { items: [], dropped: 0 }));
    if (buf.items.length >= MAX_BUFFER) buf.dropped++;
    else buf.items.push(item);
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  flush() {
    this.timer = null;
    const io = this.io;
    const buffers = this.buffers;
    this.buffers = new Map();
    if (!io) return;
    const sentAt = Date.now();
    for (const [key, buf] of buffers) {
      const [room, event] = key.split("\u0000") as [string, string];
      const envelope: BatchEnvelope = { event, room, items: buf.items, sentAt, dropped: buf.dropped };
      io.to(room).emit("batch", envelope);
    }
  }
}

const g = globalThis as unknown as { __amiHub?: Hub };
export function getHub(): Hub {
  g.__amiHub ??= new Hub();
  return g.__amiHub;
}

export function publish(room: string, event: string, item: unknown) {
  getHub().publish(room, event, item);
}
