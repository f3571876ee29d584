-- 005: pre-aggregated fault counts for the troubleshooting matrix (lib/clickhouse/queries/faults.ts).
-- A matrix over 30 days counted distinct meters over every matching raw line: 5-5.7 s at
-- 10 M lines on 2 cores. Here each audit_log insert block is rolled up per (hour, key):
--   key = 'code:<code>'   every code except HEARTBEAT and STEP_OK (never faults; 90 % of lines)
--         'led:<state>'   every LED state except '' and green_steady
--         'thr:<name>'    the catalogue's threshold signatures, thresholds baked in below:
--                         snr < 15, temp_c > 60, cert_days_left <= 30, |clock_offset_s| > 1
--   events   lines per hour, and per minute of the hour (sparkline buckets need minutes)
--   meters   uniqCombined64(15) sketch of the meter ids: mergeable; exact up to 16 384 meters
--            (hash set), HyperLogLog with 2^15 cells beyond (std error ~0.6 %; worst of ~40
--            counts at 100 M lines 1.4 %, `bench-faults.ts --accuracy`). Exact uniqExact states merged 30 days x 35 k meters/hour
--            in ~8 s; the default precision (17) keeps 512 KB hash sets per hour: too slow.
-- fault_rollup_1d folds the hourly sketches per day so a 30-day window merges ~30, not 720.
-- A catalogue threshold that differs from the baked one (or a code/LED signature on a key not
-- kept here) cannot use the rollup: the query falls back to audit_log for that signature
-- (ROLLUP_THRESHOLDS in faults.ts must equal the list above). Changing a threshold here
-- needs a new migration that recreates the MV and re-fills the tables.
-- Retention: drop the same monthly partitions here as in audit_log. Deletes on audit_log do
-- not reach the rollup.

CREATE TABLE IF NOT EXISTS fault_rollup_1h
(
    hour    DateTime('UTC'),
    key     LowCardinality(String),
    events  SimpleAggregateFunction(sum, UInt64),
    -- (minute of the hour, lines) pairs, summed per minute.
    minutes SimpleAggregateFunction(sumMap, Tuple(Array(UInt8), Array(UInt64))),
    meters  AggregateFunction(uniqCombined64(15), String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (key, hour)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS fault_rollup_1d
(
    day    DateTime('UTC'),
    key    LowCardinality(String),
    events SimpleAggregateFunction(sum, UInt64),
    meters AggregateFunction(uniqCombined64(15), String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (key, day)
SETTINGS non_replicated_deduplication_window = 10000;

-- Lean on purpose (it runs on every ingest batch): a WHERE drops the ~half of lines that
-- carry no key before the arrayJoin; NULL measures never match (ifNull(..., 0)).
CREATE MATERIALIZED VIEW IF NOT EXISTS fault_rollup_1h_mv TO fault_rollup_1h AS
SELECT
    toStartOfHour(e.ts) AS hour,
    k AS key,
    count() AS events,
    sumMap([toUInt8(toMinute(e.ts))], [toUInt64(1)]) AS minutes,
    uniqCombined64State(15)(e.meter) AS meters
FROM audit_log AS e
ARRAY JOIN arrayConcat(
    if(e.code NOT IN ('HEARTBEAT', 'STEP_OK'), [concat('code:', e.code)], []),
    if(e.led NOT IN ('', 'green_steady'), [concat('led:', e.led)], []),
    if(ifNull(e.snr < 15, 0), ['thr:snr_lt_15'], []),
    if(ifNull(e.temp_c > 60, 0), ['thr:temp_c_gt_60'], []),
    if(ifNull((toUnixTimestamp64Milli(e.cert_not_after) - toUnixTimestamp64Milli(e.ts)) / 86400000 <= 30, 0), ['thr:cert_days_left_lte_30'], []),
    if(ifNull(abs((toUnixTimestamp64Milli(e.ts) - toUnixTimestamp64Milli(e.recv_ts)) / 1000) > 1, 0), ['thr:clock_offset_s_abs_gt_1'], [])
) AS k
WHERE e.code NOT IN ('HEARTBEAT', 'STEP_OK') OR e.led NOT IN ('', 'green_steady')
   OR ifNull(e.snr < 15, 0) OR ifNull(e.temp_c > 60, 0) OR e.cert_not_after IS NOT NULL OR e.recv_ts IS NOT NULL
GROUP BY hour, key;

-- Cascade: fires on each insert into fault_rollup_1h (small blocks), not on audit_log.
CREATE MATERIALIZED VIEW IF NOT EXISTS fault_rollup_1d_mv TO fault_rollup_1d AS
SELECT toStartOfDay(h.hour) AS day, h.key AS key, sum(h.events) AS events, uniqCombined64MergeState(15)(h.meters) AS meters
FROM fault_rollup_1h AS h
GROUP BY day, key;

-- Backfill lines already stored. Runs once, before ingest starts (migrations run at startup),
-- so no line reaches the tables both through the MV and through this INSERT.
INSERT INTO fault_rollup_1h
SELECT
    toStartOfHour(e.ts) AS hour,
    k AS key,
    count() AS events,
    sumMap([toUInt8(toMinute(e.ts))], [toUInt64(1)]) AS minutes,
    uniqCombined64State(15)(e.meter) AS meters
FROM audit_log AS e
ARRAY JOIN arrayConcat(
    if(e.code NOT IN ('HEARTBEAT', 'STEP_OK'), [concat('code:', e.code)], []),
    if(e.led NOT IN ('', 'green_steady'), [concat('led:', e.led)], []),
    if(ifNull(e.snr < 15, 0), ['thr:snr_lt_15'], []),
    if(ifNull(e.temp_c > 60, 0), ['thr:temp_c_gt_60'], []),
    if(ifNull((toUnixTimestamp64Milli(e.cert_not_after) - toUnixTimestamp64Milli(e.ts)) / 86400000 <= 30, 0), ['thr:cert_days_left_lte_30'], []),
    if(ifNull(abs((toUnixTimestamp64Milli(e.ts) - toUnixTimestamp64Milli(e.recv_ts)) / 1000) > 1, 0), ['thr:clock_offset_s_abs_gt_1'], [])
) AS k
WHERE e.code NOT IN ('HEARTBEAT', 'STEP_OK') OR e.led NOT IN ('', 'green_steady')
   OR ifNull(e.snr < 15, 0) OR ifNull(e.temp_c > 60, 0) OR e.cert_not_after IS NOT NULL OR e.recv_ts IS NOT NULL
GROUP BY hour, key;
