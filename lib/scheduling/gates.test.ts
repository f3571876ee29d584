import { describe, expect, it } from "vitest";
import { countOutcomes, evaluateWave, nextRetry, type GateThresholds, type MeterOutcome, type WaveEvidence } from "./gates";
import { JOB_TYPES } from "./job-types";

const NOW = new Date("2026-03-02T04:00:00Z");
const CALM = { regionLastGaspPerMin: 2, stormThreshold: 50 };
const PAUSE: GateThresholds = { successPct: 95, maxErrors: { count: 3, pct: 5 }, onBreach: "pause" };

function outcomes(ok: number, rest: MeterOutcome[] = []): Record<string, MeterOutcome> {
  const all: MeterOutcome[] = [...Array.from({ length: ok }, () => ({ status: "ok" }) as const), ...rest];
  return Object.fromEntries(all.map((o, i) => [`EM-${String(i).padStart(6, "0")}`, o]));
}

/** The gate takes counts; the cases read better as one outcome per meter. */
function evidence({ perMeter = outcomes(100), ...partial }: Partial<WaveEvidence> & { perMeter?: Record<string, MeterOutcome> } = {}): WaveEvidence {
  return {
    outcomes: countOutcomes(Object.values(perMeter)),
    healthAfterSoak: { reRegistered: 100, hashMatches: 100, newFaults: { LAST_GASP: { count: 1, baseline: 1 } } },
    soakEndsAt: "2026-03-02T03:00:00Z",
    ...partial,
  };
}

const codesOf = (r: { reasons: Array<{ code: string }> }) => r.reasons.map((x) => x.code);

describe("evaluateWave", () => {
  it("checks the error budget mid-wave, before any soak (soakEndsAt null), and otherwise waits", () => {
    const failing = outcomes(90, [{ status: "pending" }, ...Array.from({ length: 9 }, () => ({ status: "failed", code: "E105" }) as const)]);
    const mid = evaluateWave(evidence({ perMeter: failing, soakEndsAt: null, healthAfterSoak: null }), PAUSE, CALM, NOW);
    expect(mid.decision).toBe("pause");
    expect(codesOf(mid)).toEqual(["ERROR_BUDGET_EXCEEDED", "SOAKING"]);
    expect(evaluateWave(evidence({ perMeter: outcomes(99, [{ status: "pending" }]), soakEndsAt: null, healthAfterSoak: null }), PAUSE, CALM, NOW).decision).toBe("wait");
    expect(countOutcomes([{ status: "ok" }, { status: "timeout" }, { status: "failed", code: "E105" }, { status: "failed", code: "E105" }, { status: "pending" }])).toEqual({
      ok: 1,
      pending: 1,
      failed: { timeout: 1, E105: 2 },
    });
  });

  it("continues when the wave is healthy after the soak", () => {
    expect(evaluateWave(evidence(), PAUSE, CALM, NOW)).toEqual({ decision: "continue", reasons: [expect.objectContaining({ code: "HEALTHY" })] });
  });

  it("waits while the soak runs, even when every meter acked", () => {
    const r = evaluateWave(evidence({ soakEndsAt: "2026-03-02T04:30:00Z", healthAfterSoak: null }), PAUSE, CALM, NOW);
    expect(r.decision).toBe("wait");
    expect(codesOf(r)).toEqual(["SOAKING"]);
  });

  it("waits for pending meters and for the health check", () => {
    expect(codesOf(evaluateWave(evidence({ perMeter: outcomes(99, [{ status: "pending" }]) }), PAUSE, CALM, NOW))).toEqual(["OUTCOMES_PENDING"]);
    expect(codesOf(evaluateWave(evidence({ healthAfterSoak: undefined }), PAUSE, CALM, NOW))).toEqual(["HEALTH_MISSING"]);
  });

  it("judges on health, not acks: all acked but few re-registered breaches", () => {
    const r = evaluateWave(evidence({ healthAfterSoak: { reRegistered: 90, hashMatches: 100, newFaults: {} } }), PAUSE, CALM, NOW);
    expect(r.decision).toBe("pause");
    expect(codesOf(r)).toEqual(["SUCCESS_BELOW_TARGET"]);
    const hash = evaluateWave(evidence({ healthAfterSoak: { reRegistered: 100, hashMatches: 94, newFaults: {} } }), PAUSE, CALM, NOW);
    expect(codesOf(hash)).toEqual(["SUCCESS_BELOW_TARGET"]);
  });

  it("pauses or aborts, as configured, when the error budget is spent, without waiting for the soak", () => {
    const failing = outcomes(96, [{ status: "failed", code: "E105" }, { status: "timeout" }, { status: "failed", code: "HES_TIMEOUT" }, { status: "timeout" }]);
    const during = { perMeter: failing, soakEndsAt: "2026-03-02T05:00:00Z", healthAfterSoak: null };
    expect(evaluateWave(evidence(during), PAUSE, CALM, NOW).decision).toBe("pause");
    const r = evaluateWave(evidence(during), { ...PAUSE, onBreach: "abort" }, CALM, NOW);
    expect(r.decision).toBe("abort");
    expect(codesOf(r)).toEqual(["ERROR_BUDGET_EXCEEDED", "SOAKING"]);
    const three = outcomes(97, [{ status: "timeout" }, { status: "timeout" }, { status: "timeout" }]);
    expect(
      codesOf(evaluateWave(evidence({ perMeter: three, healthAfterSoak: { reRegistered: 97, hashMatches: 97, newFaults: {} } }), { ...PAUSE, successPct: 90 }, CALM, NOW)),
    ).toEqual(["HEALTHY"]);
  });

  it("counts new faults above baseline as errors, and uses the percentage limit", () => {
    const health = { reRegistered: 100, hashMatches: 100, newFaults: { IPC_ERROR: { count: 6, baseline: 0 }, E042: { count: 0, baseline: 4 } } };
    const r = evaluateWave(evidence({ healthAfterSoak: health }), { successPct: 95, maxErrors: { pct: 5 }, onBreach: "abort" }, CALM, NOW);
    expect(r.decision).toBe("abort");
    expect(r.reasons[0].message).toMatch(/6 new faults/);
  });

  it("pauses on a last-gasp storm, however healthy the wave", () => {
    const r = evaluateWave(evidence(), PAUSE, { regionLastGaspPerMin: 50, stormThreshold: 50 }, NOW);
    expect(r.decision).toBe("pause");
    expect(codesOf(r)).toEqual(["LAST_GASP_STORM"]);
  });

  it("aborts on a hash mismatch even when onBreach is pause", () => {
    const r = evaluateWave(evidence({ perMeter: outcomes(99, [{ status: "failed", code: "FW_HASH_MISMATCH" }]) }), PAUSE, CALM, NOW);
    expect(r.decision).toBe("abort");
    expect(codesOf(r)).toContain("INTEGRITY_FAILURE");
  });
});

