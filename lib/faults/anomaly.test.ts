import { describe, expect, it } from "vitest";
import { ANOMALY_LIST_CAP, cohortVsFleet, computeMeanZ, computeRateZ, detectAnomalies, rankAnomalies, subtractCohort, type Anomaly } from "./anomaly";

const gw42 = { dimension: "gateway", value: "GW-0042" } as const;

describe("detectAnomalies (against the cohort's own history)", () => {
  it("computes the mean z by hand: -5 / sqrt(36/100 + 36/400) = -7.4536", () => {
    const { anomalies } = detectAnomalies([{ ...gw42, baseline: { rssi: { mean: -85, stddev: 6, n: 400 } }, current: { rssi: { mean: -90, n: 100 } } }]);
    expect(anomalies).toHaveLength(1);
    expect(anomalies[0].z).toBeCloseTo(-5 / Math.sqrt(0.45), 10);
    expect(anomalies[0].z).toBeCloseTo(-7.4536, 4);
    expect(anomalies[0]).toMatchObject({ measure: "rssi", direction: "below", delta: -5, expected: -85, current: -90, against: "baseline" });
    expect(anomalies[0].sentence).toBe("GW-0042: RSSI -90.0 dBm is 7.5 σ below its usual -85.0 dBm, over 100 meters");
  });

  it("uses the binomial standard error for fault rate: 0.03 / sqrt(0.02*0.98/400) = 4.2857", () => {
    const { anomalies } = detectAnomalies([{ ...gw42, baseline: { fault_rate: { mean: 0.02, stddev: 0, n: 1000 } }, current: { fault_rate: { mean: 0.05, n: 400 } } }]);
    expect(anomalies[0].z).toBeCloseTo(0.03 / 0.007, 10);
    expect(anomalies[0].direction).toBe("above");
    expect(anomalies[0].sentence).toBe("GW-0042: fault rate 5 % is 4.3 σ above its usual 2 %, over 400 meters");
  });

  it("keeps a zero-fault baseline finite by pulling it in by half a meter", () => {
    const z = computeRateZ({ mean: 0.1, n: 20 }, { mean: 0, n: 200 });
    expect(z).toBeCloseTo(0.1 / Math.sqrt((0.0025 * 0.9975) / 20), 10);
    expect(Number.isFinite(z)).toBe(true);
  });

  it("floors a zero stddev so small wobbles are not flagged", () => {
    expect(computeMeanZ({ mean: 15.9, n: 50 }, { mean: 16, stddev: 0, n: 50 }, 0.5)).toBeCloseTo(-1, 10);
    const report = detectAnomalies([
      { ...gw42, baseline: { snr: { mean: 16, stddev: 0, n: 50 } }, current: { snr: { mean: 15.9, n: 50 } } },
      { dimension: "gateway", value: "GW-0099", baseline: { snr: { mean: 16, stddev: 0, n: 50 } }, current: { snr: { mean: 13, n: 50 } } },
    ]);
    expect(report.anomalies.map((a) => a.value)).toEqual(["GW-0099"]);
    expect(report.anomalies[0].z).toBeCloseTo(-30, 10);
  });

  it("ignores statistically clear but practically tiny shifts", () => {
    const { anomalies } = detectAnomalies([{ ...gw42, baseline: { temp_c: { mean: 30, stddev: 2, n: 10_000 } }, current: { temp_c: { mean: 30.5, n: 10_000 } } }]);
    expect(computeMeanZ({ mean: 30.5, n: 10_000 }, { mean: 30, stddev: 2, n: 10_000 }, 0.5)).toBeGreaterThan(17);
    expect(anomalies).toEqual([]);
  });

  it("skips cohorts with too few meters and says why", () => {
    const report = detectAnomalies([
      { ...gw42, baseline: { battery_v: { mean: 3.6, stddev: 0.05, n: 100 } }, current: { battery_v: { mean: 3.0, n: 3 } } },
      { dimension: "meter_model", value: "WX-9", baseline: { battery_v: { mean: 3.6, stddev: 0.05, n: 4 } }, current: { battery_v: { mean: 3.0, n: 50 } } },
    ]);
    expect(report.anomalies).toEqual([]);
    expect(report.skipped.map((s) => s.reason)).toEqual(["few_current", "few_baseline"]);
  });

  it("sorts by |z| across cohorts and measures, and honours k", () => {
    const cohorts = [
      { ...gw42, baseline: { rssi: { mean: -85, stddev: 6, n: 400 } }, current: { rssi: { mean: -90, n: 100 } } },
      { dimension: "climate_zone" as const, value: "hot-arid", baseline: { fault_rate: { mean: 0.02, stddev: 0, n: 1000 } }, current: { fault_rate: { mean: 0.05, n: 400 } } },
    ];
    expect(detectAnomalies(cohorts).anomalies.map((a) => a.measure)).toEqual(["rssi", "fault_rate"]);
    expect(detectAnomalies(cohorts, { k: 5 }).anomalies.map((a) => a.measure)).toEqual(["rssi"]);
    expect(detectAnomalies(cohorts).anomalies[1].sentence).toMatch(/^climate zone hot-arid: fault rate/);
  });
});

