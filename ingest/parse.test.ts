import { describe, expect, it } from "vitest";
import { BLANK_AUDIT_FIELDS } from "@/lib/testing/factories";
import { CODES, CODE_LIST, MAX_LINE_BYTES } from "../lib/audit/codes";
import type { AuditRecord } from "../lib/audit/record";
import { KNOWN_KEYS, REFUSAL_REASONS, REQUIRED_KEYS, isRefusalReason, parseLine } from "./parse";

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const BASE = "ts=2026-11-25T03:15:00Z meter=EM-0012345 code=E105";
const BASE_TS = Date.UTC(2026, 10, 25, 3, 15, 0);

function acceptLine(line: string, now = NOW): AuditRecord {
  const r = parseLine(line, { now });
  if (r.ok !== true) throw new Error(`expected accepted, got ${JSON.stringify(r)} for ${JSON.stringify(line)}`);
  return r.record;
}

function getReason(line: string, now = NOW): string {
  const r = parseLine(line, { now });
  if (r.ok !== false) throw new Error(`expected refused, got ${JSON.stringify(r)} for ${JSON.stringify(line)}`);
  return r.reason;
}

const EMPTY_RECORD = BLANK_AUDIT_FIELDS;

describe("spec examples, verbatim", () => {
  it("syslog-prefixed logfmt", () => {
    const line =
      '2026-11-25T03:14:07.512Z hes-01 maintd[2211]: ts=2026-11-25T03:14:07.498Z meter=EM-0012345 gw=GW-0042 code=E105 sev=error led=amber_steady rssi=-97 lqi=38 snr=11.2 msg="RF timeout after 3 retries"';
    expect(acceptLine(line)).toEqual({
      ...EMPTY_RECORD,
      ts: Date.UTC(2026, 10, 25, 3, 14, 7, 498),
      recv_ts: Date.UTC(2026, 10, 25, 3, 14, 7, 512),
      meter: "EM-0012345",
      gw: "GW-0042",
      code: "E105",
      sev: "error",
      led: "amber_steady",
      rssi: -97,
      lqi: 38,
      snr: 11.2,
      msg: "RF timeout after 3 retries",
      source_host: "hes-01",
      source_app: "maintd",
    });
  });

  it("plain logfmt", () => {
    const line = "ts=2026-11-25T03:15:00Z meter=WM-0000917 code=BATTERY_LOW sev=warn battery_v=3.02 step=battery_audit job=cmp_8f2a";
    expect(acceptLine(line)).toEqual({
      ...EMPTY_RECORD,
      ts: BASE_TS,
      meter: "WM-0000917",
      code: "BATTERY_LOW",
      sev: "warn",
      battery_v: 3.02,
      step: "battery_audit",
      job: "cmp_8f2a",
    });
  });

  it("JSON object with a +01:00 offset", () => {
    const line =
      '{"ts":"2026-11-25T03:16:41.002+01:00","meter":"EM-0012345","code":"E001","sev":"critical","led":"red_blinking","accuracy_err_pct":0.61,"msg":"metrology checksum != reference"}';
    expect(acceptLine(line)).toEqual({
      ...EMPTY_RECORD,
      ts: Date.UTC(2026, 10, 25, 2, 16, 41, 2),
      meter: "EM-0012345",
      code: "E001",
      sev: "critical",
      led: "red_blinking",
      accuracy_err_pct: 0.61,
      msg: "metrology checksum != reference",
    });
  });
});

describe("blank lines and line endings", () => {
  it.each(["", " ", "\t \t", "\r", " \r", "\r\n", "\n"])("skips %j", (line) => {
    expect(parseLine(line)).toEqual({ ok: "skip" });
  });

  it("strips exactly one trailing CR", () => {
    expect(acceptLine(`${BASE}\r`).code).toBe("E105");
    expect(getReason(`${BASE}\r\r`)).toBe("malformed");
    expect(getReason(`ts=2026-11-25T03:15:00Z\r meter=EM-0012345 code=E105`)).toBe("malformed");
  });

  it("allows leading/trailing spaces, tab separators, and a leading BOM", () => {
    expect(acceptLine(`  ${BASE}  `).ts).toBe(BASE_TS);
    expect(acceptLine(BASE.replaceAll(" ", "\t")).ts).toBe(BASE_TS);
    expect(acceptLine(`\uFEFF${BASE}`).ts).toBe(BASE_TS);
  });
});

