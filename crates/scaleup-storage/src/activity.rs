//! Recorded activity aggregated for costing: sessions, minutes, supervision, training and
//! outcomes per hub and year, computed in the database where it can be.

use crate::audit::AuditEvent;
use crate::scope::{Actor, Sql};
use crate::{Backend, Result, Store, StoreError};
use futures_util::TryStreamExt;
use sqlx::Row;
use std::collections::BTreeMap;

/// Activity of one hub in one calendar year, in the units the costing model uses.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct HubYearActivity {
    pub hub_code: String,
    pub year: i32,
    /// Distinct clients with at least one attended session in the year.
    pub clients: i64,
    /// Attended sessions.
    pub sessions: i64,
    /// Sum of recorded session durations (sessions without a duration count as 0).
    pub session_minutes: f64,
    /// Supervisor time in supervision sessions.
    pub supervision_hours: f64,
    /// Counsellor time in supervision: each session's duration × counsellors present.
    pub counsellor_supervision_hours: f64,
    /// Training hours of all trainees.
    pub training_hours: f64,
    /// Distinct training courses run.
    pub training_courses: i64,
    /// Clients reached whose outcome score fell by at least the response fraction.
    pub responders: i64,
    /// Clients reached whose last outcome score is below the remission threshold.
    pub remissions: i64,
}

/// How response and remission are judged (instruments.md §6.2; configurable by design).
#[derive(Clone, Debug)]
pub struct OutcomeRule {
    pub instrument: String,
    /// Minimum fractional reduction from baseline, e.g. 0.5.
    pub response_fraction: f64,
    /// Remission when the last score is strictly below this, e.g. 10 (HAP) or 5.
    pub remission_below: f64,
}

impl Store {
    /// Aggregates recorded activity per hub and year (audited). `actor` limits the result to
    /// the hubs the API caller may see; `None` is an operator at the command line (all hubs).
    /// The limit is part of every query (`hub_id IN (...)`, on the indexes that lead with
    /// `hub_id`), so a caller's request reads their hubs' rows, never the whole database.
    ///
    /// `only_hub` (a hub id) narrows it to one hub, read alone (a dashboard's costs). Without
    /// `rule`, responders and remissions are not counted (they are zero), which saves reading
    /// every outcome score of the hubs.
    pub async fn activity_by_hub_year(
        &self,
        actor: Option<&Actor>,
        only_hub: Option<&str>,
        rule: Option<&OutcomeRule>,
    ) -> Result<Vec<HubYearActivity>> {
        // JSON field access differs between the backends; everything else is shared SQL.
        let (duration, counsellors, hours, course) = match self.backend {
            Backend::Sqlite => (
                "CAST(COALESCE(json_extract(r.payload, '$.duration_minutes'), 0) AS DOUBLE PRECISION)",
                "CAST(json_array_length(r.payload, '$.counsellor_ids') AS DOUBLE PRECISION)",
                "CAST(COALESCE(json_extract(r.payload, '$.hours'), 0) AS DOUBLE PRECISION)",
                "json_extract(r.payload, '$.course')",
            ),
            Backend::Postgres => (
                "CAST(COALESCE(r.payload::json->>'duration_minutes', '0') AS DOUBLE PRECISION)",
                "CAST(json_array_length(r.payload::json->'counsellor_ids') AS DOUBLE PRECISION)",
                "CAST(COALESCE(r.payload::json->>'hours', '0') AS DOUBLE PRECISION)",
                "r.payload::json->>'course'",
            ),
        };
        // The caller's hubs (`None`: every hub).
        let visible: Option<Vec<String>> = actor
            .filter(|a| a.role != scaleup_domain::role::Role::Admin)
            .map(|a| a.hubs.clone());
        let hubs: Option<Vec<String>> = match (visible, only_hub) {
            (Some(v), Some(h)) => Some(v.into_iter().filter(|x| x == h).collect()),
            (None, Some(h)) => Some(vec![h.to_string()]),
            (v, None) => v,
        };
        let hubs: Option<&[String]> = hubs.as_deref();
        let scoped = |text: String, group: &str| -> Sql {
            let mut sql = Sql::new(&text);
            if let Some(hubs) = hubs {
                sql.push_in("r.hub_id", hubs);
            }
            sql.push(group);
            sql
        };
        let mut out: BTreeMap<(String, i32), HubYearActivity> = BTreeMap::new();
        let sql = scoped(
            format!(
                "SELECT h.code, SUBSTR(r.occurred_on, 1, 4) AS year, CAST(COUNT(*) AS BIGINT) AS sessions,
                    CAST(COUNT(DISTINCT r.client_id) AS BIGINT) AS clients, CAST(SUM({duration}) AS DOUBLE PRECISION) AS minutes
             FROM records r JOIN hubs h ON h.id = r.hub_id
             WHERE r.kind = 'session' AND r.tag = 'attended'"
            ),
            " GROUP BY h.code, SUBSTR(r.occurred_on, 1, 4)",
        );
        for r in sql.query().fetch_all(&self.pool).await? {
            let e = entry(&mut out, &r)?;
            e.sessions = r.try_get("sessions")?;
            e.clients = r.try_get("clients")?;
            e.session_minutes = r.try_get::<Option<f64>, _>("minutes")?.unwrap_or(0.0);
        }
        let sql = scoped(
            format!(
                "SELECT h.code, SUBSTR(r.occurred_on, 1, 4) AS year, CAST(SUM({duration}) AS DOUBLE PRECISION) AS minutes,
                    CAST(SUM({duration} * {counsellors}) AS DOUBLE PRECISION) AS counsellor_minutes
             FROM records r JOIN hubs h ON h.id = r.hub_id
             WHERE r.kind = 'supervision_session'"
            ),
            " GROUP BY h.code, SUBSTR(r.occurred_on, 1, 4)",
        );
        for r in sql.query().fetch_all(&self.pool).await? {
            let e = entry(&mut out, &r)?;
            e.supervision_hours = r.try_get::<Option<f64>, _>("minutes")?.unwrap_or(0.0) / 60.0;
            e.counsellor_supervision_hours = r
                .try_get::<Option<f64>, _>("counsellor_minutes")?
                .unwrap_or(0.0)
                / 60.0;
        }
        let sql = scoped(
            format!(
                "SELECT h.code, SUBSTR(r.occurred_on, 1, 4) AS year, CAST(SUM({hours}) AS DOUBLE PRECISION) AS hours,
                    CAST(COUNT(DISTINCT {course}) AS BIGINT) AS courses
             FROM records r JOIN hubs h ON h.id = r.hub_id
             WHERE r.kind = 'training_record'"
            ),
            " GROUP BY h.code, SUBSTR(r.occurred_on, 1, 4)",
        );
        for r in sql.query().fetch_all(&self.pool).await? {
            let e = entry(&mut out, &r)?;
            e.training_hours = r.try_get::<Option<f64>, _>("hours")?.unwrap_or(0.0);
            e.training_courses = r.try_get("courses")?;
        }
        if let Some(rule) = rule {
            self.add_outcomes(hubs, rule, &mut out).await?;
        }
        self.audit(
            actor,
            AuditEvent::new("export.activity", "aggregate")
                .detail(serde_json::json!({"hub_years": out.len()})),
        )
        .await?;
        Ok(out.into_values().collect())
    }

