// File-tail source: follows a log file through rename rotation and
// copytruncate, checkpointing after each committed batch. Exactly once across
// crashes: a batch's byte range is written to the checkpoint (write-ahead)
// before it goes to the writer, and a restart replays exactly those ranges
// with the same dedup tokens before reading on.
// Position of a line = `${path}#${fileKey}:${byteOffset}`; fileKey = inode + hash
// of the first line, so a reused inode or a truncated-and-refilled file is a new file.
import fs from "node:fs";
import path from "node:path";
import { createGunzip } from "node:zlib";
import readline from "node:readline";
import {
  HEAD_MAX,
  hashHead,
  readCheckpoint,
  writeCheckpoint,
  type Checkpoint,
  type FileIdentity,
  type PendingRange,
} from "./checkpoint";
import type { SourceReporter } from "./status";
import type { BatchResult, IngestWriter } from "./writer";

export interface FileTailOptions {
  path: string;
  writer: IngestWriter;
  checkpointDir: string;
  batchRows: number;
  /**
   * Largest batch while catching up (default batchRows). Behind a backlog each
   * batch doubles, from batchRows up to this: chDB inserts a 400 k-row block at
   * about half the per-row cost of 100 k blocks (the views and the projection
   * pay per block), and starting small keeps the first insert from waiting for
   * a huge parse. At the end of the file the size drops back to batchRows.
   */
  maxBatchRows?: number;
  flushIntervalMs: number;
  /** How often to look for new data at EOF. */
  pollMs?: number;
  /** How long a renamed-away file is still read before it is finished. */
  rotateGraceMs?: number;
  /** Batches handed to the writer at once (pipelining parse with insert). */
  maxInFlight?: number;
  reporter?: SourceReporter;
  log?: (msg: string) => void;
}

interface OpenFile {
  fh: fs.promises.FileHandle;
  /** The file was renamed away or replaced: read it to its end, then move on. */
  draining: boolean;
  ino: number;
  identity: FileIdentity | null;
  /** Next byte to read. */
  readOffset: number;
  label: string;
}

const READ_CHUNK = 1 << 20;
const NL = 10;

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

