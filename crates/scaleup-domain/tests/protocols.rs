//! Protocol evaluation (eligibility, stepped care, dose, alerts) and competency assessment,
//! on the built-in definitions.

use scaleup_domain::catalog::Catalog;
use scaleup_domain::instrument::{Responses, Score, ScoreOptions};
use scaleup_domain::protocol::{EscalationTarget, ExclusionAction, Reason, StepAction};
use std::collections::BTreeMap;
use std::sync::OnceLock;

fn catalog() -> &'static Catalog {
    static CAT: OnceLock<Catalog> = OnceLock::new();
    CAT.get_or_init(Catalog::builtin)
}

/// Scores `n` items all at `code`, with `overrides` (item, code) applied on top.
fn score_with(
    instrument: &str,
    code: i32,
    overrides: &[(&str, i32)],
    opts: &ScoreOptions,
) -> Score {
    let inst = catalog().instrument(instrument).unwrap();
    let mut r = Responses::new();
    for item in &inst.def().items {
        if item.scored {
            r.insert(item.id.clone(), Some(code));
        }
    }
    for (id, c) in overrides {
        r.insert(*id, Some(*c));
    }
    inst.score_with(&r, opts).unwrap()
}

fn score(instrument: &str, code: i32, overrides: &[(&str, i32)]) -> Score {
    score_with(instrument, code, overrides, &ScoreOptions::default())
}

fn scores(list: Vec<Score>) -> BTreeMap<String, Score> {
    list.into_iter()
        .map(|s| (s.instrument.clone(), s))
        .collect()
}

#[test]
fn friendship_bench_eligibility_and_referral() {
    let fb = catalog().protocol("friendship_bench").unwrap();
    // Nine "yes" answers (items 1-9), item 11 "no": eligible.
    let mut yes: Vec<(&str, i32)> = ["1", "2", "3", "4", "5", "6", "7", "8", "9"]
        .iter()
        .map(|i| (*i, 1))
        .collect();
    let d = fb.eligibility(&scores(vec![score("ssq14", 0, &yes)]));
    assert!(d.eligible && !d.refer);
    assert_eq!(
        d.reasons,
        vec![Reason::CriterionMet {
            instrument: "ssq14".into(),
            criterion: "cutoff:fb_rct_ge9".into()
        }]
    );
    // Eight: not eligible.
    let d = fb.eligibility(&scores(vec![score("ssq14", 0, &yes[..8])]));
    assert!(!d.eligible);
    // Suicide item: excluded and referred, whatever the total.
    yes.push(("11", 1));
    let d = fb.eligibility(&scores(vec![score("ssq14", 0, &yes)]));
    assert!(!d.eligible && d.refer);
    assert!(d.reasons.contains(&Reason::Excluded {
        exclusion: "suicide_risk".into(),
        action: ExclusionAction::Refer
    }));
}

#[test]
fn pm_plus_needs_phq9_and_whodas_in_the_1_to_5_convention() {
    let pm = catalog().protocol("pm_plus_individual").unwrap();
    let phq9 = score("phq9", 0, &[("1", 3), ("2", 3), ("3", 3), ("4", 1)]); // 10 > 9
    let whodas_18 = score(
        "whodas12",
        1,
        &[("1", 2), ("2", 2), ("3", 2), ("4", 2), ("5", 2), ("6", 2)],
    );
    let d = pm.eligibility(&scores(vec![phq9.clone(), whodas_18.clone()]));
    assert!(d.eligible, "{d:?}");
    // The same WHODAS responses reported under 0-4 coding (total 6) are still > 16 under 1-5.
    let opts = ScoreOptions {
        coding: Some("0-4".into()),
        ..Default::default()
    };
    let whodas_04 = score_with(
        "whodas12",
        1,
        &[("1", 2), ("2", 2), ("3", 2), ("4", 2), ("5", 2), ("6", 2)],
        &opts,
    );
    assert_eq!(whodas_04.total, 6.0);
    assert!(
        pm.eligibility(&scores(vec![phq9.clone(), whodas_04]))
            .eligible
    );
    // WHODAS 16 is not > 16.
    let whodas_16 = score("whodas12", 1, &[("1", 3), ("2", 3)]);
    assert_eq!(whodas_16.total, 16.0);
    let d = pm.eligibility(&scores(vec![phq9.clone(), whodas_16]));
    assert!(!d.eligible);
    assert!(d.reasons.contains(&Reason::CriterionNotMet {
        instrument: "whodas12".into(),
        criterion: "total>16@1-5".into()
    }));
    // Without a WHODAS score the decision is "not eligible, missing score".
    let d = pm.eligibility(&scores(vec![phq9]));
    assert!(!d.eligible);
    assert!(d.reasons.contains(&Reason::MissingScore {
        instrument: "whodas12".into()
    }));
}

