//! CLI tests for `scaleup instruments` and `scaleup protocols`, run against the built binary.

use std::path::Path;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scaleup"))
        .args(args)
        .output()
        .expect("binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert!(o.status.success(), "{args:?} failed: {}", stderr(&o));
    stdout(&o)
}

fn json(args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&ok(args)).expect("valid JSON on stdout")
}

const HUB_SCALE: &str = r#"kind = "instrument"
code = "hub_distress"
version = "1"
name = "Hub distress check"
recall_window = "past week"

[licence]
status = "open"
text = "Written by the hub."
source = "Hub"

[[citations]]
text = "Hub validation report 2025."

[response_sets.yn]
options = [{ code = 0, label = "No" }, { code = 1, label = "Yes" }]

[[items]]
id = "sad"
text = "Felt sad"
response_set = "yn"

[[items]]
id = "harm"
text = "Thought of harming yourself"
response_set = "yn"

[scoring]
method = "sum"
range = [0, 2]

[[cutoffs]]
id = "ge1"
label = "Any"
comparison = ">="
threshold = 1
source = "Hub"
population = "Hub clients"
language = "English"

[[risk_rules]]
id = "harm_yes"
when = { item = "harm", comparison = "==", threshold = 1 }
escalation = "urgent"
message = "Risk item answered yes: inform the supervisor today."
source = "Hub protocol"
"#;

const HUB_PROTOCOL: &str = r#"kind = "protocol"
code = "hub_support"
version = "1"
name = "Hub support sessions"
delivery = ["individual", "remote"]

[[sources]]
text = "Hub manual 2025."

[sessions]
planned = 3
typical_minutes = 30

[screening]
instrument = "hub_distress"

[eligibility]
all = [{ instrument = "hub_distress", cutoff = "ge1" }]

[[eligibility.exclusions]]
id = "harm"
instrument = "hub_distress"
risk_rule = "harm_yes"
action = "refer"

[dose]
minimum_sessions = 2

[risk]
alert_on = [{ instrument = "hub_distress", rule = "harm_yes" }]
acknowledge_within_hours = 12
escalate_to = "hub_manager"
"#;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn help_for_every_subcommand() {
    for args in [
        vec!["instruments", "--help"],
        vec!["instruments", "list", "--help"],
        vec!["instruments", "show", "--help"],
        vec!["instruments", "score", "--help"],
        vec!["instruments", "validate", "--help"],
        vec!["protocols", "--help"],
        vec!["protocols", "list", "--help"],
        vec!["protocols", "show", "--help"],
        vec!["protocols", "validate", "--help"],
    ] {
        ok(&args);
    }
}

#[test]
fn list_shows_every_builtin_instrument() {
    let v = json(&["instruments", "list", "--format", "json"]);
    let codes: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
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
        assert!(codes.contains(&code), "{code}");
    }
    let text = ok(&["instruments", "list"]);
    assert!(text.contains("phq9") && text.contains("permission_required"));
}

#[test]
fn score_phq9_item9_flag_at_low_total() {
    let v = json(&[
        "instruments",
        "score",
        "phq9",
        "--responses",
        "1=1,2=1,3=0,4=0,5=0,6=0,7=0,8=0,9=1",
        "--format",
        "json",
    ]);
    assert_eq!(v["total"], 3.0);
    assert_eq!(v["band"]["band"], "minimal");
    assert_eq!(v["positive"], false);
    assert_eq!(v["risk_flags"][0]["rule"], "item9_positive");
    assert_eq!(v["risk_flags"][0]["escalation"], "urgent");
    let text = ok(&[
        "instruments",
        "score",
        "phq9",
        "--responses",
        "1=1,2=1,3=0,4=0,5=0,6=0,7=0,8=0,9=1",
    ]);
    assert!(text.contains("total 3"), "{text}");
    assert!(text.contains("RISK FLAG item9_positive [urgent]"), "{text}");
}

#[test]
fn score_from_file_with_coding_and_aim_mean() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "whodas.json",
        r#"{"1":2,"2":2,"3":2,"4":2,"5":2,"6":2,"7":1,"8":1,"9":1,"10":1,"11":1,"12":1}"#,
    );
    let v = json(&[
        "instruments",
        "score",
        "whodas12",
        "--responses-file",
        &file,
        "--coding",
        "0-4",
        "--format",
        "json",
    ]);
    assert_eq!(v["total"], 6.0);
    assert_eq!(v["coding"], "0-4");
    assert_eq!(v["totals_by_coding"][0]["total"], 18.0);
    let aim = json(&[
        "instruments",
        "score",
        "aim",
        "--responses",
        "1=4,2=5,3=4,4=5",
        "--format",
        "json",
    ]);
    assert_eq!(aim["total"], 4.5);
}

