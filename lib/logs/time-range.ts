/**
 * Log explorer time range: presets, absolute ranges, URL search params. Pure (pass `now`).
 *
 *   parseLogSearchParams(sp)            -> { q, range, error }   range falls back to the default on error
 *   serializeLogSearchParams({ q, range }) -> URLSearchParams    (q, range=<preset> | from=<ISO>&to=<ISO>)
 *   resolveTimeRange(range, now)        -> { from, to }           epoch ms, from inclusive, to exclusive
 *   validateTimeRange(range)            -> { ok: true } | { ok: false, message }
 *   parseIsoInstant(text)               -> epoch ms | null        ISO 8601; no offset means UTC
 *
 * URL form: `?q=code:E105&range=6h` or `?q=...&from=2024-05-01T00:00:00.000Z&to=2024-05-02T00:00:00.000Z`.
 * from/to win over range when both are present. Absolute ranges: from < to, span at most 90 days.
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

export const TIME_RANGE_PRESETS = {
  "15m": 15 * MINUTE_MS,
  "1h": HOUR_MS,
  "6h": 6 * HOUR_MS,
  "24h": 24 * HOUR_MS,
  "7d": 7 * DAY_MS,
  "30d": 30 * DAY_MS,
} as const;
export type TimeRangePreset = keyof typeof TIME_RANGE_PRESETS;
export const TIME_RANGE_PRESET_LIST = Object.keys(TIME_RANGE_PRESETS) as TimeRangePreset[];

export type TimeRange = { kind: "preset"; preset: TimeRangePreset } | { kind: "absolute"; from: number; to: number }; // epoch ms UTC

const DEFAULT_PRESET: TimeRangePreset = "1h";
export const DEFAULT_TIME_RANGE: TimeRange = { kind: "preset", preset: DEFAULT_PRESET };
export const MAX_TIME_RANGE_MS = 90 * DAY_MS;

/** What Next.js hands a page as `searchParams`, or a URLSearchParams. */
export type SearchParamsInput = URLSearchParams | Record<string, string | string[] | undefined>;

export interface LogSearchParams {
  q: string;
  range: TimeRange;
  /** Why the range in the URL was refused (range is then the default), or null. */
  error: string | null;
}

const ISO_INSTANT_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;
// DateTime64 holds 1900..2299; anything outside is a typo, not a log time.
const MIN_YEAR = 1900;
const MAX_YEAR = 2299;

/** ISO 8601 date or date-time to epoch ms; a missing offset means UTC (never the host zone). */
export function parseIsoInstant(text: string): number | null {
  const m = ISO_INSTANT_RE.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h = "00", mi = "00", s = "00", frac = "", zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (year < MIN_YEAR || year > MAX_YEAR || month < 1 || month > 12 || day < 1 || day > 31) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  const ms = frac ? Number(frac.slice(0, 3).padEnd(3, "0")) : 0;
  const base = Date.UTC(year, month - 1, day, Number(h), Number(mi), Number(s), ms);
  // Date.UTC rolls Feb 30 over to March; refuse instead of guessing.
  if (new Date(base).getUTCDate() !== day) return null;
  let offsetMin = 0;
  if (zone && zone.toUpperCase() !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
  }
  return base - offsetMin * MINUTE_MS;
}

export function validateTimeRange(range: TimeRange): { ok: true } | { ok: false; message: string } {
  if (range.kind === "preset") {
    return Object.hasOwn(TIME_RANGE_PRESETS, range.preset)
      ? { ok: true }
      : { ok: false, message: `Unknown range "${range.preset}": use one of ${TIME_RANGE_PRESET_LIST.join(", ")}` };
  }
  if (!Number.isFinite(range.from) || !Number.isFinite(range.to)) {
    return { ok: false, message: "The time range needs valid from and to dates" };
  }
  if (range.from >= range.to) return { ok: false, message: "The start of the time range must be before its end" };
  if (range.to - range.from > MAX_TIME_RANGE_MS) {
    return { ok: false, message: "The time range can span at most 90 days" };
  }
  return { ok: true };
}

/** Concrete [from, to) in epoch ms; presets end at `now`. */
export function resolveTimeRange(range: TimeRange, now: Date | number): { from: number; to: number } {
  if (range.kind === "absolute") return { from: range.from, to: range.to };
  const nowMs = typeof now === "number" ? now : now.getTime();
  return { from: nowMs - TIME_RANGE_PRESETS[range.preset], to: nowMs };
}

function readParam(sp: SearchParamsInput, name: string): string | undefined {
  if (sp instanceof URLSearchParams) return sp.get(name) ?? undefined;
  const value = sp[name];
  return Array.isArray(value) ? value[0] : value;
}

export function parseLogSearchParams(sp: SearchParamsInput): LogSearchParams {
  const q = readParam(sp, "q") ?? "";
  const fail = (error: string): LogSearchParams => ({ q, range: DEFAULT_TIME_RANGE, error });
  const fromText = readParam(sp, "from");
  const toText = readParam(sp, "to");
  if (fromText !== undefined || toText !== undefined) {
    if (!fromText || !toText) return fail("An absolute time range needs both from and to");
    const from = parseIsoInstant(fromText);
    if (from === null) return fail(`"from" is not a date: use ISO 8601, e.g. 2024-05-01T10:00:00Z`);
    const to = parseIsoInstant(toText);
    if (to === null) return fail(`"to" is not a date: use ISO 8601, e.g. 2024-05-01T11:00:00Z`);
    const range: TimeRange = { kind: "absolute", from, to };
    const check = validateTimeRange(range);
    return check.ok ? { q, range, error: null } : fail(check.message);
  }
  const rangeText = readParam(sp, "range");
  if (rangeText === undefined || rangeText === "") return { q, range: DEFAULT_TIME_RANGE, error: null };
  const range = { kind: "preset", preset: rangeText } as TimeRange;
  const check = validateTimeRange(range);
  return check.ok ? { q, range, error: null } : fail(check.message);
}

/** Inverse of parseLogSearchParams; leaves out an empty q and the default range. */
export function serializeLogSearchParams({ q, range }: { q: string; range: TimeRange }): URLSearchParams {
  const sp = new URLSearchParams();
  if (q.trim() !== "") sp.set("q", q);
  if (range.kind === "absolute") {
    sp.set("from", new Date(range.from).toISOString());
    sp.set("to", new Date(range.to).toISOString());
  } else if (range.preset !== DEFAULT_PRESET) {
    sp.set("range", range.preset);
  }
  return sp;
}
