import { describe, expect, it } from "vitest";
import { evaluateWave } from "@/lib/scheduling/gates";
import { describeGateDecision, describeGateReason, formatDuration, soakCountdownText } from "./gate-text";

const NOW = new Date("2026-12-07T12:00:00Z");
const CALM = { regionLastGaspPerMin: 0, stormThreshold: 30 };
const CANARY = { index: 0, isCanary: true };

describe("gate decisions in plain words", () => {
  it("an error budget breach in the canary says how many failed, why, the share and the limit", () => {
    const gate = evaluateWave(
      { outcomes: { ok: 7, pending: 0, failed: { TLS_HANDSHAKE: 3 } }, soakEndsAt: null },
      { successPct: 90, maxErrors: { pct: 10 }, onBreach: "pause" },
      CALM,
      NOW,
    );
    expect(gate.decision).toBe("pause");
    expect(describeGateDecision(gate.decision, gate.reasons, CANARY)).toBe("Paused: 3 of 10 meters in the canary failed (3 TLS_HANDSHAKE) (30 %); the limit is 10 %.");
    // The code stays with the reason as detail.
    expect(gate.reasons.map((r) => r.code)).toContain("ERROR_BUDGET_EXCEEDED");
  });

  it("new faults during the soak and a health target, in a later wave", () => {
    const gate = evaluateWave(
      {
        outcomes: { ok: 50, pending: 0, failed: { timeout: 1 } },
        soakEndsAt: new Date(NOW.getTime() - 1),
        healthAfterSoak: { reRegistered: 40, hashMatches: null, newFaults: { E105: { count: 6, baseline: 1 } } },
      },
      { successPct: 95, maxErrors: { pct: 5 }, onBreach: "abort" },
      CALM,
      NOW,
    );
    expect(describeGateDecision(gate.decision, gate.reasons, { index: 2, isCanary: false })).toBe(
      "Stopped: 1 of 51 meters in wave 2 failed (1 timed out) and 5 new faults appeared (11.8 %); the limit is 5 %; and only 40 of 51 meters in wave 2 were healthy after the soak (78.4 %); the target is 95 %.",
    );
  });

  it("a storm and a hash mismatch", () => {
    const storm = evaluateWave(
      { outcomes: { ok: 10, pending: 0, failed: {} }, soakEndsAt: null },
      { successPct: 90, maxErrors: { pct: 10 }, onBreach: "pause" },
      { regionLastGaspPerMin: 45, stormThreshold: 30 },
      NOW,
    );
    expect(describeGateDecision(storm.decision, storm.reasons, CANARY)).toBe(
      "Paused: A power-outage storm: 45 last-gasp messages a minute in the region (the storm threshold is 30); results now would be noise.",
    );
    const hash = evaluateWave(
      { outcomes: { ok: 9, pending: 0, failed: { FW_HASH_MISMATCH: 1 } }, soakEndsAt: null },
      { successPct: 0, maxErrors: { pct: 100 }, onBreach: "pause" },
      CALM,
      NOW,
    );
    expect(describeGateDecision(hash.decision, hash.reasons, CANARY)).toBe(
      "Stopped: 1 meter in the canary reported a firmware hash mismatch: the image or the meter cannot be trusted.",
    );
  });

  it("a reason stored without its numbers falls back to the gate's message; wait reasons say nothing", () => {
    expect(describeGateReason({ code: "ERROR_BUDGET_EXCEEDED", message: "3 errors = 30.0% of 10, over the limit" }, CANARY)).toBe("3 errors = 30.0% of 10, over the limit");
    expect(describeGateReason({ code: "SOAKING", message: "soak runs until …" }, CANARY)).toBeNull();
    expect(describeGateDecision("continue", [{ code: "HEALTHY", message: "10 meters healthy after soak" }], CANARY)).toBeNull();
  });
});

describe("soak countdown", () => {
  const ends = NOW.getTime() + 4 * 60_000 + 12_000;
  it("counts down to the next wave and says what it watches", () => {
    expect(soakCountdownText(ends, NOW.getTime(), 2)).toBe("Soak: 4 min 12 s left, watching for new faults and re-registration; then wave 2");
    expect(soakCountdownText(ends, ends - 999, null)).toBe("Soak: 1 s left, watching for new faults and re-registration; then the campaign completes");
    expect(soakCountdownText(ends, ends + 5, 3)).toMatch(/^Soak over: checking the wave's health .*then wave 3 if it passes$/);
  });
  it("formats durations", () => {
    expect(formatDuration(52_000)).toBe("52 s");
    expect(formatDuration(3_900_000)).toBe("1 h 05 min");
  });
});