describe("64 KiB limit in UTF-8 bytes", () => {
  // Pads msg with a multi-byte character so the line has exactly `bytes` UTF-8 bytes.
  function buildLineOfBytes(bytes: number, filler: string): string {
    const head = `${BASE} msg="`;
    const fixed = Buffer.byteLength(head) + 1;
    const unit = Buffer.byteLength(filler);
    const count = Math.floor((bytes - fixed) / unit);
    const pad = "a".repeat(bytes - fixed - count * unit);
    const line = `${head}${filler.repeat(count)}${pad}"`;
    expect(Buffer.byteLength(line)).toBe(bytes);
    return line;
  }

  it.each(["é", "€", "😀"])("accepts 65536 bytes and refuses 65537 (filler %s)", (filler) => {
    expect(MAX_LINE_BYTES).toBe(65536);
    const ok = buildLineOfBytes(MAX_LINE_BYTES, filler);
    expect(acceptLine(ok).msg.length).toBeGreaterThan(15000);
    expect(getReason(buildLineOfBytes(MAX_LINE_BYTES + 1, filler))).toBe("too_long");
  });

  it("does not count the stripped CR, and too_long wins over every other reason", () => {
    expect(acceptLine(`${buildLineOfBytes(MAX_LINE_BYTES, "€")}\r`).code).toBe("E105");
    expect(getReason(`{"broken ${"x".repeat(MAX_LINE_BYTES)}`)).toBe("too_long");
    expect(getReason(" ".repeat(MAX_LINE_BYTES + 1))).toBe("too_long");
    // 21846 three-byte characters = 65538 bytes in only 21846 UTF-16 units
    expect(getReason(`msg="${"€".repeat(21846)}"`)).toBe("too_long");
  });
});

describe("logfmt syntax", () => {
  it('decodes \\" and \\\\ and keeps other backslash sequences literally', () => {
    const r = acceptLine(`${BASE} msg="say \\"hi\\" C:\\\\tmp \\n \\t \\x"`);
    expect(r.msg).toBe('say "hi" C:\\tmp \\n \\t \\x');
    expect(acceptLine(`${BASE} msg="ends with backslash \\\\"`).msg).toBe("ends with backslash \\");
    expect(acceptLine(`${BASE} path=C:\\dir`).attrs).toEqual({ path: "C:\\dir" });
  });

  it("treats quoted and unquoted values alike, allows = inside an unquoted value", () => {
    expect(acceptLine(`${BASE} rssi="-97" led="off"`)).toMatchObject({ rssi: -97, led: "off" });
    expect(acceptLine(`${BASE} query=a=b`).attrs).toEqual({ query: "a=b" });
  });

  it.each([
    ["unterminated quote", `${BASE} msg="never closed`],
    ["escaped closing quote", `${BASE} msg="never closed\\"`],
    ["quote inside unquoted value", `${BASE} job=ab"c`],
    ["text glued after a closing quote", `${BASE} msg="a"b`],
    ["bare word", `${BASE} oops`],
    ["upper-case key", `${BASE} Rssi=-97`],
    ["key starting with a digit", `${BASE} 1a=2`],
    ["key with a dash", `${BASE} fw-comms=1.0.0`],
    ["key starting with underscore", `${BASE} _x=1`],
    ["empty key", `${BASE} =5`],
    ["NUL byte", `${BASE} msg="a\u0000b"`],
    ["DEL byte", `${BASE} msg="a\u007fb"`],
    ["newline inside", `${BASE} msg="a\nb"`],
    ["control byte in an unquoted value", `${BASE} job=a\u0001`],
    ["duplicate known key", `${BASE} rssi=-97 rssi=-98`],
    ["duplicate required key", `${BASE} code=E001`],
    ["duplicate unknown key", `${BASE} zone=a zone=b`],
  ])("malformed: %s", (_name, line) => {
    expect(getReason(line)).toBe("malformed");
  });

  it("malformed wins over missing and bad_value even when the syntax error comes last", () => {
    expect(getReason('rssi=40 msg="open')).toBe("malformed");
    expect(getReason(`ts=yesterday meter=EM-1 code=E999 x`)).toBe("malformed");
  });

  it("accepts a tab inside a quoted value", () => {
    expect(acceptLine(`${BASE} msg="a\tb"`).msg).toBe("a\tb");
  });
});

