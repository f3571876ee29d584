-- 008: a flat, read-optimised copy of meter_state for the map and fleet tables.
-- meter_state (001) is exact and mergeable but every read re-merges 14
-- aggregate states per meter: > 10 s for 1 M meters on 2 cores. This table
-- holds the merged result as plain columns, refreshed for the meters each
-- committed ingest batch touched (lib/clickhouse/meter-state-current.ts), so a
-- full-fleet read is one scan of ~1 M narrow rows. ReplacingMergeTree keeps the
-- newest refresh per meter; readers use FINAL.
CREATE TABLE IF NOT EXISTS meter_state_current
(
    meter          String,
    gw             LowCardinality(String),
    last_seen      DateTime64(3, 'UTC'),
    led            LowCardinality(String),
    fault_code     LowCardinality(String),
    fault_sev      LowCardinality(String),
    last_fault_at  DateTime64(3, 'UTC'),
    rssi           Nullable(Float32),
    snr            Nullable(Float32),
    lqi            Nullable(UInt8),
    temp_c         Nullable(Float32),
    battery_v      Nullable(Float32),
    fw_metrology   LowCardinality(String),
    fw_comms       LowCardinality(String),
    cert_not_after Nullable(DateTime64(3, 'UTC')),
    refreshed_at   DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = ReplacingMergeTree(refreshed_at)
ORDER BY meter;
