// The audit_log columns (lib/clickhouse/migrations/001_audit_log.sql), named
// once: the ingest writer's insert body, the parser's record, the log explorer's
// allow-list and the tests derive their lists from this one.

/**
 * Every audit_log column, in the ingest writer's body order (ingest/rows.ts
 * writeAuditRow writes the fields in exactly this order).
 *
 * `job` holds the id of the campaign whose step produced the line (the log
 * contract's "campaign / job id"; the dispatcher writes `job=<campaign id>`).
 * It keeps the contract's name in lines, in the table and in log queries
 * (`job:<id>`); code that means a campaign calls it campaignId.
 */
export const AUDIT_LOG_COLUMNS = [
  "ts",
  "recv_ts",
  "meter",
  "gw",
  "code",
  "sev",
  "led",
  "step",
  "job",
  "result",
  "rssi",
  "lqi",
  "snr",
  "temp_c",
  "battery_v",
  "accuracy_err_pct",
  "fw_metrology",
  "fw_comms",
  "fw_sha256",
  "cert_not_after",
  "msg",
  "attrs",
  "source_host",
  "source_app",
  "ingested_at",
  "id",
  "source",
] as const;
export type AuditLogColumn = (typeof AUDIT_LOG_COLUMNS)[number];

/** Filled by the ingest writer, not by the parser: the rest are AuditRecord's fields. */
export const WRITER_COLUMNS = ["ingested_at", "id", "source"] as const satisfies readonly AuditLogColumn[];
export type AuditRecordColumn = Exclude<AuditLogColumn, (typeof WRITER_COLUMNS)[number]>;
export const AUDIT_RECORD_COLUMNS: readonly AuditRecordColumn[] = AUDIT_LOG_COLUMNS.filter((c): c is AuditRecordColumn => !(WRITER_COLUMNS as readonly string[]).includes(c));

/** DateTime64 columns (epoch ms in records, ISO text at the edge). */
export const TIME_COLUMNS = ["ts", "recv_ts", "cert_not_after", "ingested_at"] as const satisfies readonly AuditLogColumn[];
/** Nullable columns: NULL means "not reported", never 0. */
export const NULLABLE_COLUMNS = ["recv_ts", "cert_not_after", "rssi", "lqi", "snr", "temp_c", "battery_v", "accuracy_err_pct"] as const satisfies readonly AuditLogColumn[];
