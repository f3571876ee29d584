import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseQuery, type QueryNode } from "./query-parser";
import { buildCountQuery, buildGroupCountQuery, buildHistogramQuery, buildSearchQuery, buildWhere, chooseHistogramInterval, globToLike, type LogColumn } from "./sql-builder";
import { formatClickHouseTime } from "@/lib/clickhouse/time";

function parse(query: string): QueryNode {
  const result = parseQuery(query);
  if (!result.ok) throw new Error(`${query}: ${result.error.message}`);
  return result.ast;
}

const where = (query: string) => buildWhere(parse(query));
const FROM = Date.UTC(2024, 4, 1, 9, 0, 0);
const TO = new Date(Date.UTC(2024, 4, 1, 10, 0, 0, 250));

describe("buildWhere", () => {
  it.each<[string, string, Record<string, string | number>]>([
    ["", "1", {}],
    ["*", "1", {}],
    ["code:E105", "code = {p0:String}", { p0: "E105" }],
    ["gateway:GW-0042", "gw = {p0:String}", { p0: "GW-0042" }],
    ['led:""', "led = {p0:String}", { p0: "" }],
    ["timeout", "hasTokenCaseInsensitive(msg, {p0:String})", { p0: "timeout" }],
    ["msg:E105", "hasTokenCaseInsensitive(msg, {p0:String})", { p0: "E105" }],
    ['"RF timeout"', "positionCaseInsensitive(msg, {p0:String}) > 0", { p0: "RF timeout" }],
    ["load_x", "positionCaseInsensitive(msg, {p0:String}) > 0", { p0: "load_x" }],
    ["RF-timeout", "positionCaseInsensitive(msg, {p0:String}) > 0", { p0: "RF-timeout" }],
    ["überspannung", "positionCaseInsensitiveUTF8(msg, {p0:String}) > 0", { p0: "überspannung" }],
    ["time*", "msg ILIKE {p0:String}", { p0: "%time%" }],
    ["msg:50%?done", "msg ILIKE {p0:String}", { p0: "%50\\%_done%" }],
    ["msg:*time*", "msg ILIKE {p0:String}", { p0: "%time%" }],
    ["msg:a?50\\%", "msg ILIKE {p0:String}", { p0: "%a_50\\%%" }],
    ["meter:EM-00123*", "meter LIKE {p0:String}", { p0: "EM-00123%" }],
    ["meter:EM\\_0012?", "meter LIKE {p0:String}", { p0: "EM\\_0012_" }],
    ["rssi:-95", "rssi = {p0:Float32}", { p0: -95 }],
    ["rssi:<-95", "rssi < {p0:Float32}", { p0: -95 }],
    ["rssi:<=-95", "rssi <= {p0:Float32}", { p0: -95 }],
    ["snr:>15", "snr > {p0:Float32}", { p0: 15 }],
    ["snr:>=15", "snr >= {p0:Float32}", { p0: 15 }],
    ["snr:[5 TO 15]", "(snr >= {p0:Float32} AND snr <= {p1:Float32})", { p0: 5, p1: 15 }],
    ["snr:{5 TO 15}", "(snr > {p0:Float32} AND snr < {p1:Float32})", { p0: 5, p1: 15 }],
    ["snr:{5 TO *]", "snr > {p0:Float32}", { p0: 5 }],
    ["snr:[* TO 15}", "snr < {p0:Float32}", { p0: 15 }],
    ["ts:>=2024-05-01T10:00:00.5Z", "ts >= {p0:DateTime64(3, 'UTC')}", { p0: "2024-05-01 10:00:00.500" }],
    [
      "cert_not_after:[2024-05-01 TO 2024-06-01}",
      "(cert_not_after >= {p0:DateTime64(3, 'UTC')} AND cert_not_after < {p1:DateTime64(3, 'UTC')})",
      { p0: "2024-05-01 00:00:00.000", p1: "2024-06-01 00:00:00.000" },
    ],
    ["attrs.fw_slot:B", "attrs[{p0:String}] = {p1:String}", { p0: "fw_slot", p1: "B" }],
    ["fw_slot:B*", "attrs[{p0:String}] LIKE {p1:String}", { p0: "fw_slot", p1: "B%" }],
    ["volts:>3.3", "toFloat64OrNull(attrs[{p0:String}]) > {p1:Float64}", { p0: "volts", p1: 3.3 }],
    ["volts:[1 TO 2]", "(toFloat64OrNull(attrs[{p0:String}]) >= {p1:Float64} AND toFloat64OrNull(attrs[{p0:String}]) <= {p2:Float64})", { p0: "volts", p1: 1, p2: 2 }],
    ["_exists_:rssi", "isNotNull(rssi)", {}],
    ["rssi:*", "isNotNull(rssi)", {}],
    ["snr:[* TO *]", "isNotNull(snr)", {}],
    ["led:*", "led != ''", {}],
    ["msg:*", "msg != ''", {}],
    ["_exists_:fw_slot", "mapContains(attrs, {p0:String})", { p0: "fw_slot" }],
    ["-code:HEARTBEAT", "NOT (code = {p0:String})", { p0: "HEARTBEAT" }],
    ["-rssi:<-95", "NOT ifNull(rssi < {p0:Float32}, 0)", { p0: -95 }],
    ["-volts:>3", "NOT ifNull(toFloat64OrNull(attrs[{p0:String}]) > {p1:Float64}, 0)", { p0: "volts", p1: 3 }],
    ["-ts:<2024-01-01", "NOT (ts < {p0:DateTime64(3, 'UTC')})", { p0: "2024-01-01 00:00:00.000" }],
    ["NOT (rssi:<-95 AND code:E105)", "NOT ifNull(rssi < {p0:Float32} AND code = {p1:String}, 0)", { p0: -95, p1: "E105" }],
    ["code:E105 gw:GW-1 timeout", "code = {p0:String} AND gw = {p1:String} AND hasTokenCaseInsensitive(msg, {p2:String})", { p0: "E105", p1: "GW-1", p2: "timeout" }],
    [
      "a OR b c",
      "hasTokenCaseInsensitive(msg, {p0:String}) OR (hasTokenCaseInsensitive(msg, {p1:String}) AND hasTokenCaseInsensitive(msg, {p2:String}))",
      { p0: "a", p1: "b", p2: "c" },
    ],
    ["code:(E105 OR e001) -gw:GW-0001", "(code = {p0:String} OR code = {p1:String}) AND NOT (gw = {p2:String})", { p0: "E105", p1: "E001", p2: "GW-0001" }],
  ])("%s", (query, sql, params) => {
    expect(where(query)).toEqual({ sql, params });
  });
});

