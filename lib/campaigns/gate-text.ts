// Gate decisions and soaks in the operator's words, with the numbers: "Paused: 3 of 10 meters
// in the canary failed (30 %); the limit is 10 %". The code and the raw message stay available
// as detail. Pure, so the wording is unit tested.
import type { Reason } from "@/lib/scheduling/types";

export interface GateWave {
  index: number;
  isCanary: boolean;
}

const pct = (n: number) => `${Math.round(n * 10) / 10} %`;
const meters = (n: number) => `${n} meter${n === 1 ? "" : "s"}`;
const where = (w: GateWave) => (w.isCanary ? "in the canary" : `in wave ${w.index}`);

function codesText(byCode: Record<string, number> | undefined): string {
  const entries = Object.entries(byCode ?? {})
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  if (!entries.length) return "";
  return ` (${entries.map(([code, n]) => `${n} ${code === "timeout" ? "timed out" : code}`).join(", ")})`;
}

/** One reason in plain words; null for a reason that only says "wait" (soaking, outcomes pending). */
export function describeGateReason(r: Reason, wave: GateWave): string | null {
  const f = r.facts ?? {};
  const num = (k: string) => (typeof f[k] === "number" ? (f[k] as number) : null);
  switch (r.code) {
    case "ERROR_BUDGET_EXCEEDED": {
      const total = num("total");
      const failed = num("failed");
      if (total === null || failed === null) break;
      const fresh = num("newFaults") ?? 0;
      const errors = num("errors") ?? failed + fresh;
      const share = total ? (100 * errors) / total : 0;
      const what =
        fresh > 0
          ? `${failed} of ${meters(total)} ${where(wave)} failed${codesText(f.failedByCode as Record<string, number>)} and ${fresh} new fault${fresh === 1 ? "" : "s"} appeared`
          : `${failed} of ${meters(total)} ${where(wave)} failed${codesText(f.failedByCode as Record<string, number>)}`;
      const maxPct = num("maxPct");
      const maxCount = num("maxCount");
      const limit = maxPct !== null ? `the limit is ${pct(maxPct)}` : maxCount !== null ? `the limit is ${maxCount} errors` : "over the limit";
      return `${what} (${pct(share)}); ${limit}`;
    }
    case "SUCCESS_BELOW_TARGET": {
      const verified = num("verified");
      const total = num("total");
      const target = num("targetPct");
      if (verified === null || total === null || target === null) break;
      return `only ${verified} of ${meters(total)} ${where(wave)} were healthy after the soak (${pct(total ? (100 * verified) / total : 0)}); the target is ${pct(target)}`;
    }
    case "LAST_GASP_STORM": {
      const perMin = num("perMin");
      const threshold = num("threshold");
      if (perMin === null || threshold === null) break;
      return `a power-outage storm: ${perMin} last-gasp messages a minute in the region (the storm threshold is ${threshold}); results now would be noise`;
    }
    case "INTEGRITY_FAILURE": {
      const n = num("meters");
      if (n === null) break;
      return `${meters(n)} ${where(wave)} reported a firmware hash mismatch: the image or the meter cannot be trusted`;
    }
    case "SOAKING":
    case "OUTCOMES_PENDING":
    case "HEALTH_MISSING":
    case "HEALTHY":
      return null;
  }
  // A reason stored before its numbers were kept: the gate's own message.
  return r.message;
}

/** "Paused: 3 of 10 meters in the canary failed (3 TLS_HANDSHAKE) (30 %); the limit is 10 %." */
export function describeGateDecision(decision: string | null, reasons: Reason[], wave: GateWave): string | null {
  if (decision !== "pause" && decision !== "abort") return null;
  const parts = reasons.map((r) => describeGateReason(r, wave)).filter((t): t is string => Boolean(t));
  if (!parts.length) return null;
  const text = parts.join("; and ");
  return `${decision === "pause" ? "Paused" : "Stopped"}: ${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

/** "4 min 12 s", "52 s", "1 h 05 min". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}

/** A soaking wave's line: the time left, what it watches, what comes next. */
export function soakCountdownText(soakEndsAt: string | number | Date, now: number, nextWave: number | null): string {
  const left = new Date(soakEndsAt).getTime() - now;
  const then = nextWave === null ? "then the campaign completes" : `then wave ${nextWave}`;
  if (left <= 0) return `Soak over: checking the wave's health (re-registration, new faults), ${then} if it passes`;
  return `Soak: ${formatDuration(left)} left, watching for new faults and re-registration; ${then}`;
}
