// The one batching writer behind every source. A source hands it a batch
// (source, positions, raw lines); the writer parses, builds both TSV bodies,
// queues them (bounded, awaitable), inserts audit_log then ingest_rejects with
// a dedup token per table, retries with backoff, and resolves the batch only
// when both inserts committed: callers checkpoint / ack / reply after that.
import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { IngestSink } from "../lib/clickhouse/queries/ingest";
import { ParsePool } from "./parse-pool";
import { emptyPrepared, prepareRange, reserveAuditRoom } from "./prepare";
import { AUDIT_LOG_COLUMNS, ByteSink, INGEST_REJECTS_COLUMNS } from "./rows";
import type { MeterStateTracker, StateChange } from "./state-tracker";
import type { AuditRecord } from "../lib/audit/record";

export interface IngestBatch {
  /** Source name stored in the rows, e.g. `file:/var/log/ami/x.log`, `http:hes-01`, `mqtt:ami/+/audit`. */
  source: string;
  /** Dedup token of this batch: the same batch retried must carry the same token. */
  token: string;
  /** Per-line position (UInt64 as number or decimal string), stored in ingest_rejects. */
  positions: readonly (number | string)[];
  lines: readonly string[];
  /** id of a line = hash64(idPrefix + position). */
  idPrefix: string;
  /**
   * Lines to leave out (already stored; MQTT redelivery): by index. The token
   * still covers the whole batch, so a retry with the same skips stays one copy.
   */
  skip?: ReadonlySet<number>;
}

export interface BatchResult {
  accepted: number;
  refused: number;
  /** Blank lines: not stored, not counted as refused. */
  skipped: number;
  reasons: Record<string, number>;
}

interface Prepared {
  batch: IngestBatch;
  rows: number;
  audit: Buffer | null;
  rejects: Buffer | null;
  records: AuditRecord[];
  /** The audit body's buffer, given back to the pool once the batch is done. */
  sink?: ByteSink;
  result: BatchResult;
  resolve: (r: BatchResult) => void;
  reject: (e: Error) => void;
}

export interface WriterStats {
  queuedRows: number;
  maxQueuedRows: number;
  congested: boolean;
  /** Consecutive failed insert attempts (0 = healthy). */
  failures: number;
  lastError: string | null;
  lastErrorAt: number | null;
  committedBatches: number;
  accepted: number;
  refused: number;
}

export interface WriterOptions {
  sink: IngestSink;
  /** Rows queued (parsed, waiting to insert) before write() waits: bounds memory. */
  maxQueuedRows?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  now?: () => number;
  tracker?: MeterStateTracker;
  /** Called after each committed batch (live events, status). Errors are logged, not thrown. */
  onCommitted?: (batch: IngestBatch, result: BatchResult, records: readonly AuditRecord[], changes: readonly StateChange[]) => void;
  log?: (msg: string) => void;
  /** Parse in this many worker threads (0 = on the calling thread). */
  parseWorkers?: number;
}

export class WriterClosedError extends Error {
  constructor() {
    super("ingest writer is closed");
    this.name = "WriterClosedError";
  }
}

const PARSE_SLICE = 4096;

export class IngestWriter {
  private readonly sink: IngestSink;
  private readonly maxQueuedRows: number;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private readonly now: () => number;
  private readonly log: (msg: string) => void;
  private queue: Prepared[] = [];
  private queuedRows = 0;
  /** Rows admitted but still being parsed (count toward the bound). */
  private admittedRows = 0;
  private spaceWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private running = false;
  private closed = false;
  private abort = new AbortController();
  private failures = 0;
  private lastError: string | null = null;
  private lastErrorAt: number | null = null;
  private committedBatches = 0;
  private readonly pool: ParsePool | null;
  // Batches may finish parsing out of order (worker pool): queue them in write() order.
  private admitSeq = 0;
  private queueSeq = 0;
  private parsed = new Map<number, Prepared | null>();
  private acceptedTotal = 0;
  private refusedTotal = 0;
  /**
   * Audit body buffers of finished batches, reused: a fresh 100 MB buffer per
   * batch (and its doublings) cost ~8 % of the writer's time in copies and
   * first-touch page faults. At most a few are kept.
   */
  private buffers: ByteSink[] = [];