describe("globToLike", () => {
  it("turns * and ? into % and _, and escapes LIKE's own specials", () => {
    expect(globToLike("EM-*")).toBe("EM-%");
    expect(globToLike("a?c")).toBe("a_c");
    expect(globToLike("100%_\\\\x")).toBe("100\\%\\_\\\\x");
    expect(globToLike("a\\*b\\?c*")).toBe("a*b?c%");
  });
});

describe("buildSearchQuery", () => {
  const columns: LogColumn[] = ["meter", "code", "msg"];

  it("builds a first page, newest first", () => {
    const { query, params } = buildSearchQuery({ ast: parse("code:E105"), from: FROM, to: TO, limit: 100, order: "desc", columns });
    expect(query).toBe(
      [
        "SELECT ts, id, meter, code, msg",
        "FROM audit_log",
        "WHERE ts >= {from:DateTime64(3, 'UTC')}",
        "  AND ts < {to:DateTime64(3, 'UTC')}",
        "  AND (code = {p0:String})",
        "ORDER BY ts DESC, id DESC",
        "LIMIT {limit:UInt32}",
      ].join("\n"),
    );
    expect(params).toEqual({ from: "2024-05-01 09:00:00.000", to: "2024-05-01 10:00:00.250", p0: "E105", limit: 100 });
  });

  it("continues after the cursor on (ts, id), in both directions", () => {
    const cursor = { ts: Date.UTC(2024, 4, 1, 9, 30), id: 18446744073709551615n };
    const desc = buildSearchQuery({ ast: parse(""), from: FROM, to: TO, limit: 50, order: "desc", columns: ["ts", "id", "code"], cursor });
    expect(desc.query).toBe(
      [
        "SELECT ts, id, code",
        "FROM audit_log",
        "WHERE ts >= {from:DateTime64(3, 'UTC')}",
        "  AND ts < {to:DateTime64(3, 'UTC')}",
        "  AND (ts < {cursor_ts:DateTime64(3, 'UTC')} OR (ts = {cursor_ts:DateTime64(3, 'UTC')} AND id < {cursor_id:UInt64}))",
        "ORDER BY ts DESC, id DESC",
        "LIMIT {limit:UInt32}",
      ].join("\n"),
    );
    expect(desc.params).toEqual({
      from: "2024-05-01 09:00:00.000",
      to: "2024-05-01 10:00:00.250",
      cursor_ts: "2024-05-01 09:30:00.000",
      cursor_id: "18446744073709551615",
      limit: 50,
    });
    const asc = buildSearchQuery({ ast: parse("a OR b"), from: FROM, to: TO, limit: 50, order: "asc", columns: [], cursor: { ts: new Date(FROM), id: "7" } });
    expect(asc.query).toContain(
      "  AND (hasTokenCaseInsensitive(msg, {p0:String}) OR hasTokenCaseInsensitive(msg, {p1:String}))\n" +
        "  AND (ts > {cursor_ts:DateTime64(3, 'UTC')} OR (ts = {cursor_ts:DateTime64(3, 'UTC')} AND id > {cursor_id:UInt64}))\n" +
        "ORDER BY ts ASC, id ASC",
    );
    expect(asc.query.startsWith("SELECT ts, id\n")).toBe(true);
  });

  it("clamps the page size to 1..1000", () => {
    const limit = (n: number) => buildSearchQuery({ ast: parse(""), from: FROM, to: TO, limit: n, order: "desc", columns: [] }).params.limit;
    expect([limit(0), limit(25.7), limit(5000), limit(Number.NaN)]).toEqual([1, 25, 1000, 1000]);
  });

  it("refuses columns, orders and cursors outside the allow-lists", () => {
    const base = { ast: parse(""), from: FROM, to: TO, limit: 10, order: "desc" as const, columns: [] as LogColumn[] };
    expect(() => buildSearchQuery({ ...base, columns: ["msg; DROP TABLE audit_log" as LogColumn] })).toThrow(/Unknown log column/);
    expect(() => buildSearchQuery({ ...base, order: "desc; --" as "desc" })).toThrow(/Unknown order/);
    expect(() => buildSearchQuery({ ...base, cursor: { ts: FROM, id: "1 OR 1=1" } })).toThrow(/Invalid cursor id/);
    expect(() => buildSearchQuery({ ...base, from: Number.NaN })).toThrow(/Invalid time/);
    expect(() => buildSearchQuery({ ...base, to: new Date("nope") })).toThrow(/Invalid time/);
  });
});

