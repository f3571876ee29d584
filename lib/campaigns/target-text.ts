// What a campaign's target query selects, in the words of lib/fleet/slice-counts-text (the
// faults page and the map say the same): "meters behind GW-0042 with E105 in the last 24 h".
import { describeSlice, describeWindow } from "@/lib/fleet/slice-counts-text";
import { jobTypeTitle } from "@/lib/scheduling/job-types";
import type { TargetQueryInput } from "./schemas";

export function describeTargetQuery(q: TargetQueryInput): string {
  if (q.meters?.length) return `listed meters (${q.meters.length.toLocaleString("en")} ids) that the fleet knows`;
  const [fwMetrology, fwComms] = q.fw ? q.fw.split("/") : [undefined, undefined];
  const parts = [`${q.kind ? `${q.kind} meters` : "meters"} ${describeSlice({ gw: q.gw, zone: q.zone, model: q.model, fwMetrology, fwComms })}`];
  if (q.fault) parts.push(`with ${q.fault} ${describeWindow(Math.max(1, q.days ?? 7) * 86_400_000)}`);
  if (q.led) parts.push(`${q.fault ? "and" : "with"} LED ${q.led} now`);
  return parts.join(" ");
}

/** The name a prefilled form proposes, the same from the matrix, the root cause, the map and a meter: "RF analysis of meters behind GW-0042 with E105 in the last 24 h". */
export function defaultCampaignName(jobType: string, q: TargetQueryInput): string {
  const what = q.meters?.length === 1 ? q.meters[0]! : describeTargetQuery(q);
  return `${jobTypeTitle(jobType)} of ${what}`.slice(0, 120);
}
