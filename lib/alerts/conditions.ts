// Each rule kind's condition over what its queries returned: pure functions from counts
// (ClickHouse or PostgreSQL rows, fetched by lib/alerts/sources.ts) to the groups whose
// condition holds now. The maths is the console's own: lift as in the root-cause panel,
// anomalies from lib/faults/anomaly, the LAST_GASP rate as the dispatcher's gate reads it.
import type { Anomaly } from "@/lib/faults/anomaly";
import { compare, OP_TEXT, type RuleDefinition } from "./rules";
import type { Observation } from "./state";

type Params<K extends RuleDefinition["kind"]> = Extract<RuleDefinition, { kind: K }>["params"];

export const GROUP_LABEL: Record<string, string> = {
  gateway: "gateway",
  gw: "gateway",
  climate_zone: "zone",
  meter_model: "model",
  fw_pair: "firmware",
  meter: "meter",
  code: "code",
  fleet: "fleet",
};

function labelsOf(groupBy: string, value: string): Record<string, string> {
  return groupBy === "fleet" ? { fleet: "all" } : { [GROUP_LABEL[groupBy] ?? groupBy]: value };
}

function groupKeyOf(groupBy: string, value: string): string {
  return groupBy === "fleet" ? "fleet" : `${GROUP_LABEL[groupBy] ?? groupBy}=${value}`;
}

function whereText(groupBy: string, value: string): string {
  return groupBy === "fleet" ? "the fleet" : value;
}

export interface CohortCount {
  value: string;
  /** Meters with the fault in the window. */
  affected: number;
  /** Meters in the cohort. */
  fleet: number;
  meters?: string[];
}

/** affectedRate(cohort) / affectedRate(fleet): the root-cause panel's lift. */
export function computeLift(cell: { affected: number; fleet: number }, total: { affected: number; fleet: number }): number {
  if (cell.fleet <= 0 || total.fleet <= 0 || total.affected <= 0) return 0;
  return cell.affected / cell.fleet / (total.affected / total.fleet);
}

export function faultSignatureObservations(params: Params<"fault_signature">, cohorts: CohortCount[], total: { affected: number; fleet: number }): Observation[] {
  const out: Observation[] = [];
  const rows = params.groupBy === "fleet" ? [{ value: "", affected: total.affected, fleet: total.fleet, meters: cohorts.flatMap((c) => c.meters ?? []).slice(0, 50) }] : cohorts;
  for (const c of rows) {
    const value = params.measure === "rate" ? (c.fleet > 0 ? c.affected / c.fleet : 0) : c.affected;
    if (!compare(value, params.op, params.threshold)) continue;
    const lift = computeLift(c, total);
    if (params.minLift !== null && params.groupBy !== "fleet" && lift < params.minLift) continue;
    const measured = params.measure === "rate" ? `${(value * 100).toFixed(1)} % of ${c.fleet} meters` : `${c.affected} meters`;
    const liftText = params.groupBy !== "fleet" && total.affected > 0 ? `, lift ${lift.toFixed(1)}` : "";
    out.push({
      groupKey: groupKeyOf(params.groupBy, c.value),
      labels: { ...labelsOf(params.groupBy, c.value), signature: params.signatureId },
      value,
      summary: `${params.signatureId} on ${whereText(params.groupBy, c.value)}: ${measured} in ${params.windowMinutes} min (${OP_TEXT[params.op]} ${params.threshold}${params.minLift !== null ? `, lift ≥ ${params.minLift}` : ""})${liftText}`,
      meters: c.meters,
    });
  }
  return out;
}

export function logQueryObservations(params: Params<"log_query">, rows: Array<{ value: string; n: number; meters?: string[] }>): Observation[] {
  // A fleet-wide count of 0 has no row: "fewer than" thresholds must still see it.
  const all = params.groupBy === "fleet" && rows.length === 0 ? [{ value: "", n: 0 }] : rows;
  return all
    .filter((r) => compare(r.n, params.op, params.threshold))
    .map((r) => ({
      groupKey: groupKeyOf(params.groupBy, r.value),
      labels: labelsOf(params.groupBy, r.value),
      value: r.n,
      summary: `${r.n} lines matching ${params.query} on ${whereText(params.groupBy, r.value)} in ${params.windowMinutes} min (${OP_TEXT[params.op]} ${params.threshold})`,
      meters: "meters" in r ? r.meters : undefined,
    }));
}

