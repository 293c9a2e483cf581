//! The effectiveness analysis a programme's design calls for (Hemming et al. 2015; Hussey &
//! Hughes 2007), fitted to outcome changes read from the store by the caller:
//! - stepped wedge: `change ~ treatment + period + (1 | facility) + (1 | facility:period)`;
//! - parallel cluster trial: `change ~ treatment + (1 | facility)`;
//! - routine delivery: the mean change, `change ~ 1 + (1 | facility)`.
//!
//! The change is the outcome instrument's total at the follow-up occasion minus baseline;
//! clients without a follow-up are excluded and counted (complete-case analysis, reported).

use anyhow::{Context, bail};
use scaleup_domain::date::Date;
use scaleup_stats::data::Data;
use scaleup_stats::formula::Formula;
use scaleup_stats::frame::ModelFrame;
use scaleup_stats::lmm::{self, LmmOptions};
use serde_json::{Value, json};
use std::fmt::Write as _;

use crate::Report;

/// The parts of a programme the analysis needs: its design document and sites as stored.
pub struct Programme<'a> {
    pub code: &'a str,
    pub start_date: &'a str,
    /// `type` (`stepped_wedge`, `cluster_rct`, `routine`), `start_date`, `period_days`,
    /// `periods`, `outcome.instrument`, optionally `true_effect` (demo data).
    pub design: &'a Value,
    /// One object per site with `facility_id` and `arm` or `crossover_period`.
    pub sites: &'a [Value],
}

/// One client's baseline and follow-up totals.
pub struct OutcomeChange<'a> {
    pub facility_id: &'a str,
    /// Date of the baseline assessment (YYYY-MM-DD).
    pub baseline_on: &'a str,
    pub baseline: f64,
    pub follow_up: Option<f64>,
}

/// Options a user may set.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Options {
    /// Outcome instrument (default: the design's outcome instrument, else phq9).
    pub instrument: Option<String>,
    /// Occasion of the outcome measurement compared with baseline.
    pub occasion: String,
    /// Include the cluster-by-period random effect of a stepped-wedge analysis.
    pub cluster_period: bool,
    /// Confidence level of the interval.
    pub level: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            instrument: None,
            occasion: "follow_up".into(),
            cluster_period: true,
            level: 0.95,
        }
    }
}

impl Options {
    /// The instrument analysed: the option, else the design's outcome instrument, else PHQ-9.
    pub fn instrument_for(&self, design: &Value) -> String {
        self.instrument
            .clone()
            .or_else(|| design["outcome"]["instrument"].as_str().map(str::to_string))
            .unwrap_or_else(|| "phq9".to_string())
    }

