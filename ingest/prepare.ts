// Parse a batch and build both insert bodies: shared by the writer (inline)
// and ingest/parse-worker.ts (worker threads).
import type { AuditRecord } from "../lib/audit/record";
import { parseLine } from "./parse";
import { auditRowTsv, hash64, rejectRowTsv } from "./rows";

export interface PrepareInput {
  source: string;
  idPrefix: string;
  positions: readonly (number | string)[];
  lines: readonly string[];
  skip?: ReadonlySet<number>;
}

/**
 * An append-only byte buffer for insert bodies. Building one huge JS string
 * instead (rope concatenation, then a flatten) spent most of the time in GC.
 */
export class ByteSink {
  buf: Buffer;
  length = 0;
  constructor(initial = 1 << 20) {
    this.buf = Buffer.allocUnsafeSlow(initial);
  }
  push(s: string): void {
    // A UTF-8 byte is at most 3 per UTF-16 unit.
    const need = this.length + s.length * 3;
    if (need > this.buf.length) {
      const next = Buffer.allocUnsafeSlow(Math.max(need, this.buf.length * 2));
      this.buf.copy(next, 0, 0, this.length);
      this.buf = next;
    }
    this.length += this.buf.write(s, this.length, "utf8");
  }
  /** The bytes written (a view, not a copy). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

export interface PreparedBodies {
  audit: ByteSink;
  rejects: ByteSink;
  accepted: number;
  refused: number;
  skipped: number;
  reasons: Record<string, number>;
  records: AuditRecord[];
}

export function emptyPrepared(): PreparedBodies {
  return { audit: new ByteSink(), rejects: new ByteSink(4096), accepted: 0, refused: 0, skipped: 0, reasons: {}, records: [] };
}

/** Lines [from, to) of the batch into `out`. */
export function prepareRange(input: PrepareInput, from: number, to: number, now: number, out: PreparedBodies): void {
  const { lines, positions, source, idPrefix, skip } = input;
  for (let i = from; i < to; i++) {
    if (skip?.has(i)) {
      out.skipped++;
      continue;
    }
    const raw = lines[i]!;
    const parsed = parseLine(raw, { now });
    if (parsed.ok === true) {
      out.accepted++;
      out.records.push(parsed.record);
      out.audit.push(auditRowTsv(parsed.record, now, hash64(idPrefix + positions[i]), source));
    } else if (parsed.ok === false) {
      out.refused++;
      out.reasons[parsed.reason] = (out.reasons[parsed.reason] ?? 0) + 1;
      out.rejects.push(rejectRowTsv(now, source, String(positions[i]), parsed.reason, raw));
    } else {
      out.skipped++;
    }
  }
}
