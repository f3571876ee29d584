-- 001: the audit log, its rejects, and the latest state per meter.
-- Figures quoted below come from `npx tsx scripts/ch-experiment.ts` on chDB 26.7,
-- 2 cores (see that script for the generator and the queries).

CREATE TABLE IF NOT EXISTS audit_log
(
    -- Event time at the meter. Delta turns near-sorted ms timestamps into small
    -- deltas that ZSTD packs tightly.
    ts               DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    recv_ts          Nullable(DateTime64(3, 'UTC')) CODEC(Delta, ZSTD(1)),
    -- Up to millions of distinct meters: plain String (LowCardinality dictionaries
    -- stop paying off past ~100k distinct values per part).
    meter            String,
    -- Small closed or slowly growing vocabularies: dictionary-encoded.
    gw               LowCardinality(String),
    code             LowCardinality(String),
    sev              LowCardinality(String),
    led              LowCardinality(String),
    step             LowCardinality(String),
    job              LowCardinality(String),
    result           LowCardinality(String),
    -- Measures are optional per line; NULL means "not reported", never 0.
    rssi             Nullable(Float32),
    lqi              Nullable(UInt8),
    snr              Nullable(Float32),
    temp_c           Nullable(Float32),
    battery_v        Nullable(Float32),
    accuracy_err_pct Nullable(Float32),
    fw_metrology     LowCardinality(String),
    fw_comms         LowCardinality(String),
    fw_sha256        LowCardinality(String),
    cert_not_after   Nullable(DateTime64(3, 'UTC')),
    msg              String CODEC(ZSTD(3)),
    attrs            Map(String, String),
    source_host      LowCardinality(String),
    source_app       LowCardinality(String),
    -- Set by the writer; kept apart from ts so clock drift and lag stay visible.
    ingested_at      DateTime64(3, 'UTC') DEFAULT now64(3) CODEC(Delta, ZSTD(1)),
    -- Stable per line (hash of source + position, see audit-rows.ts): a re-read of
    -- the same file gives the same id, and (ts, id) is a total order for keyset paging.
    id               UInt64,
    source           LowCardinality(String),

    -- Skip indexes for lookups that do not follow the sort key.
    INDEX idx_meter meter TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_gw    gw    TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_job   job   TYPE bloom_filter(0.01) GRANULARITY 1,
    -- Free text: whole-word search (hasToken, LIKE '%word%') skips granules
    -- whose token filter lacks the word.
    INDEX idx_msg   msg   TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 1,

    -- Meter lookups: a second copy sorted by (meter, ts). At 3 M rows one meter
    -- over 30 days took 116 ms with no skip index, 25 ms with the bloom filter,
    -- 5 ms (max 8) with this projection; it doubles disk (102 -> 217 MB).
    PROJECTION p_meter (SELECT * ORDER BY meter, ts)
)
ENGINE = MergeTree
-- Monthly partitions: retention is DROP PARTITION, and late or replayed lines
-- touch few partitions; daily ones multiply small parts for out-of-order input.
PARTITION BY toYYYYMM(ts)
-- ORDER BY measured on 3 M generated rows (median ms of 5; 2 shared cores, noisy):
--                     day+code top100  day by code  meter 30d  gw day  word 7d
--   (ts)                     7             5           13         6       8
--   (code, ts)               3             8           24        10       7
--   (hour(ts), code, ts)    95            61           11        30      54
--   (toDate, code, gw, ts)  23            42           15        23      14
-- (code, ts) wins the common "time range + code" filter; with 16 codes the
-- index still narrows a pure time range per code. Meters go to the projection.
ORDER BY (code, ts)
SETTINGS
    -- Plain MergeTree ignores insert_deduplication_token unless this window > 0:
    -- the hashes of the last 10000 insert blocks are kept to drop a retried batch.
    non_replicated_deduplication_window = 10000,
    -- Projections must follow lightweight deletes/merges instead of refusing them.
    deduplicate_merge_projection_mode = 'rebuild',
    lightweight_mutation_projection_mode = 'rebuild';

-- Every refused line, whole, with one reason (spec: nothing is dropped).
CREATE TABLE IF NOT EXISTS ingest_rejects
(
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3) CODEC(Delta, ZSTD(1)),
    source      LowCardinality(String),
    position    UInt64,
    reason      LowCardinality(String),
    raw         String CODEC(ZSTD(3))
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ingested_at)
ORDER BY (source, ingested_at, position)
SETTINGS non_replicated_deduplication_window = 10000;

