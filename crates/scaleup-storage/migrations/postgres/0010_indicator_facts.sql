-- Indicator facts (PostgreSQL; kept parallel to sqlite/0010_indicator_facts.sql). The indicator
-- engine (scaleup-indicators) counts people, not records: one row per client and one per
-- episode, derived by `facts::client_facts` from the client's records. The store recomputes a
-- client's rows at the end of every transaction that writes one of its records; triggers on
-- `records` mark the client in `indicator_dirty`, so a write path that forgets the recomputation
-- leaves a mark that the next write or the next indicator query clears. Rows here are never
-- written by SQL of their own: column names are the engine's (`facts::Col::name`).

CREATE TABLE indicator_clients (
    client_id      TEXT NOT NULL,
    hub_id         TEXT NOT NULL,
    programme_id   TEXT NOT NULL,
    facility_id    TEXT,
    counsellor_id  TEXT,
    sex            TEXT NOT NULL,
    age_band       TEXT NOT NULL,
    arm            TEXT,
    registered_on  TEXT,
    screened_on    TEXT,
    eligible_on    TEXT,
    decision       TEXT,
    decline_reason TEXT,
    enrolled_on    TEXT,
    contact_on     TEXT,
    adequate_on    TEXT,
    alert_in_care  BIGINT NOT NULL,
    aim            DOUBLE PRECISION,
    aim_on         TEXT,
    iam            DOUBLE PRECISION,
    iam_on         TEXT,
    fim            DOUBLE PRECISION,
    fim_on         TEXT,
    -- Every indicator query reads one programme's rows: stored together, in key order.
    PRIMARY KEY (programme_id, client_id)
);
CREATE UNIQUE INDEX indicator_clients_client ON indicator_clients(client_id);

CREATE TABLE indicator_episodes (
    episode_id           TEXT NOT NULL,
    client_id            TEXT NOT NULL,
    hub_id               TEXT NOT NULL,
    programme_id         TEXT NOT NULL,
    facility_id          TEXT,
    counsellor_id        TEXT,
    sex                  TEXT NOT NULL,
    age_band             TEXT NOT NULL,
    arm                  TEXT,
    contact_on           TEXT,
    enrolled_on          TEXT,
    closed_on            TEXT,
    closure_reason       TEXT,
    sessions_attended    BIGINT NOT NULL,
    sessions_missed      BIGINT NOT NULL,
    sessions_planned     BIGINT NOT NULL,
    sessions_counted     BIGINT NOT NULL,
    adequate             BIGINT NOT NULL,
    adequate_on          TEXT,
    first_session_on     TEXT,
    last_session_on      TEXT,
    last_contact_on      TEXT,
    components_planned   BIGINT NOT NULL,
    components_delivered BIGINT NOT NULL,
    fidelity             DOUBLE PRECISION,
    phq9_baseline        DOUBLE PRECISION,
    phq9_baseline_on     TEXT,
    phq9_endpoint        DOUBLE PRECISION,
    phq9_endpoint_on     TEXT,
    outcome_instrument   TEXT,
    outcome_baseline     DOUBLE PRECISION,
    outcome_baseline_on  TEXT,
    outcome_endpoint     DOUBLE PRECISION,
    outcome_endpoint_on  TEXT,
    followup_total       DOUBLE PRECISION,
    followup_on          TEXT,
    PRIMARY KEY (programme_id, episode_id)
);
CREATE INDEX indicator_episodes_client ON indicator_episodes(client_id);

-- Clients whose facts are to be recomputed (see above).
CREATE TABLE indicator_dirty (
    client_id TEXT PRIMARY KEY
);

-- Which derivation the facts come from: `facts_version` is `facts::FACTS_VERSION`, `rules` a
-- fingerprint of the protocols they used. Either differing (0 and '' here: never built) makes
-- the store rebuild every fact.
CREATE TABLE indicator_state (
    id            BIGINT PRIMARY KEY CHECK (id = 1),
    facts_version BIGINT NOT NULL,
    rules         TEXT NOT NULL
);
INSERT INTO indicator_state (id, facts_version, rules) VALUES (1, 0, '');

