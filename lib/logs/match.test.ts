import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileLike, compileMatcher, MatchBudgetExceeded, matchRecord, WORK_BASE, WORK_PER_CHAR, type MatchableRecord, type WorkCount } from "./match";
import { MAX_WILDCARDS, parseQuery } from "./query-parser";
import { auditRecord } from "@/lib/testing/factories";

const T0 = Date.UTC(2026, 10, 25, 3, 14, 7, 498);

function line(partial: Partial<MatchableRecord> = {}): MatchableRecord {
  return {
    ...auditRecord({
      ts: T0,
      meter: "EM-0012345",
      gw: "GW-0042",
      code: "E105",
      sev: "error",
      led: "amber_steady",
      rssi: -97,
      lqi: 38,
      snr: 11.2,
      msg: "RF timeout after 3 retries",
    }),
    source_host: "hes-01",
    source_app: "maintd",
    source: "file:/var/log/ami/maintenance_audit.log",
    ...partial,
  };
}

function matches(q: string, record: MatchableRecord): boolean {
  const parsed = parseQuery(q);
  if (!parsed.ok) throw new Error(`test query does not parse: ${q}: ${parsed.error.message}`);
  return matchRecord(parsed.ast, record);
}

describe("matchRecord", () => {
  it("matches everything for the empty query and *", () => {
    expect(matches("", line())).toBe(true);
    expect(matches("*", line())).toBe(true);
  });

  it("matches exact keyword values, normalising catalogue case like the SQL builder", () => {
    expect(matches("code:E105", line())).toBe(true);
    expect(matches("code:e105", line())).toBe(true);
    expect(matches("code:E001", line())).toBe(false);
    expect(matches("gw:GW-0042", line())).toBe(true);
    // Non-catalogue keyword columns are case-sensitive (SQL =).
    expect(matches("gw:gw-0042", line())).toBe(false);
    expect(matches("meter:EM-0012345 code:E105", line())).toBe(true);
    expect(matches("meter:EM-0012345 code:E001", line())).toBe(false);
  });

  it("matches bare words as whole tokens, case-insensitively (hasTokenCaseInsensitive)", () => {
    expect(matches("timeout", line())).toBe(true);
    expect(matches("TIMEOUT", line())).toBe(true);
    expect(matches("time", line())).toBe(false);
    expect(matches("3", line())).toBe(true);
    expect(matches("retries", line({ msg: "retries:5" }))).toBe(true);
    // Non-ASCII characters belong to the token: "café" is one token, so "caf" is not a word of it.
    expect(matches("caf", line({ msg: "café au lait" }))).toBe(false);
  });

  it("matches phrases and non-alphanumeric words as substrings", () => {
    expect(matches('"timeout after"', line())).toBe(true);
    expect(matches('"after 3 RETRIES"', line())).toBe(true);
    expect(matches('"timeout  after"', line())).toBe(false);
    expect(matches("GW-00", line({ msg: "via GW-0042" }))).toBe(true);
    expect(matches('"ÉTÉ"', line({ msg: "relevé été" }))).toBe(true);
  });

  it("matches globs: LIKE on keywords (anchored, case-sensitive), ILIKE anywhere on msg", () => {
    expect(matches("meter:EM-00123*", line())).toBe(true);
    expect(matches("meter:EM-0012?45", line())).toBe(true);
    expect(matches("meter:em-00123*", line())).toBe(false);
    expect(matches("meter:00123*", line())).toBe(false);
    expect(matches("time*", line())).toBe(true);
    expect(matches("TIME*", line())).toBe(true);
    expect(matches("rf?timeout", line())).toBe(true);
    // % and _ in a value are literal, not LIKE wildcards.
    expect(matches("msg:50%*", line({ msg: "loss 50% now" }))).toBe(true);
    expect(matches("msg:50%*", line({ msg: "loss 500 now" }))).toBe(false);
    expect(matches("job:cmp_*", line({ job: "cmpX8f" }))).toBe(false);
    expect(matches("job:cmp_*", line({ job: "cmp_8f" }))).toBe(true);
  });

  it("compares numbers as Float32 and never matches NULL", () => {
    expect(matches("rssi:<-95", line())).toBe(true);
    expect(matches("rssi:<-97", line())).toBe(false);
    expect(matches("rssi:<=-97", line())).toBe(true);
    expect(matches("rssi:-97", line())).toBe(true);
    // 11.2 stored as Float32 equals the Float32 bound 11.2.
    expect(matches("snr:11.2", line())).toBe(true);
    expect(matches("snr:[5 TO 15]", line())).toBe(true);
    expect(matches("snr:{11.2 TO 15]", line())).toBe(false);
    expect(matches("rssi:<-95", line({ rssi: null }))).toBe(false);
    expect(matches("temp_c:>60", line())).toBe(false);
  });

  it("negates a NULL comparison to a match, as NOT ifNull(x, 0) does", () => {
    expect(matches("-rssi:<-95", line({ rssi: null }))).toBe(true);
    expect(matches("-rssi:<-95", line())).toBe(false);
    expect(matches("NOT (rssi:<-95 OR code:E001)", line({ rssi: null }))).toBe(true);
    expect(matches("-code:HEARTBEAT", line())).toBe(true);
    expect(matches("!code:E105", line())).toBe(false);
  });

  it("compares times as epoch ms", () => {
    expect(matches("ts:>=2026-11-25T03:14:07.498Z", line())).toBe(true);
    expect(matches("ts:>2026-11-25T03:14:07.498Z", line())).toBe(false);
    expect(matches("cert_not_after:<2030-01-01", line())).toBe(false);
    expect(matches("cert_not_after:<2030-01-01", line({ cert_not_after: Date.UTC(2027, 0, 1) }))).toBe(true);
  });

  it("looks attributes up like attrs[key] ('' when missing) and toFloat64OrNull", () => {
    const r = line({ attrs: { fw_slot: "B", retries: "3", weird: "3x" } });
    expect(matches("attrs.fw_slot:B", r)).toBe(true);
    expect(matches("fw_slot:B", r)).toBe(true);
    expect(matches("fw_slot:b", r)).toBe(false);
    expect(matches("retries:>2", r)).toBe(true);
    expect(matches("weird:>2", r)).toBe(false);
    expect(matches("-weird:>2", r)).toBe(true);
    expect(matches("missing:>2", r)).toBe(false);
    expect(matches('missing:""', r)).toBe(true);
    expect(matches("_exists_:fw_slot", r)).toBe(true);
    expect(matches("_exists_:missing", r)).toBe(false);
  });

  it("checks presence: non-empty text, non-NULL numbers", () => {
    expect(matches("_exists_:rssi", line())).toBe(true);
    expect(matches("rssi:*", line({ rssi: null }))).toBe(false);
    expect(matches("_exists_:job", line())).toBe(false);
    expect(matches("job:*", line({ job: "cmp_1" }))).toBe(true);
  });

  it("applies AND before OR and field groups to each term", () => {
    expect(matches("code:E001 OR code:E105 gw:GW-9", line())).toBe(false);
    expect(matches("(code:E001 OR code:E105) gw:GW-0042", line())).toBe(true);
    expect(matches("code:(E001 OR E105)", line())).toBe(true);
    expect(matches("code:(E001 OR HEARTBEAT)", line())).toBe(false);
  });

  it("treats hostile text in values as data", () => {
    const r = line({ msg: "<script>window.__pwned=1</script> '; DROP TABLE audit_log; -- {x:String}" });
    expect(matches('"<script>"', r)).toBe(true);
    expect(matches('"DROP TABLE audit_log"', r)).toBe(true);
    expect(matches('"{x:String}"', r)).toBe(true);
    expect(matches('"{y:String}"', r)).toBe(false);
  });
});