describe("required keys", () => {
  it.each([
    ["meter=EM-0012345 code=E105", "missing:ts"],
    ["ts=2026-11-25T03:15:00Z code=E105", "missing:meter"],
    ["ts=2026-11-25T03:15:00Z meter=EM-0012345", "missing:code"],
    ["msg=hello", "missing:ts"],
    ["code=E999 rssi=40", "missing:ts"],
    ['{"ts":null,"meter":"EM-0012345","code":"E105"}', "missing:ts"],
    ["{}", "missing:ts"],
  ])("%s -> %s", (line, reason) => {
    expect(getReason(line)).toBe(reason);
  });

  it("missing wins over bad_value", () => {
    expect(getReason("ts=2026-11-25T03:15:00Z code=E999 rssi=40")).toBe("missing:meter");
  });
});

describe("bad_value for each known key", () => {
  const cases: [string, string][] = [
    ["ts", "ts=2026-11-25T03:15:00"],
    ["meter", "meter=EM-123"],
    ["code", "code=E999"],
    ["sev", "sev=fatal"],
    ["gw", "gw=-GW"],
    ["led", "led=purple"],
    ["step", "step=dance"],
    ["job", "job="],
    ["result", "result=maybe"],
    ["rssi", "rssi=40"],
    ["lqi", "lqi=256"],
    ["snr", "snr=100.5"],
    ["temp_c", "temp_c=151"],
    ["battery_v", "battery_v=10.01"],
    ["accuracy_err_pct", "accuracy_err_pct=-100.5"],
    ["fw_metrology", "fw_metrology=v1.2.3"],
    ["fw_comms", "fw_comms=1.2"],
    ["fw_sha256", `fw_sha256=${"a".repeat(63)}`],
    ["cert_not_after", "cert_not_after=2027-13-01T00:00:00Z"],
  ];

  it("covers every known key but msg (msg fails only on a non-string JSON value)", () => {
    expect(cases.map(([k]) => k).sort()).toEqual(KNOWN_KEYS.filter((k) => k !== "msg").sort());
  });

  it.each(cases)("bad_value:%s", (key, pair) => {
    const [k] = pair.split("=");
    const kept = BASE.split(" ").filter((p) => !p.startsWith(`${k}=`));
    expect(getReason([...kept, pair].join(" "))).toBe(`bad_value:${key}`);
  });

  it("bad_value:msg for a JSON number", () => {
    expect(getReason('{"ts":"2026-11-25T03:15:00Z","meter":"EM-0012345","code":"E105","msg":42}')).toBe("bad_value:msg");
  });

  it("reports the first failing key in the documented order, not line order", () => {
    expect(getReason(`${BASE} rssi=40 led=purple`)).toBe("bad_value:led");
    expect(getReason(`msg=x rssi=40 code=E999 meter=EM-0012345 ts=2026-11-25T03:15:00Z`)).toBe("bad_value:code");
    expect(getReason(`ts=soon meter=nope code=E999`)).toBe("bad_value:ts");
  });
});

