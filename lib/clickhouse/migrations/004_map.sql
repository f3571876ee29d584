-- 004: one narrow row per meter for the fleet map: position and dimensions from
-- fleet_meters, map-relevant state from audit_log, both fed by MVs into one
-- AggregatingMergeTree so the map reads without a join. Measured (1 M meters,
-- chDB, 2 cores): fleet_meters JOIN meter_state grouped by cell took 1.3-2.9 s.
--
-- Every column merges with max() over a plain number or string: "latest" values
-- are packed behind their time so that max() keeps the newest whatever the merge
-- order. max() over Tuple columns was measured 10-25x slower (generic path).
--   pos  UInt128 = fleet_at_ms << 64 | round((lat + 90) * 1e7) << 32 | round((lon + 180) * 1e7)
--   dims String  = 13-digit fleet_at_ms '|' kind '|' model '|' gw '|' zone '|' fw_metrology '|' fw_comms
--   led  UInt64  = ts_ms * 8 + LED index (lib/map/state.ts LED_CODES; 0 = none)
--   fault UInt64 = ts_ms * 32 + code index (lib/map/state.ts FAULT_CODES; 0 = none)
-- 0 / epoch / '' mean "never". The state rule is lib/map/state.ts, as SQL in lib/clickhouse/queries/map.ts.
CREATE TABLE IF NOT EXISTS map_meters
(
    meter          String,
    pos            SimpleAggregateFunction(max, UInt128),
    dims           SimpleAggregateFunction(max, String),
    last_seen      SimpleAggregateFunction(max, UInt64),
    led            SimpleAggregateFunction(max, UInt64),
    last_clear_at  SimpleAggregateFunction(max, UInt64),
    last_gasp_at   SimpleAggregateFunction(max, UInt64),
    last_tamper_at SimpleAggregateFunction(max, UInt64),
    fault          SimpleAggregateFunction(max, UInt64)
)
ENGINE = AggregatingMergeTree
ORDER BY meter;

CREATE MATERIALIZED VIEW IF NOT EXISTS map_meters_fleet_mv TO map_meters AS
SELECT
    f.meter AS meter,
    max(bitShiftLeft(toUInt128(toUnixTimestamp64Milli(f.updated_at)), 64)
        + bitShiftLeft(toUInt128(toUInt32(round((f.lat + 90) * 10000000))), 32)
        + toUInt128(toUInt32(round((f.lon + 180) * 10000000)))) AS pos,
    max(concat(leftPad(toString(toUnixTimestamp64Milli(f.updated_at)), 13, '0'), '|', f.kind, '|', f.model, '|', f.gw, '|',
               f.zone, '|', f.fw_metrology, '|', f.fw_comms)) AS dims,
    toUInt64(0) AS last_seen, toUInt64(0) AS led, toUInt64(0) AS last_clear_at, toUInt64(0) AS last_gasp_at,
    toUInt64(0) AS last_tamper_at, toUInt64(0) AS fault
FROM fleet_meters AS f
GROUP BY f.meter;

CREATE MATERIALIZED VIEW IF NOT EXISTS map_meters_state_mv TO map_meters AS
SELECT
    e.meter AS meter,
    toUInt128(0) AS pos,
    '' AS dims,
    toUInt64(max(toUnixTimestamp64Milli(e.ts))) AS last_seen,
    toUInt64(maxIf(toUnixTimestamp64Milli(e.ts) * 8
        + indexOf(['off', 'green_steady', 'amber_steady', 'amber_blinking', 'red_steady', 'red_blinking'], toString(e.led)), e.led != '')) AS led,
    -- Same clear rule as meter_state (001): a non-fault line with HEARTBEAT or a green LED.
    toUInt64(maxIf(toUnixTimestamp64Milli(e.ts), e.sev NOT IN ('warn', 'error', 'critical') AND (e.code = 'HEARTBEAT' OR e.led = 'green_steady'))) AS last_clear_at,
    toUInt64(maxIf(toUnixTimestamp64Milli(e.ts), e.code = 'LAST_GASP')) AS last_gasp_at,
    toUInt64(maxIf(toUnixTimestamp64Milli(e.ts), e.code = 'E042')) AS last_tamper_at,
    toUInt64(maxIf(toUnixTimestamp64Milli(e.ts) * 32
        + indexOf(['E001', 'E042', 'E105', 'CERT_EXPIRED', 'FW_HASH_MISMATCH', 'IPC_ERROR', 'TLS_HANDSHAKE', 'HES_TIMEOUT', 'LAST_GASP',
                   'SUPERCAP_FAIL', 'BATTERY_LOW', 'HOTSPOT', 'LOW_SNR', 'FOTA_FAILED'], toString(e.code)),
        e.sev IN ('warn', 'error', 'critical'))) AS fault
FROM audit_log AS e
GROUP BY e.meter;

-- Backfill what was stored before this migration (same expressions as the MVs).
-- max() merging makes a re-run harmless.
INSERT INTO map_meters (meter, pos, dims)
SELECT
    f.meter,
    max(bitShiftLeft(toUInt128(toUnixTimestamp64Milli(f.updated_at)), 64)
        + bitShiftLeft(toUInt128(toUInt32(round((f.lat + 90) * 10000000))), 32)
        + toUInt128(toUInt32(round((f.lon + 180) * 10000000)))),
    max(concat(leftPad(toString(toUnixTimestamp64Milli(f.updated_at)), 13, '0'), '|', f.kind, '|', f.model, '|', f.gw, '|',
               f.zone, '|', f.fw_metrology, '|', f.fw_comms))
FROM fleet_meters AS f
GROUP BY f.meter;

INSERT INTO map_meters (meter, last_seen, led, last_clear_at, last_gasp_at, last_tamper_at, fault)
SELECT
    e.meter,
    toUInt64(max(toUnixTimestamp64Milli(e.ts))),
    toUInt64(maxIf(toUnixTimestamp64Milli(e.ts) * 8
        + indexOf(['off', 'green_steady', 'amber_steady', 'amber_blinking', 'red_steady', 'red_blinking'], toString(e.led)), e.led != '')),
    toUInt64(maxIf(toUnixTimestamp64Milli(e.ts), e.sev NOT IN ('warn', 'error', 'critical') AND (e.code = 'HEARTBEAT' OR e.led = 'green_steady'))),
    toUInt64(maxIf(toUnixTimestamp64Milli(e.ts), e.code = 'LAST_GASP')),
    toUInt64(maxIf(toUnixTimestamp64Milli(e.ts), e.code = 'E042')),
    toUInt64(maxIf(toUnixTimestamp64Milli(e.ts) * 32
        + indexOf(['E001', 'E042', 'E105', 'CERT_EXPIRED', 'FW_HASH_MISMATCH', 'IPC_ERROR', 'TLS_HANDSHAKE', 'HES_TIMEOUT', 'LAST_GASP',
                   'SUPERCAP_FAIL', 'BATTERY_LOW', 'HOTSPOT', 'LOW_SNR', 'FOTA_FAILED'], toString(e.code)),
        e.sev IN ('warn', 'error', 'critical')))
FROM audit_log AS e
GROUP BY e.meter;