#[test]
fn hap_stepped_care_and_dose() {
    let hap = catalog().protocol("hap").unwrap();
    let baseline = score("phq9", 2, &[("9", 0), ("1", 3), ("2", 3)]); // 2*8 + 1 + 1 + 0 = 18
    assert_eq!(baseline.total, 18.0);
    let ten = score("phq9", 1, &[("9", 0), ("1", 2)]); // 9: a 50 % reduction
    assert_eq!(ten.total, 9.0);
    let eleven = score("phq9", 1, &[("9", 0), ("1", 2), ("2", 2)]); // 10: less than 50 %
    assert_eq!(hap.stepped_care_flag(&baseline, &ten, 3), None);
    let flag = hap.stepped_care_flag(&baseline, &eleven, 3).unwrap();
    assert_eq!(flag.code, "no_improvement");
    assert_eq!(flag.action, StepAction::StepUp);
    assert_eq!(flag.session_number, 3);
    // Before session 3 the rule does not apply; another instrument never triggers it.
    assert_eq!(hap.stepped_care_flag(&baseline, &eleven, 2), None);
    let gad = score("gad7", 1, &[]);
    assert_eq!(hap.stepped_care_flag(&gad, &gad, 5), None);
    assert!(hap.adequate_dose(6) && !hap.adequate_dose(5));
    assert!(hap.session_missed(7) && !hap.session_missed(6));
}

#[test]
fn cpt_points_rule() {
    let cpt = catalog().protocol("cpt_group").unwrap();
    let base = score("pcl5", 2, &[]); // 40
    let four_better = score("pcl5", 2, &[("1", 0), ("2", 0)]); // 36
    let five_better = score("pcl5", 2, &[("1", 0), ("2", 0), ("3", 1)]); // 35
    assert!(cpt.stepped_care_flag(&base, &four_better, 6).is_some());
    assert!(cpt.stepped_care_flag(&base, &five_better, 6).is_none());
    // CPT mixes an individual first session with group sessions.
    let plan = &cpt.def().session_plan;
    assert_eq!(plan.len(), 12);
}

#[test]
fn risk_flags_become_alerts_per_protocol() {
    let hap = catalog().protocol("hap").unwrap();
    let fb = catalog().protocol("friendship_bench").unwrap();
    let phq9 = score("phq9", 0, &[("9", 1)]);
    let flag = &phq9.risk_flags[0];
    let policy = hap.alert_policy(flag).unwrap();
    assert_eq!(policy.acknowledge_within_hours, 24);
    assert_eq!(policy.escalate_to, EscalationTarget::HubManager);
    let ssq = score("ssq14", 0, &[("11", 1)]);
    assert!(hap.alert_policy(&ssq.risk_flags[0]).is_none());
    assert!(fb.alert_policy(&ssq.risk_flags[0]).is_some());
    // Messages carry no clinical values.
    for (_, inst) in catalog().instruments() {
        for r in &inst.def().risk_rules {
            assert!(!r.message.chars().any(|c| c.is_ascii_digit()), "{}", r.id);
        }
    }
}

#[test]
fn every_protocol_references_resolve() {
    for (_, p) in catalog().protocols() {
        for code in p.instrument_codes() {
            assert!(
                catalog().instrument(&code).is_some(),
                "{} -> {code}",
                p.code()
            );
        }
        assert!(!p.def().sources.is_empty());
    }
}

#[test]
fn enact_levels_and_safety_flag() {
    let enact = catalog().competency_framework("enact_equip").unwrap();
    assert_eq!(enact.def().competencies.len(), 15);
    let mut ratings: BTreeMap<String, u8> = (1..=15).map(|i| (i.to_string(), 3)).collect();
    let a = enact.assess(&ratings).unwrap();
    assert!(!a.safety_flag && a.all_competent == Some(true));
    ratings.insert("7".into(), 1);
    let a = enact.assess(&ratings).unwrap();
    assert!(a.safety_flag);
    assert_eq!(a.safety_flag_competencies, vec!["7".to_string()]);
    assert_eq!(a.all_competent, Some(false));
    ratings.remove("3");
    let a = enact.assess(&ratings).unwrap();
    assert_eq!(a.unrated, vec!["3".to_string()]);
    assert_eq!(a.all_competent, None);
    ratings.insert("3".into(), 5);
    assert_eq!(
        enact.assess(&ratings).unwrap_err().to_string(),
        "competency 3: level is not one of the framework's levels: 1, 2, 3, 4"
    );
    let mut bad = BTreeMap::new();
    bad.insert("16".to_string(), 2u8);
    assert!(enact.assess(&bad).is_err());
}

