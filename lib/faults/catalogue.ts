// The fault catalogue: every fault signature the troubleshooting matrix counts,
// as versioned data. `match` says how to recognise a fault; the SQL that counts
// it is built elsewhere (lib/clickhouse) from this data, never stored here.
import { z } from "zod";
import { CODES, CODE_LIST, LED_STATES, SEVERITIES, STEPS, type Code, type LedState } from "@/lib/audit/codes";
import type { AuditRecord } from "@/lib/audit/record";

/** Bump on any change to signatures, thresholds or runbook links. */
export const CATALOGUE_VERSION = "2026.11.1";

/** Codes that record normal operation, so never count as faults. */
export const NON_FAULT_CODES = ["STEP_OK", "HEARTBEAT"] as const satisfies readonly Code[];
export const FAULT_CODES = CODE_LIST.filter((c) => !(NON_FAULT_CODES as readonly string[]).includes(c));

/**
 * Numbers a threshold can test. Raw fields keep their audit-log names; two are derived:
 * cert_days_left = (cert_not_after - ts) in days; clock_offset_s = (ts - recv_ts) in seconds.
 */
export const MEASURES = ["rssi", "lqi", "snr", "temp_c", "battery_v", "accuracy_err_pct", "cert_days_left", "clock_offset_s"] as const;
export type Measure = (typeof MEASURES)[number];

/** abs_gt compares |value|, for offsets that are bad in either direction. */
export const THRESHOLD_OPS = ["lt", "lte", "gt", "gte", "abs_gt"] as const;
export type ThresholdOp = (typeof THRESHOLD_OPS)[number];

/** Conditions that need data beyond one audit line (a compatibility list, the HES version, campaign plans). */
export const RULES = ["fw_pair_incompatible", "hes_version_below"] as const;
export type RuleName = (typeof RULES)[number];

export const SIGNATURE_KINDS = ["code", "led", "derived"] as const;
export type SignatureKind = (typeof SIGNATURE_KINDS)[number];

const idSchema = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{1,63}$/, "must be 2-64 letters, digits or _, starting with a letter");
const slugSchema = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "must be a kebab-case slug");
const rawCodeSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .transform((s) => s.toUpperCase());

export const matchSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("codes"), codes: z.array(rawCodeSchema).min(1) }),
  z.object({ type: z.literal("led"), led: z.enum(LED_STATES) }),
  z.object({ type: z.literal("threshold"), measure: z.enum(MEASURES), op: z.enum(THRESHOLD_OPS), threshold: z.number().finite() }),
  z.object({ type: z.literal("rule"), rule: z.enum(RULES), params: z.record(z.string(), z.union([z.string(), z.number()])).default({}) }),
]);
export type SignatureMatch = z.infer<typeof matchSchema>;

const signatureFieldsSchema = z.object({
  id: idSchema,
  title: z.string().min(1).max(120),
  severity: z.enum(SEVERITIES),
  kind: z.enum(SIGNATURE_KINDS),
  meaning: z.string().min(1),
  checks: z.array(z.string().min(1)).min(1),
  remediation: z.enum(STEPS).nullable(),
  runbook: slugSchema,
  match: matchSchema,
});

const SEMVER_RE = /^\d+\.\d+\.\d+$/;

export const signatureSchema = signatureFieldsSchema.superRefine((s, ctx) => {
  const allowed: Record<SignatureKind, string[]> = { code: ["codes"], led: ["led"], derived: ["threshold", "rule"] };
  if (!allowed[s.kind].includes(s.match.type)) {
    ctx.addIssue({ code: "custom", path: ["match", "type"], message: `kind "${s.kind}" needs a match of type ${allowed[s.kind].join(" or ")}, got "${s.match.type}"` });
  }
  if (s.match.type === "rule" && s.match.rule === "hes_version_below" && !SEMVER_RE.test(String(s.match.params.minVersion ?? ""))) {
    ctx.addIssue({ code: "custom", path: ["match", "params", "minVersion"], message: "hes_version_below needs params.minVersion like 4.2.0" });
  }
});
export type FaultSignature = z.infer<typeof signatureSchema>;

export interface Catalogue {
  version: string;
  signatures: FaultSignature[];
  /** Vendor event code (upper-cased) -> one of our codes. */
  aliases: Record<string, string>;
}

function describeCode(code: Code, rest: Omit<FaultSignature, "id" | "severity" | "kind" | "match">): FaultSignature {
  // Severity comes from the shared contract so the two can never disagree.
  return { id: code, severity: CODES[code].sev, kind: "code", match: { type: "codes", codes: [code] }, ...rest };
}

