//! `scaleup econ bia`, `scaleup econ roi` and `scaleup econ cost`: budget impact, return on
//! investment and activity-based costing from scenario files. Reading and printing only; the
//! models live in scaleup_econ::{budget_impact, roi, costing}. Dispatched from `cmd/econ.rs`.

use crate::cmd::Format;
use crate::cmd::stats::print_report;
use anyhow::Context;
use scaleup_analysis::econ;
use std::path::{Path, PathBuf};

/// Arguments for `scaleup econ bia`.
#[derive(clap::Args)]
pub struct BiaArgs {
    /// Budget impact scenario file (TOML): `years`, `[population]`, `[[treatment]]`, `[[scenario]]`.
    #[arg(long)]
    pub scenario: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Arguments for `scaleup econ roi`.
#[derive(clap::Args)]
pub struct RoiArgs {
    /// Investment-case scenario file (TOML): coverage path, costs, health and productivity parameters.
    #[arg(long)]
    pub scenario: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .with_context(|| format!("cannot read scenario file {}", path.display()))
}

/// Runs `scaleup econ bia`.
pub fn run_bia(args: BiaArgs) -> anyhow::Result<()> {
    let text = read(&args.scenario)?;
    let report = econ::budget_impact(&args.scenario.display().to_string(), &text)?;
    print_report(&report, args.format, "scaleup econ bia")
}

/// Runs `scaleup econ roi`.
pub fn run_roi(args: RoiArgs) -> anyhow::Result<()> {
    let text = read(&args.scenario)?;
    let report = econ::roi(&args.scenario.display().to_string(), &text)?;
    print_report(&report, args.format, "scaleup econ roi")
}

/// Arguments for `scaleup econ cost`.
#[derive(clap::Args)]
pub struct CostArgs {
    /// Price lists (TOML): `[[price_list]]` with `[[price_list.overhead]]`, optional
    /// `[conversion]` tables, `target_currency`, `target_year` and `[[activity]]` records.
    #[arg(long)]
    pub prices: PathBuf,
    /// Activity records (CSV) with columns hub, year, clients, sessions, session_minutes and
    /// optional admin_minutes_per_session, supervision_hours, counsellor_supervision_hours,
    /// training_days, training_events, responders, remissions.
    #[arg(long)]
    pub activity: Option<PathBuf>,
    /// Take the activity from a scaleup database instead: sessions, minutes, supervision,
    /// training and outcomes per hub (by hub code) and year, as recorded.
    #[cfg(feature = "server")]
    #[command(flatten)]
    pub store: StoreActivityArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Options for costing from the activity recorded in a database.
#[cfg(feature = "server")]
#[derive(clap::Args, Debug, Clone)]
pub struct StoreActivityArgs {
    /// Database (SQLite path or postgres:// URL) to read recorded activity from.
    #[arg(long = "db")]
    pub db: Option<String>,
    /// Master key file for that database.
    #[arg(long = "key-file")]
    pub key_file: Option<PathBuf>,
    /// Counsellor administration minutes per session (not recorded; an assumption to state).
    #[arg(long, default_value_t = 0.0)]
    pub admin_minutes_per_session: f64,
    /// Hours in one training day, to turn recorded training hours into trainee-days.
    #[arg(long, default_value_t = 8.0)]
    pub training_hours_per_day: f64,
    /// Outcome instrument for responders and remissions.
    #[arg(long, default_value = "phq9")]
    pub outcome_instrument: String,
    /// Response: at least this fractional reduction from baseline.
    #[arg(long, default_value_t = 0.5)]
    pub response_fraction: f64,
    /// Remission: last score strictly below this.
    #[arg(long, default_value_t = 10.0)]
    pub remission_below: f64,
}

#[cfg(feature = "server")]
impl Default for StoreActivityArgs {
    /// The command-line defaults, without a database.
    fn default() -> Self {
        StoreActivityArgs {
            db: None,
            key_file: None,
            admin_minutes_per_session: 0.0,
            training_hours_per_day: 8.0,
            outcome_instrument: "phq9".into(),
            response_fraction: 0.5,
            remission_below: 10.0,
        }
    }
}

/// Recorded activity from the database, in the costing model's units.
#[cfg(feature = "server")]
fn activity_from_store(
    a: &StoreActivityArgs,
    db: &str,
) -> anyhow::Result<Vec<scaleup_econ::costing::Activity>> {
    let db_args = super::config::DbArgs {
        db: db.to_string(),
        key_file: a.key_file.clone(),
        previous_key_file: None,
        db_connections: 8,
    };
    let assumptions = scaleup_web::analyses::CostingAssumptions {
        admin_minutes_per_session: a.admin_minutes_per_session,
        training_hours_per_day: a.training_hours_per_day,
        outcome_instrument: a.outcome_instrument.clone(),
        response_fraction: a.response_fraction,
        remission_below: a.remission_below,
    };
    assumptions.validate().map_err(|e| {
        anyhow::anyhow!(
            "--{}: {}",
            e.field.unwrap_or_default().replace('_', "-"),
            e.message
        )
    })?;
    let mut rows = Vec::new();
    super::config::block_on(async {
        let store = db_args.open(false).await?;
        rows = store
            .activity_by_hub_year(None, None, Some(&assumptions.outcome_rule()))
            .await?;
        store.close().await;
        Ok(())
    })?;
    Ok(assumptions.activity(rows))
}

/// Reads the files of `scaleup econ cost` and costs every activity record.
pub fn cost_report(args: &CostArgs) -> anyhow::Result<scaleup_analysis::Report> {
    let text = read(&args.prices)?;
    #[allow(unused_mut)]
    let mut recorded = Vec::new();
    if let Some(path) = &args.activity {
        let csv = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read activity file {}", path.display()))?;
        let rows = scaleup_econ::costing::parse_activity_csv(&csv)
            .with_context(|| format!("invalid activity file {}", path.display()))?;
        recorded.extend(rows);
    }
    #[cfg(feature = "server")]
    if let Some(db) = &args.store.db {
        recorded.extend(activity_from_store(&args.store, db)?);
    }
    econ::costs(&args.prices.display().to_string(), &text, recorded)
}

/// Runs `scaleup econ cost`.
pub fn run_cost(args: CostArgs) -> anyhow::Result<()> {
    let report = cost_report(&args)?;
    print_report(&report, args.format, "scaleup econ cost")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRICES: &str = r#"
target_currency = "I$"
target_year = 2022

[[price_list]]
hub = "Harare"
year = 2020
currency = "USD"
counsellor_hourly = 2.0
supervisor_hourly = 10.0

[conversion.cpi]
USD = { 2020 = 100.0, 2022 = 110.0 }
[conversion.ppp]
USD = { 2022 = 1.0 }
"#;

    #[test]
    fn cost_from_files_and_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let prices = dir.path().join("prices.toml");
        let activity = dir.path().join("activity.csv");
        std::fs::write(&prices, PRICES).unwrap();
        // 600 min = 10 h × 2 = 20 US$ 2020; 4 supervision h × 10 = 40; total 60 → × 1.1 = 66 I$.
        std::fs::write(
            &activity,
            "hub,year,clients,sessions,session_minutes,supervision_hours\nHarare,2020,5,20,600,4\n",
        )
        .unwrap();
        let args = CostArgs {
            prices: prices.clone(),
            activity: Some(activity.clone()),
            #[cfg(feature = "server")]
            store: StoreActivityArgs::default(),
            format: Format::Json,
        };
        let r = cost_report(&args).unwrap();
        let s = &r.json["summary"];
        assert!((s["total"].as_f64().unwrap() - 66.0).abs() < 1e-9, "{s}");
        assert_eq!(s["currency"], "I$");

        std::fs::write(
            &activity,
            "hub,year,clients,sessions,session_minutes\nGweru,2020,5,20,600\n",
        )
        .unwrap();
        let err = format!("{:#}", cost_report(&args).unwrap_err());
        assert!(
            err.contains("prices.toml") && err.contains("Gweru"),
            "{err}"
        );
        std::fs::write(
            &activity,
            "hub,year,clients,sessions,session_minutes\nHarare,2020,5,x,600\n",
        )
        .unwrap();
        let err = format!("{:#}", cost_report(&args).unwrap_err());
        assert!(
            err.contains("activity.csv") && err.contains("line 2") && err.contains("sessions"),
            "{err}"
        );
    }
}
