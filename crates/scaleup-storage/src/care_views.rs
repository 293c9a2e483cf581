//! Reads the supervisor's pages need beyond the API's lists: the names of the clients in a
//! review queue, a supervisor's own supervision log, and one counsellor's recent work for the
//! coaching view. Each is scoped like every client-level read and audited.

use crate::audit::AuditEvent;
use crate::scope::{Actor, Sql};
use crate::{Result, Store, StoreError};
use scaleup_domain::role::{Capability, Role};
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet};

/// One counsellor's records as the coaching view reads them (pseudonymous: no identities).
#[derive(Clone, Debug, Default)]
pub struct CounsellorWork {
    /// Records of kinds `episode`, `session`, `assessment` and `competency_assessment`, with
    /// their opened payload and, for assessments, the stored score detail.
    pub records: Vec<WorkRecord>,
}

#[derive(Clone, Debug)]
pub struct WorkRecord {
    pub id: String,
    pub kind: String,
    pub client_id: Option<String>,
    pub occurred_on: Option<String>,
    pub data: serde_json::Value,
    pub score_total: Option<f64>,
}

impl Store {
    /// Display names ("given family") of the clients among `ids` that the actor may see, for
    /// roles that may read identities. One audit event lists the clients whose names were read.
    pub async fn client_names(
        &self,
        actor: &Actor,
        ids: &[String],
    ) -> Result<BTreeMap<String, String>> {
        let mut out = BTreeMap::new();
        if !actor.role.can(Capability::ReadIdentity) || ids.is_empty() {
            return Ok(out);
        }
        for chunk in ids.chunks(500) {
            let mut sql = Sql::new(
                "SELECT ci.client_id, ci.ciphertext FROM client_identities ci JOIN records r ON r.id = ci.client_id AND r.kind = 'client' WHERE 1 = 1",
            );
            actor.push_scope(&mut sql, "r");
            sql.push_in("ci.client_id", chunk);
            for row in sql.query().fetch_all(&self.pool).await? {
                let client: String = row.try_get("client_id")?;
                let sealed: String = row.try_get("ciphertext")?;
                let plain = self.keys.open(&client, &sealed)?;
                let identity: serde_json::Value = serde_json::from_slice(&plain)
                    .map_err(|_| StoreError::Internal("decrypted identity is not JSON".into()))?;
                let name = [
                    identity["given_name"].as_str(),
                    identity["family_name"].as_str(),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
                out.insert(client, name);
            }
        }
        if !out.is_empty() {
            self.audit(
                Some(actor),
                AuditEvent::new("identity.names.read", "client")
                    .hub(actor.hubs.first().cloned())
                    .detail(serde_json::json!({"clients": out.keys().collect::<Vec<_>>()})),
            )
            .await?;
        }
        Ok(out)
    }

    /// The actor's own supervision sessions, newest first (notes opened).
    pub async fn supervision_log(
        &self,
        actor: &Actor,
        limit: i64,
    ) -> Result<Vec<(String, serde_json::Value)>> {
        if !actor.role.can(Capability::Supervise) {
            return Err(StoreError::Forbidden(
                "the supervision log is for supervisors",
            ));
        }
        let rows = sqlx::query(
            "SELECT id, payload FROM records WHERE kind = 'supervision_session' AND counsellor_id = $1 ORDER BY occurred_on DESC, change_seq DESC LIMIT $2",
        )
        .bind(actor.user_id.clone())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for r in &rows {
            out.push((
                r.try_get("id")?,
                self.open_payload("supervision_session", &r.try_get::<String, _>("payload")?)?,
            ));
        }
        Ok(out)
    }

    /// A counsellor's episodes and assessments (with scores), and their sessions and
    /// competency ratings since `since` (an ISO date), for the coaching view. Only the counsellor's supervisor,
    /// a hub manager of their hub or an admin may read it; others get `NotFound`. Audited.
    pub async fn counsellor_work(
        &self,
        actor: &Actor,
        counsellor_id: &str,
        since: &str,
    ) -> Result<CounsellorWork> {
        let counsellor = self
            .user(counsellor_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let allowed = match actor.role {
            Role::Supervisor => counsellor.supervisor_id.as_deref() == Some(actor.user_id.as_str()),
            Role::HubManager => counsellor
                .hub_id
                .as_deref()
                .is_some_and(|h| actor.may_see_hub(h)),
            Role::Admin => true,
            _ => false,
        };
        if !allowed || counsellor.role != Role::Counsellor {
            return Err(StoreError::NotFound);
        }
        let rows = sqlx::query(
            "SELECT r.id, r.kind, r.client_id, r.occurred_on, r.payload, s.total FROM records r
             LEFT JOIN assessment_scores s ON s.record_id = r.id
             WHERE r.counsellor_id = $1 AND r.kind IN ('episode', 'session', 'assessment', 'competency_assessment')
               AND (r.kind IN ('episode', 'assessment') OR r.occurred_on >= $2)
             ORDER BY r.occurred_on, r.change_seq",
        )
        .bind(counsellor_id.to_string())
        .bind(since.to_string())
        .fetch_all(&self.pool)
        .await?;
        let mut work = CounsellorWork::default();
        let mut clients = BTreeSet::new();
        for r in &rows {
            let kind: String = r.try_get("kind")?;
            let client_id: Option<String> = r.try_get("client_id")?;
            if let Some(c) = &client_id {
                clients.insert(c.clone());
            }
            work.records.push(WorkRecord {
                id: r.try_get("id")?,
                data: self.open_payload(&kind, &r.try_get::<String, _>("payload")?)?,
                kind,
                client_id,
                occurred_on: r.try_get("occurred_on")?,
                score_total: r.try_get("total")?,
            });
        }
        self.audit(
            Some(actor),
            AuditEvent::new("coaching.read", "user")
                .entity(counsellor_id)
                .hub(counsellor.hub_id.clone())
                .detail(
                    serde_json::json!({"clients": clients.len(), "records": work.records.len()}),
                ),
        )
        .await?;
        Ok(work)
    }
}
