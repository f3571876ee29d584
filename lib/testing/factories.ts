// Test factories shared by unit and integration tests: one audit record with
// every field at its "not reported" default, overridable per test.
import type { AuditRecord } from "@/lib/audit/record";

/** The optional fields of an AuditRecord, all absent (NULL measures, empty strings). */
export const BLANK_AUDIT_FIELDS: Omit<AuditRecord, "ts" | "meter" | "code" | "sev"> = Object.freeze({
  recv_ts: null,
  gw: "",
  led: "",
  step: "",
  job: "",
  result: "",
  rssi: null,
  lqi: null,
  snr: null,
  temp_c: null,
  battery_v: null,
  accuracy_err_pct: null,
  fw_metrology: "",
  fw_comms: "",
  fw_sha256: "",
  cert_not_after: null,
  msg: "",
  attrs: {},
  source_host: "",
  source_app: "",
});

export function auditRecord(partial: Partial<AuditRecord> = {}): AuditRecord {
  return { ts: Date.UTC(2026, 10, 25, 3, 0, 0), meter: "EM-0000001", code: "HEARTBEAT", sev: "debug", ...BLANK_AUDIT_FIELDS, attrs: {}, ...partial };
}

let nextRowId = 1;
/** An audit_log row (record + id + source) for direct inserts in ClickHouse tests. */
export function auditLogRow(partial: Partial<AuditRecord> & { id?: string; source?: string } = {}) {
  const { id, source, ...record } = partial;
  return { ...auditRecord(record), id: id ?? String(nextRowId++), source: source ?? "test" };
}
