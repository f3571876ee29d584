// Allowed time for one zone: off-peak window ∩ maintenance windows, minus
// blackout dates, all in local wall-clock time, turned into UTC intervals
// lazily, two weeks at a time, so a million-meter plan stays cheap.
import { DAY_MS, MINUTE_MS, createZoneClock, formatClock, formatLocal, formatLocalDay, getWeekday, parseClock, type ZoneClock } from "./local-time";

export const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface MaintenanceWindow {
  days: Weekday[];
  start: string;
  end: string;
}

export interface WindowRules {
  offPeak: { start: string; end: string } | null;
  maintenanceWindows: MaintenanceWindow[] | null;
  blackoutDates: string[];
}

interface CompiledRules {
  offPeak: { startMin: number; endMin: number } | null;
  maintenance: Array<{ days: boolean[]; startMin: number; endMin: number }> | null;
  blackout: Set<string>;
  label: string;
}

type Span = [number, number];

const CHUNK_MS = 14 * DAY_MS;
/** Give up on a zone when nothing fits this far past the cursor. */
export const SEARCH_HORIZON_MS = 400 * DAY_MS;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

export function compileWindowRules(rules: WindowRules): CompiledRules {
  const offPeak = rules.offPeak ? { startMin: parseClock(rules.offPeak.start), endMin: parseClock(rules.offPeak.end) } : null;
  const maintenance = rules.maintenanceWindows?.length
    ? rules.maintenanceWindows.map((w) => {
        const unknown = w.days.filter((d) => !(WEEKDAYS as readonly string[]).includes(d));
        if (unknown.length || !w.days.length) throw new Error(`maintenance window days must be among ${WEEKDAYS.join(",")}`);
        const days = WEEKDAYS.map((d) => w.days.includes(d));
        return { days, startMin: parseClock(w.start), endMin: parseClock(w.end) };
      })
    : null;
  for (const date of rules.blackoutDates) {
    if (!DATE_RE.test(date)) throw new Error(`invalid blackout date "${date}", expected YYYY-MM-DD`);
  }
  const parts = [offPeak ? `${formatClock(offPeak.startMin)}-${formatClock(offPeak.endMin)}` : "any time"];
  if (rules.maintenanceWindows?.length) {
    parts.push(rules.maintenanceWindows.map((w) => `${w.days.join(",")} ${w.start}-${w.end}`).join(" | "));
  }
  return { offPeak, maintenance, blackout: new Set(rules.blackoutDates), label: parts.join(" within ") };
}

function mergeSpans(spans: Span[]): Span[] {
  spans.sort((a, b) => a[0] - b[0]);
  const out: Span[] = [];
  for (const s of spans) {
    const last = out[out.length - 1];
    if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
    else out.push([s[0], s[1]]);
  }
  return out;
}

function intersectSpans(a: Span[], b: Span[]): Span[] {
  const out: Span[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const s = Math.max(a[i][0], b[j][0]);
    const e = Math.min(a[i][1], b[j][1]);
    if (e > s) out.push([s, e]);
    if (a[i][1] < b[j][1]) i++;
    else j++;
  }
  return out;
}

function windowSpan(day: number, startMin: number, endMin: number): Span {
  const s = day * DAY_MS + startMin * MINUTE_MS;
  let e = day * DAY_MS + endMin * MINUTE_MS;
  if (endMin <= startMin) e += DAY_MS; // crosses midnight (equal: a full day)
  return [s, e];
}