    /// Adds responders and remissions per hub and year under `rule` (see
    /// [`Store::activity_by_hub_year`]).
    async fn add_outcomes(
        &self,
        hubs: Option<&[String]>,
        rule: &OutcomeRule,
        out: &mut BTreeMap<(String, i32), HubYearActivity>,
    ) -> Result<()> {
        // Outcomes: per client reached in a year, baseline (first baseline/screening score) and
        // last score of the outcome instrument. The year a client was reached (first attended
        // session) comes from one grouped pass over the caller's sessions, joined by client,
        // instead of a subquery per assessment. Streamed in client order: memory stays small.
        let mut sql = Sql::new(
            "SELECT h.code, r.client_id, r.tag, r.occurred_on, s.total, f.reached
             FROM records r JOIN assessment_scores s ON s.record_id = r.id JOIN hubs h ON h.id = r.hub_id
             LEFT JOIN (SELECT r.client_id, SUBSTR(MIN(r.occurred_on), 1, 4) AS reached FROM records r
                        WHERE r.kind = 'session' AND r.tag = 'attended'",
        );
        if let Some(hubs) = hubs {
            sql.push_in("r.hub_id", hubs);
        }
        sql.push(
            " GROUP BY r.client_id) f ON f.client_id = r.client_id
             WHERE r.kind = 'assessment' AND s.instrument = ",
        )
        .bind_text(rule.instrument.clone())
        .push(" AND s.total IS NOT NULL");
        if let Some(hubs) = hubs {
            sql.push_in("r.hub_id", hubs);
        }
        sql.push(" ORDER BY r.client_id, r.occurred_on");
        let mut rows = sql.query().fetch(&self.pool);
        // (hub, client, year, baseline score, last score) of the client being read.
        type Current = Option<(String, String, Option<i32>, Option<f64>, Option<f64>)>;
        let mut current: Current = None;
        let finish = |c: Current, out: &mut BTreeMap<(String, i32), HubYearActivity>| {
            if let Some((hub, _client, Some(year), Some(baseline), Some(last))) = c {
                let e = out
                    .entry((hub.clone(), year))
                    .or_insert_with(|| HubYearActivity {
                        hub_code: hub,
                        year,
                        ..Default::default()
                    });
                if baseline > 0.0 && (baseline - last) / baseline >= rule.response_fraction {
                    e.responders += 1;
                }
                if last < rule.remission_below {
                    e.remissions += 1;
                }
            }
        };
        while let Some(r) = rows.try_next().await? {
            let hub: String = r.try_get("code")?;
            let client: String = r
                .try_get::<Option<String>, _>("client_id")?
                .unwrap_or_default();
            let tag: Option<String> = r.try_get("tag")?;
            let total: f64 = r.try_get("total")?;
            let reached: Option<i32> = r
                .try_get::<Option<String>, _>("reached")?
                .and_then(|y| y.parse().ok());
            if current.as_ref().map(|c| &c.1) != Some(&client) {
                finish(current.take(), out);
                current = Some((hub, client, reached, None, None));
            }
            let c = current.as_mut().expect("set above");
            match tag.as_deref() {
                Some("baseline") | Some("screening") if c.3.is_none() => c.3 = Some(total),
                Some("session") | Some("endpoint") | Some("follow_up") => c.4 = Some(total),
                _ => {}
            }
        }
        finish(current.take(), out);
        drop(rows);
        Ok(())
    }
}

fn entry<'a>(
    out: &'a mut BTreeMap<(String, i32), HubYearActivity>,
    r: &sqlx::any::AnyRow,
) -> Result<&'a mut HubYearActivity> {
    let hub: String = r.try_get("code")?;
    let year: i32 = r
        .try_get::<Option<String>, _>("year")?
        .and_then(|y| y.parse().ok())
        .unwrap_or(0);
    Ok(out
        .entry((hub.clone(), year))
        .or_insert_with(|| HubYearActivity {
            hub_code: hub,
            year,
            ..Default::default()
        }))
}