describe("numbers", () => {
  it.each(["0x10", "Infinity", "-Infinity", "NaN", "", "1e1", "+5", "-", ".5", "5.", "1,5", "--1", "1 "])("rssi=%j is bad_value", (v) => {
    expect(getReason(`${BASE} rssi="${v}"`)).toBe("bad_value:rssi");
  });

  it("accepts range bounds, normalises -0, requires an integer lqi", () => {
    expect(acceptLine(`${BASE} rssi=-130 lqi=0 snr=-50 temp_c=-60 battery_v=0 accuracy_err_pct=-100`)).toMatchObject({
      rssi: -130,
      lqi: 0,
      snr: -50,
      temp_c: -60,
      battery_v: 0,
      accuracy_err_pct: -100,
    });
    expect(acceptLine(`${BASE} rssi=0 lqi=255 snr=100 temp_c=150 battery_v=10 accuracy_err_pct=100`)).toMatchObject({
      rssi: 0,
      lqi: 255,
      snr: 100,
      temp_c: 150,
      battery_v: 10,
      accuracy_err_pct: 100,
    });
    expect(Object.is(acceptLine(`${BASE} rssi=-0`).rssi, 0)).toBe(true);
    expect(acceptLine(`${BASE} lqi=007`).lqi).toBe(7);
    expect(getReason(`${BASE} lqi=38.0`)).toBe("bad_value:lqi");
    expect(getReason(`${BASE} rssi=-130.01`)).toBe("bad_value:rssi");
  });

  it("parses decimals exactly like Number()", () => {
    for (const v of ["11.2", "3.02", "0.61", "-47.125", "12.3456789012345", "1.00000000000000000001"]) {
      expect(acceptLine(`${BASE} snr=${v}`).snr).toBe(Number(v));
    }
  });

  it("JSON: numbers or numeric strings; no exponent, no bool, no nesting", () => {
    const head = '{"ts":"2026-11-25T03:15:00Z","meter":"EM-0012345","code":"E105"';
    expect(acceptLine(`${head},"rssi":-97,"lqi":"38"}`)).toMatchObject({ rssi: -97, lqi: 38 });
    expect(getReason(`${head},"rssi":-9.7e1}`)).toBe("bad_value:rssi");
    expect(getReason(`${head},"rssi":true}`)).toBe("bad_value:rssi");
    expect(getReason(`${head},"rssi":[-97]}`)).toBe("bad_value:rssi");
    expect(getReason(`${head},"rssi":""}`)).toBe("bad_value:rssi");
    expect(acceptLine(`${head},"rssi":null}`).rssi).toBeNull();
  });
});