const SIGNATURES: FaultSignature[] = [
  describeCode("E001", {
    title: "Calibration drift",
    meaning: "The metrology checksum no longer agrees with the reference, so billed energy may be biased.",
    checks: [
      "Look at the voltage-divider resistors for signs of ageing or heat damage.",
      "Re-verify accuracy against a reference standard at 15 A, 30 A and 60 A loads.",
      "Compare accuracy_err_pct with the meter's accuracy class before touching constants.",
    ],
    remediation: "calibrate",
    runbook: "metrology-drift",
  }),
  describeCode("E042", {
    title: "Tamper detected",
    meaning: "The magnetic sensor or the cover micro-switch fired: someone or something may have opened or influenced the meter.",
    checks: [
      "Check the physical seal and the casing for damage.",
      "Read the tamper status register (/dev/hw/tamper_status) and note which sensor fired.",
      "Compare consumption before and after the event for signs of bypass.",
    ],
    remediation: "inspect",
    runbook: "tamper",
  }),
  describeCode("E105", {
    title: "RF timeout",
    meaning: "The meter stopped answering over the mesh after retries; packets are being lost on the RF path.",
    checks: [
      "Run a spectrum scan of the 900 MHz ISM band near the meter for interference.",
      "Review the neighbour table: RSSI and LQI of each neighbour, and how many there are.",
      "Look at the antenna mount for corrosion or a loose connector.",
    ],
    remediation: "rf_analysis",
    runbook: "rf-timeout",
  }),
  describeCode("CERT_EXPIRED", {
    title: "Root certificate expired",
    meaning: "The meter's root CA certificate has passed its end date, so no automated maintenance session can be opened.",
    checks: ["Confirm cert_not_after on /etc/ssl/certs/meter_root.crt is in the past.", "Renew the root certificate, then retry the blocked maintenance job."],
    remediation: "cert_renew",
    runbook: "certificate",
  }),
  describeCode("FW_HASH_MISMATCH", {
    title: "Firmware hash mismatch",
    meaning: "The SHA-256 of the running build is not the one in the master repository: the image is corrupt or altered.",
    checks: [
      "Compare fw_sha256 with the repository hash for the reported version.",
      "Boot the firmware recovery path and re-flash a signed image.",
      "Treat repeated mismatches on one gateway as a possible security incident.",
    ],
    remediation: "fw_verify",
    runbook: "firmware-integrity",
  }),
  describeCode("IPC_ERROR", {
    title: "Metrology/comms version mismatch",
    meaning: "The metrology board and the communications module run firmware that cannot talk to each other.",
    checks: ["Read fw_metrology and fw_comms and check the pair against the compatibility list.", "Upgrade both stacks in one job rather than one at a time."],
    remediation: "fota",
    runbook: "ipc-mismatch",
  }),
  describeCode("TLS_HANDSHAKE", {
    title: "TLS handshake failed",
    meaning: "The secure maintenance session could not be set up, usually because the head-end's crypto libraries disagree.",
    checks: [
      "Check the OpenSSL (or TLS library) versions on every HES node.",
      "Check whether failures follow one HES node rather than meters or gateways.",
      "Rule out an expired or expiring meter certificate.",
    ],
    remediation: null,
    runbook: "tls-handshake",
  }),
  describeCode("HES_TIMEOUT", {
    title: "Head-end timeout",
    meaning: "The head-end gave up during a maintenance window, typically because too many meters were addressed at once.",
    checks: ["See how many meters the wave addressed per gateway at the time.", "Split the job into smaller, staggered waves and retry."],
    remediation: null,
    runbook: "hes-timeout",
  }),
  describeCode("LAST_GASP", {
    title: "Last gasp",
    meaning: "The meter lost mains power and sent its final notice on stored supercapacitor energy.",
    checks: ["Correlate with known outages on the same feeder or transformer.", "If no outage explains it, check whether a firmware write was running at the time."],
    remediation: null,
    runbook: "last-gasp-supercap",
  }),
  describeCode("SUPERCAP_FAIL", {
    title: "Supercapacitor failure",
    meaning: "The supercapacitor could not hold enough charge to send a last-gasp message or keep the clock running.",
    checks: ["Run a simulated outage with the isolation switch and watch for the last-gasp message.", "Replace the supercapacitor (or the meter) if it fails again."],
    remediation: "battery_audit",
    runbook: "last-gasp-supercap",
  }),
  describeCode("BATTERY_LOW", {
    title: "Battery low",
    meaning: "A gas or water meter's battery voltage fell below its threshold.",
    checks: ["Read the battery voltage and compare with the model's cut-off.", "Plan a battery replacement before the meter stops reporting."],
    remediation: "battery_audit",
    runbook: "battery",
  }),
  describeCode("HOTSPOT", {
    title: "Terminal hotspot",
    meaning: "The meter base or terminal block is running above 60 °C, a sign of a poor connection.",
    checks: ["Measure the terminal block with an IR thermometer.", "Look for arcing marks, discoloured insulation or loose, high-resistance connections."],
    remediation: "inspect",
    runbook: "hotspot",
  }),
  describeCode("LOW_SNR", {
    title: "Low signal-to-noise",
    meaning: "Mesh SNR dropped under 15 dB, too little margin for reliable commands.",
    checks: ["Check the antenna mount and cabling.", "Consider a range extender or a higher transmit-power index for the cluster."],
    remediation: "rf_analysis",
    runbook: "low-snr",
  }),
  describeCode("FOTA_FAILED", {
    title: "Firmware update failed",
    meaning: "A firmware-over-the-air update did not complete; the meter may no longer boot its application.",
    checks: ["Check whether the meter still answers at all.", "If not, recover it through the optical port to the golden image, then re-run the update."],
    remediation: "fota",
    runbook: "bricked-meter-after-fota",
  }),
  {
    id: "led_red_blinking",
    title: "Red LED blinking",
    severity: "critical",
    kind: "led",
    meaning: "The faceplate reports a critical metrology fault.",
    checks: ["Look for an E001 on the same meter.", "Verify accuracy against a reference standard."],
    remediation: "calibrate",
    runbook: "metrology-drift",
    match: { type: "led", led: "red_blinking" },
  },
  {
    id: "led_amber_steady",
    title: "Amber LED steady",
    severity: "error",
    kind: "led",
    meaning: "The faceplate reports that the communications module has lost its link.",
    checks: ["Restart the comms stack and watch the re-association in syslog.", "If it does not come back, treat it as an RF problem."],
    remediation: "comms_reset",
    runbook: "comm-module-link",
    match: { type: "led", led: "amber_steady" },
  },
  {
    id: "snr_low",
    title: "SNR under 15 dB",
    severity: "warn",
    kind: "derived",
    meaning: "A reported SNR reading is below the 15 dB the mesh needs for safe bulk commands, even without a LOW_SNR event.",
    checks: ["Check antenna and cabling.", "Compare with neighbours behind the same gateway."],
    remediation: "rf_analysis",
    runbook: "low-snr",
    match: { type: "threshold", measure: "snr", op: "lt", threshold: 15 },
  },
  {
    id: "terminal_hot",
    title: "Terminal above 60 °C",
    severity: "error",
    kind: "derived",
    meaning: "A temperature reading above 60 °C at the terminal block, whether or not a HOTSPOT event was raised.",
    checks: ["Measure with an IR thermometer.", "Look for loose or corroded connections."],
    remediation: "inspect",
    runbook: "hotspot",
    match: { type: "threshold", measure: "temp_c", op: "gt", threshold: 60 },
  },
  {
    id: "cert_expiring",
    title: "Root certificate expiring",
    severity: "warn",
    kind: "derived",
    meaning: "The root certificate ends within 30 days; once it does, maintenance sessions will stop working.",
    checks: ["Schedule a certificate renewal before the end date."],
    remediation: "cert_renew",
    runbook: "certificate",
    match: { type: "threshold", measure: "cert_days_left", op: "lte", threshold: 30 },
  },
  {
    id: "fw_pair_incompatible",
    title: "Incompatible firmware pair",
    severity: "error",
    kind: "derived",
    meaning: "The metrology and comms firmware versions are not a pair known to work together.",
    checks: ["Check the pair against the compatibility list.", "Plan one job that updates both stacks."],
    remediation: "fota",
    runbook: "ipc-mismatch",
    match: { type: "rule", rule: "fw_pair_incompatible", params: {} },
  },
  {
    id: "hes_below_fota",
    title: "Head-end too old for FOTA",
    severity: "warn",
    kind: "derived",
    meaning: "A firmware campaign is planned but the head-end runs a version older than 4.2.0, which lacks bulk FOTA support.",
    checks: ["Upgrade the head-end before starting the campaign."],
    remediation: null,
    runbook: "hes-fota-readiness",
    match: { type: "rule", rule: "hes_version_below", params: { minVersion: "4.2.0" } },
  },
  {
    id: "clock_drift",
    title: "Clock drift",
    severity: "warn",
    kind: "derived",
    meaning: "The meter's timestamp differs from the head-end receive time by more than 1 s.",
    checks: ["Check time sync on the head-end first.", "Check the meter's RTC and the supercapacitor that keeps it running."],
    remediation: null,
    runbook: "clock-drift",
    match: { type: "threshold", measure: "clock_offset_s", op: "abs_gt", threshold: 1.0 },
  },
];

