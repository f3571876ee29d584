// Per-meter checks run before a meter may join a campaign. Every refusal has a
// stable machine code (for filters and audit) and a sentence for the operator.
import { getJobTypeSpec, type JobType } from "./job-types";
import { toMs, type Catalogue, type FirmwarePair, type PlanMeter, type Reason } from "./types";

export const MIN_HES_VERSION_FOR_FOTA = "4.2.0";
export const MIN_SNR_DB = 15;
const SHA256_RE = /^[0-9a-f]{64}$/i;
const OK: PreflightResult = Object.freeze({ ok: true });

export const PREFLIGHT_CODES = [
  "HES_TOO_OLD",
  "HES_VERSION_UNKNOWN",
  "SNR_TOO_LOW",
  "SNR_UNKNOWN",
  "CERT_EXPIRED",
  "CERT_UNKNOWN",
  "TAMPER_OPEN",
  "TARGET_FIRMWARE_MISSING",
  "FW_IMAGE_UNKNOWN",
  "FW_IMAGE_UNSIGNED",
  "FW_HASH_UNKNOWN",
  "PAIR_INCOMPATIBLE",
  "ALREADY_ON_TARGET",
] as const;
export type PreflightCode = (typeof PREFLIGHT_CODES)[number];

export interface PreflightReason extends Reason {
  code: PreflightCode;
}

export type PreflightResult = { ok: true } | { ok: false; reasons: PreflightReason[] };

export interface PreflightContext {
  jobType: JobType;
  catalogue?: Catalogue;
  /** Required for fota: both halves always move together. */
  targetFirmware?: FirmwarePair;
}

const SEMVER_RE = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/** Semver order: -1, 0, 1; null when either side is not a version. A pre-release sorts before its release. */
export function compareVersions(a: string, b: string): -1 | 0 | 1 | null {
  const ma = SEMVER_RE.exec(a.trim());
  const mb = SEMVER_RE.exec(b.trim());
  if (!ma || !mb) return null;
  for (let i = 1; i <= 3; i++) {
    const d = Number(ma[i]) - Number(mb[i]);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  const pa = ma[4];
  const pb = mb[4];
  if (pa === pb) return 0;
  if (pa === undefined) return 1;
  if (pb === undefined) return -1;
  const xa = pa.split(".");
  const xb = pb.split(".");
  for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
    if (xa[i] === undefined) return -1;
    if (xb[i] === undefined) return 1;
    if (xa[i] === xb[i]) continue;
    const na = /^\d+$/.test(xa[i]);
    const nb = /^\d+$/.test(xb[i]);
    if (na && nb) return Number(xa[i]) < Number(xb[i]) ? -1 : 1;
    if (na !== nb) return na ? -1 : 1; // numeric identifiers sort first
    return xa[i] < xb[i] ? -1 : 1;
  }
  return 0;
}

/** Why a FOTA target pair would be refused by every meter's preflight (empty: it may go out). */
export function checkTargetFirmware(target: FirmwarePair | undefined, catalogue: Catalogue | undefined): PreflightReason[] {
  return checkCatalogue({ jobType: "fota", targetFirmware: target, catalogue });
}

function checkCatalogue(ctx: PreflightContext): PreflightReason[] {
  const target = ctx.targetFirmware;
  if (!target?.metrology || !target?.comms) {
    return [{ code: "TARGET_FIRMWARE_MISSING", message: "FOTA needs a target for both metrology and comms firmware; one is never updated without the other" }];
  }
  const reasons: PreflightReason[] = [];
  const images = ctx.catalogue?.images ?? [];
  for (const component of ["metrology", "comms"] as const) {
    const version = target[component];
    const image = images.find((i) => i.component === component && i.version === version);
    if (!image) {
      reasons.push({ code: "FW_IMAGE_UNKNOWN", message: `${component} image ${version} is not in the firmware catalogue` });
      continue;
    }
    if (!image.isSigned) reasons.push({ code: "FW_IMAGE_UNSIGNED", message: `${component} image ${version} is not signed; meters only accept signed firmware` });
    if (!image.sha256 || !SHA256_RE.test(image.sha256)) {
      reasons.push({ code: "FW_HASH_UNKNOWN", message: `${component} image ${version} has no known SHA-256, so the install cannot be verified` });
    }
  }
  const isCompatible = (ctx.catalogue?.compatibility ?? []).some((p) => p.metrology === target.metrology && p.comms === target.comms);
  if (!isCompatible) {
    reasons.push({ code: "PAIR_INCOMPATIBLE", message: `metrology ${target.metrology} with comms ${target.comms} is not a compatible pair` });
  }
  return reasons;
}

