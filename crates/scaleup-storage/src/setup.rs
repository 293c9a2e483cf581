//! Hub set-up: hubs, the org-unit hierarchy, programmes and their sites.

use crate::audit::AuditEvent;
use crate::scope::Actor;
use crate::time_util::now_timestamp;
use crate::{Result, Store, StoreError};
use scaleup_domain::org::OrgLevel;
use scaleup_domain::role::Capability;
use sqlx::Row;

#[derive(Clone, Debug, serde::Serialize)]
pub struct HubRow {
    pub id: String,
    pub code: String,
    pub name: String,
    pub country: String,
}

#[derive(Clone, Debug)]
pub struct NewOrgUnit {
    pub hub_id: String,
    pub parent_id: Option<String>,
    pub level: OrgLevel,
    pub code: String,
    pub name: String,
    /// Adults in the catchment: required for facilities (the coverage denominator).
    pub catchment_population: Option<i64>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct OrgUnitRow {
    pub id: String,
    pub hub_id: String,
    pub parent_id: Option<String>,
    pub level: OrgLevel,
    pub code: String,
    pub name: String,
    pub catchment_population: Option<i64>,
    /// Share of the catchment with the condition the programme treats (0-1): need = catchment
    /// population × prevalence, the top of the effective-coverage cascade.
    pub prevalence: Option<f64>,
    /// Where the prevalence figure comes from (a survey, GBD, the programme's own estimate).
    pub prevalence_source: Option<String>,
}

/// Changes to an org unit: each field given is set (a `None` leaves it as it is, except that
/// prevalence and its source are set together).
#[derive(Clone, Debug, Default)]
pub struct OrgUnitUpdate {
    pub name: Option<String>,
    pub catchment_population: Option<i64>,
    /// `Some(None)` clears the prevalence (and its source).
    pub prevalence: Option<Option<f64>>,
    pub prevalence_source: Option<String>,
}

/// Changes to a programme: each field given is set.
#[derive(Clone, Debug, Default)]
pub struct ProgrammeUpdate {
    pub name: Option<String>,
    pub protocol_code: Option<String>,
    pub alert_ack_hours: Option<i64>,
}

/// The longest prevalence source text.
pub const MAX_SOURCE_CHARS: usize = 500;

/// A programme: an intervention (protocol) delivered at chosen sites, optionally as a trial.
/// A programme site: (facility id, arm, cluster, crossover period).
pub type ProgrammeSite = (String, Option<String>, Option<String>, Option<i64>);

#[derive(Clone, Debug)]
pub struct NewProgramme {
    pub hub_id: String,
    pub code: String,
    pub name: String,
    pub protocol_code: String,
    /// Trial design as data: `{"type": "routine"|"cluster_rct"|"stepped_wedge", "arms": [...],
    /// "periods": n, "period_days": d, ...}`.
    pub design: serde_json::Value,
    /// Hours a supervisor has to acknowledge a risk alert before it escalates to the hub manager.
    pub alert_ack_hours: i64,
    pub start_date: String,
    /// (facility id, arm, cluster, crossover period) per site.
    pub sites: Vec<ProgrammeSite>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct ProgrammeRow {
    pub id: String,
    pub hub_id: String,
    pub code: String,
    pub name: String,
    pub protocol_code: String,
    pub design: serde_json::Value,
    pub alert_ack_hours: i64,
    pub start_date: String,
    pub sites: Vec<serde_json::Value>,
}

/// A display name: not blank, at most 200 characters (it is shown in lists and reports).
pub(crate) fn name_ok(name: &str, field: &'static str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(StoreError::invalid(field, "must not be empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(StoreError::invalid(
            field,
            format!("must be at most {MAX_NAME_CHARS} characters"),
        ));
    }
    Ok(())
}

/// The longest display name of a hub, org unit, programme or user.
pub const MAX_NAME_CHARS: usize = 200;

fn code_ok(code: &str, field: &str) -> Result<()> {
    let ok = !code.is_empty()
        && code.len() <= 64
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(StoreError::invalid(
            field,
            "must be 1-64 characters: letters, digits, _ - .",
        ))
    }
}

