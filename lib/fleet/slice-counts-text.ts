// What the slice counts are, in words: one sentence per count, the same on every page
// ("223 meters behind GW-0042 · 49 with E105 in the last 24 h"). Pure, no server imports,
// so client components (the map's gateway popup) can say it the same way.

/** The part of the fleet counted: the meter's current gateway, zone, kind, model, firmware pair. */
export interface SliceSpec {
  gw?: string;
  zone?: string;
  kind?: string;
  model?: string;
  fwMetrology?: string;
  fwComms?: string;
}

/**
 * The counts of a slice, all of meters in fleet_meters (the fleet as imported, on its current gateway):
 * - meters: every meter in the slice ("223 meters behind GW-0042");
 * - withFault: of those, meters with at least one audit line of the fault (codes and their vendor
 *   aliases, an LED state or a threshold) in the window ending now: the root cause's "affected"
 *   and a campaign's "fault seen in the last N days" ("49 with E105 in the last 24 h");
 * - withOpenFault: of those, meters whose latest fault line has the code, with no clear after it,
 *   raised in the window: what the map shows for ?fault=CODE&since=… ("12 with E105 open now");
 * - unhealthy: of those, meters the map draws as comms link failure, critical metrology fault,
 *   tamper or offline now ("8 unhealthy now").
 * null: not asked (no fault), or not countable (open faults exist for log codes only).
 */
export interface SliceCounts {
  meters: number;
  withFault: number | null;
  withOpenFault: number | null;
  unhealthy: number;
}

/** "behind GW-0042", "electric meters in climate zone hot-dry", "in the fleet". */
export function describeSlice(slice: SliceSpec): string {
  const parts: string[] = [];
  if (slice.gw) parts.push(`behind ${slice.gw}`);
  if (slice.zone) parts.push(`in climate zone ${slice.zone}`);
  if (slice.model) parts.push(`of model ${slice.model}`);
  if (slice.fwMetrology || slice.fwComms) parts.push(`on firmware ${slice.fwMetrology ?? "any"}/${slice.fwComms ?? "any"}`);
  return parts.length ? parts.join(", ") : "in the fleet";
}

/** "in the last 24 h", "in the last 7 days". */
export function describeWindow(ms: number): string {
  const hours = Math.round(ms / 3_600_000);
  if (hours <= 48) return `in the last ${hours} h`;
  return `in the last ${Math.round(hours / 24)} days`;
}

function n(x: number): string {
  return x.toLocaleString("en");
}

export interface SliceCountLabel {
  key: keyof SliceCounts;
  value: number;
  text: string;
}

/** One label per count that was asked for, in the order pages show them. */
export function labelSliceCounts(counts: SliceCounts, spec: { slice: SliceSpec; fault?: string; windowMs?: number }): SliceCountLabel[] {
  const kind = spec.slice.kind ? `${spec.slice.kind} meters` : "meters";
  const out: SliceCountLabel[] = [{ key: "meters", value: counts.meters, text: `${n(counts.meters)} ${kind} ${describeSlice(spec.slice)}` }];
  const window = spec.windowMs !== undefined ? describeWindow(spec.windowMs) : "";
  if (spec.fault && counts.withFault !== null) out.push({ key: "withFault", value: counts.withFault, text: `${n(counts.withFault)} with ${spec.fault} ${window}`.trim() });
  if (spec.fault && counts.withOpenFault !== null) out.push({ key: "withOpenFault", value: counts.withOpenFault, text: `${n(counts.withOpenFault)} with ${spec.fault} open now` });
  out.push({ key: "unhealthy", value: counts.unhealthy, text: `${n(counts.unhealthy)} unhealthy now` });
  return out;
}

/** The labels joined: "223 meters behind GW-0042 · 49 with E105 in the last 24 h · 12 with E105 open now · 8 unhealthy now". */
export function describeSliceCounts(counts: SliceCounts, spec: { slice: SliceSpec; fault?: string; windowMs?: number }): string {
  return labelSliceCounts(counts, spec)
    .map((l) => l.text)
    .join(" · ");
}
