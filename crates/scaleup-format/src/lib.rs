//! The one formatter for numbers and labels in scaleup's reports (text, HTML and SVG), so a
//! programme manager reads `7.37 h`, `1,500,000` and "Lay health worker time" rather than
//! `7.370000000000001`, `1500000` and `lhw_time`, whichever report they open.
//!
//! - [`number`]: fixed decimals with thousands separators (`1,234,567.89`), for table columns
//!   whose precision is a property of the quantity (head counts 0, costs per client 2).
//! - [`value`]: a parameter value as written by a person: at most [`SIGNIFICANT`] significant
//!   digits, no trailing zeros, thousands separators (`7.37`, `0.0461`, `1,500,000`).
//! - [`percent`]: a share as a percentage (`0.125` → `12.5%`).
//! - [`money`]: an amount: whole units from 100 up (`474,842`), cents below (`25.30`).
//! - [`tick`]: a chart axis label, compact for large values (`1.2M`, `250k`).
//! - [`label`]: a human name for a parameter or category key (`lhw_time` → "Lay health
//!   worker time"), from [`LABELS`], else the key in sentence case.
//!
//! Non-finite values print as an en dash, the way the reports mark "not applicable".
//! Pure string functions: no locale, no I/O. Separators are commas and the decimal mark a
//! point, the convention of the reports' English text.

/// Significant digits of [`value`]: enough for the inputs people write (0.0461, 7.37, 33.5)
/// and few enough to hide binary noise (7.370000000000001).
pub const SIGNIFICANT: usize = 4;

/// What the reports print for a missing or non-finite number.
pub const NOT_APPLICABLE: &str = "–";

/// `v` with `decimals` decimals and a comma between thousands; `-0.00` prints as `0.00`.
pub fn number(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return NOT_APPLICABLE.into();
    }
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s.as_str(), None),
    };
    let grouped = group_thousands(int);
    // A value that rounds to zero has no sign.
    let sign = if v < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

