//! Managing staff accounts from the hub console: which accounts an admin or hub manager may
//! manage, deactivation (the account's sessions end in the same transaction), a page of a hub's
//! accounts, and moving a counsellor's caseload to another counsellor.
//!
//! Who may: admins any account; hub managers the accounts of their hubs except admins (the
//! role rule is `Capability::ManageUsers` / `MoveCaseloads`; which accounts is decided here).
//! An account the caller may not manage is `NotFound` when it is outside their hubs, so the
//! console reveals nothing about other hubs' staff.

use crate::audit::AuditEvent;
use crate::auth::user_from_row;
use crate::scope::{Actor, Bind, Sql};
use crate::{Result, Store, StoreError, UserRecord};
use scaleup_domain::role::Capability;
use sqlx::Row;

/// The largest page of accounts.
pub const MAX_USERS_PAGE: i64 = 200;

/// What moving a caseload did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CaseloadMove {
    pub from_counsellor_id: String,
    pub to_counsellor_id: String,
    /// Clients moved: those with an open episode or none yet.
    pub clients_moved: usize,
    /// Clients whose every episode is closed: they stay with the counsellor who treated them.
    pub closed_clients_kept: i64,
}

/// The account columns for `user_from_row` (schema 6 and later: the console needs schema 9).
const COLUMNS: &str = "u.id, u.username, u.display_name, u.role, u.hub_id, u.supervisor_id, u.active, u.language, u.notify_address";

/// Active clients of a caseload: an open episode, or none yet (registered or screened). The
/// `records_counsellor_kind_id` index finds the counsellor's clients; `records_client` their
/// episodes.
const ACTIVE_CLIENTS: &str = "SELECT c.id FROM records c WHERE c.kind = 'client' AND c.counsellor_id = $1
    AND (EXISTS (SELECT 1 FROM records e WHERE e.client_id = c.id AND e.kind = 'episode' AND e.tag = 'open')
         OR NOT EXISTS (SELECT 1 FROM records e WHERE e.client_id = c.id AND e.kind = 'episode'))
    ORDER BY c.id";

impl Store {
    /// The account `user_id` if `actor` may manage it: `NotFound` outside the actor's hubs,
    /// `Forbidden` for a role that manages no accounts or an account only an admin manages.
    pub(crate) async fn managed_user(&self, actor: &Actor, user_id: &str) -> Result<UserRecord> {
        if !actor.role.can(Capability::ManageUsers) {
            return Err(StoreError::Forbidden(
                "accounts are managed by admins and hub managers: ask your hub manager",
            ));
        }
        let user = self.user(user_id).await?.ok_or(StoreError::NotFound)?;
        if actor.role.sees_every_hub() {
            return Ok(user);
        }
        match &user.hub_id {
            Some(hub) if actor.may_see_hub(hub) => Ok(user),
            // Admins have no hub: a hub manager cannot see them to manage them.
            _ => Err(StoreError::NotFound),
        }
    }

    /// Deactivates (`active = false`) or reactivates an account. Deactivation ends every
    /// session of the account in the same transaction, so its next request, on any server, is
    /// refused. Nobody deactivates their own account (someone must be left to undo it).
    pub async fn set_user_active(
        &self,
        actor: &Actor,
        user_id: &str,
        active: bool,
    ) -> Result<UserRecord> {
        let user = self.managed_user(actor, user_id).await?;
        if !active && user.id == actor.user_id {
            return Err(StoreError::Forbidden(
                "you cannot deactivate your own account: ask another hub manager or an admin",
            ));
        }
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
            .bind(i64::from(active))
            .bind(user.id.clone())
            .execute(&mut *tx)
            .await?;
        let ended = if active {
            0
        } else {
            sqlx::query("DELETE FROM auth_sessions WHERE user_id = $1")
                .bind(user.id.clone())
                .execute(&mut *tx)
                .await?
                .rows_affected()
        };
        self.audit_in(
            &mut tx,
            Some(actor),
            &AuditEvent::new(
                if active {
                    "user.reactivate"
                } else {
                    "user.deactivate"
                },
                "user",
            )
            .entity(user.id.clone())
            .hub(user.hub_id.clone())
            .detail(serde_json::json!({"role": user.role.as_str(), "sessions_ended": ended})),
        )
        .await?;
        tx.commit().await?;
        Ok(UserRecord { active, ..user })
    }

