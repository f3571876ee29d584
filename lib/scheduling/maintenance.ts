// Maintenance plans as data and the due date of each (meter, plan): the
// interval rule (base × climate-zone stress, floor), condition triggers that
// bring it forward, the last time the job was done, and the reason in words.
// Pure: (plan, meter facts, history, conditions, today) => due item.
import { z } from "zod";
import { STEPS } from "@/lib/audit/codes";
import { METER_KINDS } from "@/lib/fleet/ids";

const DAY_MS = 86_400_000;
const semver = z.string().regex(/^\d+\.\d+\.\d+$/, "expected a version like 3.4.1");
const zoneId = z
  .string()
  .trim()
  .min(1)
  .max(40)
  .regex(/^[a-z0-9-]+$/, "zone ids look like hot-humid");

export const planScopeSchema = z
  .object({
    kinds: z.array(z.enum(METER_KINDS)).max(3).optional(),
    zones: z.array(zoneId).max(20).optional(),
    model: z.string().trim().min(1).max(64).optional(),
    gw: z
      .string()
      .trim()
      .max(64)
      .regex(/^[A-Za-z0-9_-]+$/)
      .optional(),
  })
  .strict();
export type PlanScope = z.infer<typeof planScopeSchema>;

export const planRuleSchema = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("interval"),
      baseMonths: z.number().int().min(1).max(240),
      /** Stress per climate zone: the interval is divided by it (2 = twice as often). */
      zoneFactors: z.record(zoneId, z.number().min(1).max(10)).default({}),
      /** Never more often than this, however stressed the zone. */
      floorMonths: z.number().int().min(1).max(240).default(1),
    })
    .strict(),
  z
    .object({
      kind: z.literal("before_cert_expiry"),
      /** Due this many days before the meter's certificate expires. */
      leadDays: z.number().int().min(1).max(365),
    })
    .strict(),
]);
export type PlanRule = z.infer<typeof planRuleSchema>;

export const planTriggersSchema = z
  .object({
    /** Accuracy drift (|error| against the reference) above this, percent. */
    driftPct: z.number().min(0.01).max(10).optional(),
    /** Fault rate of one code above this many per month. */
    faultRate: z
      .object({
        code: z
          .string()
          .trim()
          .min(1)
          .max(32)
          .regex(/^[A-Za-z0-9_]+$/),
        perMonth: z.number().min(0).max(1000),
      })
      .strict()
      .optional(),
    /** Certificate expiring within this many days. */
    certDays: z.number().int().min(1).max(730).optional(),
    /** Battery under this many volts. */
    batteryV: z.number().min(1).max(5).optional(),
    /** Firmware pair other than this target. */
    firmwareTarget: z.object({ metrology: semver, comms: semver }).strict().optional(),
  })
  .strict();
export type PlanTriggers = z.infer<typeof planTriggersSchema>;

export const planSpecSchema = z
  .object({
    name: z.string().trim().min(1).max(80),
    jobType: z.enum(STEPS),
    scope: planScopeSchema.default({}),
    rule: planRuleSchema,
    triggers: planTriggersSchema.default({}),
    /** Items falling due within this many days are created by the run. */
    lookaheadDays: z.number().int().min(0).max(365).default(30),
    enabled: z.boolean().default(true),
  })
  .strict();
export type PlanSpecInput = z.input<typeof planSpecSchema>;
export type PlanSpec = z.infer<typeof planSpecSchema>;

export interface Plan extends PlanSpec {
  id: string;
}

/** What the schedule knows about one meter. Times are epoch ms UTC. */
export interface MeterFacts {
  id: string;
  kind: string;
  zone: string;
  model: string;
  gatewayId: string;
  installedAt: number;
  certNotAfter: number | null;
  fwMetrology: string;
  fwComms: string;
}

/** The latest completion of a job type on a meter. */
export interface LastDone {
  at: number;
  /** "work order" or "campaign". */
  source: "work order" | "campaign" | "verification";
  ref: string;
}

export interface MeterConditions {
  accuracyDriftPct?: number | null;
  batteryV?: number | null;
  /** Faults per month by code, over the recent window. */
  faultsPerMonth?: Record<string, number>;
}

export type TriggerKind = "drift" | "fault_rate" | "cert" | "battery" | "firmware";

export interface DueItem {
  meterId: string;
  planId: string;
  jobType: string;
  /** UTC day the work is due, YYYY-MM-DD. */
  dueDate: string;
  /** UTC day number (days since 1970-01-01). */
  dueDay: number;
  isOverdue: boolean;
  triggers: TriggerKind[];
  reason: string;
}

// ---------------------------------------------------------------- day arithmetic

export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

