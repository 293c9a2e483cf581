//! Budget impact, return on investment, scale-up planning and activity-based costing from
//! scenario documents (TOML). Each report comes as JSON (`--format json` and the API), text and
//! an HTML page with its charts.

use anyhow::Context;
use scaleup_econ::{budget_impact, costing, planner, roi};

use crate::Report;

fn report<T: serde::Serialize>(value: &T, text: String, html: String) -> anyhow::Result<Report> {
    Ok(Report {
        json: serde_json::to_value(value)?,
        text,
        warnings: Vec::new(),
        html: Some(html),
    })
}

/// The scale-up planner: workforce, training, coverage and budget per scenario and year.
pub fn plan(source: &str, text: &str) -> anyhow::Result<Report> {
    let ctx = || format!("invalid scenario file {source}");
    let file = planner::parse_scenario_file(text).with_context(ctx)?;
    let r = planner::plan(&file).with_context(ctx)?;
    report(&r, planner::render_text(&r), planner::render_html(&r))
}

/// Budget impact by year and scenario (ISPOR principles: budget-holder view, undiscounted).
pub fn budget_impact(source: &str, text: &str) -> anyhow::Result<Report> {
    let ctx = || format!("invalid scenario file {source}");
    let model = budget_impact::parse_bia_file(text).with_context(ctx)?;
    let r = budget_impact::budget_impact(&model).with_context(ctx)?;
    report(
        &r,
        budget_impact::render_text(&r),
        budget_impact::render_html(&r),
    )
}

/// The investment case: costs, healthy life-years, productivity gains, benefit–cost ratio.
pub fn roi(source: &str, text: &str) -> anyhow::Result<Report> {
    let ctx = || format!("invalid scenario file {source}");
    let model = roi::parse_roi_file(text).with_context(ctx)?;
    let r = roi::roi(&model).with_context(ctx)?;
    report(&r, roi::render_text(&r), roi::render_html(&r))
}

/// Costs every activity record — those in the price file's `[[activity]]` tables and
/// `recorded` (from a CSV file or the store) — with the price lists of the file.
pub fn costs(source: &str, text: &str, recorded: Vec<costing::Activity>) -> anyhow::Result<Report> {
    let mut file = costing::parse_costing_file(text)
        .with_context(|| format!("invalid price file {source}"))?;
    file.activity.extend(recorded);
    if file.activity.is_empty() {
        anyhow::bail!("no activity records: none recorded, and no [[activity]] tables in {source}");
    }
    let results = costing::cost_file(&file)
        .with_context(|| format!("cannot cost the activity with {source}"))?;
    let r = costing::report(results, &file.activity);
    report(&r, costing::render_text(&r), costing::render_html(&r))
}

/// Costs recorded activity with stored price-list files (`sources`, most authoritative first:
/// see [`costing::cost_with_sources`]). Years no file prices are left out of the report and
/// named in its warnings; an error only when no year at all could be costed.
pub fn stored_costs(
    sources: &[costing::PriceSource],
    recorded: Vec<costing::Activity>,
) -> anyhow::Result<Report> {
    if recorded.is_empty() {
        anyhow::bail!("no activity recorded to cost");
    }
    if sources.is_empty() {
        anyhow::bail!(
            "no price list stored: upload one in the hub console (Definitions) or send a price file as the body"
        );
    }
    let mut results = Vec::new();
    let mut priced = Vec::new();
    let mut warnings = Vec::new();
    for c in costing::cost_with_sources(sources, &recorded) {
        match c.cost {
            Ok(r) => {
                results.push(r);
                priced.push(c.activity);
            }
            Err(costing::CostingError::NoPrices { hub, year }) => warnings.push(format!(
                "not costed: no stored price list for hub {hub} and year {year}"
            )),
            Err(e) => {
                let from = c.origin.unwrap_or_default();
                return Err(
                    anyhow::anyhow!(e).context(format!("cannot cost the activity with {from}"))
                );
            }
        }
    }
    if results.is_empty() {
        anyhow::bail!("{}", warnings.join("; "));
    }
    let r = costing::report(results, &priced);
    let mut out = report(&r, costing::render_text(&r), costing::render_html(&r))?;
    out.warnings = warnings;
    Ok(out)
}
