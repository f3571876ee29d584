// Per job type rules as data: where the work happens, how risky it is, when it
// may run, how it retries. The planner, preflight and gates read only this.
import { STEPS, type Step } from "@/lib/audit/codes";

export type JobType = Step;
export const JOB_TYPES_LIST: readonly JobType[] = STEPS;

export type Execution = "remote" | "field";

/** Local wall-clock window, "HH:MM"; end <= start means it crosses midnight. */
export interface LocalWindow {
  start: string;
  end: string;
}

export interface RetryPolicy {
  /** Total attempts allowed, the first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  factor: number;
  /** Spread of the deterministic jitter, as a fraction of the delay (0.2 = +/-20%). */
  jitter: number;
}

/**
 * A diagnostic step's answer that reports a fault on the meter: the step worked and found
 * something. It is a result, not a failure: it does not count against a wave's error budget,
 * is not retried, and becomes a field work order for the fix.
 */
export interface Finding {
  /** What the step found, in the operator's words. */
  label: string;
  /** The fix on site; the follow-up work order (job type inspect) carries it. */
  action: string;
  /** Runbook slug (lib/faults/runbooks.ts). */
  runbook: string;
}

export interface JobTypeSpec {
  execution: Execution;
  isRisky: boolean;
  defaultWaveSize: number;
  defaultCanarySize: number;
  /** null: no time-of-day restriction. */
  offPeak: LocalWindow | null;
  soakMinutes: number;
  /** Expected time for one meter; a wave's meters run in parallel. */
  minutesPerMeter: number;
  /** Failure codes that may be retried; any code not listed is final. */
  retry: Partial<Record<string, RetryPolicy>>;
  /** Campaigns larger than this need a second person's approval; null: never. */
  approvalAbove: number | null;
  /** Answer codes that are findings of this step (see Finding); absent: every failure code is a failure. */
  findings?: Partial<Record<string, Finding>>;
}

/** The work order a finding becomes. */
export const FOLLOW_UP_JOB_TYPE = "inspect" satisfies JobType;

/** The domain guidance: never touch more than 100 meters of a mesh at once. */
export const MAX_WAVE_SIZE = 100;

/** Refusals and integrity failures: retrying cannot change the outcome. */
export const FINAL_FAILURE_CODES = ["FW_HASH_MISMATCH", "HES_TOO_OLD", "PAIR_INCOMPATIBLE", "CERT_EXPIRED", "E042"] as const;

const TRANSIENT_REMOTE: Record<string, RetryPolicy> = {
  E105: { maxAttempts: 4, baseDelayMs: 5 * 60_000, maxDelayMs: 2 * 3_600_000, factor: 2, jitter: 0.2 },
  HES_TIMEOUT: { maxAttempts: 4, baseDelayMs: 2 * 60_000, maxDelayMs: 3_600_000, factor: 2, jitter: 0.2 },
};

// A FOTA re-push costs a full image transfer over the mesh: fewer, slower retries.
const TRANSIENT_FOTA: Record<string, RetryPolicy> = {
  E105: { maxAttempts: 3, baseDelayMs: 15 * 60_000, maxDelayMs: 4 * 3_600_000, factor: 2, jitter: 0.2 },
  HES_TIMEOUT: { maxAttempts: 3, baseDelayMs: 10 * 60_000, maxDelayMs: 2 * 3_600_000, factor: 2, jitter: 0.2 },
};

const NIGHT = { start: "01:00", end: "05:00" };