fn group_thousands(int: &str) -> String {
    let mut out = String::with_capacity(int.len() + int.len() / 3);
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `v` with at most `max_decimals` decimals and no trailing zeros (`7.5`, `12`): scores and
/// other quantities whose precision is fixed but whose whole values should look whole.
pub fn up_to(v: f64, max_decimals: usize) -> String {
    let s = number(v, max_decimals);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A whole number of people, clients or years with separators (`1,320`).
pub fn count(v: f64) -> String {
    number(v, 0)
}

/// A parameter value as a person writes it: at most [`SIGNIFICANT`] significant digits (all
/// integer digits are kept), no trailing zeros, thousands separators.
pub fn value(v: f64) -> String {
    if !v.is_finite() {
        return NOT_APPLICABLE.into();
    }
    if v == 0.0 {
        return "0".into();
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (SIGNIFICANT as i32 - 1 - magnitude).clamp(0, 12) as usize;
    let s = number(v, decimals);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A share (0.125) as a percentage with `decimals` decimals (`12.5%`).
pub fn percent(share: f64, decimals: usize) -> String {
    if !share.is_finite() {
        return NOT_APPLICABLE.into();
    }
    format!("{}%", number(100.0 * share, decimals))
}

/// A share as a percentage with the digits it needs (0.15 → `15%`, 0.0461 → `4.61%`).
pub fn percent_value(share: f64) -> String {
    if !share.is_finite() {
        return NOT_APPLICABLE.into();
    }
    format!("{}%", value(100.0 * share))
}

/// An amount of money: whole units from 100 up, two decimals below (`474,842`, `25.30`).
pub fn money(v: f64) -> String {
    if v.is_finite() && v.abs() < 100.0 {
        number(v, 2)
    } else {
        number(v, 0)
    }
}

/// A low–high range of values (`0.5–0.85`), each as [`value`].
pub fn range(low: f64, high: f64) -> String {
    format!("{}–{}", value(low), value(high))
}

/// A chart axis label: compact for large magnitudes (`1.2M`, `250k`), whole numbers as such,
/// otherwise [`value`].
pub fn tick(v: f64) -> String {
    let a = v.abs();
    if !v.is_finite() {
        NOT_APPLICABLE.into()
    } else if a >= 1e9 {
        format!("{}B", value(v / 1e9))
    } else if a >= 1e6 {
        format!("{}M", value(v / 1e6))
    } else if a >= 1e4 {
        format!("{}k", value(v / 1e3))
    } else {
        value(v)
    }
}

/// Human names for the keys that reach reports: planner, budget impact, ROI and costing
/// parameters, and the cost categories of the shipped examples. Keys not listed fall back to
/// sentence case (see [`label`]).
pub const LABELS: &[(&str, &str)] = &[
    // Planner parameters.
    ("population", "Population"),
    ("population_growth", "Population growth per year"),
    ("prevalence", "Prevalence"),
    ("coverage", "Target coverage"),
    ("hours_per_client", "Counsellor hours per client"),
    ("hours_per_year", "Working hours per counsellor per year"),
    ("productive_fraction", "Share of hours for client work"),
    ("supervision_span", "Counsellors per supervisor"),
    ("attrition", "Counsellor attrition per year"),
    ("supervisor_attrition", "Supervisor attrition per year"),
    ("initial_counsellors", "Counsellors at the start"),
    ("initial_supervisors", "Supervisors at the start"),
    (
        "training_completion",
        "Share of trainees completing training",
    ),
    ("cohort_size", "Trainees per cohort"),
    (
        "max_cohorts_per_year",
        "Training cohorts per year (maximum)",
    ),
    ("sites", "Sites"),
    (
        "site_hours_per_month",
        "Counsellor hours per site per month",
    ),
    ("sessions", "Sessions per client"),
    ("session_minutes", "Minutes per session"),
    (
        "admin_minutes_per_session",
        "Administration minutes per session",
    ),
    (
        "supervision_hours_per_client",
        "Supervision hours per client",
    ),
    ("other_hours_per_client", "Other hours per client"),
    ("counsellor_annual_cost", "Cost per counsellor per year"),
    ("supervisor_annual_cost", "Cost per supervisor per year"),
    ("training_cost_per_trainee", "Training cost per trainee"),
    ("training_cost_per_cohort", "Training cost per cohort"),
    (
        "supervisor_training_cost",
        "Training cost per new supervisor",
    ),
    ("cost_per_client", "Other cost per client"),
    ("fixed_annual_cost", "Fixed programme cost per year"),
    ("one_off_cost", "One-off set-up cost"),
    ("budget_cap", "Budget ceiling per year"),
    // Budget impact and ROI.
    ("eligible_share", "Eligible share of the population"),
    ("discount_rate", "Discount rate"),
    ("value_per_hly", "Value of a healthy life-year"),
    ("programme_costs", "Programme costs"),
    ("unemployment", "Unemployment"),
    ("labour_force_participation", "Labour force participation"),
    ("gdp_per_worker", "GDP per worker"),
    ("absenteeism_gain", "Gain in days at work"),
    ("presenteeism_gain", "Gain in productivity at work"),
    ("unit_cost", "Cost per person treated"),
    (
        "delta_yld_per_case",
        "Years lived with disability averted per case",
    ),
    // Cost categories of the shipped examples.
    ("lhw_time", "Lay health worker time"),
    ("clinic_visits", "Clinic visits"),
    ("assessments", "Assessments"),
    ("overheads", "Overheads"),
    ("scale_up", "Scale-up (one-off)"),
    // Costing line kinds.
    ("counsellor_time", "Counsellor time"),
    ("supervisor_time", "Supervisor time"),
    ("training", "Training"),
    ("materials", "Materials"),
    ("overhead", "Overhead"),
];

/// The human name of a parameter or category key: from [`LABELS`], else the key with
/// underscores as spaces and a capital first letter (`home_visits` → "Home visits"). Text that
/// is not a key (it has a space or a capital) is returned as it is.
pub fn label(key: &str) -> String {
    if let Some((_, name)) = LABELS.iter().find(|(k, _)| *k == key) {
        return (*name).to_string();
    }
    if key.contains(' ') || key.chars().any(|c| c.is_uppercase()) {
        return key.to_string();
    }
    let spaced = key.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_and_signs() {
        assert_eq!(number(1_234_567.891, 2), "1,234,567.89");
        assert_eq!(number(-1234.0, 0), "-1,234");
        assert_eq!(number(-0.0001, 2), "0.00");
        assert_eq!(number(999.5, 0), "1,000");
        assert_eq!(count(1_500_000.0), "1,500,000");
        assert_eq!(number(f64::NAN, 2), "–");
    }

    #[test]
    fn values_hide_binary_noise_and_keep_what_people_wrote() {
        assert_eq!(value(7.370000000000001), "7.37");
        assert_eq!(value(0.0461), "0.0461");
        assert_eq!(value(0.30000000000000004), "0.3");
        assert_eq!(value(1_500_000.0), "1,500,000");
        assert_eq!(value(33.5), "33.5");
        assert_eq!(value(1600.0), "1,600");
        assert_eq!(value(-0.25), "-0.25");
        assert_eq!(value(0.0), "0");
        assert_eq!(value(123_456.7), "123,457");
    }

    #[test]
    fn percentages_money_ranges_and_ticks() {
        assert_eq!(percent(0.125, 1), "12.5%");
        assert_eq!(percent_value(0.15), "15%");
        assert_eq!(percent_value(0.0461), "4.61%");
        assert_eq!(money(474_842.4), "474,842");
        assert_eq!(money(25.3), "25.30");
        assert_eq!(range(0.5, 0.85), "0.5–0.85");
        assert_eq!(tick(1_250_000.0), "1.25M");
        assert_eq!(tick(250_000.0), "250k");
        assert_eq!(tick(0.6000000000000001), "0.6");
        assert_eq!(tick(2500.0), "2,500");
        assert_eq!(up_to(7.5, 1), "7.5");
        assert_eq!(up_to(12.0, 2), "12");
        assert_eq!(up_to(1.23456, 2), "1.23");
    }

    #[test]
    fn labels_come_from_the_table_then_sentence_case() {
        assert_eq!(label("lhw_time"), "Lay health worker time");
        assert_eq!(
            label("productive_fraction"),
            "Share of hours for client work"
        );
        assert_eq!(label("home_visits"), "Home visits");
        assert_eq!(label("Usual care"), "Usual care");
        // Every key in the table is unique, so a key has one name.
        let mut keys: Vec<&str> = LABELS.iter().map(|(k, _)| *k).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n);
    }
}
