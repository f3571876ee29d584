// AuditRecord -> audit_log row. The id is stable per line (same source and
// position give the same id on a re-read), so a replayed file does not create
// new keys and (ts, id) stays a total order for keyset paging.
import { createHash } from "node:crypto";
import type { AuditRecord } from "@/lib/audit/record";

/** UInt64 as a decimal string (JSON numbers lose precision past 2^53). */
export function computeAuditLineId(source: string, position: number | bigint): string {
  const digest = createHash("sha256").update(source).update("\0").update(String(position)).digest();
  return digest.readBigUInt64BE(0).toString();
}

export type AuditLogRow = AuditRecord & { id: string; source: string };

/** ts/recv_ts/cert_not_after stay epoch ms: DateTime64(3) reads an integer as milliseconds. */
export function toAuditLogRow(record: AuditRecord, where: { source: string; position: number | bigint }): AuditLogRow {
  return { ...record, id: computeAuditLineId(where.source, where.position), source: where.source };
}
