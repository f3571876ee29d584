-- 011: meter_state (001) rebuilt with plain max() columns instead of argMaxIf states.
-- Each "latest value of a field" is one number whose high bits are the event time
-- and whose low bits are the value, so max() of it is the value at the newest event
-- (ties on the same millisecond go to the larger value: deterministic):
--   led, warn/error/critical  UInt64  = ts_ms * 64 + 1-based index into the lists below
--   rssi, snr, lqi, temp_c,   UInt128 = ts_ms << 64 | value (Float32 bits, UInt8,
--   battery_v, cert_not_after           or cert expiry in ms)
--   gw, fw_metrology, fw_comms Tuple(ts, String): free text, no closed list
-- 0 (or the empty tuple) means "never reported". Decoding is in meter-state-current.ts.
--
-- Measured (2 M generated lines in 100 k batches through the app's sink, chDB, 2 cores,
-- scripts/ingest-insert-experiment.ts): inserting into audit_log took 40.7-43.5 s with the
-- argMaxIf view, 28-33 s with Tuple(ts, value) columns, 23.8 s with this layout and
-- 12.7-17.6 s with no state view at all. Reads merge the same way (max, GROUP BY meter).
--
-- The code and LED lists are lib/audit/codes.ts's CODE_LIST and LED_STATES in order
-- (migrate.test.ts checks it). They may only grow at the end: a new code needs a new
-- migration that recreates the view with the longer list.
DROP VIEW IF EXISTS meter_state_mv;

DROP TABLE IF EXISTS meter_state;

CREATE TABLE meter_state
(
    meter          String,
    gw             SimpleAggregateFunction(max, Tuple(DateTime64(3, 'UTC'), String)),
    last_seen      SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    led            SimpleAggregateFunction(max, UInt64),
    last_clear_at  SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    warn           SimpleAggregateFunction(max, UInt64),
    error          SimpleAggregateFunction(max, UInt64),
    critical       SimpleAggregateFunction(max, UInt64),
    rssi           SimpleAggregateFunction(max, UInt128),
    snr            SimpleAggregateFunction(max, UInt128),
    lqi            SimpleAggregateFunction(max, UInt128),
    temp_c         SimpleAggregateFunction(max, UInt128),
    battery_v      SimpleAggregateFunction(max, UInt128),
    fw_metrology   SimpleAggregateFunction(max, Tuple(DateTime64(3, 'UTC'), String)),
    fw_comms       SimpleAggregateFunction(max, Tuple(DateTime64(3, 'UTC'), String)),
    cert_not_after SimpleAggregateFunction(max, UInt128)
)
ENGINE = AggregatingMergeTree
ORDER BY meter;

CREATE MATERIALIZED VIEW meter_state_mv TO meter_state AS
SELECT
    e.meter AS meter,
    maxIf((e.ts, toString(e.gw)), e.gw != '') AS gw,
    max(e.ts) AS last_seen,
    maxIf(toUInt64(toUnixTimestamp64Milli(e.ts)) * 64
          + indexOf(['off', 'green_steady', 'amber_steady', 'amber_blinking', 'red_steady', 'red_blinking'], toString(e.led)), e.led != '') AS led,
    -- A clear: a non-fault line that is a HEARTBEAT or shows a green LED.
    maxIf(e.ts, e.sev NOT IN ('warn', 'error', 'critical') AND (e.code = 'HEARTBEAT' OR e.led = 'green_steady')) AS last_clear_at,
    maxIf(toUInt64(toUnixTimestamp64Milli(e.ts)) * 64
          + indexOf(['E001', 'E042', 'E105', 'CERT_EXPIRED', 'FW_HASH_MISMATCH', 'IPC_ERROR', 'TLS_HANDSHAKE', 'HES_TIMEOUT', 'LAST_GASP',
                     'SUPERCAP_FAIL', 'BATTERY_LOW', 'HOTSPOT', 'LOW_SNR', 'FOTA_FAILED', 'STEP_OK', 'HEARTBEAT'], toString(e.code)), e.sev = 'warn') AS warn,
    maxIf(toUInt64(toUnixTimestamp64Milli(e.ts)) * 64
          + indexOf(['E001', 'E042', 'E105', 'CERT_EXPIRED', 'FW_HASH_MISMATCH', 'IPC_ERROR', 'TLS_HANDSHAKE', 'HES_TIMEOUT', 'LAST_GASP',
                     'SUPERCAP_FAIL', 'BATTERY_LOW', 'HOTSPOT', 'LOW_SNR', 'FOTA_FAILED', 'STEP_OK', 'HEARTBEAT'], toString(e.code)), e.sev = 'error') AS error,
    maxIf(toUInt64(toUnixTimestamp64Milli(e.ts)) * 64
          + indexOf(['E001', 'E042', 'E105', 'CERT_EXPIRED', 'FW_HASH_MISMATCH', 'IPC_ERROR', 'TLS_HANDSHAKE', 'HES_TIMEOUT', 'LAST_GASP',
                     'SUPERCAP_FAIL', 'BATTERY_LOW', 'HOTSPOT', 'LOW_SNR', 'FOTA_FAILED', 'STEP_OK', 'HEARTBEAT'], toString(e.code)), e.sev = 'critical') AS critical,
    maxIf(bitShiftLeft(toUInt128(toUnixTimestamp64Milli(e.ts)), 64) + reinterpretAsUInt32(assumeNotNull(e.rssi)), e.rssi IS NOT NULL) AS rssi,
    maxIf(bitShiftLeft(toUInt128(toUnixTimestamp64Milli(e.ts)), 64) + reinterpretAsUInt32(assumeNotNull(e.snr)), e.snr IS NOT NULL) AS snr,
    maxIf(bitShiftLeft(toUInt128(toUnixTimestamp64Milli(e.ts)), 64) + assumeNotNull(e.lqi), e.lqi IS NOT NULL) AS lqi,
    maxIf(bitShiftLeft(toUInt128(toUnixTimestamp64Milli(e.ts)), 64) + reinterpretAsUInt32(assumeNotNull(e.temp_c)), e.temp_c IS NOT NULL) AS temp_c,
    maxIf(bitShiftLeft(toUInt128(toUnixTimestamp64Milli(e.ts)), 64) + reinterpretAsUInt32(assumeNotNull(e.battery_v)), e.battery_v IS NOT NULL) AS battery_v,
    maxIf((e.ts, toString(e.fw_metrology)), e.fw_metrology != '') AS fw_metrology,
    maxIf((e.ts, toString(e.fw_comms)), e.fw_comms != '') AS fw_comms,
    maxIf(bitShiftLeft(toUInt128(toUnixTimestamp64Milli(e.ts)), 64) + toUInt64(toUnixTimestamp64Milli(assumeNotNull(e.cert_not_after))),
          e.cert_not_after IS NOT NULL) AS cert_not_after