/** Builds a checker for many meters: campaign-wide checks and version parsing run once. */
export function createPreflight(ctx: PreflightContext, now: Date): (meter: PlanMeter) => PreflightResult {
  const spec = getJobTypeSpec(ctx.jobType);
  const nowMs = now.getTime();
  const isFota = ctx.jobType === "fota";
  const isRemote = spec.execution === "remote";
  // rf_analysis is how a weak link gets diagnosed, so it must reach weak meters.
  const needsSnr = isRemote && ctx.jobType !== "rf_analysis";
  // A field visit uses the optical port, and cert_renew is the cure for an expired root.
  const needsCert = isRemote && ctx.jobType !== "cert_renew";
  // An open tamper may mean a compromised meter: no firmware or key changes pushed to it remotely.
  const blocksOnTamper = isRemote && spec.isRisky;
  const campaignReasons = isFota ? checkCatalogue(ctx) : [];
  const hesCache = new Map<string, PreflightReason | null>();

  function checkHes(version: string): PreflightReason | null {
    let cached = hesCache.get(version);
    if (cached === undefined) {
      const cmp = compareVersions(version ?? "", MIN_HES_VERSION_FOR_FOTA);
      cached =
        cmp === null
          ? { code: "HES_VERSION_UNKNOWN", message: `head-end version "${version}" cannot be read; FOTA needs ${MIN_HES_VERSION_FOR_FOTA} or later` }
          : cmp < 0
            ? { code: "HES_TOO_OLD", message: `head-end ${version} is older than ${MIN_HES_VERSION_FOR_FOTA}, the first version with bulk FOTA` }
            : null;
      hesCache.set(version, cached);
    }
    return cached;
  }

  return (meter) => {
    let reasons: PreflightReason[] | null = campaignReasons.length ? [...campaignReasons] : null;
    if (isFota) {
      const hes = checkHes(meter.hesVersion);
      if (hes) (reasons ??= []).push(hes);
      const t = ctx.targetFirmware;
      if (t && meter.fwMetrology === t.metrology && meter.fwComms === t.comms) {
        (reasons ??= []).push({ code: "ALREADY_ON_TARGET", message: `already runs metrology ${t.metrology} with comms ${t.comms}` });
      }
    }
    if (needsSnr) {
      const snr = meter.snr;
      if (snr === null || snr === undefined || Number.isNaN(snr)) {
        // A read can simply be retried; a write over an unmeasured link could be left half-applied.
        if (spec.isRisky) (reasons ??= []).push({ code: "SNR_UNKNOWN", message: `no SNR measured; a risky step needs a link known to be at least ${MIN_SNR_DB} dB` });
      } else if (snr < MIN_SNR_DB) {
        (reasons ??= []).push({ code: "SNR_TOO_LOW", message: `latest mesh SNR ${snr} dB is below the ${MIN_SNR_DB} dB minimum` });
      }
    }
    if (needsCert) {
      const notAfter = toMs(meter.certNotAfter);
      if (Number.isNaN(notAfter)) (reasons ??= []).push({ code: "CERT_UNKNOWN", message: "root certificate expiry unknown; no secure session can be assumed" });
      else if (notAfter <= nowMs) {
        (reasons ??= []).push({ code: "CERT_EXPIRED", message: `root certificate expired ${new Date(notAfter).toISOString()}; renew it first (cert_renew)` });
      }
    }
    if (blocksOnTamper && meter.openFaults?.includes("E042")) {
      (reasons ??= []).push({ code: "TAMPER_OPEN", message: "open tamper alarm (E042); inspect the seal on site before any remote change" });
    }
    return reasons ? { ok: false, reasons } : OK;
  };
}

export function preflightMeter(meter: PlanMeter, ctx: PreflightContext, now: Date): PreflightResult {
  return createPreflight(ctx, now)(meter);
}
