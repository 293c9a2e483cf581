//! Reads for exports (analysis datasets, FHIR, NDA): one programme's client-level records with
//! their scores, its sites and its hub's organisation units, as a
//! `scaleup_interop::source::StudySource`. Every read appends an audit event naming who read
//! what for which export; a read that cannot be audited fails.

use crate::audit::AuditEvent;
use crate::scope::Actor;
use crate::{Result, Store, StoreError};
use futures_util::TryStreamExt;
use scaleup_domain::date::Date;
use scaleup_domain::record::{RecordKind, parse_payload};
use scaleup_interop::source::{OrgUnit, ProgrammeInfo, Score, Site, SourceRecord, StudySource};
use sqlx::Row;
use uuid::Uuid;

/// The record kinds an export reads. Identities are never among them.
const EXPORT_KINDS: [RecordKind; 5] = [
    RecordKind::Client,
    RecordKind::Consent,
    RecordKind::Episode,
    RecordKind::Assessment,
    RecordKind::Session,
];

fn uuid(text: &str, what: &'static str) -> Result<Uuid> {
    Uuid::parse_str(text).map_err(|_| StoreError::Internal(format!("{what} is not a UUID")))
}

impl Store {
    /// The key that makes export pseudonyms and per-client date shifts: a subkey of the master
    /// key, so they are stable across exports and secret to anyone without the key.
    pub fn deidentification_key(&self) -> scaleup_interop::deid::DeidKey {
        scaleup_interop::deid::DeidKey::new(self.keys.export_key())
    }

    /// One programme's data for an export, audited as `export.<purpose>` with `detail` (the
    /// export's options) and the counts read. `actor` is the API caller, who must see the
    /// programme's hub (checked here, so no edge can forget); `None` is an operator at the
    /// command line.
    pub async fn study_source(
        &self,
        actor: Option<&Actor>,
        programme_id: &str,
        purpose: &str,
        detail: serde_json::Value,
    ) -> Result<StudySource> {
        let Some(p) = self.programme(programme_id).await? else {
            return Err(StoreError::NotFound);
        };
        if let Some(actor) = actor
            && !actor.may_see_hub(&p.hub_id)
        {
            return Err(StoreError::NotFound);
        }
        let hub_code: String = sqlx::query_scalar("SELECT code FROM hubs WHERE id = $1")
            .bind(p.hub_id.clone())
            .fetch_one(&self.pool)
            .await?;
        let org_units = sqlx::query(
            "SELECT id, parent_id, level, code FROM org_units WHERE hub_id = $1 ORDER BY id",
        )
        .bind(p.hub_id.clone())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(OrgUnit {
                id: uuid(&r.try_get::<String, _>("id")?, "org unit id")?,
                parent_id: r
                    .try_get::<Option<String>, _>("parent_id")?
                    .map(|p| uuid(&p, "org unit parent"))
                    .transpose()?,
                level: r.try_get("level")?,
                code: r.try_get("code")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let sites = p
            .sites
            .iter()
            .map(|s| {
                Ok(Site {
                    facility_id: uuid(s["facility_id"].as_str().unwrap_or(""), "site facility")?,
                    arm: s["arm"].as_str().map(str::to_string),
                    cluster: s["cluster"].as_str().map(str::to_string),
                    crossover_period: s["crossover_period"].as_i64(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let kinds = EXPORT_KINDS
            .iter()
            .map(|k| format!("'{}'", k.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT r.id, r.kind, r.payload, s.total, s.band, s.instrument_version FROM records r
             LEFT JOIN assessment_scores s ON s.record_id = r.id
             WHERE r.programme_id = $1 AND r.kind IN ({kinds})
             ORDER BY r.id"
        );
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(programme_id.to_string())
            .fetch(&self.pool);
        let mut records = Vec::new();
        let mut clients = std::collections::BTreeSet::new();
        while let Some(r) = rows.try_next().await? {
            let kind: String = r.try_get("kind")?;
            let kind = RecordKind::parse(&kind).ok_or_else(|| {
                StoreError::Internal("a stored record has an unknown kind".into())
            })?;
            let payload: String = r.try_get("payload")?;
            let json: serde_json::Value = serde_json::from_str(&payload)
                .map_err(|_| StoreError::Internal("a stored payload is not JSON".into()))?;
            let payload = parse_payload(kind, &json).map_err(|e| {
                StoreError::Internal(format!("a stored payload no longer parses: {e}"))
            })?;
            let id = uuid(&r.try_get::<String, _>("id")?, "record id")?;
            if let Some(c) = payload.client_id(id) {
                clients.insert(c);
            }
            let score = if kind == RecordKind::Assessment {
                Some(Score {
                    total: r.try_get("total")?,
                    band: r.try_get("band")?,
                    version: r.try_get("instrument_version")?,
                })
            } else {
                None
            };
            records.push(SourceRecord { id, payload, score });
        }
        drop(rows);
        let mut detail = detail;
        if let Some(map) = detail.as_object_mut() {
            map.insert("programme".into(), p.code.clone().into());
            map.insert("records".into(), records.len().into());
            map.insert("clients".into(), clients.len().into());
        }
        self.audit(
            actor,
            AuditEvent::new(&format!("export.{purpose}"), "programme")
                .entity(programme_id)
                .hub(Some(p.hub_id.clone()))
                .detail(detail),
        )
        .await?;
        Ok(StudySource {
            hub_code,
            programme: ProgrammeInfo {
                id: uuid(&p.id, "programme id")?,
                code: p.code,
                start_date: Date::parse(&p.start_date, "programme.start_date").map_err(|_| {
                    StoreError::Internal("a programme's start date is malformed".into())
                })?,
                design: p.design,
                sites,
            },
            org_units,
            records,
        })
    }
}
