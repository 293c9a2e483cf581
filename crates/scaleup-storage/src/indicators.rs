//! The indicator engine's storage side (scaleup-indicators): per-person facts kept current in
//! the writing transaction, the SQL the engine's measures compile to, and the inputs of a
//! request.
//!
//! **Facts.** `indicator_clients` and `indicator_episodes` hold `facts::client_facts` of every
//! client (migration 0010). Triggers on `records` mark a written client in `indicator_dirty`;
//! every writing transaction of care records (push, conflict resolution, bulk load) ends with
//! [`Store::refresh_indicator_facts`], which recomputes the marked clients from their records
//! and clears the marks, and an indicator request clears any mark left first. So a dashboard
//! reads a synced record as soon as its transaction commits, whatever the database size, and
//! no write path can leave facts stale without leaving a mark. [`Store::rebuild_indicator_facts`]
//! recomputes everything (after an upgrade, or when a protocol the facts used changed).
//!
//! **Measures.** Each request compiles the needed measures to one `SUM(CASE WHEN ...)` column
//! each, one query per fact table (per anchor when cut by month), grouped by the cut columns,
//! over one programme's rows (the tables are keyed by programme first).

use crate::records::Tx;
use crate::scope::{Actor, Bind, Sql};
use crate::{Backend, Result, Store, StoreError};
use futures_util::TryStreamExt;
use scaleup_domain::date::Date;
use scaleup_domain::org::OrgLevel;
use scaleup_domain::record::{RecordKind, parse_payload};
use scaleup_indicators::catalogue::{self, Formula, Side};
use scaleup_indicators::facts::{self, Col, ColKind, FactRecord, FactRow, Val};
use scaleup_indicators::measure::{
    Agg, Cond, Expr, Measure, ParamValue, ParamValues, Table, Tally,
};
use scaleup_indicators::request::{
    Activity, AlertFact, CellKey, Counsellor, Grouping, Inputs, MeasureCells, OrgUnit,
    ProgrammeData, ProgrammeInfo, Site,
};
use scaleup_indicators::rollup::{self, Grain, Rollups};
use scaleup_indicators::{Disclosure, IndicatorTable, Period, Request, resolve_params};
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Clients recomputed per statement group.
const REFRESH_CHUNK: usize = 250;
/// Clients per transaction of a full rebuild: writers wait at most for one chunk.
const REBUILD_CHUNK: i64 = 2000;
/// Rows per multi-row INSERT (see `bulk::ROWS_PER_STATEMENT` for why it is small).
const ROWS_PER_STATEMENT: usize = 32;

fn date_of(text: Option<String>) -> Option<Date> {
    text.and_then(|t| Date::parse(t.get(..10)?, "date").ok())
}

/// A bound value for one fact column.
fn bind_val<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    kind: ColKind,
    v: Val,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    // Bound as the column's type: PostgreSQL refuses a BIGINT parameter for a DOUBLE PRECISION
    // column (and the reverse) in the binary protocol, where SQLite converts silently.
    match (kind, v) {
        (_, Val::Text(s)) => q.bind(s),
        (_, Val::Date(d)) => q.bind(d.to_string()),
        (ColKind::Num, Val::Int(i)) => q.bind(i as f64),
        (ColKind::Text | ColKind::Date, Val::Int(i)) => q.bind(i.to_string()),
        (ColKind::Int, Val::Num(x)) if x.fract() == 0.0 && x.abs() < 9.0e15 => q.bind(x as i64),
        (_, Val::Int(i)) => q.bind(i),
        (_, Val::Num(x)) => q.bind(x),
        (ColKind::Int, Val::Null) => q.bind(None::<i64>),
        (ColKind::Num, Val::Null) => q.bind(None::<f64>),
        (_, Val::Null) => q.bind(None::<String>),
    }
}

