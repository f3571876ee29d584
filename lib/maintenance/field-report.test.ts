import { describe, expect, it } from "vitest";
import { formatReadings, missingReadings, outcomeLabel, readingFieldsFor } from "./field-report";

describe("field report", () => {
  it("asks each job for its readings, plus what the fault behind the order needs", () => {
    expect(readingFieldsFor("calibrate").map((f) => f.key)).toEqual(["err15A", "err30A", "err60A"]);
    expect(readingFieldsFor("inspect").map((f) => f.key)).toEqual(["hottestTerminalC", "sealIntact", "arcing"]);
    expect(readingFieldsFor("inspect", "LOW_SNR").map((f) => f.key)).toEqual(["hottestTerminalC", "sealIntact", "arcing", "snrDb"]);
    expect(readingFieldsFor("battery_audit", "BATTERY_LOW").map((f) => f.key)).toEqual(["batteryV", "supercapTestPassed"]);
    expect(readingFieldsFor("cert_renew")).toEqual([]);
  });

  it("needs the readings only when the crew worked on the meter", () => {
    expect(missingReadings("inspect", "LOW_SNR", "fixed", { hottestTerminalC: 30, sealIntact: true, arcing: false }).map((f) => f.key)).toEqual(["snrDb"]);
    expect(missingReadings("calibrate", null, "not_fixed", undefined)).toHaveLength(3);
    expect(missingReadings("calibrate", null, "no_access", undefined)).toEqual([]);
    expect(missingReadings("calibrate", null, "follow_up", undefined)).toEqual([]);
    // A false answer is an answer.
    expect(missingReadings("inspect", null, "fixed", { hottestTerminalC: 30, sealIntact: false, arcing: false })).toEqual([]);
  });

  it("says outcomes and readings in words", () => {
    expect(outcomeLabel("follow_up")).toBe("needs follow-up");
    expect(outcomeLabel(null, "done")).toBe("done");
    expect(outcomeLabel("fixed", "cancelled")).toBe("cancelled");
    expect(formatReadings({ err15A: 0.05, err30A: -0.3, err60A: 0.1, withinEnvelope: false, envelopePct: 0.2 })).toBe("15 A 0.05% · 30 A -0.3% · 60 A 0.1% · (outside envelope)");
    expect(formatReadings({ hottestTerminalC: 34, sealIntact: true, arcing: false, snrDb: 23.5 })).toBe("hottest terminal 34 °C · seal intact: yes · arcing: no · SNR 23.5 dB");
    expect(formatReadings(null)).toBe("");
  });
});