  constructor(private readonly opts: WriterOptions) {
    this.sink = opts.sink;
    this.maxQueuedRows = opts.maxQueuedRows ?? 200_000;
    this.retryInitialMs = opts.retryInitialMs ?? 200;
    this.retryMaxMs = opts.retryMaxMs ?? 5_000;
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? (() => {});
    this.pool = opts.parseWorkers && opts.parseWorkers > 0 ? new ParsePool(opts.parseWorkers) : null;
  }

  /** True while the queue is over 3/4 full or inserts are failing: sources should slow down. */
  isCongested(): boolean {
    return this.failures > 0 || this.queuedRows + this.admittedRows >= (this.maxQueuedRows * 3) / 4;
  }

  /** Inserts are failing right now (ClickHouse down or refusing). */
  isFailing(): boolean {
    return this.failures > 0;
  }

  getStats(): WriterStats {
    return {
      queuedRows: this.queuedRows + this.admittedRows,
      maxQueuedRows: this.maxQueuedRows,
      congested: this.isCongested(),
      failures: this.failures,
      lastError: this.lastError,
      lastErrorAt: this.lastErrorAt,
      committedBatches: this.committedBatches,
      accepted: this.acceptedTotal,
      refused: this.refusedTotal,
    };
  }

  /**
   * Parse and queue a batch; waits while the queue is full (back-pressure).
   * Resolves after both tables' inserts committed.
   */
  async write(batch: IngestBatch): Promise<BatchResult> {
    if (batch.lines.length !== batch.positions.length) throw new Error("positions and lines differ in length");
    if (this.closed) throw new WriterClosedError();
    const n = batch.lines.length;
    // A batch larger than the bound is admitted when the queue is empty, never deadlocked.
    while (this.queuedRows + this.admittedRows > 0 && this.queuedRows + this.admittedRows + n > this.maxQueuedRows) {
      await new Promise<void>((r) => this.spaceWaiters.push(r));
      if (this.closed) throw new WriterClosedError();
    }
    this.admittedRows += n;
    const seq = this.admitSeq++;
    let prepared: Omit<Prepared, "resolve" | "reject">;
    try {
      prepared = await this.prepare(batch);
    } catch (err) {
      this.admittedRows -= n;
      this.parsed.set(seq, null);
      this.enqueueInOrder();
      throw err;
    }
    return new Promise<BatchResult>((resolve, reject) => {
      this.parsed.set(seq, { ...prepared, resolve, reject });
      this.enqueueInOrder();
    });
  }

  private enqueueInOrder() {
    while (this.parsed.has(this.queueSeq)) {
      const item = this.parsed.get(this.queueSeq)!;
      this.parsed.delete(this.queueSeq);
      this.queueSeq++;
      if (!item) continue;
      this.admittedRows -= item.rows;
      this.queue.push(item);
      this.queuedRows += item.rows;
    }
    void this.drain();
  }

