import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { KNOWN_KEYS } from "../../ingest/parse";
import { LOG_COLUMNS } from "../logs/sql-builder";
import { AUDIT_LOG_COLUMNS, AUDIT_RECORD_COLUMNS, NULLABLE_COLUMNS, type AuditRecordColumn } from "./columns";
import type { AuditRecord } from "./record";

// AuditRecord has exactly the record columns as keys (fails to compile otherwise).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const recordKeysMatch: Same<keyof AuditRecord, AuditRecordColumn> = true;

/** Column definitions of CREATE TABLE audit_log in the ClickHouse migration. */
function migrationColumns(): { name: string; type: string }[] {
  const sql = fs.readFileSync(path.join(__dirname, "../clickhouse/migrations/001_audit_log.sql"), "utf8");
  const body = sql.slice(sql.indexOf("CREATE TABLE IF NOT EXISTS audit_log"), sql.indexOf("ENGINE = MergeTree"));
  return [...body.matchAll(/^ {4}([a-z_0-9]+) +([A-Z][A-Za-z0-9(]*)/gm)].filter((m) => m[1] !== "INDEX" && m[1] !== "PROJECTION").map((m) => ({ name: m[1]!, type: m[2]! }));
}

describe("audit_log columns", () => {
  it("name every column of the ClickHouse table once, in table order", () => {
    expect(recordKeysMatch).toBe(true);
    expect(migrationColumns().map((c) => c.name)).toEqual([...AUDIT_LOG_COLUMNS]);
  });

  it("mark exactly the table's Nullable columns as nullable", () => {
    const nullable = migrationColumns().filter((c) => c.type.startsWith("Nullable"));
    expect(nullable.map((c) => c.name).sort()).toEqual([...NULLABLE_COLUMNS].sort());
  });

  it("give the parser the line keys and the log explorer every column", () => {
    const notInLine = ["recv_ts", "attrs", "source_host", "source_app"];
    expect([...KNOWN_KEYS].sort()).toEqual(AUDIT_RECORD_COLUMNS.filter((c) => !notInLine.includes(c)).sort());
    expect([...LOG_COLUMNS].sort()).toEqual([...AUDIT_LOG_COLUMNS].sort());
  });
});