describe("buildCountQuery", () => {
  it("counts matches in the time range", () => {
    expect(buildCountQuery({ ast: parse("rssi:<-95"), from: FROM, to: TO })).toEqual({
      query: ["SELECT count() AS n", "FROM audit_log", "WHERE ts >= {from:DateTime64(3, 'UTC')}", "  AND ts < {to:DateTime64(3, 'UTC')}", "  AND (rssi < {p0:Float32})"].join("\n"),
      params: { from: "2024-05-01 09:00:00.000", to: "2024-05-01 10:00:00.250", p0: -95 },
    });
  });
});

describe("buildGroupCountQuery", () => {
  it("counts matches per allow-listed column, sent as an Identifier parameter", () => {
    expect(buildGroupCountQuery({ ast: parse("code:E105"), from: FROM, to: TO, groupBy: "gw" })).toEqual({
      query: [
        "SELECT toString({group_col:Identifier}) AS g, count() AS n, groupUniqArray(50)(meter) AS sample",
        "FROM audit_log",
        "WHERE ts >= {from:DateTime64(3, 'UTC')}",
        "  AND ts < {to:DateTime64(3, 'UTC')}",
        "  AND (code = {p0:String})",
        "GROUP BY g",
      ].join("\n"),
      params: { from: "2024-05-01 09:00:00.000", to: "2024-05-01 10:00:00.250", p0: "E105", group_col: "gw" },
    });
  });
  it("one fleet-wide row without a column, and refuses columns outside the allow-list", () => {
    expect(buildGroupCountQuery({ ast: parse(""), from: FROM, to: TO, groupBy: null }).query).toContain("'' AS g");
    expect(() => buildGroupCountQuery({ ast: parse(""), from: FROM, to: TO, groupBy: "msg" as "gw" })).toThrow(/Unknown group column/);
  });
});