-- Latest state per meter. AggregatingMergeTree rather than ReplacingMergeTree:
-- each measure keeps its own latest non-NULL value (a HEARTBEAT without rssi
-- must not erase the last rssi), which a whole-row replace cannot do.
-- "Latest" is by event ts, not by arrival, so out-of-order lines are harmless.
-- Measures keep a Nullable argument so a meter that never reported one reads NULL, not 0.
--
-- Worst open fault: a fault is a line with sev warn/error/critical; a clear is
-- a non-fault line with code HEARTBEAT or led green_steady. The open fault is
-- the highest severity with a fault newer than the last clear, reported with
-- the most recent code of that severity. Keeping "last time per severity" makes
-- this exact and mergeable in any order (see get-meter-states.ts).
-- Measured, 1 M meters x 3 events, unmerged parts: 100 listed meters 870 ms,
-- one gateway > 10 s (full -Merge). Too slow for the map: see the lead's notes.
CREATE TABLE IF NOT EXISTS meter_state
(
    meter            String,
    gw               AggregateFunction(argMaxIf, String, DateTime64(3, 'UTC'), UInt8),
    last_seen        SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    led              AggregateFunction(argMaxIf, String, DateTime64(3, 'UTC'), UInt8),
    last_clear_at    SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    last_warn_at     SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    last_error_at    SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    last_critical_at SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    warn_code        AggregateFunction(argMaxIf, String, DateTime64(3, 'UTC'), UInt8),
    error_code       AggregateFunction(argMaxIf, String, DateTime64(3, 'UTC'), UInt8),
    critical_code    AggregateFunction(argMaxIf, String, DateTime64(3, 'UTC'), UInt8),
    rssi             AggregateFunction(argMaxIf, Nullable(Float32), DateTime64(3, 'UTC'), UInt8),
    snr              AggregateFunction(argMaxIf, Nullable(Float32), DateTime64(3, 'UTC'), UInt8),
    lqi              AggregateFunction(argMaxIf, Nullable(UInt8), DateTime64(3, 'UTC'), UInt8),
    temp_c           AggregateFunction(argMaxIf, Nullable(Float32), DateTime64(3, 'UTC'), UInt8),
    battery_v        AggregateFunction(argMaxIf, Nullable(Float32), DateTime64(3, 'UTC'), UInt8),
    fw_metrology     AggregateFunction(argMaxIf, String, DateTime64(3, 'UTC'), UInt8),
    fw_comms         AggregateFunction(argMaxIf, String, DateTime64(3, 'UTC'), UInt8),
    cert_not_after   AggregateFunction(argMaxIf, Nullable(DateTime64(3, 'UTC')), DateTime64(3, 'UTC'), UInt8)
)
ENGINE = AggregatingMergeTree
ORDER BY meter;

-- The epoch (1970-01-01) stands for "never" in the last_*_at columns.
CREATE MATERIALIZED VIEW IF NOT EXISTS meter_state_mv TO meter_state AS
-- Source columns are qualified (e.): the output aliases reuse their names and
-- would otherwise shadow them.
SELECT
    e.meter                                                                   AS meter,
    argMaxIfState(toString(e.gw), e.ts, e.gw != '')                           AS gw,
    max(e.ts)                                                                 AS last_seen,
    argMaxIfState(toString(e.led), e.ts, e.led != '')                         AS led,
    maxIf(e.ts, e.sev NOT IN ('warn', 'error', 'critical')
                AND (e.code = 'HEARTBEAT' OR e.led = 'green_steady'))         AS last_clear_at,
    maxIf(e.ts, e.sev = 'warn')                                               AS last_warn_at,
    maxIf(e.ts, e.sev = 'error')                                              AS last_error_at,
    maxIf(e.ts, e.sev = 'critical')                                           AS last_critical_at,
    argMaxIfState(toString(e.code), e.ts, e.sev = 'warn')                     AS warn_code,
    argMaxIfState(toString(e.code), e.ts, e.sev = 'error')                    AS error_code,
    argMaxIfState(toString(e.code), e.ts, e.sev = 'critical')                 AS critical_code,
    argMaxIfState(e.rssi, e.ts, e.rssi IS NOT NULL)            AS rssi,
    argMaxIfState(e.snr, e.ts, e.snr IS NOT NULL)              AS snr,
    argMaxIfState(e.lqi, e.ts, e.lqi IS NOT NULL)              AS lqi,
    argMaxIfState(e.temp_c, e.ts, e.temp_c IS NOT NULL)        AS temp_c,
    argMaxIfState(e.battery_v, e.ts, e.battery_v IS NOT NULL)  AS battery_v,
    argMaxIfState(toString(e.fw_metrology), e.ts, e.fw_metrology != '')       AS fw_metrology,
    argMaxIfState(toString(e.fw_comms), e.ts, e.fw_comms != '')               AS fw_comms,
    argMaxIfState(e.cert_not_after, e.ts, e.cert_not_after IS NOT NULL) AS cert_not_after
FROM audit_log AS e
GROUP BY e.meter;
