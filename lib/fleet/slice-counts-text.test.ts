import { describe, expect, it } from "vitest";
import { describeSlice, describeSliceCounts, describeWindow, labelSliceCounts } from "./slice-counts-text";

describe("slice count labels", () => {
  it("say what each count counts", () => {
    const counts = { meters: 223, withFault: 49, withOpenFault: 12, unhealthy: 8 };
    expect(describeSliceCounts(counts, { slice: { gw: "GW-0042" }, fault: "E105", windowMs: 86_400_000 })).toBe(
      "223 meters behind GW-0042 · 49 with E105 in the last 24 h · 12 with E105 open now · 8 unhealthy now",
    );
    expect(labelSliceCounts(counts, { slice: { gw: "GW-0042" }, fault: "E105", windowMs: 86_400_000 }).map((l) => [l.key, l.value])).toEqual([
      ["meters", 223],
      ["withFault", 49],
      ["withOpenFault", 12],
      ["unhealthy", 8],
    ]);
  });
  it("leave out what was not asked or cannot be counted", () => {
    expect(describeSliceCounts({ meters: 1200, withFault: null, withOpenFault: null, unhealthy: 3 }, { slice: { zone: "hot-dry", kind: "gas" } })).toBe(
      "1,200 gas meters in climate zone hot-dry · 3 unhealthy now",
    );
    expect(describeSliceCounts({ meters: 10, withFault: 4, withOpenFault: null, unhealthy: 0 }, { slice: {}, fault: "led_amber_steady", windowMs: 7 * 86_400_000 })).toBe(
      "10 meters in the fleet · 4 with led_amber_steady in the last 7 days · 0 unhealthy now",
    );
  });
  it("name slices and windows", () => {
    expect(describeSlice({ gw: "GW-1", fwMetrology: "3.4.1", fwComms: "5.4.2" })).toBe("behind GW-1, on firmware 3.4.1/5.4.2");
    expect(describeSlice({})).toBe("in the fleet");
    expect(describeWindow(86_400_000)).toBe("in the last 24 h");
    expect(describeWindow(30 * 86_400_000)).toBe("in the last 30 days");
  });
});