export function dayToIso(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export function isoToDay(iso: string): number {
  return dayOf(Date.parse(`${iso}T00:00:00Z`));
}

// Month arithmetic on day numbers through a table of month starts (1900..2199):
// the columnar pass adds months to a million dates without building Date objects.
const FIRST_YEAR = 1900;
const MONTHS = 300 * 12;
const monthStart = new Int32Array(MONTHS + 1);
for (let i = 0; i <= MONTHS; i++) monthStart[i] = dayOf(Date.UTC(FIRST_YEAR + Math.floor(i / 12), i % 12, 1));
const FIRST_DAY = monthStart[0]!;
const dayMonth = new Int16Array(monthStart[MONTHS]! - FIRST_DAY);
for (let i = 0; i < MONTHS; i++) dayMonth.fill(i, monthStart[i]! - FIRST_DAY, monthStart[i + 1]! - FIRST_DAY);

/** Calendar months in UTC on a day number; the 31st becomes the month's last day. */
export function addMonthsToDay(day: number, months: number): number {
  const off = day - FIRST_DAY;
  if (off < 0 || off >= dayMonth.length) return dayOf(addMonthsMs(day * DAY_MS, months));
  const m = dayMonth[off]!;
  const target = m + months;
  if (target < 0 || target >= MONTHS) return dayOf(addMonthsMs(day * DAY_MS, months));
  const dom = day - monthStart[m]!;
  const len = monthStart[target + 1]! - monthStart[target]!;
  return monthStart[target]! + Math.min(dom, len - 1);
}

function addMonthsMs(ms: number, months: number): number {
  const d = new Date(ms);
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1));
  const last = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 0)).getUTCDate();
  t.setUTCDate(Math.min(d.getUTCDate(), last));
  return t.getTime();
}

// ---------------------------------------------------------------- the rules

export function isInScope(scope: PlanScope, m: Pick<MeterFacts, "kind" | "zone" | "model" | "gatewayId">): boolean {
  if (scope.kinds?.length && !(scope.kinds as string[]).includes(m.kind)) return false;
  if (scope.zones?.length && !scope.zones.includes(m.zone)) return false;
  if (scope.model && scope.model !== m.model) return false;
  if (scope.gw && scope.gw !== m.gatewayId) return false;
  return true;
}

/** Months between visits in a zone: base divided by the zone's stress, rounded down, never under the floor. */
export function getIntervalMonths(rule: Extract<PlanRule, { kind: "interval" }>, zone: string): number {
  const f = rule.zoneFactors[zone] ?? 1;
  return Math.max(rule.floorMonths, Math.floor(rule.baseMonths / f));
}

function formatFactor(f: number): string {
  return Number.isInteger(f) ? String(f) : f.toFixed(2).replace(/0$/, "");
}

function formatMonths(n: number): string {
  if (n % 12 === 0 && n >= 24) return `every ${n / 12} years`;
  return n === 1 ? "every month" : `every ${n} months`;
}

/** The condition triggers that fire for this meter, each with its words. */
export function findFiredTriggers(t: PlanTriggers, m: MeterFacts, c: MeterConditions | undefined, today: number): { kind: TriggerKind; text: string }[] {
  const fired: { kind: TriggerKind; text: string }[] = [];
  const drift = c?.accuracyDriftPct;
  if (t.driftPct !== undefined && drift !== undefined && drift !== null && Math.abs(drift) > t.driftPct) {
    fired.push({ kind: "drift", text: `accuracy drift ${Math.abs(drift).toFixed(2)} % > ${t.driftPct} %` });
  }
  if (t.faultRate) {
    const rate = c?.faultsPerMonth?.[t.faultRate.code];
    if (rate !== undefined && rate > t.faultRate.perMonth) {
      fired.push({ kind: "fault_rate", text: `${t.faultRate.code} ${formatFactor(rate)} per month > ${t.faultRate.perMonth}` });
    }
  }
  if (t.certDays !== undefined && m.certNotAfter !== null) {
    const left = dayOf(m.certNotAfter) - today;
    if (left <= t.certDays) fired.push({ kind: "cert", text: left < 0 ? `certificate expired ${dayToIso(dayOf(m.certNotAfter))}` : `certificate expires in ${left} days` });
  }
  const v = c?.batteryV;
  if (t.batteryV !== undefined && v !== undefined && v !== null && v < t.batteryV) {
    fired.push({ kind: "battery", text: `battery ${v.toFixed(2)} V < ${t.batteryV} V` });
  }
  if (t.firmwareTarget && (m.fwMetrology !== t.firmwareTarget.metrology || m.fwComms !== t.firmwareTarget.comms)) {
    fired.push({ kind: "firmware", text: `firmware ${m.fwMetrology}/${m.fwComms} is not the target ${t.firmwareTarget.metrology}/${t.firmwareTarget.comms}` });
  }
  return fired;
}

function describeLastDone(last: LastDone | undefined, installedDay: number): string {
  if (!last) return `installed ${dayToIso(installedDay)}, never done`;
  return `last done ${dayToIso(dayOf(last.at))} (${last.source} ${last.ref})`;
}