CREATE FUNCTION records_indicator_dirty() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.client_id IS NOT NULL THEN
        INSERT INTO indicator_dirty (client_id) VALUES (OLD.client_id) ON CONFLICT (client_id) DO NOTHING;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.client_id IS NOT NULL THEN
        INSERT INTO indicator_dirty (client_id) VALUES (NEW.client_id) ON CONFLICT (client_id) DO NOTHING;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER records_indicator_dirty AFTER INSERT OR UPDATE OR DELETE ON records
    FOR EACH ROW EXECUTE FUNCTION records_indicator_dirty();

-- Attended sessions per programme, day, facility and counsellor, kept by triggers like
-- `summary_counts` (migration 0004): adoption and supervision coverage ask which facilities and
-- counsellors delivered in a window, which this answers in a few thousand rows.
CREATE TABLE indicator_activity (
    programme_id  TEXT NOT NULL,
    day           TEXT NOT NULL,
    facility_id   TEXT NOT NULL,   -- '' when absent
    counsellor_id TEXT NOT NULL,   -- '' when absent
    sessions      BIGINT NOT NULL,
    PRIMARY KEY (programme_id, day, facility_id, counsellor_id)
);

INSERT INTO indicator_activity (programme_id, day, facility_id, counsellor_id, sessions)
SELECT programme_id, SUBSTR(occurred_on, 1, 10), COALESCE(facility_id, ''), COALESCE(counsellor_id, ''), COUNT(*)
FROM records
WHERE kind = 'session' AND tag = 'attended' AND programme_id IS NOT NULL AND occurred_on IS NOT NULL
GROUP BY programme_id, SUBSTR(occurred_on, 1, 10), COALESCE(facility_id, ''), COALESCE(counsellor_id, '');

CREATE FUNCTION records_activity_apply() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.kind = 'session' AND OLD.tag = 'attended'
       AND OLD.programme_id IS NOT NULL AND OLD.occurred_on IS NOT NULL THEN
        UPDATE indicator_activity SET sessions = sessions - 1
        WHERE programme_id = OLD.programme_id AND day = SUBSTR(OLD.occurred_on, 1, 10)
          AND facility_id = COALESCE(OLD.facility_id, '') AND counsellor_id = COALESCE(OLD.counsellor_id, '');
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.kind = 'session' AND NEW.tag = 'attended'
       AND NEW.programme_id IS NOT NULL AND NEW.occurred_on IS NOT NULL THEN
        INSERT INTO indicator_activity (programme_id, day, facility_id, counsellor_id, sessions)
        VALUES (NEW.programme_id, SUBSTR(NEW.occurred_on, 1, 10), COALESCE(NEW.facility_id, ''), COALESCE(NEW.counsellor_id, ''), 1)
        ON CONFLICT (programme_id, day, facility_id, counsellor_id) DO UPDATE SET sessions = indicator_activity.sessions + 1;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER records_activity_insert AFTER INSERT ON records
    FOR EACH ROW EXECUTE FUNCTION records_activity_apply();
CREATE TRIGGER records_activity_update AFTER UPDATE OF kind, tag, programme_id, occurred_on, facility_id, counsellor_id ON records
    FOR EACH ROW EXECUTE FUNCTION records_activity_apply();
CREATE TRIGGER records_activity_delete AFTER DELETE ON records
    FOR EACH ROW EXECUTE FUNCTION records_activity_apply();

-- The population in need uses org_units.prevalence and prevalence_source (migration 0009; a
-- facility without one takes its nearest ancestor's).

-- Risk alerts by client: the facts' adverse events and the response-time indicators.
CREATE INDEX risk_alerts_client ON risk_alerts(client_id);
