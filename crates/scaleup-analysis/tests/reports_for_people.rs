//! What a programme manager reads: every text and HTML report on the shipped worked examples
//! shows numbers formatted for people (no binary noise such as `7.370000000000001`, thousands
//! separated) and human names instead of file keys such as `lhw_time` (hardening item 14);
//! a PSA says what its EVPI leaves out (item 15); a hub's effect shows the same interval in
//! the effectiveness report and in the meta-analysis' forest plot (item 16).

use scaleup_analysis::{Report, econ, effectiveness, gee_meta, uncertainty};
use scaleup_econ::markov::Model;
use scaleup_econ::psa::{self, PsaConfig};
use serde_json::json;

const PLAN: &str = include_str!("../../scaleup-econ/models/friendship_bench_planner.toml");
const BIA: &str = include_str!("../../scaleup-econ/models/friendship_bench_bia.toml");
const ROI: &str = include_str!("../../scaleup-econ/models/friendship_bench_roi.toml");
const PRICES: &str = include_str!("../../scaleup-econ/models/costing_prices_example.toml");
const ACTIVITY: &str = include_str!("../../scaleup-econ/models/costing_activity_example.csv");
const HIV_PSA: &str = include_str!("../../scaleup-econ/tests/reference/dmhee_hiv_psa.toml");

/// The text of an HTML page as a reader sees it: tags, the style sheet and entities removed.
fn visible_text(html: &str) -> String {
    let html = match (html.find("<style>"), html.find("</style>")) {
        (Some(a), Some(b)) => format!("{}{}", &html[..a], &html[b..]),
        _ => html.to_string(),
    };
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&").replace("&quot;", "\"")
}

/// Words a reader would take for a file key: lower-case words joined by underscores.
fn raw_keys(text: &str, allowed: &[&str]) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| {
            w.contains('_')
                && w.chars().any(|c| c.is_ascii_lowercase())
                && !w.starts_with('_')
                && !allowed.contains(w)
        })
        .map(str::to_string)
        .collect()
}

/// Numbers with more decimals than anyone wrote: eight or more digits after the point, the
/// mark of an f64 printed with `{}` (0.30000000000000004, 7.370000000000001).
fn float_noise(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter(|w| w.split_once('.').is_some_and(|(_, f)| f.len() >= 8))
        .map(str::to_string)
        .collect()
}

/// Large whole numbers without separators (1500000), outside years and ids.
fn unseparated(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_digit() || c == ',' || c == '.'))
        .filter(|w| {
            let int = w.split('.').next().unwrap_or("");
            int.len() >= 5 && int.chars().all(|c| c.is_ascii_digit())
        })
        .map(str::to_string)
        .collect()
}

fn check_for_people(name: &str, report: &Report, allowed_keys: &[&str]) {
    let mut texts = vec![("text", report.text.clone())];
    if let Some(html) = &report.html {
        texts.push(("html", visible_text(html)));
    }
    for (kind, text) in texts {
        assert_eq!(
            raw_keys(&text, allowed_keys),
            Vec::<String>::new(),
            "{name} {kind}:\n{text}"
        );
        assert_eq!(
            float_noise(&text),
            Vec::<String>::new(),
            "{name} {kind}:\n{text}"
        );
        assert_eq!(
            unseparated(&text),
            Vec::<String>::new(),
            "{name} {kind}:\n{text}"
        );
    }
}

#[test]
fn issue_14_planner_report_reads_for_people() {
    let r = econ::plan("plan.toml", PLAN).unwrap();
    check_for_people("plan", &r, &[]);
    let html = visible_text(r.html.as_deref().unwrap());
    // The parameters table shows what the file says, as people write it.
    assert!(html.contains("Counsellor hours per client"), "{html}");
    assert!(html.contains(" 7.37 "), "{html}");
    assert!(html.contains("1,500,000"), "{html}");
    assert!(html.contains("Share of hours for client work"));
    assert!(
        r.text
            .contains("Share of hours for client work 0.023–0.092 (scenario value 0.0461)")
    );
}

#[test]
fn issue_14_budget_impact_report_names_categories_for_people() {
    let r = econ::budget_impact("bia.toml", BIA).unwrap();
    check_for_people("bia", &r, &[]);
    assert!(r.text.contains("Lay health worker time"));
    assert!(visible_text(r.html.as_deref().unwrap()).contains("Lay health worker time"));
}

#[test]
fn issue_14_roi_and_costing_reports_read_for_people() {
    let r = econ::roi("roi.toml", ROI).unwrap();
    // The file's own source note names another model file; that is the user's text.
    check_for_people("roi", &r, &["friendship_bench_markov"]);
    assert!(r.text.contains("discount rate 3%"), "{}", r.text);
    let activity = scaleup_econ::costing::parse_activity_csv(ACTIVITY).unwrap();
    let r = econ::costs("prices.toml", PRICES, activity).unwrap();
    check_for_people("costs", &r, &[]);
}

fn hiv_psa(draws: usize) -> (Model, Report) {
    let model = Model::from_toml_str(HIV_PSA).unwrap();
    let result = psa::run_psa(
        &model,
        &PsaConfig::new(draws, 3, vec![0.0, 5000.0, 20000.0]),
        |_| Ok(()),
    )
    .unwrap();
    let report = uncertainty::psa_report(&model, &result, 3).unwrap();
    (model, report)
}

