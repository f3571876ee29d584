// Kill/rotate soak of the file tail, shared by ingest/file-tail-rotate-kill.int.test.ts
// and `npm run bench:ingest-soak`: a writer appends sequence-numbered lines and
// rotates like logrotate (rename or copytruncate, then gzip behind it), while a
// child process tailing the file into its own chDB is SIGKILLed at random points,
// some kills followed by 1, 2 or 5 rotations before the restart. At the end the
// stored sequence numbers are counted: written / stored / lost / duplicated.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { readCheckpoint } from "../../ingest/checkpoint";
import { Random } from "../simulator/random";
import { Appender, missingSeqRanges, openTestEngine, seqStats, sleep, waitCaughtUp } from "./ingest-engine";

const repoRoot = path.resolve(__dirname, "../..");
// node with tsx's loader (not the tsx CLI, which would run the script in a grandchild the kill misses).
const tsxArgs = ["--require", path.join(repoRoot, "node_modules/tsx/dist/preflight.cjs"), "--import", pathToFileURL(path.join(repoRoot, "node_modules/tsx/dist/loader.mjs")).href];

export interface SoakOptions {
  /** chDB + checkpoints of the child (fresh directory). */
  dir: string;
  /** The tailed file (its directory is fresh too). */
  file: string;
  mode: "rename" | "copytruncate";
  kills: number;
  /** Lines per generation. */
  rotateEvery: number;
  linesPerTick?: number;
  tickMs?: number;
  /** Rotations while the tail is down, one entry per kill in turn. */
  downRotations?: readonly number[];
  /** How long the child runs before a kill: random in [min, max] ms. */
  upMs?: readonly [number, number];
  seed?: number;
  /** How long the last restart may take to read the backlog (it grows when the machine is busy). */
  catchUpMs?: number;
  log?: (msg: string) => void;
}

export interface SoakResult {
  written: number;
  stored: number;
  unique: number;
  lost: number;
  duplicated: number;
  kills: number;
  rotations: number;
  /** Kills that had 1, 2 and 5 rotations before the restart. */
  killsWithRotations: Record<number, number>;
  gzipped: number;
  gaps: number;
  /** Missing sequence numbers as [first, last] ranges (first 20), to find the kill or rotation that lost them. */
  missing: [number, number][];
  /** Per kill: the sequence number written last before it, the rotations while down and the next one written (for reading `missing`). */
  history: string[];
  seconds: number;
}

/** Appends and rotates like logrotate with compress + delaycompress: NAME → NAME.1 → NAME.2.gz … */
class RotatingLog {
  readonly app = new Appender();
  inFile = 0;
  rotations = 0;
  gzipped = 0;
  private kept = 0;

  constructor(
    private readonly file: string,
    private readonly mode: SoakOptions["mode"],
    private readonly rotateEvery: number,
  ) {}

  private name(i: number, gz = false) {
    return `${this.file}.${i}${gz ? ".gz" : ""}`;
  }

  append(n: number) {
    while (n > 0) {
      const k = Math.min(n, this.rotateEvery - this.inFile);
      this.app.append(this.file, k);
      this.inFile += k;
      n -= k;
      if (this.inFile >= this.rotateEvery) this.rotate(false);
    }
  }

  /** `compressNow`: gzip NAME.1 at once too (no delaycompress), so a partly read file is compressed. */
  rotate(compressNow: boolean) {
    for (let i = this.kept; i >= 1; i--) {
      for (const gz of [true, false]) if (fs.existsSync(this.name(i, gz))) fs.renameSync(this.name(i, gz), this.name(i + 1, gz));
    }
    if (this.mode === "rename") fs.renameSync(this.file, this.name(1));
    else {
      // copytruncate: the writer is paused (this is synchronous) while the copy is made.
      fs.copyFileSync(this.file, this.name(1));
      const st = fs.statSync(this.file);
      fs.utimesSync(this.name(1), st.atime, st.mtime);
      fs.truncateSync(this.file, 0);
    }
    this.kept++;
    this.rotations++;
    this.inFile = 0;
    this.gzip(2);
    if (compressNow) this.gzip(1);
  }

