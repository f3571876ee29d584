// Property tests for parseLine: generated valid lines must parse to the expected record, and
// mutated / random lines must always give exactly one well-formed result. The oracles below
// are written independently of parse.ts (regexes, Date) so they can disagree with it.
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { AUDIT_RECORD_COLUMNS } from "../lib/audit/columns";
import { CODES, CODE_LIST, LED_STATES, MAX_LINE_BYTES, RESULTS, SEVERITIES, STEPS } from "../lib/audit/codes";
import { METER_ID_RE } from "../lib/fleet/ids";
import type { AuditRecord, ParseResult } from "../lib/audit/record";
import { KNOWN_KEYS, MAX_TS_MS, MIN_TS_MS, NUMBER_RANGES, REQUIRED_KEYS, isRefusalReason, parseLine } from "./parse";

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_RE = /[\u0000-\u0008\u000a-\u001f\u007f]/;
const SEMVER_RE = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
const REASON_RE = new RegExp(`^(too_long|malformed|missing:(${REQUIRED_KEYS.join("|")})|bad_value:(${KNOWN_KEYS.join("|")}))$`);
const RECORD_KEYS = [...AUDIT_RECORD_COLUMNS].sort();

const tally = { lines: 0, accepted: 0, refused: 0, skipped: 0, reasons: new Map<string, number>() };

function countResult(r: ParseResult): void {
  tally.lines++;
  if (r.ok === true) tally.accepted++;
  else if (r.ok === false) {
    tally.refused++;
    const base = r.reason.split(":")[0];
    tally.reasons.set(base, (tally.reasons.get(base) ?? 0) + 1);
  } else tally.skipped++;
}

// ------------------------------------------------------------------ valid line generators

interface Generated {
  line: string;
  expected: AuditRecord;
}

const SPECIALS = ["\t", " ", '"', "\\", "=", "<", ">", "é", "😀", "\\u001b", "</script>"];
/** Any text without control bytes, with characters that need quoting or escaping spliced in. */
const textArb = (maxLength: number) =>
  fc.tuple(fc.string({ unit: "binary", maxLength }), fc.array(fc.tuple(fc.nat(), fc.constantFrom(...SPECIALS)), { maxLength: 3 })).map(([base, inserts]) => {
    let s = base.replace(new RegExp(CONTROL_RE.source, "g"), "");
    for (const [at, text] of inserts) s = s.slice(0, at % (s.length + 1)) + text + s.slice(at % (s.length + 1));
    return s;
  });
const digitsArb = (min: number, max: number) => fc.tuple(fc.integer({ min, max }), fc.nat(2 ** 31)).map(([n, v]) => String(v).padStart(10, "0").slice(-n));