export const JOB_TYPES: Readonly<Record<JobType, JobTypeSpec>> = {
  inspect: {
    execution: "field",
    isRisky: false,
    defaultWaveSize: 50,
    defaultCanarySize: 5,
    offPeak: null,
    soakMinutes: 0,
    minutesPerMeter: 45,
    retry: {},
    approvalAbove: null,
  },
  calibrate: {
    execution: "field",
    isRisky: false,
    defaultWaveSize: 25,
    defaultCanarySize: 5,
    offPeak: null,
    soakMinutes: 0,
    minutesPerMeter: 90,
    retry: {},
    approvalAbove: null,
  },
  // A verification, a survey and an audit exist to find faulty meters: what they find is
  // their result. Only a FOTA's hash mismatch (a bad image pushed) stops a campaign.
  fw_verify: {
    execution: "remote",
    isRisky: false,
    defaultWaveSize: 100,
    defaultCanarySize: 10,
    offPeak: null,
    soakMinutes: 5,
    minutesPerMeter: 5,
    retry: TRANSIENT_REMOTE,
    approvalAbove: null,
    findings: {
      FW_HASH_MISMATCH: {
        label: "running build differs from the repository's hash",
        action: "firmware recovery boot through the local diagnostic interface, then re-flash a signed image",
        runbook: "firmware-integrity",
      },
    },
  },
  rf_analysis: {
    execution: "remote",
    isRisky: false,
    defaultWaveSize: 100,
    defaultCanarySize: 10,
    offPeak: null,
    soakMinutes: 5,
    minutesPerMeter: 10,
    retry: TRANSIENT_REMOTE,
    approvalAbove: null,
    findings: {
      LOW_SNR: { label: "mesh SNR below 15 dB", action: "check the antenna mount and cables for oxidation or loose connections", runbook: "low-snr" },
    },
  },
  battery_audit: {
    execution: "remote",
    isRisky: false,
    defaultWaveSize: 100,
    defaultCanarySize: 10,
    offPeak: null,
    soakMinutes: 10,
    minutesPerMeter: 10,
    retry: TRANSIENT_REMOTE,
    approvalAbove: null,
    findings: {
      BATTERY_LOW: { label: "battery below 3.10 V", action: "replace the battery (batch the visits by area)", runbook: "battery" },
      SUPERCAP_FAIL: { label: "supercapacitor cannot carry a last gasp", action: "replace the supercapacitor, or the meter", runbook: "last-gasp-supercap" },
    },
  },
  comms_reset: {
    execution: "remote",
    isRisky: true,
    defaultWaveSize: 50,
    defaultCanarySize: 10,
    offPeak: { start: "02:00", end: "05:00" },
    soakMinutes: 30,
    minutesPerMeter: 10,
    retry: TRANSIENT_REMOTE,
    approvalAbove: 5_000,
  },
  fota: {
    execution: "remote",
    isRisky: true,
    defaultWaveSize: 50,
    defaultCanarySize: 20,
    offPeak: NIGHT,
    soakMinutes: 60,
    minutesPerMeter: 40,
    retry: TRANSIENT_FOTA,
    approvalAbove: 1_000,
  },
  cert_renew: {
    execution: "remote",
    isRisky: true,
    defaultWaveSize: 100,
    defaultCanarySize: 10,
    offPeak: NIGHT,
    soakMinutes: 30,
    minutesPerMeter: 5,
    retry: TRANSIENT_REMOTE,
    approvalAbove: null,
  },
};

/** A step's findings by answer code; none for a step that finds nothing or an unknown job type (a stored string). */
export function getFindings(jobType: string): Partial<Record<string, Finding>> {
  return (isJobType(jobType) && JOB_TYPES[jobType].findings) || {};
}

/** The finding a step's answer code is, if it is one. */
export function findingOf(jobType: string, code: string): Finding | null {
  return getFindings(jobType)[code] ?? null;
}

export function getJobTypeSpec(jobType: JobType): JobTypeSpec {
  const spec = JOB_TYPES[jobType];
  if (!spec) throw new Error(`unknown job type: ${String(jobType)}`);
  return spec;
}

export function isJobType(value: string): value is JobType {
  return (STEPS as readonly string[]).includes(value);
}

export function needsApproval(jobType: JobType, meterCount: number): boolean {
  const limit = getJobTypeSpec(jobType).approvalAbove;
  return limit !== null && meterCount > limit;
}

/**
 * The one name of each job type, as the operator reads it on every page (matrix, map, forms,
 * campaign, work orders). Lower case as used inside a sentence; `jobTypeTitle` for a heading.
 */
export const JOB_TYPE_LABELS: Readonly<Record<JobType, string>> = {
  inspect: "inspection",
  calibrate: "calibration",
  fw_verify: "firmware verification",
  rf_analysis: "RF analysis",
  battery_audit: "battery audit",
  comms_reset: "comms reset",
  fota: "firmware update",
  cert_renew: "certificate renewal",
};

/** "RF analysis"; a stored string that is no job type is shown as it is. */
export function jobTypeLabel(jobType: string): string {
  return isJobType(jobType) ? JOB_TYPE_LABELS[jobType] : jobType;
}

/** "Calibration", "RF analysis": the label at the start of a line or in a list. */
export function jobTypeTitle(jobType: string): string {
  const label = jobTypeLabel(jobType);
  return label.charAt(0).toUpperCase() + label.slice(1);
}

/** The action that schedules a job type: "Schedule RF analysis". */
export function scheduleLabel(jobType: string): string {
  return `Schedule ${jobTypeLabel(jobType)}`;
}