describe("buildHistogramQuery", () => {
  it("buckets with toStartOfInterval and stacks by the chosen column", () => {
    const h = buildHistogramQuery({ ast: parse("gw:GW-1"), from: FROM, to: FROM + 3_600_000, targetBuckets: 100, stackBy: "code" });
    expect(h.interval).toEqual({ label: "1m", seconds: 60, sql: "INTERVAL 1 MINUTE" });
    expect(h.query).toBe(
      [
        "SELECT toStartOfInterval(ts, INTERVAL 1 MINUTE) AS bucket, code AS series, count() AS n",
        "FROM audit_log",
        "WHERE ts >= {from:DateTime64(3, 'UTC')}",
        "  AND ts < {to:DateTime64(3, 'UTC')}",
        "  AND (gw = {p0:String})",
        "GROUP BY bucket, series",
        "ORDER BY bucket ASC, series ASC",
      ].join("\n"),
    );
    expect(h.params).toEqual({ from: "2024-05-01 09:00:00.000", to: "2024-05-01 10:00:00.000", p0: "GW-1" });
    const bySev = buildHistogramQuery({ ast: parse(""), from: FROM, to: FROM + 86_400_000, targetBuckets: 100, stackBy: "sev" });
    expect(bySev.query).toContain("toStartOfInterval(ts, INTERVAL 30 MINUTE) AS bucket, sev AS series, count() AS n");
    expect(bySev.query).not.toContain("AND (");
  });

  it("reads whole minutes from the per-minute counts when only code and sev are filtered, and the partial edge minutes from the table", () => {
    const from = FROM + 30_500; // 09:00:30.500
    const to = FROM + 86_400_000 + 20_000; // next day 09:00:20
    const h = buildHistogramQuery({ ast: parse("code:E105 OR -sev:debug"), from, to, targetBuckets: 100, stackBy: "sev" });
    expect(h.query).toBe(
      [
        "SELECT bucket, series, sum(n) AS n FROM (",
        "  SELECT toStartOfInterval(toStartOfMinute(ts), INTERVAL 30 MINUTE) AS bucket, sev AS series, count() AS n",
        "  FROM audit_log",
        "  WHERE toStartOfMinute(ts) >= {minute_from:DateTime64(3, 'UTC')} AND toStartOfMinute(ts) < {minute_to:DateTime64(3, 'UTC')} AND (code = {p0:String} OR NOT (sev = {p1:String}))",
        "  GROUP BY bucket, series",
        "  UNION ALL",
        "  SELECT toStartOfInterval(ts, INTERVAL 30 MINUTE) AS bucket, sev AS series, count() AS n",
        "  FROM audit_log",
        "  WHERE ((ts >= {from:DateTime64(3, 'UTC')} AND ts < {minute_from:DateTime64(3, 'UTC')}) OR (ts >= {minute_to:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')})) AND (code = {p0:String} OR NOT (sev = {p1:String}))",
        "  GROUP BY bucket, series",
        ")",
        "GROUP BY bucket, series",
        "ORDER BY bucket ASC, series ASC",
      ].join("\n"),
    );
    expect(h.params).toEqual({
      p0: "E105",
      p1: "debug",
      from: "2024-05-01 09:00:30.500",
      to: "2024-05-02 09:00:20.000",
      minute_from: "2024-05-01 09:01:00.000",
      minute_to: "2024-05-02 09:00:00.000",
    });
    // Free text, other fields, attributes, sub-minute buckets or less than a whole minute: the table alone.
    for (const [q, span] of [
      ["timeout", 86_400_000],
      ["gw:GW-1", 86_400_000],
      ["fw_slot:B", 86_400_000],
      ["code:E105", 600_000],
      ["", 50_000],
    ] as const) {
      const raw = buildHistogramQuery({ ast: parse(q), from: FROM + 5_000, to: FROM + 5_000 + span, targetBuckets: 100, stackBy: "code" });
      expect(raw.query, q).not.toContain("toStartOfMinute");
      expect(raw.query.startsWith("SELECT toStartOfInterval(ts, "), q).toBe(true);
    }
  });

  it("refuses a stackBy outside the allow-list", () => {
    expect(() => buildHistogramQuery({ ast: parse(""), from: FROM, to: TO, targetBuckets: 100, stackBy: "msg" as "sev" })).toThrow(/Unknown stackBy/);
  });

  it.each<[string, number, number, string]>([
    ["1 minute", 60_000, 100, "1s"],
    ["15 minutes", 15 * 60_000, 100, "10s"],
    ["1 hour", 3_600_000, 100, "1m"],
    ["1 hour, 60 buckets", 3_600_000, 60, "1m"],
    ["1 hour, 59 buckets", 3_600_000, 59, "5m"],
    ["6 hours", 6 * 3_600_000, 100, "5m"],
    ["24 hours", 86_400_000, 100, "30m"],
    ["7 days", 7 * 86_400_000, 100, "3h"],
    ["30 days", 30 * 86_400_000, 100, "12h"],
    ["90 days (no interval fits 60)", 90 * 86_400_000, 60, "1d"],
    ["empty span", 0, 100, "1s"],
  ])("chooses %s -> interval", (_name, span, target, label) => {
    expect(chooseHistogramInterval(span, target).label).toBe(label);
  });
});