/** An ISO 8601 timestamp with zone and the epoch ms it must parse to. */
const isoArb = fc
  .record({
    t: fc.integer({ min: 1e12, max: Date.UTC(2099, 0, 1) }),
    offset: fc.integer({ min: -14 * 60, max: 14 * 60 }),
    fracDigits: fc.integer({ min: 0, max: 6 }),
    useZ: fc.boolean(),
  })
  .map(({ t, offset, fracDigits, useZ }) => {
    const step = 10 ** (3 - Math.min(fracDigits, 3));
    const ms = t - (t % step);
    const off = useZ ? 0 : offset;
    const local = new Date(ms + off * 60_000).toISOString();
    const frac = fracDigits === 0 ? "" : `.${local.slice(20, 20 + Math.min(fracDigits, 3))}${"7".repeat(Math.max(0, fracDigits - 3))}`;
    const abs = Math.abs(off);
    const zone = useZ ? "Z" : `${off < 0 ? "-" : "+"}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
    return { text: `${local.slice(0, 19)}${frac}${zone}`, ms };
  });

const tsArb = fc.oneof(
  isoArb,
  fc.integer({ min: 1e12, max: 9_999_999_999_999 }).map((t) => ({ text: String(t), ms: t })),
  fc.integer({ min: 1e9, max: 9_999_999_999 }).map((s) => ({ text: String(s), ms: s * 1000 })),
  fc.tuple(fc.integer({ min: 1e9, max: 9_999_999_999 }), fc.integer({ min: 0, max: 999 })).map(([s, f]) => ({
    text: `${s}.${String(f).padStart(3, "0")}`,
    ms: s * 1000 + f,
  })),
);

/** A decimal in [min, max] with `digits` fraction digits, as text and value. */
const decimalArb = (min: number, max: number, digits: number) =>
  fc.integer({ min: min * 10 ** digits, max: max * 10 ** digits }).map((n) => {
    const text = (n / 10 ** digits).toFixed(digits);
    return { text, value: Number(text) + 0 };
  });

const fieldsArb = fc.record(
  {
    ts: tsArb,
    meter: fc.tuple(fc.integer({ min: 0, max: 675 }), digitsArb(4, 10)).map(([l, d]) => `${String.fromCharCode(65 + Math.floor(l / 26), 65 + (l % 26))}-${d}`),
    code: fc.constantFrom(...CODE_LIST),
    sev: fc.constantFrom(...SEVERITIES),
    gw: fc.oneof(
      digitsArb(1, 6).map((d) => `GW-${d}`),
      fc.tuple(fc.constantFrom("dcu", "Col", "7", "gw"), fc.constantFrom("", ".", "_", ":", "-"), fc.nat(999)).map((p) => p.join("")),
    ),
    led: fc.constantFrom(...LED_STATES),
    step: fc.constantFrom(...STEPS),
    job: textArb(128).filter((s) => [...s].length >= 1 && [...s].length <= 128),
    result: fc.constantFrom(...RESULTS),
    rssi: decimalArb(-130, 0, 0),
    lqi: decimalArb(0, 255, 0),
    snr: decimalArb(-50, 100, 1),
    temp_c: decimalArb(-60, 150, 2),
    battery_v: decimalArb(0, 10, 3),
    accuracy_err_pct: decimalArb(-100, 100, 2),
    fw_metrology: fc.tuple(fc.nat(20), fc.nat(20), fc.nat(99)).map((v) => v.join(".")),
    fw_comms: fc.tuple(fc.nat(9), fc.nat(9), fc.nat(9), fc.constantFrom("", "-rc.1", "+b7")).map(([a, b, c, x]) => `${a}.${b}.${c}${x}`),
    fw_sha256: fc
      .tuple(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.boolean())
      .map(([b, upper]) => (upper ? Buffer.from(b).toString("hex").toUpperCase() : Buffer.from(b).toString("hex"))),
    cert_not_after: isoArb,
    msg: textArb(60),
    attrs: fc.dictionary(
      fc.tuple(fc.constantFrom("zone", "operator", "x", "constructor", "ts_", "msg2"), fc.nat(9)).map((p) => p.join("")),
      textArb(20),
      { maxKeys: 3 },
    ),
  },
  { requiredKeys: ["ts", "meter", "code", "attrs"] },
);
type Fields = typeof fieldsArb extends fc.Arbitrary<infer T> ? T : never;

const prefixArb = fc.oneof(
  fc.constant({ kind: "none" as const }),
  fc.record({
    kind: fc.constantFrom("3164" as const, "5424" as const, "iso" as const, "pri3164" as const),
    recv: fc.integer({ min: NOW - 150 * 86_400_000, max: NOW + 150 * 86_400_000 }),
    host: fc.tuple(fc.constantFrom("hes-", "mdm.", "h", "collector_"), fc.nat(99)).map((p) => p.join("")),
    app: fc.tuple(fc.constantFrom("maintd", "fieldtool-", "app_", "x"), fc.nat(99)).map((p) => p.join("")),
    pid: fc.option(fc.nat(99999), { nil: null }),
  }),
);

function quoteLogfmt(v: string): string {
  return `"${v.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

function renderPrefix(p: Prefix): { text: string; recv: number | null } {
  if (p.kind === "none") return { text: "", recv: null };
  const pid = p.pid === null ? "" : `[${p.pid}]`;
  if (p.kind === "5424") {
    const iso = new Date(p.recv).toISOString();
    return { text: `<134>1 ${iso} ${p.host} ${p.app} ${p.pid ?? "-"} AUDIT [o@1 ip="10.0.0.1" q="a\\"b\\]"] `, recv: p.recv };
  }
  if (p.kind === "iso") return { text: `${new Date(p.recv).toISOString()} ${p.host} ${p.app}${pid}: `, recv: p.recv };
  const recv = p.recv - (p.recv % 1000);
  const d = new Date(recv);
  const day = String(d.getUTCDate()).padStart(2, " ");
  const head = `${MONTHS[d.getUTCMonth()]} ${day} ${d.toISOString().slice(11, 19)} ${p.host} ${p.app}${pid}: `;
  return { text: p.kind === "pri3164" ? `<13>${head}` : head, recv };
}
type Prefix = typeof prefixArb extends fc.Arbitrary<infer T> ? T : never;

function buildExpected(f: Fields, prefix: Prefix, recv: number | null): AuditRecord {
  return {
    ts: f.ts.ms,
    recv_ts: recv,
    meter: f.meter,
    gw: f.gw ?? "",
    code: f.code,
    sev: f.sev ?? CODES[f.code].sev,
    led: f.led ?? "",
    step: f.step ?? "",
    job: f.job ?? "",
    result: f.result ?? "",
    rssi: f.rssi?.value ?? null,
    lqi: f.lqi?.value ?? null,
    snr: f.snr?.value ?? null,
    temp_c: f.temp_c?.value ?? null,
    battery_v: f.battery_v?.value ?? null,
    accuracy_err_pct: f.accuracy_err_pct?.value ?? null,
    fw_metrology: f.fw_metrology ?? "",
    fw_comms: f.fw_comms ?? "",
    fw_sha256: f.fw_sha256?.toLowerCase() ?? "",
    cert_not_after: f.cert_not_after?.ms ?? null,
    msg: f.msg ?? "",
    attrs: f.attrs,
    source_host: prefix.kind === "none" ? "" : prefix.host,
    source_app: prefix.kind === "none" ? "" : prefix.app,
  };
}

/** The fields as [key, text, isNumeric] in record order. */
function listPairs(f: Fields): [string, string, boolean][] {
  const pairs: [string, string, boolean][] = [];
  for (const [k, v] of Object.entries(f)) {
    if (k === "attrs" || v === undefined) continue;
    if (typeof v === "string") pairs.push([k, v, false]);
    else if ("value" in v) pairs.push([k, v.text, true]);
    else pairs.push([k, v.text, k === "ts" && !v.text.includes("-")]);
  }
  for (const [k, v] of Object.entries(f.attrs)) pairs.push([k, v, false]);
  return pairs;
}

const validLineArb: fc.Arbitrary<Generated> = fc
  .record({
    fields: fieldsArb,
    prefix: prefixArb,
    json: fc.boolean(),
    order: fc.array(fc.nat(), { minLength: 30, maxLength: 30 }),
    sep: fc.constantFrom(" ", "  ", "\t"),
    quoteAll: fc.boolean(),
    numbersAsStrings: fc.boolean(),
  })
  .map(({ fields, prefix, json, order, sep, quoteAll, numbersAsStrings }) => {
    const pairs = listPairs(fields)
      .map((p, i) => ({ p, o: order[i] ?? 0 }))
      .sort((a, b) => a.o - b.o)
      .map(({ p }) => p);
    const { text: head, recv } = renderPrefix(prefix);
    let body: string;
    if (json) {
      const obj: Record<string, unknown> = {};
      for (const [k, v, numeric] of pairs) obj[k] = numeric && !numbersAsStrings ? Number(v) : v;
      body = JSON.stringify(obj);
    } else {
      body = pairs.map(([k, v]) => (quoteAll || v === "" || /[\s"]/.test(v) ? `${k}=${quoteLogfmt(v)}` : `${k}=${v}`)).join(sep);
    }
    return { line: head + body, expected: buildExpected(fields, prefix, recv) };
  });

// ------------------------------------------------------------------ mutations

const INSERTS = [
  '"',
  "=",
  " ",
  "\\",
  "{",
  "}",
  "[",
  "]",
  ":",
  ",",
  "\u0000",
  "\u001b",
  "\u007f",
  "\t",
  "\r",
  "\n",
  "é",
  "😀",
  "\u2028",
  "\uFEFF",
  "\ud800",
  "A",
  "-",
  ".",
  "0",
  "x=1",
  "ts=1",
  "rssi=40",
  '\\"',
  "null",
  "<1>",
];

const mutationArb = fc.oneof(
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: fc.constantFrom(...INSERTS) }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }), to: fc.nat() }),
  fc.record({ kind: fc.constant("swap" as const), a: fc.nat(), b: fc.nat(), len: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant("replace" as const), at: fc.nat(), text: fc.constantFrom(...INSERTS) }),
);
type Mutation = typeof mutationArb extends fc.Arbitrary<infer T> ? T : never;

