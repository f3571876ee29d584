// A file source that fails is restarted with backoff and reported: /api/ready
// (the real route handler, on real PGlite + chDB) says `degraded` with the source
// and its error while it fails, and `ok` again once it reads.
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { setClickHouse } from "@/lib/clickhouse/client";
import { closeDb } from "@/lib/db";
import { GET as getReady } from "@/app/api/ready/route";
import { FileTail } from "./file-tail";
import { registerSource } from "./status";
import { Appender, openTestEngine, seqStats, sleep, tempDirs, waitCaughtUp } from "@/lib/testing/ingest-engine";
import { createIngestWriter } from "./writer";

// The caller of /api/ready: anonymous (status and a count) or an operator (the sources and their errors).
const caller: { user: { id: string; email: string; role: "operator" } | null } = { user: null };
vi.mock("server-only", () => ({}));
vi.mock("@/lib/auth/session", async (orig) => ({ ...(await orig<typeof import("@/lib/auth/session")>()), getCurrentUser: async () => caller.user }));

const { tmp, removeAll } = tempDirs();
// The route's relational store: embedded PGlite in a temp dir (lib/env.ts reads DATA_DIR on first use).
process.env.DATA_DIR = tmp("ami-ready-");
afterAll(async () => {
  await closeDb().catch(() => {});
  removeAll();
});

async function ready(as: "operator" | "anonymous" = "operator") {
  caller.user = as === "operator" ? { id: "op", email: "op@example.com", role: "operator" } : null;
  const res = await getReady();
  return {
    code: res.status,
    body: (await res.json()) as { ready: boolean; status: string; degraded: { source: string; error: string | null; since: string }[]; degradedSources?: number },
  };
}

describe("a failing file source", () => {
  it("is restarted and shows degraded in /api/ready until it recovers", async () => {
    const eng = await openTestEngine(tmp("ami-ch-"));
    setClickHouse(eng.ch);
    const file = path.join(tmp("ami-logs-"), "audit.log");
    fs.mkdirSync(file); // a directory where the log should be: every read fails with EISDIR
    const logs: string[] = [];
    const writer = createIngestWriter({ sink: eng.sink });
    const source = `file:${file}`;
    const tail = new FileTail({
      path: file,
      writer,
      checkpointDir: tmp("ami-cp-"),
      batchRows: 100,
      flushIntervalMs: 30,
      pollMs: 10,
      restartInitialMs: 100,
      restartMaxMs: 300,
      reporter: registerSource(source, "file"),
      log: (m) => logs.push(m),
    });
    expect((await ready()).body.status).toBe("ok");
    tail.start();

    let r = await ready();
    for (let i = 0; i < 100 && r.body.status !== "degraded"; i++, r = await ready()) await sleep(50);
    expect(r.code).toBe(200); // the console still serves
    expect(r.body.ready).toBe(true);
    expect(r.body.status).toBe("degraded");
    expect(r.body.degraded).toEqual([{ source, error: expect.stringMatching(/EISDIR/), since: expect.any(String) }]);
    const since = r.body.degraded[0]!.since;
    // An anonymous caller (a load balancer) learns that something is degraded, not what or why.
    expect((await ready("anonymous")).body).toEqual({ ready: true, status: "degraded", degradedSources: 1 });

    // It keeps retrying (with backoff) and stays degraded, since the first failure.
    await sleep(1200);
    expect(logs.filter((l) => l.includes("restarting in")).length).toBeGreaterThanOrEqual(3);
    r = await ready();
    expect(r.body.status).toBe("degraded");
    expect(r.body.degraded[0]!.since).toBe(since);

    // Fixed: the next restart reads the file and the source is healthy again.
    fs.rmdirSync(file);
    const app = new Appender();
    app.append(file, 250);
    await waitCaughtUp(tail["opts"].checkpointDir, file);
    r = await ready();
    for (let i = 0; i < 40 && r.body.status !== "ok"; i++, r = await ready()) await sleep(50);
    expect(r.body).toMatchObject({ ready: true, status: "ok", degraded: [] });
    await tail.stop();
    await writer.close();
    expect(await seqStats(eng, source)).toEqual({ n: 250, u: 250, lo: 0, hi: 249 });
    await eng.close();
  });
});
