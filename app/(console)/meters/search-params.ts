// The meters table's URL state: filters, sort and page. Bad values fall back to defaults.
import { z } from "zod";
import { GATEWAY_ID_RE, METER_KINDS } from "@/lib/fleet/ids";
import { CERT_WINDOWS, METER_SORTS, METER_STATES, type MeterListFilters, type MeterSort } from "@/lib/clickhouse/queries/fleet";

const text = (re: RegExp) => z.string().trim().regex(re).optional().catch(undefined);

export const metersSearchSchema = z.object({
  kind: z.enum(METER_KINDS).optional().catch(undefined),
  gw: text(GATEWAY_ID_RE),
  zone: text(/^[a-z0-9-]{1,32}$/),
  /** "<metrology>/<comms>" */
  fw: text(/^\d+\.\d+\.\d+\/\d+\.\d+\.\d+$/),
  state: z.enum(METER_STATES).optional().catch(undefined),
  cert: z.enum(CERT_WINDOWS).optional().catch(undefined),
  /** Meter id prefix, e.g. EM-00012 */
  q: text(/^[A-Z]{1,2}(-[0-9]{0,10})?$/),
  sort: z
    .enum(Object.keys(METER_SORTS) as [MeterSort, ...MeterSort[]])
    .catch("id")
    .default("id"),
  dir: z.enum(["asc", "desc"]).catch("asc").default("asc"),
  page: z.coerce.number().int().min(1).max(100_000).catch(1).default(1),
});
export type MetersSearch = z.infer<typeof metersSearchSchema>;

export const FILTER_KEYS = ["kind", "gw", "zone", "fw", "state", "cert", "q"] as const;

export function parseMetersSearch(raw: Record<string, string | string[] | undefined>): MetersSearch {
  const first = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
  return metersSearchSchema.parse(first);
}

export function filtersOf(s: MetersSearch): MeterListFilters {
  return { kind: s.kind, gateway: s.gw, zone: s.zone, firmware: s.fw, state: s.state, cert: s.cert, q: s.q };
}

/** The page URL with some keys changed (undefined removes a key); filter changes go back to page 1. */
export function metersHref(s: MetersSearch, change: Partial<Record<keyof MetersSearch, string | number | undefined>>): string {
  const merged: Record<string, string | number | undefined> = { ...s, ...change };
  const params = new URLSearchParams();
  for (const key of [...FILTER_KEYS, "sort", "dir", "page"] as const) {
    const v = merged[key];
    if (v === undefined || v === "") continue;
    if ((key === "sort" && v === "id") || (key === "dir" && v === "asc") || (key === "page" && v === 1)) continue;
    params.set(key, String(v));
  }
  const qs = params.toString();
  return qs ? `/meters?${qs}` : "/meters";
}
