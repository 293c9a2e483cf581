//! Hub set-up: hubs, the org-unit hierarchy, programmes and their sites.

use crate::audit::AuditEvent;
use crate::scope::Actor;
use crate::time_util::now_timestamp;
use crate::{Result, Store, StoreError};
use scaleup_domain::org::OrgLevel;
use scaleup_domain::role::Role;
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
}

/// A programme: an intervention (protocol) delivered at chosen sites, optionally as a trial.
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
    pub sites: Vec<(String, Option<String>, Option<String>, Option<i64>)>,
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
        Some(a) if a.role == Role::Admin => Ok(()),
        Some(a) if a.role == Role::HubManager && a.may_see_hub(hub_id) => Ok(()),
        Some(_) => Err(StoreError::Forbidden(
            "hub set-up needs an admin or this hub's manager",
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
        if actor.is_some_and(|a| a.role != Role::Admin) {
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
        })
    }

    pub async fn org_units(&self, actor: &Actor, hub_id: Option<&str>) -> Result<Vec<OrgUnitRow>> {
        let mut sql = crate::scope::Sql::new(
            "SELECT id, hub_id, parent_id, level, code, name, catchment_population FROM org_units o WHERE 1 = 1",
        );
        if let Some(h) = hub_id {
            sql.push(" AND o.hub_id = ").bind_text(h);
        }
        if actor.role != Role::Admin {
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
                })
            })
            .collect()
    }

    pub async fn create_programme(
        &self,
        actor: Option<&Actor>,
        new: NewProgramme,
    ) -> Result<ProgrammeRow> {
        require_setup(actor, &new.hub_id)?;
        code_ok(&new.code, "code")?;
        code_ok(&new.protocol_code, "protocol_code")?;
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
            if actor.may_see_hub(&hub) {
                if let Some(p) = self.programme(&r.try_get::<String, _>("id")?).await? {
                    out.push(p);
                }
            }
        }
        Ok(out)
    }
}

/// A hub-supplied definition file as stored.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DefinitionRow {
    pub kind: String,
    pub code: String,
    pub origin: String,
    pub source: String,
}

impl Store {
    /// Stores a validated hub definition file (instrument, protocol, competency framework or
    /// item texts), replacing an earlier file with the same kind and code. Kept in the database
    /// so every server behind a load balancer loads the same catalogue.
    pub async fn put_definition(
        &self,
        actor: Option<&Actor>,
        kind: &str,
        code: &str,
        origin: &str,
        source: &str,
    ) -> Result<()> {
        if actor.is_some_and(|a| !matches!(a.role, Role::Admin | Role::HubManager)) {
            return Err(StoreError::Forbidden(
                "definitions are managed by admins and hub managers",
            ));
        }
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO definitions (kind, code, hub_id, source, added_by, added_at) VALUES ($1, $2, NULL, $3, $4, $5)
             ON CONFLICT (kind, code) DO UPDATE SET source = $3, added_by = $4, added_at = $5",
        )
        .bind(kind.to_string())
        .bind(code.to_string())
        .bind(format!("# origin: {origin}\n{source}"))
        .bind(actor.map(|a| a.user_id.clone()).unwrap_or_else(|| "cli".into()))
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await?;
        self.audit_in(
            &mut tx,
            actor,
            &AuditEvent::new("definition.put", "definition")
                .entity(format!("{kind}:{code}"))
                .detail(serde_json::json!({"origin": origin})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Hub definition files, in the order they were added.
    pub async fn definitions(&self) -> Result<Vec<DefinitionRow>> {
        let rows =
            sqlx::query("SELECT kind, code, source FROM definitions ORDER BY added_at, kind, code")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                let stored: String = r.try_get("source")?;
                let (origin, source) = match stored.split_once('\n') {
                    Some((first, rest)) if first.starts_with("# origin: ") => (
                        first.trim_start_matches("# origin: ").to_string(),
                        rest.to_string(),
                    ),
                    _ => ("database".to_string(), stored.clone()),
                };
                Ok(DefinitionRow {
                    kind: r.try_get("kind")?,
                    code: r.try_get("code")?,
                    origin,
                    source,
                })
            })
            .collect()
    }
}
