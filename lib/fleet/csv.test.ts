import { describe, expect, it } from "vitest";
import { CsvSyntaxError, parseCsv } from "./csv";

describe("parseCsv", () => {
  it("keeps the starting line of every record, across quoted newlines, CRLF and blank lines", () => {
    const text = 'a,b\r\n"x, y","multi\nline"\n\n"say ""hi""",\n3,4';
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ["a", "b"] },
      { line: 2, fields: ["x, y", "multi\nline"] },
      { line: 5, fields: ['say "hi"', ""] },
      { line: 6, fields: ["3", "4"] },
    ]);
  });

  it("names the line of an unterminated quote", () => {
    expect(() => parseCsv('a,b\n1,"open\n2,3\n')).toThrow(CsvSyntaxError);
    try {
      parseCsv('a,b\n1,"open\n2,3\n');
    } catch (e) {
      expect((e as CsvSyntaxError).line).toBe(2);
    }
  });

  it("skips a byte-order mark", () => {
    expect(parseCsv("\ufeffid\nEM-0001")).toEqual([
      { line: 1, fields: ["id"] },
      { line: 2, fields: ["EM-0001"] },
    ]);
  });
});