/**
 * When a meter next needs the plan's job, and why. null when the meter is out of the plan's
 * scope or the plan cannot date it (a certificate plan for a meter without a certificate).
 * `now` is epoch ms; dates are whole UTC days.
 */
export function computeDue(plan: Plan, m: MeterFacts, last: LastDone | undefined, c: MeterConditions | undefined, now: number): DueItem | null {
  if (!isInScope(plan.scope, m)) return null;
  const today = dayOf(now);
  const installedDay = dayOf(m.installedAt);
  let ruleDay: number;
  let ruleText: string;
  if (plan.rule.kind === "interval") {
    const months = getIntervalMonths(plan.rule, m.zone);
    const f = plan.rule.zoneFactors[m.zone];
    const stress = f && f !== 1 ? `${m.zone} zone ×${formatFactor(f)} stress: ` : "";
    const floored = f && Math.floor(plan.rule.baseMonths / f) < plan.rule.floorMonths ? " (floor)" : "";
    ruleDay = addMonthsToDay(last ? dayOf(last.at) : installedDay, months);
    ruleText = `${stress}${formatMonths(months)}${floored}; ${describeLastDone(last, installedDay)}`;
  } else {
    if (m.certNotAfter === null) return null;
    const expiry = dayOf(m.certNotAfter);
    ruleDay = expiry - plan.rule.leadDays;
    // Renewed since that date: the new certificate's expiry is what counts, and it is in certNotAfter.
    ruleText = `${plan.rule.leadDays} days before the certificate expires ${dayToIso(expiry)}${last ? `; ${describeLastDone(last, installedDay)}` : ""}`;
  }
  const fired = findFiredTriggers(plan.triggers, m, c, today);
  const dueDay = fired.length ? Math.min(ruleDay, today) : ruleDay;
  const isOverdue = dueDay < today;
  const when = fired.length && ruleDay > today ? "due now" : dueDay <= today && isOverdue ? `overdue since ${dayToIso(dueDay)}` : `due ${dayToIso(dueDay)}`;
  const why = fired.length ? `${fired.map((t) => t.text).join("; ")} (by calendar ${dayToIso(ruleDay)}: ${ruleText})` : ruleText;
  return {
    meterId: m.id,
    planId: plan.id,
    jobType: plan.jobType,
    dueDate: dayToIso(dueDay),
    dueDay,
    isOverdue,
    triggers: fired.map((t) => t.kind),
    reason: `${plan.name} ${when} — ${why}`,
  };
}

// ---------------------------------------------------------------- the defaults

/** The plans a new installation starts with; a utility edits them in the Schedule area. */
export const DEFAULT_PLANS: readonly (PlanSpec & { key: string })[] = [
  {
    key: "inspection",
    name: "Inspection",
    jobType: "inspect",
    scope: {},
    rule: { kind: "interval", baseMonths: 24, zoneFactors: { "hot-humid": 2, "hot-dry": 1.5, temperate: 1, cold: 1.2 }, floorMonths: 6 },
    triggers: {},
    lookaheadDays: 30,
    enabled: false,
  },
  {
    key: "reverification",
    name: "Re-verification",
    jobType: "calibrate",
    scope: { kinds: ["electric"] },
    rule: { kind: "interval", baseMonths: 60, zoneFactors: {}, floorMonths: 12 },
    triggers: { driftPct: 0.3, faultRate: { code: "E001", perMonth: 1 } },
    lookaheadDays: 30,
    enabled: false,
  },
  {
    key: "battery-audit",
    name: "Battery audit",
    jobType: "battery_audit",
    scope: { kinds: ["gas", "water"] },
    rule: { kind: "interval", baseMonths: 12, zoneFactors: {}, floorMonths: 3 },
    triggers: { batteryV: 3.1 },
    lookaheadDays: 14,
    enabled: false,
  },
  {
    key: "supercap",
    name: "Supercap last-gasp test",
    jobType: "battery_audit",
    scope: { kinds: ["electric"] },
    rule: { kind: "interval", baseMonths: 12, zoneFactors: { "hot-humid": 1.5, "hot-dry": 1.5 }, floorMonths: 6 },
    triggers: {},
    lookaheadDays: 14,
    enabled: false,
  },
  {
    key: "cert-renewal",
    name: "Certificate renewal",
    jobType: "cert_renew",
    scope: {},
    rule: { kind: "before_cert_expiry", leadDays: 60 },
    triggers: {},
    lookaheadDays: 7,
    enabled: false,
  },
  {
    key: "firmware-integrity",
    name: "Firmware integrity check",
    jobType: "fw_verify",
    scope: {},
    rule: { kind: "interval", baseMonths: 3, zoneFactors: {}, floorMonths: 1 },
    triggers: {},
    lookaheadDays: 7,
    enabled: false,
  },
];
