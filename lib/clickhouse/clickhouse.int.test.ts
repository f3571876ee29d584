import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClickHouse, QueryLimitError, type ClickHouse } from "./client";
import { assertDeduplicationEnabled, getMigrationsDir, listAppliedClickHouseMigrations, MigrationChecksumError, readMigrationFiles, runClickHouseMigrations } from "./migrate";
import { getMeterStates } from "./get-meter-states";
import { auditLogRow } from "@/lib/testing/factories";

let dir: string;
let ch: ClickHouse;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ch-int-"));
  ch = await createClickHouse({ path: path.join(dir, "ch"), database: "ami", queryTimeoutMs: 10_000 });
});

afterAll(async () => {
  await ch?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** One audit_log row with defaults; ts in epoch ms like AuditRecord. */
function auditRow(partial: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...auditLogRow({ gw: "GW-0001" }), ...partial };
}

async function countRows(where: string, params: Record<string, unknown>): Promise<number> {
  const [row] = await ch.queryRows<{ n: string }>({ query: `SELECT count() AS n FROM audit_log WHERE ${where}`, params, tag: "test.count" });
  return Number(row!.n);
}

describe("migrations", () => {
  it("applies 001 once, then nothing on a second run", async () => {
    const files = readMigrationFiles().map((f) => f.name);
    expect(files[0]).toBe("001_audit_log.sql");
    expect(await runClickHouseMigrations(ch)).toEqual({ applied: files });
    expect(await runClickHouseMigrations(ch)).toEqual({ applied: [] });
    const applied = await listAppliedClickHouseMigrations(ch);
    expect(applied.map((m) => m.name)).toEqual(files);
    expect(applied[0]!.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses a migration whose file changed after it was applied", async () => {
    const migrations = path.join(dir, "migrations");
    fs.mkdirSync(migrations);
    fs.copyFileSync(path.join(getMigrationsDir(), "001_audit_log.sql"), path.join(migrations, "001_audit_log.sql"));
    const extra = path.join(migrations, "002_probe.sql");
    fs.writeFileSync(extra, "-- a; b\nCREATE TABLE IF NOT EXISTS probe (s String DEFAULT 'x;y') ENGINE = MergeTree ORDER BY s;\n");
    expect(await runClickHouseMigrations(ch, { dir: migrations })).toEqual({ applied: ["002_probe.sql"] });
    fs.appendFileSync(extra, "SELECT 1;\n");
    await expect(runClickHouseMigrations(ch, { dir: migrations })).rejects.toBeInstanceOf(MigrationChecksumError);
  });

  it("checks that audit_log deduplicates on plain MergeTree", async () => {
    await expect(assertDeduplicationEnabled(ch)).resolves.toBeUndefined();
    await ch.execCommand({ query: "ALTER TABLE ingest_rejects MODIFY SETTING non_replicated_deduplication_window = 0" });
    await expect(assertDeduplicationEnabled(ch)).rejects.toThrow(/ingest_rejects.*non_replicated_deduplication_window = 0/);
    await ch.execCommand({ query: "ALTER TABLE ingest_rejects MODIFY SETTING non_replicated_deduplication_window = 10000" });
    await expect(assertDeduplicationEnabled(ch)).resolves.toBeUndefined();
  });
});

describe("insertRows deduplication", () => {
  it("keeps one copy for the same token and two for different tokens", async () => {
    const batch = [auditRow({ meter: "EM-0000100", id: "9001" }), auditRow({ meter: "EM-0000100", id: "9002", code: "E105", sev: "error" })];
    await ch.insertRows({ table: "audit_log", values: batch, dedupToken: "file:a:0-2" });
    await ch.insertRows({ table: "audit_log", values: batch, dedupToken: "file:a:0-2" });
    expect(await countRows("meter = {m:String}", { m: "EM-0000100" })).toBe(2);
    await ch.insertRows({ table: "audit_log", values: batch, dedupToken: "file:b:0-2" });
    expect(await countRows("meter = {m:String}", { m: "EM-0000100" })).toBe(4);
  });

  it("deduplicates ingest_rejects batches too", async () => {
    const rejects = [{ source: "file:x", position: 7, reason: "malformed", raw: 'ts="unterminated' }];
    await ch.insertRows({ table: "ingest_rejects", values: rejects, dedupToken: "rej:x:7" });
    await ch.insertRows({ table: "ingest_rejects", values: rejects, dedupToken: "rej:x:7" });
    const [row] = await ch.queryRows<{ n: string; raw: string }>({
      query: "SELECT count() AS n, any(raw) AS raw FROM ingest_rejects WHERE source = {s:String}",
      params: { s: "file:x" },
      tag: "test.rejects",
    });
    expect(row).toEqual({ n: "1", raw: 'ts="unterminated' });
  });
});

describe("meter_state", () => {
  const T = Date.UTC(2026, 10, 25, 12, 0, 0);

  it("shows the latest value per field by event time, not arrival", async () => {
    const meter = "EM-0000200";
    // Newest event arrives first, the older one afterwards.
    await ch.insertRows({
      table: "audit_log",
      values: [auditRow({ meter, ts: T + 60_000, code: "E001", sev: "critical", led: "red_blinking", rssi: -80, gw: "GW-0002", fw_comms: "5.0.4" })],
    });
    await ch.insertRows({
      table: "audit_log",
      values: [auditRow({ meter, ts: T, code: "HEARTBEAT", sev: "debug", led: "green_steady", rssi: -60, snr: 12.5, gw: "GW-0001", fw_comms: "5.0.3" })],
    });
    let [state] = await getMeterStates({ meters: [meter], limit: 10 }, ch);
    expect(state).toMatchObject({
      meter,
      gw: "GW-0002",
      led: "red_blinking",
      rssi: -80,
      snr: 12.5,
      fw_comms: "5.0.4",
      last_seen: T + 60_000,
      fault_code: "E001",
      fault_sev: "critical",
      last_fault_at: T + 60_000,
      lqi: null,
    });

    // A later warn keeps critical as the worst open fault; a later heartbeat clears all.
    await ch.insertRows({ table: "audit_log", values: [auditRow({ meter, ts: T + 120_000, code: "LOW_SNR", sev: "warn", snr: 9, gw: "" })] });
    [state] = await getMeterStates({ meters: [meter], limit: 10 }, ch);
    expect(state).toMatchObject({ fault_code: "E001", fault_sev: "critical", snr: 9, rssi: -80 });
    await ch.insertRows({ table: "audit_log", values: [auditRow({ meter, ts: T + 180_000, code: "HEARTBEAT", sev: "debug", led: "green_steady", gw: "" })] });
    [state] = await getMeterStates({ meters: [meter], limit: 10 }, ch);
    // An empty gw (not reported) does not overwrite the last known gateway.
    expect(state).toMatchObject({ fault_code: "", fault_sev: "", led: "green_steady", rssi: -80, gw: "GW-0002", last_seen: T + 180_000, last_fault_at: T + 120_000 });

    // The same answer after background merges collapse the partial rows.
    await ch.execCommand({ query: "OPTIMIZE TABLE meter_state FINAL" });
    expect((await getMeterStates({ meters: [meter], limit: 10 }, ch))[0]).toEqual(state);
    expect((await getMeterStates({ gw: "GW-0002", limit: 10 }, ch)).map((s) => s.meter)).toContain(meter);
    expect((await getMeterStates({ gw: "GW-0001", limit: 10 }, ch)).map((s) => s.meter)).not.toContain(meter);
  });

  it("keeps every measure's exact value and time, and 011's backfill gives the same states as its view", async () => {
    const meter = "EM-0000201";
    const cert = Date.UTC(2027, 0, 31, 23, 59, 59, 250);
    await ch.insertRows({
      table: "audit_log",
      values: [
        auditRow({ meter, ts: T, code: "HEARTBEAT", sev: "debug", temp_c: 41.25, battery_v: 3.61, lqi: 200, rssi: -101.5, fw_metrology: "2.4.1", cert_not_after: cert }),
        auditRow({ meter, ts: T + 1_000, code: "BATTERY_LOW", sev: "warn", battery_v: 2.95, led: "amber_steady" }),
        // Older than what is stored: only fields with nothing newer take it.
        auditRow({ meter, ts: T - 60_000, code: "E105", sev: "error", temp_c: 99, lqi: 1, fw_comms: "5.0.1", led: "red_steady" }),
      ],
    });
    const [state] = await getMeterStates({ meters: [meter], limit: 1 }, ch);
    expect(state).toMatchObject({
      temp_c: 41.25,
      battery_v: 2.95,
      lqi: 200,
      rssi: -101.5,
      fw_metrology: "2.4.1",
      fw_comms: "5.0.1",
      cert_not_after: cert,
      // The E105 is older than the heartbeat at T, so it is closed; the warn after it is open.
      led: "amber_steady",
      fault_sev: "warn",
      fault_code: "BATTERY_LOW",
      last_fault_at: T + 1_000,
      last_seen: T + 1_000,
    });

    const before = await getMeterStates({ limit: 1000 }, ch);
    const backfill = readMigrationFiles()
      .find((f) => f.name === "011_meter_state_packed.sql")!
      .statements.at(-1)!;
    expect(backfill).toMatch(/INSERT INTO meter_state\s/);
    await ch.execCommand({ query: "TRUNCATE TABLE meter_state" });
    expect(await getMeterStates({ limit: 1000 }, ch)).toEqual([]);
    await ch.execCommand({ query: backfill });
    expect(await getMeterStates({ limit: 1000 }, ch)).toEqual(before);
    expect(before.length).toBeGreaterThan(1);
  });
});

describe("queryRows", () => {
  it("refuses writes and DDL, and leaves the writer usable", async () => {
    const before = await countRows("1", {});
    await expect(ch.queryRows({ query: "INSERT INTO audit_log (meter, id) VALUES ('EM-0000999', 1)", tag: "test.write" })).rejects.toThrow(/readonly/i);
    await expect(ch.queryRows({ query: "CREATE TABLE evil (a UInt8) ENGINE = Memory", tag: "test.ddl" })).rejects.toThrow(/readonly/i);
    expect(await countRows("1", {})).toBe(before);
    await ch.insertRows({ table: "audit_log", values: [auditRow({ meter: "EM-0000300" })] });
    expect(await countRows("meter = {m:String}", { m: "EM-0000300" })).toBe(1);
  });

  it("turns row and time limits into QueryLimitError, without leaking the limit", async () => {
    const broad = ch.queryRows({ query: "SELECT count() AS n FROM numbers(10000000)", tag: "test.rows", settings: { max_rows_to_read: 1000 } });
    await expect(broad).rejects.toBeInstanceOf(QueryLimitError);
    await expect(broad).rejects.toThrow("query too broad: narrow the time range or add a filter");
    await expect(
      ch.queryRows({ query: "SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) = 1", tag: "test.time", settings: { max_execution_time: 1 } }),
    ).rejects.toMatchObject({ name: "QueryLimitError", limit: "time" });
    const [row] = await ch.queryRows<{ n: string }>({ query: "SELECT count() AS n FROM numbers(10000000)", tag: "test.after" });
    expect(row!.n).toBe("10000000");
  });

  it("answers a short read while a long one runs (reads are not queued behind each other)", async () => {
    const finished: string[] = [];
    const slow = ch.queryRows({ query: "SELECT sum(sleepEachRow(0.1)) AS s FROM numbers(15) SETTINGS max_block_size = 1", tag: "test.slow" }).then(() => finished.push("slow"));
    await new Promise((r) => setTimeout(r, 100)); // the slow read is under way
    await ch.queryRows({ query: "SELECT 1 AS one", tag: "test.fast" }).then(() => finished.push("fast"));
    await slow;
    expect(finished).toEqual(["fast", "slow"]);
  });

  it("round-trips hostile strings through params exactly", async () => {
    const fixed = ["it's", "back\\slash", "{x:String}", "nul\0byte", "ünï😀中文", '"dq"', "line\nbreak\ttab", "'; DROP TABLE audit_log; --", ""];
    const [row] = await ch.queryRows<{ s: string[] }>({ query: "SELECT {s:Array(String)} AS s", params: { s: fixed }, tag: "test.params" });
    expect(row!.s).toEqual(fixed);
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "binary", maxLength: 40 }), async (s) => {
        const [r] = await ch.queryRows<{ s: string; n: string }>({ query: "SELECT {s:String} AS s, length({s:String}) AS n", params: { s }, tag: "test.params" });
        expect(r!.s).toBe(s);
        expect(Number(r!.n)).toBe(Buffer.byteLength(s, "utf8"));
      }),
      { numRuns: 60 },
    );
    // Stored and matched back as a value, not as SQL.
    const meter = "EM-0000400";
    await ch.insertRows({ table: "audit_log", values: fixed.map((msg) => auditRow({ meter, msg, attrs: { [msg]: msg } })) });
    for (const msg of fixed) expect(await countRows("meter = {m:String} AND msg = {msg:String} AND attrs[{msg:String}] = {msg:String}", { m: meter, msg })).toBe(1);
  });
});