#[test]
fn score_errors_name_the_item_not_the_value() {
    let o = run(&["instruments", "score", "phq9", "--responses", "1=0,2=7"]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("item 2: code is not one of the item's allowed codes"),
        "{err}"
    );
    assert!(!err.contains('7'), "value echoed: {err}");
    let o = run(&["instruments", "score", "phq9", "--responses", "1=0,zz=1"]);
    assert!(stderr(&o).contains("item zz: not an item of this instrument"));
    // Too many missing: the error is reported, and the raised flag is still printed.
    let o = run(&["instruments", "score", "phq9", "--responses", "1=0,9=2"]);
    assert!(!o.status.success());
    assert!(stdout(&o).contains("RISK FLAG item9_positive"));
    assert!(stderr(&o).contains("too many unanswered items"));
    let o = run(&["instruments", "score", "nope", "--responses", "1=0"]);
    assert!(stderr(&o).contains("no instrument nope"));
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "bad.json", "{\n\"1\": 0,\n\"2\": \"three\"\n}");
    let o = run(&["instruments", "score", "phq9", "--responses-file", &file]);
    let err = stderr(&o);
    assert!(err.contains("bad.json:3:"), "{err}");
    assert!(!err.contains("three"), "{err}");
}

#[test]
fn show_respects_licences() {
    let epds = json(&["instruments", "show", "epds", "--format", "json"]);
    assert_eq!(epds["licence"]["status"], "permission_required");
    assert!(
        epds["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i.get("text").is_none())
    );
    let phq9 = json(&["instruments", "show", "phq9", "--format", "json"]);
    assert_eq!(
        phq9["items"][8]["text"],
        "Thoughts that you would be better off dead or of hurting yourself in some way"
    );
    let text = ok(&["instruments", "show", "ssq14"]);
    assert!(text.contains("fb_rct_ge9 (default): total >= 9"), "{text}");
    assert!(text.contains("Chibanda et al. JAMA 2016"), "{text}");
    assert!(text.contains("item11_positive [urgent]"), "{text}");
    assert!(text.contains("Item texts are not shipped"), "{text}");
}

#[test]
fn hub_definitions_folder_and_validate() {
    let dir = tempfile::tempdir().unwrap();
    // Names chosen so the protocol sorts before the instrument it needs.
    write(dir.path(), "a_protocol.toml", HUB_PROTOCOL);
    write(dir.path(), "b_scale.toml", HUB_SCALE);
    let d = dir.path().display().to_string();
    let list = json(&[
        "instruments",
        "--definitions",
        &d,
        "list",
        "--format",
        "json",
    ]);
    let hub = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "hub_distress")
        .expect("hub instrument listed");
    assert!(hub["origin"].as_str().unwrap().starts_with("hub:"));
    let v = json(&[
        "instruments",
        "score",
        "hub_distress",
        "--definitions",
        &d,
        "--responses",
        "sad=0,harm=1",
        "--format",
        "json",
    ]);
    assert_eq!(v["risk_flags"][0]["rule"], "harm_yes");
    let protocols = json(&["protocols", "--definitions", &d, "list", "--format", "json"]);
    assert!(
        protocols
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["code"] == "hub_support")
    );

    // validate: good files pass (in any order), a bad file is reported with file:line: field.
    let good = ok(&[
        "instruments",
        "validate",
        &dir.path().join("a_protocol.toml").display().to_string(),
        &dir.path().join("b_scale.toml").display().to_string(),
    ]);
    assert!(
        good.contains("b_scale.toml: ok (instrument hub_distress version 1)"),
        "{good}"
    );
    assert!(
        good.contains("a_protocol.toml: ok (protocol hub_support version 1)"),
        "{good}"
    );
    let bad = write(
        dir.path(),
        "bad_scale.toml",
        &HUB_SCALE.replace(
            "options = [{ code = 0, label = \"No\" }, { code = 1, label = \"Yes\" }]",
            "options = [{ code = 0, label = \"No\" }, { code = 0, label = \"Yes\" }]",
        ),
    );
    let o = run(&["instruments", "validate", &bad]);
    assert!(!o.status.success());
    assert!(
        stdout(&o).contains("bad_scale.toml:16: response_sets.yn.options: codes must be unique"),
        "{}",
        stdout(&o)
    );
    assert!(stderr(&o).contains("1 of 1 files are invalid"));
    // A broken hub folder stops every command with the located error.
    let o = run(&[
        "instruments",
        "--definitions",
        &dir.path().display().to_string(),
        "list",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("bad_scale.toml:16:"), "{}", stderr(&o));
}

