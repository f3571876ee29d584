import { describe, expect, it } from "vitest";
import { isAppError } from "@/lib/errors";
import { parseSliceCountsParams } from "./slice-counts";

describe("parseSliceCountsParams", () => {
  it("reads the map's and the faults page's link parameters", () => {
    expect(parseSliceCountsParams(new URLSearchParams("gw=GW-0042&fault=E105&since=24h&fw=3.4.1/5.4.2&state=amber_steady"))).toEqual({
      slice: { gw: "GW-0042", fwMetrology: "3.4.1", fwComms: "5.4.2" },
      fault: "E105",
      windowMs: 86_400_000,
    });
    expect(parseSliceCountsParams(new URLSearchParams("kind=gas&since=7d"))).toEqual({ slice: { kind: "gas" }, windowMs: 7 * 86_400_000 });
  });
  it("names a bad parameter", () => {
    const err = (() => {
      try {
        parseSliceCountsParams(new URLSearchParams("gw=GW 42;drop"));
      } catch (e) {
        return e;
      }
    })();
    expect(isAppError(err) && err.message).toBe("gw: not a valid value");
    expect(() => parseSliceCountsParams(new URLSearchParams("since=yesterday"))).toThrow("since: not a valid value");
  });
});
