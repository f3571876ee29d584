import { describe, expect, it } from "vitest";
import { DEFAULT_TIME_RANGE, parseIsoInstant, parseLogSearchParams, resolveTimeRange, serializeLogSearchParams, validateTimeRange, type TimeRange } from "./time-range";

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe("resolveTimeRange", () => {
  it.each<[string, number]>([
    ["15m", 15 * 60_000],
    ["1h", HOUR],
    ["6h", 6 * HOUR],
    ["24h", DAY],
    ["7d", 7 * DAY],
    ["30d", 30 * DAY],
  ])("preset %s ends at now", (preset, span) => {
    expect(resolveTimeRange({ kind: "preset", preset } as TimeRange, NOW)).toEqual({ from: NOW - span, to: NOW });
  });

  it("accepts now as a Date and passes absolute ranges through", () => {
    expect(resolveTimeRange(DEFAULT_TIME_RANGE, new Date(NOW))).toEqual({ from: NOW - HOUR, to: NOW });
    expect(resolveTimeRange({ kind: "absolute", from: 1, to: 2 }, NOW)).toEqual({ from: 1, to: 2 });
  });
});

describe("parseIsoInstant", () => {
  it.each<[string, number]>([
    ["2024-05-01", Date.UTC(2024, 4, 1)],
    ["2024-05-01T10:20", Date.UTC(2024, 4, 1, 10, 20)],
    ["2024-05-01T10:20:30Z", Date.UTC(2024, 4, 1, 10, 20, 30)],
    ["2024-05-01T10:20:30.123Z", Date.UTC(2024, 4, 1, 10, 20, 30, 123)],
    ["2024-05-01T10:20:30.1234567Z", Date.UTC(2024, 4, 1, 10, 20, 30, 123)],
    ["2024-05-01 10:20:30", Date.UTC(2024, 4, 1, 10, 20, 30)],
    ["2024-05-01T10:20:30+02:00", Date.UTC(2024, 4, 1, 8, 20, 30)],
    ["2024-05-01T10:20:30-0530", Date.UTC(2024, 4, 1, 15, 50, 30)],
  ])("%s", (text, ms) => {
    expect(parseIsoInstant(text)).toBe(ms);
  });

  it("treats a missing offset as UTC, not the host zone", () => {
    expect(parseIsoInstant("2024-01-01T00:00:00")).toBe(Date.UTC(2024, 0, 1));
  });

  it.each(["", "yesterday", "2024-13-01", "2024-02-30", "2024-05-01T24:00", "1899-12-31", "2300-01-01", "1714557600000", "2024-05-01T10"])("refuses %j", (text) => {
    expect(parseIsoInstant(text)).toBeNull();
  });
});

describe("validateTimeRange", () => {
  it("accepts presets and ranges up to 90 days", () => {
    expect(validateTimeRange({ kind: "preset", preset: "7d" })).toEqual({ ok: true });
    expect(validateTimeRange({ kind: "absolute", from: NOW - 90 * DAY, to: NOW })).toEqual({ ok: true });
  });

  it.each<[TimeRange, string]>([
    [{ kind: "absolute", from: NOW, to: NOW }, "The start of the time range must be before its end"],
    [{ kind: "absolute", from: NOW, to: NOW - 1 }, "The start of the time range must be before its end"],
    [{ kind: "absolute", from: NOW - 90 * DAY - 1, to: NOW }, "The time range can span at most 90 days"],
    [{ kind: "absolute", from: Number.NaN, to: NOW }, "The time range needs valid from and to dates"],
    [{ kind: "preset", preset: "2h" } as unknown as TimeRange, 'Unknown range "2h": use one of 15m, 1h, 6h, 24h, 7d, 30d'],
    [{ kind: "preset", preset: "toString" } as unknown as TimeRange, 'Unknown range "toString": use one of 15m, 1h, 6h, 24h, 7d, 30d'],
  ])("refuses %j", (range, message) => {
    expect(validateTimeRange(range)).toEqual({ ok: false, message });
  });
});

