//! CLI tests for `scaleup econ`: run the built binary on files in a temporary directory and
//! check the JSON contracts documented in issue 3.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn scaleup(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_scaleup"))
        .args(args)
        .output()
        .expect("run scaleup");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json_ok(args: &[&str]) -> Value {
    let (ok, out, err) = scaleup(args);
    assert!(ok, "scaleup {args:?} failed: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn icers_herc_example_json_contract() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "s.csv",
        "strategy,cost,effect\nE,55000,5\nD,35000,4\nC,25000,3\nB,10000,2\nA,12000,1.5\nUC,5000,1\n",
    );
    let v = json_ok(&["econ", "icers", "--input", &f, "--format", "json"]);
    let s = v["strategies"].as_array().unwrap();
    let want = [
        ("UC", "ND", None),
        ("B", "ND", Some(5000.0)),
        ("D", "ND", Some(12500.0)),
        ("E", "ND", Some(20000.0)),
        ("C", "ED", None),
        ("A", "D", None),
    ];
    assert_eq!(s.len(), want.len());
    for (g, w) in s.iter().zip(want.iter()) {
        assert_eq!(g["strategy"].as_str(), Some(w.0));
        assert_eq!(g["status"].as_str(), Some(w.1));
        assert_eq!(g["icer"].as_f64(), w.2, "icer of {}", w.0);
        if w.2.is_none() {
            assert!(g["icer"].is_null());
        }
    }
    assert_eq!(s[0]["cost"].as_f64(), Some(5000.0));
    assert_eq!(s[0]["effect"].as_f64(), Some(1.0));

    let v = json_ok(&[
        "econ", "icers", "--input", &f, "--wtp", "10000", "--format", "json",
    ]);
    assert_eq!(v["strategies"][0]["nmb"].as_f64(), Some(5000.0));
    let (ok, out, _) = scaleup(&["econ", "icers", "--input", &f]);
    assert!(ok && out.contains("UC") && out.contains("ED"));
}

#[test]
fn icers_bad_input_names_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "bad.csv",
        "strategy,cost,effect\na,1,2\nb,x,3\n",
    );
    let (ok, _, err) = scaleup(&["econ", "icers", "--input", &f, "--format", "json"]);
    assert!(!ok);
    assert!(err.contains("line 3") && err.contains("'cost'"), "{err}");
    let f = write(dir.path(), "nocol.csv", "strategy,cost\na,1\n");
    let (ok, _, err) = scaleup(&["econ", "icers", "--input", &f]);
    assert!(!ok && err.contains("missing column 'effect'"), "{err}");
}

