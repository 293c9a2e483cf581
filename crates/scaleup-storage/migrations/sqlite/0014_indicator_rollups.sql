-- Indicator roll-ups (kept parallel between the sqlite and postgres folders): every additive
-- measure of the indicator engine summed by the month of its anchor and one grain of cuts
-- (`rollup::Grain`: month alone; month and facility; month, sex, age band and arm). The store
-- changes them in the transaction that recomputes a client's facts, by what the client's old
-- rows took away and its new rows add, so a dashboard reads these cells instead of scanning a
-- programme's fact rows. Unkept cuts and absent values are '' (a key column is never NULL, so
-- that ON CONFLICT finds the cell). hub_id leads the key, as in every table of hub data.

CREATE TABLE indicator_rollups (
    hub_id       TEXT NOT NULL,
    programme_id TEXT NOT NULL,
    grain        TEXT NOT NULL,
    measure_id   TEXT NOT NULL,
    month        TEXT NOT NULL,
    facility_id  TEXT NOT NULL,
    sex          TEXT NOT NULL,
    age_band     TEXT NOT NULL,
    arm          TEXT NOT NULL,
    n            BIGINT NOT NULL,
    total        DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (hub_id, programme_id, grain, measure_id, month, facility_id, sex, age_band, arm)
);

-- The version of the roll-ups' grains and measures (`rollup::ROLLUPS_VERSION`); 0 means none
-- were computed, so the next start empties the cells and recomputes facts and cells.
ALTER TABLE indicator_state ADD COLUMN rollups_version BIGINT NOT NULL DEFAULT 0;
