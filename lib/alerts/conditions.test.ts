import { describe, expect, it } from "vitest";
import type { Anomaly } from "@/lib/faults/anomaly";
import {
  anomalyObservations,
  campaignEventObservations,
  computeLift,
  faultSignatureObservations,
  lastGaspObservations,
  logQueryObservations,
  meterCountObservations,
} from "./conditions";
import { ruleDefinitionSchema, ruleInputSchema } from "./rules";

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);

function params<K extends string>(kind: K, p: Record<string, unknown>) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return ruleDefinitionSchema.parse({ kind, params: p }).params as any;
}

describe("fault signature rules", () => {
  const total = { affected: 40, fleet: 1000 };
  const cohorts = [
    { value: "GW-0042", affected: 30, fleet: 100 },
    { value: "GW-0007", affected: 10, fleet: 900 },
  ];

  it("E105 on any one gateway > 20 meters in 15 min and lift ≥ 3: one observation for the gateway", () => {
    const p = params("fault_signature", { signatureId: "E105", threshold: 20, minLift: 3 });
    const out = faultSignatureObservations(p, cohorts, total);
    expect(out.map((o) => o.groupKey)).toEqual(["gateway=GW-0042"]);
    expect(out[0]!.labels).toEqual({ gateway: "GW-0042", signature: "E105" });
    expect(out[0]!.value).toBe(30);
    expect(out[0]!.summary).toContain("lift 7.5");
  });

  it("a lift below the minimum holds the alert back even past the count", () => {
    const p = params("fault_signature", { signatureId: "E105", threshold: 5, minLift: 3 });
    expect(faultSignatureObservations(p, cohorts, total).map((o) => o.groupKey)).toEqual(["gateway=GW-0042"]);
    const noLift = params("fault_signature", { signatureId: "E105", threshold: 5 });
    expect(faultSignatureObservations(noLift, cohorts, total).map((o) => o.groupKey)).toEqual(["gateway=GW-0042", "gateway=GW-0007"]);
  });

  it("rate is the affected share of the cohort", () => {
    const p = params("fault_signature", { signatureId: "E105", measure: "rate", threshold: 0.2 });
    const out = faultSignatureObservations(p, cohorts, total);
    expect(out.map((o) => [o.groupKey, o.value])).toEqual([["gateway=GW-0042", 0.3]]);
  });

  it("fleet group-by counts every affected meter once", () => {
    const p = params("fault_signature", { signatureId: "E105", groupBy: "fleet", threshold: 39 });
    expect(faultSignatureObservations(p, cohorts, total).map((o) => [o.groupKey, o.value])).toEqual([["fleet", 40]]);
  });

  it("lift is the cohort's rate over the fleet's", () => {
    expect(computeLift({ affected: 30, fleet: 100 }, total)).toBeCloseTo(7.5);
    expect(computeLift({ affected: 0, fleet: 0 }, total)).toBe(0);
  });
});

describe("log query rules", () => {
  it("compares each group's count with the threshold", () => {
    const p = params("log_query", { query: "code:E105", groupBy: "gw", threshold: 10 });
    const out = logQueryObservations(p, [
      { value: "GW-1", n: 11 },
      { value: "GW-2", n: 10 },
    ]);
    expect(out.map((o) => [o.groupKey, o.value])).toEqual([["gateway=GW-1", 11]]);
  });
  it("a fleet count of zero still meets a 'fewer than' threshold", () => {
    const p = params("log_query", { query: "code:HEARTBEAT", op: "lt", threshold: 1 });
    expect(logQueryObservations(p, []).map((o) => o.groupKey)).toEqual(["fleet"]);
  });
});

describe("anomaly rules", () => {
  const a = (over: Partial<Anomaly>): Anomaly => ({
    dimension: "gateway",
    value: "GW-0042",
    measure: "snr",
    z: -6,
    direction: "below",
    current: 2,
    expected: 12,
    delta: -10,
    n: 40,
    against: "baseline",
    sentence: "GW-0042: SNR 2.0 dB is 6.0 σ below its usual 12.0 dB, over 40 meters",
    ...over,
  });
  it("keeps anomalies with at least the minimum σ and size", () => {
    const p = params("anomaly", { minSigma: 4, minMeters: 10 });
    const out = anomalyObservations(p, [a({}), a({ value: "GW-1", z: 3.5 }), a({ value: "GW-2", n: 5 })]);
    expect(out.map((o) => o.groupKey)).toEqual(["gateway=GW-0042/snr"]);
    expect(out[0]!.value).toBe(6);
  });
  it("filters by measure and dimension", () => {
    const p = params("anomaly", { measures: ["temp_c"], dimension: "climate_zone" });
    expect(anomalyObservations(p, [a({}), a({ dimension: "climate_zone", value: "hot", measure: "temp_c", z: 5 })]).map((o) => o.groupKey)).toEqual(["climate_zone=hot/temp_c"]);
  });
});

describe("LAST_GASP storms", () => {
  it("rates per minute per gateway over the window", () => {
    const p = params("last_gasp", { perMinute: 10, windowMinutes: 5 });
    const out = lastGaspObservations(
      p,
      new Map([
        ["GW-1", 60],
        ["GW-2", 40],
      ]),
      5 * 60_000,
    );
    expect(out.map((o) => [o.groupKey, o.value])).toEqual([["gateway=GW-1", 12]]);
  });
});

describe("hygiene rules", () => {
  it("certificates expiring per gateway, at least the minimum meters", () => {
    const p = params("cert_expiry", { withinDays: 7, minMeters: 2 });
    const out = meterCountObservations(
      "cert_expiry",
      p,
      [
        { value: "GW-1", meters: 3 },
        { value: "GW-2", meters: 1 },
      ],
      "within 7 days",
    );
    expect(out.map((o) => o.summary)).toEqual(["3 meters with a certificate expiring within 7 days on GW-1"]);
  });
});

describe("campaign events", () => {
  const campaigns = [
    { id: "c1", name: "FOTA north", status: "paused", since: NOW - 60_000, reason: "gate failed" },
    { id: "c2", name: "Clock sync", status: "awaiting_approval", since: NOW - 90 * 60_000 },
    { id: "c3", name: "Recal", status: "awaiting_approval", since: NOW - 10 * 60_000 },
    { id: "c4", name: "Reset", status: "running", since: NOW - 10 * 60_000 },
  ];
  it("paused, and approval waiting longer than N minutes", () => {
    const p = params("campaign_event", { events: ["paused", "approval_waiting"], approvalWaitMinutes: 60 });
    const out = campaignEventObservations(p, campaigns, NOW);
    expect(out.map((o) => [o.groupKey, o.summary])).toEqual([
      ["campaign=c1", "Campaign FOTA north is paused: gate failed"],
      ["campaign=c2", "Campaign Clock sync has waited 90 min for approval"],
    ]);
  });
});

describe("rule input", () => {
  it("fills defaults and refuses a runbook that is neither a console path nor http(s)", () => {
    const r = ruleInputSchema.parse({ name: "E105 on a gateway", definition: { kind: "fault_signature", params: { signatureId: "E105", threshold: 20 } } });
    expect(r).toMatchObject({ severity: "warning", intervalSeconds: 60, forSeconds: 0, recoverSeconds: 0 });
    expect(() => ruleInputSchema.parse({ name: "x", runbookUrl: "javascript:alert(1)", definition: { kind: "last_gasp", params: { perMinute: 1 } } })).toThrow();
  });
});
