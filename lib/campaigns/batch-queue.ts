// Items on their way to a store in few large writes, one write in flight at a time. Items
// wait until `batch` are queued or the oldest has waited `waitMs`, or until they are due:
// kick() starts a write of what waits, drain() also waits for it. The dispatcher uses two:
// - step lines to ClickHouse (500 ms, as ingested lines; kicked after each send round,
//   drained at shutdown; no gate waits for them). An insert into audit_log costs ~45 ms of chDB
//   work whatever its size (its projection and the five materialised views behind it each
//   write a part, later merged), plus ~30 us a line (2 000 lines 75-120 ms, 10 000 ~330 ms,
//   measured in chDB on 2 cores), CPU the dispatcher's own reads then share. A failed insert
//   keeps its lines, under the same deduplication token, for the next attempt: nothing is
//   dropped while the process lives (keepFailed).
// - command outcomes to the relational store (20 ms, drained at the end of each send round).
//   A failed record statement is not retried: its leases expire and the same keys go out again.

export interface BatchQueueOptions<T> {
  insert: (rows: T[], token: string) => Promise<void>;
  /** The deduplication token of a batch, fixed when the batch is formed (a retry reuses it). */
  tokenOf?: (rows: T[]) => string;
  batch?: number;
  waitMs?: number;
  /** A failed batch stays first in line for the next write (true), or is dropped (false). */
  keepFailed?: boolean;
}

export function createBatchQueue<T>(opts: BatchQueueOptions<T>) {
  const batchSize = opts.batch ?? 10_000;
  const waitMs = opts.waitMs ?? 500;
  const keepFailed = opts.keepFailed ?? true;
  const batches: { rows: T[]; token: string }[] = [];
  let waiting: T[] = [];
  let inFlight: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let failure: unknown = null;

  const seal = () => {
    if (!waiting.length) return;
    const rows = waiting;
    waiting = [];
    batches.push({ rows, token: opts.tokenOf?.(rows) ?? "" });
  };
  const arm = () => {
    if (waiting.length || batches.length) timer ??= setTimeout(flush, waitMs);
  };
  function flush() {
    if (timer) clearTimeout(timer);
    timer = null;
    if (inFlight) return;
    seal();
    const batch = batches.shift();
    if (!batch) return;
    inFlight = opts
      .insert(batch.rows, batch.token)
      .then(
        () => {
          // A dropped batch's failure stays until drain() reports it; a kept one is written again.
          if (keepFailed) failure = null;
        },
        (err: unknown) => {
          failure ??= err;
          if (keepFailed) batches.unshift(batch);
        },
      )
      .finally(() => {
        inFlight = null;
        if (!failure && (batches.length || waiting.length >= batchSize)) flush();
        else arm();
      });
  }

  return {
    push(rows: T[]) {
      if (!rows.length) return;
      waiting.push(...rows);
      if (waiting.length >= batchSize) flush();
      else timer ??= setTimeout(flush, waitMs);
    },
    /** Starts a write of what waits now (if none is in flight), without waiting for it. */
    kick() {
      flush();
    },
    /** Items waiting for a write (those of a write in flight not counted). */
    get pending(): number {
      return waiting.length + batches.reduce((n, b) => n + b.rows.length, 0);
    },
    /** Waits until everything queued is written; throws if a write fails (its items stay queued if keepFailed). */
    async drain(): Promise<void> {
      if (keepFailed) failure = null; // its items are still queued: try again

      for (;;) {
        if (inFlight) await inFlight;
        else if (failure) break;
        else if (waiting.length || batches.length) flush();
        else break;
      }
      if (failure) {
        const err = failure;
        failure = null;
        throw err;
      }
    },
  };
}