fn hiv_model() -> String {
    format!(
        "{}/../scaleup-econ/tests/reference/dmhee_hiv.toml",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// DMHEE HIV model: totals published with heemod's exact reproduction (see the fixture).
#[test]
fn markov_dmhee_json_contract() {
    let v = json_ok(&[
        "econ",
        "markov",
        "--model",
        &hiv_model(),
        "--format",
        "json",
    ]);
    let s = &v["strategies"];
    assert_eq!(s[0]["name"], "mono");
    assert!((s[0]["cost"].as_f64().unwrap() - 44663.4535637).abs() < 1e-3);
    assert!((s[1]["effect"].as_f64().unwrap() - 8.9373889).abs() < 1e-6);
    let icers = v["icers"].as_array().unwrap();
    assert_eq!(icers[0]["strategy"], "mono");
    assert!(icers[0]["icer"].is_null());
    assert_eq!(icers[1]["status"], "ND");
    assert!((icers[1]["icer"].as_f64().unwrap() - 6275.95560).abs() < 1e-3);
}

#[test]
fn markov_bad_model_names_file_and_row() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(hiv_model()).unwrap().replace(
        "[0, 0, 0, 1],\n]\nstate_costs = [\"2756 + cost_zido\", \"3052",
        "[0, 0, 0.5, 1],\n]\nstate_costs = [\"2756 + cost_zido\", \"3052",
    );
    let f = write(dir.path(), "bad.toml", &text);
    let (ok, _, err) = scaleup(&["econ", "markov", "--model", &f, "--format", "json"]);
    assert!(!ok);
    assert!(
        err.contains("bad.toml")
            && err.contains("strategy 'mono', phase 1, transitions row 4 ('D')"),
        "{err}"
    );
    let f = write(dir.path(), "broken.toml", "states = [\"a\"\n");
    let (ok, _, err) = scaleup(&["econ", "markov", "--model", &f]);
    assert!(
        !ok && err.contains("broken.toml") && err.contains("line"),
        "{err}"
    );
}

/// Hand example (see scaleup-econ voi tests): NMB A = (1, 2, 3), B = (3, 0, 4) at wtp 1;
/// EVPI = 3 − 7/3 = 2/3. Population 1000/year for 2 years at 5 %.
#[test]
fn evpi_hand_example_json_contract() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "psa.csv",
        "draw,strategy,cost,effect\n1,A,0,1\n1,B,0,3\n2,B,0,0\n2,A,0,2\n3,A,0,3\n3,B,0,4\n",
    );
    let v = json_ok(&[
        "econ", "evpi", "--psa", &f, "--wtp", "1", "--format", "json",
    ]);
    assert!((v["evpi"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(v["optimal"], "B");
    assert!(v["population_evpi"].is_null());
    let v = json_ok(&[
        "econ",
        "evpi",
        "--psa",
        &f,
        "--wtp",
        "1",
        "--population",
        "1000",
        "--years",
        "2",
        "--discount",
        "0.05",
        "--format",
        "json",
    ]);
    let want = 2.0 / 3.0 * (1000.0 / 1.05 + 1000.0 / 1.1025);
    assert!((v["population_evpi"].as_f64().unwrap() - want).abs() < 1e-9);

    let f = write(
        dir.path(),
        "gap.csv",
        "draw,strategy,cost,effect\n1,A,0,1\n1,B,0,3\n2,A,0,2\n",
    );
    let (ok, _, err) = scaleup(&["econ", "evpi", "--psa", &f, "--wtp", "1"]);
    assert!(
        !ok && err.contains("draw '2' has no row for strategy 'B'"),
        "{err}"
    );
}

fn hiv_psa_model() -> String {
    format!(
        "{}/../scaleup-econ/tests/reference/dmhee_hiv_psa.toml",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// PSA output shape, determinism across thread counts, charts, and consistency with
/// `econ evpi` run on the draws file the PSA wrote.
#[test]
fn psa_json_contract_draws_file_and_evpi_agree() {
    let dir = tempfile::tempdir().unwrap();
    let draws = dir.path().join("draws.csv");
    let svg = dir.path().join("svg");
    let model = hiv_psa_model();
    let base = [
        "econ",
        "psa",
        "--model",
        &model,
        "--draws",
        "3000",
        "--seed",
        "42",
        "--wtp",
        "0,5000,10000",
        "--chunk-size",
        "500",
        "--format",
        "json",
    ];
    let mut a1 = base.to_vec();
    a1.extend(["--threads", "1", "--out", draws.to_str().unwrap()]);
    a1.extend(["--svg-dir", svg.to_str().unwrap()]);
    let v1 = json_ok(&a1);
    let mut a2 = base.to_vec();
    a2.extend(["--threads", "2"]);
    let v2 = json_ok(&a2);
    assert_eq!(v1["strategies"], v2["strategies"]);
    assert_eq!(v1["by_wtp"], v2["by_wtp"]);
    assert_eq!(v1["draws"], 3000);
    let s = v1["strategies"].as_array().unwrap();
    assert_eq!(s[0]["name"], "mono");
    // PSA means sit near the deterministic base case (MC and non-linearity tolerance).
    assert!((s[0]["mean_cost"].as_f64().unwrap() - 44663.45).abs() < 500.0);
    let by = v1["by_wtp"].as_array().unwrap();
    assert_eq!(by.len(), 3);
    assert_eq!(by[0]["optimal"], "mono");
    let p: f64 = by[2]["ceac"]
        .as_object()
        .unwrap()
        .values()
        .map(|x| x.as_f64().unwrap())
        .sum();
    assert!((p - 1.0).abs() < 1e-12);
    assert!(svg.join("ce_plane.svg").exists() && svg.join("ceac.svg").exists());

    let text = std::fs::read_to_string(&draws).unwrap();
    assert_eq!(text.lines().count(), 1 + 2 * 3000);
    assert!(text.starts_with("draw,strategy,cost,effect,from_A[1]"));
    let e = json_ok(&[
        "econ",
        "evpi",
        "--psa",
        draws.to_str().unwrap(),
        "--wtp",
        "10000",
        "--format",
        "json",
    ]);
    let from_psa = by[2]["evpi"].as_f64().unwrap();
    assert!((e["evpi"].as_f64().unwrap() - from_psa).abs() < 1e-6 * (1.0 + from_psa));
    assert_eq!(e["n_draws"], 3000);

    // Partial EVPI of the treatment effect and of a drug cost, from the same draws: each is
    // at most the EVPI of everything; 54 blocks is the square root of 3,000 draws.
    let p = json_ok(&[
        "econ",
        "evpi",
        "--psa",
        draws.to_str().unwrap(),
        "--wtp",
        "10000",
        "--evppi",
        "rr,cost_C",
        "--format",
        "json",
    ]);
    let evpi = p["evpi"].as_f64().unwrap();
    let parts = p["evppi"].as_array().unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0]["parameter"], "rr");
    assert_eq!(parts[0]["groups"], 54);
    for part in parts {
        let v = part["evppi"].as_f64().unwrap();
        assert!((0.0..=evpi).contains(&v), "{part} vs EVPI {evpi}");
    }
    let (ok, _, err) = scaleup(&[
        "econ",
        "evpi",
        "--psa",
        draws.to_str().unwrap(),
        "--wtp",
        "1",
        "--evppi",
        "nope",
    ]);
    assert!(
        !ok && err.contains("draws.csv") && err.contains("'nope'"),
        "{err}"
    );
    // A parameter that differs between the rows of one draw is named with its line.
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut cells: Vec<String> = lines[2].split(',').map(String::from).collect();
    let col = lines[0].split(',').position(|h| h == "rr").unwrap();
    cells[col] = "0.123456".into();
    lines[2] = cells.join(",");
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let (ok, _, err) = scaleup(&[
        "econ",
        "evpi",
        "--psa",
        bad.to_str().unwrap(),
        "--wtp",
        "1",
        "--evppi",
        "rr",
    ]);
    assert!(
        !ok && err.contains("line 3") && err.contains("'rr'"),
        "{err}"
    );
}

#[test]
fn owsa_tornado_json_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("tornado.svg");
    let model = hiv_psa_model();
    let v = json_ok(&[
        "econ",
        "owsa",
        "--model",
        &model,
        "--wtp",
        "10000",
        "--svg",
        svg.to_str().unwrap(),
        "--format",
        "json",
    ]);
    // Base case is the deterministic DMHEE model: INMB = 10000·ΔLY − ΔC.
    let want = 10000.0 * (8.9373889 - 7.9912066) - (50601.6513312 - 44663.4535637);
    assert!((v["base"]["outcome"].as_f64().unwrap() - want).abs() < 1e-2);
    let p = v["parameters"].as_array().unwrap();
    assert_eq!(p.len(), 4);
    let swings: Vec<f64> = p.iter().map(|r| r["swing"].as_f64().unwrap()).collect();
    assert!(swings.windows(2).all(|w| w[0] >= w[1]));
    // The relative risk drives the incremental benefit most (it is 2 cycles of lower
    // progression against per-cycle cost differences of the other parameters).
    assert_eq!(p[0]["parameter"], "rr");
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));

    let v = json_ok(&[
        "econ",
        "owsa",
        "--model",
        &model,
        "--wtp",
        "10000",
        "--parameter",
        "cost_lami",
        "--low",
        "0",
        "--high",
        "2086.5",
        "--format",
        "json",
    ]);
    let r = &v["parameters"][0];
    assert_eq!(r["parameter"], "cost_lami");
    assert!((r["outcome_high"].as_f64().unwrap() - want).abs() < 1e-2);
    let (ok, _, err) = scaleup(&[
        "econ",
        "owsa",
        "--model",
        &model,
        "--wtp",
        "1",
        "--parameter",
        "from_A",
        "--low",
        "0",
        "--high",
        "1",
    ]);
    assert!(!ok && err.contains("'from_A' is a vector"), "{err}");
}

