// queryJsonRows against embedded PGlite and PostgreSQL at 127.0.0.1:5432/test:
// the same rows, with their types, as a plain $queryRaw gives.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Prisma, type PrismaClient } from "@/lib/generated/prisma/client";
import { closeDb, createDb } from "./client";
import { stringifyWellFormed } from "@/lib/format/json-text";
import { parseJsonRows, queryJsonRows } from "./json-rows";

const PG_URL = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ami-jsonrows-"));
const engines: [string, () => PrismaClient][] = [
  ["pglite", () => createDb({ dataDir: dir })],
  ["postgresql", () => createDb({ url: PG_URL })],
];
const opened = new Map<string, PrismaClient>();
/** One client per engine: two PGlite instances on one directory would corrupt it. */
const clientOf = (name: string, open: () => PrismaClient) => {
  if (!opened.has(name)) opened.set(name, open());
  return opened.get(name)!;
};
afterAll(async () => {
  for (const db of opened.values()) await closeDb(db);
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Row {
  id: string;
  n: number;
  big: number;
  ok: boolean;
  note: string | null;
  at: Date | null;
}

const NASTY = `quote " backslash \\ newline \n tab \t unicode é ✓ <b>`;

describe.each(engines)("queryJsonRows on %s", (name, open) => {
  it("returns the rows a plain query returns: text, numbers, bigint, booleans, nulls and the named dates", async () => {
    const db = clientOf(name, open);
    const select = Prisma.sql`
      SELECT x.id, x.n, x.n::bigint * 1000000 AS big, x.n % 2 = 0 AS ok,
             CASE WHEN x.n = 2 THEN NULL ELSE ${NASTY} || x.n END AS note,
             CASE WHEN x.n = 3 THEN NULL ELSE ${new Date("2026-11-20T12:40:00.123Z")}::timestamptz + x.n * interval '1 second' END AS at
      FROM (SELECT 'r' || g AS id, g AS n FROM generate_series(1, 4) AS g) AS x
      WHERE x.n <= ${4}
      ORDER BY x.n`;
    const rows = await queryJsonRows<Row>(db, select, ["at"]);
    expect(rows).toEqual([
      { id: "r1", n: 1, big: 1_000_000, ok: false, note: `${NASTY}1`, at: new Date("2026-11-20T12:40:01.123Z") },
      { id: "r2", n: 2, big: 2_000_000, ok: true, note: null, at: new Date("2026-11-20T12:40:02.123Z") },
      { id: "r3", n: 3, big: 3_000_000, ok: false, note: `${NASTY}3`, at: null },
      { id: "r4", n: 4, big: 4_000_000, ok: true, note: `${NASTY}4`, at: new Date("2026-11-20T12:40:04.123Z") },
    ]);
    const plain = await db.$queryRaw<Row[]>(select);
    expect(rows.map((r) => [r.id, r.note, r.at?.getTime() ?? null])).toEqual(plain.map((r) => [r.id, r.note, r.at?.getTime() ?? null]));
  });

  it("stringifyWellFormed: a lone surrogate in a string (a head-end message) becomes U+FFFD instead of failing the statement", async () => {
    const db = clientOf(name, open);
    const input = [
      { id: "a", msg: "bad \ud800 end", outcome: { message: "x\udc00y", ok: true } },
      { id: "b", msg: "pair 😀 kept", outcome: { message: "fine" } },
    ];
    const read = (param: string) =>
      queryJsonRows<{ id: string; msg: string; message: string }>(
        db,
        Prisma.sql`
        SELECT x.id, x.msg, x.outcome->>'message' AS message
        FROM json_to_recordset(${param}::json) AS x(id text, msg text, outcome jsonb) ORDER BY x.id`,
      );
    expect(await read(stringifyWellFormed(input))).toEqual([
      { id: "a", msg: "bad \uFFFD end", message: "x\uFFFDy" },
      { id: "b", msg: "pair 😀 kept", message: "fine" },
    ]);
    await expect(read(JSON.stringify(input))).rejects.toThrow();
  });

  it("returns no rows as an empty list", async () => {
    const db = clientOf(name, open);
    expect(await queryJsonRows<Row>(db, Prisma.sql`SELECT 1 AS n WHERE false`)).toEqual([]);
  });
});

describe("parseJsonRows", () => {
  it("turns only the named fields into dates and refuses what is not a list", () => {
    const rows = parseJsonRows<{ a: string; b: string }>(`[{"a":"2026-01-01T00:00:00+00:00","b":"2026-01-01T00:00:00+00:00"}]`, ["a"]);
    expect(rows[0]!.a).toEqual(new Date("2026-01-01T00:00:00Z"));
    expect(rows[0]!.b).toBe("2026-01-01T00:00:00+00:00");
    expect(parseJsonRows(null)).toEqual([]);
    expect(() => parseJsonRows(`{"a":1}`)).toThrow(/JSON array/);
  });
});