describe("nextRetry", () => {
  const policy = JOB_TYPES.comms_reset.retry.E105!;

  it("backs off exponentially within the jitter band, capped at the max delay", () => {
    let previousMid = 0;
    for (let attempt = 1; attempt < policy.maxAttempts; attempt++) {
      const at = nextRetry("comms_reset", "E105", attempt, NOW, "EM-0000001")!;
      const delay = at.getTime() - NOW.getTime();
      const mid = Math.min(policy.maxDelayMs, policy.baseDelayMs * policy.factor ** (attempt - 1));
      expect(delay).toBeGreaterThanOrEqual(mid * (1 - policy.jitter));
      expect(delay).toBeLessThanOrEqual(mid * (1 + policy.jitter));
      expect(mid).toBeGreaterThan(previousMid);
      previousMid = mid;
    }
  });

  it("is deterministic per meter and spreads different meters", () => {
    const a1 = nextRetry("fota", "HES_TIMEOUT", 1, NOW, "EM-0000001");
    expect(nextRetry("fota", "HES_TIMEOUT", 1, NOW, "EM-0000001")).toEqual(a1);
    const spread = new Set(Array.from({ length: 20 }, (_, i) => nextRetry("fota", "HES_TIMEOUT", 1, NOW, `EM-${i}`)!.getTime()));
    expect(spread.size).toBeGreaterThan(10);
  });

  it("stops when the budget is spent", () => {
    expect(nextRetry("comms_reset", "E105", policy.maxAttempts - 1, NOW)).not.toBeNull();
    expect(nextRetry("comms_reset", "E105", policy.maxAttempts, NOW)).toBeNull();
    expect(nextRetry("fota", "E105", JOB_TYPES.fota.retry.E105!.maxAttempts, NOW)).toBeNull();
  });

  it("never retries refusals or integrity failures", () => {
    for (const code of ["FW_HASH_MISMATCH", "HES_TOO_OLD", "PAIR_INCOMPATIBLE", "CERT_EXPIRED", "E042", "SOMETHING_NEW"]) {
      expect(nextRetry("fota", code, 1, NOW)).toBeNull();
    }
    expect(nextRetry("inspect", "E105", 1, NOW)).toBeNull();
  });
});
