// Condition data of the maintenance schedule's triggers, from audit_log: each
// meter's latest measured accuracy error and battery voltage, and its fault rate
// per month for the codes the plans watch (issue #27).
import { z } from "zod";
import { getClickHouse, type ClickHouse } from "../client";
import { formatClickHouseTime } from "../time";

const measureSchema = z.object({ meter: z.string(), drift: z.number().nullable(), battery: z.number().nullable() });
const faultSchema = z.object({ meter: z.string(), code: z.string(), n: z.coerce.number() });

export interface MeterMeasures {
  measures: z.infer<typeof measureSchema>[];
  /** Faults per month by meter and code over the window. */
  faults: { meter: string; code: string; perMonth: number }[];
}

export async function findMeterConditions(input: { now: number; days: number; codes: string[] }, ch?: ClickHouse): Promise<MeterMeasures> {
  const c = ch ?? (await getClickHouse());
  const from = formatClickHouseTime(input.now - input.days * 86_400_000);
  const to = formatClickHouseTime(input.now);
  const rows = await c.queryRows<unknown>({
    query: `SELECT meter,
                   argMaxIf(accuracy_err_pct, ts, accuracy_err_pct IS NOT NULL) AS drift,
                   argMaxIf(battery_v, ts, battery_v IS NOT NULL) AS battery
            FROM audit_log
            WHERE ts >= {from: DateTime64(3)} AND ts < {to: DateTime64(3)} AND (accuracy_err_pct IS NOT NULL OR battery_v IS NOT NULL)
            GROUP BY meter`,
    params: { from, to },
    tag: "maintenance.measures",
  });
  const measures = rows.map((r) => measureSchema.parse(r));
  let faults: MeterMeasures["faults"] = [];
  if (input.codes.length) {
    const months = input.days / 30;
    const f = await c.queryRows<unknown>({
      query: `SELECT meter, code, count() AS n FROM audit_log
              WHERE ts >= {from: DateTime64(3)} AND ts < {to: DateTime64(3)} AND code IN {codes: Array(String)}
              GROUP BY meter, code`,
      params: { from, to, codes: input.codes },
      tag: "maintenance.fault_rates",
    });
    faults = f.map((r) => faultSchema.parse(r)).map((r) => ({ meter: r.meter, code: r.code, perMonth: Math.round((r.n / months) * 100) / 100 }));
  }
  return { measures, faults };
}
