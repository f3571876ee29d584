-- 010: per-minute line counts by code and sev, kept inside audit_log as an aggregate
-- projection for the log explorer's histogram. ClickHouse reads it in place of the table
-- whenever a query's keys, filters and aggregates are computable from it, so there is no
-- view or second table to keep in step, and a retried insert block dedups with its part.
-- Measured on 100 M rows, 2 cores (bench:logs): the 7-day histogram took 1.9-2.3 s from
-- the table and 19 ms from this (its parts hold ~30 rows a minute).
ALTER TABLE audit_log ADD PROJECTION IF NOT EXISTS p_hist
(
    SELECT toStartOfMinute(ts), code, sev, count()
    GROUP BY toStartOfMinute(ts), code, sev
);

-- Parts written before this migration get it by a background mutation; until a part has
-- it, the same query reads that part from the table (correct, only slower).
ALTER TABLE audit_log MATERIALIZE PROJECTION p_hist;
