//! `scaleup analyze`: the standard analyses of a programme's data, run where the data lives.
//!
//! `effectiveness` fits the analysis its design calls for (Hemming et al. 2015; Hussey & Hughes
//! 2007): for a stepped-wedge programme `change ~ treatment + period + (1 | facility) +
//! (1 | facility:period)`, for a parallel cluster trial `change ~ treatment + (1 | facility)`,
//! and for routine delivery the mean change `change ~ 1 + (1 | facility)`. The change is the
//! outcome instrument's total at the follow-up occasion minus baseline; clients without a
//! follow-up are excluded and counted (complete-case analysis, reported).

use super::Format;
use super::config::{DbArgs, block_on};
use super::stats::print_report;
use anyhow::bail;
use scaleup_analysis::effectiveness;

/// Arguments for `scaleup analyze`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: AnalyzeCommand,
}

#[derive(clap::Subcommand)]
pub enum AnalyzeCommand {
    /// Effectiveness of a programme: the design's standard mixed model on outcome change.
    Effectiveness(EffectivenessArgs),
}

#[derive(clap::Args)]
pub struct EffectivenessArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Programme code.
    #[arg(long = "programme", alias = "program", value_name = "CODE")]
    pub program: String,
    /// Outcome instrument (default: the design's outcome instrument, else phq9).
    #[arg(long)]
    pub instrument: Option<String>,
    /// Occasion of the outcome measurement compared with baseline.
    #[arg(long, default_value = "follow_up")]
    pub occasion: String,
    /// Stepped wedge: include the cluster-by-period random effect (`false` leaves it out), as
    /// the HTTP parameter `cluster_period`.
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    pub cluster_period: bool,
    /// The old spelling of `--cluster-period false`.
    #[arg(long, hide = true, conflicts_with = "cluster_period")]
    pub no_cluster_period: bool,
    /// Confidence level of the interval.
    #[arg(long, default_value_t = 0.95)]
    pub level: f64,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        AnalyzeCommand::Effectiveness(a) => effectiveness(a),
    }
}

fn effectiveness(a: EffectivenessArgs) -> anyhow::Result<()> {
    let options = effectiveness::Options {
        instrument: a.instrument.clone(),
        occasion: a.occasion.clone(),
        cluster_period: a.cluster_period && !a.no_cluster_period,
        level: a.level,
    };
    options.validate()?;
    let mut loaded = None;
    block_on(async {
        let store = a.db.open(false).await?;
        let mut found = store.programme_by_code(&a.program).await?;
        if found.is_empty() {
            bail!("--programme: no programme with that code");
        }
        if found.len() > 1 {
            bail!(
                "--programme: {} hubs have a programme with that code",
                found.len()
            );
        }
        let programme = found.remove(0);
        let instrument = options.instrument_for(&programme.design);
        let pairs = store
            .outcome_pairs(None, &programme.id, &instrument, &options.occasion)
            .await?;
        store.close().await;
        loaded = Some((programme, pairs));
        Ok(())
    })?;
    let (programme, pairs) = loaded.expect("set by the block above");
    let report = crate::progress::with_spinner("fitting the effectiveness model", || {
        scaleup_web::analyses::effectiveness_report(&programme, &pairs, &options)
    })?;
    print_report(&report, a.format, "scaleup analyze effectiveness")
}
