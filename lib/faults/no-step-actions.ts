// What to do about a fault no meter step fixes (the catalogue's remediation is null): the fix is
// elsewhere (head-end, grid, time source), said in the operator's words, with a step that helps
// rule a cause out where there is one. Domain reference: library conflicts on the head-end
// (mismatched OpenSSL) break the TLS handshake; HES timeouts come from too many meters at once.
import type { JobType } from "@/lib/scheduling/job-types";

export interface NoStepAction {
  /** Why no campaign step fixes it, and where the fix is. */
  text: string;
  /** A meter step that rules out one cause, if any. */
  ruleOut?: { jobType: JobType; why: string };
}

export const NO_STEP_ACTIONS: Readonly<Record<string, NoStepAction>> = {
  TLS_HANDSHAKE: {
    text: "Head-end fix, no meter step: align the TLS library (OpenSSL) versions on every HES node",
    ruleOut: { jobType: "cert_renew", why: "if the failing meters' certificates are expired or expiring" },
  },
  HES_TIMEOUT: { text: "Head-end load, no meter step: retry in smaller, staggered waves (fewer meters per gateway at once)" },
  LAST_GASP: {
    text: "Usually a grid outage: check the feeder or transformer first",
    ruleOut: { jobType: "battery_audit", why: "if no outage explains it (weak supercapacitors)" },
  },
  hes_below_fota: { text: "Head-end fix, no meter step: upgrade the head-end to 4.2.0 or later before any firmware campaign" },
  clock_drift: {
    text: "Check the head-end's time sync first",
    ruleOut: { jobType: "battery_audit", why: "if the head-end is in sync (the RTC runs on the supercapacitor)" },
  },
};

export function getNoStepAction(signatureId: string): NoStepAction | null {
  return NO_STEP_ACTIONS[signatureId] ?? null;
}
