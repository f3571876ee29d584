// kill -9 durability of the file tail: a child process (scripts/ingest-tail-child.ts)
// tails a file into its own chDB dir and is SIGKILLed at random points while
// lines are appended; at the end every sequence number is stored exactly once.
// The parent opens that chDB dir only after the last child exited (one writer per dir).
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { Appender, openTestEngine, seqStats, sleep, tempDirs, waitCaughtUp } from "@/lib/testing/ingest-engine";

const repoRoot = path.resolve(__dirname, "..");
// node with tsx's loader (not the tsx CLI, which would run the script in a grandchild the kill misses).
const tsxArgs = ["--require", path.join(repoRoot, "node_modules/tsx/dist/preflight.cjs"), "--import", pathToFileURL(path.join(repoRoot, "node_modules/tsx/dist/loader.mjs")).href];
const { tmp, removeAll } = tempDirs();
afterAll(removeAll);

describe("file tail under kill -9", () => {
  it("survives kill -9 at random points: every line exactly once", async () => {
    const dir = tmp("ami-tail-kill-");
    const file = path.join(tmp("ami-logs-"), "audit.log");
    const app = new Appender();
    let child: ChildProcess | null = null;
    const spawnChild = () =>
      new Promise<ChildProcess>((resolve, reject) => {
        const c = spawn(process.execPath, [...tsxArgs, path.join(repoRoot, "scripts/ingest-tail-child.ts"), dir, file], { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"] });
        c.stdout!.on("data", (d: Buffer) => {
          if (d.toString().includes("ready")) resolve(c);
        });
        c.once("exit", (code) => reject(new Error(`child exited early (${code})`)));
      });
    let stopAppending = false;
    const appending = (async () => {
      while (!stopAppending) {
        app.append(file, 40);
        await sleep(15);
      }
    })();
    let kills = 0;
    for (let i = 0; i < 12; i++) {
      child = await spawnChild();
      child.removeAllListeners("exit");
      await sleep(200 + Math.random() * 1500);
      const exited = new Promise((r) => child!.once("exit", r));
      child.kill("SIGKILL");
      await exited;
      kills++;
    }
    stopAppending = true;
    await appending;
    child = await spawnChild();
    child.removeAllListeners("exit");
    await waitCaughtUp(path.join(dir, "checkpoints"), file, 60_000);
    const exited = new Promise((r) => child!.once("exit", r));
    child.kill("SIGTERM");
    await exited;
    expect(kills).toBeGreaterThanOrEqual(10);
    const eng = await openTestEngine(dir);
    const s = await seqStats(eng, `file:${path.resolve(file)}`);
    expect(s).toEqual({ n: app.next, u: app.next, lo: 0, hi: app.next - 1 });
    await eng.close();
  }, 300_000);
});