describe("formatClickHouseTime", () => {
  it("writes UTC with milliseconds", () => {
    expect(formatClickHouseTime(Date.UTC(2024, 0, 2, 3, 4, 5, 6))).toBe("2024-01-02 03:04:05.006");
    expect(formatClickHouseTime(new Date("2024-05-01T12:00:00+02:00"))).toBe("2024-05-01 10:00:00.000");
  });
});

// Injection: hostile values must reach ClickHouse only as params, never as SQL text.
const HOSTILE = ["'; DROP TABLE audit_log; --", "' OR 1=1 --", "\\'", "\\", '"', "{x:String}", "{p99:String}", "`id`", "a\u0000b", "ü🚀\u202e", "*/ SELECT 1 /*"];
const SAFE_WORDS = new Set([
  ...["ts", "recv_ts", "cert_not_after", "meter", "gw", "code", "sev", "led", "step", "job", "result"],
  ...["fw_metrology", "fw_comms", "fw_sha256", "source", "source_host", "source_app", "rssi", "lqi", "snr"],
  ...["temp_c", "battery_v", "accuracy_err_pct", "msg", "attrs", "AND", "OR", "NOT", "LIKE", "ILIKE"],
  ...["hasTokenCaseInsensitive", "positionCaseInsensitive", "positionCaseInsensitiveUTF8", "ifNull", "isNotNull"],
  ...["mapContains", "toFloat64OrNull", "EMPTY"],
]);
const PLACEHOLDER_RE = /\{(p\d+):(?:String|Float32|Float64|DateTime64\(3, 'UTC'\))\}/g;

/** The SQL with placeholders and the one fixed '' literal removed must be plain vocabulary. */
function assertSafeWhere(sql: string, params: Record<string, unknown>) {
  const used = new Set([...sql.matchAll(PLACEHOLDER_RE)].map((m) => m[1]));
  expect([...used].sort()).toEqual(Object.keys(params).sort());
  const bare = sql.replace(PLACEHOLDER_RE, "?").replaceAll("!= ''", "!= EMPTY");
  expect(bare).toMatch(/^[A-Za-z0-9_ ()<>=!,?[\]]*$/);
  for (const word of bare.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []) expect(SAFE_WORDS).toContain(word);
}

