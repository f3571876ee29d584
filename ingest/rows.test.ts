import { describe, expect, it } from "vitest";
import type { AuditRecord } from "../lib/audit/record";
import { auditRowTail, ByteSink, escapeTsv, hash64, PrefixHash, rejectRowTsv, u64Decimal, writeAuditRow } from "./rows";

// Reference for writeAuditRow: the same row built as a string, the plain way (the writer used
// this until it wrote bytes directly; kept here as the oracle the byte writer must equal).
/** A quoted literal inside a TSV Map value: '...' with \\ and \' escaped, then TSV-escaped. */
function quoteMapString(s: string): string {
  return "'" + s.replace(/[\\']/g, (m) => "\\" + m) + "'";
}

function num(v: number | null): string {
  return v === null ? "\\N" : String(v);
}

function mapTsv(attrs: Record<string, string>): string {
  let out = "{";
  let first = true;
  for (const k in attrs) {
    if (!first) out += ",";
    first = false;
    out += quoteMapString(k) + ":" + quoteMapString(attrs[k]!);
  }
  return escapeTsv(out + "}");
}

/** One audit_log row as a TSV line (with trailing \n). Timestamps go as epoch ms (DateTime64(3) ticks). */
function auditRowTsv(r: AuditRecord, ingestedAt: number, id: string, source: string): string {
  return (
    r.ts +
    "\t" +
    num(r.recv_ts) +
    "\t" +
    escapeTsv(r.meter) +
    "\t" +
    escapeTsv(r.gw) +
    "\t" +
    r.code +
    "\t" +
    r.sev +
    "\t" +
    r.led +
    "\t" +
    r.step +
    "\t" +
    escapeTsv(r.job) +
    "\t" +
    r.result +
    "\t" +
    num(r.rssi) +
    "\t" +
    num(r.lqi) +
    "\t" +
    num(r.snr) +
    "\t" +
    num(r.temp_c) +
    "\t" +
    num(r.battery_v) +
    "\t" +
    num(r.accuracy_err_pct) +
    "\t" +
    escapeTsv(r.fw_metrology) +
    "\t" +
    escapeTsv(r.fw_comms) +
    "\t" +
    escapeTsv(r.fw_sha256) +
    "\t" +
    num(r.cert_not_after) +
    "\t" +
    escapeTsv(r.msg) +
    "\t" +
    mapTsv(r.attrs) +
    "\t" +
    escapeTsv(r.source_host) +
    "\t" +
    escapeTsv(r.source_app) +
    "\t" +
    ingestedAt +
    "\t" +
    id +
    "\t" +
    escapeTsv(source) +
    "\n"
  );
}

const base: AuditRecord = {
  ts: 1795607763634,
  recv_ts: null,
  meter: "EM-0000001",
  gw: "GW-0001",
  code: "E105",
  sev: "error",
  led: "red_blinking",
  step: "",
  job: "",
  result: "",
  rssi: -92.5,
  lqi: 254,
  snr: null,
  temp_c: null,
  battery_v: 3.61,
  accuracy_err_pct: null,
  fw_metrology: "3.2.1",
  fw_comms: "",
  fw_sha256: "",
  cert_not_after: 1800000000000,
  msg: "",
  attrs: {},
  source_host: "",
  source_app: "",
};

function bytesOf(r: AuditRecord, source: string): Buffer {
  const out = new ByteSink(16);
  writeAuditRow(out, r, "1795587268423", "18446744073709551615", auditRowTail(source));
  return Buffer.from(out.bytes());
}

describe("ingest rows", () => {
  it("hash64 is stable, 64-bit decimal and spreads nearby keys", () => {
    expect(hash64("file:/a#1-x:0")).toBe(hash64("file:/a#1-x:0"));
    const ids = new Set(Array.from({ length: 20_000 }, (_, i) => hash64(`file:/a#1-x:${i * 180}`)));
    expect(ids.size).toBe(20_000);
    for (const id of [...ids].slice(0, 100)) {
      expect(id).toMatch(/^\d{1,20}$/);
      expect(BigInt(id) < 2n ** 64n).toBe(true);
    }
  });

  it("u64Decimal equals BigInt's decimal for edge and random values", () => {
    const cases: [number, number][] = [
      [0, 0],
      [0, 1],
      [0, 999_999],
      [0, 1_000_000],
      [0, 0xffffffff],
      [1, 0],
      [0xffffffff, 0xffffffff],
      [0xffffffff, 0],
      [232, 3567587328],
    ];
    for (let i = 0; i < 20_000; i++) cases.push([Math.floor(Math.random() * 2 ** 32), Math.floor(Math.random() * 2 ** 32)]);
    for (const [hi, lo] of cases) expect(u64Decimal(hi, lo)).toBe(((BigInt(hi) << 32n) + BigInt(lo)).toString());
  });

  it("ByteSink.num writes the digits of String(v); int and u64 those of String and u64Decimal", () => {
    const values = [
      0,
      -0,
      1,
      -1,
      9,
      10,
      99_999_999,
      100_000_000,
      1795607763634,
      -1795607763634,
      2 ** 53 - 1,
      -(2 ** 53 - 1),
      9e15,
      1e21,
      0.5,
      -0.5,
      0.001,
      -0.001,
      0.0005,
      9.6,
      -87.5,
      3.61,
      12.3,
      -3.25,
      1.29,
      254,
      0.1 + 0.2,
      1 / 3,
      123456789.123,
      999999999999.999,
      1e12 + 0.5,
      5e-7,
      1e-7,
      -1e-7,
    ];
    for (let i = 0; i < 20_000; i++) {
      const scale = [1, 10, 100, 1000, 10_000][i % 5]!;
      const whole = Math.floor(Math.random() * 10 ** (1 + (i % 12)));
      values.push((Math.random() < 0.5 ? -1 : 1) * (whole + Math.floor(Math.random() * scale) / scale), Math.random() * 200 - 100, Math.round(Math.random() * 2 ** 53));
    }
    for (const v of values) {
      const out = new ByteSink(4);
      out.num(v);
      expect(out.bytes().toString("latin1"), String(v)).toBe(String(v));
      if (Number.isInteger(v) && Math.abs(v) < 2 ** 53) {
        const o2 = new ByteSink(4);
        o2.int(v);
        expect(o2.bytes().toString("latin1")).toBe(String(v === 0 ? 0 : v));
      }
    }
    for (let i = 0; i < 20_000; i++) {
      const hi = i < 3 ? [0, 0xffffffff, 232][i]! : Math.floor(Math.random() * 2 ** 32);
      const lo = i < 3 ? [5, 0xffffffff, 3567587328][i]! : Math.floor(Math.random() * 2 ** 32);
      const out = new ByteSink(4);
      out.u64(hi, lo);
      expect(out.bytes().toString("latin1")).toBe(u64Decimal(hi, lo));
    }
  });

  it("PrefixHash gives hash64(prefix + suffix), as text and written in place", () => {
    for (const prefix of ["", "file:/var/log/ami/x.log#123-abc:", "mqtt:ü😀"]) {
      const h = new PrefixHash(prefix);
      for (const suffix of ["", "0", "170", "18446744073709551615", "ä\t"]) {
        expect(h.id(suffix)).toBe(hash64(prefix + suffix));
        const out = new ByteSink(4);
        h.write(out, suffix);
        expect(out.bytes().toString("latin1")).toBe(hash64(prefix + suffix));
      }
    }
  });

  it("escapes TSV control characters so a raw line stays one field", () => {
    expect(escapeTsv("a\tb\nc\\d\re")).toBe("a\\tb\\nc\\\\d\\re");
    expect(rejectRowTsv(1, "s", "7", "malformed", "x\ty")).toBe("1\ts\t7\tmalformed\tx\\ty\n");
  });

  it("writeAuditRow writes exactly the bytes of auditRowTsv (escapes, UTF-8, surrogates, map quoting)", () => {
    const tricky = [
      "",
      "plain",
      "tab\there",
      "nl\nx\r\0",
      "back\\slash",
      'quote\'d "dq"',
      "Zählerkasten über 60 °C",
      "emoji 😀 ok",
      "lone \ud800 high",
      "lone \udc00 low",
      "end high \ud83d",
      "\u07ff\u0800\uffff",
      "{'k':'v'}",
      "\\'",
    ];
    const records: AuditRecord[] = [base, { ...base, recv_ts: 1795607763000, snr: -3.25, lqi: 0, cert_not_after: null, battery_v: null }];
    for (const t of tricky) {
      records.push({ ...base, meter: t, gw: t, job: t, msg: t, fw_sha256: t, source_host: t, source_app: t, attrs: { [t || "k"]: t, other: "v\\'" } });
    }
    for (const r of records) {
      for (const source of ["file:/var/log/ami/x.log", "file:/tmp/dir\twith tab/ü.log"]) {
        expect(bytesOf(r, source).toString("hex")).toBe(Buffer.from(auditRowTsv(r, 1795587268423, "18446744073709551615", source), "utf8").toString("hex"));
      }
    }
    // Random UTF-16 (any code unit, surrogates included) through every escaping path.
    for (let i = 0; i < 2000; i++) {
      let s = "";
      const n = Math.floor(Math.random() * 12);
      for (let j = 0; j < n; j++) {
        const pick = Math.random();
        s += String.fromCharCode(pick < 0.3 ? Math.floor(Math.random() * 128) : pick < 0.5 ? 0xd800 + Math.floor(Math.random() * 0x800) : Math.floor(Math.random() * 0x10000));
      }
      const r = { ...base, msg: s, attrs: { [s]: s } };
      expect(bytesOf(r, "s").toString("hex")).toBe(Buffer.from(auditRowTsv(r, 1795587268423, "18446744073709551615", "s"), "utf8").toString("hex"));
    }
  });
});
