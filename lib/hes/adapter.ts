// The head-end (HES) contract the campaign dispatcher talks to. Two
// implementations: simulator-hes.ts (in memory, over a generated fleet) and
// http-hes.ts (a real head-end). Pick one with getHes() from ./index.
import type { Code, Step } from "@/lib/audit/codes";

export interface HesCommand {
  meterId: string;
  step: Step;
  /** Step parameters, e.g. fota: { metrology?: "3.4.1", comms?: "6.1.0" }; fw_verify: { recovery: true }. */
  params?: Record<string, unknown>;
  /** Same key = same command: a retransmit returns the first outcome and is never applied twice. */
  idempotencyKey: string;
  /** How long the caller waits for the meter; defaults to env HES_TIMEOUT. */
  timeoutMs?: number;
  /** Campaign / job id, echoed as job= in the audit lines. */
  job?: string;
}

export type CommandOutcome =
  | { status: "ok"; details: Record<string, unknown> }
  /** refused: the head-end declined before touching the meter (policy), nothing was applied. */
  | { status: "fail"; code: Code; message: string; refused?: boolean }
  | { status: "timeout" };

export interface NeighbourEntry {
  /** Meter id or gateway id of the neighbour. */
  neighbour: string;
  rssi: number;
  lqi: number;
}

export interface FirmwareHash {
  fwMetrology: string;
  fwComms: string;
  /** SHA-256 of the running build, as the meter reports it. */
  sha256: string;
}

export type AuditLineListener = (line: string) => void;

export interface HesAdapter {
  sendCommand(command: HesCommand): Promise<CommandOutcome>;
  /** The outcome recorded for a key (waits if the command is still running); null if the key is unknown. */
  getOutcome(idempotencyKey: string): Promise<CommandOutcome | null>;
  getNeighbourTable(meterId: string): Promise<NeighbourEntry[]>;
  getFirmwareHash(meterId: string): Promise<FirmwareHash>;
  /** Audit lines (spec logfmt) the head-end emits; returns the unsubscribe function. */
  subscribe(listener: AuditLineListener): () => void;
}

/** Time source; the simulator takes a virtual one so tests do not wait. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve))),
};

export interface VirtualClock extends Clock {
  /** Timers not yet fired. */
  getPendingCount(): number;
}

/**
 * Jumps to the next timer once every concurrent sleeper has registered (on setImmediate,
 * after pending microtasks), so overlapping commands still overlap in virtual time.
 */
export function createVirtualClock(start = 0): VirtualClock {
  let now = start;
  let seq = 0;
  let isScheduled = false;
  const heap: { at: number; seq: number; resolve: () => void }[] = [];
  const less = (a: (typeof heap)[number], b: (typeof heap)[number]) => a.at < b.at || (a.at === b.at && a.seq < b.seq);
  const push = (item: (typeof heap)[number]) => {
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(heap[i]!, heap[p]!)) break;
      [heap[i], heap[p]] = [heap[p]!, heap[i]!];
      i = p;
    }
  };
  const pop = () => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  };
  const pump = () => {
    isScheduled = false;
    if (!heap.length) return;
    // Fire every timer due at the earliest instant together.
    const at = heap[0]!.at;
    now = Math.max(now, at);
    while (heap.length && heap[0]!.at === at) pop().resolve();
    schedule();
  };
  const schedule = () => {
    if (!isScheduled && heap.length) {
      isScheduled = true;
      setImmediate(pump);
    }
  };
  return {
    now: () => now,
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        push({ at: now + Math.max(0, ms), seq: seq++, resolve });
        schedule();
      }),
    getPendingCount: () => heap.length,
  };
}
