//! `scaleup indicators`: implementation outcomes of a programme (RE-AIM, Proctor, effective
//! coverage and the treatment gap) from the database, as JSON, CSV or an HTML page.
//!
//! The same computation and the same JSON as `GET /api/v1/indicators` (scaleup-indicators
//! renders both). The operator at the command line holds the database and its key and sees
//! exact figures; `--suppress-below K` withholds small counts for a copy that leaves the hub.

use super::config::{DbArgs, block_on};
use anyhow::{Context, bail};
use scaleup_domain::date::Date;
use scaleup_indicators::{Disclosure, QueryText, Request};

/// Output formats of `scaleup indicators`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum IndicatorFormat {
    /// The JSON document (`{"programme", "indicators": [...], ...}`).
    #[default]
    Json,
    /// One row per indicator and cut.
    Csv,
    /// A self-contained HTML page.
    Html,
}

/// Arguments for `scaleup indicators`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub db: DbArgs,
    /// Programme code (default: every programme in the database).
    #[arg(long = "programme", visible_alias = "program")]
    pub programme: Option<String>,
    /// Hub code, when several hubs have a programme with that code.
    #[arg(long)]
    pub hub: Option<String>,
    /// Cuts, comma-separated: hub, programme, country, region, district, facility, arm,
    /// counsellor, month, quarter, sex, age_band.
    #[arg(long, value_name = "DIMENSIONS")]
    pub by: Option<String>,
    /// First day of the period (YYYY-MM-DD); all time without a period.
    #[arg(long)]
    pub from: Option<String>,
    /// Last day of the period (YYYY-MM-DD).
    #[arg(long)]
    pub to: Option<String>,
    /// Only these indicators, comma-separated codes (see --list).
    #[arg(long, value_name = "CODES")]
    pub indicator: Option<String>,
    #[arg(long, value_enum, default_value_t = IndicatorFormat::Json)]
    pub format: IndicatorFormat,
    /// Remission on the primary outcome: endpoint below this (default: the instrument's
    /// screening cut-off).
    #[arg(long)]
    pub remission_below: Option<f64>,
    /// Reliability of the primary instrument for the reliable change index (default: the
    /// instrument's published value, where known).
    #[arg(long)]
    pub reliability: Option<f64>,
    /// Fidelity at or above which an adequate episode counts as quality care (cascade).
    #[arg(long, default_value_t = 0.8)]
    pub fidelity_threshold: f64,
    /// Withhold counts from 1 to K − 1 (plain small-cell suppression), for copies that leave
    /// the hub. Default: exact figures.
    #[arg(long, value_name = "K")]
    pub suppress_below: Option<u64>,
    /// The as-of date (YYYY-MM-DD; default: the current UTC date).
    #[arg(long)]
    pub today: Option<String>,
    /// List every indicator's definition (JSON) and exit; needs no database.
    #[arg(long)]
    pub list: bool,
    /// Recompute every client's indicator facts from the records first (repair; also timed).
    #[arg(long)]
    pub rebuild: bool,
}

/// The request the flags describe (the API parses its query parameters with the same
/// [`QueryText::parse`]).
pub fn request(args: &Args) -> anyhow::Result<Request> {
    let current = Date::parse(&scaleup_storage::now_timestamp()[..10], "today")
        .context("reading the current date")?;
    let today = match &args.today {
        Some(t) => Date::parse(t, "today")
            .map_err(|_| anyhow::anyhow!("--today: must be a date in YYYY-MM-DD form"))?,
        None => current,
    };
    QueryText {
        programme: args.programme.clone(),
        by: args.by.clone(),
        from: args.from.clone(),
        to: args.to.clone(),
        indicator: args.indicator.clone(),
        remission_below: args.remission_below,
        reliability: args.reliability,
        fidelity_threshold: Some(args.fidelity_threshold),
    }
    .parse(today)
    .map_err(|(field, m)| anyhow::anyhow!("--{}: {m}", field.replace('_', "-")))
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if args.list {
        println!(
            "{}",
            serde_json::to_string_pretty(&scaleup_indicators::render::catalogue_json())?
        );
        return Ok(());
    }
    let request = request(&args)?;
    let policy = match args.suppress_below {
        None => Disclosure::Exact,
        Some(k) if k >= 2 => Disclosure::SuppressBelow { k },
        Some(_) => bail!("--suppress-below: must be at least 2"),
    };
    let mut computed = None;
    block_on(async {
        let store = args.db.open(false).await?;
        if args.rebuild {
            let started = std::time::Instant::now();
            let n = store.rebuild_indicator_facts().await?;
            eprintln!(
                "recomputed the indicator facts of {n} clients in {:.2} s",
                started.elapsed().as_secs_f64()
            );
        }
        let result = store
            .indicators(None, args.hub.as_deref(), &request)
            .await
            .map_err(|e| match e {
                scaleup_storage::StoreError::NotFound => {
                    anyhow::anyhow!("--programme: no programme with that code")
                }
                scaleup_storage::StoreError::Conflict(m) => {
                    anyhow::anyhow!("--programme: {m} (--hub)")
                }
                other => other.into(),
            });
        store.close().await;
        computed = Some(result?);
        Ok(())
    })?;
    let table = scaleup_indicators::disclose(computed.expect("set above"), policy);
    match args.format {
        IndicatorFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&scaleup_indicators::render::json(&table))?
        ),
        IndicatorFormat::Csv => print!("{}", scaleup_indicators::render::csv(&table)),
        IndicatorFormat::Html => print!("{}", scaleup_indicators::render::html(&table)),
    }
    Ok(())
}
