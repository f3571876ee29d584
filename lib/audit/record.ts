// One accepted audit line, as the parser produces it and as it lands in
// ClickHouse `audit_log` (column names are identical: lib/audit/columns.ts).
import type { Code, LedState, Severity, Step, StepResult } from "./codes";

export interface AuditRecord {
  /** Event time at the meter/tool, epoch milliseconds UTC. */
  ts: number;
  /** Head-end receive time from a syslog prefix, epoch ms UTC, when known (clock-drift checks). */
  recv_ts: number | null;
  meter: string;
  gw: string;
  code: Code;
  sev: Severity;
  led: LedState | "";
  step: Step | "";
  job: string;
  result: StepResult | "";
  rssi: number | null;
  lqi: number | null;
  snr: number | null;
  temp_c: number | null;
  battery_v: number | null;
  accuracy_err_pct: number | null;
  fw_metrology: string;
  fw_comms: string;
  fw_sha256: string;
  /** Certificate expiry, epoch ms UTC. */
  cert_not_after: number | null;
  msg: string;
  /** Any other well-formed key. */
  attrs: Record<string, string>;
  source_host: string;
  source_app: string;
}

/** `too_long` | `malformed` | `missing:<key>` | `bad_value:<key>` */
export type RefusalReason = string;

export type ParseResult = { ok: true; record: AuditRecord } | { ok: false; reason: RefusalReason } | { ok: "skip" }; // blank line: skipped, not counted
