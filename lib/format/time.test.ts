import { describe, expect, it } from "vitest";
import { formatClickHouseTime } from "@/lib/clickhouse/time";
import { formatUtc } from "./time";

describe("formatUtc", () => {
  const t = Date.UTC(2026, 10, 25, 3, 14, 7, 512);
  it("shows minutes by default, seconds and the zone when asked, from ms, Date or ISO text", () => {
    expect(formatUtc(t)).toBe("2026-11-25 03:14");
    expect(formatUtc(new Date(t), { seconds: true })).toBe("2026-11-25 03:14:07");
    expect(formatUtc("2026-11-25T04:14:07.512+01:00", { zone: true })).toBe("2026-11-25 03:14 UTC");
    expect(formatUtc(null)).toBe("—");
  });
});

describe("formatClickHouseTime", () => {
  it("gives DateTime64(3) text, or DateTime text with precision s, and refuses what ClickHouse cannot hold", () => {
    expect(formatClickHouseTime(Date.UTC(2026, 10, 25, 3, 14, 7, 512), "s")).toBe("2026-11-25 03:14:07");
    expect(() => formatClickHouseTime(NaN)).toThrow(RangeError);
    expect(() => formatClickHouseTime(Date.UTC(2300, 0, 1))).toThrow(RangeError);
  });
});