describe("timestamps", () => {
  it("converts zone offsets to UTC", () => {
    expect(acceptLine(BASE.replace("03:15:00Z", "03:15:00+01:00")).ts).toBe(Date.UTC(2026, 10, 25, 2, 15));
    expect(acceptLine(BASE.replace("03:15:00Z", "03:15:00-05:30")).ts).toBe(Date.UTC(2026, 10, 25, 8, 45));
    expect(acceptLine(BASE.replace("2026-11-25T03:15:00Z", "2026-12-31T23:30:00-01:00")).ts).toBe(Date.UTC(2027, 0, 1, 0, 30));
    expect(acceptLine(BASE.replace("03:15:00Z", "03:15:00.5z")).ts).toBe(BASE_TS + 500);
    expect(acceptLine(BASE.replace("03:15:00Z", "03:15:00.123999+00:00")).ts).toBe(BASE_TS + 123);
  });

  it("accepts epoch seconds (with fraction) and milliseconds", () => {
    const sec = Math.floor(BASE_TS / 1000);
    expect(acceptLine(`ts=${sec} meter=EM-0012345 code=E105`).ts).toBe(BASE_TS);
    expect(acceptLine(`ts=${sec}.25 meter=EM-0012345 code=E105`).ts).toBe(BASE_TS + 250);
    expect(acceptLine(`ts=${sec}.1239 meter=EM-0012345 code=E105`).ts).toBe(BASE_TS + 123);
    expect(acceptLine(`ts=${BASE_TS + 7} meter=EM-0012345 code=E105`).ts).toBe(BASE_TS + 7);
    expect(acceptLine(`{"ts":${BASE_TS},"meter":"EM-0012345","code":"E105"}`).ts).toBe(BASE_TS);
    expect(acceptLine(`{"ts":"${sec}","meter":"EM-0012345","code":"E105"}`).ts).toBe(BASE_TS);
  });

  it.each([
    "2026-11-25T03:15:00",
    "2026-11-25 03:15:00Z",
    "2026-11-25",
    "2026-02-29T00:00:00Z",
    "2026-11-31T00:00:00Z",
    "2026-11-25T24:00:00Z",
    "2026-11-25T03:60:00Z",
    "2026-11-25T03:15:60Z",
    "2026-11-25T03:15:00+0100",
    "2026-11-25T03:15:00+24:00",
    "2026-11-25T03:15:00.Z",
    "1969-12-31T23:59:59Z",
    "2300-01-01T00:00:00Z",
    "176404044",
    "17640404470",
    "1764040447498.5",
    "1764040447.",
    "-1764040447",
    "20ab-11-25T03:15:00Z",
  ])("bad_value:ts for %j", (ts) => {
    expect(getReason(`ts="${ts}" meter=EM-0012345 code=E105`)).toBe("bad_value:ts");
  });

  it("accepts leap days and cert_not_after as ISO", () => {
    expect(acceptLine(BASE.replace("2026-11-25", "2028-02-29")).ts).toBe(Date.UTC(2028, 1, 29, 3, 15));
    expect(acceptLine(`${BASE} cert_not_after=2027-03-01T00:00:00+02:00`).cert_not_after).toBe(Date.UTC(2027, 1, 28, 22));
    expect(getReason(`${BASE} cert_not_after=1893456000`)).toBe("bad_value:cert_not_after");
  });
});

