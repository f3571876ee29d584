// The fleet counts every page shows about a slice (a gateway, a zone, a firmware pair...):
// defined once here (see SliceCounts in ./slice-counts-text for what each means) and read
// by the faults page's root cause, the meters page, the campaign preview and the map's
// gateway popup (GET /api/fleet/counts), so the same question gives the same number.
import { env } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { METER_KINDS } from "@/lib/fleet/ids";
import { CATALOGUE, findSignature } from "@/lib/faults/catalogue";
import { loadCompatibleFwPairs } from "@/lib/troubleshooting/fault-analysis";
import { FAULT_CODES } from "@/lib/map/state";
import { ensureMapCellsSync } from "@/lib/map/server/cells-sync";
import { getSliceCountsRow } from "@/lib/clickhouse/queries/slice-counts";
import type { ClickHouse } from "@/lib/clickhouse/client";
import { describeSliceCounts, labelSliceCounts, type SliceCountLabel, type SliceCounts, type SliceSpec } from "./slice-counts-text";

export type { SliceCounts, SliceSpec } from "./slice-counts-text";

export interface SliceCountsQuery {
  slice: SliceSpec;
  /** A fault signature id of the catalogue (E105, led_amber_steady, fw_pair_incompatible...). */
  fault?: string;
  /** How far back the fault is looked for; default 24 h. */
  windowMs?: number;
  now?: number;
}

export interface SliceCountsResult {
  counts: SliceCounts;
  labels: SliceCountLabel[];
  /** All labels in one line, e.g. "223 meters behind GW-0042 · 49 with E105 in the last 24 h · 12 with E105 open now · 8 unhealthy now". */
  text: string;
}

export const DEFAULT_COUNT_WINDOW_MS = 24 * 3_600_000;

/** The counts of a slice, with their labels. Throws AppError(invalid) for an unknown fault. */
export async function getSliceCounts(query: SliceCountsQuery, deps: { ch?: ClickHouse; compatibleFwPairs?: string[] | null } = {}): Promise<SliceCountsResult> {
  const now = query.now ?? Date.now();
  const windowMs = query.windowMs ?? DEFAULT_COUNT_WINDOW_MS;
  if (!(windowMs > 0)) throw new AppError("invalid", "The count window must be positive.");
  const signature = query.fault ? findSignature(CATALOGUE, query.fault) : undefined;
  if (query.fault && !signature) throw new AppError("invalid", `No fault signature ${query.fault} in catalogue ${CATALOGUE.version}.`);
  // Open faults and health are read from map_meter_cells, which the map's sync keeps current.
  if (!deps.ch) await ensureMapCellsSync();
  const fleetRules = { compatibleFwPairs: deps.compatibleFwPairs !== undefined ? deps.compatibleFwPairs : signature?.match.type === "rule" ? await loadCompatibleFwPairs() : null };
  const counts = await getSliceCountsRow(
    {
      slice: query.slice,
      fault: signature
        ? {
            catalogue: CATALOGUE,
            signature,
            window: { from: now - windowMs, to: now },
            fleetRules,
            isMapCode:
              signature.match.type === "codes" &&
              signature.match.codes.length === 1 &&
              signature.match.codes[0] === signature.id &&
              (FAULT_CODES as readonly string[]).indexOf(signature.id) > 0,
          }
        : undefined,
      now,
      staleAfterMs: env.STALE_AFTER,
    },
    deps.ch,
  );
  const spec = { slice: query.slice, fault: signature?.id, windowMs };
  return { counts, labels: labelSliceCounts(counts, spec), text: describeSliceCounts(counts, spec) };
}

const WINDOW_RE = /^(\d{1,4})(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * ?gw=&zone=&kind=&model=&fw=<metrology>/<comms>&fault=&since=24h (the map's and the faults page's
 * link parameters) -> a query. Throws AppError(invalid) naming the bad parameter.
 */
export function parseSliceCountsParams(sp: URLSearchParams): SliceCountsQuery {
  const text = (key: string, re: RegExp): string | undefined => {
    const v = sp.get(key)?.trim();
    if (!v) return undefined;
    if (!re.test(v)) throw new AppError("invalid", `${key}: not a valid value`);
    return v;
  };
  const slice: SliceSpec = {};
  const gw = text("gw", /^[A-Za-z0-9_.:-]{1,64}$/);
  if (gw) slice.gw = gw;
  const zone = text("zone", /^[A-Za-z0-9_ .-]{1,64}$/);
  if (zone) slice.zone = zone;
  const kind = text("kind", new RegExp(`^(${METER_KINDS.join("|")})$`));
  if (kind) slice.kind = kind;
  const model = text("model", /^[A-Za-z0-9_ .+-]{1,64}$/);
  if (model) slice.model = model;
  const fw = text("fw", /^[0-9A-Za-z.+_-]{0,32}\/[0-9A-Za-z.+_-]{0,32}$/);
  if (fw) {
    const [m, c] = fw.split("/");
    if (m) slice.fwMetrology = m;
    if (c) slice.fwComms = c;
  }
  const fault = text("fault", /^[A-Za-z0-9_.:-]{1,64}$/);
  const since = text("since", WINDOW_RE);
  const m = since ? WINDOW_RE.exec(since) : null;
  const windowMs = m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : undefined;
  return { slice, ...(fault ? { fault } : {}), ...(windowMs ? { windowMs } : {}) };
}