describe("insertRows with lone surrogates", () => {
  it("stores half a UTF-16 pair as U+FFFD instead of failing the insert (a head-end message may carry one)", async () => {
    const meter = "EM-0000401";
    const msgs = ["bad \ud800 end", "\udc00 first", "pair 😀 kept", "literal \\ud800 text"];
    await ch.insertRows({ table: "audit_log", values: msgs.map((msg) => auditRow({ meter, msg, attrs: { [msg]: msg } })) });
    const rows = await ch.queryRows<{ msg: string; a: string }>({
      query: "SELECT msg, attrs[msg] AS a FROM audit_log WHERE meter = {m:String} ORDER BY msg",
      params: { m: meter },
      tag: "test.surrogates",
    });
    const expected = ["bad \uFFFD end", "\uFFFD first", "pair 😀 kept", "literal \\ud800 text"].sort();
    expect(rows.map((r) => r.msg).sort()).toEqual(expected);
    expect(rows.map((r) => r.a).sort()).toEqual(expected);
  });
});

describe("queryStream", () => {
  it("streams rows with bound params under readonly=2", async () => {
    const out: { n: string; s: string }[] = [];
    for await (const row of ch.queryStream<{ n: string; s: string }>({
      query: "SELECT toString(number) AS n, {s:String} AS s FROM numbers(100000)",
      params: { s: "a'b" },
      tag: "test.stream",
    }))
      out.push(row);
    expect(out).toHaveLength(100_000);
    expect(out[99_999]).toEqual({ n: "99999", s: "a'b" });
    const guard: { r: unknown }[] = [];
    for await (const row of ch.queryStream<{ r: unknown }>({ query: "SELECT getSetting('readonly') AS r", tag: "test.stream.ro" })) guard.push(row);
    expect(guard).toEqual([{ r: 2 }]);
  });
});

describe("info", () => {
  it("reports the embedded engine", async () => {
    const info = await ch.getInfo();
    expect(info.kind).toBe("chdb");
    expect(info.reachable).toBe(true);
    expect(info.version).toMatch(/^\d+\.\d+/);
  });
});