describe("syslog prefixes", () => {
  const BODY = "ts=2026-11-25T03:14:07.498Z meter=EM-0012345 code=E105";

  it("RFC 3164 with and without pid, space-padded day, <pri>", () => {
    expect(acceptLine(`Nov 25 03:14:07 hes-01 maintd[2211]: ${BODY}`)).toMatchObject({
      recv_ts: Date.UTC(2026, 10, 25, 3, 14, 7),
      source_host: "hes-01",
      source_app: "maintd",
    });
    expect(acceptLine(`Nov  5 03:14:07 hes-01 maintd: ${BODY}`)).toMatchObject({
      recv_ts: Date.UTC(2026, 10, 5, 3, 14, 7),
      source_app: "maintd",
    });
    expect(acceptLine(`<134>Nov 25 03:14:07 hes-01 maintd[1]: ${BODY}`).source_host).toBe("hes-01");
  });

  it("RFC 3164 year is the one nearest to now", () => {
    const newYear = Date.UTC(2026, 0, 1, 0, 5);
    expect(acceptLine(`Dec 31 23:59:59 h a: ${BODY}`, newYear).recv_ts).toBe(Date.UTC(2025, 11, 31, 23, 59, 59));
    const newYearsEve = Date.UTC(2026, 11, 31, 23, 55);
    expect(acceptLine(`Jan  1 00:00:01 h a: ${BODY}`, newYearsEve).recv_ts).toBe(Date.UTC(2027, 0, 1, 0, 0, 1));
    expect(acceptLine(`Feb 29 12:00:00 h a: ${BODY}`, Date.UTC(2025, 2, 1)).recv_ts).toBe(Date.UTC(2024, 1, 29, 12));
  });

  it("RFC 5424 with nil values, structured data with escapes, BOM", () => {
    expect(acceptLine(`<165>1 2026-11-25T04:14:07.512+01:00 hes-02 maintd 2211 AUDIT [a@1 x="q\\"]\\\\" y="\\]"][b z="1"] ${BODY}`)).toMatchObject({
      recv_ts: Date.UTC(2026, 10, 25, 3, 14, 7, 512),
      source_host: "hes-02",
      source_app: "maintd",
    });
    expect(acceptLine(`<14>1 - - - - - - \uFEFF${BODY}`)).toMatchObject({ recv_ts: null, source_host: "", source_app: "" });
    expect(acceptLine(`<14>1 2026-11-25T03:14:07Z h app - ID47 - {"ts":1764040447,"meter":"EM-0012345","code":"E105"}`)).toMatchObject({
      source_app: "app",
      ts: 1764040447000,
    });
    expect(getReason("<14>1 - h app - - -")).toBe("missing:ts");
  });

  it("ISO-timestamp prefix (rsyslog file format)", () => {
    expect(acceptLine(`2026-11-25T04:14:07.512+01:00 hes-01 maintd[2211]: ${BODY}`)).toMatchObject({
      recv_ts: Date.UTC(2026, 10, 25, 3, 14, 7, 512),
      source_host: "hes-01",
      source_app: "maintd",
    });
  });

  it.each([
    ["unknown month", `Noe 25 03:14:07 h a: ${BODY}`],
    ["bad day", `Nov 31 03:14:07 h a: ${BODY}`],
    ["bad time", `Nov 25 25:14:07 h a: ${BODY}`],
    ["no tag colon", `Nov 25 03:14:07 hes-01 ${BODY}`],
    ["pid not numeric", `Nov 25 03:14:07 h a[x]: ${BODY}`],
    ["pri too big", `<192>1 - h a - - - ${BODY}`],
    ["5424 version 2", `<14>2 - h a - - - ${BODY}`],
    ["5424 bad timestamp", `<14>1 2026-11-25T03:14:07 h a - - - ${BODY}`],
    ["5424 missing sd", `<14>1 - h a - - ${BODY}`],
    ["5424 unterminated sd", `<14>1 - h a - - [x y="1" ${BODY}`],
    ["5424 sd value without quotes", `<14>1 - h a - - [x y=1] ${BODY}`],
    ["5424 double space", `<14>1 -  h a - - - ${BODY}`],
    ["ISO prefix without zone", `2026-11-25T03:14:07 hes-01 maintd: ${BODY}`],
    ["digit start that is no timestamp", `12345 ${BODY}`],
  ])("malformed: %s", (_name, line) => {
    expect(getReason(line)).toBe("malformed");
  });
});

describe("severity defaults", () => {
  it.each(CODE_LIST)("%s defaults to its table severity, an explicit sev wins", (code) => {
    const line = `ts=2026-11-25T03:15:00Z meter=GM-1234 code=${code}`;
    expect(acceptLine(line).sev).toBe(CODES[code].sev);
    expect(acceptLine(`${line} sev=debug`).sev).toBe("debug");
  });
});

