// Preventive plans: when each meter next needs a site inspection or a
// metrology re-verification, by calendar or earlier on measured condition.
import { toMs, type DateInput } from "./types";

export interface RecurringMeter {
  id: string;
  zone: string;
  installedAt: DateInput;
}

export interface ClimateZone {
  /** >= 1; heat ages capacitors faster, so hotter zones get a bigger factor. */
  thermalStressFactor: number;
}

export interface LastDone {
  inspect?: DateInput | null;
  calibrate?: DateInput | null;
}

export interface MeterCondition {
  /** Measured metrology error against the reference, in percent (absolute value used). */
  accuracyDriftPct?: number | null;
  /** Metrology faults (E001) per month over the recent window. */
  faultRatePerMonth?: number | null;
}

export interface RecurringRules {
  inspectBaseMonths: number;
  inspectFloorMonths: number;
  reverifyMonths: number;
  maxDriftPct: number;
  maxFaultRatePerMonth: number;
  /** Also list meters falling due within this many days. */
  lookaheadDays: number;
}

export const DEFAULT_RECURRING_RULES: RecurringRules = {
  inspectBaseMonths: 24,
  inspectFloorMonths: 6,
  reverifyMonths: 60,
  maxDriftPct: 0.2,
  maxFaultRatePerMonth: 1,
  lookaheadDays: 0,
};

export type DueReason = "INSPECTION_INTERVAL" | "REVERIFY_INTERVAL" | "ACCURACY_DRIFT" | "FAULT_RATE";

export interface DueMeter {
  meterId: string;
  jobType: "inspect" | "calibrate";
  reason: DueReason;
  dueAt: string;
  message: string;
}

/** Whole months, rounded down so a stressed zone is never visited later than its factor implies. */
export function getInspectionMonths(factor: number | undefined, rules: RecurringRules = DEFAULT_RECURRING_RULES): number {
  const f = factor !== undefined && Number.isFinite(factor) && factor >= 1 ? factor : 1;
  return Math.max(rules.inspectFloorMonths, Math.floor(rules.inspectBaseMonths / f));
}

/** Calendar months in UTC; the 31st becomes the month's last day. */
export function addMonths(ms: number, months: number): number {
  const d = new Date(ms);
  const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d.getUTCDate(), lastDay));
  return target.getTime();
}

export function findDueMeters(
  meters: RecurringMeter[],
  zones: Record<string, ClimateZone>,
  lastDone: Record<string, LastDone>,
  conditions: Record<string, MeterCondition>,
  now: Date,
  rules: Partial<RecurringRules> = {},
): DueMeter[] {
  const r = { ...DEFAULT_RECURRING_RULES, ...rules };
  const horizon = now.getTime() + r.lookaheadDays * 86_400_000;
  const nowIso = now.toISOString();
  const due: DueMeter[] = [];
  for (const m of meters) {
    const done = lastDone[m.id] ?? {};
    const installed = toMs(m.installedAt);

    const factor = zones[m.zone]?.thermalStressFactor;
    const months = getInspectionMonths(factor, r);
    const inspectFrom = done.inspect ? toMs(done.inspect) : installed;
    const inspectDue = addMonths(inspectFrom, months);
    if (inspectDue <= horizon) {
      const zoneText = factor === undefined ? `zone ${m.zone} unknown, base interval` : `zone ${m.zone}, stress factor ${factor}`;
      due.push({
        meterId: m.id,
        jobType: "inspect",
        reason: "INSPECTION_INTERVAL",
        dueAt: new Date(inspectDue).toISOString(),
        message: `inspection every ${months} months (${zoneText}); last ${done.inspect ? "done" : "installed"} ${new Date(inspectFrom).toISOString().slice(0, 10)}`,
      });
    }

    // Condition beats calendar: a drifting meter bills wrongly today, not in five years.
    const c = conditions[m.id];
    const drift = c?.accuracyDriftPct;
    const faultRate = c?.faultRatePerMonth;
    if (drift !== undefined && drift !== null && Math.abs(drift) > r.maxDriftPct) {
      due.push({ meterId: m.id, jobType: "calibrate", reason: "ACCURACY_DRIFT", dueAt: nowIso, message: `accuracy drift ${Math.abs(drift)}% exceeds ${r.maxDriftPct}%` });
    } else if (faultRate !== undefined && faultRate !== null && faultRate > r.maxFaultRatePerMonth) {
      due.push({ meterId: m.id, jobType: "calibrate", reason: "FAULT_RATE", dueAt: nowIso, message: `${faultRate} metrology faults/month exceeds ${r.maxFaultRatePerMonth}` });
    } else {
      const calibrateFrom = done.calibrate ? toMs(done.calibrate) : installed;
      const reverifyDue = addMonths(calibrateFrom, r.reverifyMonths);
      if (reverifyDue <= horizon) {
        due.push({
          meterId: m.id,
          jobType: "calibrate",
          reason: "REVERIFY_INTERVAL",
          dueAt: new Date(reverifyDue).toISOString(),
          message: `metrology re-verification every ${r.reverifyMonths} months; last ${done.calibrate ? "verified" : "installed"} ${new Date(calibrateFrom).toISOString().slice(0, 10)}`,
        });
      }
    }
  }
  return due.sort((a, b) => (a.dueAt < b.dueAt ? -1 : a.dueAt > b.dueAt ? 1 : a.meterId < b.meterId ? -1 : a.meterId > b.meterId ? 1 : 0));
}
