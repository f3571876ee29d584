import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CODE_LIST, CODES } from "@/lib/audit/codes";
import { matchRecord, type MatchableRecord } from "@/lib/logs/match";
import { parseQuery, type QueryNode } from "@/lib/logs/query-parser";
import { buildHistogramQuery } from "@/lib/logs/sql-builder";
import { createClickHouse, QueryLimitError, type ClickHouse } from "../client";
import { runClickHouseMigrations } from "../migrate";
import { countLogs, getLogHistogram, getLogRow, searchLogs, streamLogs, type LogCursor } from "./logs";
import { BLANK_AUDIT_FIELDS } from "@/lib/testing/factories";

const FROM = Date.UTC(2026, 10, 24, 0, 0, 0);
const TO = FROM + 24 * 3600_000;

type Line = MatchableRecord & { id: string; source: string };

const HOSTILE = [
  "it's a quote",
  'double "quoted" text',
  "back\\slash \\' and \\\\",
  "{x:String} placeholder",
  "{p0:String}",
  "'; DROP TABLE audit_log; --",
  "ünïcödé — 電表 🔌",
  "nul\u0000byte",
  "<script>window.__pwned=1</script>",
  "%_ like specials",
];

let seed = 42;
function rand(): number {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

function auditLine(i: number, partial: Partial<Line> = {}): Line {
  const code = pick(CODE_LIST);
  return {
    ...BLANK_AUDIT_FIELDS,
    ts: FROM + Math.floor(rand() * (TO - FROM)),
    meter: `EM-${String(1000 + (i % 37)).padStart(7, "0")}`,
    gw: `GW-${String(i % 5).padStart(4, "0")}`,
    code,
    sev: CODES[code].sev,
    led: pick(["", "amber_steady", "green_steady"]),
    job: i % 3 === 0 ? `cmp_${i % 4}` : "",
    rssi: i % 4 === 0 ? null : -60 - (i % 50),
    snr: i % 5 === 0 ? null : 5 + (i % 20) + 0.2,
    msg: pick(["RF timeout after 3 retries", "heartbeat ok", "battery low", "RF link restored", "timeout waiting for HES"]),
    attrs: i % 6 === 0 ? { fw_slot: pick(["A", "B"]), retries: String(i % 7) } : {},
    source_host: "hes-01",
    source_app: "maintd",
    id: String(1_000_000 + i),
    source: "file:test",
    ...partial,
  };
}

const lines: Line[] = [];
const SAME_TS = FROM + 3600_000;
for (let i = 0; i < 300; i++) lines.push(auditLine(i));
// 40 lines at one millisecond: keyset paging must still give each exactly once.
for (let i = 300; i < 340; i++) lines.push(auditLine(i, { ts: SAME_TS }));
HOSTILE.forEach((msg, k) => lines.push(auditLine(400 + k, { msg, job: msg, meter: `EM-${String(9000 + k).padStart(7, "0")}` })));
// Outside the window: never returned.
lines.push(auditLine(500, { ts: TO, msg: "RF timeout after 3 retries" }));
lines.push(auditLine(501, { ts: FROM - 1, msg: "RF timeout after 3 retries" }));

let dir: string;
let ch: ClickHouse;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "logs-int-"));
  ch = await createClickHouse({ path: path.join(dir, "ch"), database: "ami", queryTimeoutMs: 30_000 });
  await runClickHouseMigrations(ch);
  await ch.insertRows({ table: "audit_log", values: lines as unknown as Record<string, unknown>[] });
});