function applyMutation(s: string, m: Mutation): string {
  const n = s.length + 1;
  switch (m.kind) {
    case "truncate":
      return s.slice(0, m.at % n);
    case "insert":
      return s.slice(0, m.at % n) + m.text + s.slice(m.at % n);
    case "delete":
      return s.slice(0, m.at % n) + s.slice((m.at % n) + m.len);
    case "duplicate": {
      const piece = s.slice(m.at % n, (m.at % n) + m.len);
      return s.slice(0, m.to % n) + piece + s.slice(m.to % n);
    }
    case "swap": {
      const [a, b] = [m.a % n, m.b % n].sort((x, y) => x - y);
      if (a + m.len > b) return s;
      return s.slice(0, a) + s.slice(b, b + m.len) + s.slice(a + m.len, b) + s.slice(a, a + m.len) + s.slice(b + m.len);
    }
    case "replace":
      return s.slice(0, m.at % n) + m.text + s.slice((m.at % n) + 1);
  }
}

// ------------------------------------------------------------------ invariants

// Plain checks instead of expect(): several hundred thousand calls must stay fast.
function check(ok: boolean, what: string, line: string, got: unknown): void {
  if (!ok) throw new Error(`${what} for ${JSON.stringify(line)}: ${JSON.stringify(got)}`);
}

