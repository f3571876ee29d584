// Alert rule reads over audit_log, fleet_meters and meter_state_current. SQL fragments come
// from code (the catalogue's line conditions, the root-cause dimension expressions, the logs
// builder); every value is a {name:Type} parameter. Each read is one statement per rule.
import { z } from "zod";
import type { Catalogue, FaultSignature } from "@/lib/faults/catalogue";
import { buildGroupCountQuery, GROUP_COUNT_COLUMNS } from "@/lib/logs/sql-builder";
import type { QueryNode } from "@/lib/logs/query-parser";
import { getClickHouse, type ClickHouse } from "../client";
import { formatClickHouseTime } from "../time";
import { buildLineCondition, ROOT_CAUSE_DIMENSION_SQL, type TimeWindow } from "./faults";

const TIME = "DateTime64(3, 'UTC')";
const SAMPLE = 50;

export const ALERT_COHORTS = ["gateway", "climate_zone", "meter_model", "fw_pair"] as const;
export type AlertCohort = (typeof ALERT_COHORTS)[number];

const groupRowSchema = z.object({ g: z.string(), n: z.coerce.number(), sample: z.array(z.string()).default([]) });
export type GroupCountRow = z.infer<typeof groupRowSchema>;

async function handle(ch?: ClickHouse) {
  return ch ?? (await getClickHouse());
}

/**
 * Meters showing a line-level signature in the window, per cohort of fleet_meters (the root
 * cause's dimensions), with a sample of them. Meters not in fleet_meters count under the gateway
 * of their lines (gateway) or under "". null when the signature is a fleet-level rule.
 */
export async function getSignatureAffectedByCohort(
  input: { catalogue: Catalogue; signature: FaultSignature; window: TimeWindow; cohort: AlertCohort },
  ch?: ClickHouse,
): Promise<GroupCountRow[] | null> {
  const params: Record<string, unknown> = { from: formatClickHouseTime(input.window.from), to: formatClickHouseTime(input.window.to) };
  const line = buildLineCondition(input.catalogue, input.signature, params, "sig");
  if (line === null) return null;
  const dim = ROOT_CAUSE_DIMENSION_SQL[input.cohort];
  const affected = `SELECT meter, any(gw) AS line_gw FROM audit_log WHERE ts >= {from:${TIME}} AND ts < {to:${TIME}} AND ${line} GROUP BY meter`;
  const value = input.cohort === "gateway" ? "if(f.d = '', toString(a.line_gw), f.d)" : "f.d";
  // The fleet side is cut to the affected meters first: a 15-minute window holds few of them,
  // and reading all of fleet_meters FINAL per rule would dominate an evaluation round.
  const query = `
    SELECT ${value} AS g, count() AS n, groupArray(${SAMPLE})(a.meter) AS sample
    FROM (${affected}) AS a
    LEFT JOIN (
      SELECT meter, ${dim} AS d FROM fleet_meters FINAL
      WHERE meter IN (SELECT meter FROM audit_log WHERE ts >= {from:${TIME}} AND ts < {to:${TIME}} AND ${line})
    ) AS f ON f.meter = a.meter
    GROUP BY g
    SETTINGS join_use_nulls = 0`;
  const rows = await (await handle(ch)).queryRows<unknown>({ query, params, tag: "alerts.signature" });
  return rows.map((r) => groupRowSchema.parse(r));
}

/** Meters per cohort value (the denominator of a rate and of the lift). */
export async function getCohortSizes(cohort: AlertCohort, ch?: ClickHouse): Promise<Map<string, number>> {
  const rows = await (
    await handle(ch)
  ).queryRows<{ g: string; n: string | number }>({
    query: `SELECT ${ROOT_CAUSE_DIMENSION_SQL[cohort]} AS g, count() AS n FROM fleet_meters FINAL GROUP BY g`,
    tag: "alerts.cohort_sizes",
  });
  return new Map(rows.map((r) => [String(r.g), Number(r.n)]));
}

/** Lines matching an explorer query in the window, per allow-listed column (or fleet-wide). */
export async function getLogQueryCounts(
  input: { ast: QueryNode; window: TimeWindow; groupBy: keyof typeof GROUP_COUNT_COLUMNS | null },
  ch?: ClickHouse,
): Promise<GroupCountRow[]> {
  const { query, params } = buildGroupCountQuery({ ast: input.ast, from: input.window.from, to: input.window.to, groupBy: input.groupBy });
  const rows = await (await handle(ch)).queryRows<unknown>({ query, params, tag: "alerts.log_query" });
  return rows.map((r) => groupRowSchema.parse(r));
}