export function anomalyObservations(params: Params<"anomaly">, anomalies: Anomaly[]): Observation[] {
  return anomalies
    .filter(
      (a) =>
        Math.abs(a.z) >= params.minSigma &&
        a.n >= params.minMeters &&
        (params.dimension === "any" || a.dimension === params.dimension) &&
        (params.measures.length === 0 || params.measures.includes(a.measure)),
    )
    .map((a) => ({
      groupKey: `${a.dimension}=${a.value}/${a.measure}`,
      labels: { ...labelsOf(a.dimension, a.value), measure: a.measure },
      value: Math.abs(a.z),
      summary: a.sentence,
    }));
}

export function lastGaspObservations(params: Params<"last_gasp">, countsByGateway: Map<string, number>, windowMs: number, metersByGateway?: Map<string, string[]>): Observation[] {
  const rate = (n: number) => (n * 60_000) / windowMs;
  const rows = params.groupBy === "fleet" ? [["", [...countsByGateway.values()].reduce((a, b) => a + b, 0)] as const] : [...countsByGateway.entries()];
  return rows
    .filter(([, n]) => rate(n) > params.perMinute)
    .map(([gw, n]) => ({
      groupKey: groupKeyOf(params.groupBy, gw),
      labels: labelsOf(params.groupBy, gw),
      value: rate(n),
      summary: `LAST_GASP storm on ${whereText(params.groupBy, gw)}: ${rate(n).toFixed(1)} per minute over ${params.windowMinutes} min (> ${params.perMinute})`,
      meters: params.groupBy === "fleet" ? [...(metersByGateway?.values() ?? [])].flat().slice(0, 50) : metersByGateway?.get(gw),
    }));
}

export function meterCountObservations(
  kind: "cert_expiry" | "stale_meters",
  params: Params<"cert_expiry"> | Params<"stale_meters">,
  rows: Array<{ value: string; meters: number; sample?: string[] }>,
  detail: string,
): Observation[] {
  const all = params.groupBy === "fleet" ? [{ value: "", meters: rows.reduce((a, r) => a + r.meters, 0), sample: rows.flatMap((r) => r.sample ?? []).slice(0, 50) }] : rows;
  return all
    .filter((r) => r.meters >= params.minMeters)
    .map((r) => ({
      groupKey: groupKeyOf(params.groupBy, r.value),
      labels: labelsOf(params.groupBy, r.value),
      value: r.meters,
      summary: `${r.meters} meters ${kind === "cert_expiry" ? "with a certificate expiring" : "silent"} ${detail} on ${whereText(params.groupBy, r.value)}`,
      meters: r.sample,
    }));
}

export interface CampaignSnapshot {
  id: string;
  name: string;
  status: string;
  /** When it entered its current status (updatedAt for paused/aborted, submission for approval). */
  since: number;
  reason?: string | null;
}

export function campaignEventObservations(params: Params<"campaign_event">, campaigns: CampaignSnapshot[], now: number): Observation[] {
  const out: Observation[] = [];
  for (const c of campaigns) {
    let text: string | null = null;
    if (c.status === "paused" && params.events.includes("paused")) text = `Campaign ${c.name} is paused${c.reason ? `: ${c.reason}` : ""}`;
    else if (c.status === "aborted" && params.events.includes("aborted")) text = `Campaign ${c.name} was aborted${c.reason ? `: ${c.reason}` : ""}`;
    else if (c.status === "awaiting_approval" && params.events.includes("approval_waiting") && now - c.since >= params.approvalWaitMinutes * 60_000)
      text = `Campaign ${c.name} has waited ${Math.floor((now - c.since) / 60_000)} min for approval`;
    if (text) out.push({ groupKey: `campaign=${c.id}`, labels: { campaign: c.id }, value: 1, summary: text });
  }
  return out;
}
