// Worker thread of the writer's parse pool: parses a batch and returns both
// TSV bodies (transferred, not copied) plus the accepted records.
import { parentPort } from "node:worker_threads";
import { emptyPrepared, prepareRange, reserveAuditRoom, type PrepareInput } from "./prepare";

export interface ParseJob extends Omit<PrepareInput, "skip"> {
  id: number;
  now: number;
  skip: number[];
}

parentPort?.on("message", (job: ParseJob) => {
  try {
    const out = emptyPrepared();
    const input = { ...job, skip: job.skip.length ? new Set(job.skip) : undefined };
    reserveAuditRoom(out, input, 0, job.lines.length);
    prepareRange(input, 0, job.lines.length, job.now, out);
    // ByteSink buffers own their ArrayBuffer (allocUnsafeSlow): transferred, not copied.
    const a = new Uint8Array(out.audit.buf.buffer, out.audit.buf.byteOffset, out.audit.length);
    const r = new Uint8Array(out.rejects.buf.buffer, out.rejects.buf.byteOffset, out.rejects.length);
    parentPort!.postMessage({ id: job.id, audit: a, rejects: r, accepted: out.accepted, refused: out.refused, skipped: out.skipped, reasons: out.reasons, records: out.records }, [
      out.audit.buf.buffer as ArrayBuffer,
      out.rejects.buf.buffer as ArrayBuffer,
    ]);
  } catch (err) {
    parentPort!.postMessage({ id: job.id, error: (err as Error).message });
  }
});
