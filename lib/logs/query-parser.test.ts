import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_QUERY_LENGTH, parseQuery, type FieldRef, type QueryNode } from "./query-parser";

const col = (name: string) => ({ kind: "column", name }) as FieldRef;
const attr = (key: string): FieldRef => ({ kind: "attr", key });
const text = (value: string, phrase = false): QueryNode => ({ type: "text", value, phrase });
const term = (field: FieldRef, value: string): QueryNode => ({ type: "term", field, value });

function ast(query: string): QueryNode {
  const result = parseQuery(query);
  if (!result.ok) throw new Error(`expected ${query} to parse: ${result.error.message} at ${result.error.position}`);
  return result.ast;
}

function error(query: string) {
  const result = parseQuery(query);
  if (result.ok) throw new Error(`expected ${query} to fail, got ${JSON.stringify(result.ast)}`);
  return result.error;
}

describe("parseQuery: constructs", () => {
  it.each<[string, QueryNode]>([
    ["", { type: "all" }],
    ["   ", { type: "all" }],
    ["*", { type: "all" }],
    ["timeout", text("timeout")],
    ['"RF timeout"', text("RF timeout", true)],
    ['"say \\"hi\\""', text('say "hi"', true)],
    ["time*", { type: "wildcard", field: col("msg"), pattern: "time*" }],
    ["code:E105", term(col("code"), "E105")],
    ["gw:GW-0042", term(col("gw"), "GW-0042")],
    ["led:amber_steady", term(col("led"), "amber_steady")],
    ['led:""', term(col("led"), "")],
    ["meter:EM-00123*", { type: "wildcard", field: col("meter"), pattern: "EM-00123*" }],
    ["meter:EM-?0123", { type: "wildcard", field: col("meter"), pattern: "EM-?0123" }],
    ["meter:EM\\*1", term(col("meter"), "EM*1")],
    ["meter:a\\*b*", { type: "wildcard", field: col("meter"), pattern: "a\\*b*" }],
    ['msg:"after 3"', text("after 3", true)],
    ["msg:retry", text("retry")],
    ["msg:retr*", { type: "wildcard", field: col("msg"), pattern: "retr*" }],
    ['code:"E105"', term(col("code"), "E105")],
    ["rssi:-95", { type: "compare", field: col("rssi"), op: "=", value: -95 }],
    ["rssi:<-95", { type: "compare", field: col("rssi"), op: "<", value: -95 }],
    ["rssi:<=-95", { type: "compare", field: col("rssi"), op: "<=", value: -95 }],
    ["snr:>15", { type: "compare", field: col("snr"), op: ">", value: 15 }],
    ["snr:>=15.5", { type: "compare", field: col("snr"), op: ">=", value: 15.5 }],
    ["snr:[5 TO 15]", { type: "range", field: col("snr"), lower: { value: 5, inclusive: true }, upper: { value: 15, inclusive: true } }],
    ["snr:{5 TO 15}", { type: "range", field: col("snr"), lower: { value: 5, inclusive: false }, upper: { value: 15, inclusive: false } }],
    ["snr:[5 TO 15}", { type: "range", field: col("snr"), lower: { value: 5, inclusive: true }, upper: { value: 15, inclusive: false } }],
    ["snr:{5 TO 15]", { type: "range", field: col("snr"), lower: { value: 5, inclusive: false }, upper: { value: 15, inclusive: true } }],
    ["snr:[* TO 15]", { type: "range", field: col("snr"), lower: null, upper: { value: 15, inclusive: true } }],
    ["snr:[5 TO *]", { type: "range", field: col("snr"), lower: { value: 5, inclusive: true }, upper: null }],
    ["snr:[ 5  TO  5 ]", { type: "range", field: col("snr"), lower: { value: 5, inclusive: true }, upper: { value: 5, inclusive: true } }],
    ["snr:[* TO *]", { type: "exists", field: col("snr") }],
    ["ts:>=2024-05-01T10:00:00Z", { type: "compare", field: col("ts"), op: ">=", value: Date.UTC(2024, 4, 1, 10) }],
    [
      "cert_not_after:[2024-05-01 TO 2024-06-01T00:00:00+02:00}",
      { type: "range", field: col("cert_not_after"), lower: { value: Date.UTC(2024, 4, 1), inclusive: true }, upper: { value: Date.UTC(2024, 4, 31, 22), inclusive: false } },
    ],
    ["attrs.fw_slot:B", term(attr("fw_slot"), "B")],
    ["fw_slot:B", term(attr("fw_slot"), "B")],
    ["Region.Name:North", term(attr("Region.Name"), "North")],
    ["attrs.volts:>3.3", { type: "compare", field: attr("volts"), op: ">", value: 3.3 }],
    ["attrs.volts:[1 TO 2]", { type: "range", field: attr("volts"), lower: { value: 1, inclusive: true }, upper: { value: 2, inclusive: true } }],
    ["attrs.slot:B*", { type: "wildcard", field: attr("slot"), pattern: "B*" }],
    ["_exists_:rssi", { type: "exists", field: col("rssi") }],
    ["_exists_:fw_slot", { type: "exists", field: attr("fw_slot") }],
    ["_exists_:attrs.fw_slot", { type: "exists", field: attr("fw_slot") }],
    ["rssi:*", { type: "exists", field: col("rssi") }],
    ["led:*", { type: "exists", field: col("led") }],
    ["attrs.x:*", { type: "exists", field: attr("x") }],
    ["-code:HEARTBEAT", { type: "not", child: term(col("code"), "HEARTBEAT") }],
    ["!code:HEARTBEAT", { type: "not", child: term(col("code"), "HEARTBEAT") }],
    ["NOT timeout", { type: "not", child: text("timeout") }],
    ["NOT NOT x", { type: "not", child: { type: "not", child: text("x") } }],
    ["-(a OR b)", { type: "not", child: { type: "or", children: [text("a"), text("b")] } }],
    ["NOT(a)", { type: "not", child: text("a") }],
    ["+code:E105", term(col("code"), "E105")],
    ["code:(E105 OR E001)", { type: "or", children: [term(col("code"), "E105"), term(col("code"), "E001")] }],
    ['code:(E105 -"E001")', { type: "and", children: [term(col("code"), "E105"), { type: "not", child: term(col("code"), "E001") }] }],
    [
      "rssi:(-95 OR <-100)",
      {
        type: "or",
        children: [
          { type: "compare", field: col("rssi"), op: "=", value: -95 },
          { type: "compare", field: col("rssi"), op: "<", value: -100 },
        ],
      },
    ],
    ["rssi:(-(-95))", { type: "not", child: { type: "compare", field: col("rssi"), op: "=", value: -95 } }],
    [
      "snr:([1 TO 2] OR [8 TO 9])",
      {
        type: "or",
        children: [
          { type: "range", field: col("snr"), lower: { value: 1, inclusive: true }, upper: { value: 2, inclusive: true } },
          { type: "range", field: col("snr"), lower: { value: 8, inclusive: true }, upper: { value: 9, inclusive: true } },
        ],
      },
    ],
    [
      "code:(E105 OR (E001 AND E042))",
      {
        type: "or",
        children: [term(col("code"), "E105"), { type: "and", children: [term(col("code"), "E001"), term(col("code"), "E042")] }],
      },
    ],
    ["a\\ b", text("a b")],
    ["a\\:b", text("a:b")],
    ["http\\://x", text("http://x")],
    ["and", text("and")],
    ["ANDROID", text("ANDROID")],
  ])("%s", (query, expected) => {
    expect(ast(query)).toEqual(expected);
  });

  it("resolves every alias to its column", () => {
    const aliases: Record<string, string> = {
      gateway: "gw",
      severity: "sev",
      host: "source_host",
      app: "source_app",
      message: "msg",
    };
    for (const [alias, column] of Object.entries(aliases)) {
      if (column === "msg") expect(ast(`${alias}:x`)).toEqual(text("x"));
      else expect(ast(`${alias}:x`)).toEqual(term(col(column), "x"));
    }
    for (const [alias, column] of Object.entries({ temp: "temp_c", battery: "battery_v", accuracy: "accuracy_err_pct" })) {
      expect(ast(`${alias}:>1`)).toEqual({ type: "compare", field: col(column), op: ">", value: 1 });
    }
    expect(ast("timestamp:<2024-01-01")).toEqual({ type: "compare", field: col("ts"), op: "<", value: Date.UTC(2024, 0, 1) });
  });

  it("knows every column by its own name", () => {
    for (const name of ["meter", "code", "led", "step", "job", "result", "source", "fw_metrology", "fw_comms", "fw_sha256", "source_host", "source_app"]) {
      expect(ast(`${name}:v`)).toEqual(term(col(name), "v"));
    }
    for (const name of ["rssi", "lqi", "snr", "temp_c", "battery_v", "accuracy_err_pct"]) {
      expect(ast(`${name}:1`)).toEqual({ type: "compare", field: col(name), op: "=", value: 1 });
    }
    expect(ast("recv_ts:*")).toEqual({ type: "exists", field: col("recv_ts") });
  });

  it("accepts field names in any case and keeps attribute keys as typed", () => {
    expect(ast("CODE:E105")).toEqual(term(col("code"), "E105"));
    expect(ast("Gateway:GW-1")).toEqual(term(col("gw"), "GW-1"));
    expect(ast("attrs.FwSlot:B")).toEqual(term(attr("FwSlot"), "B"));
  });

  it("normalises catalogue values to their canonical case", () => {
    expect(ast("code:e105")).toEqual(term(col("code"), "E105"));
    expect(ast("sev:ERROR")).toEqual(term(col("sev"), "error"));
    expect(ast("led:Amber_Steady")).toEqual(term(col("led"), "amber_steady"));
    expect(ast("step:FOTA")).toEqual(term(col("step"), "fota"));
    expect(ast("result:Timeout")).toEqual(term(col("result"), "timeout"));
    expect(ast("code:custom_x")).toEqual(term(col("code"), "custom_x"));
    expect(ast("meter:em-1")).toEqual(term(col("meter"), "em-1"));
  });

  it("keeps hostile text as plain values", () => {
    expect(ast(`msg:"'; DROP TABLE audit_log; --"`)).toEqual(text("'; DROP TABLE audit_log; --", true));
    expect(ast(`code:"{x:String}"`)).toEqual(term(col("code"), "{x:String}"));
    expect(ast(`"a\u0000b ü 🚀"`)).toEqual(text("a\u0000b ü 🚀", true));
  });
});

