// Plans in words for the pages (browser-safe: no server imports).
import type { PlanRule, PlanScope, PlanTriggers } from "@/lib/scheduling/maintenance";

export function describeScope(s: PlanScope): string {
  const parts = [s.kinds?.length ? s.kinds.join(" and ") + " meters" : "all meters"];
  if (s.zones?.length) parts.push(`in ${s.zones.join(", ")}`);
  if (s.model) parts.push(`model ${s.model}`);
  if (s.gw) parts.push(`on ${s.gw}`);
  return parts.join(" ");
}

export function describeRule(r: PlanRule): string {
  if (r.kind === "before_cert_expiry") return `${r.leadDays} days before the certificate expires`;
  const base = r.baseMonths % 12 === 0 && r.baseMonths >= 24 ? `every ${r.baseMonths / 12} years` : `every ${r.baseMonths} months`;
  const zones = Object.entries(r.zoneFactors).filter(([, f]) => f !== 1);
  return zones.length ? `${base}; ${zones.map(([z, f]) => `${z} ×${f}`).join(", ")}; floor ${r.floorMonths} months` : base;
}

export function describeTriggers(t: PlanTriggers): string {
  const parts: string[] = [];
  if (t.driftPct !== undefined) parts.push(`drift > ${t.driftPct} %`);
  if (t.faultRate) parts.push(`${t.faultRate.code} > ${t.faultRate.perMonth}/month`);
  if (t.certDays !== undefined) parts.push(`certificate within ${t.certDays} days`);
  if (t.batteryV !== undefined) parts.push(`battery < ${t.batteryV} V`);
  if (t.firmwareTarget) parts.push(`firmware ≠ ${t.firmwareTarget.metrology}/${t.firmwareTarget.comms}`);
  return parts.join("; ") || "none";
}
