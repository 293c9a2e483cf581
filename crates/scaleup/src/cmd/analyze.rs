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
use anyhow::{Context, bail};
use scaleup_stats::data::Data;
use scaleup_stats::formula::Formula;
use scaleup_stats::frame::ModelFrame;
use scaleup_stats::lmm::{self, LmmOptions};
use serde_json::{Value, json};

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
    #[arg(long = "program", visible_alias = "programme")]
    pub program: String,
    /// Outcome instrument (default: the design's outcome instrument, else phq9).
    #[arg(long)]
    pub instrument: Option<String>,
    /// Occasion of the outcome measurement compared with baseline.
    #[arg(long, default_value = "follow_up")]
    pub occasion: String,
    /// Leave out the cluster-by-period random effect of a stepped-wedge analysis.
    #[arg(long)]
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
    if !(0.5..1.0).contains(&a.level) {
        bail!("--level must be between 0.5 and 1");
    }
    let mut loaded = None;
    block_on(async {
        let store = a.db.open(false).await?;
        let mut found = store.programme_by_code(&a.program).await?;
        if found.is_empty() {
            bail!("--program: no programme with that code");
        }
        if found.len() > 1 {
            bail!(
                "--program: {} hubs have a programme with that code",
                found.len()
            );
        }
        let programme = found.remove(0);
        let instrument = a
            .instrument
            .clone()
            .or_else(|| {
                programme.design["outcome"]["instrument"]
                    .as_str()
                    .map(str::to_string)
            })
            .unwrap_or_else(|| "phq9".to_string());
        let pairs = store
            .outcome_pairs(&programme.id, &instrument, &a.occasion)
            .await?;
        store.close().await;
        loaded = Some((programme, instrument, pairs));
        Ok(())
    })?;
    let (programme, instrument, pairs) = loaded.expect("set by the block above");
    let design_type = programme.design["type"]
        .as_str()
        .unwrap_or("routine")
        .to_string();
    let complete: Vec<_> = pairs.iter().filter(|p| p.follow_up.is_some()).collect();
    if complete.len() < 10 {
        bail!(
            "only {} clients have both a baseline and a {} {instrument} score: too few to analyse",
            complete.len(),
            a.occasion
        );
    }
    let change: Vec<f64> = complete
        .iter()
        .map(|p| p.follow_up.unwrap_or(f64::NAN) - p.baseline)
        .collect();
    let facility: Vec<Option<String>> = complete
        .iter()
        .map(|p| Some(p.facility_id.clone()))
        .collect();
    let site = |facility: &str| {
        programme
            .sites
            .iter()
            .find(|s| s["facility_id"] == facility)
    };
    let mut data = Data::new();
    data.add_numeric("change", change)?;
    data.add_factor("facility", &facility)?;
    let formula = match design_type.as_str() {
        "stepped_wedge" => {
            let start = programme.design["start_date"]
                .as_str()
                .unwrap_or(&programme.start_date)
                .to_string();
            let start = scaleup_domain::date::Date::parse(&start, "design.start_date")?;
            let period_days = programme.design["period_days"]
                .as_i64()
                .context("design.period_days is missing")?;
            let periods = programme.design["periods"]
                .as_i64()
                .context("design.periods is missing")?;
            let mut treatment = Vec::new();
            let mut period = Vec::new();
            for p in &complete {
                let on = scaleup_domain::date::Date::parse(&p.baseline_on, "baseline date")?;
                let j = (start.days_until(on).div_euclid(period_days)).clamp(0, periods - 1);
                let crossover = site(&p.facility_id)
                    .and_then(|s| s["crossover_period"].as_i64())
                    .with_context(|| "a facility of the programme has no crossover period")?;
                treatment.push(if crossover <= j { 1.0 } else { 0.0 });
                period.push(Some(format!("p{j}")));
            }
            data.add_numeric("treatment", treatment)?;
            data.add_factor("period", &period)?;
            if a.no_cluster_period {
                "change ~ treatment + period + (1 | facility)"
            } else {
                "change ~ treatment + period + (1 | facility) + (1 | facility:period)"
            }
        }
        "cluster_rct" => {
            let treatment: Vec<f64> = complete
                .iter()
                .map(|p| {
                    if site(&p.facility_id).and_then(|s| s["arm"].as_str()) == Some("intervention")
                    {
                        1.0
                    } else {
                        0.0
                    }
                })
                .collect();
            data.add_numeric("treatment", treatment)?;
            "change ~ treatment + (1 | facility)"
        }
        _ => "change ~ 1 + (1 | facility)",
    };
    let parsed = Formula::parse(formula).map_err(|e| anyhow::anyhow!("{e}"))?;
    let frame = ModelFrame::new(&parsed, &data).map_err(|e| anyhow::anyhow!("{e}"))?;
    let fit = lmm::fit(&frame, &LmmOptions::default()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let term = if design_type == "routine" {
        "(Intercept)"
    } else {
        "treatment"
    };
    let effect = fit
        .fixed
        .iter()
        .find(|f| f.term == term)
        .context("the effect term was dropped from the model")?;
    let df = if effect.df.is_finite() {
        effect.df
    } else {
        (fit.n_obs as f64) - fit.fixed.len() as f64
    };
    let q = scaleup_stats::prob::t_quantile(0.5 + a.level / 2.0, df);
    let (low, high) = (
        effect.estimate - q * effect.std_error,
        effect.estimate + q * effect.std_error,
    );
    let truth = programme.design["true_effect"].as_f64();
    let out = json!({
        "programme": programme.code,
        "design": design_type,
        "instrument": instrument,
        "outcome": format!("change in {instrument} total from baseline to {}", a.occasion),
        "formula": formula,
        "n_clients": pairs.len(),
        "n_analysed": complete.len(),
        "n_missing_outcome": pairs.len() - complete.len(),
        "effect": {"term": term, "estimate": effect.estimate, "std_error": effect.std_error, "df": df, "p_value": effect.p_value,
                   "level": a.level, "ci_low": low, "ci_high": high},
        "true_effect": truth,
        "true_effect_in_ci": truth.map(|t| low <= t && t <= high),
        "random_effects": fit.random.iter().map(|r| json!({"group": r.group, "variance": r.covariance[0][0], "levels": r.levels.len()})).collect::<Vec<Value>>(),
        "residual_variance": fit.residual_variance,
        "converged": fit.converged,
        "singular": fit.singular,
    });
    match a.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&out)?),
        _ => {
            println!(
                "{} ({}), outcome: {}",
                programme.code,
                design_type,
                out["outcome"].as_str().unwrap_or("")
            );
            println!("model: {formula} (REML)");
            println!(
                "clients: {} with baseline, {} analysed, {} without the outcome",
                pairs.len(),
                complete.len(),
                pairs.len() - complete.len()
            );
            println!(
                "{term}: {:.3} (SE {:.3}, df {:.1}), {:.0}% CI {:.3} to {:.3}, p = {:.4}",
                effect.estimate,
                effect.std_error,
                df,
                a.level * 100.0,
                low,
                high,
                effect.p_value
            );
            if let Some(t) = truth {
                println!(
                    "true effect built into the data: {t} ({})",
                    if low <= t && t <= high {
                        "inside the interval"
                    } else {
                        "OUTSIDE the interval"
                    }
                );
            }
            for r in &fit.random {
                println!(
                    "random intercept variance, {}: {:.3} ({} levels)",
                    r.group,
                    r.covariance[0][0],
                    r.levels.len()
                );
            }
            println!(
                "residual variance: {:.3}; converged: {}; singular: {}",
                fit.residual_variance, fit.converged, fit.singular
            );
        }
    }
    Ok(())
}
