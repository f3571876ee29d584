import { describe, expect, it } from "vitest";
import { createCatalogue, createMeter } from "./meter-factory";
import { checkTargetFirmware, compareVersions, preflightMeter, type PreflightContext } from "./preflight";

const NOW = new Date("2026-03-01T12:00:00Z");
const FOTA: PreflightContext = { jobType: "fota", catalogue: createCatalogue(), targetFirmware: { metrology: "1.1.0", comms: "2.1.0" } };

function codesOf(result: ReturnType<typeof preflightMeter>): string[] {
  return result.ok ? [] : result.reasons.map((r) => r.code);
}

describe("compareVersions", () => {
  it("orders by semver, numerically, with pre-releases first", () => {
    expect(compareVersions("4.10.0", "4.2.0")).toBe(1);
    expect(compareVersions("4.2.0", "4.2.0")).toBe(0);
    expect(compareVersions("4.2.0-rc.1", "4.2.0")).toBe(-1);
    expect(compareVersions("v4.2.1", "4.2.0")).toBe(1);
    expect(compareVersions("4.2", "4.2.0")).toBeNull();
  });
});

describe("preflightMeter", () => {
  it("passes a healthy meter", () => {
    expect(preflightMeter(createMeter(), FOTA, NOW)).toEqual({ ok: true });
  });

  it("refuses FOTA below HES 4.2.0 and on unreadable versions", () => {
    expect(codesOf(preflightMeter(createMeter({ hesVersion: "4.1.12" }), FOTA, NOW))).toEqual(["HES_TOO_OLD"]);
    expect(codesOf(preflightMeter(createMeter({ hesVersion: "4.2.0-beta" }), FOTA, NOW))).toEqual(["HES_TOO_OLD"]);
    expect(codesOf(preflightMeter(createMeter({ hesVersion: "unknown" }), FOTA, NOW))).toEqual(["HES_VERSION_UNKNOWN"]);
    expect(preflightMeter(createMeter({ hesVersion: "4.2.0" }), FOTA, NOW).ok).toBe(true);
    expect(preflightMeter(createMeter({ hesVersion: "4.1.0" }), { jobType: "fw_verify" }, NOW).ok).toBe(true);
  });

  it("needs 15 dB SNR for remote steps; unknown SNR only blocks risky ones", () => {
    expect(codesOf(preflightMeter(createMeter({ snr: 14.9 }), FOTA, NOW))).toEqual(["SNR_TOO_LOW"]);
    expect(preflightMeter(createMeter({ snr: 15 }), FOTA, NOW).ok).toBe(true);
    expect(codesOf(preflightMeter(createMeter({ snr: null }), FOTA, NOW))).toEqual(["SNR_UNKNOWN"]);
    expect(preflightMeter(createMeter({ snr: null }), { jobType: "fw_verify" }, NOW).ok).toBe(true);
    expect(preflightMeter(createMeter({ snr: 5 }), { jobType: "rf_analysis" }, NOW).ok).toBe(true);
    expect(preflightMeter(createMeter({ snr: 5 }), { jobType: "inspect" }, NOW).ok).toBe(true);
  });

  it("needs a root certificate valid at now, except for cert_renew", () => {
    const expired = createMeter({ certNotAfter: "2026-03-01T11:59:59Z" });
    expect(codesOf(preflightMeter(expired, FOTA, NOW))).toEqual(["CERT_EXPIRED"]);
    expect(codesOf(preflightMeter(expired, { jobType: "comms_reset" }, NOW))).toEqual(["CERT_EXPIRED"]);
    expect(preflightMeter(expired, { jobType: "cert_renew" }, NOW).ok).toBe(true);
    expect(preflightMeter(createMeter({ certNotAfter: new Date("2026-03-01T12:00:01Z") }), FOTA, NOW).ok).toBe(true);
  });

  it("keeps remote risky steps away from an open tamper, but not inspections", () => {
    const tampered = createMeter({ openFaults: ["E105", "E042"] });
    for (const jobType of ["fota", "comms_reset", "cert_renew"] as const) {
      expect(codesOf(preflightMeter(tampered, { ...FOTA, jobType }, NOW))).toContain("TAMPER_OPEN");
    }
    expect(preflightMeter(tampered, { jobType: "inspect" }, NOW).ok).toBe(true);
    expect(preflightMeter(tampered, { jobType: "fw_verify" }, NOW).ok).toBe(true);
  });

  it("requires both halves of the target, signed and hashed, as a compatible pair", () => {
    const meter = createMeter();
    expect(codesOf(preflightMeter(meter, { ...FOTA, targetFirmware: { metrology: "1.1.0", comms: "" } }, NOW))).toEqual(["TARGET_FIRMWARE_MISSING"]);
    expect(codesOf(preflightMeter(meter, { ...FOTA, targetFirmware: { metrology: "1.1.0", comms: "2.0.0" } }, NOW))).toEqual(["PAIR_INCOMPATIBLE"]);
    const images = createCatalogue().images.map((i) => (i.version === "2.1.0" ? { ...i, isSigned: false, sha256: null } : i));
    expect(codesOf(preflightMeter(meter, { ...FOTA, catalogue: createCatalogue({ images }) }, NOW))).toEqual(["FW_IMAGE_UNSIGNED", "FW_HASH_UNKNOWN"]);
    const noComms = createCatalogue().images.filter((i) => i.version !== "2.1.0");
    expect(codesOf(preflightMeter(meter, { ...FOTA, catalogue: createCatalogue({ images: noComms }) }, NOW))).toEqual(["FW_IMAGE_UNKNOWN"]);
    expect(codesOf(preflightMeter(createMeter({ fwMetrology: "1.1.0", fwComms: "2.1.0" }), FOTA, NOW))).toEqual(["ALREADY_ON_TARGET"]);
  });

  it("checks a target pair on its own, as the new-campaign form lists the catalogue's pairs", () => {
    const codes = (target: { metrology: string; comms: string } | undefined, catalogue = createCatalogue()) => checkTargetFirmware(target, catalogue).map((r) => r.code);
    expect(codes({ metrology: "1.1.0", comms: "2.1.0" })).toEqual([]);
    expect(codes({ metrology: "1.0.0", comms: "2.1.0" })).toEqual(["PAIR_INCOMPATIBLE"]);
    expect(codes(undefined)).toEqual(["TARGET_FIRMWARE_MISSING"]);
    const unsigned = createCatalogue().images.map((i) => (i.version === "1.0.0" ? { ...i, isSigned: false } : i));
    expect(codes({ metrology: "1.0.0", comms: "2.0.0" }, createCatalogue({ images: unsigned }))).toEqual(["FW_IMAGE_UNSIGNED"]);
    // The same refusal every meter's preflight gives, on top of its own checks.
    const meter = createMeter();
    expect(codesOf(preflightMeter(meter, { ...FOTA, targetFirmware: { metrology: "1.0.0", comms: "2.0.0" }, catalogue: createCatalogue({ images: unsigned }) }, NOW))).toContain(
      "FW_IMAGE_UNSIGNED",
    );
  });

  it("gives every refusal a human message", () => {
    const result = preflightMeter(createMeter({ hesVersion: "3.0.0", snr: 3, certNotAfter: "2020-01-01T00:00:00Z", openFaults: ["E042"] }), FOTA, NOW);
    expect(codesOf(result)).toEqual(["HES_TOO_OLD", "SNR_TOO_LOW", "CERT_EXPIRED", "TAMPER_OPEN"]);
    if (!result.ok) for (const r of result.reasons) expect(r.message.length).toBeGreaterThan(10);
  });
});
