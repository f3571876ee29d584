// Keeps meter_state_current (008) in step with meter_state (011): the ingest
// writer marks the meters each committed batch touched; a loop re-merges just
// those meters every REFRESH_MS. Readers of the whole fleet (map, meters page)
// read the flat table; exact single-meter reads may still use getMeterStates.
import { CODE_LIST, LED_STATES } from "@/lib/audit/codes";
import { getClickHouse, type ClickHouse } from "./client";
import { meterStateRowSchema, type MeterState } from "./get-meter-states";

const REFRESH_MS = 500;
const CHUNK = 20_000;

// The merge of meter_state's partial rows (see 011): shared with get-meter-states.ts.
// Each column is max()ed, then decoded: UInt64 = ts_ms * 64 + 1-based list index,
// UInt128 = ts_ms << 64 | value, Tuple = (ts, text); 0 means never reported.
// Callers append WHERE, then GROUP BY meter, and pass MERGED_STATE_PARAMS.
const lowValue = (col: string) => `toUInt64(bitAnd(max(${col}), toUInt128(18446744073709551615)))`;
const measure = (col: string, decode: (bits: string) => string) => `if(max(${col}) = 0, NULL, ${decode(lowValue(col))})`;
const codeAt = (col: string) => `arrayElement({state_codes: Array(String)}, toUInt32(max(${col}) % 64))`;
const codeTime = (col: string) => `fromUnixTimestamp64Milli(toInt64(intDiv(max(${col}), 64)), 'UTC')`;

export const MERGED_STATE_PARAMS = { state_codes: [...CODE_LIST], state_leds: [...LED_STATES] };

export const MERGED_STATE_SELECT = `
  SELECT
    meter,
    max(gw).2 AS gw,
    max(last_seen) AS last_seen,
    arrayElement({state_leds: Array(String)}, toUInt32(max(led) % 64)) AS led,
    max(last_clear_at) AS clear_at,
    ${codeTime("warn")} AS warn_at,
    ${codeTime("error")} AS error_at,
    ${codeTime("critical")} AS critical_at,
    multiIf(critical_at > clear_at, 'critical', error_at > clear_at, 'error', warn_at > clear_at, 'warn', '') AS fault_sev,
    multiIf(fault_sev = 'critical', ${codeAt("critical")}, fault_sev = 'error', ${codeAt("error")},
            fault_sev = 'warn', ${codeAt("warn")}, '') AS fault_code,
    greatest(warn_at, error_at, critical_at) AS last_fault_at,
    ${measure("rssi", (b) => `reinterpretAsFloat32(toUInt32(${b}))`)} AS rssi,
    ${measure("snr", (b) => `reinterpretAsFloat32(toUInt32(${b}))`)} AS snr,
    ${measure("lqi", (b) => `toUInt8(${b})`)} AS lqi,
    ${measure("temp_c", (b) => `reinterpretAsFloat32(toUInt32(${b}))`)} AS temp_c,
    ${measure("battery_v", (b) => `reinterpretAsFloat32(toUInt32(${b}))`)} AS battery_v,
    max(fw_metrology).2 AS fw_metrology,
    max(fw_comms).2 AS fw_comms,
    ${measure("cert_not_after", (b) => `fromUnixTimestamp64Milli(toInt64(${b}), 'UTC')`)} AS cert_not_after
  FROM meter_state`;

const INSERT_COLUMNS = "meter, gw, last_seen, led, fault_code, fault_sev, last_fault_at, rssi, snr, lqi, temp_c, battery_v, fw_metrology, fw_comms, cert_not_after";

/** Re-merge the given meters into meter_state_current. */
export async function refreshMeterStates(meters: string[], ch?: ClickHouse): Promise<void> {
  if (!meters.length) return;
  const client = ch ?? (await getClickHouse());
  for (let i = 0; i < meters.length; i += CHUNK) {
    await client.execCommand({
      query: `INSERT INTO meter_state_current (${INSERT_COLUMNS})
              SELECT ${INSERT_COLUMNS} FROM (${MERGED_STATE_SELECT} WHERE meter IN {meters: Array(String)} GROUP BY meter)`,
      params: { ...MERGED_STATE_PARAMS, meters: meters.slice(i, i + CHUNK) },
    });
  }
}

/** Rebuild the whole table from meter_state (start-up after an upgrade, or a repair). */
export async function rebuildMeterStates(ch?: ClickHouse): Promise<void> {
  const client = ch ?? (await getClickHouse());
  await client.execCommand({
    query: `INSERT INTO meter_state_current (${INSERT_COLUMNS})
            SELECT ${INSERT_COLUMNS} FROM (${MERGED_STATE_SELECT} GROUP BY meter)`,
    params: MERGED_STATE_PARAMS,
  });
}

/** At start: if the flat table is empty while meter_state is not (upgrade), fill it. */
export async function ensureMeterStatesBuilt(ch?: ClickHouse): Promise<void> {
  const client = ch ?? (await getClickHouse());
  const [row] = await client.queryRows<{ current: string; source: string }>({
    query: `SELECT (SELECT count() FROM meter_state_current) AS current, (SELECT count() FROM meter_state) AS source`,
    tag: "meter_state_current.check",
  });
  if (row && Number(row.current) === 0 && Number(row.source) > 0) await rebuildMeterStates(client);
}

class MeterStateSync {
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  onError: (err: unknown) => void = (err) => console.error("[meter-state] refresh failed", err);

  markTouched(meters: Iterable<string>) {
    for (const m of meters) this.pending.add(m);
    this.timer ??= setTimeout(() => void this.flush(), REFRESH_MS);
  }

  async flush(): Promise<void> {
    this.timer = null;
    if (this.running) await this.running;
    if (!this.pending.size) return;
    const batch = [...this.pending];
    this.pending.clear();
    this.running = refreshMeterStates(batch)
      .catch((err) => {
        for (const m of batch) this.pending.add(m); // retried on the next mark or flush
        this.onError(err);
      })
      .finally(() => {
        this.running = null;
      });
    await this.running;
  }
}

const g = globalThis as unknown as { __amiMeterStateSync?: MeterStateSync };
function getSync(): MeterStateSync {
  g.__amiMeterStateSync ??= new MeterStateSync();
  return g.__amiMeterStateSync;
}

/** Called by the ingest writer after a batch committed. */
export function markMetersTouched(meters: Iterable<string>): void {
  getSync().markTouched(meters);
}

/** Flush pending refreshes (shutdown, tests). */
export function flushMeterStates(): Promise<void> {
  return getSync().flush();
}

/** Latest states from the flat table (fast at fleet scale); same shape as getMeterStates. */
export async function listCurrentMeterStates({ limit }: { limit: number }, ch?: ClickHouse): Promise<MeterState[]> {
  const client = ch ?? (await getClickHouse());
  const rows = await client.queryRows<unknown>({
    query: `SELECT meter, gw, toUnixTimestamp64Milli(last_seen) AS last_seen, led, fault_code, fault_sev,
                   toUnixTimestamp64Milli(last_fault_at) AS last_fault_at, rssi, snr, lqi, temp_c, battery_v,
                   fw_metrology, fw_comms, toUnixTimestamp64Milli(cert_not_after) AS cert_not_after
            FROM meter_state_current FINAL
            ORDER BY last_seen DESC
            LIMIT {limit: UInt32}`,
    params: { limit },
    tag: "meter_state_current.list",
  });
  return rows.map((r) => meterStateRowSchema.parse(r));
}
