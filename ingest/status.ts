// Source status for the Ingest page: state, lag, lines/s history and last
// error per source, on globalThis (the Next bundle and server.ts load separate
// module copies; both must see the one registry).
import type { BatchResult, WriterStats } from "./writer";

export type SourceKind = "file" | "http" | "mqtt" | "backfill" | "demo";
export type SourceState = "starting" | "running" | "idle" | "paused" | "error" | "stopped";

/** One bucket per second, kept for HISTORY_SECONDS. */
export const HISTORY_SECONDS = 600;

/** One file of a tailed chain that is not fully stored yet (or the current one). */
export interface FileLag {
  name: string;
  bytesBehind: number;
  /** Since the tail last had nothing left unread (0 when this file is caught up). */
  secondsBehind: number;
  compressed: boolean;
}

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
  /** Set while the source is failing (restarting with backoff): since when. */
  degradedSince: number | null;
  /** File sources: the files of the chain still to read, and the current one. */
  files: FileLag[];
  /** File sources: files that vanished before they were read (count, and the last names). */
  gaps: number;
  gapFiles: string[];
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
  degradedSince: number | null = null;
  files: FileLag[] = [];
  gaps = 0;
  gapFiles: string[] = [];
  private buckets = new Float64Array(HISTORY_SECONDS);
  private bucketSecond = Math.floor(Date.now() / 1000);

  constructor(
    readonly name: string,
    readonly kind: SourceKind,
  ) {}

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
      degradedSince: this.degradedSince,
      files: this.files,
      gaps: this.gaps,
      gapFiles: this.gapFiles,
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
  setFiles(files: FileLag[]): void;
  setGaps(count: number, lastFiles: string[]): void;
  remove(): void;
}

interface Registry {
  sources: Map<string, SourceEntry>;
  writerStats: (() => WriterStats) | null;
  /** Told when a source becomes degraded or recovers (the `ingest` room pushes it at once). */
  onChange: (() => void) | null;
}

const g = globalThis as unknown as { __amiIngestStatus?: Registry };
function registry(): Registry {
  g.__amiIngestStatus ??= { sources: new Map(), writerStats: null, onChange: null };
  return g.__amiIngestStatus;
}

export function registerSource(name: string, kind: SourceKind): SourceReporter {
  const entry = new SourceEntry(name, kind);
  registry().sources.set(name, entry);
  return {
    setState(state, detail = "") {
      entry.state = state;
      entry.detail = detail;
      // Degraded from a failure until the source works again ("starting" is still the failure's retry).
      const was = entry.degradedSince;
      if (state === "error") entry.degradedSince ??= Date.now();
      else if (state !== "starting") entry.degradedSince = null;
      if ((was === null) !== (entry.degradedSince === null)) registry().onChange?.();
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
    setFiles(files) {
      entry.files = files;
    },
    setGaps(count, lastFiles) {
      const changed = count !== entry.gaps;
      entry.gaps = count;
      entry.gapFiles = lastFiles.slice(-5);
      if (changed) registry().onChange?.();
    },
    remove() {
      if (registry().sources.get(name) === entry) registry().sources.delete(name);
    },
  };
}

export function setStatusChangeListener(fn: (() => void) | null): void {
  registry().onChange = fn;
}

/** Sources failing right now, for /api/health and /api/ready. */
export function getDegradedSources(): { source: string; error: string | null; since: string }[] {
  return [...registry().sources.values()]
    .filter((s) => s.degradedSince !== null)
    .map((s) => ({ source: s.name, error: s.lastError, since: new Date(s.degradedSince!).toISOString() }));
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