describe("parseQuery: precedence", () => {
  it("joins adjacent terms with AND", () => {
    expect(ast("code:E105 gw:GW-1 timeout")).toEqual({
      type: "and",
      children: [term(col("code"), "E105"), term(col("gw"), "GW-1"), text("timeout")],
    });
  });

  it("binds AND tighter than OR", () => {
    expect(ast("a OR b AND c")).toEqual({ type: "or", children: [text("a"), { type: "and", children: [text("b"), text("c")] }] });
    expect(ast("a AND b OR c")).toEqual({ type: "or", children: [{ type: "and", children: [text("a"), text("b")] }, text("c")] });
    expect(ast("a b OR c d")).toEqual({
      type: "or",
      children: [
        { type: "and", children: [text("a"), text("b")] },
        { type: "and", children: [text("c"), text("d")] },
      ],
    });
  });

  it("treats && and || like AND and OR", () => {
    expect(ast("a || b && c")).toEqual(ast("a OR b AND c"));
  });

  it("binds NOT to the next term only", () => {
    expect(ast("NOT a b")).toEqual({ type: "and", children: [{ type: "not", child: text("a") }, text("b")] });
    expect(ast("-a OR b")).toEqual({ type: "or", children: [{ type: "not", child: text("a") }, text("b")] });
  });

  it("lets parentheses override precedence", () => {
    expect(ast("(a OR b) c")).toEqual({ type: "and", children: [{ type: "or", children: [text("a"), text("b")] }, text("c")] });
    expect(ast("a AND (b OR c)")).toEqual({ type: "and", children: [text("a"), { type: "or", children: [text("b"), text("c")] }] });
  });

  it("keeps a flat chain of ORs as one node", () => {
    expect(ast("a OR b OR c")).toEqual({ type: "or", children: [text("a"), text("b"), text("c")] });
  });
});