  /** gzip as logrotate runs it: NAME.i.gz written in place (keeping the mtime), then NAME.i removed. */
  private gzip(i: number) {
    const plain = this.name(i);
    if (!fs.existsSync(plain)) return;
    const st = fs.statSync(plain);
    fs.writeFileSync(this.name(i, true), gzipSync(fs.readFileSync(plain)));
    fs.utimesSync(this.name(i, true), st.atime, st.mtime);
    fs.unlinkSync(plain);
    this.gzipped++;
  }
}

export async function runKillRotateSoak(opts: SoakOptions): Promise<SoakResult> {
  const t0 = Date.now();
  const log = opts.log ?? (() => {});
  const random = new Random(opts.seed ?? 20261207);
  const rand = () => random.float();
  const linesPerTick = opts.linesPerTick ?? 20;
  const tickMs = opts.tickMs ?? 20;
  const [upMin, upMax] = opts.upMs ?? [300, 1800];
  const down = opts.downRotations ?? [0, 1, 2, 5];
  fs.mkdirSync(path.dirname(opts.file), { recursive: true });
  const rl = new RotatingLog(opts.file, opts.mode, opts.rotateEvery);
  const childOptions = JSON.stringify({ batchRows: 200, flushIntervalMs: 30, pollMs: 15, rotateGraceMs: 100 });

  const spawnChild = () =>
    new Promise<ChildProcess>((resolve, reject) => {
      const c = spawn(process.execPath, [...tsxArgs, path.join(repoRoot, "scripts/ingest-tail-child.ts"), opts.dir, opts.file, childOptions], {
        cwd: repoRoot,
        stdio: ["ignore", "pipe", "inherit"],
      });
      c.stdout!.on("data", (d: Buffer) => {
        if (d.toString().includes("ready")) resolve(c);
      });
      c.once("exit", (code) => reject(new Error(`tail child exited early (${code})`)));
    });

  const killsWithRotations: Record<number, number> = {};
  const history: string[] = [];
  rl.append(linesPerTick);
  for (let k = 0; k < opts.kills; k++) {
    const child = await spawnChild();
    child.removeAllListeners("exit");
    const until = Date.now() + upMin + rand() * (upMax - upMin);
    while (Date.now() < until) {
      rl.append(linesPerTick);
      await sleep(tickMs);
    }
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
    const killedAt = rl.app.next;
    // While it is down: whole generations written and rotated (every other time gzipping NAME.1 at once).
    const r = down[k % down.length]!;
    for (let i = 0; i < r; i++) {
      rl.append(Math.max(1, opts.rotateEvery - rl.inFile - 1));
      rl.rotate(i === r - 1 && k % 2 === 1);
    }
    if (r > 0) killsWithRotations[r] = (killsWithRotations[r] ?? 0) + 1;
    history.push(`kill ${k + 1}: after seq ${killedAt - 1} (line ${rl.inFile} of its file before the restart), ${r} rotation(s) while down, restart at seq ${rl.app.next}`);
    rl.append(linesPerTick);
    if ((k + 1) % 5 === 0) log(`[soak] ${opts.mode}: ${k + 1}/${opts.kills} kills, ${rl.app.next} lines, ${rl.rotations} rotations`);
  }
  rl.append(linesPerTick);
  const last = await spawnChild();
  last.removeAllListeners("exit");
  try {
    await waitCaughtUp(path.join(opts.dir, "checkpoints"), opts.file, opts.catchUpMs ?? 600_000);
  } catch (err) {
    last.kill("SIGKILL"); // leave no tailing child behind a failed run
    throw err;
  }
  const exited = new Promise((r) => last.once("exit", r));
  last.kill("SIGTERM");
  await exited;
  const cp = readCheckpoint(path.join(opts.dir, "checkpoints"), opts.file);
  const eng = await openTestEngine(opts.dir);
  try {
    const s = await seqStats(eng, `file:${path.resolve(opts.file)}`);
    const written = rl.app.next;
    return {
      written,
      stored: s.n,
      unique: s.u,
      lost: written - s.u,
      duplicated: s.n - s.u,
      kills: opts.kills,
      rotations: rl.rotations,
      killsWithRotations,
      gzipped: rl.gzipped,
      gaps: cp?.gapCount ?? 0,
      history,
      missing: written - s.u > 0 ? await missingSeqRanges(eng, `file:${path.resolve(opts.file)}`, written) : [],
      seconds: Math.round((Date.now() - t0) / 1000),
    };
  } finally {
    await eng.close();
  }
}
