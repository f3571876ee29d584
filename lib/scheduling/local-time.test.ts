import { describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS, createZoneClock, formatLocal, parseClock, readOffsetMs } from "./local-time";
import { compileWindowRules, createSlotFinder } from "./windows";

const START = Date.parse("2026-01-01T00:00:00Z");

describe("createZoneClock", () => {
  it("finds DST changes to the minute and agrees with Intl every 3 hours through 2026", () => {
    for (const tz of ["America/Denver", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata"]) {
      const clock = createZoneClock(tz, START);
      for (let t = START; t < START + 365 * DAY_MS; t += 3 * HOUR_MS) expect(clock.offsetAt(t)).toBe(readOffsetMs(tz, t));
    }
    const denver = createZoneClock("America/Denver", START);
    const change = Date.parse("2026-03-08T09:00:00Z"); // 02:00 MST
    expect(denver.offsetAt(change - 60_000)).toBe(-7 * HOUR_MS);
    expect(denver.offsetAt(change)).toBe(-6 * HOUR_MS);
    expect(formatLocal(change, denver.offsetAt(change))).toBe("2026-03-08 03:00");
  });

  it("rejects malformed clock times", () => {
    expect(parseClock("22:30")).toBe(1350);
    expect(() => parseClock("24:00")).toThrow();
    expect(() => parseClock("7:00")).toThrow();
  });
});

describe("createSlotFinder", () => {
  it("does not count the repeated fall-back hour as inside a window that starts within it", () => {
    // Denver, 2026-11-01: 01:00-01:59 happens twice; a 01:30-03:00 window is open 01:30-02:00 MDT, closed 01:00-01:30 MST.
    const finder = createSlotFinder(
      "America/Denver",
      compileWindowRules({ offPeak: { start: "01:30", end: "03:00" }, maintenanceWindows: null, blackoutDates: [] }),
      Date.parse("2026-11-01T00:00:00Z"),
    );
    const first = finder.findSlot(Date.parse("2026-11-01T00:00:00Z"), 20 * 60_000)!;
    expect(new Date(first.start).toISOString()).toBe("2026-11-01T07:30:00.000Z");
    const long = finder.findSlot(Date.parse("2026-11-01T00:00:00Z"), 45 * 60_000)!;
    expect(new Date(long.start).toISOString()).toBe("2026-11-01T08:30:00.000Z"); // 01:30 MST
  });
});