/// Hardening item 17: progress goes to standard error only when it is a terminal. Here it is a
/// pipe, as in scripts and CI, so standard error holds the warnings and nothing else: no bar,
/// no spinner, no carriage returns.
#[test]
fn issue_17_psa_through_a_pipe_draws_no_progress_bar() {
    let model = hiv_psa_model();
    let (ok, out, err) = scaleup(&[
        "econ", "psa", "--model", &model, "--draws", "20000", "--wtp", "0,20000", "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    assert!(serde_json::from_str::<Value>(&out).is_ok());
    assert!(
        !err.contains('\r') && !err.contains("eta") && !err.contains("draws"),
        "{err:?}"
    );
    for line in err.lines() {
        assert!(
            line.starts_with("warning: "),
            "unexpected stderr line {line:?}"
        );
    }
}

/// Hardening item 15: a model without distributions used to run every draw identically and
/// report EVPI 0 without a word.
#[test]
fn issue_15_psa_of_a_model_without_distributions_is_refused() {
    let model = format!(
        "{}/../scaleup-econ/models/friendship_bench_markov.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let (ok, out, err) = scaleup(&[
        "econ", "psa", "--model", &model, "--draws", "2000000", "--wtp", "0",
    ]);
    assert!(!ok && out.is_empty(), "{out}");
    assert!(
        err.contains("PSA failed")
            && err.contains("no parameter of the model has a distribution that varies"),
        "{err}"
    );
}
