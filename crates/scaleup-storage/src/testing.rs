//! Test support: a fresh database per test on either backend, and a small seeded hub.
//!
//! PostgreSQL tests read `SCALEUP_TEST_POSTGRES_URL` (an account allowed to create databases)
//! and create one database per test. When the variable is missing they are skipped locally,
//! but with `CI=true` they fail: CI must prove both backends.
// Test support panics on a missing column by design: Row::get is disallowed in the product only.
#![allow(clippy::disallowed_methods)]

use crate::{MasterKey, NewOrgUnit, NewProgramme, NewUser, Rules, Store, StoreOptions, UserRecord};
use scaleup_domain::org::OrgLevel;
use scaleup_domain::role::Role;
use std::sync::Arc;

/// A database for one test; SQLite files live in a temp dir removed on drop.
pub struct TestDb {
    pub url: String,
    pub key: MasterKey,
    _dir: Option<tempfile_dir::Dir>,
    /// A PostgreSQL test database is dropped with the test (admin URL, database name): a run
    /// of the suites creates hundreds, and they filled a developer's disk (14 GB).
    drop_postgres: Option<(String, String)>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.drop_postgres.take() else {
            return;
        };
        // Best effort, on a thread of its own (a test's runtime may be shutting down): FORCE
        // closes connections a test's pool still holds.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(pool) = sqlx::AnyPool::connect(&admin).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&pool)
                    .await;
                    pool.close().await;
                }
            });
        })
        .join();
    }
}

/// Minimal temp-dir handling without a dependency: removed on drop.
mod tempfile_dir {
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Instantiates each named test once per backend, in modules `sqlite` and `postgres`, each
/// with a fresh database handed to the calling file's `run(&db, test)` (which opens the store
/// and seeds what the file needs). The PostgreSQL variant is skipped locally without
/// [`POSTGRES_ENV`] and fails under `CI=true` (see [`postgres_admin_url`]).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = $crate::testing::TestDb::sqlite();
                    super::run(&db, super::$name).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = $crate::testing::TestDb::postgres().await else { return };
                    super::run(&db, super::$name).await;
                }
            )*
        }
    };
}

pub const POSTGRES_ENV: &str = "SCALEUP_TEST_POSTGRES_URL";

/// Whether a PostgreSQL test should run: `Some(url)` if configured; `None` to skip locally.
/// Panics under `CI=true` when unconfigured, so CI cannot pass without PostgreSQL.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var(POSTGRES_ENV) {
        Ok(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => Some(url),
        Ok(url) if !url.is_empty() => {
            // Not the URL itself: a diagnostic that went to stdout would land here.
            panic!(
                "{POSTGRES_ENV} is not a postgres:// URL (got {} characters)",
                url.len()
            )
        }
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{POSTGRES_ENV} is not set but CI=true: PostgreSQL tests must run in CI");
            }
            eprintln!("note: {POSTGRES_ENV} not set; PostgreSQL variant not run locally");
            None
        }
    }
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join(format!("scaleup-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let url = dir.join("test.sqlite").to_string_lossy().to_string();
        TestDb {
            url,
            key: MasterKey::generate(),
            _dir: Some(tempfile_dir::Dir(dir)),
            drop_postgres: None,
        }
    }

    /// A fresh, empty PostgreSQL database; `None` when PostgreSQL is not configured (locally).
    pub async fn postgres() -> Option<TestDb> {
        let admin = postgres_admin_url()?;
        sqlx::any::install_default_drivers();
        let name = format!("scaleup_test_{}", uuid::Uuid::new_v4().simple());
        let pool = sqlx::AnyPool::connect(&admin)
            .await
            .expect("connect to the PostgreSQL test server");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&pool)
            .await
            .expect("create test database");
        pool.close().await;
        let base = admin
            .rsplit_once('/')
            .map(|(b, _)| b.to_string())
            .unwrap_or(admin.clone());
        Some(TestDb {
            url: format!("{base}/{name}"),
            key: MasterKey::generate(),
            _dir: None,
            drop_postgres: Some((admin, name)),
        })
    }

    pub async fn open(&self, rules: Arc<dyn Rules>) -> Store {
        Store::open(StoreOptions {
            url: self.url.clone(),
            master_key: self.key.clone(),
            max_connections: 5,
            rules,
        })
        .await
        .expect("open test store")
    }
}

/// Password every fixture account uses.
pub const FIXTURE_PASSWORD: &str = "correct horse battery";