async function readAt(fh: fs.promises.FileHandle, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(len);
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fh.read(buf, got, len - got, pos + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

/** Identity of an open file, or null while its first line is incomplete. */
async function identify(fh: fs.promises.FileHandle, ino: number, final = false): Promise<FileIdentity | null> {
  const head = await readAt(fh, 0, HEAD_MAX);
  const nl = head.indexOf(NL);
  let headLen: number;
  if (nl >= 0) headLen = nl + 1;
  else if (head.length === HEAD_MAX || (final && head.length > 0)) headLen = head.length;
  else return null;
  const headHash = hashHead(head.subarray(0, headLen));
  return { ino, fileKey: `${ino}-${headHash}`, headLen, headHash };
}

async function matches(fh: fs.promises.FileHandle, ino: number, id: FileIdentity): Promise<boolean> {
  if (ino !== id.ino) return false;
  const head = await readAt(fh, 0, id.headLen);
  return head.length === id.headLen && hashHead(head) === id.headHash;
}

/** Split `buf` into lines; `final` = a trailing line without \n counts too. */
function splitLines(buf: Buffer, base: number, final: boolean) {
  const lines: string[] = [];
  const positions: number[] = [];
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(NL, start);
    if (nl < 0) break;
    lines.push(buf.toString("utf8", start, nl));
    positions.push(base + start);
    start = nl + 1;
  }
  if (final && start < buf.length) {
    lines.push(buf.toString("utf8", start));
    positions.push(base + start);
    start = buf.length;
  }
  return { lines, positions, consumed: start };
}

export class FileTail {
  private readonly watched: string;
  private readonly pollMs: number;
  private readonly rotateGraceMs: number;
  private readonly maxInFlight: number;
  private readonly log: (msg: string) => void;
  private cp: Checkpoint;
  /** Rows the batch being read is filled to (grows while catching up). */
  private target: number;
  private cur: OpenFile | null = null;
  private stopping = false;
  private loop: Promise<void> | null = null;
  private inflight: Promise<void>[] = [];
  private failed: Error | null = null;
  // Lines read but not yet handed to the writer (one identity at a time).
  private acc: { identity: FileIdentity; from: number; to: number; lines: string[]; positions: number[]; since: number } | null = null;

  constructor(private readonly opts: FileTailOptions) {
    this.watched = path.resolve(opts.path);
    this.pollMs = opts.pollMs ?? 100;
    this.rotateGraceMs = opts.rotateGraceMs ?? 300;
    this.maxInFlight = opts.maxInFlight ?? 2;
    this.target = Math.max(1, opts.batchRows);
    this.log = opts.log ?? (() => {});
    this.cp = readCheckpoint(opts.checkpointDir, this.watched) ?? { path: this.watched, identity: null, offset: 0, pending: [], updatedAt: 0 };
  }

  get source(): string {
    return `file:${this.watched}`;
  }

  start(): void {
    this.loop ??= this.run().catch((err) => {
      this.opts.reporter?.recordError(err);
      this.opts.reporter?.setState("error", (err as Error).message);
      this.log(`[ingest] file tail ${this.watched} stopped: ${(err as Error).message}`);
    });
  }

  /** Stop reading, hand buffered lines to the writer and wait for them to commit. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
    await this.cur?.fh.close().catch(() => {});
    this.cur = null;
    this.opts.reporter?.setState("stopped");
  }

  private async run(): Promise<void> {
    const rep = this.opts.reporter;
    rep?.setState("starting", "recovering from checkpoint");
    await this.recover();
    rep?.setState("running");
    while (!this.stopping) {
      if (this.failed) throw this.failed;
      if (this.opts.writer.isCongested()) {
        rep?.setState("paused", this.opts.writer.isFailing() ? "analytics store unavailable; retrying" : "writer congested");
        await this.flushAccIfDue(false);
        await sleep(this.pollMs);
        continue;
      }
      if (!this.cur) {
        this.cur = await this.openWatched(0);
        if (!this.cur) {
          rep?.setState("idle", "waiting for the file to appear");
          await sleep(this.pollMs * 5);
          continue;
        }
      }
      const progressed = await this.readSome(this.cur);
      if (progressed) {
        rep?.setState("running");
        continue;
      }
      // At EOF: flush a partial batch when due, then look for rotation or truncation.
      this.target = Math.max(1, this.opts.batchRows);
      await this.flushAccIfDue(false);
      await this.updateLag();
      if (!(await this.checkFileChanged(this.cur))) {
        if (this.acc === null) rep?.setState("idle", "at end of file");
        await sleep(this.pollMs);
      }
    }
    await this.flushAccIfDue(true);
    await Promise.all(this.inflight);
    if (this.failed) throw this.failed;
  }

  private async openWatched(offset: number): Promise<OpenFile | null> {
    let fh: fs.promises.FileHandle;
    try {
      fh = await fs.promises.open(this.watched, "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
    const st = await fh.stat();
    return { fh, draining: false, ino: st.ino, identity: null, readOffset: offset, label: this.watched };
  }

  /** Read complete lines from the current file into the batch; false at EOF. */
  private async readSome(f: OpenFile): Promise<boolean> {
    if (!f.identity) {
      f.identity = await identify(f.fh, f.ino, f.draining);
      if (!f.identity) {
        if (f.draining) await this.finishDraining(f);
        return false;
      }
    }
    const want = Math.max(1, this.target - (this.acc?.lines.length ?? 0));
    let chunk = READ_CHUNK;
    for (;;) {
      const buf = await readAt(f.fh, f.readOffset, chunk);
      if (buf.length === 0) {
        if (f.draining) await this.finishDraining(f);
        return false;
      }
      const { lines, positions, consumed } = splitLines(buf, f.readOffset, false);
      if (lines.length === 0) {
        if (buf.length < chunk) {
          // An incomplete last line: wait for its \n (or for the file to be rotated away).
          if (f.draining) await this.finishDraining(f);
          return false;
        }
        chunk *= 2; // a line longer than the chunk: read more (the parser refuses it as too_long)
        continue;
      }
      let take = lines.length;
      let end = f.readOffset + consumed;
      if (take > want) {
        take = want;
        end = positions[take]!;
      }
      this.append(f.identity, f.readOffset, end, lines.slice(0, take), positions.slice(0, take));
      f.readOffset = end;
      if (this.acc && this.acc.lines.length >= this.target) {
        await this.submitAcc();
        // A full batch means a backlog: the next one may be bigger.
        this.target = Math.min(this.opts.maxBatchRows ?? this.opts.batchRows, this.target * 2);
      }
      return true;
    }
  }

  private append(identity: FileIdentity, from: number, to: number, lines: string[], positions: number[]) {
    if (this.acc && this.acc.identity.fileKey !== identity.fileKey) throw new Error("internal: batch spans two files");
    if (!this.acc) this.acc = { identity, from, to, lines: [], positions: [], since: Date.now() };
    this.acc.to = to;
    for (let i = 0; i < lines.length; i++) {
      this.acc.lines.push(lines[i]!);
      this.acc.positions.push(positions[i]!);
    }
  }

  private async flushAccIfDue(force: boolean) {
    if (this.acc && (force || Date.now() - this.acc.since >= this.opts.flushIntervalMs)) await this.submitAcc();
  }

  /** Finish a rotated-away or replaced file: its last line counts even without \n. */
  private async finishDraining(f: OpenFile) {
    if (f.identity) {
      const rest = await readAt(f.fh, f.readOffset, 64 * 1024 * 1024);
      if (rest.length > 0) {
        const { lines, positions } = splitLines(rest, f.readOffset, true);
        if (lines.length > 0) this.append(f.identity, f.readOffset, f.readOffset + rest.length, lines, positions);
        f.readOffset += rest.length;
      }
    }
    await this.submitAcc();
    await f.fh.close().catch(() => {});
    if (this.cur === f) this.cur = null;
    this.log(`[ingest] finished ${f.label} (${f.identity?.fileKey ?? "empty"})`);
  }

  /** Rotation (rename), replacement or truncation of the watched path. True when the file was switched. */
  private async checkFileChanged(f: OpenFile): Promise<boolean> {
    if (f.draining) return false;
    let st: fs.Stats | null = null;
    try {
      st = await fs.promises.stat(this.watched);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    if (!st || st.ino !== f.ino) {
      // Renamed away (or deleted): the writer may still append for a moment.
      await sleep(this.rotateGraceMs);
      while (await this.readSome(f)) {
        /* read what arrived during the grace period */
      }
      f.draining = true;
      await this.finishDraining(f);
      this.log(`[ingest] ${this.watched} rotated; following the new file`);
      return true;
    }
    const size = (await f.fh.stat()).size;
    const headOk = f.identity ? await matches(f.fh, f.ino, f.identity) : true;
    if (size < f.readOffset || !headOk) {
      await this.onTruncated(f);
      return true;
    }
    return false;
  }

  /** copytruncate: finish the old content from the copy (a sibling with our head), then restart at 0. */
  private async onTruncated(f: OpenFile) {
    const oldIdentity = f.identity;
    if (oldIdentity) {
      const copy = await this.findSibling(oldIdentity, { ignoreIno: true });
      if (copy) {
        const size = (await copy.stat()).size;
        if (size > f.readOffset) {
          const rest = await readAt(copy, f.readOffset, size - f.readOffset);
          const { lines, positions } = splitLines(rest, f.readOffset, true);
          if (lines.length > 0) this.append(oldIdentity, f.readOffset, f.readOffset + rest.length, lines, positions);
        }
        await copy.close();
      }
    }
    await this.submitAcc();
    this.log(`[ingest] ${this.watched} was truncated or replaced; reading it from the start`);
    f.identity = null;
    f.readOffset = 0;
  }

  /** A file next to the watched one (rotated name) holding this identity's content. */
  private async findSibling(id: FileIdentity, opts: { ignoreIno?: boolean } = {}): Promise<fs.promises.FileHandle | null> {
    const dir = path.dirname(this.watched);
    const base = path.basename(this.watched);
    let names: string[] = [];
    try {
      names = await fs.promises.readdir(dir);
    } catch {
      return null;
    }
    const candidates = [base, ...names.filter((n) => n !== base && n.startsWith(base) && !n.endsWith(".gz"))];
    for (const name of candidates) {
      let fh: fs.promises.FileHandle | null = null;
      try {
        fh = await fs.promises.open(path.join(dir, name), "r");
        const st = await fh.stat();
        if (!st.isFile()) {
          await fh.close();
          continue;
        }
        const idForCheck = opts.ignoreIno ? { ...id, ino: st.ino } : id;
        if (await matches(fh, st.ino, idForCheck)) {
          if (opts.ignoreIno && name === base) {
            await fh.close();
            continue;
          }
          return fh;
        }
        await fh.close();
      } catch {
        await fh?.close().catch(() => {});
      }
    }
    return null;
  }

  private async submitAcc(): Promise<void> {
    const acc = this.acc;
    if (!acc || acc.lines.length === 0) {
      this.acc = null;
      return;
    }
    this.acc = null;
    const range: PendingRange = { identity: acc.identity, from: acc.from, to: acc.to };
    this.cp.pending.push(range);
    writeCheckpoint(this.opts.checkpointDir, this.cp);
    await this.dispatch(range, acc.lines, acc.positions);
  }

  private async dispatch(range: PendingRange, lines: string[], positions: number[]): Promise<void> {
    const key = `${this.watched}#${range.identity.fileKey}:`;
    const p = this.opts.writer
      .write({ source: this.source, token: `file:${key}${range.from}-${range.to}`, idPrefix: key, lines, positions })
      .then(
        (result: BatchResult) => this.onCommitted(range, result),
        (err: Error) => {
          this.failed ??= err;
        },
      );
    this.inflight.push(p);
    while (this.inflight.length >= this.maxInFlight) await this.inflight.shift();
  }

  private onCommitted(range: PendingRange, result: BatchResult) {
    const i = this.cp.pending.indexOf(range);
    if (i >= 0) this.cp.pending.splice(i, 1);
    this.cp.identity = range.identity;
    this.cp.offset = range.to;
    writeCheckpoint(this.opts.checkpointDir, this.cp);
    this.opts.reporter?.recordBatch(result);
  }

  private async updateLag() {
    if (!this.cur) return;
    try {
      const size = (await this.cur.fh.stat()).size;
      const committed = this.cp.identity?.fileKey === this.cur.identity?.fileKey ? this.cp.offset : 0;
      this.opts.reporter?.setLag(Math.max(0, size - committed), "bytes");
    } catch {
      /* file closed meanwhile */
    }
  }

  /** Replay write-ahead ranges with their original tokens, then position on the checkpointed file. */
  private async recover(): Promise<void> {
    const pending = this.cp.pending.splice(0);
    let resumeAt = this.cp.offset;
    let resumeId = this.cp.identity;
    for (const range of pending) {
      const fh = await this.findSibling(range.identity);
      if (!fh) {
        this.log(`[ingest] ${this.watched}: file of an unconfirmed batch is gone (${range.identity.fileKey}); it may be missing`);
        continue;
      }
      const buf = await readAt(fh, range.from, range.to - range.from);
      await fh.close();
      const { lines, positions } = splitLines(buf, range.from, true);
      this.cp.pending.push(range);
      writeCheckpoint(this.opts.checkpointDir, this.cp);
      await this.dispatch(range, lines, positions);
      resumeAt = range.to;
      resumeId = range.identity;
    }
    await Promise.all(this.inflight);
    if (this.failed) throw this.failed;
    if (!resumeId) return;
    const fh = await this.findSibling(resumeId);
    if (!fh) {
      this.log(`[ingest] ${this.watched}: checkpointed file ${resumeId.fileKey} not found; starting on the current file`);
      return;
    }
    const st = await fh.stat();
    const isWatched = await fs.promises.stat(this.watched).then((s) => s.ino === st.ino, () => false);
    this.cur = { fh, draining: !isWatched, ino: st.ino, identity: resumeId, readOffset: resumeAt, label: isWatched ? this.watched : `rotated copy of ${this.watched}` };
  }
}

/**
 * One-shot backfill of a whole file (plain or .gz, streamed), positions = line
 * numbers, tokens from the file's name and size so a re-run lands once.
 */
export async function backfillFile(opts: {
  file: string;
  writer: IngestWriter;
  batchRows: number;
  source?: string;
  onProgress?: (r: { lines: number; bytes: number; result: BatchResult }) => void;
}): Promise<BatchResult> {
  const st = await fs.promises.stat(opts.file);
  const source = opts.source ?? `backfill:${path.basename(opts.file)}`;
  const key = `backfill:${path.resolve(opts.file)}@${st.size}-${st.mtimeMs}:`;
  const input = fs.createReadStream(opts.file);
  const stream = opts.file.endsWith(".gz") ? input.pipe(createGunzip()) : input;
  const rl = readline.createInterface({ input: stream, crlfDelay: Infinity });
  const total: BatchResult = { accepted: 0, refused: 0, skipped: 0, reasons: {} };
  let lines: string[] = [];
  let positions: number[] = [];
  let n = 0;
  const pendingWrites: Promise<void>[] = [];
  const send = async () => {
    if (lines.length === 0) return;
    const batch = { source, token: `${key}${positions[0]}-${positions[positions.length - 1]}`, idPrefix: key, lines, positions };
    lines = [];
    positions = [];
    pendingWrites.push(
      opts.writer.write(batch).then((r) => {
        total.accepted += r.accepted;
        total.refused += r.refused;
        total.skipped += r.skipped;
        for (const [k, v] of Object.entries(r.reasons)) total.reasons[k] = (total.reasons[k] ?? 0) + v;
        opts.onProgress?.({ lines: n, bytes: input.bytesRead, result: total });
      }),
    );
    if (pendingWrites.length >= 2) await pendingWrites.shift();
  };
  for await (const line of rl) {
    lines.push(line);
    positions.push(n++);
    if (lines.length >= opts.batchRows) await send();
  }
  await send();
  await Promise.all(pendingWrites);
  return total;
}
