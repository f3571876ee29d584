// The file tail across kill -9 and log rotation (lib/testing/ingest-soak.ts): a child process
// tailing a rotating log is SIGKILLed at random points, 20 times per rotation style,
// some kills followed by 1, 2 and 5 rotations before the restart, rotated files
// gzipped behind it. Every sequence number must be stored exactly once.
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runKillRotateSoak } from "../lib/testing/ingest-soak";
import { tempDirs } from "@/lib/testing/ingest-engine";

const { tmp, removeAll } = tempDirs();
afterAll(removeAll);

describe("file tail: kill -9 while the log rotates", () => {
  it("rename rotation with compress/delaycompress: every line exactly once", async () => {
    const r = await runKillRotateSoak({ dir: tmp("ami-soak-"), file: path.join(tmp("ami-logs-"), "audit.log"), mode: "rename", kills: 20, rotateEvery: 300, seed: 7 });
    expect(r.kills).toBe(20);
    // Kills landed with one, two and five rotations before the restart, and files were gzipped.
    expect(r.killsWithRotations[1]).toBeGreaterThanOrEqual(4);
    expect(r.killsWithRotations[2]).toBeGreaterThanOrEqual(4);
    expect(r.killsWithRotations[5]).toBeGreaterThanOrEqual(4);
    expect(r.gzipped).toBeGreaterThan(20);
    expect(r.rotations).toBeGreaterThan(40);
    expect({ lost: r.lost, missing: r.missing, duplicated: r.duplicated, gaps: r.gaps, stored: r.stored }).toEqual({
      lost: 0,
      missing: [],
      duplicated: 0,
      gaps: 0,
      stored: r.written,
    });
  }, 240_000);

  it("copytruncate (the writer paused while the copy is made): every line exactly once", async () => {
    const r = await runKillRotateSoak({ dir: tmp("ami-soak-"), file: path.join(tmp("ami-logs-"), "audit.log"), mode: "copytruncate", kills: 20, rotateEvery: 300, seed: 11 });
    expect(r.kills).toBe(20);
    expect(r.killsWithRotations[5]).toBeGreaterThanOrEqual(4);
    expect(r.gzipped).toBeGreaterThan(20);
    expect({ lost: r.lost, missing: r.missing, duplicated: r.duplicated, gaps: r.gaps, stored: r.stored }).toEqual({
      lost: 0,
      missing: [],
      duplicated: 0,
      gaps: 0,
      stored: r.written,
    });
  }, 240_000);
});