/// A hub with two facilities, a programme, and one account per role (plus a second counsellor
/// under another supervisor, and a counsellor of a second hub) — enough to test every scope.
pub struct Fixture {
    pub hub_id: String,
    pub other_hub_id: String,
    pub facility_id: String,
    pub other_facility_id: String,
    pub programme_id: String,
    pub other_programme_id: String,
    pub admin: UserRecord,
    pub manager: UserRecord,
    pub supervisor: UserRecord,
    pub supervisor_b: UserRecord,
    pub counsellor: UserRecord,
    pub counsellor_b: UserRecord,
    pub researcher: UserRecord,
    pub viewer: UserRecord,
    pub foreign_counsellor: UserRecord,
}

impl Fixture {
    pub async fn seed(store: &Store) -> Fixture {
        let hub = store
            .create_hub(None, "ke-pmplus", "Kenya PM+ hub", "KE")
            .await
            .unwrap();
        let other = store
            .create_hub(None, "zw-fb", "Zimbabwe Friendship Bench hub", "ZW")
            .await
            .unwrap();
        let unit = |hub: &str, parent: Option<String>, level, code: &str, pop| NewOrgUnit {
            hub_id: hub.to_string(),
            parent_id: parent,
            level,
            code: code.to_string(),
            name: code.to_uppercase(),
            catchment_population: pop,
        };
        let country = store
            .create_org_unit(None, unit(&hub.id, None, OrgLevel::Country, "ke", None))
            .await
            .unwrap();
        let region = store
            .create_org_unit(
                None,
                unit(&hub.id, Some(country.id), OrgLevel::Region, "nairobi", None),
            )
            .await
            .unwrap();
        let district = store
            .create_org_unit(
                None,
                unit(&hub.id, Some(region.id), OrgLevel::District, "kibra", None),
            )
            .await
            .unwrap();
        let f1 = store
            .create_org_unit(
                None,
                unit(
                    &hub.id,
                    Some(district.id.clone()),
                    OrgLevel::Facility,
                    "kibra-hc",
                    Some(24000),
                ),
            )
            .await
            .unwrap();
        let f2 = store
            .create_org_unit(
                None,
                unit(
                    &hub.id,
                    Some(district.id),
                    OrgLevel::Facility,
                    "olympic-hc",
                    Some(18000),
                ),
            )
            .await
            .unwrap();
        let oc = store
            .create_org_unit(None, unit(&other.id, None, OrgLevel::Country, "zw", None))
            .await
            .unwrap();
        let or = store
            .create_org_unit(
                None,
                unit(&other.id, Some(oc.id), OrgLevel::Region, "harare", None),
            )
            .await
            .unwrap();
        let od = store
            .create_org_unit(
                None,
                unit(&other.id, Some(or.id), OrgLevel::District, "harare-d", None),
            )
            .await
            .unwrap();
        let of = store
            .create_org_unit(
                None,
                unit(
                    &other.id,
                    Some(od.id),
                    OrgLevel::Facility,
                    "mbare",
                    Some(30000),
                ),
            )
            .await
            .unwrap();
        let programme = store
            .create_programme(
                None,
                NewProgramme {
                    hub_id: hub.id.clone(),
                    code: "pmplus-2026".into(),
                    name: "PM+ scale-up".into(),
                    protocol_code: "pm_plus_individual".into(),
                    design: serde_json::json!({"type": "routine"}),
                    alert_ack_hours: 24,
                    start_date: "2026-01-01".into(),
                    sites: vec![
                        (f1.id.clone(), None, None, None),
                        (f2.id.clone(), None, None, None),
                    ],
                },
            )
            .await
            .unwrap();
        let other_programme = store
            .create_programme(
                None,
                NewProgramme {
                    hub_id: other.id.clone(),
                    code: "fb".into(),
                    name: "Friendship Bench".into(),
                    protocol_code: "friendship_bench".into(),
                    design: serde_json::json!({"type": "routine"}),
                    alert_ack_hours: 24,
                    start_date: "2026-01-01".into(),
                    sites: vec![(of.id.clone(), None, None, None)],
                },
            )
            .await
            .unwrap();
        let user = |username: &str, role: Role, hub: Option<&str>, sup: Option<&str>| NewUser {
            username: username.to_string(),
            display_name: username.to_string(),
            password: FIXTURE_PASSWORD.to_string(),
            role,
            hub_id: hub.map(str::to_string),
            supervisor_id: sup.map(str::to_string),
            site_ids: vec![],
            language: None,
            notify_address: None,
        };
        let admin = store
            .create_user(None, user("admin", Role::Admin, None, None))
            .await
            .unwrap();
        let manager = store
            .create_user(None, user("manager", Role::HubManager, Some(&hub.id), None))
            .await
            .unwrap();
        let supervisor = store
            .create_user(
                None,
                user("supervisor", Role::Supervisor, Some(&hub.id), None),
            )
            .await
            .unwrap();
        let supervisor_b = store
            .create_user(
                None,
                user("supervisor_b", Role::Supervisor, Some(&hub.id), None),
            )
            .await
            .unwrap();
        let counsellor = store
            .create_user(
                None,
                user(
                    "counsellor",
                    Role::Counsellor,
                    Some(&hub.id),
                    Some(&supervisor.id),
                ),
            )
            .await
            .unwrap();
        let counsellor_b = store
            .create_user(
                None,
                user(
                    "counsellor_b",
                    Role::Counsellor,
                    Some(&hub.id),
                    Some(&supervisor_b.id),
                ),
            )
            .await
            .unwrap();
        let researcher = store
            .create_user(
                None,
                user("researcher", Role::Researcher, Some(&hub.id), None),
            )
            .await
            .unwrap();
        let viewer = store
            .create_user(None, user("viewer", Role::Viewer, Some(&hub.id), None))
            .await
            .unwrap();
        let other_sup = store
            .create_user(
                None,
                user("zw_supervisor", Role::Supervisor, Some(&other.id), None),
            )
            .await
            .unwrap();
        let foreign_counsellor = store
            .create_user(
                None,
                user(
                    "zw_counsellor",
                    Role::Counsellor,
                    Some(&other.id),
                    Some(&other_sup.id),
                ),
            )
            .await
            .unwrap();
        Fixture {
            hub_id: hub.id,
            other_hub_id: other.id,
            facility_id: f1.id,
            other_facility_id: of.id,
            programme_id: programme.id,
            other_programme_id: other_programme.id,
            admin,
            manager,
            supervisor,
            supervisor_b,
            counsellor,
            counsellor_b,
            researcher,
            viewer,
            foreign_counsellor,
        }
    }
}

