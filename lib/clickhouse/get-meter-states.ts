// Latest state per meter from meter_state (AggregatingMergeTree fed by
// meter_state_mv, see 011). Parts are merged in the background, so a meter can
// have several partial rows: every read merges them with max and GROUP BY.
import { z } from "zod";
import { SEVERITIES } from "@/lib/audit/codes";
import { getClickHouse, type ClickHouse } from "./client";
import { MERGED_STATE_PARAMS, MERGED_STATE_SELECT } from "./meter-state-current";

export interface GetMeterStatesInput {
  /** Only these meters (primary-key lookup). */
  meters?: string[];
  /** Only meters whose latest gateway is this one. */
  gw?: string;
  limit: number;
}

const epochMsOrNull = z
  .union([z.string(), z.number()])
  .nullable()
  .transform((v) => {
    if (v === null) return null;
    const n = Number(v);
    return n > 0 ? n : null;
  });

export const meterStateRowSchema = z.object({
  meter: z.string(),
  gw: z.string(),
  last_seen: epochMsOrNull,
  led: z.string(),
  /** Worst open fault: highest severity with a fault newer than the last clear (see 001_audit_log.sql). */
  fault_code: z.string(),
  fault_sev: z.enum([...SEVERITIES, ""]),
  last_fault_at: epochMsOrNull,
  rssi: z.number().nullable(),
  snr: z.number().nullable(),
  lqi: z.number().nullable(),
  temp_c: z.number().nullable(),
  battery_v: z.number().nullable(),
  fw_metrology: z.string(),
  fw_comms: z.string(),
  cert_not_after: epochMsOrNull,
});

/** Times are epoch ms UTC (as in AuditRecord); null = never. */
export type MeterState = z.infer<typeof meterStateRowSchema>;

export async function getMeterStates(input: GetMeterStatesInput, ch?: ClickHouse): Promise<MeterState[]> {
  const client = ch ?? (await getClickHouse());
  const { meters, gw, limit } = input;
  if (meters && meters.length === 0) return [];
  const rows = await client.queryRows<unknown>({
    query: `
      SELECT meter, gw, toUnixTimestamp64Milli(last_seen) AS last_seen, led, fault_code, fault_sev,
             toUnixTimestamp64Milli(last_fault_at) AS last_fault_at, rssi, snr, lqi, temp_c, battery_v,
             fw_metrology, fw_comms, toUnixTimestamp64Milli(cert_not_after) AS cert_not_after
      FROM (${MERGED_STATE_SELECT}
            ${meters ? "WHERE meter IN {meters: Array(String)}" : ""}
            GROUP BY meter)
      ${gw !== undefined ? "WHERE gw = {gw: String}" : ""}
      ORDER BY meter
      LIMIT {limit: UInt32}`,
    params: { ...MERGED_STATE_PARAMS, limit, ...(meters ? { meters } : {}), ...(gw !== undefined ? { gw } : {}) },
    tag: "meter_state.get",
  });
  return rows.map((r) => meterStateRowSchema.parse(r));
}