describe("compileLike", () => {
  it("anchors, treats regex specials as text and honours LIKE escapes", () => {
    expect(compileLike("a.c", false).test("abc")).toBe(false);
    expect(compileLike("a.c", false).test("a.c")).toBe(true);
    expect(compileLike("a\\%b", false).test("a%b")).toBe(true);
    expect(compileLike("a\\%b", false).test("axxb")).toBe(false);
    expect(compileLike("a_c", false).test("aéc")).toBe(true);
    expect(compileLike("%(x)%", false).test("1(x)2")).toBe(true);
  });
});

describe("wildcard matching without backtracking (issue 24 #1)", () => {
  // Oracle for small inputs only: the anchored RegExp the live tail used to build per line.
  function oracle(like: string, ci: boolean): RegExp {
    let out = "";
    for (let i = 0; i < like.length; i++) {
      const ch = like[i]!;
      if (ch === "\\" && i + 1 < like.length) out += like[++i]!.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");
      else if (ch === "%") out += "[\\s\\S]*";
      else if (ch === "_") out += "[\\s\\S]";
      else out += ch.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");
    }
    return new RegExp(`^${out}$`, ci ? "iu" : "u");
  }

  it("agrees with an anchored RegExp on random patterns and subjects (property)", () => {
    const alphabet = fc.constantFrom("a", "b", "A", "é", "É", "ſ", "S", "s", "😀", "%", "_", "\\", ".");
    const text = fc.array(alphabet, { maxLength: 12 }).map((xs) => xs.join(""));
    fc.assert(
      fc.property(text, text, fc.boolean(), (like, subject, ci) => {
        expect(compileLike(like, ci).test(subject)).toBe(oracle(like, ci).test(subject));
      }),
      { numRuns: 20_000 },
    );
  });

  it("matches free text anywhere, case-insensitively, and other fields anchored", () => {
    expect(matches("msg:*TIME?UT*", line())).toBe(true);
    expect(matches("time?ut", line())).toBe(true);
    expect(matches("msg:*retries", line())).toBe(true);
    expect(matches("meter:EM-*5", line())).toBe(true);
    expect(matches("meter:EM-*4", line())).toBe(false);
    expect(matches("meter:em-*", line())).toBe(false);
  });

  it("does work linear in the line for pathological queries (operation count, not wall time)", () => {
    const queries = ["msg:*e*e*e*e*e*e*e*e*Z", "msg:*e*e*e*e*e*e*e*e*e*e*Z", "*a?a?a?a?a?a?a?a?a?b", "meter:*0*0*0*0*0*0*X*"];
    for (const q of queries) {
      const parsed = parseQuery(q);
      if (!parsed.ok) throw new Error(parsed.error.message);
      for (const n of [1_000, 100_000]) {
        const count: WorkCount = { ops: 0 };
        const match = compileMatcher(parsed.ast, count);
        const msg = "e a ".repeat(n / 4);
        expect(match(line({ msg, meter: "EM-" + "0".repeat(n) }))).toBe(false);
        expect(count.ops).toBeGreaterThan(0);
        // A backtracking matcher does ~n^pieces steps; this one a small multiple of n.
        expect(count.ops, q).toBeLessThanOrEqual(8 * n + 10_000);
      }
    }
  });

  it("bounds the work per line: a line that would cost more is refused, not matched slowly", () => {
    const like = compileLike(`%a_${"a".repeat(1000)}b%`, false);
    const count: WorkCount = { ops: 0 };
    expect(() => like.test("a".repeat(100_000), count)).toThrow(MatchBudgetExceeded);
    expect(count.ops).toBeLessThanOrEqual(WORK_PER_CHAR * 100_000 + WORK_BASE + 2_000);
    // The same pattern on an ordinary line is matched normally.
    expect(like.test(`xx a-${"a".repeat(1000)}b yy`)).toBe(true);
  });

  it("refuses a query with more wildcards than the matcher places per line, with a clear error", () => {
    expect(parseQuery(`msg:${"*e".repeat(MAX_WILDCARDS)}`).ok).toBe(true);
    expect(parseQuery("msg:***a**").ok).toBe(true); // a run of * is one piece
    const r = parseQuery(`msg:${"*e".repeat(MAX_WILDCARDS)}* x`);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.message).toBe(`Too many wildcards: a query may hold at most ${MAX_WILDCARDS} * or ?`);
      expect(r.error.position).toBe(4 + 2 * MAX_WILDCARDS);
    }
    expect(parseQuery(`a?b ${"c?".repeat(MAX_WILDCARDS)}`).ok).toBe(false); // counted over the whole query
  });
});
