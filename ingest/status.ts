// Source status for the Ingest page: state, lag, lines/s history and last
// error per source, on globalThis (the Next bundle and server.ts load separate
// module copies; both must see the one registry).
import type { BatchResult, WriterStats } from "./writer";

export type SourceKind = "file" | "http" | "mqtt" | "backfill" | "demo";
export type SourceState = "starting" | "running" | "idle" | "paused" | "error" | "stopped";

/** One bucket per second, kept for HISTORY_SECONDS. */
export const HISTORY_SECONDS = 600;

export interface SourceStatus {
  name: string;
  kind: SourceKind;
  state: SourceState;
  detail: string;
  /** Bytes (file) or messages (mqtt) not yet committed; null when unknown. */
  lag: number | null;
  lagUnit: "bytes" | "messages" | null;
  accepted: number;
  refused: number;
  linesPerSec: number;
  lastBatchAt: number | null;
  lastError: string | null;
  lastErrorAt: number | null;
  /** Lines per second, oldest first, one value per second over the last HISTORY_SECONDS. */
  history: number[];
}

class SourceEntry {
  state: SourceState = "starting";
  detail = "";
  lag: number | null = null;
  lagUnit: "bytes" | "messages" | null = null;
  accepted = 0;
  refused = 0;
  lastBatchAt: number | null = null;
  lastError: string | null = null;
  lastErrorAt: number | null = null;
  private buckets = new Float64Array(HISTORY_SECONDS);
  private bucketSecond = Math.floor(Date.now() / 1000);

  constructor(readonly name: string, readonly kind: SourceKind) {}

  private advance(nowSec: number) {
    const gap = nowSec - this.bucketSecond;
    if (gap <= 0) return;
    if (gap >= HISTORY_SECONDS) this.buckets.fill(0);
    else {
      this.buckets.copyWithin(0, gap);
      this.buckets.fill(0, HISTORY_SECONDS - gap);
    }
    this.bucketSecond = nowSec;
  }

  addLines(n: number, now = Date.now()) {
    this.advance(Math.floor(now / 1000));
    this.buckets[HISTORY_SECONDS - 1]! += n;
  }

  snapshot(now = Date.now()): SourceStatus {
    this.advance(Math.floor(now / 1000));
    const history = Array.from(this.buckets);
    // Rate over the last 10 complete seconds.
    let sum = 0;
    for (let i = HISTORY_SECONDS - 11; i < HISTORY_SECONDS - 1; i++) sum += history[i]!;
    return {
      name: this.name,
      kind: this.kind,
      state: this.state,
      detail: this.detail,
      lag: this.lag,
      lagUnit: this.lagUnit,
      accepted: this.accepted,
      refused: this.refused,
      linesPerSec: sum / 10,
      lastBatchAt: this.lastBatchAt,
      lastError: this.lastError,
      lastErrorAt: this.lastErrorAt,
      history,
    };
  }
}

/** What a source reports through. */
export interface SourceReporter {
  setState(state: SourceState, detail?: string): void;
  setLag(lag: number | null, unit: "bytes" | "messages"): void;
  recordBatch(result: BatchResult): void;
  recordError(err: unknown): void;
  remove(): void;
}

interface Registry {
  sources: Map<string, SourceEntry>;
  writerStats: (() => WriterStats) | null;
}

const g = globalThis as unknown as { __amiIngestStatus?: Registry };
function registry(): Registry {
  g.__amiIngestStatus ??= { sources: new Map(), writerStats: null };
  return g.__amiIngestStatus;
}

export function registerSource(name: string, kind: SourceKind): SourceReporter {
  const entry = new SourceEntry(name, kind);
  registry().sources.set(name, entry);
  return {
    setState(state, detail = "") {
      entry.state = state;
      entry.detail = detail;
    },
    setLag(lag, unit) {
      entry.lag = lag;
      entry.lagUnit = unit;
    },
    recordBatch(result) {
      entry.accepted += result.accepted;
      entry.refused += result.refused;
      entry.lastBatchAt = Date.now();
      entry.addLines(result.accepted + result.refused);
    },
    recordError(err) {
      entry.lastError = err instanceof Error ? err.message.slice(0, 500) : String(err).slice(0, 500);
      entry.lastErrorAt = Date.now();
    },
    remove() {
      if (registry().sources.get(name) === entry) registry().sources.delete(name);
    },
  };
}

export function setWriterStatsProvider(fn: (() => WriterStats) | null): void {
  registry().writerStats = fn;
}

export interface IngestStatus {
  running: boolean;
  writer: WriterStats | null;
  sources: SourceStatus[];
  at: number;
}

/** Snapshot for the Ingest page and the `ingest` socket room. */
export function getIngestStatus(): IngestStatus {
  const r = registry();
  const now = Date.now();
  return {
    running: r.writerStats !== null,
    writer: r.writerStats?.() ?? null,
    sources: [...r.sources.values()].map((s) => s.snapshot(now)).sort((a, b) => a.name.localeCompare(b.name)),
    at: now,
  };
}
