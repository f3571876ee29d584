// The counts every page shows about a slice of the fleet (lib/fleet/slice-counts.ts says what
// each one means), in one read of fleet_meters. Each condition comes from the module that owns
// its meaning: "affected" from the root cause (faults.ts), "open fault" and "unhealthy" from the
// map (map.ts), so a page and the map cannot count the same question two ways.
import { z } from "zod";
import type { Catalogue, FaultSignature } from "@/lib/faults/catalogue";
import type { MapFilters } from "@/lib/map/types";
import { getClickHouse, type ClickHouse } from "../client";
import { buildAffectedCondition, buildFleetSliceClauses, type FleetRuleContext, type FleetSlice, type TimeWindow } from "./faults";
import { UNHEALTHY_SQL, buildCellFilterConditions } from "./map";

export interface SliceCountsInput {
  slice: FleetSlice;
  /** With a fault: the window it is looked for in (ends now). */
  fault?: { catalogue: Catalogue; signature: FaultSignature; window: TimeWindow; fleetRules: FleetRuleContext; isMapCode: boolean };
  now: number;
  staleAfterMs: number;
}

export interface SliceCountsRow {
  meters: number;
  withFault: number | null;
  withOpenFault: number | null;
  unhealthy: number;
}

const rowSchema = z.object({ meters: z.coerce.number(), with_fault: z.coerce.number(), open_fault: z.coerce.number(), unhealthy: z.coerce.number() });

/** SQL and params (exported for the SQL-builder test). */
export function buildSliceCountsQuery(input: SliceCountsInput): { query: string; params: Record<string, unknown>; hasFault: boolean; hasOpenFault: boolean } {
  const params: Record<string, unknown> = { staleBefore: Math.max(0, input.now - input.staleAfterMs) };
  const where = buildFleetSliceClauses(input.slice, params);
  const affected = input.fault ? buildAffectedCondition(input.fault, params) : null;
  let open: string | null = null;
  if (input.fault?.isMapCode) {
    // The map's own filter for ?fault=CODE&since=<window>: latest fault line has the code, no clear after it, raised in the window.
    const filters: MapFilters = { states: [], fault: input.fault.signature.id, since: `${Math.max(1, Math.round((input.fault.window.to - input.fault.window.from) / 60_000))}m` };
    const cell = buildCellFilterConditions(filters, input.now);
    Object.assign(params, cell.params);
    open = `cityHash64(meter) IN (SELECT cityHash64(meter) FROM map_meter_cells FINAL WHERE ${cell.conditions.join(" AND ")})`;
  }
  const query = `
    SELECT count() AS meters,
      ${affected ? `countIf(${affected})` : "0"} AS with_fault,
      ${open ? `countIf(${open})` : "0"} AS open_fault,
      countIf(cityHash64(meter) IN (SELECT cityHash64(meter) FROM map_meter_cells FINAL WHERE ${UNHEALTHY_SQL})) AS unhealthy
    FROM fleet_meters FINAL${where.length ? ` WHERE ${where.join(" AND ")}` : ""}`;
  return { query, params, hasFault: affected !== null, hasOpenFault: open !== null };
}

export async function getSliceCountsRow(input: SliceCountsInput, ch?: ClickHouse): Promise<SliceCountsRow> {
  const client = ch ?? (await getClickHouse());
  const { query, params, hasFault, hasOpenFault } = buildSliceCountsQuery(input);
  const [raw] = await client.queryRows<unknown>({ query, params, tag: "fleet.slice_counts" });
  const r = rowSchema.parse(raw ?? { meters: 0, with_fault: 0, open_fault: 0, unhealthy: 0 });
  return { meters: r.meters, withFault: hasFault ? r.with_fault : null, withOpenFault: hasOpenFault ? r.open_fault : null, unhealthy: r.unhealthy };
}