/** Meters whose certificate ends before `before` (expired included), per gateway. */
export async function getCertExpiringByGateway(input: { before: number }, ch?: ClickHouse): Promise<GroupCountRow[]> {
  const rows = await (
    await handle(ch)
  ).queryRows<unknown>({
    query: `SELECT toString(gw) AS g, count() AS n, groupArray(${SAMPLE})(meter) AS sample FROM fleet_meters FINAL
            WHERE cert_not_after < {before:${TIME}} GROUP BY g`,
    params: { before: formatClickHouseTime(input.before) },
    tag: "alerts.cert_expiry",
  });
  return rows.map((r) => groupRowSchema.parse(r));
}

/** Meters last heard before `before`, per gateway (meter_state_current: the map's "stale"). */
export async function getSilentMetersByGateway(input: { before: number }, ch?: ClickHouse): Promise<GroupCountRow[]> {
  const rows = await (
    await handle(ch)
  ).queryRows<unknown>({
    query: `SELECT toString(gw) AS g, count() AS n, groupArray(${SAMPLE})(meter) AS sample FROM meter_state_current FINAL
            WHERE last_seen < {before:${TIME}} GROUP BY g`,
    params: { before: formatClickHouseTime(input.before) },
    tag: "alerts.silent",
  });
  return rows.map((r) => groupRowSchema.parse(r));
}

/**
 * LAST_GASP lines per gateway over [from, to) with a sample of the meters behind them: the
 * count the dispatcher's storm check reads (getLastGaspCounts), plus the meters a campaign
 * hold is matched on.
 */
export async function getLastGaspByGateway(input: { from: number; to: number }, ch?: ClickHouse): Promise<GroupCountRow[]> {
  if (input.to <= input.from) return [];
  const rows = await (
    await handle(ch)
  ).queryRows<unknown>({
    query: `SELECT toString(gw) AS g, count() AS n, groupUniqArray(${SAMPLE})(meter) AS sample FROM audit_log
            WHERE code = 'LAST_GASP' AND ts >= {from:${TIME}} AND ts < {to:${TIME}}
            GROUP BY g`,
    params: { from: formatClickHouseTime(input.from), to: formatClickHouseTime(input.to) },
    tag: "alerts.last_gasp",
  });
  return rows.map((r) => groupRowSchema.parse(r));
}

/**
 * getSignatureAffectedByCohort for several line signatures over one window and cohort in one
 * scan (the rules of a round that share them): each line is counted for every signature it
 * matches. Signatures that are fleet-level rules are left out of `ids` (their rules say why).
 */
export async function getSignaturesAffectedByCohort(
  input: { catalogue: Catalogue; signatures: FaultSignature[]; window: TimeWindow; cohort: AlertCohort },
  ch?: ClickHouse,
): Promise<{ ids: Set<string>; rows: Map<string, GroupCountRow[]> }> {
  const params: Record<string, unknown> = { from: formatClickHouseTime(input.window.from), to: formatClickHouseTime(input.window.to) };
  const lines: Array<{ id: string; sql: string }> = [];
  for (const s of input.signatures) {
    const sql = buildLineCondition(input.catalogue, s, params, `s${lines.length}`);
    if (sql !== null) lines.push({ id: s.id, sql });
  }
  const out = { ids: new Set(lines.map((l) => l.id)), rows: new Map<string, GroupCountRow[]>() };
  if (!lines.length) return out;
  const any = lines.map((l) => `(${l.sql})`).join(" OR ");
  const which = `arrayFilter(x -> x > 0, [${lines.map((l, i) => `if(${l.sql}, ${i + 1}, 0)`).join(", ")}])`;
  const dim = ROOT_CAUSE_DIMENSION_SQL[input.cohort];
  const value = input.cohort === "gateway" ? "if(f.d = '', toString(a.line_gw), f.d)" : "f.d";
  const query = `
    SELECT a.sig AS sig, ${value} AS g, count() AS n, groupArray(${SAMPLE})(a.meter) AS sample
    FROM (
      SELECT meter, sig, any(gw) AS line_gw FROM audit_log
      ARRAY JOIN ${which} AS sig
      WHERE ts >= {from:${TIME}} AND ts < {to:${TIME}} AND (${any})
      GROUP BY meter, sig
    ) AS a
    LEFT JOIN (
      SELECT meter, ${dim} AS d FROM fleet_meters FINAL
      WHERE meter IN (SELECT meter FROM audit_log WHERE ts >= {from:${TIME}} AND ts < {to:${TIME}} AND (${any}))
    ) AS f ON f.meter = a.meter
    GROUP BY sig, g
    SETTINGS join_use_nulls = 0`;
  const rows = await (await handle(ch)).queryRows<Record<string, unknown>>({ query, params, tag: "alerts.signatures" });
  for (const r of rows) {
    const id = lines[Number(r.sig) - 1]!.id;
    const list = out.rows.get(id) ?? [];
    list.push(groupRowSchema.parse(r));
    out.rows.set(id, list);
  }
  return out;
}
