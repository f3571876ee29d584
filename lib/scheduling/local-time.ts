// Wall-clock arithmetic in IANA time zones without a per-meter Intl call:
// each zone's UTC offset is read once per day and cached as constant-offset
// segments; a change between two samples is bisected to the minute.

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

const CLOCK_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** "HH:MM" -> minutes since local midnight; throws on anything else. */
export function parseClock(value: string): number {
  const match = CLOCK_RE.exec(value);
  if (!match) throw new Error(`invalid clock time "${value}", expected HH:MM`);
  return Number(match[1]) * 60 + Number(match[2]);
}

export function formatClock(minutes: number): string {
  const m = ((minutes % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function getFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    getFormatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** UTC offset (local minus UTC, in ms) of a zone at an instant, straight from Intl. */
export function readOffsetMs(timeZone: string, utcMs: number): number {
  const fields: Record<string, number> = {};
  for (const part of getFormatter(timeZone).formatToParts(new Date(utcMs))) {
    if (part.type !== "literal") fields[part.type] = Number(part.value);
  }
  const asUtc = Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second);
  return asUtc - (utcMs - (((utcMs % 1000) + 1000) % 1000));
}

export interface OffsetSegment {
  from: number;
  to: number;
  offsetMs: number;
}

export interface ZoneClock {
  timeZone: string;
  offsetAt(utcMs: number): number;
  /** Constant-offset pieces covering [from, to). */
  segmentsBetween(from: number, to: number): OffsetSegment[];
}

/** Cached offsets for one zone; assumes at most one offset change per day. */
export function createZoneClock(timeZone: string, startMs: number): ZoneClock {
  const coveredFrom = Math.floor(startMs / MINUTE_MS) * MINUTE_MS - DAY_MS;
  const froms: number[] = [coveredFrom];
  const offsets: number[] = [readOffsetMs(timeZone, coveredFrom)];
  let coveredTo = coveredFrom;

  function ensureCovered(untilMs: number): void {
    while (coveredTo < untilMs) {
      const next = coveredTo + DAY_MS;
      const offset = readOffsetMs(timeZone, next);
      if (offset !== offsets[offsets.length - 1]) {
        let lo = coveredTo;
        let hi = next;
        while (hi - lo > MINUTE_MS) {
          const mid = lo + Math.floor((hi - lo) / 2 / MINUTE_MS) * MINUTE_MS;
          if (readOffsetMs(timeZone, mid) === offset) hi = mid;
          else lo = mid;
        }
        froms.push(hi);
        offsets.push(offset);
      }
      coveredTo = next;
    }
  }

  function indexAt(utcMs: number): number {
    let lo = 0;
    let hi = froms.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (froms[mid] <= utcMs) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  return {
    timeZone,
    offsetAt(utcMs) {
      if (utcMs < coveredFrom) return readOffsetMs(timeZone, utcMs);
      ensureCovered(utcMs + 1);
      return offsets[indexAt(utcMs)];
    },
    segmentsBetween(from, to) {
      ensureCovered(to);
      const out: OffsetSegment[] = [];
      if (from < coveredFrom) {
        out.push({ from, to: Math.min(to, coveredFrom), offsetMs: readOffsetMs(timeZone, from) });
        from = coveredFrom;
      }
      for (let i = indexAt(from); i < froms.length && froms[i] < to; i++) {
        const end = i + 1 < froms.length ? froms[i + 1] : coveredTo;
        const segFrom = Math.max(froms[i], from);
        const segTo = Math.min(end, to);
        if (segTo > segFrom) out.push({ from: segFrom, to: segTo, offsetMs: offsets[i] });
      }
      return out;
    },
  };
}

/** Local epoch day (days since 1970-01-01 in local time) -> "YYYY-MM-DD". */
export function formatLocalDay(localDay: number): string {
  return new Date(localDay * DAY_MS).toISOString().slice(0, 10);
}

/** 0 = Sunday ... 6 = Saturday; 1970-01-01 was a Thursday. */
export function getWeekday(localDay: number): number {
  return (((localDay + 4) % 7) + 7) % 7;
}

/** Local wall-clock "YYYY-MM-DD HH:MM" of an instant, given the offset in force. */
export function formatLocal(utcMs: number, offsetMs: number): string {
  return new Date(utcMs + offsetMs).toISOString().slice(0, 16).replace("T", " ");
}