/// A stand-in for the instrument catalogue in storage tests: PHQ-9 only (items "1".."9",
/// codes 0–3, version "1"), total = sum, positive at ≥ 10, item 9 > 0 raises the urgent risk
/// flag `item9_positive`. The real catalogue's scoring is tested where it is defined. Protocols
/// are the built-in ones, so the protocol rules storage applies are the real ones.
pub struct TestRules;

impl Rules for TestRules {
    fn protocol(&self, code: &str) -> Option<&scaleup_domain::protocol::Protocol> {
        scaleup_domain::catalog::Catalog::builtin_shared().protocol(code)
    }

    /// The real catalogue's PHQ-9 default cut-off (>= 10).
    fn remission_below(&self, instrument: &str) -> Option<f64> {
        (instrument == "phq9").then_some(10.0)
    }

    fn score(
        &self,
        a: &scaleup_domain::record::Assessment,
    ) -> Result<crate::ScoreSummary, scaleup_domain::error::FieldError> {
        use scaleup_domain::error::FieldError;
        if a.instrument != "phq9" {
            return Err(FieldError::new(
                "data.instrument",
                "is not an instrument in the catalogue",
            ));
        }
        if a.instrument_version.as_deref().is_some_and(|v| v != "1") {
            return Err(FieldError::new(
                "data.instrument_version",
                "is not a version of phq9 in the catalogue; known: 1",
            ));
        }
        let mut total = 0.0;
        for (item, value) in &a.responses {
            let n: u32 = item.parse().map_err(|_| {
                FieldError::new(
                    format!("data.responses.{item}"),
                    "is not an item of this instrument",
                )
            })?;
            if !(1..=9).contains(&n) {
                return Err(FieldError::new(
                    format!("data.responses.{item}"),
                    "is not an item of this instrument",
                ));
            }
            match value {
                Some(v) if (0.0..=3.0).contains(v) && v.fract() == 0.0 => total += v,
                Some(_) => {
                    return Err(FieldError::new(
                        format!("data.responses.{item}"),
                        "is not a valid response code",
                    ));
                }
                None => {
                    return Err(FieldError::new(
                        format!("data.responses.{item}"),
                        "is missing",
                    ));
                }
            }
        }
        let item9 = a.responses.get("9").copied().flatten().unwrap_or(0.0);
        let flagged = item9 > 0.0;
        // The real catalogue's bands, so acknowledgements carry a band and its label.
        let (band, label) = match total {
            t if t < 5.0 => ("minimal", "Minimal or none"),
            t if t < 10.0 => ("mild", "Mild"),
            t if t < 15.0 => ("moderate", "Moderate"),
            t if t < 20.0 => ("moderately_severe", "Moderately severe"),
            _ => ("severe", "Severe"),
        };
        Ok(crate::ScoreSummary {
            instrument_version: Some("1".into()),
            total: Some(total),
            band: Some(band.into()),
            band_label: Some(label.into()),
            positive: Some(total >= 10.0),
            risk_flags: if flagged {
                vec![crate::RiskFlagSummary {
                    rule_id: "phq9.item9_positive".into(),
                    rule: "item9_positive".into(),
                    level: "urgent".into(),
                }]
            } else {
                vec![]
            },
            // Raised rules are kept where the real score keeps them (`risk_flags[].rule`).
            detail: serde_json::json!({
                "total": total,
                "risk_flags": if flagged { serde_json::json!([{"instrument": "phq9", "rule": "item9_positive"}]) } else { serde_json::json!([]) },
            }),
        })
    }
}

