// What a technician reports when closing a work order: the outcome, and the readings the job
// needs (a calibration its errors at 15/30/60 A, an inspection its checklist, a battery job the
// voltage, an RF fix the SNR). Pure: the form, the server check and the history read this.
import { z } from "zod";

export const WORK_ORDER_OUTCOMES = ["fixed", "not_fixed", "follow_up", "no_access"] as const;
export type WorkOrderOutcome = (typeof WORK_ORDER_OUTCOMES)[number];

export const OUTCOME_LABELS: Readonly<Record<WorkOrderOutcome, string>> = {
  fixed: "fixed",
  not_fixed: "not fixed",
  follow_up: "needs follow-up",
  no_access: "no access",
};

/** "needs follow-up"; "done" for an order closed before outcomes were recorded. */
export function outcomeLabel(outcome: string | null | undefined, status = "done"): string {
  if (status === "cancelled") return "cancelled";
  return outcome && outcome in OUTCOME_LABELS ? OUTCOME_LABELS[outcome as WorkOrderOutcome] : status;
}

export const fieldReadingsSchema = z
  .object({
    err15A: z.number().min(-100).max(100),
    err30A: z.number().min(-100).max(100),
    err60A: z.number().min(-100).max(100),
    hottestTerminalC: z.number().min(-50).max(300),
    sealIntact: z.boolean(),
    arcing: z.boolean(),
    batteryV: z.number().min(0).max(10),
    supercapTestPassed: z.boolean(),
    snrDb: z.number().min(-30).max(60),
  })
  .partial()
  .strict();
export type FieldReadings = z.infer<typeof fieldReadingsSchema>;
export type ReadingKey = keyof FieldReadings;

export interface ReadingField {
  key: ReadingKey;
  label: string;
  kind: "number" | "boolean";
  unit?: string;
}

const FIELDS: Record<ReadingKey, ReadingField> = {
  err15A: { key: "err15A", label: "Error at 15 A", kind: "number", unit: "%" },
  err30A: { key: "err30A", label: "Error at 30 A", kind: "number", unit: "%" },
  err60A: { key: "err60A", label: "Error at 60 A", kind: "number", unit: "%" },
  hottestTerminalC: { key: "hottestTerminalC", label: "Hottest terminal", kind: "number", unit: "°C" },
  sealIntact: { key: "sealIntact", label: "Seal intact", kind: "boolean" },
  arcing: { key: "arcing", label: "Arcing marks", kind: "boolean" },
  batteryV: { key: "batteryV", label: "Battery voltage", kind: "number", unit: "V" },
  supercapTestPassed: { key: "supercapTestPassed", label: "Last-gasp test passed", kind: "boolean" },
  snrDb: { key: "snrDb", label: "Mesh SNR after the fix", kind: "number", unit: "dB" },
};

const BY_JOB: Record<string, ReadingKey[]> = {
  calibrate: ["err15A", "err30A", "err60A"],
  inspect: ["hottestTerminalC", "sealIntact", "arcing"],
  battery_audit: ["batteryV", "supercapTestPassed"],
  rf_analysis: ["snrDb"],
};

/** What the fault behind an order (a finding's code) adds to the job's own readings. */
const BY_CODE: Record<string, ReadingKey[]> = {
  LOW_SNR: ["snrDb"],
  E105: ["snrDb"],
  BATTERY_LOW: ["batteryV"],
  SUPERCAP_FAIL: ["supercapTestPassed"],
  LAST_GASP: ["supercapTestPassed"],
  E001: ["err15A", "err30A", "err60A"],
};

/** The readings a job type (and the fault that caused the order, if known) asks for, in form order. */
export function readingFieldsFor(jobType: string, code?: string | null): ReadingField[] {
  const keys = [...(BY_JOB[jobType] ?? []), ...((code && BY_CODE[code]) || [])];
  return [...new Set(keys)].map((k) => FIELDS[k]);
}

/** Readings a visit that worked on the meter must carry (nothing when the crew got no access). */
export function missingReadings(jobType: string, code: string | null | undefined, outcome: WorkOrderOutcome, readings: FieldReadings | undefined): ReadingField[] {
  if (outcome === "no_access" || outcome === "follow_up") return [];
  return readingFieldsFor(jobType, code).filter((f) => readings?.[f.key] === undefined);
}

/** "15 A 0.05% · 30 A -0.08% · seal intact: yes · battery 3.61 V", in the form's order. */
export function formatReadings(readings: Record<string, unknown> | null | undefined): string {
  if (!readings) return "";
  const parts: string[] = [];
  const n = (k: string) => (typeof readings[k] === "number" ? (readings[k] as number) : null);
  const b = (k: string) => (typeof readings[k] === "boolean" ? (readings[k] ? "yes" : "no") : null);
  for (const a of [15, 30, 60]) if (n(`err${a}A`) !== null) parts.push(`${a} A ${n(`err${a}A`)}%`);
  if (readings.withinEnvelope === false) parts.push("(outside envelope)");
  if (n("hottestTerminalC") !== null) parts.push(`hottest terminal ${n("hottestTerminalC")} °C`);
  if (b("sealIntact") !== null) parts.push(`seal intact: ${b("sealIntact")}`);
  if (b("arcing") !== null) parts.push(`arcing: ${b("arcing")}`);
  if (n("batteryV") !== null) parts.push(`battery ${n("batteryV")} V`);
  if (b("supercapTestPassed") !== null) parts.push(`last-gasp test passed: ${b("supercapTestPassed")}`);
  if (n("snrDb") !== null) parts.push(`SNR ${n("snrDb")} dB`);
  return parts.join(" · ");
}