FROM audit_log AS e
GROUP BY e.meter;

-- Existing lines (an install upgraded from 001's layout): the same aggregation once.
INSERT INTO meter_state
SELECT
    e.meter AS meter,
    maxIf((e.ts, toString(e.gw)), e.gw != '') AS gw,
    max(e.ts) AS last_seen,
    maxIf(toUInt64(toUnixTimestamp64Milli(e.ts)) * 64
          + indexOf(['off', 'green_steady', 'amber_steady', 'amber_blinking', 'red_steady', 'red_blinking'], toString(e.led)), e.led != '') AS led,
    -- A clear: a non-fault line that is a HEARTBEAT or shows a green LED.
    maxIf(e.ts, e.sev NOT IN ('warn', 'error', 'critical') AND (e.code = 'HEARTBEAT' OR e.led = 'green_steady')) AS last_clear_at,
    maxIf(toUInt64(toUnixTimestamp64Milli(e.ts)) * 64
          + indexOf(['E001', 'E042', 'E105', 'CERT_EXPIRED', 'FW_HASH_MISMATCH', 'IPC_ERROR', 'TLS_HANDSHAKE', 'HES_TIMEOUT', 'LAST_GASP',
                     'SUPERCAP_FAIL', 'BATTERY_LOW', 'HOTSPOT', 'LOW_SNR', 'FOTA_FAILED', 'STEP_OK', 'HEARTBEAT'], toString(e.code)), e.sev = 'warn') AS warn,
    maxIf(toUInt64(toUnixTimestamp64Milli(e.ts)) * 64
          + indexOf(['E001', 'E042', 'E105', 'CERT_EXPIRED', 'FW_HASH_MISMATCH', 'IPC_ERROR', 'TLS_HANDSHAKE', 'HES_TIMEOUT', 'LAST_GASP',
                     'SUPERCAP_FAIL', 'BATTERY_LOW', 'HOTSPOT', 'LOW_SNR', 'FOTA_FAILED', 'STEP_OK', 'HEARTBEAT'], toString(e.code)), e.sev = 'error') AS error,
    maxIf(toUInt64(toUnixTimestamp64Milli(e.ts)) * 64
          + indexOf(['E001', 'E042', 'E105', 'CERT_EXPIRED', 'FW_HASH_MISMATCH', 'IPC_ERROR', 'TLS_HANDSHAKE', 'HES_TIMEOUT', 'LAST_GASP',
                     'SUPERCAP_FAIL', 'BATTERY_LOW', 'HOTSPOT', 'LOW_SNR', 'FOTA_FAILED', 'STEP_OK', 'HEARTBEAT'], toString(e.code)), e.sev = 'critical') AS critical,
    maxIf(bitShiftLeft(toUInt128(toUnixTimestamp64Milli(e.ts)), 64) + reinterpretAsUInt32(assumeNotNull(e.rssi)), e.rssi IS NOT NULL) AS rssi,
    maxIf(bitShiftLeft(toUInt128(toUnixTimestamp64Milli(e.ts)), 64) + reinterpretAsUInt32(assumeNotNull(e.snr)), e.snr IS NOT NULL) AS snr,
    maxIf(bitShiftLeft(toUInt128(toUnixTimestamp64Milli(e.ts)), 64) + assumeNotNull(e.lqi), e.lqi IS NOT NULL) AS lqi,
    maxIf(bitShiftLeft(toUInt128(toUnixTimestamp64Milli(e.ts)), 64) + reinterpretAsUInt32(assumeNotNull(e.temp_c)), e.temp_c IS NOT NULL) AS temp_c,
    maxIf(bitShiftLeft(toUInt128(toUnixTimestamp64Milli(e.ts)), 64) + reinterpretAsUInt32(assumeNotNull(e.battery_v)), e.battery_v IS NOT NULL) AS battery_v,
    maxIf((e.ts, toString(e.fw_metrology)), e.fw_metrology != '') AS fw_metrology,
    maxIf((e.ts, toString(e.fw_comms)), e.fw_comms != '') AS fw_comms,
    maxIf(bitShiftLeft(toUInt128(toUnixTimestamp64Milli(e.ts)), 64) + toUInt64(toUnixTimestamp64Milli(assumeNotNull(e.cert_not_after))),
          e.cert_not_after IS NOT NULL) AS cert_not_after
FROM audit_log AS e
GROUP BY e.meter;