/// Targets are data of the protocol: one per indicator, a share on one side, with a source;
/// anything else is refused at its line.
#[test]
fn protocol_targets_are_shares_with_a_source() {
    let base = include_str!("../definitions/protocols/friendship_bench.toml")
        .replace("version = \"1\"", "version = \"2\"");
    let with = |targets: &str| format!("{base}\n{targets}");
    let good = with(
        "[[targets]]\nindicator = \"completion\"\nat_least = 0.7\nsource = \"Hub decision, 2026\"\n\n\
         [[targets]]\nindicator = \"dropout\"\nat_most = 0.2\nsource = \"Hub decision, 2026\"\n",
    );
    let mut cat = Catalog::builtin();
    cat.add_file("fb.toml", &good).expect("valid targets");
    let p = cat.protocol("friendship_bench").unwrap();
    assert_eq!(p.version(), "2");
    let targets = p.targets();
    assert_eq!(targets.len(), 2);
    assert!(targets[0].met_by(0.7) && !targets[0].met_by(0.69));
    assert!(targets[1].met_by(0.2) && !targets[1].met_by(0.21));
    assert_eq!(targets[1].share(), 0.2);

    let line_of =
        |text: &str, needle: &str| text.lines().position(|l| l.contains(needle)).map(|i| i + 1);
    for (targets, field, message) in [
        (
            "[[targets]]\nindicator = \"completion\"\nat_least = 70\nsource = \"x\"\n",
            "targets[0].at_least",
            "between 0 and 1",
        ),
        (
            "[[targets]]\nindicator = \"completion\"\nat_least = 0.7\nat_most = 0.9\nsource = \"x\"\n",
            "targets[0]",
            "exactly one of at_least or at_most",
        ),
        (
            "[[targets]]\nindicator = \"completion\"\nsource = \"x\"\n",
            "targets[0]",
            "exactly one of at_least or at_most",
        ),
        (
            "[[targets]]\nindicator = \"completion\"\nat_least = 0.7\nsource = \" \"\n",
            "targets[0].source",
            "must not be empty",
        ),
        (
            "[[targets]]\nindicator = \"completion\"\nat_least = 0.7\nsource = \"x\"\n\n\
             [[targets]]\nindicator = \"completion\"\nat_least = 0.8\nsource = \"y\"\n",
            "targets[1].indicator",
            "one target per indicator",
        ),
        (
            "[[targets]]\nindicator = \"Completion!\"\nat_least = 0.7\nsource = \"x\"\n",
            "targets[0].indicator",
            "lower-case",
        ),
    ] {
        let text = with(targets);
        let e = Catalog::builtin()
            .add_file("fb.toml", &text)
            .expect_err(targets);
        assert_eq!(e.field, field, "{targets}: {e}");
        assert!(e.message.contains(message), "{targets}: {e}");
        assert!(
            e.line.is_some() && e.line >= line_of(&text, "[[targets]]"),
            "{targets}: {e}"
        );
    }
}

/// A protocol shows a problem of every section at once, each at its line.
#[test]
fn a_protocols_sections_each_report_their_problem() {
    let base = include_str!("../definitions/protocols/friendship_bench.toml")
        .replace("version = \"1\"", "version = \"2\"");
    let text =
        base.replacen(
            "[dose]\nminimum_sessions = 4",
            "[dose]\nminimum_sessions = 99",
            1,
        )
        .replacen(
            "components = [\"opening_the_mind\", \"uplifting\"]",
            "components = [\"opening_the_mind\", \"nowhere\"]",
            1,
        ) + "\n[[targets]]\nindicator = \"completion\"\nat_least = 7\nsource = \"x\"\n";
    let e = Catalog::builtin()
        .add_file("fb.toml", &text)
        .expect_err("refused");
    let fields: Vec<&str> = e.problems().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "session_plan[0].components",
            "dose.minimum_sessions",
            "targets[0].at_least"
        ],
        "{e}"
    );
    assert!(e.problems().all(|p| p.line.is_some()), "{e}");
}
