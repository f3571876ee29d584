// The matrix page's URL state: window, fleet slice, selected signature and tab.
import { z } from "zod";
import { WINDOWS, type FleetSlice, type WindowKey } from "@/lib/troubleshooting/fault-analysis";

const text = z.string().trim().max(64).optional().catch(undefined);

export const faultsSearchSchema = z.object({
  window: z
    .enum(Object.keys(WINDOWS) as [WindowKey, ...WindowKey[]])
    .catch("24h")
    .default("24h"),
  gw: text,
  zone: text,
  kind: text,
  model: text,
  /** "<metrology>/<comms>", as on the map. */
  fw: z
    .string()
    .trim()
    .regex(/^[^/]{1,32}\/[^/]{1,32}$/)
    .optional()
    .catch(undefined),
  sig: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]{1,63}$/)
    .optional()
    .catch(undefined),
  tab: z.enum(["matrix", "led"]).catch("matrix").default("matrix"),
});
export type FaultsSearch = z.infer<typeof faultsSearchSchema>;

/** Next gives string | string[] | undefined per key; take the first of each. */
export function parseFaultsSearch(raw: Record<string, string | string[] | undefined>): FaultsSearch {
  const first = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
  return faultsSearchSchema.parse(first);
}

export function sliceOf(s: FaultsSearch): FleetSlice {
  const [fwMetrology, fwComms] = s.fw ? s.fw.split("/") : [undefined, undefined];
  return { gw: s.gw || undefined, zone: s.zone || undefined, kind: s.kind || undefined, model: s.model || undefined, fwMetrology, fwComms };
}

/** The page URL with some keys changed (undefined removes a key). */
export function faultsHref(s: FaultsSearch, change: Partial<Record<keyof FaultsSearch, string | undefined>>): string {
  const merged: Record<string, string | undefined> = { ...s, ...change };
  const params = new URLSearchParams();
  for (const key of ["window", "gw", "zone", "kind", "model", "fw", "sig", "tab"] as const) {
    const v = merged[key];
    if (v && !(key === "tab" && v === "matrix")) params.set(key, v);
  }
  return `/faults?${params.toString()}`;
}

/** This page narrowed to a slice (a root-cause cell), other state kept. */
export function faultsSliceHref(s: FaultsSearch, slice: FleetSlice, change: Partial<Record<keyof FaultsSearch, string | undefined>> = {}): string {
  const fw = slice.fwMetrology && slice.fwComms ? `${slice.fwMetrology}/${slice.fwComms}` : undefined;
  return faultsHref(s, { gw: slice.gw, zone: slice.zone, kind: slice.kind, model: slice.model, fw, ...change });
}