    /// Rejects options no analysis could use, naming the field.
    pub fn validate(&self) -> anyhow::Result<()> {
        if !(0.5..1.0).contains(&self.level) {
            bail!("level: must be at least 0.5 and below 1");
        }
        // The occasions a record may have, from the record schema the parser is derived from.
        let schema =
            scaleup_domain::record::data_schema(scaleup_domain::record::RecordKind::Assessment);
        let occasions: Vec<&str> = schema["properties"]["occasion"]["enum"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        if !occasions.contains(&self.occasion.as_str()) {
            bail!("occasion: {}", scaleup_domain::error::one_of(&occasions));
        }
        Ok(())
    }
}

/// Fits the design's model and reports the effect with its interval, and (for demo data) the
/// true effect built into the data and whether the interval covers it.
pub fn effectiveness(
    programme: &Programme,
    changes: &[OutcomeChange],
    options: &Options,
) -> anyhow::Result<Report> {
    options.validate()?;
    let instrument = options.instrument_for(programme.design);
    let design_type = programme.design["type"]
        .as_str()
        .unwrap_or("routine")
        .to_string();
    let complete: Vec<&OutcomeChange> = changes.iter().filter(|p| p.follow_up.is_some()).collect();
    if complete.len() < 10 {
        bail!(
            "only {} clients have both a baseline and a {} {instrument} score: too few to analyse",
            complete.len(),
            options.occasion
        );
    }
    let change: Vec<f64> = complete
        .iter()
        .map(|p| p.follow_up.unwrap_or(f64::NAN) - p.baseline)
        .collect();
    let facility: Vec<Option<String>> = complete
        .iter()
        .map(|p| Some(p.facility_id.to_string()))
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
                .unwrap_or(programme.start_date);
            let start = Date::parse(start, "design.start_date")?;
            let period_days = programme.design["period_days"]
                .as_i64()
                .filter(|d| *d > 0)
                .context("design.period_days is missing or not positive")?;
            let periods = programme.design["periods"]
                .as_i64()
                .filter(|p| *p > 0)
                .context("design.periods is missing or not positive")?;
            let mut treatment = Vec::new();
            let mut period = Vec::new();
            for p in &complete {
                let on = Date::parse(p.baseline_on, "baseline date")?;
                let j = (start.days_until(on).div_euclid(period_days)).clamp(0, periods - 1);
                let crossover = site(p.facility_id)
                    .and_then(|s| s["crossover_period"].as_i64())
                    .context("a facility of the programme has no crossover period")?;
                treatment.push(if crossover <= j { 1.0 } else { 0.0 });
                period.push(Some(format!("p{j}")));
            }
            data.add_numeric("treatment", treatment)?;
            data.add_factor("period", &period)?;
            if options.cluster_period {
                "change ~ treatment + period + (1 | facility) + (1 | facility:period)"
            } else {
                "change ~ treatment + period + (1 | facility)"
            }
        }
        "cluster_rct" => {
            let treatment: Vec<f64> = complete
                .iter()
                .map(|p| {
                    let arm = site(p.facility_id).and_then(|s| s["arm"].as_str());
                    if arm == Some("intervention") {
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
    let parsed = Formula::parse(formula)?;
    let frame = ModelFrame::new(&parsed, &data)?;
    let fit = lmm::fit(&frame, &LmmOptions::default())?;
    let term = if design_type == "cluster_rct" || design_type == "stepped_wedge" {
        "treatment"
    } else {
        "(Intercept)"
    };
    let effect = fit
        .fixed
        .iter()
        .find(|f| f.term == term)
        .context("the effect term was dropped from the model (no contrast in the data)")?;
    let df = if effect.df.is_finite() {
        effect.df
    } else {
        (fit.n_obs as f64) - fit.fixed.len() as f64
    };
    // The same function as the meta-analysis' forest plot, so a hub's effect carried into a
    // meta-analysis (with its df) shows the same interval there.
    let ci = scaleup_stats::meta::estimate_interval(
        effect.estimate,
        effect.std_error,
        Some(df),
        options.level,
    );
    let (low, high) = (ci.lower, ci.upper);
    let truth = programme.design["true_effect"].as_f64();
    let outcome = format!(
        "change in {instrument} total from baseline to {}",
        options.occasion
    );
    let json = json!({
        "programme": programme.code,
        "design": design_type,
        "instrument": instrument,
        "outcome": outcome,
        "formula": formula,
        "n_clients": changes.len(),
        "n_analysed": complete.len(),
        "n_missing_outcome": changes.len() - complete.len(),
        "effect": {"term": term, "estimate": effect.estimate, "std_error": effect.std_error, "df": df,
                   "p_value": effect.p_value, "level": options.level, "ci_low": low, "ci_high": high,
                   "interval": ci.kind},
        "true_effect": truth,
        "true_effect_in_ci": truth.map(|t| low <= t && t <= high),
        "random_effects": fit.random.iter().map(|r| json!({
            "group": r.group, "variance": r.covariance[0][0], "levels": r.levels.len()
        })).collect::<Vec<Value>>(),
        "residual_variance": fit.residual_variance,
        "converged": fit.converged,
        "singular": fit.singular,
    });
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{} ({design_type}), outcome: {outcome}",
        programme.code
    );
    let _ = writeln!(text, "model: {formula} (REML)");
    let _ = writeln!(
        text,
        "clients: {} with baseline, {} analysed, {} without the outcome",
        changes.len(),
        complete.len(),
        changes.len() - complete.len()
    );
    let _ = writeln!(
        text,
        "{term}: {:.3} (SE {:.3}, df {:.1}), {:.0}% CI {:.3} to {:.3} ({}, Satterthwaite), p = {:.4}",
        effect.estimate,
        effect.std_error,
        df,
        options.level * 100.0,
        low,
        high,
        ci.describe(),
        effect.p_value
    );
    if let Some(t) = truth {
        let inside = if low <= t && t <= high {
            "inside the interval"
        } else {
            "OUTSIDE the interval"
        };
        let _ = writeln!(
            text,
            "true effect built into the data: {} ({inside})",
            scaleup_format::value(t)
        );
    }
    for r in &fit.random {
        let _ = writeln!(
            text,
            "random intercept variance, {}: {:.3} ({} levels)",
            r.group,
            r.covariance[0][0],
            r.levels.len()
        );
    }
    let _ = writeln!(
        text,
        "residual variance: {:.3}; converged: {}; singular: {}",
        fit.residual_variance, fit.converged, fit.singular
    );
    Ok(Report {
        json,
        text,
        warnings: Vec::new(),
        html: None,
    })
}
