import { describe, expect, it } from "vitest";
import { STEPS } from "@/lib/audit/codes";
import { can } from "@/lib/auth/permissions";
import { FINAL_FAILURE_CODES, JOB_TYPE_LABELS, JOB_TYPES, MAX_WAVE_SIZE, jobTypeLabel, jobTypeTitle, needsApproval, scheduleLabel } from "./job-types";

describe("JOB_TYPES", () => {
  it("describes every step of the audit contract, with sane limits", () => {
    expect(Object.keys(JOB_TYPES).sort()).toEqual([...STEPS].sort());
    for (const spec of Object.values(JOB_TYPES)) {
      expect(spec.defaultWaveSize).toBeLessThanOrEqual(MAX_WAVE_SIZE);
      expect(spec.defaultWaveSize).toBeGreaterThan(0);
      for (const code of FINAL_FAILURE_CODES) expect(spec.retry[code]).toBeUndefined();
    }
  });

  it("marks field work, risky steps and their night windows", () => {
    expect(JOB_TYPES.inspect.execution).toBe("field");
    expect(JOB_TYPES.calibrate.execution).toBe("field");
    for (const step of ["fota", "comms_reset", "cert_renew"] as const) {
      expect(JOB_TYPES[step].isRisky).toBe(true);
      expect(JOB_TYPES[step].offPeak).not.toBeNull();
    }
    expect(JOB_TYPES.fota.offPeak).toEqual({ start: "01:00", end: "05:00" });
    expect(JOB_TYPES.fw_verify.offPeak).toBeNull();
    expect(JOB_TYPES.fota.retry.E105).toBeDefined();
    expect(JOB_TYPES.fota.retry.HES_TIMEOUT).toBeDefined();
  });

  // Who may do what is the one role model, lib/auth/permissions (job types carry no roles).
  it("lets operators create and technicians complete calibrations", () => {
    expect(can("operator", "campaigns.manage")).toBe(true);
    expect(can("technician", "campaigns.manage")).toBe(false);
    expect(can("technician", "workorders.complete")).toBe(true);
    expect(can("viewer", "workorders.complete")).toBe(false);
    expect(can("admin", "campaigns.manage")).toBe(true);
  });

  it("asks for approval above the size limit for fota and comms_reset only", () => {
    expect(needsApproval("fota", JOB_TYPES.fota.approvalAbove!)).toBe(false);
    expect(needsApproval("fota", JOB_TYPES.fota.approvalAbove! + 1)).toBe(true);
    expect(needsApproval("comms_reset", JOB_TYPES.comms_reset.approvalAbove! + 1)).toBe(true);
    expect(needsApproval("fw_verify", 1_000_000)).toBe(false);
  });
});

describe("job type labels", () => {
  it("name every job type once, and the same words in every form", () => {
    expect(Object.keys(JOB_TYPE_LABELS).sort()).toEqual([...STEPS].sort());
    expect(new Set(Object.values(JOB_TYPE_LABELS)).size).toBe(STEPS.length);
    expect(jobTypeLabel("rf_analysis")).toBe("RF analysis");
    expect(jobTypeTitle("rf_analysis")).toBe("RF analysis");
    expect(scheduleLabel("rf_analysis")).toBe("Schedule RF analysis");
    expect(jobTypeTitle("calibrate")).toBe("Calibration");
    expect(scheduleLabel("cert_renew")).toBe("Schedule certificate renewal");
    for (const step of STEPS) expect(jobTypeTitle(step).toLowerCase()).toBe(jobTypeLabel(step).toLowerCase());
  });

  it("show a stored string that is no job type as it is", () => {
    expect(jobTypeLabel("retry_legacy")).toBe("retry_legacy");
  });
});
