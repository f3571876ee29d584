import { describe, expect, it } from "vitest";
import { csvCell, csvHeader, csvRow, exportFileName, ndjsonRow } from "./export";

describe("csvCell", () => {
  it("leaves plain values alone and empties NULL", () => {
    expect(csvCell("EM-0012345")).toBe("EM-0012345");
    expect(csvCell(null)).toBe("");
    expect(csvCell(undefined)).toBe("");
    expect(csvCell(-97)).toBe("-97");
    expect(csvCell(11.2)).toBe("11.2");
  });

  it("quotes commas, quotes, CR/LF and edge whitespace, doubling inner quotes", () => {
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("line1\nline2")).toBe('"line1\nline2"');
    expect(csvCell("a\r\nb")).toBe('"a\r\nb"');
    expect(csvCell(" padded ")).toBe('" padded "');
  });

  it("guards text cells that a spreadsheet would run as a formula", () => {
    expect(csvCell('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvCell("+1+1")).toBe("'+1+1");
    expect(csvCell("-2+3")).toBe("'-2+3");
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvCell("\tcmd")).toBe("'\tcmd");
    expect(csvCell("a=1")).toBe("a=1");
  });

  it("writes maps as JSON text", () => {
    expect(csvCell({ fw_slot: "B", note: "x,y" })).toBe('"{""fw_slot"":""B"",""note"":""x,y""}"');
    expect(csvCell({})).toBe("{}");
  });
});

describe("csvRow / csvHeader / ndjsonRow", () => {
  it("writes the columns in order with CRLF endings", () => {
    const cols = ["ts", "meter", "rssi", "msg"];
    expect(csvHeader(cols)).toBe("ts,meter,rssi,msg\r\n");
    expect(csvRow({ ts: "2026-11-25T03:14:07.498Z", meter: "EM-1", rssi: null, msg: 'a,"b"', extra: 1 }, cols)).toBe('2026-11-25T03:14:07.498Z,EM-1,,"a,""b"""\r\n');
  });

  it("writes one JSON object per line, escaping newlines inside values", () => {
    const line = ndjsonRow({ msg: "a\nb<script>", n: 1 });
    expect(line).toBe('{"msg":"a\\nb<script>","n":1}\n');
    expect(line.split("\n")).toHaveLength(2);
  });
});

describe("exportFileName", () => {
  const from = Date.UTC(2026, 10, 24, 3, 0, 0);
  const to = Date.UTC(2026, 10, 25, 3, 0, 0);

  it("puts the query and the time range in the name", () => {
    expect(exportFileName({ q: "code:E105 gw:GW-0042", from, to, format: "csv" })).toBe("logs_code_E105_gw_GW-0042_20261124T030000Z_20261125T030000Z.csv");
    expect(exportFileName({ q: "", from, to, format: "ndjson" })).toBe("logs_all_20261124T030000Z_20261125T030000Z.ndjson");
  });

  it("keeps only safe characters and bounds the length", () => {
    const name = exportFileName({ q: '../../etc/passwd"; rm -rf / \u0000\r\n<script>é', from, to, format: "csv" });
    expect(name).toMatch(/^logs_[A-Za-z0-9._-]+\.csv$/);
    expect(name).not.toContain("..");
    expect(name).not.toContain("/");
    const long = exportFileName({ q: "x".repeat(500), from, to, format: "csv" });
    expect(long.length).toBeLessThan(120);
  });
});
