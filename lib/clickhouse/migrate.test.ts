import { describe, expect, it } from "vitest";
import { CODE_LIST, LED_STATES } from "@/lib/audit/codes";
import { readMigrationFiles, splitSqlStatements } from "./migrate";

describe("splitSqlStatements", () => {
  it("splits on ; outside strings, identifiers and comments", () => {
    const sql = `-- header; not a statement
CREATE TABLE a (s String DEFAULT 'x;y', t String DEFAULT 'it''s; \\'q\\';') ENGINE = Memory;
/* block; comment */ SELECT "we;ird", \`b;c\` FROM a; # hash; comment
SELECT 2`;
    expect(splitSqlStatements(sql)).toEqual([
      "-- header; not a statement\nCREATE TABLE a (s String DEFAULT 'x;y', t String DEFAULT 'it''s; \\'q\\';') ENGINE = Memory",
      '/* block; comment */ SELECT "we;ird", `b;c` FROM a',
      "# hash; comment\nSELECT 2",
    ]);
  });

  it("drops comment-only pieces and refuses unterminated quotes", () => {
    expect(splitSqlStatements("-- only a comment;\n;  ;")).toEqual([]);
    expect(() => splitSqlStatements("SELECT 'oops;")).toThrow(/unterminated/);
  });

  it("reads the shipped migrations in order with checksums", () => {
    const files = readMigrationFiles();
    expect(files[0]!.name).toBe("001_audit_log.sql");
    expect(files[0]!.statements.length).toBe(4);
    expect(files.map((f) => f.name)).toEqual([...files.map((f) => f.name)].sort());
  });

  it("packs meter_state (011) with the code and LED lists the readers decode with, in order", () => {
    const file = readMigrationFiles().find((f) => f.name === "011_meter_state_packed.sql")!;
    const lists = Array.from(file.statements.join("\n").matchAll(/indexOf\(\[([^\]]*)\]/g), (m) => m[1]!.split(",").map((x) => x.trim().replace(/^'|'$/g, "")));
    // led in the view and in the backfill; warn, error, critical in each.
    expect(lists).toHaveLength(8);
    for (const list of lists) expect([[...LED_STATES], [...CODE_LIST]]).toContainEqual(list);
    expect(lists.filter((l) => l.length === LED_STATES.length && l[0] === LED_STATES[0])).toHaveLength(2);
  });
});
