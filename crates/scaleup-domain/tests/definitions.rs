//! Definition files: the built-ins load, and malformed hub files are rejected with
//! `file:line: field: message`.

use scaleup_domain::catalog::{BUILTIN_FILES, Catalog, DefinitionKind, Origin};
use scaleup_domain::instrument::{LicenceStatus, Responses};

#[test]
fn every_builtin_file_is_valid() {
    let mut cat = Catalog::new();
    let mut errors = Vec::new();
    for (name, text) in BUILTIN_FILES {
        if let Err(e) = cat.add_file(name, text) {
            errors.push(e.to_string());
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn builtin_catalogue_contents() {
    let cat = Catalog::builtin();
    let codes: Vec<&str> = cat.instruments().map(|(_, i)| i.code()).collect();
    for code in [
        "phq9",
        "phq2",
        "gad7",
        "phqa",
        "srq20",
        "epds",
        "pcl5",
        "audit",
        "auditc",
        "whodas12",
        "k10",
        "k6",
        "ssq14",
        "psychlops",
        "aim",
        "iam",
        "fim",
    ] {
        assert!(codes.contains(&code), "missing {code}");
    }
    let protocols: Vec<&str> = cat.protocols().map(|(_, p)| p.code()).collect();
    assert_eq!(
        protocols,
        [
            "pm_plus_individual",
            "pm_plus_group",
            "hap",
            "friendship_bench",
            "ipt_group",
            "cpt_group",
            "thp"
        ]
    );
    assert!(cat.competency_framework("enact_equip").is_some());
}

/// Licence rule: texts ship only for open or attribution-only instruments, and every
/// definition cites at least one source.
#[test]
fn builtin_item_texts_respect_licences() {
    let cat = Catalog::builtin();
    for (_, inst) in cat.instruments() {
        let d = inst.def();
        assert!(!d.citations.is_empty(), "{} cites nothing", d.code);
        if !d.licence.status.allows_item_text() {
            assert!(
                d.items.iter().all(|i| i.text.is_none()),
                "{} ships item text under {:?}",
                d.code,
                d.licence.status
            );
        }
    }
    for code in ["epds", "whodas12", "srq20", "ssq14", "psychlops", "phqa"] {
        let d = cat.instrument(code).unwrap().def();
        assert!(matches!(
            d.licence.status,
            LicenceStatus::PermissionRequired | LicenceStatus::Unknown
        ));
    }
}

/// A small valid hub instrument; the malformed cases below each change one thing.
const GOOD: &str = r#"kind = "instrument"
code = "my_scale"
version = "1"
name = "My scale"
recall_window = "past week"

[licence]
status = "open"
text = "Written by the hub."
source = "Hub"

[[citations]]
text = "Hub internal validation report, 2025."

[response_sets.yn]
options = [
  { code = 0, label = "No" },
  { code = 1, label = "Yes" },
]

[[items]]
id = "1"
text = "First"
response_set = "yn"

[[items]]
id = "2"
text = "Second"
response_set = "yn"

[[items]]
id = "3"
text = "Third"
options = [
  { code = 0, label = "No" },
  { code = 1, label = "Yes" },
]

[[items]]
id = "4"
text = "Fourth"
options = [
  { code = 0, label = "Never" },
  { code = 1, label = "Sometimes" },
  { code = 2, label = "Often" },
]

[scoring]
method = "prorated_sum"
max_missing = 1
range = [0, 5]

[[band_sets]]
id = "hub"
label = "Hub bands"
source = "Hub"
bands = [
  { id = "low", label = "Low", min = 0, max = 2 },
  { id = "high", label = "High", min = 3, max = 5 },
]

[[risk_rules]]
id = "item4_often"
when = { item = "4", comparison = ">=", threshold = 2 }
escalation = "routine"
message = "Review at supervision."
source = "Hub protocol"
"#;

fn add(text: &str) -> Result<String, String> {
    let mut cat = Catalog::builtin();
    cat.add_file("my_scale.toml", text)
        .map(|a| format!("{:?} {} {}", a.kind, a.code, a.version))
        .map_err(|e| e.to_string())
}

/// Applies `replace(from, to)` to GOOD and checks the error's first problem.
fn check_bad(from: &str, to: &str, expect: &str) {
    assert!(GOOD.contains(from), "fixture lacks {from:?}");
    let text = GOOD.replacen(from, to, 1);
    let first = add(&text).map_err(|e| e.lines().next().unwrap_or_default().to_string());
    assert_eq!(first, Err(expect.to_string()), "replacing {from:?}");
}

/// A file shows every problem of the first stage that has any, each at its line: the header,
/// the response sets, each item, and (once they are sound) scoring, bands, cut-offs and rules.
/// A stage with problems stops there, so nothing is reported that only follows from them.
#[test]
fn every_problem_of_a_stage_is_reported_at_its_line() {
    let problems = |text: &str| -> Vec<(Option<usize>, String)> {
        let mut cat = Catalog::builtin();
        let e = cat.add_file("my_scale.toml", text).expect_err("refused");
        e.problems().map(|p| (p.line, p.field.clone())).collect()
    };
    let line =
        |text: &str, needle: &str| text.lines().position(|l| l.contains(needle)).map(|i| i + 1);
    // Two header problems and two item problems: only the header's (stage 1) are shown.
    let text = GOOD
        .replacen("name = \"My scale\"", "name = \" \"", 1)
        .replacen("recall_window = \"past week\"", "recall_window = \"\"", 1);
    assert!(text != GOOD);
    let got = problems(&text);
    assert_eq!(
        got.iter().map(|(_, f)| f.as_str()).collect::<Vec<_>>(),
        ["name", "recall_window"],
        "{got:?}"
    );
    assert_eq!(got[0].0, line(&text, "name = \" \""));

    // Three items wrong in different ways: all three, in order, each at its own line.
    let text = GOOD
        .replacen("id = \"1\"", "id = \"1\"\nrange = { min = 0, max = 3 }", 1)
        .replacen(
            "text = \"Third\"\noptions = [\n  { code = 0, label = \"No\" },\n  { code = 1,",
            "text = \"Third\"\noptions = [\n  { code = 0, label = \"No\" },\n  { code = 0,",
            1,
        )
        .replacen(
            "text = \"Fourth\"",
            "text = \"Fourth\"\nrange = { min = 0, max = 3 }",
            1,
        );
    let got = problems(&text);
    assert_eq!(
        got.iter().map(|(_, f)| f.as_str()).collect::<Vec<_>>(),
        ["items[0]", "items[2].options", "items[3]"],
        "{got:?}"
    );
    assert!(got.iter().all(|(l, _)| l.is_some()), "{got:?}");
    assert!(got[0].0 < got[1].0 && got[1].0 < got[2].0, "{got:?}");

    // Sound items, then overlapping bands and a rule on an unknown item: both (stage 4).
    let text = GOOD
        .replacen("min = 3, max = 5", "min = 1, max = 5", 1)
        .replacen("when = { item = \"4\"", "when = { item = \"44\"", 1);
    let got = problems(&text);
    let fields: Vec<&str> = got.iter().map(|(_, f)| f.as_str()).collect();
    assert_eq!(
        fields,
        ["band_sets[0].bands[1].min", "risk_rules[0].when.item"],
        "{got:?}"
    );
}

#[test]
fn good_hub_instrument_loads_and_prorates() {
    assert_eq!(add(GOOD), Ok("Instrument my_scale 1".to_string()));
    let mut cat = Catalog::builtin();
    cat.add_file("my_scale.toml", GOOD).unwrap();
    let inst = cat.instrument("my_scale").unwrap();
    assert_eq!(
        cat.instruments().last().unwrap().0,
        &Origin::Hub("my_scale.toml".into())
    );
    // Items 1-3 answered (sum 2), item 4 missing: prorated 2 * 4/3 = 2.67.
    let s = inst
        .score(&Responses::parse_pairs("1=1,2=1,3=0").unwrap())
        .unwrap();
    assert!((s.total - 8.0 / 3.0).abs() < 1e-12);
    assert!(s.prorated);
    assert_eq!(s.unanswered_risk_items, vec!["4".to_string()]);
    // 2.67 lies between the "low" band's max (2) and the "high" band's min (3): it is low.
    assert_eq!(s.band.unwrap().band, "low");
}

#[test]
fn duplicate_option_codes() {
    check_bad(
        "{ code = 2, label = \"Often\" }",
        "{ code = 1, label = \"Often\" }",
        "my_scale.toml:42: items[3].options: codes must be unique",
    );
}

#[test]
fn toml_syntax_error() {
    check_bad(
        "name = \"My scale\"",
        "name = \"My scale",
        "my_scale.toml:4: invalid basic string, expected `\"`",
    );
}

#[test]
fn missing_and_unknown_fields() {
    check_bad(
        "version = \"1\"\n",
        "",
        "my_scale.toml:1: missing field `version`",
    );
    check_bad(
        "text = \"Third\"",
        "text = \"Third\"\nreverse_keyd = true",
        "my_scale.toml:34: items[2].reverse_keyd: unknown field `reverse_keyd`, expected one of `id`, `text`, `label`, `response_set`, `options`, `range`, `reverse_keyed`, `scored`",
    );
    check_bad(
        "source = \"Hub\"\n",
        "",
        "my_scale.toml:7: licence: missing field `source`",
    );
}

#[test]
fn wrong_type() {
    check_bad(
        "max_missing = 1",
        "max_missing = \"one\"",
        "my_scale.toml:50: scoring.max_missing: invalid type: string \"one\", expected u32",
    );
}

#[test]
fn semantic_errors_name_the_field() {
    check_bad(
        "when = { item = \"4\"",
        "when = { item = \"40\"",
        "my_scale.toml:64: risk_rules[0].when.item: names an unknown item id",
    );
    check_bad(
        "range = [0, 5]",
        "range = [0, 6]",
        "my_scale.toml:51: scoring.range: does not match the items (computed 0..5)",
    );
    check_bad(
        "method = \"prorated_sum\"",
        "method = \"sum\"",
        "my_scale.toml:50: scoring.max_missing: must be 0 for method sum; use prorated_sum or mean to allow missing items",
    );
    check_bad(
        "min = 3, max = 5",
        "min = 2, max = 5",
        "my_scale.toml:59: band_sets[0].bands[1].min: bands must be ascending without gaps or overlaps",
    );
    check_bad(
        "response_set = \"yn\"",
        "response_set = \"yesno\"",
        "my_scale.toml:24: items[0].response_set: names no entry of response_sets",
    );
    check_bad(
        "id = \"2\"",
        "id = \"1\"",
        "my_scale.toml:27: items[1].id: must be unique",
    );
    check_bad(
        "status = \"open\"",
        "status = \"permission_required\"",
        "my_scale.toml:23: items[0].text: item text is not allowed under this licence status without licence.permission_note",
    );
    check_bad(
        "code = \"my_scale\"",
        "code = \"My Scale\"",
        "my_scale.toml:2: code: must be non-empty lower-case letters, digits or underscores",
    );
}

#[test]
fn permission_note_allows_hub_texts() {
    let text = GOOD.replacen(
        "status = \"open\"",
        "status = \"permission_required\"\npermission_note = \"Written permission from the publisher, 2025\"",
        1,
    );
    assert!(add(&text).is_ok());
}

#[test]
fn kind_is_required_and_checked() {
    assert_eq!(
        add(&GOOD.replacen("kind = \"instrument\"\n", "", 1)),
        Err("my_scale.toml:1: kind: missing top-level key (kind = \"instrument\", \"protocol\", \"competency_framework\" or \"item_texts\")".into())
    );
    assert_eq!(
        add(&GOOD.replacen("kind = \"instrument\"", "kind = \"scale\"", 1)),
        Err("my_scale.toml:1: kind: must be \"instrument\", \"protocol\", \"competency_framework\" or \"item_texts\"".into())
    );
}

#[test]
fn same_code_and_version_as_builtin_is_rejected() {
    let phq9 = BUILTIN_FILES
        .iter()
        .find(|(n, _)| n.ends_with("phq9.toml"))
        .unwrap()
        .1;
    let mut cat = Catalog::builtin();
    let err = cat.add_file("phq9_hub.toml", phq9).unwrap_err().to_string();
    // The line of the file's `version` key (the header comment above it may grow).
    let line = phq9
        .lines()
        .position(|l| l.starts_with("version = "))
        .unwrap()
        + 1;
    assert_eq!(
        err,
        format!(
            "phq9_hub.toml:{line}: version: phq9 version 1 is already in the catalogue; use a new version"
        )
    );
    // A new version replaces the built-in for lookups by code; the old one stays for recompute.
    let v2 = phq9.replacen("version = \"1\"", "version = \"2-hub\"", 1);
    cat.add_file("phq9_hub.toml", &v2).unwrap();
    assert_eq!(cat.instrument("phq9").unwrap().version(), "2-hub");
    assert!(cat.instrument_version("phq9", "1").is_some());
}

const PROTOCOL: &str = r#"kind = "protocol"
code = "hub_pst"
version = "1"
name = "Hub problem solving"
delivery = ["individual"]

[[sources]]
text = "Hub manual 2025."

[sessions]
planned = 4
typical_minutes = 45

[[components]]
code = "problem_solving"
label = "Problem solving"

[[session_plan]]
session = 1
components = ["problem_solving"]

[screening]
instrument = "ssq14"

[eligibility]
all = [{ instrument = "ssq14", cutoff = "zanzibar_ge7" }]

[dose]
minimum_sessions = 3
"#;

fn check_bad_protocol(from: &str, to: &str, expect: &str) {
    assert!(PROTOCOL.contains(from), "fixture lacks {from:?}");
    let mut cat = Catalog::builtin();
    let got = cat
        .add_file("hub_pst.toml", &PROTOCOL.replacen(from, to, 1))
        .map(|a| a.code)
        .map_err(|e| e.to_string());
    assert_eq!(got, Err(expect.to_string()));
}

#[test]
fn hub_protocol_cross_references() {
    let mut cat = Catalog::builtin();
    let added = cat.add_file("hub_pst.toml", PROTOCOL).unwrap();
    assert_eq!(added.kind, DefinitionKind::Protocol);
    check_bad_protocol(
        "cutoff = \"zanzibar_ge7\"",
        "cutoff = \"zanzibar_ge8\"",
        "hub_pst.toml:26: eligibility.all[0].cutoff: names no cut-off of that instrument",
    );
    check_bad_protocol(
        "instrument = \"ssq14\"\n",
        "instrument = \"ssq15\"\n",
        "hub_pst.toml:23: screening.instrument: names an instrument not in the catalogue",
    );
    check_bad_protocol(
        "components = [\"problem_solving\"]",
        "components = [\"problem_solvin\"]",
        "hub_pst.toml:20: session_plan[0].components: names a component not listed in components",
    );
    check_bad_protocol(
        "minimum_sessions = 3",
        "minimum_sessions = 5",
        "hub_pst.toml:29: dose.minimum_sessions: must be between 1 and sessions.planned",
    );
    check_bad_protocol(
        "delivery = [\"individual\"]",
        "delivery = [\"online\"]",
        "hub_pst.toml:5: delivery[0]: unknown variant `online`, expected one of `individual`, `group`, `remote`",
    );
}

/// A hub with permission loads EPDS wording as an overlay; placeholders stand in for the
/// copyrighted text here.
const EPDS_TEXTS: &str = r#"kind = "item_texts"
instrument = "epds"
instrument_version = "1"
language = "en"
source = "Hub licensed copy"
permission_note = "Permission granted to the hub by the copyright holder (reference on file)"

[[items]]
id = "1"
text = "Placeholder wording of item 1"
options = ["Option A", "Option B", "Option C", "Option D"]

[[items]]
id = "10"
text = "Placeholder wording of item 10"
"#;

#[test]
fn item_texts_overlay() {
    let mut cat = Catalog::builtin();
    let added = cat.add_file("epds_en.toml", EPDS_TEXTS).unwrap();
    assert_eq!(added.kind, DefinitionKind::ItemTexts);
    let t = cat.item_texts("epds", "1", "en").unwrap();
    assert_eq!(t.text("10"), Some("Placeholder wording of item 10"));
    assert_eq!(t.option_label("1", 2), Some("Option C"));
    assert_eq!(t.text("2"), None);
    assert!(cat.item_texts("epds", "1", "sn").is_none());
    // The same language twice is rejected.
    let again = cat.add_file("epds_en2.toml", EPDS_TEXTS).unwrap_err();
    assert_eq!(
        again.to_string(),
        "epds_en2.toml:4: language: texts for this instrument version and language are already loaded"
    );

    let bad = |from: &str, to: &str| {
        let mut cat = Catalog::builtin();
        cat.add_file("epds_en.toml", &EPDS_TEXTS.replacen(from, to, 1))
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        bad(
            "permission_note = \"Permission granted to the hub by the copyright holder (reference on file)\"\n",
            ""
        ),
        "epds_en.toml:1: permission_note: required: the instrument's licence does not allow shipping item texts"
    );
    assert_eq!(
        bad("\"Option D\"]", "]"),
        "epds_en.toml:11: items[0].options: needs one label per option of the item"
    );
    assert_eq!(
        bad("id = \"10\"", "id = \"11\""),
        "epds_en.toml:14: items[1].id: names no item of the instrument"
    );
    assert_eq!(
        bad("instrument_version = \"1\"", "instrument_version = \"9\""),
        "epds_en.toml:3: instrument_version: no instrument with this code and version in the catalogue"
    );
}

#[test]
fn stepped_care_needs_a_lower_is_better_instrument() {
    let mut cat = Catalog::builtin();
    let text = PROTOCOL.replacen(
        "[dose]",
        "[stepped_care]\ninstrument = \"aim\"\nby_session = 2\nmin_reduction_points = 1\naction = \"review\"\nsource = \"x\"\n\n[dose]",
        1,
    );
    assert_eq!(
        cat.add_file("hub_pst.toml", &text).unwrap_err().to_string(),
        "hub_pst.toml:29: stepped_care.instrument: higher scores are better on this instrument; the rule measures a reduction"
    );
}

/// The built-in PHQ-9 working translations load, cover every item with its option labels, and
/// say in their source that they are not the validated translations.
#[test]
fn builtin_phq9_translations_are_complete_and_labelled() {
    let cat = Catalog::builtin();
    let phq9 = cat.instrument_version("phq9", "1").unwrap();
    for lang in ["fr", "pt", "es", "sw", "hi"] {
        let t = cat
            .item_texts("phq9", "1", lang)
            .unwrap_or_else(|| panic!("no PHQ-9 texts in {lang}"));
        let origin = cat
            .all_item_texts()
            .find(|(_, u)| u.instrument() == "phq9" && u.language() == lang)
            .map(|(o, _)| o.clone());
        assert_eq!(origin, Some(Origin::Builtin), "{lang}");
        assert!(t.def().instructions.is_some(), "{lang}: instructions");
        assert!(
            t.def()
                .source
                .contains("not the validated Pfizer translation")
                && t.def().source.contains("phqscreeners.com"),
            "{lang}: source must say it is a working translation"
        );
        assert_eq!(t.def().items.len(), phq9.def().items.len(), "{lang}");
        for item in &phq9.def().items {
            let text = t
                .text(&item.id)
                .unwrap_or_else(|| panic!("{lang} item {}", item.id));
            assert!(!text.trim().is_empty());
            for i in 0..4 {
                assert!(
                    t.option_label(&item.id, i).is_some(),
                    "{lang} item {} option {i}",
                    item.id
                );
            }
        }
    }
}

/// A hub's texts replace the built-in working translation for the same instrument version and
/// language (the official wording needs no new instrument version); a second hub file is an
/// error.
#[test]
fn hub_item_texts_replace_builtin_ones() {
    let official = r#"kind = "item_texts"
instrument = "phq9"
instrument_version = "1"
language = "sw"
source = "Official translation (placeholder for the test)"

[[items]]
id = "1"
text = "Placeholder wording of item 1"
"#;
    let mut cat = Catalog::builtin();
    cat.add_file("phq9_sw.toml", official).unwrap();
    let t = cat.item_texts("phq9", "1", "sw").unwrap();
    assert_eq!(t.text("1"), Some("Placeholder wording of item 1"));
    assert_eq!(
        t.text("9"),
        None,
        "the built-in file is replaced, not merged"
    );
    assert_eq!(
        cat.all_item_texts()
            .filter(|(_, u)| u.instrument() == "phq9" && u.language() == "sw")
            .count(),
        1
    );
    let again = cat.add_file("phq9_sw2.toml", official).unwrap_err();
    assert_eq!(
        again.to_string(),
        "phq9_sw2.toml:4: language: texts for this instrument version and language are already loaded"
    );
}

/// Numbers a hub file could use to crash or silently corrupt scoring are refused with the
/// field: codes or offsets near the `i32` limits overflowed in reverse keying and coding
/// offsets (a panic in debug builds, a wrapped score in release builds), a huge range was
/// allocated code by code, and a NaN band edge passed every band check.
#[test]
fn hostile_numbers_are_rejected_with_the_field() {
    check_bad(
        "{ code = 2, label = \"Often\" }",
        "{ code = 2147483647, label = \"Often\" }",
        "my_scale.toml:45: items[3].options[2].code: must be between -1000000 and 1000000",
    );
    let options = "options = [\n  { code = 0, label = \"Never\" },\n  { code = 1, label = \"Sometimes\" },\n  { code = 2, label = \"Often\" },\n]";
    check_bad(
        options,
        "range = { min = 0, max = 2000000000 }",
        "my_scale.toml:42: items[3].range.max: must be between -1000000 and 1000000",
    );
    check_bad(
        options,
        "range = { min = 0, max = 1001 }",
        "my_scale.toml:42: items[3].range: may span at most 1001 codes",
    );
    check_bad(
        "range = [0, 5]",
        "range = [6442450941, 6442450946]\n\n[[scoring.codings]]\nid = \"big\"\nitem_offset = 2147483647\ndefault = true",
        "my_scale.toml:55: scoring.codings[0].item_offset: must be between -1000000 and 1000000",
    );
    check_bad(
        "{ id = \"low\", label = \"Low\", min = 0, max = 2 }",
        "{ id = \"low\", label = \"Low\", min = nan, max = 2 }",
        "my_scale.toml:58: band_sets[0].bands[0]: min and max must be finite numbers",
    );
    check_bad(
        "range = [0, 5]",
        "range = [nan, 5]",
        "my_scale.toml:51: scoring.range: must be finite numbers",
    );
    // At the bounds, reverse keying and offsets are exact.
    let text = GOOD
        .replacen(
            options,
            "range = { min = 999000, max = 1000000 }\nreverse_keyed = true",
            1,
        )
        .replacen("range = [0, 5]", "range = [999000, 1000003]", 1)
        .replacen("max_missing = 1", "max_missing = 0", 1)
        .replacen("method = \"prorated_sum\"", "method = \"sum\"", 1);
    let text = text.split("[[band_sets]]").next().unwrap().to_string();
    let mut cat = Catalog::new();
    cat.add_file("my_scale.toml", &text).unwrap();
    let s = cat
        .instrument("my_scale")
        .unwrap()
        .score(&Responses::parse_pairs("1=1,2=1,3=1,4=999000").unwrap())
        .unwrap();
    assert_eq!(s.total, 1_000_003.0);
}