fn require_setup(actor: Option<&Actor>, hub_id: &str) -> Result<()> {
    match actor {
        None => Ok(()),
        Some(a)
            if a.role.can(Capability::ManageHubSetup)
                && (a.role.sees_every_hub() || a.may_see_hub(hub_id)) =>
        {
            Ok(())
        }
        Some(_) => Err(StoreError::Forbidden(
            "hub set-up needs an admin or this hub's manager: ask one of them to make the change",
        )),
    }
}

impl Store {
    pub async fn create_hub(
        &self,
        actor: Option<&Actor>,
        code: &str,
        name: &str,
        country: &str,
    ) -> Result<HubRow> {
        if actor.is_some_and(|a| !a.role.can(Capability::ManageHubs)) {
            return Err(StoreError::Forbidden("only an admin creates hubs"));
        }
        code_ok(code, "code")?;
        name_ok(name, "name")?;
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(StoreError::invalid(
                "country",
                "must be an ISO 3166-1 alpha-2 code such as KE",
            ));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let mut tx = self.begin_write().await?;
        if sqlx::query("SELECT id FROM hubs WHERE code = $1")
            .bind(code.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .is_some()
        {
            return Err(StoreError::invalid(
                "code",
                "is already used by another hub",
            ));
        }
        sqlx::query(
            "INSERT INTO hubs (id, code, name, country, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.clone())
        .bind(code.to_string())
        .bind(name.to_string())
        .bind(country.to_string())
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await?;
        self.audit_in(
            &mut tx,
            actor,
            &AuditEvent::new("hub.create", "hub")
                .entity(id.clone())
                .hub(Some(id.clone())),
        )
        .await?;
        tx.commit().await?;
        Ok(HubRow {
            id,
            code: code.into(),
            name: name.into(),
            country: country.into(),
        })
    }

    pub async fn hubs(&self, actor: Option<&Actor>) -> Result<Vec<HubRow>> {
        let rows = sqlx::query("SELECT id, code, name, country FROM hubs ORDER BY code")
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::new();
        for r in rows {
            let hub = HubRow {
                id: r.try_get("id")?,
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                country: r.try_get("country")?,
            };
            if actor.is_none_or(|a| a.may_see_hub(&hub.id)) {
                out.push(hub);
            }
        }
        Ok(out)
    }

    pub async fn create_org_unit(
        &self,
        actor: Option<&Actor>,
        new: NewOrgUnit,
    ) -> Result<OrgUnitRow> {
        require_setup(actor, &new.hub_id)?;
        code_ok(&new.code, "code")?;
        name_ok(&new.name, "name")?;
        match (new.level, new.catchment_population) {
            (OrgLevel::Facility, None) => {
                return Err(StoreError::invalid(
                    "catchment_population",
                    "is required for a facility (coverage denominator)",
                ));
            }
            (_, Some(p)) if p < 0 => {
                return Err(StoreError::invalid(
                    "catchment_population",
                    "must not be negative",
                ));
            }
            _ => {}
        }
        let mut tx = self.begin_write().await?;
        if sqlx::query("SELECT id FROM hubs WHERE id = $1")
            .bind(new.hub_id.clone())
            .fetch_optional(&mut *tx)
            .await?
            .is_none()
        {
            return Err(StoreError::invalid("hub_id", "no such hub"));
        }
        match &new.parent_id {
            None if new.level != OrgLevel::Country => {
                return Err(StoreError::invalid(
                    "parent_id",
                    "is required below country level",
                ));
            }
            None => {}
            Some(parent) => {
                let row = sqlx::query("SELECT level, hub_id FROM org_units WHERE id = $1")
                    .bind(parent.clone())
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some(row) = row else {
                    return Err(StoreError::invalid("parent_id", "no such org unit"));
                };
                let level = OrgLevel::parse(&row.try_get::<String, _>("level")?);
                if row.try_get::<String, _>("hub_id")? != new.hub_id {
                    return Err(StoreError::invalid("parent_id", "must be in the same hub"));
                }
                if level.and_then(OrgLevel::child) != Some(new.level) {
                    return Err(StoreError::invalid(
                        "level",
                        "must be the level directly below the parent's",
                    ));
                }
            }
        }
        let id = uuid::Uuid::new_v4().to_string();
        let dup = sqlx::query("SELECT id FROM org_units WHERE hub_id = $1 AND code = $2")
            .bind(new.hub_id.clone())
            .bind(new.code.clone())
            .fetch_optional(&mut *tx)
            .await?;
        if dup.is_some() {
            return Err(StoreError::invalid("code", "is already used in this hub"));
        }
        sqlx::query(
            "INSERT INTO org_units (id, hub_id, parent_id, level, code, name, catchment_population) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.clone())
        .bind(new.hub_id.clone())
        .bind(new.parent_id.clone())
        .bind(new.level.as_str())
        .bind(new.code.clone())
        .bind(new.name.clone())
        .bind(new.catchment_population)
        .execute(&mut *tx)
        .await?;
        self.audit_in(
            &mut tx,
            actor,
            &AuditEvent::new("org_unit.create", "org_unit")
                .entity(id.clone())
                .hub(Some(new.hub_id.clone())),
        )
        .await?;
        tx.commit().await?;
        Ok(OrgUnitRow {
            id,
            hub_id: new.hub_id,
            parent_id: new.parent_id,
            level: new.level,
            code: new.code,
            name: new.name,
            catchment_population: new.catchment_population,
            prevalence: None,
            prevalence_source: None,
        })
    }

    pub async fn org_units(&self, actor: &Actor, hub_id: Option<&str>) -> Result<Vec<OrgUnitRow>> {
        let mut sql = crate::scope::Sql::new(
            if self.schema >= crate::migrate::HUB_CONSOLE_SCHEMA {
                "SELECT id, hub_id, parent_id, level, code, name, catchment_population, prevalence, prevalence_source FROM org_units o WHERE 1 = 1"
            } else {
                // Tests of upgrades read units on an older schema, before prevalence.
                "SELECT id, hub_id, parent_id, level, code, name, catchment_population, CAST(NULL AS DOUBLE PRECISION) AS prevalence, CAST(NULL AS TEXT) AS prevalence_source FROM org_units o WHERE 1 = 1"
            },
        );
        if let Some(h) = hub_id {
            sql.push(" AND o.hub_id = ").bind_text(h);
        }
        if !actor.role.sees_every_hub() {
            sql.push_in("o.hub_id", &actor.hubs);
        }
        sql.push(" ORDER BY o.hub_id, o.level, o.code");
        let rows = sql.query().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(OrgUnitRow {
                    id: r.try_get("id")?,
                    hub_id: r.try_get("hub_id")?,
                    parent_id: r.try_get("parent_id")?,
                    level: OrgLevel::parse(&r.try_get::<String, _>("level")?)
                        .ok_or_else(|| StoreError::Internal("bad level".into()))?,
                    code: r.try_get("code")?,
                    name: r.try_get("name")?,
                    catchment_population: r.try_get("catchment_population")?,
                    prevalence: r.try_get("prevalence")?,
                    prevalence_source: r.try_get("prevalence_source")?,
                })
            })
            .collect()
    }

    /// One org unit the actor may see (`NotFound` otherwise).
    pub async fn org_unit(&self, actor: &Actor, id: &str) -> Result<OrgUnitRow> {
        self.org_units(actor, None)
            .await?
            .into_iter()
            .find(|u| u.id == id)
            .ok_or(StoreError::NotFound)
    }

    /// Changes an org unit's name, catchment population or prevalence (with its source):
    /// admins, and the managers of its hub. Prevalence is a share between 0 and 1 and needs a
    /// source; a facility keeps a catchment population (the coverage denominator).
    pub async fn update_org_unit(
        &self,
        actor: &Actor,
        id: &str,
        update: OrgUnitUpdate,
    ) -> Result<OrgUnitRow> {
        let unit = self.org_unit(actor, id).await?;
        require_setup(Some(actor), &unit.hub_id)?;
        if let Some(name) = &update.name {
            name_ok(name, "name")?;
        }
        if let Some(p) = update.catchment_population
            && p < 0
        {
            return Err(StoreError::invalid(
                "catchment_population",
                "must not be negative",
            ));
        }
        let (prevalence, source) = match update.prevalence {
            None => (
                unit.prevalence,
                update
                    .prevalence_source
                    .clone()
                    .or(unit.prevalence_source.clone()),
            ),
            Some(None) => (None, None),
            Some(Some(p)) => (
                Some(p),
                update
                    .prevalence_source
                    .clone()
                    .or(unit.prevalence_source.clone()),
            ),
        };
        if let Some(p) = prevalence {
            if !(p.is_finite() && (0.0..=1.0).contains(&p)) {
                return Err(StoreError::invalid(
                    "prevalence",
                    "must be a share between 0 and 1 (e.g. 0.05 for 5 %)",
                ));
            }
            match source.as_deref().map(str::trim) {
                None | Some("") => {
                    return Err(StoreError::invalid(
                        "prevalence_source",
                        "is required with a prevalence: say where the figure comes from",
                    ));
                }
                Some(s) if s.chars().count() > MAX_SOURCE_CHARS => {
                    return Err(StoreError::invalid(
                        "prevalence_source",
                        format!("must be at most {MAX_SOURCE_CHARS} characters"),
                    ));
                }
                Some(_) => {}
            }
        }
        let source = prevalence.and(source.map(|s| s.trim().to_string()));
        let name = update.name.clone().unwrap_or(unit.name.clone());
        let catchment = update.catchment_population.or(unit.catchment_population);
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE org_units SET name = $1, catchment_population = $2, prevalence = $3, prevalence_source = $4 WHERE id = $5",
        )
        .bind(name.clone())
        .bind(catchment)
        .bind(prevalence)
        .bind(source.clone())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        self.audit_in(
            &mut tx,
            Some(actor),
            &AuditEvent::new("org_unit.update", "org_unit")
                .entity(id.to_string())
                .hub(Some(unit.hub_id.clone()))
                .detail(serde_json::json!({
                    "name": update.name.is_some(),
                    "catchment_population": update.catchment_population.is_some(),
                    "prevalence": update.prevalence.is_some() || update.prevalence_source.is_some(),
                })),
        )
        .await?;
        tx.commit().await?;
        Ok(OrgUnitRow {
            name,
            catchment_population: catchment,
            prevalence,
            prevalence_source: source,
            ..unit
        })
    }