    /// One page of the accounts the actor manages, by username: admins all (or one hub's),
    /// hub managers their hubs'. `after` is the last username of the previous page; the second
    /// value is the next page's cursor.
    pub async fn users_page(
        &self,
        actor: &Actor,
        hub_id: Option<&str>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<(Vec<UserRecord>, Option<String>)> {
        if !actor.role.can(Capability::ManageUsers) {
            return Err(StoreError::Forbidden(
                "accounts are managed by admins and hub managers: ask your hub manager",
            ));
        }
        let limit = limit.clamp(1, MAX_USERS_PAGE);
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM users u WHERE 1 = 1"));
        if !actor.role.sees_every_hub() {
            sql.push_in("u.hub_id", &actor.hubs);
        }
        if let Some(hub) = hub_id {
            sql.push(" AND u.hub_id = ").bind_text(hub);
        }
        if let Some(after) = after {
            sql.push(" AND u.username > ").bind_text(after);
        }
        sql.push(" ORDER BY u.username LIMIT ")
            .bind(Bind::Int(limit + 1));
        let rows = sql.query().fetch_all(&self.pool).await?;
        let mut users: Vec<UserRecord> = rows.iter().map(user_from_row).collect::<Result<_>>()?;
        let next = if users.len() as i64 > limit {
            users.truncate(limit as usize);
            users.last().map(|u| u.username.clone())
        } else {
            None
        };
        Ok((users, next))
    }

    /// How many active clients (an open episode, or none yet) and clients whose care ended a
    /// counsellor holds, for an account the actor manages.
    pub async fn caseload_counts(&self, actor: &Actor, user_id: &str) -> Result<(i64, i64)> {
        let user = self.managed_user(actor, user_id).await?;
        let active: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM ({ACTIVE_CLIENTS}) a"
        )))
        .bind(user.id.clone())
        .fetch_one(&self.pool)
        .await?;
        let all: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM records WHERE kind = 'client' AND counsellor_id = $1",
        )
        .bind(user.id)
        .fetch_one(&self.pool)
        .await?;
        Ok((active, all - active))
    }

    /// Moves every active client of counsellor `from` (an open episode, or none yet) to
    /// counsellor `to` of the same hub, in one transaction: each client record gets a new
    /// version naming `to`, written through the path a device's edit takes, so the history is
    /// kept, every record, open alert and open conflict of the client follows, the new
    /// counsellor's next pull brings them, and each move is audited, with one `caseload.move`
    /// event for the whole. Clients whose care has ended stay with `from`.
    pub async fn move_caseload(&self, actor: &Actor, from: &str, to: &str) -> Result<CaseloadMove> {
        if !actor.role.can(Capability::MoveCaseloads) {
            return Err(StoreError::Forbidden(
                "caseloads are moved by admins and hub managers: ask your hub manager",
            ));
        }
        let source = self.managed_user(actor, from).await?;
        if !source.role.holds_caseload() {
            return Err(StoreError::invalid(
                "id",
                "holds no caseload: only counsellors and supervisors hold clients",
            ));
        }
        let target = match self.managed_user(actor, to).await {
            Ok(u) => u,
            Err(StoreError::NotFound) => {
                return Err(StoreError::invalid(
                    "to_counsellor_id",
                    "must be an active counsellor or supervisor of the same hub",
                ));
            }
            Err(e) => return Err(e),
        };
        if target.id == source.id {
            return Err(StoreError::invalid(
                "to_counsellor_id",
                "must be another counsellor than the one whose caseload moves",
            ));
        }
        if !target.role.holds_caseload() || !target.active || target.hub_id != source.hub_id {
            return Err(StoreError::invalid(
                "to_counsellor_id",
                "must be an active counsellor or supervisor of the same hub",
            ));
        }
        let mut tx = self.begin_write().await?;
        let clients: Vec<String> = sqlx::query(ACTIVE_CLIENTS)
            .bind(source.id.clone())
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<std::result::Result<_, _>>()?;
        for client in &clients {
            self.reassign_client(&mut tx, actor, client, &target.id)
                .await?;
        }
        let kept: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM records WHERE kind = 'client' AND counsellor_id = $1",
        )
        .bind(source.id.clone())
        .fetch_one(&mut *tx)
        .await?;
        self.audit_in(
            &mut tx,
            Some(actor),
            &AuditEvent::new("caseload.move", "user")
                .entity(source.id.clone())
                .hub(source.hub_id.clone())
                .detail(serde_json::json!({
                    "from": source.id, "to": target.id, "clients": clients.len(), "closed_kept": kept,
                })),
        )
        .await?;
        tx.commit().await?;
        Ok(CaseloadMove {
            from_counsellor_id: source.id,
            to_counsellor_id: target.id,
            clients_moved: clients.len(),
            closed_clients_kept: kept,
        })
    }
}