afterAll(async () => {
  await ch?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function ast(q: string): QueryNode {
  const parsed = parseQuery(q);
  if (!parsed.ok) throw new Error(`${q}: ${parsed.error.message}`);
  return parsed.ast;
}

function expectedIds(q: string): string[] {
  const a = ast(q);
  return lines
    .filter((l) => l.ts >= FROM && l.ts < TO && matchRecord(a, l))
    .map((l) => l.id)
    .sort();
}

async function allPages(q: string, order: "asc" | "desc", limit: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: LogCursor | null = null;
  for (let guard = 0; guard < 1000; guard++) {
    const page = await searchLogs({ ast: ast(q), from: FROM, to: TO, order, limit, cursor }, ch);
    ids.push(...page.rows.map((r) => r.id));
    if (!page.nextCursor) return ids;
    cursor = page.nextCursor;
  }
  throw new Error("paging did not end");
}

const quote = (v: string) => `"${v.replace(/[\\"]/g, (m) => "\\" + m)}"`;

describe("searchLogs / countLogs / getLogHistogram on chDB", () => {
  it("returns the newest lines first with the list and chosen columns, times as ISO; a row reads whole by its key", async () => {
    const page = await searchLogs({ ast: ast(""), from: FROM, to: TO, order: "desc", limit: 10, columns: ["rssi", "source"] }, ch);
    expect(page.rows).toHaveLength(10);
    const inWindow = lines.filter((l) => l.ts >= FROM && l.ts < TO).sort((a, b) => b.ts - a.ts || (BigInt(b.id) > BigInt(a.id) ? 1 : -1));
    expect(page.rows.map((r) => r.id)).toEqual(inWindow.slice(0, 10).map((l) => l.id));
    expect(page.rows[0]!.ts).toBe(new Date(inWindow[0]!.ts).toISOString());
    expect(Object.keys(page.rows[0]!).sort()).toEqual(["code", "gw", "id", "meter", "msg", "rssi", "sev", "source", "ts"]);
    expect(page.nextCursor).not.toBeNull();
    const withAttrs = lines.find((l) => l.ts >= FROM && l.ts < TO && Object.keys(l.attrs ?? {}).length > 0)!;
    const whole = await getLogRow({ code: String(withAttrs.code), ts: withAttrs.ts, id: withAttrs.id }, ch);
    expect(whole).toMatchObject({ id: withAttrs.id, msg: withAttrs.msg, attrs: withAttrs.attrs, meter: withAttrs.meter, ts: new Date(withAttrs.ts).toISOString() });
    expect(await getLogRow({ code: "E001", ts: withAttrs.ts, id: "1" }, ch)).toBeNull();
  });

  it.each(HOSTILE)("finds a hostile value only where it is, and the table survives: %j", async (value) => {
    for (const q of [`msg:${quote(value)}`, `job:${quote(value)}`]) {
      const want = expectedIds(q);
      expect(want.length).toBeGreaterThanOrEqual(1);
      const page = await searchLogs({ ast: ast(q), from: FROM, to: TO, order: "desc", limit: 1000, columns: ["job"] }, ch);
      expect(page.rows.map((r) => r.id).sort()).toEqual(want);
      const row = page.rows.find((r) => r.job === value);
      expect(row?.msg).toBe(value);
    }
    expect(await countLogs({ ast: ast(""), from: 0, to: Date.UTC(2100, 0, 1) }, ch)).toBe(lines.length);
  });

  const QUERIES = [
    "",
    "code:E105",
    "timeout",
    "TIMEOUT -code:HEARTBEAT",
    '"after 3"',
    "time*",
    "meter:EM-000100*",
    "rssi:<-80",
    "-rssi:<-80",
    "snr:[10 TO 15}",
    "NOT (rssi:<-80 OR snr:>20)",
    "code:(E105 OR E001) OR sev:warn",
    "fw_slot:B",
    "retries:>=3",
    "_exists_:fw_slot -attrs.fw_slot:A",
    "job:cmp_*",
    "job:*",
    "msg:%*",
    `ts:>=${new Date(SAME_TS).toISOString()}`,
  ];

  it.each(QUERIES)("agrees with matchRecord and across search, count, histogram and export: %j", async (q) => {
    const want = expectedIds(q);
    const desc = await allPages(q, "desc", 37);
    expect([...desc].sort()).toEqual(want);
    expect(new Set(desc).size).toBe(desc.length);
    expect(await countLogs({ ast: ast(q), from: FROM, to: TO }, ch)).toBe(want.length);
    const hist = await getLogHistogram({ ast: ast(q), from: FROM, to: TO, stackBy: "sev" }, ch);
    expect(hist.total).toBe(want.length);
    const exported: string[] = [];
    for await (const row of streamLogs({ ast: ast(q), from: FROM, to: TO, order: "desc", columns: ["ts", "msg"] }, ch)) exported.push(row.id);
    expect(exported).toEqual(desc);
  });

  it("pages by (ts, id) so each row comes exactly once, even 40 rows on one millisecond, in both orders", async () => {
    const want = expectedIds("");
    for (const order of ["asc", "desc"] as const) {
      for (const limit of [1, 7, 40]) {
        const ids = await allPages("", order, limit);
        expect(ids).toHaveLength(want.length);
        expect([...ids].sort()).toEqual(want);
      }
    }
    const sameTs = await allPages(`ts:[${new Date(SAME_TS).toISOString()} TO ${new Date(SAME_TS).toISOString()}]`, "asc", 3);
    expect(sameTs).toHaveLength(40);
    expect(sameTs).toEqual([...sameTs].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)));
  });

  it("stacks the histogram by sev or code, buckets inside the window", async () => {
    for (const stackBy of ["sev", "code"] as const) {
      const hist = await getLogHistogram({ ast: ast(""), from: FROM, to: TO, stackBy, targetBuckets: 24 }, ch);
      expect(hist.interval.label).toBe("1h");
      const bySeries = new Map<string, number>();
      for (const b of hist.buckets) {
        expect(b.t).toBeGreaterThanOrEqual(FROM);
        expect(b.t).toBeLessThan(TO);
        bySeries.set(b.series, (bySeries.get(b.series) ?? 0) + b.n);
      }
      const want = new Map<string, number>();
      for (const l of lines) if (l.ts >= FROM && l.ts < TO) want.set(String(l[stackBy]), (want.get(String(l[stackBy])) ?? 0) + 1);
      expect(bySeries).toEqual(want);
    }
  });

  it("counts whole minutes from the per-minute projection and the partial minutes at each edge from the table, exactly", async () => {
    const inside = lines.filter((l) => l.ts > FROM && l.ts < TO && l.ts % 60_000 !== 0).sort((a, b) => a.ts - b.ts);
    // Edges in the middle of a minute that holds a line on each side.
    const from = inside[10]!.ts;
    const to = inside[inside.length - 10]!.ts + 1;
    for (const q of ["", "code:(E105 OR E001) OR sev:warn", "-code:HEARTBEAT", "timeout"]) {
      const hist = await getLogHistogram({ ast: ast(q), from, to, stackBy: "code", targetBuckets: 24 }, ch);
      expect(hist.interval.seconds).toBe(3600);
      const a = ast(q);
      const want = new Map<string, number>();
      for (const l of lines) {
        if (l.ts < from || l.ts >= to || !matchRecord(a, l)) continue;
        const k = `${Math.floor(l.ts / 3_600_000) * 3_600_000}|${l.code}`;
        want.set(k, (want.get(k) ?? 0) + 1);
      }
      expect(new Map(hist.buckets.map((b) => [`${b.t}|${b.series}`, b.n]))).toEqual(want);
      // Only filters on code/sev can be answered from the per-minute counts.
      const { query, params } = buildHistogramQuery({ ast: a, from, to, stackBy: "code", targetBuckets: 24 });
      const plan = (await ch.queryRows<{ explain: string }>({ query: `EXPLAIN projections = 1 ${query}`, params, tag: "test.explain" })).map((r) => r.explain).join("\n");
      expect(plan.includes("ReadFromMergeTree (p_hist)"), plan).toBe(q !== "timeout");
    }
  });

  it("turns a read limit into QueryLimitError with a message for people", async () => {
    const run = searchLogs({ ast: ast("timeout"), from: FROM, to: TO, order: "desc", settings: { max_rows_to_read: 10 } }, ch);
    await expect(run).rejects.toBeInstanceOf(QueryLimitError);
    await expect(run).rejects.toThrow(/narrow the time range/);
    const hist = getLogHistogram({ ast: ast(""), from: FROM, to: TO, stackBy: "sev", settings: { max_rows_to_read: 10 } }, ch);
    await expect(hist).rejects.toBeInstanceOf(QueryLimitError);
    // The connection is usable afterwards (no leaked limit).
    expect(await countLogs({ ast: ast(""), from: FROM, to: TO }, ch)).toBe(expectedIds("").length);
  });
});
