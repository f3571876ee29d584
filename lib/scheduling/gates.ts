// Go/no-go between waves, and when to retry one meter. A wave passes on the
// fleet's health after the soak (re-registration, hash match, new faults),
// never on acknowledgements alone: an ack only means the command arrived.
import { getJobTypeSpec, type JobType } from "./job-types";
import { toMs, type DateInput, type Reason } from "./types";

export type MeterOutcome = { status: "ok" } | { status: "failed"; code: string } | { status: "timeout" } | { status: "pending" };

export const WATCHED_FAULTS = ["E042", "E105", "LAST_GASP", "IPC_ERROR"] as const;
export type WatchedFault = (typeof WATCHED_FAULTS)[number];

export interface HealthAfterSoak {
  /** Meters of the wave seen back on the head-end after the step. */
  reRegistered: number;
  /** Meters whose running image hash matches the catalogue; null when the step changes no firmware. */
  hashMatches: number | null;
  /** Fault counts on the wave's meters during the soak, beside the same window before the wave. */
  newFaults: Partial<Record<WatchedFault, { count: number; baseline: number }>>;
}

/** A wave's outcomes as counts: ok, still open, and failed or timed out by code ("timeout" for a timeout). */
export interface OutcomeCounts {
  ok: number;
  pending: number;
  failed: Record<string, number>;
}

export function countOutcomes(outcomes: Iterable<MeterOutcome>): OutcomeCounts {
  const counts: OutcomeCounts = { ok: 0, pending: 0, failed: {} };
  for (const o of outcomes) addOutcome(counts, o, 1);
  return counts;
}

/** Adds `n` meters with outcome `o` (a grouped read adds a whole group at once). */
export function addOutcome(counts: OutcomeCounts, o: MeterOutcome, n: number): void {
  if (o.status === "ok") counts.ok += n;
  else if (o.status === "pending") counts.pending += n;
  else {
    const code = o.status === "failed" ? o.code : "timeout";
    counts.failed[code] = (counts.failed[code] ?? 0) + n;
  }
}

export interface WaveEvidence {
  outcomes: OutcomeCounts;
  healthAfterSoak?: HealthAfterSoak | null;
  /** null: the wave is still running and its soak has not begun (a mid-wave budget check). */
  soakEndsAt: DateInput | null;
}

export interface GateThresholds {
  /** Minimum share of the wave verified healthy after the soak, 0-100. */
  successPct: number;
  maxErrors: { count?: number; pct?: number };
  onBreach: "pause" | "abort";
}

export interface GateContext {
  regionLastGaspPerMin: number;
  stormThreshold: number;
}

export type GateDecision = "continue" | "wait" | "pause" | "abort";

const SEVERITY: Record<GateDecision, number> = { continue: 0, wait: 1, pause: 2, abort: 3 };

/** A hash mismatch means a corrupt or foreign image reached a meter: stop everything. */
const ABORT_ON_SIGHT = new Set(["FW_HASH_MISMATCH"]);