describe("parseQuery: errors point at the offending text", () => {
  it.each<[string, string, number, number]>([
    // query, message fragment, position, length
    ["(code:E105", "'(' is never closed", 0, 1],
    ["a (b OR c", "'(' is never closed", 2, 1],
    ["(", "'(' is never closed", 0, 1],
    ["code:(E105 OR E001", "'(' is never closed", 5, 1],
    ["code:E105)", "')' has no matching '('", 9, 1],
    ["a ) b", "')' has no matching '('", 2, 1],
    ["()", "Empty parentheses", 0, 2],
    ["a ( ) b", "Empty parentheses", 2, 3],
    ["code:E105 AND", '"AND" needs a term on both sides', 10, 3],
    ["AND code:E105", '"AND" needs a term on both sides', 0, 3],
    ["a OR", '"OR" needs a term on both sides', 2, 2],
    ["OR a", '"OR" needs a term on both sides', 0, 2],
    ["a OR OR b", '"OR" needs a term on both sides', 5, 2],
    ["(a AND) b", '"AND" needs a term on both sides', 3, 3],
    ["a &&", '"&&" needs a term on both sides', 2, 2],
    ["|| a", '"||" needs a term on both sides', 0, 2],
    ["NOT", '"NOT" needs a term after it', 0, 3],
    ["a NOT", '"NOT" needs a term after it', 2, 3],
    ["NOT OR a", '"NOT" needs a term after it', 0, 3],
    ["(NOT)", '"NOT" needs a term after it', 1, 3],
    ["a -", '"-" needs a term after it', 2, 1],
    ["- code:E105", '"-" needs a term after it', 0, 1],
    ["!", '"!" needs a term after it', 0, 1],
    ["+ a", '"+" needs a term right after it', 0, 1],
    ["code:", 'Missing value after "code:"', 0, 5],
    ["a code: b", 'Missing value after "code:"', 2, 5],
    ["(code:)", 'Missing value after "code:"', 1, 5],
    ["rssi:<", 'Missing value after "rssi:<"', 0, 6],
    ["rssi:>= 5", 'Missing value after "rssi:>="', 0, 7],
    ["_exists_:", 'Missing field name after "_exists_:"', 0, 9],
    ['msg:""', 'Empty value after "msg:"', 0, 6],
    ['""', "Empty value", 0, 2],
    ["snr:[5 TO]", "needs an upper bound", 9, 1],
    ["snr:[ TO 5]", 'Expected "TO"', 9, 1],
    ["snr:[]", "needs a lower bound", 5, 1],
    ["snr:[5 15]", 'Expected "TO"', 7, 2],
    ["snr:[5 to 15]", 'Expected "TO"', 7, 2],
    ["snr:[5 TO 15", "Unterminated range", 4, 8],
    ["snr:[5", "Unterminated range", 4, 2],
    ["(snr:[5 TO 15)", "Expected ] or }", 13, 1],
    ["snr:[15 TO 5]", "Empty range", 0, 13],
    ["snr:{5 TO 5]", "Empty range", 0, 12],
    ["[5 TO 15]", "A range needs a field", 0, 1],
    ["code:<5", 'A comparison needs a numeric or time field; "code" is text', 0, 7],
    ["msg:>=x", 'A comparison needs a numeric or time field; "msg" is text', 0, 7],
    ["a gw:[1 TO 2]", 'A range needs a numeric or time field; "gw" is text', 2, 11],
    ["code:(E105 OR <5)", 'A comparison needs a numeric or time field; "code" is text', 14, 2],
    ["rssi:abc", '"rssi" needs a number', 5, 3],
    ["rssi:<x5", '"rssi" needs a number', 6, 2],
    ["rssi:-9*", '"rssi" needs a number', 5, 3],
    ["snr:[a TO 5]", '"snr" needs a number', 5, 1],
    ["snr:[1 TO 5x]", '"snr" needs a number', 10, 2],
    ["temp:1e999", '"temp" needs a number', 5, 5],
    ["attrs.volts:>high", '"attrs.volts" needs a number', 13, 4],
    ["ts:>yesterday", '"ts" needs a date', 4, 9],
    ["ts:[2024-02-30 TO *]", '"ts" needs a date', 4, 10],
    ["ts:2024-05-01", 'Use a comparison or range on "ts"', 0, 13],
    ['"RF timeout', "Unterminated quote", 0, 11],
    ['code:E105 msg:"after', "Unterminated quote", 14, 6],
    ['"ends with backslash\\', "Unterminated quote", 0, 21],
    ["attrs:x", "Name the attribute", 0, 5],
    ["attrs.:x", "Name the attribute", 0, 6],
  ])("%s", (query, message, position, length) => {
    const e = error(query);
    expect(e.message).toContain(message);
    expect({ position: e.position, length: e.length }).toEqual({ position, length });
  });

  it("refuses deep nesting instead of overflowing the stack", () => {
    const e = error("(".repeat(100) + "a" + ")".repeat(100));
    expect(e.message).toContain("nested too deeply");
    expect(e.position).toBe(40);
    expect(error("NOT ".repeat(60) + "a").message).toContain("nested too deeply");
    expect(ast("(".repeat(30) + "a" + ")".repeat(30))).toEqual(text("a"));
  });

  it("refuses over-long queries at the limit", () => {
    const e = error("a ".repeat(MAX_QUERY_LENGTH));
    expect(e).toMatchObject({ position: MAX_QUERY_LENGTH, length: MAX_QUERY_LENGTH });
  });

  it("refuses non-text input without throwing", () => {
    expect(parseQuery(undefined as unknown as string).ok).toBe(false);
    expect(parseQuery(42 as unknown as string).ok).toBe(false);
  });
});

