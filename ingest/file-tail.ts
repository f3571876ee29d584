// File-tail source: follows a log file and the chain of its rotated
// generations (rename, copytruncate, logrotate's compress/delaycompress),
// checkpointing after each committed batch. Exactly once across crashes: a
// batch's byte range is written to the checkpoint (write-ahead) before it goes
// to the writer, and a restart replays exactly those ranges with the same dedup
// tokens before reading on. Every unfinished generation is read, oldest first,
// before the current file; one that vanished unread is recorded as a gap.
// Position of a line = `${path}#${fileKey}:${byteOffset}`; fileKey = inode + hash
// of the first line, so a reused inode or a truncated-and-refilled file is a new
// file. A .gz is read by its decompressed bytes, so offsets carry over from the plain file.
import fs from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { PREFIX_BYTES, isRotatedName, matchFiles, planChain, sameContent, type ChainFile, type FileProgress } from "./chain";
import { HEAD_MAX, checkpointFile, hashHead, readCheckpoint, writeCheckpoint, type Checkpoint, type FileIdentity, type PendingRange } from "./checkpoint";
import type { FileLag, SourceReporter } from "./status";
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
  /** A rotated file is finished once it has not been written to for this long. */
  rotateGraceMs?: number;
  /** Batches handed to the writer at once (pipelining parse with insert). */
  maxInFlight?: number;
  /** Extra globs of rotated names next to the file (`{name}` = the file's name). */
  rotatedGlobs?: readonly string[];
  /** First and largest wait before restarting after an unexpected error. */
  restartInitialMs?: number;
  restartMaxMs?: number;
  reporter?: SourceReporter;
  log?: (msg: string) => void;
}

/** Sequential reads of a file's (decompressed) bytes. */
interface Reader {
  readAt(pos: number, len: number): Promise<Buffer>;
  /** Of the file itself (compressed size for a .gz). */
  stat(): Promise<fs.Stats>;
  close(): Promise<void>;
}

interface OpenFile {
  reader: Reader;
  /** Plain files only: for stat and the truncation check. */
  fh: fs.promises.FileHandle | null;
  name: string;
  compressed: boolean;
  /** Not the file at the watched path: read it to its end, then move on. */
  rotated: boolean;
  ino: number;
  identity: FileIdentity | null;
  progress: FileProgress | null;
  /** Next byte to read. */
  readOffset: number;
}

const READ_CHUNK = 1 << 20;
const NL = 10;
/** A .gz still truncated after this long is finished as far as it decompresses; the rest is a gap. */
const GZ_STALL_MS = 60_000;
/** A known file must be missing from two scans this far apart before it is called a gap (renames race readdir). */
const GAP_CONFIRM_MS = 1_000;
const MAX_PROGRESS = 500;
const MAX_GAPS = 50;

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

function plainReader(fh: fs.promises.FileHandle): Reader {
  return { readAt: (pos, len) => readAt(fh, pos, len), stat: () => fh.stat(), close: () => fh.close().catch(() => {}) };
}

const isTruncatedGzip = (err: unknown) => (err as NodeJS.ErrnoException).code === "Z_BUF_ERROR" || /unexpected end of file/i.test((err as Error).message);

/** Forward-only reads of a .gz's decompressed stream; reading backwards restarts it. Open by handle: renames do not matter. */
class GzReader implements Reader {
  static async open(file: string): Promise<GzReader> {
    return new GzReader(await fs.promises.open(file, "r"));
  }

  private stream: Readable | null = null;
  private it: AsyncIterator<Buffer> | null = null;
  private buf: Buffer = Buffer.alloc(0);
  private start = 0;
  /** The stream ended: cleanly, or `truncated` (gzip still writing it, or cut short). */
  ended = false;
  truncated = false;

  private constructor(private readonly fh: fs.promises.FileHandle) {}