#[test]
fn protocols_list_show_validate() {
    let v = json(&["protocols", "list", "--format", "json"]);
    let codes: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
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
    let hap = ok(&["protocols", "show", "hap"]);
    assert!(
        hap.contains("Stepped care: phq9 by session 3 needs 50% reduction -> step_up"),
        "{hap}"
    );
    assert!(hap.contains("Eligible if all: phq9 cut-off gt14"), "{hap}");
    let pm = ok(&["protocols", "show", "pm_plus_individual"]);
    assert!(pm.contains("whodas12 total > 16 (coding 1-5)"), "{pm}");
    let shown = json(&["protocols", "show", "cpt_group", "--format", "json"]);
    assert_eq!(shown["session_plan"][0]["modality"], "individual");

    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "bad_protocol.toml",
        &HUB_PROTOCOL.replace("cutoff = \"ge1\"", "cutoff = \"ge2\""),
    );
    let scale = write(dir.path(), "scale.toml", HUB_SCALE);
    let o = run(&["protocols", "validate", &bad, &scale]);
    assert!(!o.status.success());
    let out = stdout(&o);
    assert!(out.contains("scale.toml: ok"), "{out}");
    assert!(
        out.contains(
            "bad_protocol.toml:18: eligibility.all[0].cutoff: names no cut-off of that instrument"
        ),
        "{out}"
    );
    let o = run(&["protocols", "show", "nope"]);
    assert!(stderr(&o).contains("no protocol nope"));
}

#[test]
fn hub_item_texts_for_a_restricted_instrument() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "epds_en.toml",
        r#"kind = "item_texts"
instrument = "epds"
instrument_version = "1"
language = "en"
source = "Hub licensed copy"
permission_note = "Permission on file"

[[items]]
id = "10"
text = "Placeholder wording of item 10"
options = ["A", "B", "C", "D"]
"#,
    );
    let d = dir.path().display().to_string();
    let text = ok(&[
        "instruments",
        "--definitions",
        &d,
        "show",
        "epds",
        "--language",
        "en",
    ]);
    assert!(
        text.contains("10. Placeholder wording of item 10 [reverse-keyed]"),
        "{text}"
    );
    assert!(text.contains("0=A; 1=B; 2=C; 3=D"), "{text}");
    assert!(text.contains("Item texts: language en"), "{text}");
    let v = json(&[
        "instruments",
        "--definitions",
        &d,
        "show",
        "epds",
        "--language",
        "en",
        "--format",
        "json",
    ]);
    assert_eq!(v["items"][9]["text"], "Placeholder wording of item 10");
    // Without the hub file the built-in shows labels only.
    let o = run(&["instruments", "show", "epds", "--language", "en"]);
    assert!(stderr(&o).contains("no item texts for epds version 1 in language en"));
}

#[test]
fn enact_framework_and_threshold_override() {
    let list = json(&["instruments", "list", "--format", "json"]);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "enact_equip" && r["kind"] == "competency_framework")
    );
    let shown = ok(&["instruments", "show", "enact_equip"]);
    assert!(shown.contains(
        "1: Any unhelpful or potentially harmful behaviour observed [supervision safety flag]"
    ));
    assert!(shown.contains("7. Assessment of harm and collaborative response plan"));
    let ratings: Vec<String> = (1..=15)
        .map(|i| format!("{i}={}", if i == 7 { 1 } else { 3 }))
        .collect();
    let a = json(&[
        "instruments",
        "score",
        "enact_equip",
        "--responses",
        &ratings.join(","),
        "--format",
        "json",
    ]);
    assert_eq!(a["safety_flag"], true);
    assert_eq!(a["safety_flag_competencies"][0], "7");
    assert_eq!(a["all_competent"], false);
    let o = run(&["instruments", "score", "enact_equip", "--responses", "1=9"]);
    assert!(stderr(&o).contains("competency 1: level is not one of the framework's levels"));

    let eight = "1=1,2=1,3=1,4=1,5=1,6=1,7=1,8=1,9=0,10=0,11=0,12=0,13=0,14=0";
    let v = json(&[
        "instruments",
        "score",
        "ssq14",
        "--responses",
        eight,
        "--format",
        "json",
    ]);
    assert_eq!(v["positive"], false);
    let v = json(&[
        "instruments",
        "score",
        "ssq14",
        "--responses",
        eight,
        "--threshold",
        "fb_rct_ge9=8",
        "--format",
        "json",
    ]);
    assert_eq!(v["positive"], true);
    assert_eq!(v["cutoffs"][0]["overridden"], true);
    let v = json(&[
        "instruments",
        "score",
        "ssq14",
        "--responses",
        eight,
        "--cutoff",
        "zanzibar_ge7",
        "--format",
        "json",
    ]);
    assert_eq!(v["selected_cutoff"], "zanzibar_ge7");
    assert_eq!(v["positive"], true);
    let o = run(&[
        "instruments",
        "score",
        "ssq14",
        "--responses",
        eight,
        "--threshold",
        "x",
    ]);
    assert!(stderr(&o).contains("--threshold: expected CUTOFF=NUMBER"));
}