#[test]
fn issue_14_psa_and_owsa_reports_read_for_people() {
    let (model, report) = hiv_psa(200);
    // Model parameter names are the model's own vocabulary, like strategy names.
    let names: Vec<&str> = model.parameters().iter().map(|p| p.name.as_str()).collect();
    check_for_people("psa", &report, &names);
    assert!(report.text.contains("20,000"), "{}", report.text);
    let owsa = uncertainty::owsa(
        "hiv.toml",
        &model,
        &uncertainty::OwsaRequest {
            wtp: 20000.0,
            ..Default::default()
        },
    )
    .unwrap();
    check_for_people("owsa", &owsa.report, &names);
}

#[test]
fn issue_15_psa_with_fixed_parameters_says_so_in_json_text_and_warnings() {
    let (_, report) = hiv_psa(100);
    let expected = "2 of 7 parameters are fixed (cost_zido, cost_lami): their uncertainty is not in the CEAC or the EVPI";
    assert_eq!(report.warnings, vec![expected.to_string()]);
    assert_eq!(report.json["warnings"], json!([expected]));
    assert_eq!(
        report.json["fixed_parameters"],
        json!(["cost_zido", "cost_lami"])
    );
    assert!(
        report.text.starts_with(&format!("Warning: {expected}\n")),
        "{}",
        report.text
    );
    assert!(report.html.unwrap().contains(expected));
}

#[test]
fn issue_15_single_varying_parameter_is_called_out() {
    let text = r#"
states = ["well", "dead"]
initial = [1, 0]
cycles = 2
accrual = "end"
[[parameter]]
name = "p_die"
distribution = "beta"
mean = 0.1
se = 0.02
[[parameter]]
name = "cost"
distribution = "fixed"
value = 100
[[strategy]]
name = "a"
[[strategy.phase]]
transitions = [["C", "p_die"], [0, 1]]
state_costs = ["cost", 0]
state_effects = [1, 0]
[[strategy]]
name = "b"
[[strategy.phase]]
transitions = [["C", "p_die * 0.5"], [0, 1]]
state_costs = ["cost * 3", 0]
state_effects = [1, 0]
"#;
    let model = Model::from_toml_str(text).unwrap();
    let result = psa::run_psa(&model, &PsaConfig::new(50, 1, vec![100.0]), |_| Ok(())).unwrap();
    let report = uncertainty::psa_report(&model, &result, 1).unwrap();
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.starts_with("only one parameter varies (p_die)")),
        "{:?}",
        report.warnings
    );
}

/// A routine-delivery programme at three facilities: the effect is the mean change.
fn hub_effect() -> Report {
    let design = json!({"type": "routine", "outcome": {"instrument": "phq9"}});
    let sites: Vec<serde_json::Value> = ["f1", "f2", "f3"]
        .iter()
        .map(|f| json!({"facility_id": f}))
        .collect();
    let programme = effectiveness::Programme {
        code: "HUB",
        start_date: "2025-01-01",
        design: &design,
        sites: &sites,
    };
    let facilities = ["f1", "f2", "f3"];
    let baselines: Vec<f64> = (0..30).map(|i| 14.0 + (i % 7) as f64).collect();
    let changes: Vec<effectiveness::OutcomeChange> = (0..30)
        .map(|i| effectiveness::OutcomeChange {
            facility_id: facilities[i % 3],
            baseline_on: "2025-02-01",
            baseline: baselines[i],
            // Different mean improvement per facility, with scatter, so the facility variance
            // and the Satterthwaite df are both estimated.
            follow_up: Some(baselines[i] - 5.0 - (i % 3) as f64 * 1.5 - ((i * 7) % 5) as f64),
        })
        .collect();
    effectiveness::effectiveness(&programme, &changes, &effectiveness::Options::default()).unwrap()
}

#[test]
fn issue_16_a_hub_effect_has_the_same_interval_in_both_reports() {
    let hub = hub_effect();
    let effect = &hub.json["effect"];
    assert_eq!(effect["interval"], "t");
    assert!(hub.text.contains("(t, df "), "{}", hub.text);
    let (estimate, se, df) = (
        effect["estimate"].as_f64().unwrap(),
        effect["std_error"].as_f64().unwrap(),
        effect["df"].as_f64().unwrap(),
    );
    let csv = format!("hub,estimate,se,df\nHUB,{estimate},{se},{df}\nOther,-4.0,0.9,\n");
    let req = gee_meta::MetaRequest {
        estimate: "estimate".into(),
        se: "se".into(),
        label: Some("hub".into()),
        df: Some("df".into()),
        method: gee_meta::MetaMethodArg::Reml,
        knapp_hartung: false,
        kh_truncate: false,
        level: 0.95,
        axis_label: "Change in PHQ-9".into(),
    };
    let meta = gee_meta::meta("hubs.csv", csv.as_bytes(), &req).unwrap();
    let row = &meta.report.json["studies"][0];
    let close = |a: &serde_json::Value, b: &serde_json::Value| {
        (a.as_f64().unwrap() - b.as_f64().unwrap()).abs() < 1e-9
    };
    assert!(
        close(&row["ci_lower"], &effect["ci_low"]),
        "{row} vs {effect}"
    );
    assert!(
        close(&row["ci_upper"], &effect["ci_high"]),
        "{row} vs {effect}"
    );
    assert_eq!(row["interval"], "t");
    // The other study has no df: a normal interval, and both reports say which is which.
    assert_eq!(meta.report.json["studies"][1]["interval"], "z");
    let svg_row = format!(
        "[{:.2}, {:.2}]",
        effect["ci_low"].as_f64().unwrap(),
        effect["ci_high"].as_f64().unwrap()
    );
    assert!(meta.forest_svg.contains(&svg_row), "{}", meta.forest_svg);
    assert!(
        meta.forest_svg
            .contains("studies t with the study's df where given, otherwise normal (z)")
    );
    assert!(meta.report.text.contains("normal (z)") && meta.report.text.contains("t, df "));
}