  private reopen() {
    this.stream?.destroy();
    const src = this.fh.createReadStream({ start: 0, autoClose: false, emitClose: false });
    const gz = createGunzip();
    src.on("error", (e) => gz.destroy(e));
    src.pipe(gz);
    this.stream = gz;
    this.it = gz[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    this.buf = Buffer.alloc(0);
    this.start = 0;
    this.ended = false;
    this.truncated = false;
  }

  async readAt(pos: number, len: number): Promise<Buffer> {
    if (!this.it || pos < this.start) this.reopen();
    const parts: Buffer[] = [this.buf];
    let have = this.buf.length;
    while (this.start + have < pos + len && !this.ended) {
      try {
        const r = await this.it!.next();
        if (r.done) this.ended = true;
        else {
          parts.push(r.value);
          have += r.value.length;
        }
      } catch (err) {
        if (!isTruncatedGzip(err)) throw err;
        this.ended = true;
        this.truncated = true;
      }
      // Bytes before pos are never needed again.
      if (have > 4 * READ_CHUNK && pos > this.start) {
        const all = Buffer.concat(parts.splice(0));
        const drop = Math.min(Math.max(0, pos - this.start), all.length);
        parts.push(all.subarray(drop));
        this.start += drop;
        have -= drop;
      }
    }
    let all = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    const drop = Math.min(Math.max(0, pos - this.start), all.length);
    all = all.subarray(drop);
    this.start += drop;
    this.buf = all;
    return all.subarray(0, len);
  }

  stat() {
    return this.fh.stat();
  }

  async close() {
    this.stream?.destroy();
    this.stream = null;
    this.it = null;
    await this.fh.close().catch(() => {});
  }
}

/** Identity of a file from its head, or null while its first line is incomplete. */
async function identify(reader: Reader, ino: number, final = false): Promise<FileIdentity | null> {
  return identifyHead(await reader.readAt(0, HEAD_MAX), ino, final);
}

function identifyHead(buf: Buffer, ino: number, final: boolean): FileIdentity | null {
  const head = buf.subarray(0, HEAD_MAX);
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

/** Birth time (kept across renames; 0 where the file system has none) tells a reused inode from the file that had it. */
const cacheKey = (st: fs.Stats) => `${st.dev}:${st.ino}:${st.birthtimeMs}:${st.size}:${st.mtimeMs}`;
const errCode = (err: unknown) => (err as NodeJS.ErrnoException).code;
const errMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class FileTail {
  private readonly watched: string;
  private readonly pollMs: number;
  private readonly rotateGraceMs: number;
  private readonly maxInFlight: number;
  private readonly log: (msg: string) => void;
  private cp!: Checkpoint;
  /** Per fileKey: bytes handed to the writer (committed or pending). */
  private readTo = new Map<string, number>();
  /** Identities of rotated files by inode, size and mtime (unchanged file, same head). */
  private idCache = new Map<string, { identity: FileIdentity; prefix: Buffer }>();
  /** fileKey → when a known unfinished file was first found missing. */
  private missingSince = new Map<string, number>();
  /** Rotated files still to read, from the last scan (for the lag). */
  private queued: { file: ChainFile; progress: FileProgress | null }[] = [];
  private badFiles = new Set<string>();
  /** Progress entries whose files the last scan found. */
  private lastSeen = new Set<FileProgress>();
  /** Last time nothing of the chain was left unread. */
  private caughtUpAt: number;
  private lagAt = 0;
  /** Rows the batch being read is filled to (grows while catching up). */
  private target: number;
  private cur: OpenFile | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
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
    this.loadCheckpoint();
    if (!fs.existsSync(checkpointFile(opts.checkpointDir, this.watched))) {
      // Written at once: rotated files older than this are history, any rotated after it (even across a crash) are read.
      this.cp.updatedAt = Date.now();
      writeCheckpoint(opts.checkpointDir, this.cp);
    }
    this.caughtUpAt = this.cp.updatedAt || Date.now();
  }

  get source(): string {
    return `file:${this.watched}`;
  }

  private loadCheckpoint() {
    this.cp = readCheckpoint(this.opts.checkpointDir, this.watched) ?? { path: this.watched, identity: null, offset: 0, pending: [], updatedAt: 0 };
    this.readTo.clear();
    for (const p of this.cp.files ?? []) this.readTo.set(p.identity.fileKey, p.offset);
  }

  /**
   * Runs until stop(). An unexpected error does not end the source: it is
   * reported (state error, degraded in /api/ready) and the tail restarts from
   * its checkpoint after a backoff that doubles while the failures go on.
   */
  start(): void {
    this.loop ??= this.supervise();
  }

  private async supervise(): Promise<void> {
    const rep = this.opts.reporter;
    const initial = this.opts.restartInitialMs ?? 1_000;
    const max = this.opts.restartMaxMs ?? 30_000;
    let backoff = initial;
    while (!this.stopping) {
      const startedAt = Date.now();
      try {
        await this.run();
        return;
      } catch (err) {
        if (Date.now() - startedAt > 60_000) backoff = initial; // it had been running fine for a while
        // Reported first: settling the batches in flight can wait on a store that is down.
        if (!this.stopping) {
          rep?.recordError(err);
          rep?.setState("error", `${errMessage(err)}; restarting in ${Math.round(backoff / 1000)} s`);
          this.log(`[ingest] file tail ${this.watched} failed: ${errMessage(err)}; restarting in ${backoff} ms`);
        }
        await this.resetAfterFailure();
        if (this.stopping) return;
        await new Promise<void>((r) => {
          const t = setTimeout(r, backoff);
          this.wake = () => {
            clearTimeout(t);
            r();
          };
        });
        this.wake = null;
        backoff = Math.min(max, backoff * 2);
      }
    }
  }

  /** Back to the durable state: batches in flight settle, the checkpoint on disk is the truth. */
  private async resetAfterFailure() {
    await Promise.allSettled(this.inflight);
    this.inflight = [];
    await this.cur?.reader.close();
    this.cur = null;
    this.acc = null;
    this.failed = null;
    this.target = Math.max(1, this.opts.batchRows);
    this.loadCheckpoint();
  }

  /** Stop reading, hand buffered lines to the writer and wait for them to commit. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    await this.cur?.reader.close();
    this.cur = null;
    this.opts.reporter?.setState("stopped");
  }

  private async run(): Promise<void> {
    const rep = this.opts.reporter;
    rep?.setState("starting", "recovering from checkpoint");
    await this.recover();
    // The state (and the end of a degraded spell) follows from the first read or end of file.
    while (!this.stopping) {
      if (this.failed) throw this.failed;
      if (this.opts.writer.isCongested()) {
        rep?.setState("paused", this.opts.writer.isFailing() ? "analytics store unavailable; retrying" : "writer congested");
        await this.flushAccIfDue(false);
        await sleep(this.pollMs);
        continue;
      }
      if (!this.cur) {
        this.cur = await this.openNext();
        if (!this.cur) {
          await this.flushAccIfDue(true);
          if (this.cp.pending.length === 0) this.caughtUpAt = Date.now();
          await this.updateLag(true);
          rep?.setState("idle", "waiting for the file to appear");
          await sleep(this.pollMs * 5);
          continue;
        }
      }
      const f = this.cur;
      const progressed = await this.readSome(f);
      if (progressed) {
        rep?.setState("running", f.rotated ? `reading rotated ${path.basename(f.name)}` : "");
        await this.updateLag(false);
        continue;
      }
      // At EOF: flush a partial batch when due.
      this.target = Math.max(1, this.opts.batchRows);
      await this.flushAccIfDue(false);
      if (f.rotated) {
        await this.atRotatedEnd(f);
        continue;
      }
      if (!(await this.checkFileChanged(f))) {
        if (this.acc === null && this.cp.pending.length === 0) this.caughtUpAt = Date.now();
        await this.updateLag(false);
        if (this.acc === null) rep?.setState("idle", "at end of file");
        await sleep(this.pollMs);
      }
    }
    await this.flushAccIfDue(true);
    await Promise.all(this.inflight);
    if (this.failed) throw this.failed;
  }

  /** A rotated file at its end: finished once nothing writes to it any more (or its .gz is complete). */
  private async atRotatedEnd(f: OpenFile) {
    if (f.compressed) {
      const gz = f.reader as GzReader;
      if (!gz.truncated) return this.finish(f);
      const st = await fs.promises.stat(f.name).catch(() => null);
      if (st && Date.now() - st.mtimeMs > GZ_STALL_MS) {
        this.recordGap(f.progress!, `${path.basename(f.name)} ends mid-stream`, 0);
        return this.finish(f);
      }
      // gzip is still writing it: read on later.
      await this.closeCur();
      await sleep(this.pollMs);
      return;
    }
    const st = await f.fh!.stat();
    if (Date.now() - st.mtimeMs >= this.rotateGraceMs) return this.finish(f);
    await sleep(Math.min(this.pollMs, this.rotateGraceMs));
  }

  private async closeCur() {
    await this.submitAcc();
    await this.cur?.reader.close();
    this.cur = null;
  }

  /** The file at the watched path, identified when its first line is complete. */
  private async openWatched(): Promise<OpenFile | null> {
    let fh: fs.promises.FileHandle;
    try {
      fh = await fs.promises.open(this.watched, "r");
    } catch (err) {
      if (errCode(err) === "ENOENT") return null;
      throw err;
    }
    try {
      const st = await fh.stat();
      const f: OpenFile = { reader: plainReader(fh), fh, name: this.watched, compressed: false, rotated: false, ino: st.ino, identity: null, progress: null, readOffset: 0 };
      await this.identifyOpen(f);
      return f;
    } catch (err) {
      await fh.close().catch(() => {});
      throw err;
    }
  }

  /** Set the identity and the progress of an open file once its head is complete; resume at its offset. */
  private async identifyOpen(f: OpenFile, final = false): Promise<boolean> {
    if (f.identity) return true;
    const id = await identify(f.reader, f.ino, final);
    if (!id) return false;
    const files = (this.cp.files ??= []);
    let p = files.find((q) => q.identity.fileKey === id.fileKey) ?? null;
    if (!p) {
      p = { identity: id, name: f.name, offset: 0, done: false, size: 0, mtimeMs: 0, seenAt: Date.now() };
      files.push(p);
      this.trimProgress();
      writeCheckpoint(this.opts.checkpointDir, this.cp);
    }
    f.identity = p.identity;
    f.progress = p;
    f.readOffset = Math.max(f.readOffset, this.readTo.get(id.fileKey) ?? p.offset);
    return true;
  }

  /** The next file: the oldest unfinished rotated generation, else the watched file. */
  private async openNext(): Promise<OpenFile | null> {
    const watched = await this.openWatched();
    // Scan after opening: a generation rotated before the open is visible now.
    const files = await this.scanChain();
    const atWatched = files.find((f) => f.name === this.watched);
    if (atWatched && atWatched.ino !== watched?.ino) {
      // Rotated (or created) between the open and the scan: start over.
      await watched?.reader.close();
      return this.openNext();
    }
    const plan = planChain({ files, watchedIno: watched?.ino ?? null, progress: this.cp.files ?? [] });
    this.lastSeen = plan.seen;
    await this.noteMissing(plan.missing);
    const now = Date.now();
    let changed = false;
    for (const r of plan.read) {
      if (r.progress) continue;
      // Known from now on, so if it vanishes before it is read it is reported as a gap.
      r.progress = { identity: r.file.identity, name: r.file.name, offset: 0, done: false, size: r.file.size, mtimeMs: r.file.mtimeMs, seenAt: now };
      (this.cp.files ??= []).push(r.progress);
      changed = true;
    }
    for (const r of plan.read) {
      if (r.progress!.name !== r.file.name || (!r.file.compressed && r.progress!.size !== r.file.size)) {
        r.progress!.name = r.file.name;
        if (!r.file.compressed) r.progress!.size = r.file.size;
        r.progress!.mtimeMs = r.file.mtimeMs;
        changed = true;
      }
    }
    if (changed) {
      this.trimProgress();
      writeCheckpoint(this.opts.checkpointDir, this.cp);
    }
    this.queued = plan.read;
    const next = plan.read[0];
    if (!next) return watched;
    await watched?.reader.close();
    // Renamed between the scan and the open: scan again.
    return (await this.openRotated(next.file, next.progress!)) ?? this.openNext();
  }

  private async openRotated(file: ChainFile, p: FileProgress): Promise<OpenFile | null> {
    let reader: Reader;
    let fh: fs.promises.FileHandle | null = null;
    try {
      if (file.compressed) reader = await GzReader.open(file.name);
      else {
        fh = await fs.promises.open(file.name, "r");
        reader = plainReader(fh);
      }
    } catch (err) {
      if (errCode(err) === "ENOENT") return null; // renamed meanwhile: the next scan finds it
      throw err;
    }
    if (!(await this.isSameFile(reader, file))) {
      await reader.close();
      // Renamed meanwhile, or a cached identity that no longer holds: identify every file afresh.
      this.idCache.clear();
      return null;
    }
    const offset = Math.max(this.readTo.get(p.identity.fileKey) ?? 0, p.offset);
    this.log(`[ingest] reading rotated ${file.name} of ${this.watched} from byte ${offset}`);
    return { reader, fh, name: file.name, compressed: file.compressed, rotated: true, ino: file.ino, identity: p.identity, progress: p, readOffset: offset };
  }

  /** Is the file opened by name still the one the scan found there (a rotation renames files under us)? */
  private async isSameFile(reader: Reader, file: ChainFile): Promise<boolean> {
    const st = await reader.stat();
    if (st.ino !== file.ino) return false;
    const head = await reader.readAt(0, file.identity.headLen);
    return head.length === file.identity.headLen && hashHead(head) === file.identity.headHash;
  }

  /** The watched file and its rotated generations next to it, identified by their heads. */
  private async scanChain(): Promise<ChainFile[]> {
    const dir = path.dirname(this.watched);
    const base = path.basename(this.watched);
    let names: string[];
    try {
      names = await fs.promises.readdir(dir);
    } catch (err) {
      if (errCode(err) === "ENOENT") return [];
      throw err;
    }
    const out: ChainFile[] = [];
    for (const name of names) {
      if (name !== base && !isRotatedName(base, name, this.opts.rotatedGlobs)) continue;
      const full = path.join(dir, name);
      const compressed = name.endsWith(".gz");
      try {
        let st = await fs.promises.stat(full);
        if (!st.isFile()) continue;
        // A reused inode with the same size and mtime (logrotate's gzip keeps the mtime) is another file: see cacheKey.
        let hit = this.idCache.get(cacheKey(st)) ?? null;
        if (!hit) {
          const reader: Reader = compressed ? await GzReader.open(full) : plainReader(await fs.promises.open(full, "r"));
          try {
            // The file opened may not be the one stat saw (a rename in between): describe the opened one.
            st = await reader.stat();
            const prefix = Buffer.from(await reader.readAt(0, PREFIX_BYTES));
            // A .gz that gzip is still writing counts its first line only once its stream ended cleanly.
            const final = compressed ? (reader as GzReader).ended && !(reader as GzReader).truncated : name !== base;
            const identity = identifyHead(prefix, st.ino, final);
            hit = identity ? { identity, prefix } : null;
          } finally {
            await reader.close();
          }
          if (hit && name !== base) this.idCache.set(cacheKey(st), hit);
        }
        if (hit) out.push({ name: full, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, compressed, identity: hit.identity, prefix: hit.prefix });
      } catch (err) {
        if (errCode(err) === "ENOENT") continue; // rotated away meanwhile
        if (name === base) throw err;
        // One unreadable rotated file does not stop the chain; it is reported once.
        if (!this.badFiles.has(full)) {
          this.badFiles.add(full);
          this.opts.reporter?.recordError(new Error(`${full}: ${errMessage(err)}`));
          this.log(`[ingest] cannot read rotated ${full}: ${errMessage(err)}`);
        }
      }
    }
    if (this.idCache.size > 4 * MAX_PROGRESS) this.idCache.clear();
    return out;
  }

  /** Known unfinished files not found: a gap once they stay missing. */
  private async noteMissing(missing: FileProgress[]) {
    const now = Date.now();
    const keys = new Set(missing.map((p) => p.identity.fileKey));
    for (const k of [...this.missingSince.keys()]) if (!keys.has(k)) this.missingSince.delete(k);
    const due: FileProgress[] = [];
    for (const p of missing) {
      const since = this.missingSince.get(p.identity.fileKey);
      if (since === undefined) this.missingSince.set(p.identity.fileKey, now);
      else if (now - since >= GAP_CONFIRM_MS) due.push(p);
    }
    if (due.length === 0) return;
    // readdir can miss a file renamed while it runs (logrotate shifting NAME.1 → NAME.2 …): look again, a few times.
    let gone = due;
    for (let i = 0; i < 3 && gone.length > 0; i++) {
      await sleep(50 + 50 * i);
      const files = await this.scanChain();
      const found = new Set([...matchFiles(files, this.cp.files ?? []).values()]);
      // Its content still there under another entry (seen once as a copy or .gz of its own) is no gap either.
      const elsewhere = gone.filter((p) => !found.has(p) && files.some((f) => sameContent(f.identity, p.identity)));
      for (const p of elsewhere) {
        // The same content is followed (and read) through that entry: this one is finished as a duplicate, so it
        // neither waits for ever nor keeps the checkpoint from trimming it.
        p.done = true;
        this.missingSince.delete(p.identity.fileKey);
        this.log(`[ingest] ${path.basename(p.name)} (${p.identity.fileKey}) is followed under another entry with the same content`);
      }
      if (elsewhere.length > 0) writeCheckpoint(this.opts.checkpointDir, this.cp);
      gone = gone.filter((p) => !found.has(p) && !elsewhere.includes(p));
    }
    for (const p of gone) {
      this.missingSince.delete(p.identity.fileKey);
      const read = Math.max(p.offset, this.readTo.get(p.identity.fileKey) ?? 0);
      this.recordGap(p, `${path.basename(p.name)} vanished before it was read to its end`, Math.max(0, p.size - read));
    }
  }

  /** A file (or its end) that can no longer be read: counted, named, kept in the checkpoint. */
  private recordGap(p: FileProgress, why: string, bytes: number) {
    p.done = true;
    this.cp.gaps = [...(this.cp.gaps ?? []), { name: p.name, fileKey: p.identity.fileKey, bytes, at: Date.now() }].slice(-MAX_GAPS);
    this.cp.gapCount = (this.cp.gapCount ?? 0) + 1;
    writeCheckpoint(this.opts.checkpointDir, this.cp);
    this.log(`[ingest] gap in ${this.watched}: ${why} (${bytes} bytes at least)`);
    this.opts.reporter?.setGaps(
      this.cp.gapCount,
      this.cp.gaps.map((g) => g.name),
    );
  }

  /** Drop the oldest finished generations whose files are gone, beyond the cap (one still there must stay known, or it would be read again). */
  private trimProgress() {
    const files = this.cp.files ?? [];
    let excess = files.length - MAX_PROGRESS;
    if (excess <= 0) return;
    this.cp.files = files.filter((p) => !(p.done && !this.lastSeen.has(p) && excess-- > 0));
  }

  /** Read complete lines from the current file into the batch; false at EOF. */
  private async readSome(f: OpenFile): Promise<boolean> {
    if (!f.identity && !(await this.identifyOpen(f))) return false;
    const want = Math.max(1, this.target - (this.acc?.lines.length ?? 0));
    let chunk = READ_CHUNK;
    for (;;) {
      const buf = await f.reader.readAt(f.readOffset, chunk);
      if (buf.length === 0) return false;
      // copytruncate keeps the inode: the file may have been truncated and refilled past our offset since
      // the last check. Checked after the read, so bytes read from a new generation are never taken as the old one's.
      if (!f.rotated && f.identity && !(await matches(f.fh!, f.ino, f.identity))) {
        this.log(`[ingest] ${this.watched} was truncated and refilled while being read; finishing the old content from its copy`);
        await this.closeCur();
        return true;
      }
      const { lines, positions, consumed } = splitLines(buf, f.readOffset, false);
      if (lines.length === 0) {
        // An incomplete last line: wait for its \n (or for the file to be finished).
        if (buf.length < chunk) return false;
        chunk *= 2; // a line longer than the chunk: read more (the parser refuses it as too_long)
        continue;
      }
      let take = lines.length;
      let end = f.readOffset + consumed;
      if (take > want) {
        take = want;
        end = positions[take]!;
      }
      await this.append(f.identity!, f.readOffset, end, lines.slice(0, take), positions.slice(0, take));
      f.readOffset = end;
      if (this.acc && this.acc.lines.length >= this.target) {
        await this.submitAcc();
        // A full batch means a backlog: the next one may be bigger.
        this.target = Math.min(this.opts.maxBatchRows ?? this.opts.batchRows, this.target * 2);
      }
      return true;
    }
  }

  private async append(identity: FileIdentity, from: number, to: number, lines: string[], positions: number[]) {
    // A batch holds one file's lines: the previous file's go first.
    if (this.acc && this.acc.identity.fileKey !== identity.fileKey) await this.submitAcc();
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

  /** Finish a rotated-away file: its last line counts even without \n. */
  private async finish(f: OpenFile) {
    if (f.identity) {
      for (;;) {
        const rest = await f.reader.readAt(f.readOffset, 64 * 1024 * 1024);
        if (rest.length === 0) break;
        const { lines, positions } = splitLines(rest, f.readOffset, true);
        if (lines.length > 0) await this.append(f.identity, f.readOffset, f.readOffset + rest.length, lines, positions);
        f.readOffset += rest.length;
      }
    }
    await this.submitAcc();
    if (f.progress) {
      f.progress.done = true;
      if (!f.compressed) f.progress.size = f.readOffset;
      writeCheckpoint(this.opts.checkpointDir, this.cp);
    }
    await f.reader.close();
    if (this.cur === f) this.cur = null;
    this.log(`[ingest] finished ${f.name} (${f.identity?.fileKey ?? "empty"})`);
  }

  /** Rotation (rename), replacement or truncation of the watched path. True when the file was switched. */
  private async checkFileChanged(f: OpenFile): Promise<boolean> {
    let st: fs.Stats | null = null;
    try {
      st = await fs.promises.stat(this.watched);
    } catch (err) {
      if (errCode(err) !== "ENOENT") throw err;
    }
    if (!st || st.ino !== f.ino) {
      // Renamed away (or deleted): read on until nothing writes to it, then follow the chain.
      f.rotated = true;
      this.log(`[ingest] ${this.watched} rotated; finishing the old file, then following the chain`);
      return true;
    }
    const size = (await f.fh!.stat()).size;
    const headOk = f.identity ? await matches(f.fh!, f.ino, f.identity) : true;
    if (size < f.readOffset || !headOk) {
      // copytruncate: the old content's end is in the copy (the chain finds it by its head).
      this.log(`[ingest] ${this.watched} was truncated or replaced; finishing the old content from its copy, then reading it from the start`);
      await this.closeCur();
      return true;
    }
    return false;
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
    this.readTo.set(acc.identity.fileKey, Math.max(this.readTo.get(acc.identity.fileKey) ?? 0, acc.to));
    writeCheckpoint(this.opts.checkpointDir, this.cp);
    await this.dispatch(range, acc.lines, acc.positions);
  }

  private async dispatch(range: PendingRange, lines: string[], positions: number[]): Promise<void> {
    const key = `${this.watched}#${range.identity.fileKey}:`;
    const p = this.opts.writer.write({ source: this.source, token: `file:${key}${range.from}-${range.to}`, idPrefix: key, lines, positions }).then(
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
    const p = this.cp.files?.find((q) => q.identity.fileKey === range.identity.fileKey);
    if (p) p.offset = Math.max(p.offset, range.to);
    writeCheckpoint(this.opts.checkpointDir, this.cp);
    this.opts.reporter?.recordBatch(result);
  }

  /** Bytes not yet committed per file of the chain, and how long since the tail was last caught up. */
  private async updateLag(force: boolean) {
    const rep = this.opts.reporter;
    if (!rep || (!force && Date.now() - this.lagAt < 1_000)) return;
    this.lagAt = Date.now();
    const now = Date.now();
    const committed = (id: FileIdentity | null | undefined) => (id ? (this.cp.files?.find((q) => q.identity.fileKey === id.fileKey)?.offset ?? 0) : 0);
    const files: FileLag[] = [];
    const add = (name: string, size: number, done: number, compressed: boolean) => {
      const bytes = Math.max(0, size - done);
      files.push({ name, bytesBehind: bytes, secondsBehind: bytes > 0 ? Math.max(0, Math.round((now - this.caughtUpAt) / 1000)) : 0, compressed });
    };
    const cur = this.cur;
    for (const r of this.queued) {
      if (cur && r.progress && cur.identity?.fileKey === r.progress.identity.fileKey) continue;
      if (r.progress?.done) continue;
      add(r.file.name, r.file.compressed ? Math.max(r.progress?.size ?? 0, r.file.size) : r.file.size, committed(r.progress?.identity), r.file.compressed);
    }
    if (cur) {
      const size = cur.fh
        ? await cur.fh.stat().then(
            (s) => s.size,
            () => 0,
          )
        : Math.max(cur.progress?.size ?? 0, cur.readOffset);
      add(cur.name, size, committed(cur.identity), cur.compressed);
    }
    if (!cur || cur.rotated) {
      // The current file waits behind the rotated ones: all of it not yet committed is lag.
      const st = await fs.promises.stat(this.watched).catch(() => null);
      const p = st && this.cp.files?.find((q) => q.identity.ino === st.ino && !q.done);
      if (st?.isFile()) add(this.watched, st.size, p ? p.offset : 0, false);
    }
    rep.setLag(
      files.reduce((a, f) => a + f.bytesBehind, 0),
      "bytes",
    );
    rep.setFiles(files);
  }

  /** Replay write-ahead ranges with their original tokens; on a first start, older rotated files are history. */
  private async recover(): Promise<void> {
    if (!this.cp.files) this.cp.files = await this.initialProgress();
    this.opts.reporter?.setGaps(
      this.cp.gapCount ?? 0,
      (this.cp.gaps ?? []).map((g) => g.name),
    );
    const pending = this.cp.pending.splice(0);
    for (const range of pending) {
      const buf = await this.readRange(range);
      if (!buf) continue;
      const { lines, positions } = splitLines(buf, range.from, true);
      this.cp.pending.push(range);
      this.readTo.set(range.identity.fileKey, Math.max(this.readTo.get(range.identity.fileKey) ?? 0, range.to));
      writeCheckpoint(this.opts.checkpointDir, this.cp);
      await this.dispatch(range, lines, positions);
    }
    await Promise.all(this.inflight);
    this.inflight = [];
    if (this.failed) throw this.failed;
    writeCheckpoint(this.opts.checkpointDir, this.cp);
  }

  /**
   * The bytes of a checkpointed batch, from its file wherever the chain has it now;
   * null (a gap) when it is gone. A file still shorter (gzip writing it) is waited for, then an error.
   */
  private async readRange(range: PendingRange): Promise<Buffer | null> {
    const len = range.to - range.from;
    let lastName = "";
    let lastLen = 0;
    for (let attempt = 0; attempt < 50 && !this.stopping; attempt++) {
      if (attempt > 0) await sleep(100);
      const files = await this.scanChain();
      const file =
        files.find((f) => !f.compressed && f.identity.fileKey === range.identity.fileKey) ??
        files.find((f) => !f.compressed && sameContent(f.identity, range.identity)) ??
        files.find((f) => sameContent(f.identity, range.identity));
      if (!file) {
        if (attempt < 10) continue; // mid-rename
        const p = this.cp.files!.find((q) => q.identity.fileKey === range.identity.fileKey) ?? {
          identity: range.identity,
          name: `${this.watched} (${range.identity.fileKey})`,
          offset: range.from,
          done: false,
          size: range.to,
          mtimeMs: 0,
          seenAt: Date.now(),
        };
        this.recordGap(p, `file of an unconfirmed batch is gone (bytes ${range.from}-${range.to})`, len);
        return null;
      }
      let reader: Reader;
      try {
        reader = file.compressed ? await GzReader.open(file.name) : plainReader(await fs.promises.open(file.name, "r"));
      } catch (err) {
        if (errCode(err) === "ENOENT") continue;
        throw err;
      }
      try {
        if (!(await this.isSameFile(reader, file))) continue;
        const buf = await reader.readAt(range.from, len);
        if (buf.length === len) return Buffer.from(buf);
        lastName = file.name;
        lastLen = buf.length;
      } finally {
        await reader.close();
      }
    }
    throw new Error(`${lastName || this.watched} holds ${lastLen} of the ${len} bytes of a checkpointed batch`);
  }

  /**
   * Progress for a checkpoint without any: rotated files last written before the
   * checkpoint are history (on a first start: the files already there, which
   * `npm run ingest -- backfill` is for); a checkpoint from before the chain keeps its file and offset.
   */
  private async initialProgress(): Promise<FileProgress[]> {
    const files = await this.scanChain();
    const watchedIno = await fs.promises.stat(this.watched).then(
      (s) => s.ino,
      () => null,
    );
    const out: FileProgress[] = [];
    if (this.cp.identity) out.push({ identity: this.cp.identity, name: this.watched, offset: this.cp.offset, done: false, size: 0, mtimeMs: 0, seenAt: 0 });
    for (const f of files) {
      if (f.ino === watchedIno && !f.compressed) continue;
      if (this.cp.identity && sameContent(f.identity, this.cp.identity)) continue;
      if (f.mtimeMs <= this.cp.updatedAt) out.push({ identity: f.identity, name: f.name, offset: f.size, done: true, size: f.size, mtimeMs: f.mtimeMs, seenAt: 0 });
    }
    return out;
  }
}
