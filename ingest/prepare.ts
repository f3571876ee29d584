// Parse a batch and build both insert bodies: shared by the writer (inline)
// and ingest/parse-worker.ts (worker threads).
import type { AuditRecord } from "../lib/audit/record";
import { parseLine } from "./parse";
import { auditRowTail, type AuditRowId, ByteSink, PrefixHash, rejectRowTsv, writeAuditRow } from "./rows";

export { ByteSink };

export interface PrepareInput {
  source: string;
  idPrefix: string;
  positions: readonly (number | string)[];
  lines: readonly string[];
  skip?: ReadonlySet<number>;
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

/** `audit` = a reused buffer (emptied), or a new one. */
export function emptyPrepared(audit?: ByteSink): PreparedBodies {
  if (audit) audit.length = 0;
  return { audit: audit ?? new ByteSink(), rejects: new ByteSink(4096), accepted: 0, refused: 0, skipped: 0, reasons: {}, records: [] };
}

/**
 * Room in `out.audit` for lines [from, to): audit rows run ~1.3x the raw line length.
 * Call once for everything about to be prepared, so the buffer never doubles (each
 * doubling copies what was written so far; with fresh buffers that was ~8 % of the writer).
 */
export function reserveAuditRoom(out: PreparedBodies, input: PrepareInput, from: number, to: number): void {
  let chars = 0;
  for (let i = from; i < to; i++) chars += input.lines[i]!.length;
  out.audit.ensure(Math.ceil(chars * 1.5) + (to - from) * (input.source.length + 80));
}

/** Lines [from, to) of the batch into `out` (see reserveAuditRoom). */
export function prepareRange(input: PrepareInput, from: number, to: number, now: number, out: PreparedBodies): void {
  const { lines, positions, source, idPrefix, skip } = input;
  const tail = auditRowTail(source);
  const nowText = String(now);
  // id = hash64(idPrefix + position): the prefix is hashed once, the digits written in place.
  const id: AuditRowId = { hash: new PrefixHash(idPrefix), suffix: "" };
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
      id.suffix = String(positions[i]);
      writeAuditRow(out.audit, parsed.record, nowText, id, tail);
    } else if (parsed.ok === false) {
      out.refused++;
      out.reasons[parsed.reason] = (out.reasons[parsed.reason] ?? 0) + 1;
      out.rejects.push(rejectRowTsv(now, source, String(positions[i]), parsed.reason, raw));
    } else {
      out.skipped++;
    }
  }
}
