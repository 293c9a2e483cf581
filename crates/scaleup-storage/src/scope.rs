//! Who is asking, and which rows that lets them see.
//!
//! Scoping is one SQL fragment per role, added to every client-level query, so a route cannot
//! forget it: counsellors see their own caseload, supervisors their supervisees' (and their own),
//! hub managers and researchers their hubs, admins everything; viewers no client rows at all.

use scaleup_domain::role::Role;

/// The authenticated caller, as the store needs it.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: String,
    pub role: Role,
    /// The hubs the caller may see: their own and any granted. Empty for an admin (all hubs).
    pub hubs: Vec<String>,
}

/// A bound value for dynamically built SQL.
#[derive(Clone, Debug)]
pub(crate) enum Bind {
    Text(String),
    Int(i64),
    /// A number, or a typed NULL.
    Float(Option<f64>),
}

/// SQL text with `$n` placeholders and the values to bind, built in step.
#[derive(Default)]
pub(crate) struct Sql {
    pub text: String,
    pub binds: Vec<Bind>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Sql {
            text: text.to_string(),
            binds: Vec::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: Bind) -> &mut Self {
        self.binds.push(value);
        self.text.push_str(&format!("${}", self.binds.len()));
        self
    }

    pub fn bind_text(&mut self, value: impl Into<String>) -> &mut Self {
        self.bind(Bind::Text(value.into()))
    }

    /// Appends ` AND <column> IN (...)` over `values`; an empty list matches nothing.
    pub fn push_in(&mut self, column: &str, values: &[String]) -> &mut Self {
        self.push(&format!(" AND {column} IN ("));
        if values.is_empty() {
            self.push("NULL");
        }
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind_text(v.clone());
        }
        self.push(")")
    }

    pub fn query(&self) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments> {
        // The text is built only from literals in this crate; every value goes through a bind.
        let mut q = sqlx::query(sqlx::AssertSqlSafe(self.text.as_str()));
        for b in &self.binds {
            q = match b {
                Bind::Text(s) => q.bind(s.clone()),
                Bind::Int(i) => q.bind(*i),
                Bind::Float(x) => q.bind(*x),
            };
        }
        q
    }
}

impl Actor {
    /// Appends ` AND (<scope>)` restricting rows of `alias` (a table with `hub_id` and
    /// `counsellor_id` columns) to what this actor may see.
    pub(crate) fn push_scope(&self, sql: &mut Sql, alias: &str) {
        if !self.role.sees_every_hub() {
            sql.push_in(&format!("{alias}.hub_id"), &self.hubs);
        }
        match self.role {
            Role::Counsellor => {
                sql.push(&format!(" AND {alias}.counsellor_id = "));
                sql.bind_text(self.user_id.clone());
            }
            Role::Supervisor => {
                sql.push(&format!(" AND ({alias}.counsellor_id = "));
                sql.bind_text(self.user_id.clone());
                sql.push(&format!(
                    " OR {alias}.counsellor_id IN (SELECT id FROM users WHERE supervisor_id = "
                ));
                sql.bind_text(self.user_id.clone());
                sql.push("))");
            }
            Role::Viewer => {
                // Viewers see aggregates only; client-level queries match nothing for them.
                sql.push(" AND 1 = 0");
            }
            Role::Admin | Role::HubManager | Role::Researcher => {}
        }
    }

    pub fn may_see_hub(&self, hub_id: &str) -> bool {
        self.role.sees_every_hub() || self.hubs.iter().any(|h| h == hub_id)
    }
}