function isText(v: unknown): boolean {
  return typeof v === "string" && !CONTROL_RE.test(v);
}

function checkRecord(r: AuditRecord, line: string): void {
  const c = (ok: boolean, what: string) => check(ok, what, line, r);
  c(isDeepStrictEqual(Object.keys(r).sort(), RECORD_KEYS), "record keys");
  c(Number.isInteger(r.ts) && r.ts >= MIN_TS_MS && r.ts < MAX_TS_MS, "ts");
  c(r.recv_ts === null || Number.isInteger(r.recv_ts), "recv_ts");
  c(r.cert_not_after === null || (Number.isInteger(r.cert_not_after) && r.cert_not_after >= MIN_TS_MS), "cert_not_after");
  c(METER_ID_RE.test(r.meter), "meter");
  c(Object.hasOwn(CODES, r.code), "code");
  c((SEVERITIES as readonly string[]).includes(r.sev), "sev");
  c(["", ...LED_STATES].includes(r.led), "led");
  c(["", ...STEPS].includes(r.step), "step");
  c(["", ...RESULTS].includes(r.result), "result");
  c(/^$|^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/.test(r.gw), "gw");
  c([...r.job].length <= 128, "job");
  for (const [key, [min, max]] of Object.entries(NUMBER_RANGES)) {
    const v = r[key as keyof typeof NUMBER_RANGES];
    c(v === null || (Number.isFinite(v) && v >= min && v <= max), key);
  }
  c(r.lqi === null || Number.isInteger(r.lqi), "lqi integer");
  c(r.fw_metrology === "" || SEMVER_RE.test(r.fw_metrology), "fw_metrology");
  c(r.fw_comms === "" || SEMVER_RE.test(r.fw_comms), "fw_comms");
  c(/^$|^[0-9a-f]{64}$/.test(r.fw_sha256), "fw_sha256");
  for (const [k, v] of Object.entries(r.attrs)) {
    c(/^[a-z][a-z0-9_]*$/.test(k) && !(KNOWN_KEYS as readonly string[]).includes(k), `attr key ${k}`);
    c(isText(v), `attr ${k}`);
  }
  for (const v of [r.meter, r.gw, r.job, r.msg, r.fw_metrology, r.fw_comms, r.source_host, r.source_app]) {
    c(isText(v), "control byte in a text field");
  }
}