describe("parseLogSearchParams", () => {
  it("defaults to the last hour and an empty query", () => {
    expect(parseLogSearchParams({})).toEqual({ q: "", range: DEFAULT_TIME_RANGE, error: null });
    expect(DEFAULT_TIME_RANGE).toEqual({ kind: "preset", preset: "1h" });
    expect(parseLogSearchParams(new URLSearchParams("range="))).toEqual({ q: "", range: DEFAULT_TIME_RANGE, error: null });
  });

  it("reads q and a preset from URLSearchParams or a Next.js searchParams record", () => {
    const expected = { q: "code:E105 rssi:<-95", range: { kind: "preset", preset: "6h" }, error: null };
    expect(parseLogSearchParams(new URLSearchParams("q=code%3AE105+rssi%3A%3C-95&range=6h"))).toEqual(expected);
    expect(parseLogSearchParams({ q: ["code:E105 rssi:<-95", "ignored"], range: "6h" })).toEqual(expected);
  });

  it("reads an absolute range, which wins over a preset", () => {
    const sp = new URLSearchParams({ range: "7d", from: "2024-05-01T00:00:00Z", to: "2024-05-01T06:30:00.500Z" });
    expect(parseLogSearchParams(sp)).toEqual({
      q: "",
      range: { kind: "absolute", from: Date.UTC(2024, 4, 1), to: Date.UTC(2024, 4, 1, 6, 30, 0, 500) },
      error: null,
    });
  });

  it.each<[Record<string, string>, string]>([
    [{ range: "2h" }, 'Unknown range "2h": use one of 15m, 1h, 6h, 24h, 7d, 30d'],
    [{ from: "2024-05-01T00:00:00Z" }, "An absolute time range needs both from and to"],
    [{ to: "2024-05-01T00:00:00Z" }, "An absolute time range needs both from and to"],
    [{ from: "last tuesday", to: "2024-05-01T00:00:00Z" }, '"from" is not a date: use ISO 8601, e.g. 2024-05-01T10:00:00Z'],
    [{ from: "2024-05-01T00:00:00Z", to: "soon" }, '"to" is not a date: use ISO 8601, e.g. 2024-05-01T11:00:00Z'],
    [{ from: "2024-05-02", to: "2024-05-01" }, "The start of the time range must be before its end"],
    [{ from: "2024-01-01", to: "2024-05-01" }, "The time range can span at most 90 days"],
  ])("falls back to the default with a clear error for %j", (params, error) => {
    expect(parseLogSearchParams({ q: "x", ...params })).toEqual({ q: "x", range: DEFAULT_TIME_RANGE, error });
  });
});

describe("serializeLogSearchParams", () => {
  it("writes only what differs from the defaults", () => {
    expect(serializeLogSearchParams({ q: "", range: DEFAULT_TIME_RANGE }).toString()).toBe("");
    expect(serializeLogSearchParams({ q: "  ", range: { kind: "preset", preset: "24h" } }).toString()).toBe("range=24h");
  });

  it("round-trips queries, presets and absolute ranges", () => {
    const cases: { q: string; range: TimeRange }[] = [
      { q: 'code:(E105 OR E001) msg:"after 3" & = ?', range: { kind: "preset", preset: "30d" } },
      { q: "rssi:<-95", range: { kind: "absolute", from: Date.UTC(2024, 4, 1, 1, 2, 3, 4), to: Date.UTC(2024, 4, 2) } },
    ];
    for (const c of cases) {
      const sp = serializeLogSearchParams(c);
      expect(parseLogSearchParams(new URLSearchParams(sp.toString()))).toEqual({ ...c, error: null });
    }
    expect(serializeLogSearchParams(cases[1]).get("from")).toBe("2024-05-01T01:02:03.004Z");
  });
});