/** Allowed spans in local-ms space ("UTC ms + offset"), clipped to [l0, l1). */
function findLocalAllowed(rules: CompiledRules, l0: number, l1: number): Span[] {
  const firstDay = Math.floor(l0 / DAY_MS) - 1; // a window opened the day before may reach in
  const lastDay = Math.floor((l1 - 1) / DAY_MS);
  let allowed: Span[] = [];
  for (let d = firstDay; d <= lastDay; d++) {
    allowed.push(rules.offPeak ? windowSpan(d, rules.offPeak.startMin, rules.offPeak.endMin) : [d * DAY_MS, (d + 1) * DAY_MS]);
  }
  allowed = mergeSpans(allowed);
  if (rules.maintenance) {
    const open: Span[] = [];
    for (let d = firstDay; d <= lastDay; d++) {
      const weekday = getWeekday(d);
      for (const w of rules.maintenance) if (w.days[weekday]) open.push(windowSpan(d, w.startMin, w.endMin));
    }
    allowed = intersectSpans(allowed, mergeSpans(open));
  }
  if (rules.blackout.size) {
    const kept: Span[] = [];
    for (const [s, e] of allowed) {
      let cut = s;
      for (let d = Math.floor(s / DAY_MS); d * DAY_MS < e; d++) {
        if (!rules.blackout.has(formatLocalDay(d))) continue;
        const bs = Math.max(d * DAY_MS, s);
        if (bs > cut) kept.push([cut, bs]);
        cut = Math.min((d + 1) * DAY_MS, e);
      }
      if (e > cut) kept.push([cut, e]);
    }
    allowed = kept;
  }
  return intersectSpans(allowed, [[l0, l1]]);
}

export interface Slot {
  start: number;
  /** The allowed interval the slot lies in (UTC ms). */
  windowStart: number;
  windowEnd: number;
}

export interface SlotFinder {
  timeZone: string;
  clock: ZoneClock;
  label: string;
  /** Earliest start >= cursor whose whole [start, start + durationMs) is allowed. */
  findSlot(cursor: number, durationMs: number): Slot | null;
  formatLocal(utcMs: number): string;
  /** Local date the window holding this slot opened on (a night crossing midnight keeps its first date). */
  getWindowDate(slot: Slot): string;
}

/** Cursors passed to findSlot must never go backwards. */
export function createSlotFinder(timeZone: string, rules: CompiledRules, startMs: number): SlotFinder {
  const clock = createZoneClock(timeZone, startMs);
  const starts: number[] = [];
  const ends: number[] = [];
  let builtUntil = Math.floor(startMs / MINUTE_MS) * MINUTE_MS;
  let ptr = 0;

  function buildChunk(): void {
    const c0 = builtUntil;
    const c1 = c0 + CHUNK_MS;
    for (const seg of clock.segmentsBetween(c0, c1)) {
      for (const [ls, le] of findLocalAllowed(rules, seg.from + seg.offsetMs, seg.to + seg.offsetMs)) {
        const s = ls - seg.offsetMs;
        const e = le - seg.offsetMs;
        const n = ends.length;
        if (n && ends[n - 1] === s)
          ends[n - 1] = e; // continuous across a chunk or offset boundary
        else {
          starts.push(s);
          ends.push(e);
        }
      }
    }
    builtUntil = c1;
  }

  return {
    timeZone,
    clock,
    label: rules.label,
    findSlot(cursor, durationMs) {
      const limit = cursor + SEARCH_HORIZON_MS;
      for (;;) {
        while (ptr < starts.length) {
          const start = Math.max(starts[ptr], cursor);
          if (start >= limit) return null;
          if (ends[ptr] - start >= durationMs) return { start, windowStart: starts[ptr], windowEnd: ends[ptr] };
          const canGrow = ptr === starts.length - 1 && ends[ptr] >= builtUntil && builtUntil < limit + durationMs;
          if (canGrow) break; // the last interval may continue into the next chunk
          ptr++; // too short, and later cursors only shrink it
        }
        if (builtUntil >= limit + durationMs) return null;
        buildChunk();
      }
    },
    formatLocal(utcMs) {
      return formatLocal(utcMs, clock.offsetAt(utcMs));
    },
    getWindowDate(slot) {
      const anchor = rules.offPeak || rules.maintenance ? slot.windowStart : slot.start;
      return formatLocal(anchor, clock.offsetAt(anchor)).slice(0, 10);
    },
  };
}
