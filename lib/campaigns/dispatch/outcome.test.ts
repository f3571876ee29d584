import { describe, expect, it } from "vitest";
import { nextRetry } from "@/lib/scheduling/gates";
import { auditRecord, countTargetOutcomes, decide, outcomeOf, type LeasedRow } from "./outcome";

const AT = new Date("2026-11-20T02:15:00.000Z");
const row = (partial: Partial<LeasedRow> = {}): LeasedRow => ({ id: "t1", meterId: "EM-0000001", gatewayId: "GW-0001", attempts: 1, fence: 3, ...partial });

describe("decide", () => {
  it("an ok answer succeeds the target", () => {
    const d = decide("fw_verify", row(), "k1", { status: "ok", details: {} }, AT);
    expect(d).toMatchObject({ state: "succeeded", code: null, reason: null, nextAttemptAt: null, attemptsDelta: 0, followUp: null, key: "k1" });
  });

  it("a finding is a result with a follow-up work order, not a failure", () => {
    const d = decide("rf_analysis", row(), "k1", { status: "fail", code: "LOW_SNR", message: "mesh SNR 10.5 dB below 15 dB" }, AT);
    expect(d.state).toBe("succeeded");
    expect(d.code).toBe("LOW_SNR");
    expect(d.reason).toBe("finding: mesh SNR 10.5 dB below 15 dB");
    expect(d.followUp).toBe("rf_analysis: mesh SNR 10.5 dB below 15 dB. Fix: check the antenna mount and cables for oxidation or loose connections. Runbook: low-snr");
    // Refused by the head-end, the same code is no finding: nothing was checked.
    expect(decide("rf_analysis", row(), "k1", { status: "fail", code: "LOW_SNR", message: "policy", refused: true }, AT)).toMatchObject({
      state: "failed",
      code: "LOW_SNR",
      reason: "refused by the head-end: policy",
      followUp: null,
    });
  });

  it("a head-end that could not be asked: retried in 30 s without counting an attempt, or failed when it rejected the call", () => {
    expect(decide("fw_verify", row(), "k1", { status: "error", message: "ECONNRESET", retryable: true }, AT)).toMatchObject({
      state: "pending",
      code: "HES_UNAVAILABLE",
      reason: "ECONNRESET",
      nextAttemptAt: new Date("2026-11-20T02:15:30.000Z"),
      attemptsDelta: -1,
    });
    expect(decide("fw_verify", row(), "k1", { status: "error", message: "400 bad request", retryable: false }, AT)).toMatchObject({
      state: "failed",
      code: "HES_REJECTED",
      attemptsDelta: 0,
    });
  });

  it("a transient failure is retried on the job type's schedule, then excluded once the budget is spent; others fail", () => {
    const retry = decide("fw_verify", row({ attempts: 1 }), "k1", { status: "timeout" }, AT);
    const due = nextRetry("fw_verify", "HES_TIMEOUT", 1, AT, "EM-0000001")!;
    expect(retry).toMatchObject({ state: "pending", code: "HES_TIMEOUT", nextAttemptAt: due });
    expect(retry.reason).toBe(`HES_TIMEOUT: no answer from the head-end in time; retry 2 due ${due.toISOString()}`);
    expect(decide("fw_verify", row({ attempts: 4 }), "k1", { status: "fail", code: "E105", message: "RF timeout" }, AT)).toMatchObject({
      state: "excluded",
      code: "E105",
      reason: "excluded after failing 4 times (last E105: RF timeout)",
      nextAttemptAt: null,
    });
    expect(decide("fw_verify", row(), "k1", { status: "fail", code: "TLS_HANDSHAKE", message: "bad cert" }, AT)).toMatchObject({
      state: "failed",
      code: "TLS_HANDSHAKE",
      reason: "TLS_HANDSHAKE: bad cert",
    });
  });
});

describe("auditRecord", () => {
  it("writes the step line of an answer at the decision time, and none when the head-end was not reached", () => {
    const ok = decide("fota", row({ attempts: 2 }), "k2", { status: "ok", details: { fwMetrology: "1.1.0", fwComms: "2.1.0", sha256: "ab" } }, AT);
    expect(auditRecord("cmp1", "fota", ok, AT, "host-a")).toMatchObject({
      ts: AT.getTime(),
      meter: "EM-0000001",
      gw: "GW-0001",
      code: "STEP_OK",
      step: "fota",
      job: "cmp1",
      result: "ok",
      fw_metrology: "1.1.0",
      fw_comms: "2.1.0",
      fw_sha256: "ab",
      attrs: { key: "k2", attempt: "2" },
      source_host: "host-a",
      source_app: "campaign-dispatcher",
    });
    const finding = decide("rf_analysis", row(), "k1", { status: "fail", code: "LOW_SNR", message: "weak" }, AT);
    expect(auditRecord("cmp1", "rf_analysis", finding, AT, "h")).toMatchObject({ code: "LOW_SNR", result: "fail", msg: "weak" });
    expect(auditRecord("cmp1", "fw_verify", decide("fw_verify", row(), "k1", { status: "timeout" }, AT), AT, "h")).toMatchObject({ code: "HES_TIMEOUT", result: "timeout" });
    expect(auditRecord("cmp1", "fw_verify", decide("fw_verify", row(), "k1", { status: "fail", code: "E105", message: "x", refused: true }, AT), AT, "h")).toMatchObject({
      result: "skipped",
    });
    expect(auditRecord("cmp1", "fw_verify", decide("fw_verify", row(), "k1", { status: "error", message: "down", retryable: true }, AT), AT, "h")).toBeNull();
  });
});

describe("target outcomes for the gate", () => {
  it("counts answered, failed (excluded after attempts too) and open targets; skipped and preflight exclusions not at all", () => {
    expect(outcomeOf({ state: "succeeded", attempts: 1, lastCode: null })).toEqual({ status: "ok" });
    expect(outcomeOf({ state: "excluded", attempts: 3, lastCode: "E105" })).toEqual({ status: "failed", code: "E105" });
    expect(outcomeOf({ state: "excluded", attempts: 0, lastCode: "CERT_EXPIRED" })).toBeNull();
    expect(outcomeOf({ state: "skipped", attempts: 0, lastCode: null })).toBeNull();
    expect(outcomeOf({ state: "leased", attempts: 1, lastCode: null })).toEqual({ status: "pending" });
    expect(
      countTargetOutcomes([
        { state: "succeeded", lastCode: null, attempted: true, n: 90 },
        { state: "failed", lastCode: "TLS_HANDSHAKE", attempted: true, n: 4 },
        { state: "excluded", lastCode: "E105", attempted: true, n: 2 },
        { state: "excluded", lastCode: "METER_UNKNOWN", attempted: false, n: 7 },
        { state: "pending", lastCode: null, attempted: false, n: 3 },
        { state: "sent", lastCode: null, attempted: true, n: 1 },
      ]),
    ).toEqual({ ok: 90, pending: 4, failed: { TLS_HANDSHAKE: 4, E105: 2 } });
  });
});
