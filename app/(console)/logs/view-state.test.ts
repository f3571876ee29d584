import { describe, expect, it } from "vitest";
import { parseViewState, rangeFromText, rangeToText, serializeViewState } from "./view-state";

describe("explorer view state in the URL", () => {
  it("round-trips q, range, columns, stack and order", () => {
    const sp = new URLSearchParams("q=code%3AE105+gw%3AGW-0042&range=24h&cols=ts,meter,msg&stack=code&order=asc");
    const view = parseViewState(sp);
    expect(view).toEqual({
      q: "code:E105 gw:GW-0042",
      range: { kind: "preset", preset: "24h" },
      rangeError: null,
      cols: ["ts", "meter", "msg"],
      stack: "code",
      order: "asc",
    });
    expect(parseViewState(new URLSearchParams(serializeViewState(view)))).toEqual(view);
  });

  it("reads the links other pages build", () => {
    expect(parseViewState(new URLSearchParams("q=meter:EM-0012345&range=30d"))).toMatchObject({
      q: "meter:EM-0012345",
      range: { kind: "preset", preset: "30d" },
      cols: null,
      stack: "sev",
      order: "desc",
    });
  });

  it("keeps absolute ranges exact and drops unknown columns", () => {
    const view = parseViewState(new URLSearchParams("from=2026-11-24T00:00:00.000Z&to=2026-11-24T06:00:00.000Z&cols=ts,nope"));
    expect(view.range).toEqual({ kind: "absolute", from: Date.UTC(2026, 10, 24), to: Date.UTC(2026, 10, 24, 6) });
    expect(view.cols).toEqual(["ts"]);
    expect(rangeToText(view.range)).toBe("2026-11-24T00:00:00.000Z/2026-11-24T06:00:00.000Z");
    expect(Object.fromEntries(rangeFromText(rangeToText(view.range)))).toEqual({ from: "2026-11-24T00:00:00.000Z", to: "2026-11-24T06:00:00.000Z" });
    expect(Object.fromEntries(rangeFromText("7d"))).toEqual({ range: "7d" });
  });
});