describe("cohortVsFleet (no history)", () => {
  // Cohort: 100 meters, SNR mean 10, sd 2. Rest: 900 meters, mean 16, sd 3.
  // Whole fleet by hand: mean 15.4, variance (99*4 + 100*100 + 899*9 + 900*256 - 1000*15.4²) / 999 = 11727/999.
  const fleetSnr = { mean: 15.4, stddev: Math.sqrt(11727 / 999), n: 1000 };
  const cohortSnr = { mean: 10, stddev: 2, n: 100 };

  it("recovers the rest of the fleet from whole-fleet stats", () => {
    const rest = subtractCohort(fleetSnr, cohortSnr);
    expect(rest.n).toBe(900);
    expect(rest.mean).toBeCloseTo(16, 10);
    expect(rest.stddev).toBeCloseTo(3, 10);
  });

  it("compares a cohort with the rest: -6 / (3 * sqrt(1/100 + 1/900))", () => {
    const { anomalies } = cohortVsFleet([{ ...gw42, current: { snr: cohortSnr } }], { snr: fleetSnr });
    expect(anomalies[0].z).toBeCloseTo(-6 / (3 * Math.sqrt(1 / 100 + 1 / 900)), 8);
    expect(anomalies[0]).toMatchObject({ direction: "below", against: "fleet" });
    expect(anomalies[0].sentence).toBe("GW-0042: SNR 10.0 dB is 19.0 σ below the rest of the fleet (16.0 dB), over 100 meters");
  });

  it("uses the pooled two-proportion error for fault rate", () => {
    // Cohort 20/100, rest 45/900, fleet 65/1000.
    const { anomalies } = cohortVsFleet([{ ...gw42, current: { fault_rate: { mean: 0.2, stddev: 0, n: 100 } } }], { fault_rate: { mean: 0.065, stddev: 0, n: 1000 } });
    expect(anomalies[0].z).toBeCloseTo(0.15 / Math.sqrt(0.065 * 0.935 * (1 / 100 + 1 / 900)), 8);
    expect(anomalies[0].expected).toBeCloseTo(0.05, 12);
  });

  it("does not flag a cohort that looks like the rest", () => {
    const { anomalies } = cohortVsFleet([{ ...gw42, current: { snr: { mean: 15.4, stddev: 3.4, n: 100 } } }], { snr: fleetSnr });
    expect(anomalies).toEqual([]);
  });
});

describe("rankAnomalies", () => {
  const make = (value: string, measure: Anomaly["measure"], z: number, current: number, expected: number, dimension: Anomaly["dimension"] = "gateway"): Anomaly => ({
    dimension,
    value,
    measure,
    z,
    direction: current >= expected ? "above" : "below",
    current,
    expected,
    delta: current - expected,
    n: 200,
    against: "baseline",
    sentence: `${value} ${measure}`,
  });

  it("lists incidents first by lift, one entry per cohort, then the rest by |z|, capped with a count of the rest", () => {
    const list = [
      make("GW-0007", "temp_c", 40, 30, 25), // a strong shift, but no fault rate
      make("GW-0042", "snr", -60, 4, 22),
      make("GW-0042", "fault_rate", 30, 0.6, 0.01), // 60x
      make("hot-humid", "fault_rate", 25, 0.2, 0.02, "climate_zone"), // 10x
      make("aster-e350", "fault_rate", 6, 0.05, 0.02, "meter_model"), // 2.5x
      make("GW-0100", "fault_rate", 4, 0.05, 0.01), // z under 5: not an incident
      ...Array.from({ length: 12 }, (_, k) => make(`GW-1${k}`, "rssi", 3.5 + k / 10, -90, -85)),
    ];
    const { shown, more } = rankAnomalies(list);
    expect(shown.map((a) => a.value).slice(0, 4)).toEqual(["GW-0042", "hot-humid", "aster-e350", "GW-0007"]);
    expect(shown.slice(0, 3).every((a) => a.isIncident)).toBe(true);
    expect(shown[3]!.isIncident).toBe(false);
    expect(shown[0]!.measure).toBe("fault_rate");
    expect(shown[0]!.related).toEqual(["GW-0042 snr"]);
    expect(shown).toHaveLength(ANOMALY_LIST_CAP);
    expect(more).toBe(17 - ANOMALY_LIST_CAP);
  });
});