export const CATALOGUE: Catalogue = { version: CATALOGUE_VERSION, signatures: SIGNATURES, aliases: {} };

// ---------------------------------------------------------------- extension

const overrideSchema = signatureFieldsSchema.omit({ id: true, kind: true }).partial().strict();

export const extensionSchema = z
  .object({
    /** Who the extension belongs to, e.g. "acme-utility"; becomes part of the catalogue version. */
    name: slugSchema,
    version: z
      .string()
      .regex(/^[A-Za-z0-9.]{1,32}$/, "must be 1-32 letters, digits or dots")
      .default("1"),
    /** Vendor event code -> our code, e.g. { "VND_RF_77": "E105" }. */
    aliases: z.record(rawCodeSchema, rawCodeSchema).default({}),
    /** New signatures, or whole replacements of existing ids (same kind). */
    signatures: z.array(signatureSchema).default([]),
    /** Partial changes to existing signatures: severity, texts, remediation, runbook, match. */
    overrides: z.record(idSchema, overrideSchema).default({}),
  })
  .strict();
export type CatalogueExtension = z.input<typeof extensionSchema>;

export class CatalogueError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid catalogue extension:\n- ${issues.join("\n- ")}`);
    this.name = "CatalogueError";
  }
}

function formatIssues(error: z.ZodError, prefix = ""): string[] {
  return error.issues.map((i) => `${[prefix, ...i.path.map(String)].filter(Boolean).join(".") || "(root)"}: ${i.message}`);
}

/** Codes each kind-"code" signature claims, to keep a raw code resolving to one signature only. */
function indexCodes(signatures: FaultSignature[], issues: string[]): Map<string, string> {
  const owner = new Map<string, string>();
  for (const s of signatures) {
    if (s.match.type !== "codes") continue;
    for (const code of s.match.codes) {
      const other = owner.get(code);
      if (other && other !== s.id) issues.push(`code ${code} is claimed by both ${other} and ${s.id}`);
      else owner.set(code, s.id);
    }
  }
  return owner;
}

/**
 * Apply a utility's extension to a catalogue: vendor code aliases, new or replaced
 * signatures, partial overrides. Validates everything and throws one CatalogueError
 * listing every problem, so a bad config file is fixed in one pass.
 */
export function extendCatalogue(base: Catalogue, extension: unknown): Catalogue {
  const parsed = extensionSchema.safeParse(extension);
  if (!parsed.success) throw new CatalogueError(formatIssues(parsed.error));
  const ext = parsed.data;
  const issues: string[] = [];

  const byId = new Map(base.signatures.map((s) => [s.id, s]));
  const seen = new Set<string>();
  for (const s of ext.signatures) {
    if (seen.has(s.id)) issues.push(`signatures: id ${s.id} appears twice`);
    seen.add(s.id);
    const existing = byId.get(s.id);
    if (existing && existing.kind !== s.kind) issues.push(`signatures: ${s.id} cannot change kind from ${existing.kind} to ${s.kind}`);
    byId.set(s.id, s);
  }
  for (const [id, patch] of Object.entries(ext.overrides)) {
    const existing = byId.get(id);
    if (!existing) {
      issues.push(`overrides.${id}: no signature with this id`);
      continue;
    }
    const merged = signatureSchema.safeParse({ ...existing, ...patch });
    if (merged.success) byId.set(id, merged.data);
    else issues.push(...formatIssues(merged.error, `overrides.${id}`));
  }
  const signatures = [...byId.values()];
  const codeOwner = indexCodes(signatures, issues);

  const aliases: Record<string, string> = { ...base.aliases };
  for (const [vendor, target] of Object.entries(ext.aliases)) {
    if ((CODE_LIST as string[]).includes(vendor) || codeOwner.has(vendor)) issues.push(`aliases.${vendor}: shadows a code the catalogue already knows`);
    else if (target in aliases || target in ext.aliases) issues.push(`aliases.${vendor}: target ${target} is itself an alias; point to the final code`);
    else if (!(CODE_LIST as string[]).includes(target) && !codeOwner.has(target)) issues.push(`aliases.${vendor}: unknown target code ${target}`);
    else aliases[vendor] = target;
  }

  if (issues.length) throw new CatalogueError(issues);
  return { version: `${base.version}+${ext.name}.${ext.version}`, signatures, aliases };
}

export interface ResolvedCode {
  raw: string;
  /** Our code after alias lookup (upper-cased). */
  code: string;
  /** Fault signature for the code, or null for a known non-fault code (STEP_OK, HEARTBEAT). */
  signatureId: string | null;
  isAlias: boolean;
}

/** Map a raw event code (ours or a vendor's) onto the catalogue; null when nobody knows it. */
export function resolveCode(catalogue: Catalogue, rawCode: string): ResolvedCode | null {
  const normalized = rawCode.trim().toUpperCase();
  if (!normalized) return null;
  const target = catalogue.aliases[normalized];
  const code = target ?? normalized;
  const owner = catalogue.signatures.find((s) => s.match.type === "codes" && s.match.codes.includes(code));
  if (!owner && !(CODE_LIST as string[]).includes(code)) return null;
  return { raw: rawCode, code, signatureId: owner?.id ?? null, isAlias: target !== undefined };
}

export function findSignature(catalogue: Catalogue, id: string): FaultSignature | undefined {
  return catalogue.signatures.find((s) => s.id === id);
}

// ---------------------------------------------------------------- matching

const DAY_MS = 86_400_000;

export type MatchableEvent = Partial<Omit<AuditRecord, "code" | "led">> & { code?: string; led?: LedState | "" };

export interface MatchContext {
  /** Firmware pairs known to work; without it fw_pair_incompatible cannot be judged and never matches. */
  compatibleFwPairs?: ReadonlyArray<{ metrology: string; comms: string }>;
  hesVersion?: string;
  isFotaPlanned?: boolean;
}

/** A measure's value for one event, or null when the event does not carry what it needs. */
export function readMeasure(event: MatchableEvent, measure: Measure): number | null {
  if (measure === "cert_days_left") return event.cert_not_after != null && event.ts != null ? (event.cert_not_after - event.ts) / DAY_MS : null;
  if (measure === "clock_offset_s") return event.recv_ts != null && event.ts != null ? (event.ts - event.recv_ts) / 1000 : null;
  return event[measure] ?? null;
}

export function compareThreshold(value: number, op: ThresholdOp, threshold: number): boolean {
  switch (op) {
    case "lt":
      return value < threshold;
    case "lte":
      return value <= threshold;
    case "gt":
      return value > threshold;
    case "gte":
      return value >= threshold;
    case "abs_gt":
      return Math.abs(value) > threshold;
  }
}

/** Semver-ish compare of "a.b.c"; null when either side is not plain numeric. */
export function compareVersions(a: string, b: string): number | null {
  if (!SEMVER_RE.test(a) || !SEMVER_RE.test(b)) return null;
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return Math.sign(pa[i] - pb[i]);
  return 0;
}

/** Does one event (code already resolved to ours) show this signature? Missing data never matches. */
export function isSignatureMatch(match: SignatureMatch, event: MatchableEvent, context: MatchContext = {}): boolean {
  switch (match.type) {
    case "codes":
      return event.code != null && match.codes.includes(event.code.toUpperCase());
    case "led":
      return event.led === match.led;
    case "threshold": {
      const value = readMeasure(event, match.measure);
      return value != null && Number.isFinite(value) && compareThreshold(value, match.op, match.threshold);
    }
    case "rule":
      if (match.rule === "fw_pair_incompatible") {
        if (!context.compatibleFwPairs || !event.fw_metrology || !event.fw_comms) return false;
        return !context.compatibleFwPairs.some((p) => p.metrology === event.fw_metrology && p.comms === event.fw_comms);
      }
      if (!context.isFotaPlanned || !context.hesVersion) return false;
      return (compareVersions(context.hesVersion, String(match.params.minVersion)) ?? 0) < 0;
  }
}

/** Ids of every signature one event shows, in catalogue order. */
export function findMatchingSignatures(catalogue: Catalogue, event: MatchableEvent, context: MatchContext = {}): string[] {
  const resolved = event.code ? resolveCode(catalogue, event.code) : null;
  const normalized = { ...event, code: resolved?.code ?? event.code };
  return catalogue.signatures.filter((s) => isSignatureMatch(s.match, normalized, context)).map((s) => s.id);
}
