import { describe, expect, it } from "vitest";
import { stringifyWellFormed, wellFormedJson } from "./json-text";

describe("stringifyWellFormed", () => {
  it("turns lone surrogates into U+FFFD and keeps pairs, escaped backslashes and the rest", () => {
    const value = { a: "bad \ud800 end", b: "\udc00\ud800", c: "pair 😀", d: "literal \\ud800 text", e: "\\\ud800", f: ["x\udfff", 1, null] };
    const text = stringifyWellFormed(value);
    expect(JSON.parse(text)).toEqual({ a: "bad \uFFFD end", b: "\uFFFD\uFFFD", c: "pair 😀", d: "literal \\ud800 text", e: "\\\uFFFD", f: ["x\uFFFD", 1, null] });
    expect(text).not.toMatch(/(^|[^\\])(\\\\)*\\ud[89a-f]/);
  });

  it("leaves well-formed text as it is (the same string)", () => {
    const text = JSON.stringify({ msg: "ok é ✓ 😀 \\u0041" });
    expect(wellFormedJson(text)).toBe(text);
  });

  it("any UTF-16 input gives JSON whose strings are well formed", () => {
    for (let i = 0; i < 2000; i++) {
      const s = String.fromCharCode(...Array.from({ length: 8 }, () => [0x5c, 0x75, 0x64, 0x38, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0x41][Math.floor(Math.random() * 9)]!));
      const back = JSON.parse(stringifyWellFormed({ s })) as { s: string };
      expect(back.s).toHaveLength(s.length);
      expect(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(back.s)).toBe(false);
    }
  });
});
