// What each rule kind reads, turned into observations by lib/alerts/conditions.ts.
// ClickHouse through lib/clickhouse/queries (parameters only), campaigns through lib/db.
// A round shares reads that do not depend on the rule (cohort sizes, LAST_GASP counts,
// anomalies per window) through RoundCache, so 200 rules cost one read of each.
import type { ClickHouse } from "@/lib/clickhouse/client";
import {
  getCertExpiringByGateway,
  getCohortSizes,
  getLastGaspByGateway,
  getLogQueryCounts,
  getSignatureAffectedByCohort,
  getSignaturesAffectedByCohort,
  getSilentMetersByGateway,
  type AlertCohort,
} from "@/lib/clickhouse/queries/alerts";
import { findCampaignSnapshots } from "@/lib/db/alerts";
import { getAnomalies } from "@/lib/troubleshooting/fault-analysis";
import { CATALOGUE, findSignature, type Catalogue } from "@/lib/faults/catalogue";
import { parseQuery } from "@/lib/logs/query-parser";
import { AppError } from "@/lib/errors";
import { anomalyObservations, campaignEventObservations, faultSignatureObservations, lastGaspObservations, logQueryObservations, meterCountObservations } from "./conditions";
import type { RuleDefinition } from "./rules";
import type { Observation } from "./state";

export interface SourceDeps {
  ch?: ClickHouse;
  catalogue?: Catalogue;
  /** The server's STALE_AFTER in ms. */
  staleAfterMs: number;
  cache?: RoundCache;
}

/** Reads shared by the rules of one evaluation round (keyed by what they read). */
export class RoundCache {
  private readonly entries = new Map<string, Promise<unknown>>();
  /** The entry if some earlier caller started it. */
  peek<T>(key: string): Promise<T> | undefined {
    return this.entries.get(key) as Promise<T> | undefined;
  }
  /** Keeps the newest `n` entries (a cache that outlives a round). */
  trim(n: number) {
    while (this.entries.size > n) this.entries.delete(this.entries.keys().next().value!);
  }
  get<T>(key: string, read: () => Promise<T>): Promise<T> {
    let p = this.entries.get(key) as Promise<T> | undefined;
    if (!p) {
      p = read();
      this.entries.set(key, p);
      p.catch(() => this.entries.delete(key));
    }
    return p;
  }
}

const ANOMALY_GRID_MS = 5 * 60_000;
/** Anomaly reads across rounds (see the anomaly case); keyed by window and grid time. */
const anomalyCache = new RoundCache();

const toCohort = (groupBy: string): AlertCohort => (groupBy === "fleet" ? "gateway" : (groupBy as AlertCohort));

type SignatureBatch = Awaited<ReturnType<typeof getSignaturesAffectedByCohort>>;
const signatureBatchKey = (windowMinutes: number, cohort: AlertCohort, now: number) => `sigs:${windowMinutes}:${cohort}:${now}`;

/**
 * Starts one read per (window, cohort) for the fault-signature rules of a round that share
 * them: at 100 M lines, 120 such rules read one by one took most of a 10 s round.
 */
export function prefetchSignatureRules(defs: RuleDefinition[], now: number, deps: SourceDeps & { cache: RoundCache }): void {
  const groups = new Map<string, { windowMinutes: number; cohort: AlertCohort; ids: Set<string> }>();
  for (const d of defs) {
    if (d.kind !== "fault_signature") continue;
    const cohort = toCohort(d.params.groupBy);
    const key = signatureBatchKey(d.params.windowMinutes, cohort, now);
    const g = groups.get(key) ?? { windowMinutes: d.params.windowMinutes, cohort, ids: new Set<string>() };
    g.ids.add(d.params.signatureId);
    groups.set(key, g);
  }
  const catalogue = deps.catalogue ?? CATALOGUE;
  for (const [key, g] of groups) {
    if (g.ids.size < 2) continue;
    const signatures = [...g.ids].map((id) => findSignature(catalogue, id)).filter((s): s is NonNullable<typeof s> => s !== undefined);
    const window = { from: now - g.windowMinutes * 60_000, to: now };
    void deps.cache.get(key, () => getSignaturesAffectedByCohort({ catalogue, signatures, window, cohort: g.cohort }, deps.ch)).catch(() => {});
  }
}

