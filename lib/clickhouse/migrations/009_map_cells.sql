-- 009: a flat, typed copy of map_meters (004) for the map's aggregations. Reading
-- map_meters means GROUP BY meter over 1 M string keys plus unpacking `dims` per
-- row: 0.5-1.4 s per cell query at 1 M meters (scripts/bench-map.ts). This table
-- holds one row per fleet meter with plain columns and the grid cell of every
-- clustering level precomputed, so a cell query is one scan grouped by a UInt32.
-- Rows are re-derived for touched meters by lib/map/cells-sync.ts (SQL in
-- lib/clickhouse/queries/map.ts); ReplacingMergeTree keeps the newest, readers use FINAL.
--   cell_L     = cx * 65536 + cy for grid level L (lib/map/cells.ts cellId; cells of 360 / 2^L degrees)
--   base_state = the map state (lib/map/state.ts) without the time-dependent `stale`
--                rule; readers apply it: base_state < 4 AND last_seen < now - STALE_AFTER -> 5.
--   fault_code = index in lib/map/state.ts FAULT_CODES of the latest fault line (0 = none),
--   fault_at   = its time (ms), fault_open = no clear line after it.
CREATE TABLE IF NOT EXISTS map_meter_cells
(
    meter        String,
    lon          Float32,
    lat          Float32,
    cell_3  UInt32, cell_4  UInt32, cell_5  UInt32, cell_6  UInt32, cell_7  UInt32,
    cell_8  UInt32, cell_9  UInt32, cell_10 UInt32, cell_11 UInt32, cell_12 UInt32,
    cell_13 UInt32, cell_14 UInt32, cell_15 UInt32, cell_16 UInt32,
    kind         LowCardinality(String),
    model        LowCardinality(String),
    gw           LowCardinality(String),
    zone         LowCardinality(String),
    fw_metrology LowCardinality(String),
    fw_comms     LowCardinality(String),
    last_seen    UInt64,
    base_state   UInt8,
    fault_code   UInt8,
    fault_at     UInt64,
    fault_open   Bool,
    refreshed_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = ReplacingMergeTree(refreshed_at)
ORDER BY meter;

-- Which meters changed: every block written to map_meters (by 004's MVs from
-- fleet_meters and audit_log, or a backfill) names its meters here. The sync
-- loop reads the rows after its watermark; a day of history covers restarts.
CREATE TABLE IF NOT EXISTS map_touched
(
    meter String,
    at    DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY at
TTL toDateTime(at) + INTERVAL 1 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS map_touched_mv TO map_touched AS
SELECT DISTINCT m.meter AS meter
FROM map_meters AS m;