describe("attributes and JSON", () => {
  it("keeps unknown well-formed keys as string attributes", () => {
    expect(acceptLine(`${BASE} zone=north_7 operator="J. Doe" x1=`).attrs).toEqual({
      zone: "north_7",
      operator: "J. Doe",
      x1: "",
    });
    expect(acceptLine(`${BASE} constructor=1 tostring=2`).attrs).toEqual({ constructor: "1", tostring: "2" });
  });

  it("JSON attrs: scalars as text, nested values as their JSON source", () => {
    const r = acceptLine('{"ts":"2026-11-25T03:15:00Z","meter":"EM-0012345","code":"E105","n":1.5e3,"b":false,"z":null,"o":{"a":[1,{"b":"]"}]},"l":[ ]}');
    expect(r.attrs).toEqual({ n: "1.5e3", b: "false", z: "null", o: '{"a":[1,{"b":"]"}]}', l: "[ ]" });
  });

  it("JSON escapes: decoded, except those that would yield a control byte", () => {
    const r = acceptLine('{"ts":"2026-11-25T03:15:00Z","meter":"EM-0012345","code":"E105","msg":"q\\"\\\\\\/ \\u00e9\\ud83d\\ude00 \\n\\u001b[31m\\t."}');
    expect(r.msg).toBe('q"\\/ é😀 \\n\\u001b[31m\t.');
    expect(acceptLine('{"\\u0074s":"2026-11-25T03:15:00Z","meter":"EM-0012345","code":"E105"}').ts).toBe(BASE_TS);
  });

  it.each([
    ["not an object", '["ts","meter"]'],
    ["trailing comma", '{"ts":"2026-11-25T03:15:00Z","meter":"EM-0012345","code":"E105",}'],
    ["trailing garbage", '{"ts":"2026-11-25T03:15:00Z","meter":"EM-0012345","code":"E105"} x'],
    ["unterminated", '{"ts":"2026-11-25T03:15:00Z","meter":"EM-0012345","code":"E105"'],
    ["bad key", '{"ts":"2026-11-25T03:15:00Z","meter":"EM-0012345","code":"E105","Bad-Key":1}'],
    ["duplicate key", '{"ts":"2026-11-25T03:15:00Z","meter":"EM-0012345","code":"E105","code":"E001"}'],
    ["raw tab in a string", '{"ts":"2026-11-25T03:15:00Z","meter":"EM-0012345","code":"E105","msg":"a\tb"}'],
    ["invalid escape", '{"ts":"2026-11-25T03:15:00Z","meter":"EM-0012345","code":"E105","msg":"\\x41"}'],
    ["leading zero", '{"ts":"2026-11-25T03:15:00Z","meter":"EM-0012345","code":"E105","lqi":038}'],
    ["single quotes", "{'ts':'2026-11-25T03:15:00Z'}"],
    ["broken nesting", '{"ts":"2026-11-25T03:15:00Z","meter":"EM-0012345","code":"E105","o":{"a":[1,}]}}'],
  ])("malformed JSON: %s", (_name, line) => {
    expect(getReason(line)).toBe("malformed");
  });

  it("survives deep nesting without recursion", () => {
    const deep = `{"ts":"2026-11-25T03:15:00Z","meter":"EM-0012345","code":"E105","d":${"[".repeat(30000)}${"]".repeat(30000)}}`;
    expect(acceptLine(deep).attrs.d.length).toBe(60000);
  });

  it("text keys need JSON strings; null means absent", () => {
    const head = '{"ts":"2026-11-25T03:15:00Z","meter":"EM-0012345","code":"E105"';
    expect(getReason(`${head},"job":12}`)).toBe("bad_value:job");
    expect(getReason('{"ts":"2026-11-25T03:15:00Z","meter":12345678,"code":"E105"}')).toBe("bad_value:meter");
    expect(acceptLine(`${head},"gw":null,"msg":null}`)).toMatchObject({ gw: "", msg: "" });
  });
});