/** The groups whose condition holds for `def` at `now`. Throws AppError for a rule that cannot be judged. */
export async function observeRule(def: RuleDefinition, now: number, deps: SourceDeps): Promise<Observation[]> {
  const cache = deps.cache ?? new RoundCache();
  const ch = deps.ch;
  switch (def.kind) {
    case "fault_signature": {
      const p = def.params;
      const catalogue = deps.catalogue ?? CATALOGUE;
      const signature = findSignature(catalogue, p.signatureId);
      if (!signature) throw new AppError("invalid", `Unknown fault signature ${p.signatureId}`);
      const cohort = toCohort(p.groupBy);
      const window = { from: now - p.windowMinutes * 60_000, to: now };
      // The round may have read this signature with the others of the same window and cohort.
      const batch = await cache.peek<SignatureBatch>(signatureBatchKey(p.windowMinutes, cohort, now))?.catch(() => undefined);
      const rows = batch?.ids.has(signature.id) ? (batch.rows.get(signature.id) ?? []) : await getSignatureAffectedByCohort({ catalogue, signature, window, cohort }, ch);
      if (rows === null) throw new AppError("invalid", `${p.signatureId} is a fleet-level rule, not a line signature: it cannot be counted over a window`);
      const sizes = await cache.get(`sizes:${cohort}`, () => getCohortSizes(cohort, ch));
      const fleet = [...sizes.values()].reduce((a, b) => a + b, 0);
      const affected = rows.reduce((a, r) => a + r.n, 0);
      const cohorts = rows.map((r) => ({ value: r.g, affected: r.n, fleet: Math.max(sizes.get(r.g) ?? 0, r.n), meters: r.sample }));
      return faultSignatureObservations(p, cohorts, { affected, fleet: Math.max(fleet, affected) });
    }
    case "log_query": {
      const p = def.params;
      const parsed = parseQuery(p.query);
      if (!parsed.ok) throw new AppError("invalid", `Log query: ${parsed.error.message}`);
      const rows = await getLogQueryCounts({ ast: parsed.ast, window: { from: now - p.windowMinutes * 60_000, to: now }, groupBy: p.groupBy === "fleet" ? null : p.groupBy }, ch);
      return logQueryObservations(
        p,
        rows.map((r) => ({ value: r.g, n: r.n, meters: r.sample })),
      );
    }
    case "anomaly": {
      const p = def.params;
      const windowMs = p.windowMinutes * 60_000;
      // A cohort comparison over hours changes slowly and costs seconds at 100 M lines (a 7-slice
      // baseline): it is read for windows ending on a 5-minute grid and kept for the rounds in it.
      const to = Math.floor(now / ANOMALY_GRID_MS) * ANOMALY_GRID_MS;
      const list = await anomalyCache.get(`anomalies:${windowMs}:${to}:${deps.catalogue ? "custom" : "default"}`, () =>
        getAnomalies({ from: to - windowMs, to, slice: {} }, { ch, catalogue: deps.catalogue }),
      );
      anomalyCache.trim(8);
      return anomalyObservations(p, list.anomalies);
    }
    case "last_gasp": {
      const p = def.params;
      const windowMs = p.windowMinutes * 60_000;
      const rows = await cache.get(`gasp:${windowMs}`, () => getLastGaspByGateway({ from: now - windowMs, to: now }, ch));
      return lastGaspObservations(p, new Map(rows.map((r) => [r.g, r.n])), windowMs, new Map(rows.map((r) => [r.g, r.sample])));
    }
    case "cert_expiry": {
      const p = def.params;
      const rows = await cache.get(`cert:${p.withinDays}`, () => getCertExpiringByGateway({ before: now + p.withinDays * 86_400_000 }, ch));
      return meterCountObservations(
        "cert_expiry",
        p,
        rows.map((r) => ({ value: r.g, meters: r.n, sample: r.sample })),
        `within ${p.withinDays} days`,
      );
    }
    case "stale_meters": {
      const p = def.params;
      const silentMs = p.silentMinutes !== null ? p.silentMinutes * 60_000 : deps.staleAfterMs;
      const rows = await cache.get(`silent:${silentMs}`, () => getSilentMetersByGateway({ before: now - silentMs }, ch));
      return meterCountObservations(
        "stale_meters",
        p,
        rows.map((r) => ({ value: r.g, meters: r.n, sample: r.sample })),
        `for more than ${formatSpan(silentMs)}`,
      );
    }
    case "campaign_event": {
      const campaigns = await cache.get("campaigns", () => findCampaignSnapshots(now));
      return campaignEventObservations(def.params, campaigns, now);
    }
  }
}

function formatSpan(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  return `${Math.round(ms / 60_000)} min`;
}
