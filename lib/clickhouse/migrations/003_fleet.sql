-- 003: the fleet's dimensions, copied from the relational store (Prisma) on
-- import/simulation so that the map, the fault matrix and root-cause analysis
-- join meters to their gateway, zone, model, firmware pair and install cohort
-- inside ClickHouse instead of shipping a million ids across engines.
-- ReplacingMergeTree(updated_at): a re-sync of a meter replaces its row; read
-- with FINAL (or argMax) where an update may still be unmerged.

CREATE TABLE IF NOT EXISTS fleet_meters
(
    meter            String,
    kind             LowCardinality(String),
    model            LowCardinality(String),
    gw               LowCardinality(String),
    zone             LowCardinality(String),
    timezone         LowCardinality(String),
    lat              Float64,
    lon              Float64,
    installed_at     DateTime('UTC'),
    install_year     UInt16 MATERIALIZED toYear(installed_at),
    fw_metrology     LowCardinality(String),
    fw_comms         LowCardinality(String),
    hes_version      LowCardinality(String),
    cert_not_after   DateTime64(3, 'UTC'),
    last_verified_at Nullable(DateTime('UTC')),
    updated_at       DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY meter;

CREATE TABLE IF NOT EXISTS fleet_gateways
(
    gw           String,
    name         String,
    lat          Float64,
    lon          Float64,
    backhaul     LowCardinality(String),
    max_sessions UInt16,
    zone         LowCardinality(String),
    timezone     LowCardinality(String),
    updated_at   DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY gw;
