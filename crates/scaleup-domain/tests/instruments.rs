//! Scoring test vectors for the built-in instruments (instruments.md §8 and the list).
//!
//! Every case goes through one `check` helper that scores `ITEM=CODE` pairs and compares a
//! compact rendering of the score, so adding a vector means adding one line of data.

use scaleup_domain::catalog::Catalog;
use scaleup_domain::instrument::{Responses, Score, ScoreError, ScoreOptions, Sex};

fn fmt_num(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A stable one-line rendering of the parts of a score that tests care about.
fn render(s: &Score) -> String {
    let mut out = format!("total={}", fmt_num(s.total));
    if let Some(c) = &s.coding {
        out += &format!(" coding={c}");
    }
    if let Some(b) = &s.band {
        out += &format!(" band={}", b.band);
    }
    if let Some(p) = s.positive {
        out += &format!(" positive={p}");
    }
    for sub in &s.subscales {
        out += &format!(" {}={}", sub.id, sub.value.map_or("-".into(), fmt_num));
    }
    for r in &s.rules {
        out += &format!(" {}={}", r.id, r.met.map_or("?".into(), |m| m.to_string()));
    }
    let flags: Vec<&str> = s.risk_flags.iter().map(|f| f.rule.as_str()).collect();
    out += &format!(" flags=[{}]", flags.join(","));
    if s.missing > 0 {
        out += &format!(" missing={}", s.missing);
    }
    if s.prorated {
        out += " prorated";
    }
    out
}

/// Expands `"1..9=0"`-style shorthand: `A..B=C` sets items A to B to code C; later pairs
/// override earlier ones, so `1..9=0,9=1` reads "all zero except item 9".
fn responses(spec: &str) -> Responses {
    let mut map = std::collections::BTreeMap::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (ids, code) = part.split_once('=').expect("pair");
        if let Some((a, b)) = ids.split_once("..") {
            let (a, b): (u32, u32) = (a.parse().unwrap(), b.parse().unwrap());
            for i in a..=b {
                map.insert(i.to_string(), code.to_string());
            }
        } else {
            map.insert(ids.to_string(), code.to_string());
        }
    }
    let pairs: Vec<String> = map.iter().map(|(k, v)| format!("{k}={v}")).collect();
    Responses::parse_pairs(&pairs.join(",")).expect("valid test responses")
}

fn catalog() -> &'static Catalog {
    static CAT: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
    CAT.get_or_init(Catalog::builtin)
}

fn score(code: &str, spec: &str, opts: &ScoreOptions) -> Result<Score, ScoreError> {
    let inst = catalog().instrument(code).expect("built-in instrument");
    inst.score_with(&responses(spec), opts)
}

fn check(code: &str, spec: &str, expect: &str) {
    check_with(code, spec, &ScoreOptions::default(), expect);
}

fn check_with(code: &str, spec: &str, opts: &ScoreOptions, expect: &str) {
    let got = match score(code, spec, opts) {
        Ok(s) => render(&s),
        Err(e) => format!("error: {e}"),
    };
    assert_eq!(got, expect, "{code} with {spec}");
}

#[test]
fn phq9_bands_and_item9_flag_at_low_total() {
    check(
        "phq9",
        "1..9=0",
        "total=0 band=minimal positive=false flags=[]",
    );
    // Item 9 = 1 with total 3: the flag is raised although the total is minimal.
    check(
        "phq9",
        "1..8=0,9=1,1=2",
        "total=3 band=minimal positive=false flags=[item9_positive]",
    );
    check(
        "phq9",
        "1..9=1",
        "total=9 band=mild positive=false flags=[item9_positive]",
    );
    check(
        "phq9",
        "1..5=2,6..9=0",
        "total=10 band=moderate positive=true flags=[]",
    );
    check(
        "phq9",
        "1..9=3,10=3",
        "total=27 band=severe positive=true flags=[item9_positive]",
    );
    // Item 10 is recorded but not scored.
    check(
        "phq9",
        "1..9=0,10=3",
        "total=0 band=minimal positive=false flags=[]",
    );
}

