import { describe, expect, it } from "vitest";
import { safeCallbackUrl } from "./callback-url";

describe("sign-in callbackUrl", () => {
  it.each([
    ["/\\evil.com"],
    ["/\t/evil.com"],
    ["/\n/evil.com"],
    ["//evil.com"],
    ["\\\\evil.com"],
    ["https://evil.com"],
    ["https://evil.com/map"],
    ["javascript:alert(1)"],
    ["http://console.invalid.evil.com/"],
  ])("%j goes to / (off-site)", (raw) => {
    expect(safeCallbackUrl(raw)).toBe("/");
  });

  it("keeps a path on this site with its query and hash", () => {
    expect(safeCallbackUrl("/campaigns/abc?tab=waves#w2")).toBe("/campaigns/abc?tab=waves#w2");
    expect(safeCallbackUrl("/logs?q=code%3AFW_*")).toBe("/logs?q=code%3AFW_*");
  });

  it("an absolute URL of this origin is reduced to its path", () => {
    expect(safeCallbackUrl("https://noc.example/map?z=3", "https://noc.example")).toBe("/map?z=3");
    expect(safeCallbackUrl("https://noc.example.evil.com/map", "https://noc.example")).toBe("/");
  });

  it("nothing or garbage goes to /", () => {
    expect(safeCallbackUrl(undefined)).toBe("/");
    expect(safeCallbackUrl("")).toBe("/");
  });
});