/** Checks one result against the line alone; returns it for counting. */
function checkResult(line: string): ParseResult {
  const r = parseLine(line, { now: NOW });
  const c = (ok: boolean, what: string) => check(ok, what, line, r);
  const body = line.endsWith("\r") ? line.slice(0, -1) : line;
  const bytes = Buffer.byteLength(body, "utf8");
  if (r.ok === true) {
    c(isDeepStrictEqual(Object.keys(r), ["ok", "record"]), "accepted shape");
    checkRecord(r.record, line);
  } else if (r.ok === false) {
    c(isDeepStrictEqual(Object.keys(r), ["ok", "reason"]), "refused shape");
    c(REASON_RE.test(r.reason) && isRefusalReason(r.reason), "reason");
  } else {
    c(isDeepStrictEqual(r, { ok: "skip" }), "skip shape");
  }
  if (bytes > MAX_LINE_BYTES) c(r.ok === false && r.reason === "too_long", "over 64 KiB must be too_long");
  else if (/^\uFEFF?[ \t\r\n]*$/.test(body)) c(r.ok === "skip", "blank must be skipped");
  else if (CONTROL_RE.test(body)) c(r.ok === false && r.reason === "malformed", "control byte must be malformed");
  else c(r.ok !== false || r.reason !== "too_long", "too_long under 64 KiB");
  // Parsing is a pure function of the line: no state carried over from the previous one.
  c(isDeepStrictEqual(parseLine(line, { now: NOW }), r), "same line, same result");
  countResult(r);
  return r;
}

// ------------------------------------------------------------------ properties

describe("parseLine properties", () => {
  it("valid generated lines parse to exactly the expected record (20 000 lines)", () => {
    fc.assert(
      fc.property(validLineArb, ({ line, expected }) => {
        const r = checkResult(line);
        if (!isDeepStrictEqual(r, { ok: true, record: expected })) expect(r).toEqual({ ok: true, record: expected });
      }),
      { numRuns: 20_000 },
    );
  }, 120_000);

  it("mutated lines give exactly one well-formed result (14 000 x 5 = 70 000 lines)", () => {
    const mutationsArb = fc.array(mutationArb, { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(validLineArb, fc.array(mutationsArb, { minLength: 5, maxLength: 5 }), ({ line }, variants) => {
        for (const mutations of variants) checkResult(mutations.reduce(applyMutation, line));
      }),
      { numRuns: 14_000 },
    );
  }, 120_000);

  it("token soup gives exactly one well-formed result (15 000 lines)", () => {
    const token = fc.constantFrom(
      "ts=2026-11-25T03:15:00Z",
      "meter=EM-0012345",
      "code=E105",
      "rssi=-97",
      "rssi=40",
      "led=off",
      "msg=",
      '"',
      "=",
      " ",
      "{",
      "}",
      '"ts":',
      '"meter":"EM-1234"',
      '"code":"E001"',
      ",",
      ":",
      "[",
      "]",
      "\\",
      "<14>1 ",
      "Nov 25 03:14:07 h a: ",
      "- ",
      "\t",
      "\r",
      "\u001b",
      "é",
      "x",
      "1",
      "null",
      "true",
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 20 }), (tokens) => {
        checkResult(tokens.join(""));
      }),
      { numRuns: 15_000 },
    );
  }, 60_000);

  it("lines around the 64 KiB boundary (300 lines)", () => {
    fc.assert(
      fc.property(validLineArb, fc.constantFrom("a", "é", "€", "😀"), fc.integer({ min: -8, max: 8 }), ({ line }, filler, delta) => {
        const need = MAX_LINE_BYTES + delta - Buffer.byteLength(line) - 8;
        const pad = need > 0 ? filler.repeat(Math.ceil(need / Buffer.byteLength(filler))) : "";
        checkResult(`${line} pad="${pad}"`);
      }),
      { numRuns: 300 },
    );
  }, 60_000);

  afterAll(() => {
    // The totals must add up, and the generators must reach every outcome to mean anything.
    expect(tally.accepted + tally.refused + tally.skipped).toBe(tally.lines);
    expect(tally.lines).toBeGreaterThanOrEqual(100_000);
    for (const reason of ["too_long", "malformed", "missing", "bad_value"]) {
      expect(tally.reasons.get(reason) ?? 0).toBeGreaterThan(0);
    }
    expect(tally.skipped).toBeGreaterThan(0);
    expect(tally.accepted).toBeGreaterThan(20_000); // the 20 000 valid lines and some mutated ones
    console.info(`parse fuzz: ${tally.lines} lines, ${tally.accepted} accepted, ${tally.refused} refused, ${tally.skipped} skipped`, Object.fromEntries(tally.reasons));
  });
});