  /** Wait until everything queued so far has committed (or failed on close). */
  async flush(): Promise<void> {
    if (this.queue.length === 0 && !this.running && this.admittedRows === 0) return;
    await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  /**
   * Stop taking batches; wait up to `timeoutMs` for the queue to commit, then
   * abandon retries (their callers get an error, so nothing is acked or checkpointed).
   */
  async close(timeoutMs = 15_000): Promise<void> {
    this.closed = true;
    for (const w of this.spaceWaiters.splice(0)) w();
    const timer = setTimeout(() => this.abort.abort(), timeoutMs);
    try {
      await this.flush();
    } finally {
      clearTimeout(timer);
      await this.pool?.close();
    }
  }

  private async prepare(batch: IngestBatch): Promise<Omit<Prepared, "resolve" | "reject">> {
    const now = this.now();
    if (this.pool) {
      const r = await this.pool.run({
        source: batch.source,
        idPrefix: batch.idPrefix,
        positions: batch.positions,
        lines: batch.lines,
        now,
        skip: batch.skip ? [...batch.skip] : [],
      });
      return {
        batch,
        rows: batch.lines.length,
        audit: r.audit.byteLength ? Buffer.from(r.audit.buffer, r.audit.byteOffset, r.audit.byteLength) : null,
        rejects: r.rejects.byteLength ? Buffer.from(r.rejects.buffer, r.rejects.byteOffset, r.rejects.byteLength) : null,
        records: r.records,
        result: { accepted: r.accepted, refused: r.refused, skipped: r.skipped, reasons: r.reasons },
      };
    }
    const out = emptyPrepared(this.buffers.pop());
    reserveAuditRoom(out, batch, 0, batch.lines.length);
    for (let from = 0; from < batch.lines.length; from += PARSE_SLICE) {
      if (from > 0) await yieldToLoop(); // keep the event loop responsive
      prepareRange(batch, from, Math.min(batch.lines.length, from + PARSE_SLICE), now, out);
    }
    return {
      batch,
      rows: batch.lines.length,
      audit: out.audit.length ? out.audit.bytes() : null,
      rejects: out.rejects.length ? out.rejects.bytes() : null,
      records: out.records,
      sink: out.audit,
      result: { accepted: out.accepted, refused: out.refused, skipped: out.skipped, reasons: out.reasons },
    };
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      let committed: Prepared | null = null;
      for (;;) {
        // queue[0] may be the batch just committed, still waiting for its hooks.
        const item: Prepared | undefined = this.queue[committed ? 1 : 0];
        if (!item) break;
        // The next insert starts before the previous batch's hooks (state tracker,
        // live events) run: those take ~2 ms per 1 000 rows and would otherwise sit
        // between two inserts. Hooks still run in commit order.
        const inserting = this.insertWithRetry(item);
        if (committed) this.finish(committed);
        committed = null;
        try {
          await inserting;
          committed = item;
        } catch (err) {
          item.reject(err as Error);
          this.release(item);
        }
      }
      if (committed) this.finish(committed);
    } finally {
      this.running = false;
      if (this.admittedRows === 0 && this.queue.length === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** Count, run the hooks and resolve a committed batch, then free its queue slot. */
  private finish(item: Prepared): void {
    this.committedBatches++;
    this.acceptedTotal += item.result.accepted;
    this.refusedTotal += item.result.refused;
    this.afterCommit(item);
    item.resolve(item.result);
    this.release(item);
  }

  private release(item: Prepared): void {
    const i = this.queue.indexOf(item);
    if (i >= 0) this.queue.splice(i, 1);
    this.queuedRows -= item.rows;
    if (item.sink && this.buffers.length < 3) {
      item.sink.length = 0;
      this.buffers.push(item.sink);
    }
    item.sink = undefined;
    item.audit = null;
    for (const w of this.spaceWaiters.splice(0)) w();
  }

  private async insertWithRetry(item: Prepared): Promise<void> {
    const { token } = item.batch;
    let delay = this.retryInitialMs;
    let auditDone = item.audit === null;
    let rejectsDone = item.rejects === null;
    for (;;) {
      try {
        // Both inserts carry the same token: a retry after a partial success lands once in each table.
        if (!auditDone) {
          await this.sink.insertTsv({ table: "audit_log", columns: AUDIT_LOG_COLUMNS, body: item.audit!, dedupToken: token });
          auditDone = true;
        }
        if (!rejectsDone) {
          await this.sink.insertTsv({ table: "ingest_rejects", columns: INGEST_REJECTS_COLUMNS, body: item.rejects!, dedupToken: token });
          rejectsDone = true;
        }
        if (this.failures > 0) this.log(`[ingest] inserts recovered after ${this.failures} failed attempt(s)`);
        this.failures = 0;
        return;
      } catch (err) {
        this.failures++;
        this.lastError = err instanceof Error ? err.message.slice(0, 500) : String(err);
        this.lastErrorAt = this.now();
        if (this.failures === 1 || this.failures % 20 === 0) this.log(`[ingest] insert failed (attempt ${this.failures}), retrying: ${this.lastError}`);
        if (this.abort.signal.aborted) throw new WriterClosedError();
        await sleep(delay, this.abort.signal);
        if (this.abort.signal.aborted) throw new WriterClosedError();
        delay = Math.min(this.retryMaxMs, delay * 2);
      }
    }
  }

  private afterCommit(item: Prepared): void {
    try {
      const changes = this.opts.tracker?.observe(item.records) ?? [];
      this.opts.onCommitted?.(item.batch, item.result, item.records, changes);
    } catch (err) {
      this.log(`[ingest] post-commit hook failed: ${(err as Error).message}`);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export function createIngestWriter(opts: WriterOptions): IngestWriter {
  return new IngestWriter(opts);
}
