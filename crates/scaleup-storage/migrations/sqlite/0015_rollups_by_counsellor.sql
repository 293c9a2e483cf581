-- Indicator roll-ups gain a fourth grain, month and counsellor (`rollup::Grain::Counsellor`:
-- the dashboard's counsellors table), so the cell key gains counsellor_id (kept parallel
-- between the sqlite and postgres folders). The cells are derived data: the table is made
-- anew, empty, and rollups_version 0 makes the next start rebuild facts and cells together.

DROP TABLE indicator_rollups;

CREATE TABLE indicator_rollups (
    hub_id        TEXT NOT NULL,
    programme_id  TEXT NOT NULL,
    grain         TEXT NOT NULL,
    measure_id    TEXT NOT NULL,
    month         TEXT NOT NULL,
    facility_id   TEXT NOT NULL,
    counsellor_id TEXT NOT NULL,
    sex           TEXT NOT NULL,
    age_band      TEXT NOT NULL,
    arm           TEXT NOT NULL,
    n             BIGINT NOT NULL,
    total         DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (hub_id, programme_id, grain, measure_id, month, facility_id, counsellor_id, sex, age_band, arm)
);

UPDATE indicator_state SET rollups_version = 0;