describe("parseQuery: property", () => {
  const assertWellFormed = (query: string) => {
    const result = parseQuery(query);
    if (result.ok) return;
    const { position, length } = result.error;
    expect(Number.isInteger(position) && Number.isInteger(length)).toBe(true);
    expect(position).toBeGreaterThanOrEqual(0);
    expect(length).toBeGreaterThanOrEqual(0);
    expect(position + length).toBeLessThanOrEqual(query.length);
    // Every error points at a character that exists (inputs here are never over-long).
    expect(position).toBeLessThan(query.length);
  };

  it("never throws on random strings; errors lie within the text", () => {
    fc.assert(fc.property(fc.string({ maxLength: 80, unit: "binary" }), assertWellFormed), { numRuns: 20_000 });
  });

  it("never throws on random token soup; errors lie within the text", () => {
    const token = fc.constantFrom(
      "code:",
      "rssi:",
      "ts:",
      "attrs.x:",
      "_exists_:",
      "foo:",
      "msg:",
      "E105",
      "-95",
      "5",
      "2024-05-01",
      "*",
      "?",
      "\\",
      "(",
      ")",
      "[",
      "]",
      "{",
      "}",
      " TO ",
      '"',
      '\\"',
      "AND",
      "OR",
      "NOT",
      "&&",
      "||",
      "-",
      "!",
      "+",
      "<",
      "<=",
      ">",
      ">=",
      " ",
      "  ",
      "x",
      "ü",
      "'",
      ";",
      "{p0:String}",
    );
    fc.assert(
      fc.property(
        fc.array(token, { maxLength: 25 }).map((t) => t.join("")),
        assertWellFormed,
      ),
      { numRuns: 20_000 },
    );
  });
});
