// Links out of the matrix: log explorer, fleet map, campaign creation. Pure, so the
// query strings they build are unit tested.
import type { FaultSignature } from "@/lib/faults/catalogue";
import type { FleetSlice, WindowKey } from "@/lib/troubleshooting/fault-analysis";

/** Root-cause dimension -> slice key it narrows (null: the explorer/map cannot filter on it). */
const DIMENSION_SLICE: Record<string, keyof FleetSlice | "fw" | null> = {
  gateway: "gw",
  fw_pair: "fw",
  climate_zone: "zone",
  meter_model: "model",
  install_year: null,
  hes_version: null,
};

export function sliceWithCell(slice: FleetSlice, dimension: string, value: string): FleetSlice | null {
  const key = DIMENSION_SLICE[dimension];
  if (!key) return null;
  if (key === "fw") {
    const [fwMetrology, fwComms] = value.split("/");
    return { ...slice, fwMetrology, fwComms };
  }
  return { ...slice, [key]: value };
}

function quote(v: string): string {
  return /^[A-Za-z0-9_.-]+$/.test(v) ? v : `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** Explorer query for a signature's lines; audit_log columns only (zone/model/kind are fleet facts). */
export function explorerQuery(signature: Pick<FaultSignature, "match">, slice: FleetSlice): string | null {
  const m = signature.match;
  const terms: string[] = [];
  if (m.type === "codes") terms.push(m.codes.length === 1 ? `code:${quote(m.codes[0]!)}` : `code:(${m.codes.map(quote).join(" OR ")})`);
  else if (m.type === "led") terms.push(`led:${m.led}`);
  else if (m.type === "threshold" && ["rssi", "lqi", "snr", "temp_c", "battery_v", "accuracy_err_pct"].includes(m.measure) && m.op !== "abs_gt") {
    const op = { lt: "<", lte: "<=", gt: ">", gte: ">=" }[m.op];
    terms.push(`${m.measure}:${op}${m.threshold}`);
  } else return null;
  if (slice.gw) terms.push(`gw:${quote(slice.gw)}`);
  if (slice.fwMetrology) terms.push(`fw_metrology:${quote(slice.fwMetrology)}`);
  if (slice.fwComms) terms.push(`fw_comms:${quote(slice.fwComms)}`);
  return terms.join(" ");
}

export function explorerHref(signature: Pick<FaultSignature, "match">, slice: FleetSlice, range: WindowKey): string | null {
  const q = explorerQuery(signature, slice);
  return q === null ? null : `/logs?${new URLSearchParams({ q, range }).toString()}`;
}

function sliceParams(slice: FleetSlice): Record<string, string> {
  const out: Record<string, string> = {};
  if (slice.gw) out.gw = slice.gw;
  if (slice.zone) out.zone = slice.zone;
  if (slice.kind) out.kind = slice.kind;
  if (slice.model) out.model = slice.model;
  if (slice.fwMetrology && slice.fwComms) out.fw = `${slice.fwMetrology}/${slice.fwComms}`;
  return out;
}

export function mapHref(signatureId: string, slice: FleetSlice, range: WindowKey): string {
  return `/map?${new URLSearchParams({ fault: signatureId, ...sliceParams(slice), since: range }).toString()}`;
}

/** Campaign creation prefilled with the remediation step, fault, window length and slice. */
export function campaignHref(signature: Pick<FaultSignature, "id" | "remediation" | "match">, slice: FleetSlice, days: number): string | null {
  if (!signature.remediation) return null;
  const params: Record<string, string> = { jobType: signature.remediation, fault: signature.id, days: String(days), ...sliceParams(slice) };
  if (signature.match.type === "led") params.led = signature.match.led;
  return `/campaigns/new?${new URLSearchParams(params).toString()}`;
}

/** The meters list of a slice, or null when the list cannot filter on it (model). */
export function metersListHref(slice: FleetSlice): string | null {
  if (slice.model) return null;
  const params = sliceParams(slice);
  const qs = new URLSearchParams(params).toString();
  return qs ? `/meters?${qs}` : "/meters";
}
