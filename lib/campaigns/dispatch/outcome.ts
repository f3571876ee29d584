// What a head-end answer means for a campaign target, pure: the target's next state (decide),
// the step line written to the meter log (auditRecord), and a target's outcome as the gate
// counts it (outcomeOf, countTargetOutcomes). No database, no clock: `at` is passed in.
import { CODES, type Code } from "@/lib/audit/codes";
import type { AuditRecord } from "@/lib/audit/record";
import type { CommandOutcome } from "@/lib/hes/adapter";
import { addOutcome, nextRetry, type MeterOutcome, type OutcomeCounts } from "@/lib/scheduling/gates";
import { findingOf, getJobTypeSpec, type JobType } from "@/lib/scheduling/job-types";

/** A leased target as the decision needs it. */
export interface LeasedRow {
  id: string;
  meterId: string;
  gatewayId: string;
  attempts: number;
  fence: number;
}

/** An answer, or the head-end could not be asked (retryable: network, 5xx). */
export type SendOutcome = CommandOutcome | { status: "error"; message: string; retryable: boolean };

export interface Decided {
  row: LeasedRow;
  key: string;
  state: "succeeded" | "failed" | "excluded" | "pending";
  code: string | null;
  reason: string | null;
  nextAttemptAt: Date | null;
  attemptsDelta: number;
  outcome: CommandOutcome | { status: "error"; message: string };
  /** A finding's follow-up work order (its reason), stored with the outcome. */
  followUp: string | null;
}

export function decide(jobType: JobType, row: LeasedRow, key: string, outcome: SendOutcome, at: Date): Decided {
  const base = { row, key, outcome, nextAttemptAt: null, attemptsDelta: 0, followUp: null };
  if (outcome.status === "ok") return { ...base, state: "succeeded", code: null, reason: null };
  // The step worked and found a fault on the meter: a result, with a work order for the fix.
  const finding = outcome.status === "fail" && !outcome.refused ? findingOf(jobType, outcome.code) : null;
  if (finding && outcome.status === "fail") {
    return {
      ...base,
      state: "succeeded",
      code: outcome.code,
      reason: `finding: ${outcome.message}`.slice(0, 500),
      followUp: `${jobType}: ${outcome.message.trim() || finding.label}. Fix: ${finding.action}. Runbook: ${finding.runbook}`.slice(0, 1000),
    };
  }
  if (outcome.status === "error") {
    // The head-end could not be asked (network, 5xx): not an attempt; the same key goes out again later.
    if (outcome.retryable)
      return { ...base, state: "pending", code: "HES_UNAVAILABLE", reason: outcome.message, nextAttemptAt: new Date(at.getTime() + 30_000), attemptsDelta: -1 };
    return { ...base, state: "failed", code: "HES_REJECTED", reason: outcome.message.slice(0, 500) };
  }
  const code = outcome.status === "timeout" ? "HES_TIMEOUT" : outcome.code;
  const message = outcome.status === "timeout" ? "no answer from the head-end in time" : outcome.message;
  if (outcome.status === "fail" && outcome.refused) return { ...base, state: "failed", code, reason: `refused by the head-end: ${message}`.slice(0, 500) };
  const retryAt = nextRetry(jobType, code, row.attempts, at, row.meterId);
  if (retryAt)
    return { ...base, state: "pending", code, reason: `${code}: ${message}; retry ${row.attempts + 1} due ${retryAt.toISOString()}`.slice(0, 500), nextAttemptAt: retryAt };
  if (getJobTypeSpec(jobType).retry[code]) {
    return { ...base, state: "excluded", code, reason: `excluded after failing ${row.attempts} times (last ${code}: ${message})`.slice(0, 500) };
  }
  return { ...base, state: "failed", code, reason: `${code}: ${message}`.slice(0, 500) };
}

/** The step line for a stored outcome; none when the head-end could not be asked. */
export function auditRecord(campaignId: string, jobType: JobType, d: Decided, at: Date, sourceHost: string): AuditRecord | null {
  const o = d.outcome;
  if (o.status === "error") return null;
  const code: Code = o.status === "ok" ? "STEP_OK" : o.status === "timeout" ? "HES_TIMEOUT" : o.code;
  const details = o.status === "ok" ? o.details : {};
  const str = (v: unknown) => (typeof v === "string" ? v : "");
  return {
    ts: at.getTime(),
    recv_ts: null,
    meter: d.row.meterId,
    gw: d.row.gatewayId,
    code,
    sev: CODES[code].sev,
    led: "",
    step: jobType,
    job: campaignId,
    // A finding stays "fail", as the head-end logs it (the check failed on that meter); the
    // campaign counts it as a result (decide()).
    result: o.status === "ok" ? "ok" : o.status === "timeout" ? "timeout" : o.refused ? "skipped" : "fail",
    rssi: null,
    lqi: null,
    snr: null,
    temp_c: null,
    battery_v: null,
    accuracy_err_pct: typeof details.accuracyErrPct === "number" ? details.accuracyErrPct : null,
    fw_metrology: str(details.fwMetrology),
    fw_comms: str(details.fwComms),
    fw_sha256: str(details.sha256),
    cert_not_after: null,
    msg: o.status === "fail" ? o.message : o.status === "timeout" ? "no answer from the head-end in time" : "",
    attrs: { key: d.key, attempt: String(d.row.attempts) },
    source_host: sourceHost,
    source_app: "campaign-dispatcher",
  };
}

/**
 * A target's outcome as the gate counts it; null for one that never belongs to the count
 * (skipped, or excluded before any attempt, e.g. by preflight).
 */
export function outcomeOf(t: { state: string; attempts: number; lastCode: string | null }): MeterOutcome | null {
  if (t.state === "succeeded") return { status: "ok" };
  if (t.state === "failed" || (t.state === "excluded" && t.attempts > 0)) return { status: "failed", code: t.lastCode ?? "UNKNOWN" };
  if (t.state === "pending" || t.state === "leased" || t.state === "sent") return { status: "pending" };
  return null;
}

/** Outcome counts from grouped rows (state, last code, attempted or not, how many). */
export function countTargetOutcomes(
  groups: Iterable<{ state: string; lastCode: string | null; attempted: boolean; n: number }>,
  counts: OutcomeCounts = { ok: 0, pending: 0, failed: {} },
): OutcomeCounts {
  for (const g of groups) {
    const o = outcomeOf({ state: g.state, attempts: g.attempted ? 1 : 0, lastCode: g.lastCode });
    if (o) addOutcome(counts, o, g.n);
  }
  return counts;
}
