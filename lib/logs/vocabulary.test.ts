import { describe, expect, it } from "vitest";
import { parseQuery, type FieldRef, type QueryNode } from "./query-parser";
import { editDistance, readBareToken, suggestValue } from "./vocabulary";
import { explainEmptyResult, formatQueryNode } from "./explain-empty";

const col = (name: string) => ({ kind: "column", name }) as FieldRef;
const text = (value: string): QueryNode => ({ type: "text", value, phrase: false });
const term = (name: string, value: string): QueryNode => ({ type: "term", field: col(name), value });

function parsed(q: string) {
  const r = parseQuery(q);
  if (!r.ok) throw new Error(r.error.message);
  return r;
}

describe("bare tokens shaped like ids", () => {
  it.each<[string, QueryNode]>([
    ["E105", { type: "or", children: [term("code", "E105"), text("E105")] }],
    ["e105", { type: "or", children: [term("code", "E105"), text("e105")] }],
    ["LOW_SNR", { type: "or", children: [term("code", "LOW_SNR"), text("LOW_SNR")] }],
    ["GW-0042", { type: "or", children: [term("gw", "GW-0042"), text("GW-0042")] }],
    ["gw42", { type: "or", children: [term("gw", "GW-0042"), text("gw42")] }],
    ["EM-0000613", { type: "or", children: [term("meter", "EM-0000613"), text("EM-0000613")] }],
    ["EM-613", { type: "or", children: [term("meter", "EM-0000613"), { type: "wildcard", field: col("meter"), pattern: "EM-613*" }, text("EM-613")] }],
  ])("%s matches its field and stays a word", (q, ast) => {
    const r = parsed(q);
    expect(r.ast).toEqual(ast);
    expect(r.notes).toHaveLength(1);
    expect(r.notes[0]).toMatchObject({ kind: "interpreted", position: 0, length: q.length });
  });

  it("leaves prose, field values and quoted words alone", () => {
    for (const q of ["heartbeat", "timeout", '"E105"', "code:E105", "meter:EM-0000613", "E1050"]) {
      const r = parsed(q);
      expect(
        r.notes.filter((n) => n.kind === "interpreted"),
        q,
      ).toEqual([]);
    }
    expect(readBareToken("heartbeat")).toBeNull();
    expect(readBareToken("HEARTBEAT")).toEqual({ field: "code", value: "HEARTBEAT" });
  });

  it("composes with the rest of the query and reports where the word was", () => {
    const r = parsed("sev:error GW-0042");
    expect(r.ast).toEqual({ type: "and", children: [term("sev", "error"), { type: "or", children: [term("gw", "GW-0042"), text("GW-0042")] }] });
    expect(r.notes[0]).toMatchObject({ position: 10, length: 7, message: expect.stringContaining("gw:GW-0042") });
  });
});

describe("did you mean", () => {
  it("sev:warning suggests warn, with the span to replace; the query is kept as typed", () => {
    const r = parsed("code:E105 sev:warning");
    expect(r.ast).toEqual({ type: "and", children: [term("code", "E105"), term("sev", "warning")] });
    expect(r.notes).toEqual([{ kind: "did_you_mean", message: expect.stringContaining("Did you mean sev:warn?"), position: 14, length: 7, replacement: "warn" }]);
  });

  it.each([
    ["sev", "crit", "critical"],
    ["sev", "eror", "error"],
    ["result", "failed", "fail"],
    ["result", "success", "ok"],
    ["code", "E150", "E105"],
    ["code", "LOWSNR", "LOW_SNR"],
    ["step", "rf_analysys", "rf_analysis"],
    ["led", "amber", "amber_steady"],
  ])("%s:%s -> %s", (field, value, want) => {
    expect(suggestValue(field, value)).toBe(want);
  });

  it("says nothing for a known value, an open field, or a value far from every word", () => {
    expect(suggestValue("sev", "WARN")).toBeNull();
    expect(suggestValue("msg", "warning")).toBeNull();
    expect(suggestValue("sev", "banana")).toBeNull();
    expect(parsed("sev:warn code:E105").notes).toEqual([]);
  });

  it("suggests full ids for gateway and meter values", () => {
    expect(parsed("gw:42").notes[0]).toMatchObject({ kind: "did_you_mean", replacement: "GW-0042" });
    expect(parsed("meter:EM-613").notes[0]).toMatchObject({ kind: "did_you_mean", replacement: "EM-0000613" });
    expect(parsed("meter:EM-61*").notes).toEqual([]);
  });

  it("edit distance counts a swap once", () => {
    expect(editDistance("warn", "wran")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
  });
});

describe("explainEmptyResult", () => {
  const FROM = Date.UTC(2026, 10, 25);
  const TO = FROM + 86_400_000;
  // A stub counter: lines per filter text, and per combination.
  const counter = (table: Record<string, number>) => async (ast: QueryNode, from: number) => {
    const key = (from < FROM ? "before:" : "") + formatQueryNode(ast);
    return table[key] ?? 0;
  };

  it("names the filter that matches nothing alone, and points to earlier lines", async () => {
    const ast = parsed("code:E105 sev:warning").ast;
    const r = await explainEmptyResult({ ast, from: FROM, to: TO }, counter({ "code:E105": 120, "before:code:E105 sev:warning": 0 }));
    expect(r.culprit).toBe("sev:warning");
    expect(r.message).toBe("No line in this time range matches sev:warning.");
    expect(r.filters).toEqual([
      { text: "code:E105", alone: 120 },
      { text: "sev:warning", alone: 0 },
    ]);
  });

  it("names the filter whose addition empties the result", async () => {
    const ast = parsed("code:E105 gw:GW-0042 meter:EM-0000001").ast;
    const r = await explainEmptyResult({ ast, from: FROM, to: TO }, counter({ "code:E105": 500, "gw:GW-0042": 900, "meter:EM-0000001": 12, "code:E105 gw:GW-0042": 300 }));
    expect(r.culprit).toBe("meter:EM-0000001");
    expect(r.message).toBe("code:E105 gw:GW-0042 matches 300 lines; adding meter:EM-0000001 leaves none (alone it matches 12).");
  });

  it("a single filter with lines before the range says to widen it", async () => {
    const ast = parsed("code:FOTA_FAILED").ast;
    const r = await explainEmptyResult({ ast, from: FROM, to: TO }, counter({ "before:code:FOTA_FAILED": 42 }));
    expect(r.message).toBe("No line in this time range matches code:FOTA_FAILED. 42 matching lines are in the 30 days before: widen the range.");
    expect(r.before).toBe(42);
  });
});
