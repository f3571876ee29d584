// HTTP source against real engines: tokens in PGlite (temp DATA_DIR), rows in
// chDB. Requests go through a tiny node:http server around HttpSource, as the
// route handler does. ClickHouse being down is simulated by an IngestSink
// wrapper that throws while `down` is set (the writer's sink is injectable).
import fs from "node:fs";
import { spawn } from "node:child_process";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestSink } from "../lib/clickhouse/queries/ingest";
import { openTestEngine, type TestEngine } from "@/lib/testing/ingest-engine";
import { createHttpSource } from "./http-source";
import { createIngestWriter, type IngestWriter } from "./writer";

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ami-http-"));
process.env.DATA_DIR = dataDir; // read once by lib/env on first use, below

const tsxCli = path.resolve(__dirname, "../node_modules/tsx/dist/cli.mjs");
let eng: TestEngine;
let writer: IngestWriter;
let server: http.Server;
let base = "";
let down = false;
let goodToken = "";
let revokedToken = "";

beforeAll(async () => {
  const { getDb } = await import("../lib/db");
  const { runDbMigrations } = await import("../lib/db/migrate");
  const { createIngestToken, revokeIngestToken, authenticateIngestToken } = await import("../lib/auth/ingest-tokens");
  await runDbMigrations();
  const admin = await getDb().user.create({ data: { email: "admin@ingest.test", role: "admin", name: "Admin" } });
  const actor = { id: admin.id, email: admin.email };
  goodToken = (await createIngestToken({ name: "hes-01" }, actor)).token;
  const revoked = await createIngestToken({ name: "hes-old" }, actor);
  await revokeIngestToken(revoked.id, actor);
  revokedToken = revoked.token;

  eng = await openTestEngine(path.join(dataDir, "chtest"));
  const flaky: IngestSink = {
    insertTsv: async (i) => {
      if (down) throw new Error("simulated: ClickHouse unavailable");
      return eng.sink.insertTsv(i);
    },
    close: async () => {},
  };
  writer = createIngestWriter({ sink: flaky, retryInitialMs: 50, retryMaxMs: 100 });
  const source = createHttpSource({ writer, authenticate: authenticateIngestToken, maxBodyBytes: 64 * 1024, batchRows: 1000, commitTimeoutMs: 500 });
  server = http.createServer(async (req, res) => {
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
    const r = await source.handle({ headers, body: req });
    res.writeHead(r.status, { "content-type": "application/json", ...r.headers });
    res.end(JSON.stringify(r.body));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  server?.close();
  await writer?.close(2000);
  await eng?.close();
  const { closeDb } = await import("../lib/db");
  await closeDb();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const lines = (seq: number, n: number) =>
  Array.from({ length: n }, (_, i) => `ts=2026-11-25T03:14:07Z meter=EM-${String(1000 + ((seq + i) % 9000)).padStart(7, "0")} code=HEARTBEAT seq=${seq + i}`);

function post(body: string | Buffer, headers: Record<string, string> = {}) {
  return fetch(`${base}/`, {
    method: "POST",
    body: typeof body === "string" ? body : new Uint8Array(body),
    headers: { authorization: `Bearer ${goodToken}`, "content-type": "text/plain", ...headers },
  });
}

async function countSeq(from: number, to: number) {
  const [r] = await eng.ch.queryRows<{ n: string; u: string }>({
    query: "SELECT count() AS n, uniqExact(attrs['seq']) AS u FROM audit_log WHERE toUInt64(attrs['seq']) BETWEEN {from: UInt64} AND {to: UInt64}",
    params: { from, to },
    tag: "test",
  });
  return { n: Number(r!.n), u: Number(r!.u) };
}

describe("POST /api/ingest (http source)", () => {
  it("authenticates: 401 without or with an unknown token, 403 when revoked", async () => {
    expect((await fetch(`${base}/`, { method: "POST", body: "x" })).status).toBe(401);
    expect((await post("x", { authorization: "Bearer ami_ing_nope" })).status).toBe(401);
    expect((await post("x", { authorization: `Bearer ${revokedToken}` })).status).toBe(403);
  });

  it("stores lines and replies with counts per reason; a retry with the same Idempotency-Key lands once", async () => {
    const body = [...lines(0, 50), "ts=2026-11-25T03:14:07Z meter=EM-0001234 code=E999", "not a line", ""].join("\n");
    const r1 = await post(body, { "idempotency-key": "batch-1" });
    expect(r1.status).toBe(200);
    const j1 = await r1.json();
    expect(j1).toEqual({ accepted: 50, refused: 2, reasons: { "bad_value:code": 1, malformed: 1 } });
    const r2 = await post(body, { "idempotency-key": "batch-1" });
    expect(r2.status).toBe(200);
    expect(r2.headers.get("idempotent-replayed")).toBe("true");
    expect(await r2.json()).toEqual(j1);
    expect(await countSeq(0, 49)).toEqual({ n: 50, u: 50 });
    expect(await eng.count("ingest_rejects", "source = 'http:hes-01'")).toBe(2);
  });

  it("accepts NDJSON with gzip, refuses a body over the limit (also after gunzip) with 413", async () => {
    const nd = Array.from({ length: 20 }, (_, i) => JSON.stringify({ ts: "2026-11-25T03:14:07Z", meter: "GM-0000042", code: "BATTERY_LOW", seq: String(100 + i) })).join("\n");
    const r = await post(gzipSync(nd), { "content-type": "application/x-ndjson", "content-encoding": "gzip", "idempotency-key": "nd-1" });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ accepted: 20, refused: 0, reasons: {} });
    expect(await countSeq(100, 119)).toEqual({ n: 20, u: 20 });
    expect((await post("x".repeat(70 * 1024))).status).toBe(413);
    const bomb = gzipSync(Buffer.alloc(1024 * 1024, 0x61)); // ~1 KB on the wire, 1 MiB inflated
    expect((await post(bomb, { "content-encoding": "gzip" })).status).toBe(413);
  });

  it("npm run ingest -- backfill streams a file in batches; a re-run lands once", async () => {
    const file = path.join(dataDir, "backfill.log");
    fs.writeFileSync(file, lines(5000, 250).join("\n") + "\nnot a line\n");
    const run = () =>
      new Promise<{ code: number; out: string }>((resolve) => {
        const child = spawn(process.execPath, [tsxCli, "ingest/cli.ts", "backfill", file, "--url", base, "--token", goodToken, "--batch", "60"], {
          cwd: path.resolve(__dirname, ".."),
          stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.on("exit", (code) => resolve({ code: code ?? -1, out }));
      });
    const first = await run();
    expect(first.code).toBe(0);
    expect(first.out).toContain("251 lines");
    expect(first.out).toContain("250 accepted, 1 refused");
    expect((await run()).code).toBe(0);
    expect(await countSeq(5000, 5249)).toEqual({ n: 250, u: 250 });
  });

  it("answers 429 with Retry-After while ClickHouse is down and delivers everything once after recovery", async () => {
    down = true;
    const body = lines(1000, 30).join("\n");
    const r1 = await post(body, { "idempotency-key": "outage-1" });
    expect(r1.status).toBe(429);
    expect(Number(r1.headers.get("retry-after"))).toBeGreaterThan(0);
    const r2 = await post(lines(2000, 5).join("\n"), { "idempotency-key": "outage-2" });
    expect(r2.status).toBe(429); // writer is failing: refused up front
    down = false;
    let status = 0;
    let reply: unknown;
    for (let i = 0; i < 50 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const r = await post(body, { "idempotency-key": "outage-1" });
      status = r.status;
      reply = await r.json();
    }
    expect(status).toBe(200);
    expect(reply).toEqual({ accepted: 30, refused: 0, reasons: {} });
    const r3 = await post(lines(2000, 5).join("\n"), { "idempotency-key": "outage-2" });
    expect(r3.status).toBe(200);
    expect(await countSeq(1000, 1029)).toEqual({ n: 30, u: 30 });
    expect(await countSeq(2000, 2004)).toEqual({ n: 5, u: 5 });
  });
});