#[test]
fn missing_item_rules() {
    // PHQ-9 allows no missing item; the error still carries the item-9 flag.
    let err = score("phq9", "1..7=0,9=2", &ScoreOptions::default()).unwrap_err();
    match &err {
        ScoreError::TooManyMissing {
            missing,
            allowed,
            risk_flags,
        } => {
            assert_eq!((*missing, *allowed), (1, 0));
            assert_eq!(risk_flags.len(), 1);
            assert_eq!(risk_flags[0].rule, "item9_positive");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "too many unanswered items: 1 missing, rule allows at most 0"
    );
    // AIM: mean of >= 3 of 4 answered items.
    check("aim", "1=4,2=5,3=4", "total=4.33 flags=[] missing=1");
    check(
        "aim",
        "1=4,2=5",
        "error: too many unanswered items: 2 missing, rule allows at most 1",
    );
    // An explicitly unanswered item (ITEM=) counts like an absent one.
    check("aim", "1=4,2=5,3=4,4=", "total=4.33 flags=[] missing=1");
}

#[test]
fn aim_iam_fim_means() {
    check("aim", "1=4,2=5,3=4,4=5", "total=4.5 flags=[]");
    check("iam", "1..4=3", "total=3 flags=[]");
    check("fim", "1=1,2=2,3=3,4=4", "total=2.5 flags=[]");
}

#[test]
fn benchmark_cutoff_is_reported_even_without_default() {
    let s = score("aim", "1=4,2=5,3=4,4=5", &ScoreOptions::default()).unwrap();
    // No default cut-off, so positive is None, but each cut-off is evaluated.
    assert_eq!(s.positive, None);
    assert_eq!(s.cutoff("benchmark_ge3_5").unwrap().positive, Some(true));
    assert!((s.total - 4.5).abs() < 1e-12);
}

#[test]
fn epds_reverse_keying() {
    // Position code 0 (first option) on every item: items 1, 2, 4 score 0, the seven
    // reverse-keyed items score 3 each -> 21, and item 10 (scored 3) raises the flag.
    check(
        "epds",
        "1..10=0",
        "total=21 positive=true flags=[item10_positive]",
    );
    // Position code 3 everywhere: 3 + 3 + 3 for items 1, 2, 4 and 0 for the rest -> 9.
    check("epds", "1..10=3", "total=9 positive=false flags=[]");
    // Item 10 at position 2 scores 1 (> 0): flag.
    check(
        "epds",
        "1..9=3,10=2",
        "total=10 positive=false flags=[item10_positive]",
    );
}

#[test]
fn whodas_codings() {
    let spec = "1..6=2,7..12=1";
    // WHO 1-5 coding: 6*2 + 6*1 = 18 (> 16). Under 0-4 the same responses give 6.
    check(
        "whodas12",
        spec,
        "total=18 coding=1-5 cognition=4 mobility=3 self_care=2 getting_along=2 life_activities=3 participation=4 flags=[]",
    );
    let opts = ScoreOptions {
        coding: Some("0-4".into()),
        ..Default::default()
    };
    check_with(
        "whodas12",
        spec,
        &opts,
        "total=6 coding=0-4 cognition=2 mobility=1 self_care=0 getting_along=0 life_activities=1 participation=2 flags=[]",
    );
    // The > 16 cut-off refers to the 1-5 coding whatever coding is reported.
    let s = score("whodas12", spec, &opts).unwrap();
    assert_eq!(s.cutoff("gt16").unwrap().positive, Some(true));
    assert_eq!(s.total_under(Some("1-5")), Some(18.0));
    assert_eq!(s.range, [0.0, 48.0]);
    // Codes must be 1-5.
    check(
        "whodas12",
        "1..12=0",
        "error: item 1: code is not one of the item's allowed codes: 1, 2, 3, 4, 5",
    );
}

#[test]
fn pcl5_clusters_and_provisional_diagnosis() {
    // B: item 1 = 2; C: item 6 = 2; D: items 8, 9 = 2; E: items 15, 16 = 2 -> rule met.
    check(
        "pcl5",
        "1..20=0,1=2,6=2,8=2,9=2,15=2,16=2",
        "total=12 positive=false B=2 C=2 D=4 E=4 provisional_diagnosis=true flags=[]",
    );
    // Only one D item endorsed -> rule not met although the total is higher.
    check(
        "pcl5",
        "1..20=1,1=4,6=4,8=4,15=4,16=4",
        "total=35 positive=true B=8 C=5 D=10 E=12 provisional_diagnosis=false flags=[]",
    );
}

#[test]
fn audit_zones_and_next_level_rule() {
    check(
        "audit",
        "1..8=0,9=0,10=0",
        "total=0 band=zone1 positive=false next_level=false flags=[]",
    );
    check(
        "audit",
        "1..8=1,9=0,10=0",
        "total=8 band=zone2 positive=true next_level=false flags=[]",
    );
    check(
        "audit",
        "1..8=2,9=0,10=0",
        "total=16 band=zone3 positive=true next_level=true flags=[]",
    );
    check(
        "audit",
        "1..8=2,9=2,10=2",
        "total=20 band=zone4 positive=true next_level=true flags=[zone4]",
    );
    // 4 on Q9 moves to the next level even at a zone I total.
    check(
        "audit",
        "1..8=0,9=4,10=0",
        "total=4 band=zone1 positive=false next_level=true flags=[]",
    );
    // Q9 allows only 0, 2 and 4.
    check(
        "audit",
        "1..8=0,9=1,10=0",
        "error: item 9: code is not one of the item's allowed codes: 0, 2, 4",
    );
}

#[test]
fn auditc_sex_specific_cutoffs() {
    let spec = "1=1,2=1,3=1";
    let s = score("auditc", spec, &ScoreOptions::default()).unwrap();
    assert_eq!(s.cutoff("men_ge4").unwrap().positive, None);
    assert_eq!(s.cutoff("women_ge3").unwrap().positive, None);
    let women = ScoreOptions {
        sex: Some(Sex::Female),
        ..Default::default()
    };
    let s = score("auditc", spec, &women).unwrap();
    assert_eq!(s.cutoff("women_ge3").unwrap().positive, Some(true));
    assert_eq!(s.cutoff("men_ge4").unwrap().positive, None);
    let men = ScoreOptions {
        sex: Some(Sex::Male),
        cutoff: Some("men_ge4".into()),
        ..Default::default()
    };
    let s = score("auditc", spec, &men).unwrap();
    assert_eq!(s.positive, Some(false));
}

#[test]
fn ssq14_item11_and_cutoffs() {
    check(
        "ssq14",
        "1..14=0,11=1",
        "total=1 positive=false flags=[item11_positive]",
    );
    check("ssq14", "1..9=1,10..14=0", "total=9 positive=true flags=[]");
    // The Zanzibar cut-off chosen by a programme, and a programme-level threshold override.
    let zanzibar = ScoreOptions {
        cutoff: Some("zanzibar_ge7".into()),
        ..Default::default()
    };
    check_with(
        "ssq14",
        "1..7=1,8..14=0",
        &zanzibar,
        "total=7 positive=true flags=[]",
    );
    let mut thresholds = std::collections::BTreeMap::new();
    thresholds.insert("fb_rct_ge9".to_string(), 8.0);
    let overridden = ScoreOptions {
        thresholds,
        ..Default::default()
    };
    let s = score("ssq14", "1..8=1,9..14=0", &overridden).unwrap();
    let c = s.cutoff("fb_rct_ge9").unwrap();
    assert!(c.overridden && c.threshold == 8.0 && c.positive == Some(true));
}

#[test]
fn srq20_item17() {
    check("srq20", "1..20=0,17=1", "total=1 flags=[item17_positive]");
}

#[test]
fn k10_bands_and_k6_codings() {
    check("k10", "1..10=1", "total=10 band=low flags=[]");
    check("k10", "1..6=2,7..10=1", "total=16 band=moderate flags=[]");
    check("k10", "1..10=3", "total=30 band=very_high flags=[]");
    check("k10", "1..10=5", "total=50 band=very_high flags=[]");
    let s = score("k10", "1..10=2,1=4", &ScoreOptions::default()).unwrap();
    // 22: ABS "high", Andrews & Slade "likely mild disorder".
    let bands: Vec<(&str, &str)> = s
        .bands
        .iter()
        .map(|b| (b.band_set.as_str(), b.band.as_str()))
        .collect();
    assert_eq!(bands, vec![("abs", "high"), ("andrews_slade", "mild")]);
    // K6 all "a little of the time" (code 2): 12 under 1-5, 6 under 0-4 -> SH+ positive (>= 5).
    check("k6", "1..6=2", "total=12 coding=1-5 positive=true flags=[]");
    check("k6", "1..6=1", "total=6 coding=1-5 positive=false flags=[]");
}

#[test]
fn phq2_gad7_phqa_psychlops() {
    check("phq2", "1=2,2=1", "total=3 positive=true flags=[]");
    check(
        "gad7",
        "1..7=2",
        "total=14 band=moderate positive=true flags=[]",
    );
    check(
        "phqa",
        "1..9=1,2=3,suicidal_thoughts_past_month=1",
        "total=11 band=moderate positive=true flags=[item9_positive,suicidal_thoughts_past_month]",
    );
    check(
        "psychlops",
        "problem1=5,problem2=3,function=4,wellbeing=2",
        "total=14 flags=[]",
    );
}

#[test]
fn errors_name_item_and_rule_without_values() {
    check(
        "phq9",
        "1..9=0,99=1",
        "error: item 99: not an item of this instrument",
    );
    check(
        "phq9",
        "1..9=0,3=7",
        "error: item 3: code is not one of the item's allowed codes: 0, 1, 2, 3",
    );
    let opts = ScoreOptions {
        cutoff: Some("nope".into()),
        ..Default::default()
    };
    check_with(
        "phq9",
        "1..9=0",
        &opts,
        "error: cut-off nope: not a cut-off of this instrument",
    );
    let opts = ScoreOptions {
        coding: Some("0-4".into()),
        ..Default::default()
    };
    check_with(
        "phq9",
        "1..9=0",
        &opts,
        "error: coding 0-4: not a coding of this instrument",
    );
}

#[test]
fn unanswered_risk_items_are_reported() {
    let cat = catalog();
    let phq9 = cat.instrument("phq9").unwrap();
    // PHQ-9 with all items answered except 9 fails, but risk_flags() still works.
    let r = responses("1..8=0");
    assert!(phq9.risk_flags(&r).unwrap().is_empty());
    let aim = cat.instrument("aim").unwrap();
    assert!(
        aim.score(&responses("1..4=3"))
            .unwrap()
            .unanswered_risk_items
            .is_empty()
    );
    let ssq = cat.instrument("ssq14").unwrap();
    let s = ssq.score(&responses("1..10=0,12..14=0")).unwrap_err();
    assert!(matches!(s, ScoreError::TooManyMissing { .. }));
}

#[test]
fn score_round_trips_through_json() {
    let s = score("whodas12", "1..12=3", &ScoreOptions::default()).unwrap();
    let json = serde_json::to_string(&s).unwrap();
    let back: Score = serde_json::from_str(&json).unwrap();
    assert_eq!(back, s);
    // Recomputing from stored responses and code+version gives the same score.
    let cat = catalog();
    let again = cat
        .instrument_version(&s.instrument, &s.version)
        .unwrap()
        .score(&responses("1..12=3"))
        .unwrap();
    assert_eq!(again, s);
}

/// End-to-end check of every built-in: the lowest-scoring and highest-scoring answers reach the
/// ends of the declared range, fall in a band of every band set, and every cut-off carries its
/// provenance.
#[test]
fn every_instrument_spans_its_range() {
    use scaleup_domain::instrument::ResponseScale;
    for (_, inst) in catalog().instruments() {
        let d = inst.def();
        let mut low = Responses::new();
        let mut high = Responses::new();
        for item in &d.items {
            let (min, max) = match inst.response_scale(&item.id).unwrap() {
                ResponseScale::Options(o) => (
                    o.iter().map(|o| o.code).min().unwrap(),
                    o.iter().map(|o| o.code).max().unwrap(),
                ),
                ResponseScale::Range(r) => (r.min, r.max),
            };
            let (lo, hi) = if item.reverse_keyed {
                (max, min)
            } else {
                (min, max)
            };
            low.insert(item.id.clone(), Some(lo));
            high.insert(item.id.clone(), Some(hi));
        }
        let (l, h) = (inst.score(&low).unwrap(), inst.score(&high).unwrap());
        assert_eq!([l.total, h.total], d.scoring.range, "{}", d.code);
        assert_eq!(l.bands.len(), d.band_sets.len(), "{}", d.code);
        assert_eq!(h.bands.len(), d.band_sets.len(), "{}", d.code);
        for c in &d.cutoffs {
            for field in [&c.source, &c.population, &c.language, &c.label] {
                assert!(!field.trim().is_empty(), "{} {}", d.code, c.id);
            }
        }
    }
}
