//! `scaleup design power|sample-size` end to end: the spec contract, reference values through
//! the CLI and error messages that name file, line and field.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

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

/// Writes a reference case's JSON spec as TOML with plain `[table]` headers.
fn to_toml(spec: &Value) -> String {
    fn scalar(v: &Value) -> String {
        match v {
            Value::String(s) => format!("{s:?}"),
            Value::Array(a) => format!("[{}]", a.iter().map(scalar).collect::<Vec<_>>().join(", ")),
            other => other.to_string(),
        }
    }
    let mut top = String::new();
    let mut tables = String::new();
    for (k, v) in spec.as_object().unwrap() {
        match v {
            Value::Object(t) => {
                tables.push_str(&format!("\n[{k}]\n"));
                for (tk, tv) in t {
                    tables.push_str(&format!("{tk} = {}\n", scalar(tv)));
                }
            }
            other => top.push_str(&format!("{k} = {}\n", scalar(other))),
        }
    }
    top + &tables
}

fn power_json(dir: &Path, name: &str, toml: &str) -> Value {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, toml).unwrap();
    let (ok, stdout, stderr) = scaleup(&[
        "design",
        "power",
        "--spec",
        path.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(ok, "{name}: {stderr}");
    serde_json::from_str(&stdout).unwrap()
}

#[test]
fn reference_cases_through_the_cli() {
    let doc: Value = serde_json::from_str(include_str!(
        "../../scaleup-stats/tests/reference/power_reference.json"
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let out = power_json(dir.path(), name, &to_toml(&case["spec"]));
        let got = out["power"].as_f64().unwrap();
        let want = case["expected"]["power"].as_f64().unwrap();
        // JSON printing is round-trip exact; the tolerance is the library's (power_reference.rs).
        assert!(
            (got - want).abs() <= 1e-8 * want,
            "{name}: power {got} vs {want}"
        );
    }
}

#[test]
fn default_alpha_and_documented_fields() {
    let dir = tempfile::tempdir().unwrap();
    let out = power_json(
        dir.path(),
        "crt",
        "kind = \"parallel-crt\"\n[outcome]\ntype = \"continuous\"\nmean_difference = 2\nsd = 5\n\
         [clustering]\nicc = 0.05\n[parallel_crt]\nclusters_per_arm = 10\ncluster_size = 20\n",
    );
    assert_eq!(out["alpha"], 0.05);
    assert!((out["design_effect"].as_f64().unwrap() - 1.95).abs() < 1e-12);
    for key in ["power", "se", "n_total", "n_clusters", "icc", "method"] {
        assert!(!out[key].is_null(), "missing {key}");
    }
    assert_eq!(out["n_total"], 400.0);
}

#[test]
fn sample_size_solves_clusters() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ss.toml");
    // No clusters_per_arm: it is what we solve for.
    std::fs::write(
        &path,
        "kind = \"parallel-crt\"\n[outcome]\ntype = \"continuous\"\nmean_difference = 2\nsd = 5\n\
         [clustering]\nicc = 0.05\n[parallel_crt]\ncluster_size = 20\n",
    )
    .unwrap();
    let p = path.to_str().unwrap();
    let (ok, stdout, stderr) = scaleup(&[
        "design",
        "sample-size",
        "--spec",
        p,
        "--solve",
        "clusters",
        "--target-power",
        "0.8",
        "--format",
        "json",
    ]);
    assert!(ok, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    // n_ind = 2(1.95996 + 0.84162)²·25/4 = 98.12 per arm; × DE 1.95 / 20 = 9.57 → 10 clusters.
    assert_eq!(v["value"], 10.0);
    assert!(v["power"].as_f64().unwrap() >= 0.8);
    // Solving for cluster size needs the number of clusters.
    let (ok, _, stderr) = scaleup(&[
        "design",
        "sample-size",
        "--spec",
        p,
        "--solve",
        "cluster-size",
        "--format",
        "json",
    ]);
    assert!(!ok);
    assert!(stderr.contains("parallel_crt.clusters_per_arm"), "{stderr}");
}

#[test]
fn errors_name_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    let p = path.to_str().unwrap();
    let base = "kind = \"stepped-wedge\"\n[outcome]\ntype = \"binary\"\np0 = 0.05\np1 = 0.035\n\
                [clustering]\ntau = 0.01\n[stepped_wedge]\nsequences = [[0, 1, 1], [0, 0, 1]]\n\
                clusters_per_sequence = 6\ncluster_period_size = 120\n";
    let check = |text: &str, needles: &[&str]| {
        std::fs::write(&path, text).unwrap();
        let (ok, _, stderr) = scaleup(&["design", "power", "--spec", p, "--format", "json"]);
        assert!(!ok);
        for n in needles {
            assert!(stderr.contains(n), "expected {n:?} in {stderr}");
        }
        assert!(!stderr.contains("panicked"), "{stderr}");
    };
    check(
        &base.replace("p0 = 0.05", "p0 = 1.5"),
        &["bad.toml", "line 4", "outcome.p0"],
    );
    check(
        &base.replace("p0 = 0.05", "p0 = \"high\""),
        &["bad.toml", "line 4"],
    );
    check(
        &base.replace("tau = 0.01", "tua = 0.01"),
        &["bad.toml", "line 7", "tua"],
    );
    check(
        &base.replace("[0, 0, 1]]", "[0, 1]]"),
        &["line 9", "stepped_wedge.sequences", "sequence 2"],
    );
    check(
        &base.replace("cluster_period_size = 120", "cluster_period_size = 0"),
        &["line 11", "cluster_period_size"],
    );
    check(
        &base.replace("[0, 0, 1]]", "[0, 1, 1]]"),
        &["stepped_wedge.sequences", "not identified"],
    );
    check(
        &base.replace("tau = 0.01", "icc = 0.05\ntau = 0.01"),
        &["line 6", "either tau or icc"],
    );
    check(
        &base.replace("\"stepped-wedge\"", "\"crossover\""),
        &["line 1", "kind"],
    );
    check("kind = [", &["bad.toml", "line 1"]);
}