/// One client's outcome pair for an effectiveness analysis.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct OutcomePair {
    pub client_id: String,
    pub facility_id: String,
    /// Date of the baseline assessment (YYYY-MM-DD).
    pub baseline_on: String,
    pub baseline: f64,
    /// Last assessment on the follow-up occasion, if any.
    pub follow_up: Option<f64>,
}

impl Store {
    /// Baseline and follow-up totals of one instrument for every client of a programme,
    /// audited as an export of pseudonymised, client-level data. `actor` is the API caller
    /// (who must be allowed to see the programme's hub: checked here, so no edge can forget),
    /// or `None` for an operator at the command line.
    pub async fn outcome_pairs(
        &self,
        actor: Option<&Actor>,
        programme_id: &str,
        instrument: &str,
        follow_up_tag: &str,
    ) -> Result<Vec<OutcomePair>> {
        if let Some(actor) = actor {
            let hub: Option<String> =
                sqlx::query_scalar("SELECT hub_id FROM programmes WHERE id = $1")
                    .bind(programme_id.to_string())
                    .fetch_optional(&self.pool)
                    .await?;
            if !hub.is_some_and(|h| actor.may_see_hub(&h)) {
                return Err(StoreError::NotFound);
            }
        }
        let mut rows = sqlx::query(
            "SELECT r.client_id, r.facility_id, r.tag, r.occurred_on, s.total FROM records r
             JOIN assessment_scores s ON s.record_id = r.id
             WHERE r.programme_id = $1 AND r.kind = 'assessment' AND s.instrument = $2 AND s.total IS NOT NULL
               AND r.tag IN ('baseline', $3)
             ORDER BY r.client_id, r.occurred_on",
        )
        .bind(programme_id.to_string())
        .bind(instrument.to_string())
        .bind(follow_up_tag.to_string())
        .fetch(&self.pool);
        let mut out: Vec<OutcomePair> = Vec::new();
        while let Some(r) = rows.try_next().await? {
            let client: String = r
                .try_get::<Option<String>, _>("client_id")?
                .unwrap_or_default();
            let tag: Option<String> = r.try_get("tag")?;
            let total: f64 = r.try_get("total")?;
            let on: String = r
                .try_get::<Option<String>, _>("occurred_on")?
                .unwrap_or_default();
            let facility: String = r
                .try_get::<Option<String>, _>("facility_id")?
                .unwrap_or_default();
            let same = out.last().is_some_and(|p| p.client_id == client);
            match tag.as_deref() {
                Some("baseline") if !same => out.push(OutcomePair {
                    client_id: client,
                    facility_id: facility,
                    baseline_on: on,
                    baseline: total,
                    follow_up: None,
                }),
                Some(t) if t == follow_up_tag && same => {
                    if let Some(p) = out.last_mut() {
                        p.follow_up = Some(total);
                    }
                }
                _ => {}
            }
        }
        drop(rows);
        self.audit(
            actor,
            AuditEvent::new("export.outcomes", "programme")
                .entity(programme_id)
                .detail(serde_json::json!({"clients": out.len(), "instrument": instrument})),
        )
        .await?;
        Ok(out)
    }

    /// A programme by code within a hub given by code, or by code alone when unique.
    pub async fn programme_by_code(&self, code: &str) -> Result<Vec<crate::ProgrammeRow>> {
        let rows = sqlx::query("SELECT id FROM programmes WHERE code = $1")
            .bind(code.to_string())
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::new();
        for r in rows {
            if let Some(p) = self.programme(&r.try_get::<String, _>("id")?).await? {
                out.push(p);
            }
        }
        Ok(out)
    }
}