    /// Changes a programme's name, protocol or alert deadline: admins, and the managers of
    /// its hub. The protocol must be in the hub's catalogue.
    pub async fn update_programme(
        &self,
        actor: &Actor,
        id: &str,
        update: ProgrammeUpdate,
    ) -> Result<ProgrammeRow> {
        let programme = self
            .programme(id)
            .await?
            .filter(|p| actor.may_see_hub(&p.hub_id))
            .ok_or(StoreError::NotFound)?;
        require_setup(Some(actor), &programme.hub_id)?;
        if let Some(name) = &update.name {
            name_ok(name, "name")?;
        }
        if let Some(code) = &update.protocol_code {
            self.check_protocol_code(&programme.hub_id, code)?;
        }
        if let Some(h) = update.alert_ack_hours
            && !(1..=24 * 14).contains(&h)
        {
            return Err(StoreError::invalid(
                "alert_ack_hours",
                "must be between 1 and 336",
            ));
        }
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE programmes SET name = $1, protocol_code = $2, alert_ack_hours = $3 WHERE id = $4",
        )
        .bind(update.name.clone().unwrap_or(programme.name.clone()))
        .bind(
            update
                .protocol_code
                .clone()
                .unwrap_or(programme.protocol_code.clone()),
        )
        .bind(update.alert_ack_hours.unwrap_or(programme.alert_ack_hours))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        self.audit_in(
            &mut tx,
            Some(actor),
            &AuditEvent::new("programme.update", "programme")
                .entity(id.to_string())
                .hub(Some(programme.hub_id.clone()))
                .detail(serde_json::json!({
                    "name": update.name.is_some(),
                    "protocol_code": update.protocol_code,
                    "alert_ack_hours": update.alert_ack_hours,
                })),
        )
        .await?;
        tx.commit().await?;
        self.programme(id).await?.ok_or(StoreError::NotFound)
    }

    /// A protocol code must name a protocol of the hub's catalogue (built-in, network-wide or
    /// the hub's own).
    fn check_protocol_code(&self, hub_id: &str, code: &str) -> Result<()> {
        code_ok(code, "protocol_code")?;
        if self
            .catalogs()
            .catalog(Some(hub_id))
            .protocol(code)
            .is_none()
        {
            return Err(StoreError::invalid(
                "protocol_code",
                "is not a protocol in this hub's catalogue (built in, network-wide or uploaded for the hub)",
            ));
        }
        Ok(())
    }

    pub async fn create_programme(
        &self,
        actor: Option<&Actor>,
        new: NewProgramme,
    ) -> Result<ProgrammeRow> {
        require_setup(actor, &new.hub_id)?;
        code_ok(&new.code, "code")?;
        self.check_protocol_code(&new.hub_id, &new.protocol_code)?;
        name_ok(&new.name, "name")?;
        if !(1..=24 * 14).contains(&new.alert_ack_hours) {
            return Err(StoreError::invalid(
                "alert_ack_hours",
                "must be between 1 and 336",
            ));
        }
        scaleup_domain::date::Date::parse(&new.start_date, "start_date")?;
        if !new.design.is_object() {
            return Err(StoreError::invalid("design", "must be an object"));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let mut tx = self.begin_write().await?;
        let dup = sqlx::query("SELECT id FROM programmes WHERE hub_id = $1 AND code = $2")
            .bind(new.hub_id.clone())
            .bind(new.code.clone())
            .fetch_optional(&mut *tx)
            .await?;
        if dup.is_some() {
            return Err(StoreError::invalid("code", "is already used in this hub"));
        }
        sqlx::query(
            "INSERT INTO programmes (id, hub_id, code, name, protocol_code, design, alert_ack_hours, start_date) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.clone())
        .bind(new.hub_id.clone())
        .bind(new.code.clone())
        .bind(new.name.clone())
        .bind(new.protocol_code.clone())
        .bind(new.design.to_string())
        .bind(new.alert_ack_hours)
        .bind(new.start_date.clone())
        .execute(&mut *tx)
        .await?;
        for (i, (site, arm, cluster, period)) in new.sites.iter().enumerate() {
            let ok = sqlx::query(
                "SELECT id FROM org_units WHERE id = $1 AND hub_id = $2 AND level = 'facility'",
            )
            .bind(site.clone())
            .bind(new.hub_id.clone())
            .fetch_optional(&mut *tx)
            .await?;
            if ok.is_none() {
                return Err(StoreError::invalid(
                    format!("sites.{i}.facility_id"),
                    "must be a facility of this hub",
                ));
            }
            sqlx::query("INSERT INTO programme_sites (programme_id, org_unit_id, arm, cluster, crossover_period) VALUES ($1, $2, $3, $4, $5)")
                .bind(id.clone())
                .bind(site.clone())
                .bind(arm.clone())
                .bind(cluster.clone())
                .bind(*period)
                .execute(&mut *tx)
                .await?;
        }
        self.audit_in(
            &mut tx,
            actor,
            &AuditEvent::new("programme.create", "programme")
                .entity(id.clone())
                .hub(Some(new.hub_id.clone())),
        )
        .await?;
        tx.commit().await?;
        self.programme(&id).await?.ok_or(StoreError::NotFound)
    }

    pub async fn programme(&self, id: &str) -> Result<Option<ProgrammeRow>> {
        let row = sqlx::query("SELECT id, hub_id, code, name, protocol_code, design, alert_ack_hours, start_date FROM programmes WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        let Some(r) = row else { return Ok(None) };
        let sites = sqlx::query("SELECT org_unit_id, arm, cluster, crossover_period FROM programme_sites WHERE programme_id = $1 ORDER BY org_unit_id")
            .bind(id.to_string())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|s| {
                Ok(serde_json::json!({
                    "facility_id": s.try_get::<String, _>("org_unit_id")?,
                    "arm": s.try_get::<Option<String>, _>("arm")?,
                    "cluster": s.try_get::<Option<String>, _>("cluster")?,
                    "crossover_period": s.try_get::<Option<i64>, _>("crossover_period")?,
                }))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(ProgrammeRow {
            id: r.try_get("id")?,
            hub_id: r.try_get("hub_id")?,
            code: r.try_get("code")?,
            name: r.try_get("name")?,
            protocol_code: r.try_get("protocol_code")?,
            design: serde_json::from_str(&r.try_get::<String, _>("design")?).unwrap_or_default(),
            alert_ack_hours: r.try_get("alert_ack_hours")?,
            start_date: r.try_get("start_date")?,
            sites,
        }))
    }

    pub async fn programmes(&self, actor: &Actor) -> Result<Vec<ProgrammeRow>> {
        let rows = sqlx::query("SELECT id, hub_id FROM programmes ORDER BY code")
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::new();
        for r in rows {
            let hub: String = r.try_get("hub_id")?;
            if actor.may_see_hub(&hub)
                && let Some(p) = self.programme(&r.try_get::<String, _>("id")?).await?
            {
                out.push(p);
            }
        }
        Ok(out)
    }
}
