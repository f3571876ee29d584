import { describe, expect, it } from "vitest";
import { parseColumnList, parseLogApiRequest } from "./request";

const base = { from: "2026-11-24T00:00:00Z", to: "2026-11-25T00:00:00Z" };
const parse = (p: Record<string, string>) => parseLogApiRequest(new URLSearchParams({ ...base, ...p }));

describe("parseLogApiRequest", () => {
  it("reads a full request", () => {
    const r = parse({ q: "code:E105", order: "asc", stack: "code", cursor: "1795000000000_18446744073709551615", limit: "50", cols: "ts,msg,bogus", format: "ndjson" });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      q: "code:E105",
      from: Date.UTC(2026, 10, 24),
      to: Date.UTC(2026, 10, 25),
      order: "asc",
      stackBy: "code",
      cursor: { ts: 1795000000000, id: "18446744073709551615" },
      limit: 50,
      columns: ["ts", "msg"],
      format: "ndjson",
    });
    expect(r.value.ast).toEqual({ type: "term", field: { kind: "column", name: "code" }, value: "E105" });
  });

  it("returns a syntax error with its position instead of throwing", () => {
    expect(parse({ q: 'meter:EM-1 "unterminated' })).toEqual({
      ok: false,
      error: { kind: "syntax", message: "Unterminated quote", position: 11, length: 13 },
    });
  });

  it("refuses missing or unbounded windows, bad cursors, limits and formats", () => {
    expect(parseLogApiRequest(new URLSearchParams({ q: "" })).ok).toBe(false);
    expect(parse({ to: "2027-06-01T00:00:00Z" })).toMatchObject({ ok: false, error: { kind: "invalid", message: expect.stringMatching(/90 days/) } });
    expect(parse({ from: "2026-11-25T00:00:00Z" }).ok).toBe(false);
    expect(parse({ cursor: "1_' OR 1=1" }).ok).toBe(false);
    expect(parse({ limit: "100000" }).ok).toBe(false);
    expect(parse({ format: "xlsx" }).ok).toBe(false);
    expect(parse({ order: "random" }).ok).toBe(false);
  });
});

describe("parseColumnList", () => {
  it("keeps allow-listed columns in order, once, else the defaults", () => {
    expect(parseColumnList("msg,ts,msg,attrs")).toEqual(["msg", "ts", "attrs"]);
    expect(parseColumnList("x;DROP,1")).toEqual(["ts", "sev", "code", "meter", "gw", "msg"]);
    expect(parseColumnList(null)).toEqual(["ts", "sev", "code", "meter", "gw", "msg"]);
  });
});