describe("injection", () => {
  const quote = (value: string) => `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
  const escapeWord = (value: string) => value.replace(/[\s()\\"*?[{\-!+]/g, "\\$&");
  const escapeLike = (value: string) => value.replace(/[%_\\]/g, "\\$&");

  it.each(HOSTILE)("keeps %j out of the SQL text in every position", (value) => {
    const queries: [string, string][] = [
      [quote(value), value],
      [escapeWord(value), value],
      [`msg:${quote(value)}`, value],
      [`code:${quote(value)}`, value],
      [`meter:${escapeWord(value)}*`, `${escapeLike(value)}%`],
      [`attrs.k:${quote(value)}`, value],
      [`_exists_:${quote(value)}`, value],
      [`${quote(value)} OR -code:(${quote(value)} ${quote(value)})`, value],
    ];
    for (const [q, expectedParam] of queries) {
      const { sql, params } = where(q);
      expect(sql).not.toContain(value);
      assertSafeWhere(sql, params);
      expect(Object.values(params)).toContain(expectedParam);
    }
    const { query } = buildSearchQuery({ ast: parse(`code:${quote(value)}`), from: FROM, to: TO, limit: 10, order: "desc", columns: ["msg"] });
    expect(query).not.toContain(value);
  });

  it("passes the exact hostile value as the param", () => {
    expect(where(`code:${quote("'; DROP TABLE audit_log; --")}`).params).toEqual({ p0: "'; DROP TABLE audit_log; --" });
    expect(where(`_exists_:"a'b"`).params).toEqual({ p0: "a'b" });
  });

  it("refuses hand-built ASTs that name columns, operators or bounds outside the allow-lists", () => {
    const evil = { kind: "column", name: "code = code OR 1" } as never;
    expect(() => buildWhere({ type: "term", field: evil, value: "x" })).toThrow(/Unknown field/);
    expect(() => buildWhere({ type: "exists", field: evil })).toThrow(/Unknown field/);
    expect(() => buildWhere({ type: "term", field: { kind: "column", name: "toString" } as never, value: "x" })).toThrow();
    expect(() => buildWhere({ type: "compare", field: { kind: "column", name: "rssi" }, op: "; --" as never, value: 1 })).toThrow(/Unknown operator/);
    expect(() => buildWhere({ type: "compare", field: { kind: "column", name: "rssi" }, op: "<", value: "1); DROP" as never })).toThrow(/Invalid bound/);
    expect(() => buildWhere({ type: "compare", field: { kind: "column", name: "code" }, op: "<", value: 1 })).toThrow(/not numeric/);
    expect(() => buildWhere({ type: "wildcard", field: { kind: "column", name: "rssi" }, pattern: "1*" })).toThrow(/holds no text/);
    expect(() => buildWhere({ type: "bogus" } as never)).toThrow(/Unknown query node/);
  });

  it("produces only safe SQL for any parsable random query (property)", () => {
    const token = fc.constantFrom(
      "code:",
      "rssi:",
      "ts:",
      "attrs.x:",
      "_exists_:",
      "foo:",
      "msg:",
      "led:",
      "E105",
      "-95",
      "5",
      "2024-05-01",
      "*",
      "?",
      "(",
      ")",
      "[",
      "]",
      "{",
      "}",
      " TO ",
      '"',
      '\\"',
      "\\",
      "AND",
      "OR",
      "NOT",
      "-",
      "<",
      ">=",
      " ",
      "  ",
      "x",
      "ü",
      "'",
      ";",
      "--",
      "%",
      "_",
      "{p0:String}",
      "`",
    );
    let parsed = 0;
    fc.assert(
      fc.property(
        fc.array(token, { maxLength: 20 }).map((t) => t.join("")),
        (query) => {
          const result = parseQuery(query);
          if (!result.ok) return;
          parsed++;
          const { sql, params } = buildWhere(result.ast);
          assertSafeWhere(sql, params);
        },
      ),
      { numRuns: 20_000 },
    );
    // Guard against a generator that only ever produces parse errors.
    expect(parsed).toBeGreaterThan(2_000);
  });
});