async fn insert_facts(tx: &mut Tx, table: Table, rows: &[&dyn FactRow]) -> Result<()> {
    let cols = table.columns();
    let names: Vec<&str> = cols.iter().map(|c| c.name()).collect();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut text = format!(
            "INSERT INTO {} ({}) VALUES ",
            table.name(),
            names.join(", ")
        );
        // A missing value is written as the literal NULL, not bound: through sqlx's Any driver
        // a NULL bound for a DOUBLE PRECISION parameter on PostgreSQL leaves the connection's
        // cached statement expecting another type, and the next execution of the same text
        // with a number fails ("incorrect binary data format"; tests/any_driver_nulls.rs).
        let mut values = Vec::new();
        let mut n = 0;
        for (i, row) in chunk.iter().enumerate() {
            if i > 0 {
                text.push_str(", ");
            }
            text.push('(');
            for (j, c) in cols.iter().enumerate() {
                if j > 0 {
                    text.push_str(", ");
                }
                match row.get(*c) {
                    Val::Null => text.push_str("NULL"),
                    v => {
                        n += 1;
                        text.push_str(&format!("${n}"));
                        values.push((c.kind(), v));
                    }
                }
            }
            text.push(')');
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(text));
        for (kind, v) in values {
            q = bind_val(q, kind, v);
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

/// What is stale about the indicator facts ([`Store::ensure_indicator_facts`]).
struct FactsState {
    /// The roll-ups are of this engine's version (else they are emptied and rebuilt with the
    /// facts).
    rollups_current: bool,
}

/// One fact row as stored: the table's columns in order (see [`Table::columns`]).
struct StoredFact {
    table: Table,
    values: Vec<Val>,
}

impl StoredFact {
    fn read(table: Table, r: &sqlx::any::AnyRow) -> Result<StoredFact> {
        let mut values = Vec::with_capacity(table.columns().len());
        for c in table.columns() {
            let name = c.name();
            values.push(match c.kind() {
                ColKind::Text => r
                    .try_get::<Option<String>, _>(name)?
                    .map_or(Val::Null, Val::Text),
                ColKind::Date => date_of(r.try_get(name)?).map_or(Val::Null, Val::Date),
                ColKind::Int => r
                    .try_get::<Option<i64>, _>(name)?
                    .map_or(Val::Null, Val::Int),
                ColKind::Num => r
                    .try_get::<Option<f64>, _>(name)?
                    .map_or(Val::Null, Val::Num),
            });
        }
        Ok(StoredFact { table, values })
    }
}

impl FactRow for StoredFact {
    fn get(&self, col: Col) -> Val {
        self.table
            .columns()
            .iter()
            .position(|c| *c == col)
            .map_or(Val::Null, |i| self.values[i].clone())
    }
}

/// Adds `change` to the roll-up cells, creating cells it reaches first. Keys go in order, so
/// two transactions changing the same cells lock them in the same order and cannot deadlock; a
/// cell whose count falls to zero keeps a total of exactly zero (no rounding residue).
async fn apply_rollup_change(tx: &mut Tx, change: &Rollups) -> Result<()> {
    let cells: Vec<(&rollup::RollupKey, &Tally)> = change.iter().collect();
    for chunk in cells.chunks(ROWS_PER_STATEMENT) {
        let mut sql = Sql::new(
            "INSERT INTO indicator_rollups (hub_id, programme_id, grain, measure_id, month, facility_id, counsellor_id, sex, age_band, arm, n, total) VALUES ",
        );
        for (i, (k, t)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            for (j, v) in [
                &k.hub_id,
                &k.programme_id,
                k.grain.code(),
                k.measure,
                &k.month,
                &k.facility,
                &k.counsellor,
                &k.sex,
                &k.age_band,
                &k.arm,
            ]
            .into_iter()
            .enumerate()
            {
                if j > 0 {
                    sql.push(", ");
                }
                sql.bind_text(v.to_string());
            }
            sql.push(", ");
            sql.bind(Bind::Int(t.n));
            sql.push(", ");
            sql.bind(Bind::Float(Some(t.sum)));
            sql.push(")");
        }
        sql.push(
            " ON CONFLICT (hub_id, programme_id, grain, measure_id, month, facility_id, counsellor_id, sex, age_band, arm)
              DO UPDATE SET n = indicator_rollups.n + excluded.n,
                            total = CASE WHEN indicator_rollups.n + excluded.n = 0 THEN 0
                                         ELSE indicator_rollups.total + excluded.total END",
        );
        sql.query().execute(&mut *tx).await?;
    }
    Ok(())
}

impl Store {
    /// Recomputes the facts of every client marked in `indicator_dirty`, in the caller's
    /// writing transaction. A failure never undoes the write it follows: it is logged, and the
    /// marks stay for the next write or indicator request to clear.
    pub(crate) async fn refresh_indicator_facts(&self, tx: &mut Tx) -> Result<()> {
        let mut sp = sqlx::Acquire::begin(&mut *tx).await?;
        match self.refresh_dirty(&mut sp).await {
            Ok(()) => sp.commit().await?,
            Err(e) => {
                tracing::warn!(error = %e, "indicator facts not refreshed; the clients stay marked");
                sp.rollback().await?;
            }
        }
        Ok(())
    }

    async fn refresh_dirty(&self, tx: &mut Tx) -> Result<()> {
        loop {
            // Taken off the queue and read in one statement (a round trip per record saved on
            // PostgreSQL, where a push commits each record); if the recomputation fails, the
            // caller's savepoint puts the marks back.
            let ids: Vec<String> = sqlx::query_scalar(
                "DELETE FROM indicator_dirty WHERE client_id IN
                   (SELECT client_id FROM indicator_dirty ORDER BY client_id LIMIT 250)
                 RETURNING client_id",
            )
            .fetch_all(&mut *tx)
            .await?;
            if ids.is_empty() {
                return Ok(());
            }
            self.refresh_clients(tx, &ids).await?;
            // Recomputing writes no records, so it marks no one: a short take was the last.
            if ids.len() < 250 {
                return Ok(());
            }
        }
    }

    /// Recomputes the facts of `ids` from their records: their old rows go, the new ones come.
    async fn refresh_clients(&self, tx: &mut Tx, ids: &[String]) -> Result<()> {
        for ids in ids.chunks(REFRESH_CHUNK) {
            let ids = ids.to_vec();
            // Each record with its programme's hub and protocol code (facts need each
            // episode's protocol, looked up in its hub's rules, which hold the hub's own
            // definitions besides the network's): one query, not one more for the programmes.
            let mut sql = Sql::new(
                "SELECT r.id, r.kind, r.hub_id, r.client_id, r.programme_id, r.facility_id, r.counsellor_id, r.payload, s.total,
                        p.hub_id AS programme_hub, p.protocol_code
                 FROM records r LEFT JOIN assessment_scores s ON s.record_id = r.id
                 LEFT JOIN programmes p ON p.id = r.programme_id
                 WHERE r.kind IN ('client', 'assessment', 'eligibility', 'episode', 'session')",
            );
            sql.push_in("r.client_id", &ids);
            let mut by_client: BTreeMap<String, Vec<FactRecord>> = BTreeMap::new();
            let mut protocols: HashMap<String, (String, String)> = HashMap::new();
            for r in sql.query().fetch_all(&mut *tx).await? {
                if let (Some(programme), Some(hub), Some(code)) = (
                    r.try_get::<Option<String>, _>("programme_id")?,
                    r.try_get::<Option<String>, _>("programme_hub")?,
                    r.try_get::<Option<String>, _>("protocol_code")?,
                ) {
                    protocols.entry(programme).or_insert((hub, code));
                }
                let kind: String = r.try_get("kind")?;
                let Some(kind) = RecordKind::parse(&kind) else {
                    continue;
                };
                let payload: String = r.try_get("payload")?;
                let Ok(json) = serde_json::from_str::<serde_json::Value>(&payload) else {
                    continue;
                };
                // Stored bodies passed these rules when written; one that no longer does (a
                // rule made stricter since) is left out of the facts rather than failing them.
                let Ok(payload) = parse_payload(kind, &json) else {
                    tracing::warn!(
                        kind = kind.as_str(),
                        "a stored record no longer parses; left out of indicator facts"
                    );
                    continue;
                };
                let client: Option<String> = r.try_get("client_id")?;
                let Some(client) = client else { continue };
                by_client.entry(client).or_default().push(FactRecord {
                    id: r.try_get("id")?,
                    payload,
                    hub_id: r.try_get("hub_id")?,
                    programme_id: r.try_get("programme_id")?,
                    facility_id: r.try_get("facility_id")?,
                    counsellor_id: r.try_get("counsellor_id")?,
                    score_total: r.try_get("total")?,
                });
            }
            let mut sql = Sql::new("SELECT client_id, raised_at FROM risk_alerts WHERE 1 = 1");
            sql.push_in("client_id", &ids);
            let mut alerts: HashMap<String, Vec<Date>> = HashMap::new();
            for r in sql.query().fetch_all(&mut *tx).await? {
                if let Some(d) = date_of(r.try_get("raised_at")?) {
                    alerts
                        .entry(r.try_get::<String, _>("client_id")?)
                        .or_default()
                        .push(d);
                }
            }
            // The old rows go, and what they added to the roll-ups is taken away (read back by
            // the DELETE itself: no extra round trip).
            let mut change = Rollups::new();
            for table in [Table::Episodes, Table::Clients] {
                let cols: Vec<&str> = table.columns().iter().map(|c| c.name()).collect();
                let mut sql = Sql::new(&format!("DELETE FROM {} WHERE 1 = 1", table.name()));
                sql.push_in("client_id", &ids);
                sql.push(&format!(" RETURNING {}", cols.join(", ")));
                let old = sql
                    .query()
                    .fetch_all(&mut *tx)
                    .await?
                    .iter()
                    .map(|r| StoredFact::read(table, r))
                    .collect::<Result<Vec<_>>>()?;
                let old: Vec<&dyn FactRow> = old.iter().map(|r| r as &dyn FactRow).collect();
                rollup::contributions(table, &old, -1, &mut change);
            }
            let hub_rules: HashMap<&str, std::sync::Arc<dyn crate::Rules>> = protocols
                .values()
                .map(|(hub, _)| (hub.as_str(), self.rules_for(hub)))
                .collect();
            let protocol_of = |programme: &str| {
                protocols
                    .get(programme)
                    .and_then(|(hub, code)| hub_rules.get(hub.as_str())?.protocol(code))
            };
            let people: Vec<facts::PersonFacts> = by_client
                .iter()
                .filter_map(|(client, records)| {
                    let raised = alerts.get(client).map(Vec::as_slice).unwrap_or(&[]);
                    facts::client_facts(client, records, raised, &protocol_of)
                })
                .collect();
            let clients: Vec<&dyn FactRow> =
                people.iter().map(|p| &p.client as &dyn FactRow).collect();
            let episodes: Vec<&dyn FactRow> = people
                .iter()
                .flat_map(|p| p.episodes.iter().map(|e| e as &dyn FactRow))
                .collect();
            insert_facts(tx, Table::Clients, &clients).await?;
            insert_facts(tx, Table::Episodes, &episodes).await?;
            rollup::contributions(Table::Clients, &clients, 1, &mut change);
            rollup::contributions(Table::Episodes, &episodes, 1, &mut change);
            apply_rollup_change(tx, &change).await?;
        }
        Ok(())
    }

    /// A fingerprint of what the facts were derived with: the facts version and, per
    /// programme, its protocol as the rules hold it now.
    async fn indicator_rules_fingerprint(&self) -> Result<String> {
        let mut text = String::new();
        let rows = sqlx::query("SELECT id, protocol_code FROM programmes ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        for r in rows {
            let id: String = r.try_get("id")?;
            let code: String = r.try_get("protocol_code")?;
            let def = self
                .rules()
                .protocol(&code)
                .map(|p| serde_json::to_string(p.def()).unwrap_or_default())
                .unwrap_or_default();
            text.push_str(&format!("{id}\u{1f}{code}\u{1f}{def}\u{1e}"));
        }
        Ok(crate::crypto::sha256_hex(text.as_bytes()))
    }

    /// Marks the roll-ups current when there are neither facts nor cells (a new database):
    /// empty tables agree at any version, and cells kept from the first write on need no
    /// rebuild. Cheap; called at every open.
    pub(crate) async fn adopt_empty_rollups(&self) -> Result<()> {
        sqlx::query(
            "UPDATE indicator_state SET rollups_version = $1
             WHERE rollups_version <> $1
               AND NOT EXISTS (SELECT 1 FROM indicator_clients)
               AND NOT EXISTS (SELECT 1 FROM indicator_episodes)
               AND NOT EXISTS (SELECT 1 FROM indicator_rollups)",
        )
        .bind(rollup::ROLLUPS_VERSION)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Rebuilds every client's facts when they were derived by another version of the engine
    /// or with other protocols than the rules hold now; returns whether it did. Cheap when
    /// they are current (one row and the programmes); the server calls it at start.
    /// Roll-ups of another version (or none yet: a database from before them) are emptied
    /// together with the facts first, and rebuilt with them.
    pub async fn ensure_indicator_facts(&self) -> Result<bool> {
        if self.indicator_facts_state().await?.is_none() {
            return Ok(false);
        }
        // Stale: one rebuild per process; whoever waited for it finds it done.
        let _one = self.facts_gate.lock().await;
        match self.indicator_facts_state().await? {
            None => Ok(false),
            Some(FactsState { rollups_current }) => {
                self.rebuild_facts(!rollups_current).await?;
                Ok(true)
            }
        }
    }

    /// `None` when the facts and roll-ups are current (this engine's versions, derived with
    /// the protocols the rules hold now); else what is stale.
    async fn indicator_facts_state(&self) -> Result<Option<FactsState>> {
        let row = sqlx::query(
            "SELECT facts_version, rules, rollups_version FROM indicator_state WHERE id = 1",
        )
        .fetch_one(&self.pool)
        .await?;
        let rollups_current = row.try_get::<i64, _>("rollups_version")? == rollup::ROLLUPS_VERSION;
        let current = rollups_current
            && row.try_get::<i64, _>("facts_version")? == facts::FACTS_VERSION
            && row.try_get::<String, _>("rules")? == self.indicator_rules_fingerprint().await?;
        Ok((!current).then_some(FactsState { rollups_current }))
    }

    /// Recomputes every client's facts from the records (the full recomputation), a chunk of
    /// clients per transaction so writers never wait long; returns the clients recomputed.
    /// The roll-ups follow, each chunk changing them by what its clients' facts changed.
    pub async fn rebuild_indicator_facts(&self) -> Result<usize> {
        self.rebuild_facts(false).await
    }

    /// [`Store::rebuild_indicator_facts`]; with `from_empty`, facts and roll-ups are emptied
    /// first (in one transaction), for roll-ups that cannot be trusted to match the facts.
    async fn rebuild_facts(&self, from_empty: bool) -> Result<usize> {
        let started = std::time::Instant::now();
        let fingerprint = self.indicator_rules_fingerprint().await?;
        let rollups_version: i64 =
            sqlx::query_scalar("SELECT rollups_version FROM indicator_state WHERE id = 1")
                .fetch_one(&self.pool)
                .await?;
        // Cells of another version do not match the facts: changing them by what the facts
        // change would keep them wrong.
        if from_empty || rollups_version != rollup::ROLLUPS_VERSION {
            let mut tx = self.begin_write().await?;
            for table in [
                "indicator_rollups",
                "indicator_episodes",
                "indicator_clients",
            ] {
                sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        }
        let hubs: Vec<String> = sqlx::query_scalar("SELECT id FROM hubs ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        let mut done = 0usize;
        for hub in hubs {
            let mut after = String::new();
            loop {
                let ids: Vec<String> = sqlx::query_scalar(
                    "SELECT id FROM records WHERE hub_id = $1 AND kind = 'client' AND id > $2 ORDER BY id LIMIT $3",
                )
                .bind(hub.clone())
                .bind(after.clone())
                .bind(REBUILD_CHUNK)
                .fetch_all(&self.pool)
                .await?;
                let Some(last) = ids.last().cloned() else {
                    break;
                };
                let mut tx = self.begin_write().await?;
                self.refresh_clients(&mut tx, &ids).await?;
                let mut sql = Sql::new("DELETE FROM indicator_dirty WHERE 1 = 1");
                sql.push_in("client_id", &ids);
                sql.query().execute(&mut *tx).await?;
                tx.commit().await?;
                done += ids.len();
                after = last;
            }
        }
        sqlx::query(
            "UPDATE indicator_state SET facts_version = $1, rules = $2, rollups_version = $3 WHERE id = 1",
        )
        .bind(facts::FACTS_VERSION)
        .bind(fingerprint)
        .bind(rollup::ROLLUPS_VERSION)
        .execute(&self.pool)
        .await?;
        tracing::info!(
            clients = done,
            seconds = started.elapsed().as_secs_f64(),
            "rebuilt indicator facts"
        );
        Ok(done)
    }

    /// Clears marks a write path left (see the module documentation), before a request reads.
    async fn clear_indicator_marks(&self) -> Result<()> {
        let marked: Option<String> =
            sqlx::query_scalar("SELECT client_id FROM indicator_dirty LIMIT 1")
                .fetch_optional(&self.pool)
                .await?;
        if marked.is_some() {
            let mut tx = self.begin_write().await?;
            self.refresh_dirty(&mut tx).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Sets the prevalence of the programmes' condition in an org unit, with its source (the
    /// population in need is catchment × prevalence; a facility without one takes its nearest
    /// ancestor's). `None` clears it. Admins and the unit's hub managers, or the operator.
    pub async fn set_org_unit_prevalence(
        &self,
        actor: Option<&Actor>,
        org_unit_id: &str,
        prevalence: Option<f64>,
        source: Option<&str>,
    ) -> Result<()> {
        if prevalence.is_some_and(|p| !(p.is_finite() && (0.0..=1.0).contains(&p))) {
            return Err(StoreError::invalid("prevalence", "must be between 0 and 1"));
        }
        if prevalence.is_some() && source.is_none_or(|s| s.trim().is_empty()) {
            return Err(StoreError::invalid(
                "prevalence_source",
                "must say where the prevalence comes from",
            ));
        }
        let hub: Option<String> = sqlx::query_scalar("SELECT hub_id FROM org_units WHERE id = $1")
            .bind(org_unit_id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        let Some(hub) = hub else {
            return Err(StoreError::NotFound);
        };
        if let Some(a) = actor {
            use scaleup_domain::role::Capability;
            if !a.may_see_hub(&hub) {
                return Err(StoreError::NotFound);
            }
            if !a.role.can(Capability::ManageHubSetup) {
                return Err(StoreError::Forbidden(
                    "only an admin or the hub's managers set prevalence",
                ));
            }
        }
        let mut tx = self.begin_write().await?;
        // Clearing writes NULL literally (a bound NULL float poisons the connection's cached
        // statement on PostgreSQL; see insert_facts).
        match prevalence {
            Some(p) => {
                sqlx::query(
                    "UPDATE org_units SET prevalence = $1, prevalence_source = $2 WHERE id = $3",
                )
                .bind(p)
                .bind(source.map(str::to_string))
                .bind(org_unit_id.to_string())
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query(
                    "UPDATE org_units SET prevalence = NULL, prevalence_source = NULL WHERE id = $1",
                )
                .bind(org_unit_id.to_string())
                .execute(&mut *tx)
                .await?;
            }
        }
        self.audit_in(
            &mut tx,
            actor,
            &crate::AuditEvent::new("org_unit.prevalence", "org_unit")
                .entity(org_unit_id)
                .hub(Some(hub))
                .detail(serde_json::json!({"set": prevalence.is_some()})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Everything the engine needs to answer `request` for the caller (`None`: the operator at
    /// the command line, who sees every hub). `hub` (a hub code) picks among programmes of the
    /// same code. Reads one snapshot of the database. `NotFound` when the programme asked for
    /// does not exist or is not visible; `Conflict` when its code names several.
    pub async fn indicator_inputs(
        &self,
        actor: Option<&Actor>,
        hub: Option<&str>,
        request: &Request,
    ) -> Result<Inputs> {
        self.indicator_inputs_from(actor, hub, request, true).await
    }

    /// Indicators for `request` computed from the fact rows alone, never the roll-ups: what
    /// tests compare the roll-ups' answers with.
    #[cfg(feature = "test-support")]
    pub async fn indicators_from_facts(
        &self,
        actor: Option<&Actor>,
        hub: Option<&str>,
        request: &Request,
    ) -> Result<scaleup_indicators::Computed> {
        let inputs = self
            .indicator_inputs_from(actor, hub, request, false)
            .await?;
        scaleup_indicators::compute(request, &inputs)
            .map_err(|m| StoreError::invalid("indicator", m))
    }

    /// [`Store::indicator_inputs`]; `rollups: false` reads every measure from the facts.
    async fn indicator_inputs_from(
        &self,
        actor: Option<&Actor>,
        hub: Option<&str>,
        request: &Request,
        rollups: bool,
    ) -> Result<Inputs> {
        self.ensure_indicator_facts().await?;
        self.clear_indicator_marks().await?;
        let defs = scaleup_indicators::compute::selected(request)
            .map_err(|m| StoreError::invalid("indicator", m))?;
        let mut conn = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            // Every query below sees the same moment, as one query would.
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .execute(&mut *conn)
                .await?;
        }
        let programmes = self
            .indicator_programmes(&mut conn, actor, hub, request.programme.as_deref())
            .await?;
        let wants = |f: &dyn Fn(&Formula) -> bool| defs.iter().any(|d| f(&d.formula));
        let wants_activity = wants(&|f| {
            matches!(
                f,
                Formula::Side(
                    Side::AdoptionFacilities
                        | Side::AdoptionCounsellors
                        | Side::SupervisionCoverage
                        | Side::CompetencyLevel(_)
                        | Side::CounsellorsCompetent
                        | Side::MaintenanceFacilities
                )
            )
        });
        let wants_alerts = wants(&|f| {
            matches!(
                f,
                Formula::Side(
                    Side::AlertResponseMedian | Side::AlertResponseP90 | Side::AlertWithinLimit
                )
            )
        });
        let wants_staff = wants(&|f| {
            matches!(
                f,
                Formula::Side(
                    Side::AdoptionCounsellors
                        | Side::SupervisionCoverage
                        | Side::CompetencyLevel(_)
                        | Side::CounsellorsCompetent
                )
            )
        });
        let mut measures: Vec<&'static Measure> = Vec::new();
        for d in &defs {
            for m in catalogue::measures_of(d) {
                if !measures.iter().any(|x| x.id == m.id) {
                    measures.push(m);
                }
            }
        }
        let grouping = Grouping::for_cuts(&request.by);
        let as_of = request.as_of();
        let mut out = Inputs::default();
        for programme in programmes {
            let spread_measures: Vec<&'static Measure> =
                ["outcome_baseline", "outcome_baseline_squared"]
                    .iter()
                    .filter_map(|id| catalogue::measure(id))
                    .collect();
            let spread = self
                .measure_cells(
                    &mut conn,
                    (&programme.hub_id, &programme.id),
                    &spread_measures,
                    Grouping::default(),
                    None,
                    None,
                    &NoParams,
                    rollups,
                )
                .await?;
            let first = |id| {
                spread
                    .0
                    .get(&(id, CellKey::default()))
                    .copied()
                    .unwrap_or_default()
            };
            let (b, b2): (Tally, Tally) =
                (first("outcome_baseline"), first("outcome_baseline_squared"));
            let baseline_spread = (b.n, b.sum, b2.sum);
            let params = resolve_params(&programme, baseline_spread, request);
            let cells = self
                .measure_cells(
                    &mut conn,
                    (&programme.hub_id, &programme.id),
                    &measures,
                    grouping,
                    request.period.from,
                    request.period.to,
                    &params,
                    rollups,
                )
                .await?;
            let activity = if wants_activity {
                self.programme_activity(&mut conn, &programme.id).await?
            } else {
                Vec::new()
            };
            let alerts = if wants_alerts {
                self.programme_alerts(&mut conn, (&programme.hub_id, &programme.id), as_of)
                    .await?
            } else {
                Vec::new()
            };
            out.programmes.push(ProgrammeData {
                programme,
                baseline_spread,
                cells,
                activity,
                alerts,
            });
        }
        let hubs: Vec<String> = out
            .programmes
            .iter()
            .map(|p| p.programme.hub_id.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        out.org_units = self.indicator_org_units(&mut conn, &hubs).await?;
        if wants_staff || grouping.counsellor {
            out.counsellors = self
                .indicator_counsellors(&mut conn, &hubs, wants_staff)
                .await?;
        }
        conn.commit().await?;
        Ok(out)
    }

    /// Indicators for `request` before disclosure control: [`Store::indicator_inputs`] then the
    /// engine's computation.
    pub async fn indicators(
        &self,
        actor: Option<&Actor>,
        hub: Option<&str>,
        request: &Request,
    ) -> Result<scaleup_indicators::Computed> {
        let inputs = self.indicator_inputs(actor, hub, request).await?;
        scaleup_indicators::compute(request, &inputs)
            .map_err(|m| StoreError::invalid("indicator", m))
    }

    /// Indicators for `request` after disclosure control under `policy`: with
    /// [`Disclosure::Exact`] the computation as is; with [`Disclosure::SuppressBelow`] the
    /// period snapped to whole months, the canonical all-time tables computed for every margin
    /// of the cuts, and `scaleup_indicators::disclose_controlled` deciding what is withheld
    /// (docs/indicators.md#disclosure). `Invalid` on `by` when a controlled request combines
    /// more than [`scaleup_indicators::MAX_CONTROLLED_CUTS`] cuts besides time.
    pub async fn indicator_table(
        &self,
        actor: Option<&Actor>,
        hub: Option<&str>,
        request: &Request,
        policy: Disclosure,
    ) -> Result<IndicatorTable> {
        let k = match policy {
            Disclosure::Exact => {
                let computed = self.indicators(actor, hub, request).await?;
                return Ok(scaleup_indicators::disclose(computed, policy));
            }
            Disclosure::SuppressBelow { k } => k,
        };
        let plain = request.by.iter().filter(|d| !d.is_time()).count();
        if plain > scaleup_indicators::MAX_CONTROLLED_CUTS {
            return Err(StoreError::invalid(
                "by",
                format!(
                    "with small cells suppressed, at most {} cuts besides month or quarter",
                    scaleup_indicators::MAX_CONTROLLED_CUTS
                ),
            ));
        }
        if request
            .by
            .iter()
            .filter(|d| d.org_level().is_some())
            .count()
            > 1
        {
            return Err(StoreError::invalid(
                "by",
                "with small cells suppressed, at most one org-unit level (country, region, district or facility)",
            ));
        }
        let mut snapped = request.clone();
        snapped.period = scaleup_indicators::snap_period(request.period);
        // The canonical tables (and the request itself, unless it is one of them) are computed
        // side by side, each on its own connection.
        let canonical_requests: Vec<Request> = scaleup_indicators::canonical_cuts(&request.by)
            .into_iter()
            .map(|cuts| {
                let mut r = snapped.clone();
                r.by = cuts;
                r.period = Period::default();
                r
            })
            .collect();
        let is_canonical = canonical_requests
            .iter()
            .position(|r| r.by == snapped.by && r.period == snapped.period);
        let (requested, canonical) = futures_util::future::try_join(
            async {
                match is_canonical {
                    Some(_) => Ok(None),
                    None => self.indicators(actor, hub, &snapped).await.map(Some),
                }
            },
            futures_util::future::try_join_all(
                canonical_requests
                    .iter()
                    .map(|r| self.indicators(actor, hub, r)),
            ),
        )
        .await?;
        // An all-time request is its own canonical table for its cuts: computed once.
        let requested =
            match requested.or_else(|| is_canonical.and_then(|i| canonical.get(i).cloned())) {
                Some(r) => r,
                None => self.indicators(actor, hub, &snapped).await?,
            };
        Ok(scaleup_indicators::disclose_controlled(
            requested, &canonical, k,
        ))
    }

    async fn indicator_programmes(
        &self,
        conn: &mut Tx,
        actor: Option<&Actor>,
        hub: Option<&str>,
        code: Option<&str>,
    ) -> Result<Vec<ProgrammeInfo>> {
        let rows = sqlx::query(
            "SELECT p.id, p.code, p.name, p.hub_id, p.protocol_code, p.design, h.code AS hub_code, h.name AS hub_name
             FROM programmes p JOIN hubs h ON h.id = p.hub_id ORDER BY h.code, p.code",
        )
        .fetch_all(&mut *conn)
        .await?;
        let mut sites: HashMap<String, Vec<(String, Option<String>)>> = HashMap::new();
        for r in sqlx::query(
            "SELECT programme_id, org_unit_id, arm FROM programme_sites ORDER BY org_unit_id",
        )
        .fetch_all(&mut *conn)
        .await?
        {
            sites
                .entry(r.try_get("programme_id")?)
                .or_default()
                .push((r.try_get("org_unit_id")?, r.try_get("arm")?));
        }
        let mut out = Vec::new();
        for r in rows {
            let hub_id: String = r.try_get("hub_id")?;
            let hub_code: String = r.try_get("hub_code")?;
            let p_code: String = r.try_get("code")?;
            if actor.is_some_and(|a| !a.may_see_hub(&hub_id))
                || hub.is_some_and(|h| h != hub_code)
                || code.is_some_and(|c| c != p_code)
            {
                continue;
            }
            let id: String = r.try_get("id")?;
            let protocol: String = r.try_get("protocol_code")?;
            let design: serde_json::Value =
                serde_json::from_str(&r.try_get::<String, _>("design")?).unwrap_or_default();
            let rules = self.rules_for(&hub_id);
            let primary = rules
                .protocol(&protocol)
                .and_then(|p| p.def().outcomes.first())
                .map(|o| o.instrument.clone());
            // When external support ended: per site (`support_ended` maps facility ids to
            // dates), else for the whole programme (`support_ended_on`).
            let ended_all = design["support_ended_on"]
                .as_str()
                .and_then(|d| Date::parse(d, "support_ended_on").ok());
            let sites = sites
                .remove(&id)
                .unwrap_or_default()
                .into_iter()
                .map(|(facility_id, arm)| Site {
                    support_ended_on: design["support_ended"][&facility_id]
                        .as_str()
                        .and_then(|d| Date::parse(d, "support_ended").ok())
                        .or(ended_all),
                    facility_id,
                    arm,
                })
                .collect();
            out.push(ProgrammeInfo {
                default_remission_below: primary.as_deref().and_then(|i| rules.remission_below(i)),
                primary_instrument: primary,
                id,
                code: p_code,
                name: r.try_get("name")?,
                hub_id,
                hub_code,
                hub_name: r.try_get("hub_name")?,
                protocol,
                sites,
            });
        }
        match (code, out.len()) {
            (Some(_), 0) => Err(StoreError::NotFound),
            (Some(_), n) if n > 1 => Err(StoreError::Conflict(format!(
                "{n} hubs have a programme with this code; name the hub"
            ))),
            _ => Ok(out),
        }
    }

    /// Runs `measures` over one programme's facts, grouped as `grouping` says, within
    /// `[from, to]`: additive measures from the roll-ups when they can answer (one query), the
    /// others one query per fact table, or per table and anchor when grouped by month.
    #[allow(clippy::too_many_arguments)]
    async fn measure_cells(
        &self,
        conn: &mut Tx,
        (hub_id, programme_id): (&str, &str),
        measures: &[&'static Measure],
        grouping: Grouping,
        from: Option<Date>,
        to: Option<Date>,
        params: &dyn ParamValues,
        rollups: bool,
    ) -> Result<MeasureCells> {
        let mut cells = MeasureCells::default();
        // Additive measures come from the roll-ups when a grain holds the cuts and the period
        // is whole months; the rest from the facts.
        let kept = Grain::answering(grouping)
            .zip(rollup::whole_months(from, to))
            .filter(|_| rollups);
        let (from_cells, measures): (Vec<&'static Measure>, Vec<&'static Measure>) = measures
            .iter()
            .partition(|m| kept.is_some() && rollup::is_rolled_up(m));
        if let Some((grain, months)) = kept.filter(|_| !from_cells.is_empty()) {
            self.rolled_up_cells(
                conn,
                (hub_id, programme_id),
                &from_cells,
                grain,
                grouping,
                &months,
                &mut cells,
            )
            .await?;
        }
        let mut groups: BTreeMap<(Table, Option<Col>), Vec<&'static Measure>> = BTreeMap::new();
        for m in measures {
            let anchor = grouping.month.then_some(m.anchor);
            groups.entry((m.table, anchor)).or_default().push(m);
        }
        for ((table, anchor), ms) in groups {
            let (sql, columns) =
                compile(table, anchor, &ms, grouping, programme_id, from, to, params);
            let mut rows = sql.query().fetch(&mut *conn);
            while let Some(r) = rows.try_next().await? {
                // Empty is absent, as in the roll-ups.
                let text = |c: &str| -> Result<Option<String>> {
                    Ok(r.try_get::<Option<String>, _>(c)?.filter(|t| !t.is_empty()))
                };
                let key = CellKey {
                    facility: if grouping.facility {
                        text("g_facility")?
                    } else {
                        None
                    },
                    counsellor: if grouping.counsellor {
                        text("g_counsellor")?
                    } else {
                        None
                    },
                    sex: if grouping.sex { text("g_sex")? } else { None },
                    age_band: if grouping.age_band {
                        text("g_age_band")?
                    } else {
                        None
                    },
                    arm: if grouping.arm { text("g_arm")? } else { None },
                    month: if grouping.month {
                        text("g_month")?
                    } else {
                        None
                    },
                };
                for (i, m) in columns.iter().enumerate() {
                    let n: Option<i64> = r.try_get(format!("m{i}_n").as_str())?;
                    let sum: Option<f64> = if matches!(m.agg, Agg::Sum(_)) {
                        r.try_get(format!("m{i}_s").as_str())?
                    } else {
                        None
                    };
                    let t = Tally {
                        n: n.unwrap_or(0),
                        sum: sum.unwrap_or(0.0),
                    };
                    if t.n != 0 || t.sum != 0.0 {
                        cells.add(m.id, key.clone(), t);
                    }
                }
            }
        }
        Ok(cells)
    }

    /// Adds the cells of `measures` (all kept in roll-ups) from `grain`'s roll-ups of one
    /// programme, summed to `grouping` over `months`: one query.
    #[allow(clippy::too_many_arguments)]
    async fn rolled_up_cells(
        &self,
        conn: &mut Tx,
        (hub_id, programme_id): (&str, &str),
        measures: &[&'static Measure],
        grain: Grain,
        grouping: Grouping,
        months: &rollup::MonthBounds,
        cells: &mut MeasureCells,
    ) -> Result<()> {
        let cuts: Vec<(&str, &str)> = [
            (grouping.facility, "facility_id", "g_facility"),
            (grouping.counsellor, "counsellor_id", "g_counsellor"),
            (grouping.sex, "sex", "g_sex"),
            (grouping.age_band, "age_band", "g_age_band"),
            (grouping.arm, "arm", "g_arm"),
            (grouping.month, "month", "g_month"),
        ]
        .into_iter()
        .filter(|(on, _, _)| *on)
        .map(|(_, column, alias)| (column, alias))
        .collect();
        let mut sql = Sql::new("SELECT measure_id");
        for (column, alias) in &cuts {
            sql.push(&format!(", {column} AS {alias}"));
        }
        sql.push(
            ", CAST(SUM(n) AS BIGINT) AS n, CAST(SUM(total) AS DOUBLE PRECISION) AS total
             FROM indicator_rollups WHERE hub_id = ",
        );
        sql.bind_text(hub_id.to_string());
        sql.push(" AND programme_id = ");
        sql.bind_text(programme_id.to_string());
        sql.push(" AND grain = ");
        sql.bind_text(grain.code().to_string());
        let ids: Vec<String> = measures.iter().map(|m| m.id.to_string()).collect();
        sql.push_in("measure_id", &ids);
        if let Some(f) = &months.from {
            sql.push(" AND month >= ");
            sql.bind_text(f.clone());
        }
        if let Some(t) = &months.to {
            sql.push(" AND month <= ");
            sql.bind_text(t.clone());
        }
        sql.push(" GROUP BY measure_id");
        for (column, _) in &cuts {
            sql.push(&format!(", {column}"));
        }
        let mut rows = sql.query().fetch(&mut *conn);
        while let Some(r) = rows.try_next().await? {
            let id: String = r.try_get("measure_id")?;
            let Some(m) = measures.iter().find(|m| m.id == id) else {
                continue;
            };
            let n: i64 = r.try_get("n")?;
            if n == 0 {
                continue;
            }
            let cut = |on: bool, alias: &str| -> Result<Option<String>> {
                if !on {
                    return Ok(None);
                }
                Ok(Some(r.try_get::<String, _>(alias)?).filter(|t| !t.is_empty()))
            };
            let key = CellKey {
                facility: cut(grouping.facility, "g_facility")?,
                counsellor: cut(grouping.counsellor, "g_counsellor")?,
                sex: cut(grouping.sex, "g_sex")?,
                age_band: cut(grouping.age_band, "g_age_band")?,
                arm: cut(grouping.arm, "g_arm")?,
                month: cut(grouping.month, "g_month")?,
            };
            let sum = if matches!(m.agg, Agg::Sum(_)) {
                r.try_get("total")?
            } else {
                0.0
            };
            cells.add(m.id, key, Tally { n, sum });
        }
        Ok(())
    }

    /// Attended sessions of a programme per month, facility and counsellor, with a bit per day.
    async fn programme_activity(&self, conn: &mut Tx, programme_id: &str) -> Result<Vec<Activity>> {
        let rows = sqlx::query(
            "SELECT SUBSTR(day, 1, 7) AS month, facility_id, counsellor_id, CAST(SUM(sessions) AS BIGINT) AS sessions,
                    CAST(SUM(CAST(1 AS BIGINT) << (CAST(SUBSTR(day, 9, 2) AS INTEGER) - 1)) AS BIGINT) AS days
             FROM indicator_activity WHERE programme_id = $1 AND sessions > 0
             GROUP BY SUBSTR(day, 1, 7), facility_id, counsellor_id",
        )
        .bind(programme_id.to_string())
        .fetch_all(&mut *conn)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let month: String = r.try_get("month")?;
            let Some(month) = date_of(Some(format!("{month}-01"))) else {
                continue;
            };
            let nonempty = |s: String| (!s.is_empty()).then_some(s);
            out.push(Activity {
                facility_id: nonempty(r.try_get("facility_id")?),
                counsellor_id: nonempty(r.try_get("counsellor_id")?),
                month,
                days: r.try_get::<i64, _>("days")? as u32,
                sessions: r.try_get("sessions")?,
            });
        }
        Ok(out)
    }

    /// The risk alerts of a programme's clients with the clients' cut values.
    async fn programme_alerts(
        &self,
        conn: &mut Tx,
        (hub_id, programme_id): (&str, &str),
        as_of: Date,
    ) -> Result<Vec<AlertFact>> {
        // The programme's hub first: only its alerts are joined to their clients (a third of
        // the lookups on the three-hub demo), not every hub's.
        let rows = sqlx::query(
            "SELECT c.facility_id, c.counsellor_id, c.sex, c.age_band, c.arm, a.raised_at, a.acknowledged_at, a.due_at
             FROM risk_alerts a JOIN indicator_clients c ON c.client_id = a.client_id
             WHERE a.hub_id = $1 AND c.programme_id = $2",
        )
        .bind(hub_id.to_string())
        .bind(programme_id.to_string())
        .fetch_all(&mut *conn)
        .await?;
        let end_of_as_of = format!("{as_of}T23:59:59Z");
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let raised: String = r.try_get("raised_at")?;
            let Some(raised_on) = date_of(Some(raised.clone())) else {
                continue;
            };
            let acknowledged: Option<String> = r.try_get("acknowledged_at")?;
            let due: String = r.try_get("due_at")?;
            let hours = acknowledged
                .as_deref()
                .and_then(|a| crate::time_util::minutes_between(&raised, a))
                .map(|m| m as f64 / 60.0);
            // Timestamps are fixed-width RFC 3339 UTC: text order is time order.
            let within = match &acknowledged {
                Some(a) => Some(a.as_str() <= due.as_str()),
                None if due.as_str() < end_of_as_of.as_str() => Some(false),
                None => None,
            };
            out.push(AlertFact {
                facility_id: r.try_get("facility_id")?,
                counsellor_id: r.try_get("counsellor_id")?,
                sex: r.try_get("sex")?,
                age_band: r.try_get("age_band")?,
                arm: r.try_get("arm")?,
                raised_on,
                response_hours: hours,
                within_limit: within,
            });
        }
        Ok(out)
    }

    async fn indicator_org_units(&self, conn: &mut Tx, hubs: &[String]) -> Result<Vec<OrgUnit>> {
        let mut sql = Sql::new(
            "SELECT id, hub_id, parent_id, level, code, name, catchment_population, prevalence, prevalence_source FROM org_units WHERE 1 = 1",
        );
        sql.push_in("hub_id", hubs);
        let mut out = Vec::new();
        for r in sql.query().fetch_all(&mut *conn).await? {
            let level: String = r.try_get("level")?;
            out.push(OrgUnit {
                id: r.try_get("id")?,
                hub_id: r.try_get("hub_id")?,
                parent_id: r.try_get("parent_id")?,
                level: OrgLevel::parse(&level).unwrap_or(OrgLevel::Facility),
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                catchment_population: r.try_get("catchment_population")?,
                prevalence: r.try_get("prevalence")?,
                prevalence_source: r.try_get("prevalence_source")?,
            });
        }
        Ok(out)
    }

    /// The hubs' counsellors; with `records`, their training, ratings and supervision too.
    async fn indicator_counsellors(
        &self,
        conn: &mut Tx,
        hubs: &[String],
        records: bool,
    ) -> Result<Vec<Counsellor>> {
        let mut sql =
            Sql::new("SELECT id, display_name, hub_id FROM users WHERE role = 'counsellor'");
        sql.push_in("hub_id", hubs);
        let mut by_id: BTreeMap<String, Counsellor> = BTreeMap::new();
        for r in sql.query().fetch_all(&mut *conn).await? {
            let id: String = r.try_get("id")?;
            by_id.insert(
                id.clone(),
                Counsellor {
                    id,
                    name: r.try_get("display_name")?,
                    hub_id: r
                        .try_get::<Option<String>, _>("hub_id")?
                        .unwrap_or_default(),
                    ..Default::default()
                },
            );
        }
        if !records {
            return Ok(by_id.into_values().collect());
        }
        let mut sql = Sql::new(
            "SELECT s.user_id, s.org_unit_id FROM user_sites s JOIN users u ON u.id = s.user_id WHERE u.role = 'counsellor'",
        );
        sql.push_in("u.hub_id", hubs);
        for r in sql.query().fetch_all(&mut *conn).await? {
            if let Some(c) = by_id.get_mut(&r.try_get::<String, _>("user_id")?) {
                c.sites.push(r.try_get("org_unit_id")?);
            }
        }
        for hub in hubs {
            let mut rows = sqlx::query(
                "SELECT id, kind, payload FROM records WHERE hub_id = $1
                 AND kind IN ('training_record', 'competency_assessment', 'supervision_session')",
            )
            .bind(hub.clone())
            .fetch(&mut *conn);
            while let Some(r) = rows.try_next().await? {
                let kind: String = r.try_get("kind")?;
                let id: String = r.try_get("id")?;
                let payload: String = r.try_get("payload")?;
                // Only dates, ids, levels and flags are read: sealed notes stay sealed.
                let Ok(v) = serde_json::from_str::<serde_json::Value>(&payload) else {
                    continue;
                };
                let date = |field: &str| v[field].as_str().and_then(|d| Date::parse(d, field).ok());
                match kind.as_str() {
                    "training_record" => {
                        let done = date("completed_on");
                        let passed = v["passed"].as_bool() != Some(false);
                        if let (Some(done), true, Some(c)) = (
                            done,
                            passed,
                            v["person_id"].as_str().and_then(|p| by_id.get_mut(p)),
                        ) {
                            c.trained_on = Some(c.trained_on.map_or(done, |t| t.min(done)));
                        }
                    }
                    "competency_assessment" => {
                        if let (Some(on), Some(c)) = (
                            date("on"),
                            v["counsellor_id"].as_str().and_then(|p| by_id.get_mut(p)),
                        ) {
                            let levels: Vec<u8> = v["levels"]
                                .as_object()
                                .map(|m| {
                                    m.values()
                                        .filter_map(|l| l.as_u64())
                                        .map(|l| l as u8)
                                        .collect()
                                })
                                .unwrap_or_default();
                            c.ratings.push((on, id, levels));
                        }
                    }
                    _ => {
                        let Some(on) = date("on") else { continue };
                        for cid in v["counsellor_ids"].as_array().into_iter().flatten() {
                            if let Some(c) = cid.as_str().and_then(|p| by_id.get_mut(p)) {
                                c.supervised_on.push(on);
                            }
                        }
                    }
                }
            }
        }
        Ok(by_id.into_values().collect())
    }

    /// Whether the kept facts and roll-ups equal a full recomputation from the records, the
    /// roll-ups from empty cells (the invariant the module promises); the conformance suite
    /// calls it after writes of every kind.
    #[cfg(feature = "test-support")]
    pub async fn indicator_facts_match_records(&self) -> Result<bool> {
        async fn snapshot(store: &Store) -> Result<Vec<Vec<String>>> {
            let mut out = Vec::new();
            for table in [Table::Clients, Table::Episodes] {
                let cols: Vec<&str> = table.columns().iter().map(|c| c.name()).collect();
                let sql = format!(
                    "SELECT {} FROM {} ORDER BY {}",
                    cols.join(", "),
                    table.name(),
                    cols[0]
                );
                for r in sqlx::query(sqlx::AssertSqlSafe(sql))
                    .fetch_all(&store.pool)
                    .await?
                {
                    let mut row = vec![table.name().to_string()];
                    for c in table.columns() {
                        row.push(match c.kind() {
                            ColKind::Int => format!("{:?}", r.try_get::<Option<i64>, _>(c.name())?),
                            ColKind::Num => format!(
                                "{:?}",
                                r.try_get::<Option<f64>, _>(c.name())?
                                    .map(|x| (x * 1e9).round() / 1e9)
                            ),
                            _ => format!("{:?}", r.try_get::<Option<String>, _>(c.name())?),
                        });
                    }
                    out.push(row);
                }
            }
            // Roll-up cells (a cell emptied to zero is as good as none).
            for r in sqlx::query(
                "SELECT hub_id, programme_id, grain, measure_id, month, facility_id, counsellor_id, sex, age_band, arm, n, total
                 FROM indicator_rollups WHERE n <> 0
                 ORDER BY hub_id, programme_id, grain, measure_id, month, facility_id, counsellor_id, sex, age_band, arm",
            )
            .fetch_all(&store.pool)
            .await?
            {
                let mut row = vec!["indicator_rollups".to_string()];
                for c in [
                    "hub_id",
                    "programme_id",
                    "grain",
                    "measure_id",
                    "month",
                    "facility_id",
                    "counsellor_id",
                    "sex",
                    "age_band",
                    "arm",
                ] {
                    row.push(r.try_get(c)?);
                }
                row.push(r.try_get::<i64, _>("n")?.to_string());
                row.push(format!(
                    "{:?}",
                    (r.try_get::<f64, _>("total")? * 1e9).round() / 1e9
                ));
                out.push(row);
            }
            Ok(out)
        }
        let kept = snapshot(self).await?;
        let marked: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM indicator_dirty")
            .fetch_one(&self.pool)
            .await?;
        // Recompute from empty tables: when the check passes, they are as they were.
        let mut tx = self.begin_write().await?;
        let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM records WHERE kind = 'client'")
            .fetch_all(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM indicator_clients")
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM indicator_episodes")
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM indicator_rollups")
            .execute(&mut *tx)
            .await?;
        self.refresh_clients(&mut tx, &ids).await?;
        tx.commit().await?;
        let fresh = snapshot(self).await?;
        if kept != fresh || marked != 0 {
            for (a, b) in kept.iter().zip(&fresh) {
                if a != b {
                    eprintln!("kept:  {a:?}\nfresh: {b:?}");
                    break;
                }
            }
            eprintln!(
                "kept {} rows, fresh {}, marked {marked}",
                kept.len(),
                fresh.len()
            );
            return Ok(false);
        }
        Ok(true)
    }
}

/// No parameters (the baseline spread is read before they are resolved).
struct NoParams;

impl ParamValues for NoParams {
    fn param(&self, _: scaleup_indicators::measure::Param) -> Option<ParamValue> {
        None
    }
}

/// A code from the catalogue as a SQL literal (codes are `[a-z0-9_-]`, checked).
fn code_literal(code: &str) -> String {
    assert!(
        code.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'),
        "catalogue codes are plain"
    );
    format!("'{code}'")
}

fn expr_sql(e: &Expr, params: &dyn ParamValues, sql: &mut Sql) {
    match e {
        Expr::Col(c) => {
            sql.push(c.name());
        }
        Expr::Num(x) => {
            sql.push(&format!("CAST({x:?} AS DOUBLE PRECISION)"));
        }
        Expr::Param(p) => match params.param(*p) {
            Some(ParamValue::Num(x)) => {
                sql.push("CAST(");
                sql.bind(Bind::Float(Some(x)));
                sql.push(" AS DOUBLE PRECISION)");
            }
            Some(ParamValue::Date(d)) => {
                sql.bind_text(d.to_string());
            }
            None => {
                sql.push("NULL");
            }
        },
        Expr::Sub(a, b) | Expr::Prod(a, b) => {
            sql.push("(");
            expr_sql(a, params, sql);
            sql.push(if matches!(e, Expr::Sub(..)) {
                " - "
            } else {
                " * "
            });
            expr_sql(b, params, sql);
            sql.push(")");
        }
        Expr::Scale(a, k) => {
            sql.push("(");
            expr_sql(a, params, sql);
            sql.push(&format!(" * CAST({k:?} AS DOUBLE PRECISION))"));
        }
    }
}

/// A condition as SQL that is never NULL, so it means what [`Cond::holds`] means.
fn cond_sql(c: &Cond, params: &dyn ParamValues, sql: &mut Sql) {
    match c {
        Cond::True => {
            sql.push("1 = 1");
        }
        Cond::Present(col) => {
            sql.push(&format!("{} IS NOT NULL", col.name()));
        }
        Cond::Eq(col, code) => {
            sql.push(&format!(
                "COALESCE({}, '') = {}",
                col.name(),
                code_literal(code)
            ));
        }
        Cond::In(col, codes) => {
            let list: Vec<String> = codes.iter().map(|c| code_literal(c)).collect();
            sql.push(&format!(
                "COALESCE({}, '') IN ({})",
                col.name(),
                list.join(", ")
            ));
        }
        Cond::Flag(col) => {
            sql.push(&format!("COALESCE({}, 0) = 1", col.name()));
        }
        Cond::Cmp(a, op, b) => {
            sql.push("(CASE WHEN ");
            expr_sql(a, params, sql);
            sql.push(&format!(" {} ", op.sql()));
            expr_sql(b, params, sql);
            sql.push(" THEN 1 ELSE 0 END) = 1");
        }
        Cond::And(cs) | Cond::Or(cs) => {
            if cs.is_empty() {
                sql.push(if matches!(c, Cond::And(_)) {
                    "1 = 1"
                } else {
                    "1 = 0"
                });
                return;
            }
            sql.push("(");
            for (i, x) in cs.iter().enumerate() {
                if i > 0 {
                    sql.push(if matches!(c, Cond::And(_)) {
                        " AND "
                    } else {
                        " OR "
                    });
                }
                cond_sql(x, params, sql);
            }
            sql.push(")");
        }
        Cond::Not(x) => {
            sql.push("NOT (");
            cond_sql(x, params, sql);
            sql.push(")");
        }
    }
}

/// One query over `table` computing `measures` for a programme, grouped as asked; with
/// `anchor`, every measure shares that anchor and the month is the anchor's.
#[allow(clippy::too_many_arguments)]
fn compile(
    table: Table,
    anchor: Option<Col>,
    measures: &[&'static Measure],
    grouping: Grouping,
    programme_id: &str,
    from: Option<Date>,
    to: Option<Date>,
    params: &dyn ParamValues,
) -> (Sql, Vec<&'static Measure>) {
    let mut sql = Sql::new("SELECT ");
    let mut group: Vec<String> = Vec::new();
    for (on, column, alias) in [
        (grouping.facility, "facility_id", "g_facility"),
        (grouping.counsellor, "counsellor_id", "g_counsellor"),
        (grouping.sex, "sex", "g_sex"),
        (grouping.age_band, "age_band", "g_age_band"),
        (grouping.arm, "arm", "g_arm"),
    ] {
        if on {
            sql.push(&format!("{column} AS {alias}, "));
            group.push(column.to_string());
        }
    }
    if let Some(a) = anchor {
        let month = format!("SUBSTR({}, 1, 7)", a.name());
        sql.push(&format!("{month} AS g_month, "));
        group.push(month);
    }
    // Each measure: its anchor present and in the period, and its condition.
    let base = |m: &Measure, sql: &mut Sql| {
        sql.push(&format!("{} IS NOT NULL", m.anchor.name()));
        if let Some(f) = from {
            sql.push(&format!(" AND {} >= ", m.anchor.name()));
            sql.bind_text(f.to_string());
        }
        if let Some(t) = to {
            sql.push(&format!(" AND {} <= ", m.anchor.name()));
            sql.bind_text(t.to_string());
        }
        sql.push(" AND ");
        cond_sql(&m.when, params, sql);
    };
    for (i, m) in measures.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        match &m.agg {
            Agg::Count => {
                sql.push("CAST(SUM(CASE WHEN ");
                base(m, &mut sql);
                sql.push(&format!(" THEN 1 ELSE 0 END) AS BIGINT) AS m{i}_n"));
            }
            Agg::DistinctClients => {
                sql.push("CAST(COUNT(DISTINCT CASE WHEN ");
                base(m, &mut sql);
                sql.push(&format!(" THEN client_id END) AS BIGINT) AS m{i}_n"));
            }
            Agg::Sum(e) => {
                sql.push("CAST(SUM(CASE WHEN ");
                base(m, &mut sql);
                sql.push(" AND ");
                expr_sql(e, params, &mut sql);
                sql.push(&format!(
                    " IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS m{i}_n, "
                ));
                sql.push("CAST(SUM(CASE WHEN ");
                base(m, &mut sql);
                sql.push(" THEN ");
                expr_sql(e, params, &mut sql);
                sql.push(&format!(" END) AS DOUBLE PRECISION) AS m{i}_s"));
            }
        }
    }
    sql.push(&format!(" FROM {} WHERE programme_id = ", table.name()));
    sql.bind_text(programme_id.to_string());
    if let Some(a) = anchor {
        sql.push(&format!(" AND {} IS NOT NULL", a.name()));
        if let Some(f) = from {
            sql.push(&format!(" AND {} >= ", a.name()));
            sql.bind_text(f.to_string());
        }
        if let Some(t) = to {
            sql.push(&format!(" AND {} <= ", a.name()));
            sql.bind_text(t.to_string());
        }
    }
    if !group.is_empty() {
        sql.push(&format!(" GROUP BY {}", group.join(", ")));
    }
    (sql, measures.to_vec())
}
