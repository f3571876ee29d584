// The dispatcher's step lines on their way to ClickHouse, in few large inserts. An insert into
// audit_log costs 75-100 ms of chDB work whatever its size (its projection and the materialised
// views behind it each write a part, later merged), plus ~60 us a line, and on 2 cores that work
// is taken from the dispatcher. Lines wait until `batch` are queued or the oldest has waited
// `waitMs` (500 ms, as ingested lines), or until they are due: kick() starts an insert of what
// waits (the dispatcher's send round is over), drain() also waits for it (a gate's health scan,
// an idle tick, shutdown). One insert in flight at a time. A failed insert
// keeps its lines, under the same deduplication token, for the next attempt: nothing is dropped
// while the process lives.

export interface LineQueueOptions<T> {
  insert: (rows: T[], token: string) => Promise<void>;
  /** The deduplication token of a batch, fixed when the batch is formed (a retry reuses it). */
  tokenOf: (rows: T[]) => string;
  batch?: number;
  waitMs?: number;
}

export function createLineQueue<T>(opts: LineQueueOptions<T>) {
  const batchSize = opts.batch ?? 10_000;
  const waitMs = opts.waitMs ?? 500;
  const batches: { rows: T[]; token: string }[] = [];
  let waiting: T[] = [];
  let inFlight: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let failure: unknown = null;

  const seal = () => {
    if (!waiting.length) return;
    const rows = waiting;
    waiting = [];
    batches.push({ rows, token: opts.tokenOf(rows) });
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
          failure = null;
        },
        (err: unknown) => {
          failure ??= err;
          batches.unshift(batch);
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
    /** Starts an insert of what waits now (if none is in flight), without waiting for it. */
    kick() {
      flush();
    },
    /** Lines waiting for an insert (those of an insert in flight not counted). */
    get pending(): number {
      return waiting.length + batches.reduce((n, b) => n + b.rows.length, 0);
    },
    /** Waits until every queued line is in ClickHouse; throws if an insert fails (its lines stay queued). */
    async drain(): Promise<void> {
      failure = null;
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