/// Whether the trigger-maintained `summary_counts` equal a fresh count over the records (the
/// invariant migration 0004 promises); tests call it after writes of every kind.
pub async fn summary_counts_match_records(store: &Store) -> bool {
    use sqlx::Row;
    let rows = |sql: &'static str| async move {
        let mut out: Vec<(String, String, String, String, String, i64)> = sqlx::query(sql)
            .fetch_all(store.pool())
            .await
            .expect("summary query")
            .into_iter()
            .map(|r| {
                (
                    r.get("hub_id"),
                    r.get("facility_id"),
                    r.get("day"),
                    r.get("kind"),
                    r.get("tag"),
                    r.get("n"),
                )
            })
            .collect();
        out.sort();
        out
    };
    let kept = rows(
        "SELECT hub_id, facility_id, day, kind, tag, CAST(n AS BIGINT) AS n FROM summary_counts WHERE n <> 0",
    )
    .await;
    let monthly = rows(
        "SELECT hub_id, facility_id, month AS day, kind, tag, CAST(n AS BIGINT) AS n FROM summary_counts_monthly WHERE n <> 0",
    )
    .await;
    let mut kept_by_month: std::collections::BTreeMap<_, i64> = Default::default();
    for (hub, facility, day, kind, tag, n) in &kept {
        let month = day.chars().take(7).collect::<String>();
        *kept_by_month
            .entry((
                hub.clone(),
                facility.clone(),
                month,
                kind.clone(),
                tag.clone(),
            ))
            .or_default() += n;
    }
    let kept_by_month: Vec<_> = kept_by_month
        .into_iter()
        .map(|((h, f, m, k, t), n)| (h, f, m, k, t, n))
        .collect();
    if monthly != kept_by_month {
        eprintln!("summary_counts_monthly: {monthly:?}\nby month of daily:     {kept_by_month:?}");
        return false;
    }
    let fresh = rows(
        "SELECT hub_id, facility_id, COALESCE(SUBSTR(occurred_on, 1, 10), '') AS day, kind, COALESCE(tag, '') AS tag,
                CAST(COUNT(*) AS BIGINT) AS n
         FROM records
         WHERE kind IN ('client', 'assessment', 'eligibility', 'episode', 'session') AND facility_id IS NOT NULL
         GROUP BY hub_id, facility_id, COALESCE(SUBSTR(occurred_on, 1, 10), ''), kind, COALESCE(tag, '')",
    )
    .await;
    if kept != fresh {
        eprintln!("summary_counts: {kept:?}\nrecords:        {fresh:?}");
    }
    !fresh.is_empty() && kept == fresh
}

/// The aggregate summary computed the slow way, over the records themselves (what `summary`
/// did before migration 4): the reference its kept counts must reproduce for any period.
pub async fn summary_from_records(
    store: &Store,
    actor: &crate::Actor,
    from: Option<&str>,
    to: Option<&str>,
) -> Vec<crate::SummaryCell> {
    use sqlx::Row;
    let mut sql = crate::scope::Sql::new(
        "SELECT r.facility_id, SUBSTR(r.occurred_on, 1, 7) AS month, r.kind, r.tag, CAST(COUNT(*) AS BIGINT) AS n FROM records r
         WHERE r.kind IN ('client', 'assessment', 'eligibility', 'episode', 'session') AND r.facility_id IS NOT NULL",
    );
    if actor.role != Role::Admin {
        sql.push_in("r.hub_id", &actor.hubs);
    }
    if let Some(f) = from {
        sql.push(" AND r.occurred_on >= ").bind_text(f);
    }
    if let Some(t) = to {
        sql.push(" AND r.occurred_on <= ").bind_text(t);
    }
    sql.push(" GROUP BY r.facility_id, SUBSTR(r.occurred_on, 1, 7), r.kind, r.tag");
    let mut counts = crate::records::CellCounts::default();
    for r in sql
        .query()
        .fetch_all(store.pool())
        .await
        .expect("reference summary")
    {
        counts.add_records(
            &r.get::<String, _>("facility_id"),
            &r.get::<Option<String>, _>("month").unwrap_or_default(),
            &r.get::<String, _>("kind"),
            &r.get::<Option<String>, _>("tag").unwrap_or_default(),
            r.get("n"),
        );
    }
    counts.cells()
}