export function evaluateWave(evidence: WaveEvidence, thresholds: GateThresholds, context: GateContext, now: Date): { decision: GateDecision; reasons: Reason[] } {
  const reasons: Array<Reason & { decision: GateDecision }> = [];
  const { ok, pending } = evidence.outcomes;
  let failed = 0;
  for (const [code, n] of Object.entries(evidence.outcomes.failed)) {
    failed += n;
    if (n > 0 && ABORT_ON_SIGHT.has(code)) {
      const who = n === 1 ? "a meter" : `${n} meters`;
      reasons.push({ decision: "abort", code: "INTEGRITY_FAILURE", message: `${who} reported ${code}; the image or the meter cannot be trusted`, facts: { meters: n } });
    }
  }
  const total = ok + pending + failed;

  // A last-gasp storm is usually a grid event: hold, since results now would be noise and load would hurt.
  if (context.regionLastGaspPerMin >= context.stormThreshold) {
    reasons.push({
      decision: "pause",
      code: "LAST_GASP_STORM",
      message: `${context.regionLastGaspPerMin} last-gasp messages/min in the region, at or above the storm threshold ${context.stormThreshold}`,
      facts: { perMin: context.regionLastGaspPerMin, threshold: context.stormThreshold },
    });
  }

  const health = evidence.healthAfterSoak;
  const faultExcess = health ? sumFaultExcess(health) : 0;
  const errors = failed + faultExcess;
  const errorPct = total ? (100 * errors) / total : 0;
  const { count: maxCount, pct: maxPct } = thresholds.maxErrors;
  if ((maxCount !== undefined && errors > maxCount) || (maxPct !== undefined && errorPct > maxPct)) {
    reasons.push({
      decision: thresholds.onBreach,
      code: "ERROR_BUDGET_EXCEEDED",
      message: `${errors} errors (${failed} failed or timed out, ${faultExcess} new faults) = ${errorPct.toFixed(1)}% of ${total}, over the limit`,
      facts: {
        errors,
        failed,
        newFaults: faultExcess,
        total,
        ...(maxPct !== undefined ? { maxPct } : {}),
        ...(maxCount !== undefined ? { maxCount } : {}),
        failedByCode: { ...evidence.outcomes.failed },
      },
    });
  }

  const soakEndsAt = evidence.soakEndsAt === null ? null : toMs(evidence.soakEndsAt);
  if (soakEndsAt === null) {
    reasons.push({ decision: "wait", code: "SOAKING", message: "the wave is still running; its soak has not begun" });
  } else if (now.getTime() < soakEndsAt) {
    reasons.push({ decision: "wait", code: "SOAKING", message: `soak runs until ${new Date(soakEndsAt).toISOString()}` });
  } else if (pending > 0) {
    reasons.push({ decision: "wait", code: "OUTCOMES_PENDING", message: `${pending} of ${total} meters have not reported yet` });
  } else if (!health) {
    reasons.push({ decision: "wait", code: "HEALTH_MISSING", message: "soak is over but the post-soak health check has not arrived" });
  } else if (total > 0) {
    const verified = Math.min(ok, health.reRegistered, health.hashMatches ?? Number.POSITIVE_INFINITY);
    const successPct = (100 * verified) / total;
    if (successPct < thresholds.successPct) {
      reasons.push({
        decision: thresholds.onBreach,
        code: "SUCCESS_BELOW_TARGET",
        message: `${verified} of ${total} meters verified healthy after soak (${successPct.toFixed(1)}%), target ${thresholds.successPct}%`,
        facts: { verified, total, targetPct: thresholds.successPct },
      });
    }
  }

  let decision: GateDecision = "continue";
  for (const r of reasons) if (SEVERITY[r.decision] > SEVERITY[decision]) decision = r.decision;
  if (decision === "continue") reasons.push({ decision, code: "HEALTHY", message: `${total} meters healthy after soak` });
  return { decision, reasons: reasons.map(({ code, message, facts }) => (facts ? { code, message, facts } : { code, message })) };
}

function sumFaultExcess(health: HealthAfterSoak): number {
  let excess = 0;
  for (const code of WATCHED_FAULTS) {
    const f = health.newFaults[code];
    if (f) excess += Math.max(0, f.count - f.baseline);
  }
  return excess;
}

/** FNV-1a to a fraction in [0, 1): the same meter and attempt always get the same jitter. */
function hashToUnit(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 0x1_0000_0000;
}

/**
 * When to retry after `attempt` attempts (1 = the first try just failed); null when
 * the code is final or the budget is spent. `seed` (the meter id) spreads retries.
 */
export function nextRetry(jobType: JobType, failureCode: string, attempt: number, now: Date, seed = ""): Date | null {
  const policy = getJobTypeSpec(jobType).retry[failureCode];
  if (!policy || !Number.isInteger(attempt) || attempt < 1 || attempt >= policy.maxAttempts) return null;
  const raw = Math.min(policy.maxDelayMs, policy.baseDelayMs * policy.factor ** (attempt - 1));
  const unit = hashToUnit(`${seed}|${jobType}|${failureCode}|${attempt}`);
  const delay = Math.round(raw * (1 - policy.jitter + 2 * policy.jitter * unit));
  return new Date(now.getTime() + delay);
}
