import { describe, expect, it, vi } from "vitest";

const hooks: ((socket: unknown, user: unknown, room: string) => void)[] = [];
vi.mock("@/lib/realtime/socket-server", () => ({ onRoomJoin: (h: (typeof hooks)[number]) => hooks.push(h) }));

const { LiveTail, LIVE_TAIL_EVENT, getLiveTail } = await import("./live-tail");
import type { LiveTailMessage } from "./live-tail";

const T0 = Date.UTC(2026, 10, 25, 3, 0, 0);

function rec(i: number, partial: Record<string, unknown> = {}) {
  return { ts: T0 + i, meter: `EM-${String(i).padStart(7, "0")}`, gw: "GW-0042", code: "E105", sev: "error", msg: `line ${i}`, attrs: {}, rssi: null, ...partial };
}

function fakeSocket(id: string) {
  const sent: LiveTailMessage[] = [];
  return { id, sent, emit: (event: string, payload: unknown) => event === LIVE_TAIL_EVENT && sent.push(payload as LiveTailMessage) };
}

describe("LiveTail", () => {
  it("sends nothing until the subscription has a filter, then only matching lines", () => {
    const tail = new LiveTail({ autoTick: false, now: () => 1 });
    const s = fakeSocket("a");
    tail.add(s);
    tail.feed([rec(1)], "file:x");
    tail.tick();
    expect(s.sent).toHaveLength(0);
    expect(tail.setFilter("a", "code:E105 -meter:EM-0000002")).toEqual({ ok: true });
    tail.feed([rec(1), rec(2), rec(3, { code: "HEARTBEAT" })], "file:x");
    tail.tick();
    expect(s.sent).toHaveLength(1);
    expect(s.sent[0]!.items.map((i) => i.meter)).toEqual(["EM-0000001"]);
    expect(s.sent[0]!.items[0]!.ts).toBe(new Date(T0 + 1).toISOString());
    expect(s.sent[0]!.items[0]!.source).toBe("file:x");
    expect(s.sent[0]!.skipped).toBe(0);
  });

  it("filters per subscriber", () => {
    const tail = new LiveTail({ autoTick: false });
    const a = fakeSocket("a");
    const b = fakeSocket("b");
    tail.add(a);
    tail.add(b);
    tail.setFilter("a", "meter:EM-0000001");
    tail.setFilter("b", "timeout OR meter:EM-0000002");
    tail.feed([rec(1), rec(2), rec(3, { msg: "RF timeout" })]);
    tail.tick();
    expect(a.sent.flatMap((m) => m.items.map((i) => i.meter))).toEqual(["EM-0000001"]);
    expect(b.sent.flatMap((m) => m.items.map((i) => i.meter))).toEqual(["EM-0000002", "EM-0000003"]);
  });

  it("throttles to linesPerTick and counts what it had to skip", () => {
    const tail = new LiveTail({ autoTick: false, linesPerTick: 5, maxQueue: 20 });
    const s = fakeSocket("a");
    tail.add(s);
    tail.setFilter("a", "");
    tail.feed(Array.from({ length: 100 }, (_, i) => rec(i)));
    tail.tick();
    expect(s.sent[0]!.items).toHaveLength(5);
    expect(s.sent[0]!.skipped).toBe(80);
    // The newest lines are the ones kept.
    expect(s.sent[0]!.items[0]!.meter).toBe("EM-0000080");
    for (let i = 0; i < 3; i++) tail.tick();
    const sent = s.sent.reduce((n, m) => n + m.items.length, 0);
    const skipped = s.sent.reduce((n, m) => n + m.skipped, 0);
    expect(sent).toBe(20);
    expect(sent + skipped).toBe(100);
    tail.tick();
    expect(s.sent).toHaveLength(4);
  });

  it("refuses a bad filter with its position and stops matching", () => {
    const tail = new LiveTail({ autoTick: false });
    const s = fakeSocket("a");
    tail.add(s);
    tail.setFilter("a", "");
    const r = tail.setFilter("a", "code:(E105");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.position).toBe(5);
    tail.feed([rec(1)]);
    tail.tick();
    expect(s.sent).toHaveLength(0);
    expect(tail.setFilter("nobody", "").ok).toBe(false);
  });

  it("stops sending after remove (unsubscribe / disconnect)", () => {
    const tail = new LiveTail({ autoTick: false });
    const s = fakeSocket("a");
    tail.add(s);
    tail.setFilter("a", "");
    tail.remove("a");
    tail.feed([rec(1)]);
    tail.tick();
    expect(s.sent).toHaveLength(0);
    expect(tail.size).toBe(0);
  });

  it("sends on its own timer, and the join hook wires socket events", async () => {
    expect(hooks).toHaveLength(1);
    const handlers = new Map<string, (...args: unknown[]) => void>();
    const sent: LiveTailMessage[] = [];
    const socket = {
      id: "sock-1",
      data: {} as Record<string, unknown>,
      emit: (e: string, p: unknown) => e === LIVE_TAIL_EVENT && sent.push(p as LiveTailMessage),
      on: (e: string, h: (...args: unknown[]) => void) => handlers.set(e, h),
    };
    hooks[0]!(socket, { id: "u" }, "fleet");
    expect(handlers.size).toBe(0);
    hooks[0]!(socket, { id: "u" }, "logs");
    const ack = vi.fn();
    handlers.get(LIVE_TAIL_EVENT)!({ q: "code:E105" }, ack);
    expect(ack).toHaveBeenCalledWith({ ok: true });
    vi.useFakeTimers();
    try {
      getLiveTail().feed([rec(1), rec(2, { code: "E001" })]);
      vi.advanceTimersByTime(600);
      expect(sent.flatMap((m) => m.items.map((i) => i.code))).toEqual(["E105"]);
      handlers.get("unsubscribe")!("logs");
      getLiveTail().feed([rec(3)]);
      vi.advanceTimersByTime(600);
      expect(sent).toHaveLength(1);
    } finally {
      getLiveTail().close();
      vi.useRealTimers();
    }
  });
});

describe("LiveTail: costly lines (issue 24 #1)", () => {
  it("matches a pathological query against long lines promptly and counts a line over the work bound as skipped", () => {
    const tail = new LiveTail({ autoTick: false });
    const s = fakeSocket("a");
    tail.add(s);
    expect(tail.setFilter("a", "msg:*e*e*e*e*e*e*e*e*e*e*Z")).toEqual({ ok: true });
    tail.feed([rec(1, { msg: "e a ".repeat(25_000) }), rec(2, { msg: "e a ".repeat(25_000) + "Z" })]);
    tail.tick();
    expect(s.sent[0]!.items.map((i) => i.meter)).toEqual(["EM-0000002"]);
    expect(s.sent[0]!.skipped).toBe(0);
    expect(tail.setFilter("a", `meter:*a?${"a".repeat(1000)}b*`)).toEqual({ ok: true });
    tail.feed([rec(3, { meter: "a".repeat(50_000) }), rec(4, { meter: `a-${"a".repeat(1000)}b` })]);
    tail.tick();
    expect(s.sent[1]!.items.map((i) => i.meter)).toEqual([`a-${"a".repeat(1000)}b`]);
    expect(s.sent[1]!.skipped).toBe(1);
  });
});