describe("other value rules", () => {
  it("empty values: bad_value for known keys, except msg", () => {
    expect(getReason(`${BASE} gw=`)).toBe("bad_value:gw");
    expect(getReason(`${BASE} sev=""`)).toBe("bad_value:sev");
    expect(getReason(`ts= meter=EM-0012345 code=E105`)).toBe("bad_value:ts");
    expect(acceptLine(`${BASE} msg=`).msg).toBe("");
    expect(acceptLine(`${BASE} msg=""`).msg).toBe("");
  });

  it("gateway ids, job length, semver, sha256", () => {
    expect(acceptLine(`${BASE} gw=GW-0042`).gw).toBe("GW-0042");
    expect(acceptLine(`${BASE} gw=dcu-17.north:2`).gw).toBe("dcu-17.north:2");
    expect(getReason(`${BASE} gw=GW/42`)).toBe("bad_value:gw");
    expect(getReason(`${BASE} gw=${"g".repeat(65)}`)).toBe("bad_value:gw");
    expect(acceptLine(`${BASE} job=${"j".repeat(128)}`).job.length).toBe(128);
    expect(getReason(`${BASE} job=${"j".repeat(129)}`)).toBe("bad_value:job");
    expect(acceptLine(`${BASE} job=${"😀".repeat(128)}`).job).toBe("😀".repeat(128));
    expect(acceptLine(`${BASE} fw_metrology=2.4.1 fw_comms=1.0.0-rc.1+build.7`)).toMatchObject({
      fw_metrology: "2.4.1",
      fw_comms: "1.0.0-rc.1+build.7",
    });
    expect(getReason(`${BASE} fw_metrology=01.2.3`)).toBe("bad_value:fw_metrology");
    const sha = "ABCDEF0123456789".repeat(4);
    expect(acceptLine(`${BASE} fw_sha256=${sha}`).fw_sha256).toBe(sha.toLowerCase());
    expect(getReason(`${BASE} fw_sha256=${"g".repeat(64)}`)).toBe("bad_value:fw_sha256");
  });

  it("meter ids follow METER_ID_RE", () => {
    expect(acceptLine(BASE.replace("EM-0012345", "GM-1234")).meter).toBe("GM-1234");
    expect(acceptLine(BASE.replace("EM-0012345", "WM-1234567890")).meter).toBe("WM-1234567890");
    for (const bad of ["WM-12345678901", "em-1234", "E-1234", "EMX1234", "EM-12a4"]) {
      expect(getReason(BASE.replace("EM-0012345", bad))).toBe("bad_value:meter");
    }
  });
});

describe("unicode and hostile content", () => {
  it("keeps unicode in msg and unquoted values", () => {
    expect(acceptLine(`${BASE} msg="Zählerkasten über 60 °C – 😀 中文"`).msg).toBe("Zählerkasten über 60 °C – 😀 中文");
    expect(acceptLine(`${BASE} ort=Köln`).attrs.ort).toBe("Köln");
  });

  it.each(['<script>alert("x")</script>', "<img src=x onerror=alert(1)>", "javascript:alert(1)", "'; DROP TABLE audit_log; --"])("accepts %s as plain text", (text) => {
    const quoted = text.replaceAll("\\", "\\\\").replaceAll('"', '\\"');
    expect(acceptLine(`${BASE} msg="${quoted}"`).msg).toBe(text);
    expect(acceptLine(JSON.stringify({ ts: BASE_TS, meter: "EM-0012345", code: "E105", msg: text })).msg).toBe(text);
  });

  it("a raw ESC byte is malformed; the literal characters \\u001b[31m stay text", () => {
    expect(getReason(`${BASE} msg="\u001b[31mred"`)).toBe("malformed");
    expect(acceptLine(`${BASE} msg="\\u001b[31mred"`).msg).toBe("\\u001b[31mred");
  });
});

describe("reasons and keys", () => {
  it("isRefusalReason accepts exactly the documented reasons", () => {
    expect(REFUSAL_REASONS).toHaveLength(2 + REQUIRED_KEYS.length + KNOWN_KEYS.length);
    for (const r of REFUSAL_REASONS) expect(isRefusalReason(r)).toBe(true);
    for (const r of ["missing:rssi", "bad_value:zone", "bad_value:", "missing", "Malformed", "", 42, null]) {
      expect(isRefusalReason(r)).toBe(false);
    }
  });

  it("module state does not leak between lines", () => {
    const withAll = `${BASE} rssi=-97 zone=a Sev=x`;
    expect(getReason(withAll)).toBe("malformed");
    expect(acceptLine(BASE)).toEqual({ ...EMPTY_RECORD, ts: BASE_TS, meter: "EM-0012345", code: "E105", sev: "error" });
    acceptLine(`2026-11-25T03:14:07Z hes-01 maintd: ${BASE} rssi=-97 zone=a`);
    expect(acceptLine(BASE)).toEqual({ ...EMPTY_RECORD, ts: BASE_TS, meter: "EM-0012345", code: "E105", sev: "error" });
  });
});
