//! The analyses over HTTP: the same JSON as the command line (both call `scaleup_analysis`),
//! numerically checked against lme4 on one dataset, errors that name the line and field, and
//! store-backed costing limited to the caller's hubs and audited.

mod common;

use common::{App, inputs, rec, uuid};
use serde_json::{Value, json};

const SLEEPSTUDY: &str = include_str!("../../scaleup-stats/tests/reference/lmm/sleepstudy.csv");
/// lme4 1.1.31 / lmerTest 3.1.3, produced by scaleup-stats/tests/reference/make_lmm_reference.R.
const SLEEP_REML: &str =
    include_str!("../../scaleup-stats/tests/reference/lmm/sleep_corr_reml.json");

/// A value as a client sees it after the wire: serialised and parsed again (serde_json's
/// default parser may differ from the original in the last bit of a float).
fn wire(v: &Value) -> Value {
    serde_json::from_str(&v.to_string()).unwrap()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-8)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lmm_over_http_matches_lme4_and_the_command_line() {
    let app = App::sqlite().await;
    let researcher = app.token("researcher").await;
    let path = "/api/v1/analyses/lmm?formula=Reaction%20~%20Days%20%2B%20(Days%20%7C%20Subject)&factors=Subject";
    let (status, got) = app
        .call("POST", path, Some(&researcher), Some(json!(SLEEPSTUDY)))
        .await;
    assert_eq!(status, 200, "{got}");
    let want: Value = serde_json::from_str(SLEEP_REML).unwrap();
    assert_eq!(got["method"], "REML");
    assert_eq!(got["n_obs"], 180);
    for (g, w) in got["fixed_effects"]
        .as_array()
        .unwrap()
        .iter()
        .zip(want["fixed_effects"].as_array().unwrap())
    {
        assert_eq!(g["term"], w["term"]);
        for k in ["estimate", "std_error"] {
            let (a, b) = (g[k].as_f64().unwrap(), w[k].as_f64().unwrap());
            assert!(close(a, b, 1e-5), "{k} of {}: {a} vs lme4 {b}", g["term"]);
        }
    }
    let (gc, wc) = (
        &got["random_effects"][0]["covariance"],
        &want["random_effects"][0]["covariance"],
    );
    for i in 0..2 {
        for j in 0..2 {
            let (a, b) = (gc[i][j].as_f64().unwrap(), wc[i][j].as_f64().unwrap());
            assert!(close(a, b, 1e-5), "covariance[{i}][{j}]: {a} vs lme4 {b}");
        }
    }
    for k in ["residual_variance", "log_likelihood"] {
        let (a, b) = (got[k].as_f64().unwrap(), want[k].as_f64().unwrap());
        assert!(close(a, b, 1e-5), "{k}: {a} vs lme4 {b}");
    }

    // Identical to what `scaleup stats lmm --format json` prints (same function, same input).
    let req = scaleup_analysis::models::ModelRequest {
        formula: "Reaction ~ Days + (Days | Subject)".into(),
        factors: vec!["Subject".into()],
        ..Default::default()
    };
    let direct = scaleup_analysis::models::lmm("body", SLEEPSTUDY.as_bytes(), &req).unwrap();
    assert_eq!(got, wire(&direct.json));

    // The text report on request; no HTML page for a model fit.
    let (status, text) = app
        .call(
            "POST",
            &format!("{path}&format=text"),
            Some(&researcher),
            Some(json!(SLEEPSTUDY)),
        )
        .await;
    assert_eq!(status, 200);
    assert!(text.as_str().unwrap().contains("Days"), "{text}");
    let (status, err) = app
        .call(
            "POST",
            &format!("{path}&format=html"),
            Some(&researcher),
            Some(json!(SLEEPSTUDY)),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(err["error"]["field"], "format");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_documents_get_errors_naming_line_and_field() {
    let app = App::sqlite().await;
    let viewer = app.token("viewer").await;
    let call = |path: &'static str, body: String| {
        let (app, viewer) = (&app, viewer.clone());
        async move {
            app.call("POST", path, Some(&viewer), Some(Value::String(body)))
                .await
        }
    };

    // A response cell that is not a number: the line and the column.
    let mut csv = inputs::lmm_csv();
    csv = csv.replacen("\n2.", "\nabc,", 1).replacen("abc,", "abc", 1);
    let (status, err) = call("/api/v1/analyses/lmm?formula=y~x%2B(1%7Cg)", csv).await;
    assert_eq!(status, 422, "{err}");
    let msg = err["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("body") && msg.contains("line 2") && msg.contains("`y`"),
        "{msg}"
    );

    // A formula naming a column the table lacks.
    let (status, err) = call(
        "/api/v1/analyses/lmm?formula=y~dose%2B(1%7Cg)",
        inputs::lmm_csv(),
    )
    .await;
    assert_eq!(status, 422, "{err}");
    assert!(
        err["error"]["message"].as_str().unwrap().contains("dose"),
        "{err}"
    );

    // A design spec with an impossible value: the line of the field.
    let spec = inputs::POWER_TOML.replace("sd = 1.0", "sd = -1.0");
    let (status, err) = call("/api/v1/analyses/power", spec).await;
    assert_eq!(status, 422, "{err}");
    let msg = err["error"]["message"].as_str().unwrap();
    assert!(msg.contains("body: line 5") && msg.contains("sd"), "{msg}");

    // A strategy table with a text cost.
    let (status, err) = call(
        "/api/v1/analyses/icers",
        "strategy,cost,effect\nA,0,0\nB,lots,1\n".into(),
    )
    .await;
    assert_eq!(status, 422, "{err}");
    let msg = err["error"]["message"].as_str().unwrap();
    assert!(msg.contains("line 3") && msg.contains("cost"), "{msg}");

    // Empty body, not UTF-8, unknown query parameter, missing formula.
    let (status, err) = call("/api/v1/analyses/plan", String::new()).await;
    assert_eq!(
        (status.as_u16(), err["error"]["field"].as_str()),
        (400, Some("body"))
    );
    let (status, _) = app
        .raw(
            "POST",
            "/api/v1/analyses/lmm?formula=y~x%2B(1%7Cg)&colour=red",
            Some(&viewer),
            "y,x,g\n",
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = app
        .raw("POST", "/api/v1/analyses/lmm", Some(&viewer), "y,x,g\n")
        .await;
    assert_eq!(status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn design_and_economics_give_the_command_line_json_and_pages() {
    let app = App::sqlite().await;
    let manager = app.token("manager").await;
    let post = |path: String, body: &'static str| {
        let (app, token) = (&app, manager.clone());
        async move {
            app.call("POST", &path, Some(&token), Some(json!(body)))
                .await
        }
    };

    let (status, got) = post("/api/v1/analyses/power".into(), inputs::POWER_TOML).await;
    assert_eq!(status, 200, "{got}");
    let direct = scaleup_analysis::design::power("body", inputs::POWER_TOML).unwrap();
    assert_eq!(got, wire(&direct.json));
    assert!(got["power"].as_f64().unwrap() > 0.5 && got["power"].as_f64().unwrap() < 1.0);

    let (status, got) = post(
        "/api/v1/analyses/sample-size?solve=n_per_arm&target_power=0.9".into(),
        inputs::SAMPLE_SIZE_TOML,
    )
    .await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["solved_for"], "participants per arm");
    assert!(got["power"].as_f64().unwrap() >= 0.9);

    let (status, got) = post("/api/v1/analyses/icers?wtp=3000".into(), inputs::ICERS_CSV).await;
    assert_eq!(status, 200, "{got}");
    let statuses: Vec<&str> = got["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["ND", "ND", "ND"]);
    assert!((got["strategies"][1]["icer"].as_f64().unwrap() - 2400.0).abs() < 1e-9);

    let (status, got) = post("/api/v1/analyses/markov".into(), inputs::MARKOV_TOML).await;
    assert_eq!(status, 200, "{got}");
    let direct = scaleup_analysis::cea::markov("body", inputs::MARKOV_TOML, None).unwrap();
    assert_eq!(got, wire(&direct.json));

    for (route, doc) in [
        ("plan", inputs::PLAN_TOML),
        ("budget-impact", inputs::BIA_TOML),
        ("roi", inputs::ROI_TOML),
    ] {
        let (status, json) = post(format!("/api/v1/analyses/{route}"), doc).await;
        assert_eq!(status, 200, "{route}: {json}");
        assert!(json.is_object(), "{route}");
        let (status, page) = post(format!("/api/v1/analyses/{route}?format=html"), doc).await;
        assert_eq!(status, 200, "{route}");
        let page = page.as_str().unwrap();
        assert!(
            page.contains("<html") && page.contains("<svg"),
            "{route}: an HTML page with charts"
        );
    }
}

/// Sessions in both fixture hubs: one attended 60-minute session each, in 2026.
async fn record_sessions(app: &App) {
    let f = &app.fixture;
    for (user, programme, facility) in [
        ("counsellor", &f.programme_id, &f.facility_id),
        ("zw_counsellor", &f.other_programme_id, &f.other_facility_id),
    ] {
        let token = app.token(user).await;
        let (client, episode) = (uuid(), uuid());
        let records = vec![
            rec(
                "client",
                &client,
                None,
                json!({"programme_id": programme, "facility_id": facility, "registered_on": "2026-02-01", "sex": "male"}),
            ),
            rec(
                "episode",
                &episode,
                None,
                json!({"client_id": client, "programme_id": programme, "enrolled_on": "2026-02-01"}),
            ),
            rec(
                "session",
                &uuid(),
                None,
                json!({"client_id": client, "episode_id": episode, "number": 1, "on": "2026-02-08", "attended": true, "duration_minutes": 60, "modality": "individual", "components": []}),
            ),
        ];
        let (status, body) = app
            .call(
                "POST",
                "/api/v1/sync",
                Some(&token),
                Some(json!({"device_id": "phone", "records": records})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body["acks"]
                .as_array()
                .unwrap()
                .iter()
                .all(|a| a["status"] != "rejected"),
            "{body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn costing_reads_only_the_callers_hubs_and_is_audited() {
    let app = App::sqlite().await;
    record_sessions(&app).await;
    let hubs_costed = |v: &Value| -> Vec<String> {
        let mut h: Vec<String> = v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["hub"].as_str().unwrap().to_string())
            .collect();
        h.sort();
        h
    };
    let viewer = app.token("viewer").await;
    let (status, got) = app
        .call(
            "POST",
            "/api/v1/analyses/costs",
            Some(&viewer),
            Some(json!(inputs::PRICES_TOML)),
        )
        .await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(
        hubs_costed(&got),
        ["ke-pmplus"],
        "a viewer of one hub costs that hub only"
    );
    // 60 counsellor minutes at 2 USD an hour.
    assert!(
        (got["results"][0]["intervention"].as_f64().unwrap() - 2.0).abs() < 1e-9,
        "{got}"
    );

    let admin = app.token("admin").await;
    let (status, got) = app
        .call(
            "POST",
            "/api/v1/analyses/costs?admin_minutes_per_session=30",
            Some(&admin),
            Some(json!(inputs::PRICES_TOML)),
        )
        .await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(hubs_costed(&got), ["ke-pmplus", "zw-fb"]);
    // 60 session + 30 admin minutes at 1.5 USD an hour in Zimbabwe.
    let zw = got["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["hub"] == "zw-fb")
        .unwrap();
    assert!(
        (zw["intervention"].as_f64().unwrap() - 2.25).abs() < 1e-9,
        "{zw}"
    );

    let (status, err) = app
        .call(
            "POST",
            "/api/v1/analyses/costs?response_fraction=3",
            Some(&admin),
            Some(json!(inputs::PRICES_TOML)),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(err["error"]["field"], "response_fraction");

    // Each costing read is in the audit log, attributed to its caller.
    let (_, audit) = app
        .call("GET", "/api/v1/audit?limit=1000", Some(&admin), None)
        .await;
    let exports: Vec<&Value> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "export.activity")
        .collect();
    assert!(exports.len() >= 2, "{audit}");
    assert!(
        exports
            .iter()
            .any(|e| e["actor_id"] == app.fixture.viewer.id),
        "{exports:?}"
    );
}

const RESPIRATORY: &str = include_str!("../../scaleup-stats/tests/reference/gee/respiratory.csv");
/// geepack 1.3.9, produced by scaleup-stats/tests/reference/make_gee_reference.R.
const GEE_REFERENCE: &str =
    include_str!("../../scaleup-stats/tests/reference/gee/gee_reference.json");
const BCG: &str = include_str!("../../scaleup-stats/tests/reference/meta_bcg.csv");
/// metafor 3.8.1, produced by scaleup-stats/tests/reference/make_meta_reference.R.
const META_REFERENCE: &str =
    include_str!("../../scaleup-stats/tests/reference/meta_reference.json");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gee_and_meta_over_http_match_geepack_and_metafor() {
    let app = App::sqlite().await;
    let researcher = app.token("researcher").await;

    // The first binomial exchangeable respiratory fit of the geepack reference.
    let reference: Value = serde_json::from_str(GEE_REFERENCE).unwrap();
    let want = reference["fits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["data"] == "respiratory" && f["family"] == "binomial" && f["corr"] == "exchangeable"
        })
        .expect("a binomial exchangeable respiratory fit in the reference");
    let formula = want["formula"].as_str().unwrap();
    let group = want["group"].as_str().unwrap();
    let path = format!(
        "/api/v1/analyses/gee?family=binomial&corr=exchangeable&group={group}&formula={}",
        formula.replace(' ', "%20").replace('+', "%2B")
    );
    let (status, got) = app
        .call("POST", &path, Some(&researcher), Some(json!(RESPIRATORY)))
        .await;
    assert_eq!(status, 200, "{got}");
    let terms = want["terms"].as_array().unwrap();
    for (k, term) in terms.iter().enumerate() {
        let g = got["coefficients"]
            .as_array()
            .or_else(|| got["fixed_effects"].as_array())
            .unwrap()
            .iter()
            .find(|c| c["term"] == *term)
            .unwrap_or_else(|| panic!("term {term} in {got}"));
        let (a, b) = (
            g["estimate"].as_f64().unwrap(),
            want["estimate"][k].as_f64().unwrap(),
        );
        assert!(close(a, b, 1e-6), "{term}: {a} vs geepack {b}");
        let se = g["robust_se"]
            .as_f64()
            .or_else(|| g["std_error"].as_f64())
            .unwrap();
        let want_se = want["robust_se"][k].as_f64().unwrap();
        assert!(
            close(se, want_se, 1e-6),
            "{term} SE: {se} vs geepack {want_se}"
        );
    }

    // DerSimonian-Laird on the BCG trials, as metafor computes it.
    let reference: Value = serde_json::from_str(META_REFERENCE).unwrap();
    let want = reference["fits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["dataset"] == "bcg" && f["method"] == "DL" && f["test"] == "z")
        .expect("bcg DL in the reference");
    let (status, got) = app
        .call(
            "POST",
            "/api/v1/analyses/meta?estimate=yi&se=sei&label=label&method=dl",
            Some(&researcher),
            Some(json!(BCG)),
        )
        .await;
    assert_eq!(status, 200, "{got}");
    for (ours, theirs) in [
        ("estimate", "estimate"),
        ("se", "se"),
        ("tau2", "tau2"),
        ("q", "QE"),
    ] {
        let (a, b) = (got[ours].as_f64().unwrap(), want[theirs].as_f64().unwrap());
        assert!(close(a, b, 1e-6), "{ours}: {a} vs metafor {b}");
    }
    let (status, page) = app
        .call(
            "POST",
            "/api/v1/analyses/meta?estimate=yi&se=sei&label=label&format=html",
            Some(&researcher),
            Some(json!(BCG)),
        )
        .await;
    assert_eq!(status, 200);
    assert!(page.as_str().unwrap().contains("<svg"), "forest plot");
    // A parameter outside its set is answered with the set, never the value sent (issue 9).
    let (status, err) = app
        .call(
            "POST",
            "/api/v1/analyses/meta?estimate=yi&se=sei&method=bayes",
            Some(&researcher),
            Some(json!(BCG)),
        )
        .await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["error"]["field"], "method", "{err}");
    assert_eq!(
        err["error"]["message"], "must be one of: fe, dl, reml",
        "{err}"
    );
    let (status, err) = app
        .call(
            "POST",
            "/api/v1/analyses/meta?estimate=effect&se=sei",
            Some(&researcher),
            Some(json!(BCG)),
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`effect`"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psa_over_http_is_reproducible_and_bounded() {
    let app = App::sqlite().await;
    let viewer = app.token("viewer").await;
    let path = "/api/v1/analyses/psa?draws=2000&seed=7&wtp=0,5000,20000";
    let (status, got) = app
        .call("POST", path, Some(&viewer), Some(json!(inputs::PSA_TOML)))
        .await;
    assert_eq!(status, 200, "{got}");
    // The server runs one thread; the same seed on two threads gives the same numbers.
    let model = scaleup_analysis::cea::load_model("body", inputs::PSA_TOML).unwrap();
    let cfg = scaleup_econ::psa::PsaConfig {
        draws: 2000,
        seed: 7,
        wtp: vec![0.0, 5000.0, 20000.0],
        chunk_size: 4096,
        threads: 2,
        keep_points: 1000,
    };
    let result = scaleup_econ::psa::run_psa(&model, &cfg, |_| Ok(())).unwrap();
    let direct = scaleup_analysis::uncertainty::psa_report(&model, &result, 7).unwrap();
    assert_eq!(got, wire(&direct.json));
    assert_eq!(got["by_wtp"].as_array().unwrap().len(), 3);

    let (status, err) = app
        .call(
            "POST",
            "/api/v1/analyses/psa?draws=1000000&wtp=0",
            Some(&viewer),
            Some(json!(inputs::PSA_TOML)),
        )
        .await;
    assert_eq!(
        (status.as_u16(), err["error"]["field"].as_str()),
        (400, Some("draws"))
    );
    let (status, err) = app
        .call(
            "POST",
            "/api/v1/analyses/psa?wtp=cheap",
            Some(&viewer),
            Some(json!(inputs::PSA_TOML)),
        )
        .await;
    assert_eq!(
        (status.as_u16(), err["error"]["field"].as_str()),
        (400, Some("wtp"))
    );

    // EVPI from draws, and the tornado page of a one-way analysis.
    let (status, got) = app
        .call(
            "POST",
            "/api/v1/analyses/evpi?wtp=3000",
            Some(&viewer),
            Some(json!(inputs::EVPI_CSV)),
        )
        .await;
    assert_eq!(status, 200, "{got}");
    // NMB of B at 3000: -40, 30, -120 (A: 0): EV with perfect information 10, without 0.
    assert!((got["evpi"].as_f64().unwrap() - 10.0).abs() < 1e-9, "{got}");
    // Partial EVPI of a parameter column: here it explains every difference between draws
    // (three blocks of one draw each), so it recovers the whole EVPI.
    let with_p = "draw,strategy,cost,effect,p\n1,A,0,0,0.2\n1,B,100,0.02,0.2\n2,A,0,0,0.9\n2,B,120,0.05,0.9\n3,A,0,0,0.1\n3,B,90,-0.01,0.1\n";
    let (status, got) = app
        .call(
            "POST",
            "/api/v1/analyses/evpi?wtp=3000&evppi=p&evppi_groups=3",
            Some(&viewer),
            Some(json!(with_p)),
        )
        .await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["evppi"][0]["parameter"], "p");
    assert!(
        (got["evppi"][0]["evppi"].as_f64().unwrap() - 10.0).abs() < 1e-9,
        "{got}"
    );
    let (status, page) = app
        .call(
            "POST",
            "/api/v1/analyses/owsa?wtp=5000&format=html",
            Some(&viewer),
            Some(json!(inputs::PSA_TOML)),
        )
        .await;
    assert_eq!(status, 200);
    assert!(page.as_str().unwrap().contains("<svg"), "tornado diagram");
}

/// No input makes an analysis route fail with a server error: hostile, empty, degenerate and
/// nonsensical documents all get a 4xx naming what is wrong.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_inputs_never_cause_a_server_error() {
    let app = App::sqlite().await;
    let researcher = app.token("researcher").await;
    let long_line = "y,x,g\n".to_string() + &"1,".repeat(50_000) + "\n";
    let constant = "y,x,g\n".to_string() + &"1,1,a\n".repeat(40);
    let one_group =
        "y,x,g\n".to_string() + &(0..30).map(|i| format!("{i},{i},a\n")).collect::<String>();
    let nans = "y,x,g\n".to_string() + &"NaN,inf,a\n1e400,-inf,b\n".repeat(10);
    let csv_bodies: Vec<String> = vec![
        String::new(),
        "\u{0}\u{1}garbage".into(),
        "y,x,g\n".into(),
        "y,x,g\n1,2,a\n".into(),
        "\"unterminated,quote\n1,2\n".into(),
        long_line,
        constant,
        one_group,
        nans,
        inputs::lmm_csv().replace(",g", ",x"),
    ];
    let csv_routes = [
        "/api/v1/analyses/lmm?formula=y~x%2B(1%7Cg)",
        "/api/v1/analyses/lmm?formula=y~x%2B(x%7C%7Cg)&ml=true",
        "/api/v1/analyses/lmm?formula=y~(1%7C)",
        "/api/v1/analyses/lmm?formula=~~~",
        "/api/v1/analyses/glmm?family=binomial&formula=y~x%2B(1%7Cg)",
        "/api/v1/analyses/gee?family=binomial&group=g&formula=y~x",
        "/api/v1/analyses/gee?family=gaussian&group=nope&formula=y~x",
        "/api/v1/analyses/icc?formula=y~x%2B(1%7Cg)",
        "/api/v1/analyses/meta?estimate=y&se=x",
        "/api/v1/analyses/icers",
        "/api/v1/analyses/evpi?wtp=1",
    ];
    let toml_bodies: Vec<String> = vec![
        String::new(),
        "kind = 5".into(),
        "[[[".into(),
        "kind = \"stepped-wedge\"\n[outcome]\ntype = \"binary\"\np0 = 2\np1 = -1\n[stepped_wedge]\nsequences = []\nclusters_per_sequence = 0\ncluster_period_size = 0\n".into(),
        "kind = \"parallel-crt\"\n[outcome]\ntype = \"continuous\"\nmean_difference = 1e308\nsd = 1e-308\n[clustering]\nicc = 1.5\n[parallel_crt]\nclusters_per_arm = 1\ncluster_size = 1\n".into(),
        "states = [\"a\"]\ninitial = [1]\ncycles = 1000000000\n".into(),
        "states = [\"a\", \"b\"]\ninitial = [0.5, 0.5]\ncycles = 3\naccrual = \"end\"\n[discount]\ncosts = -2\neffects = 0\n[[strategy]]\nname = \"s\"\n[[strategy.phase]]\nuntil_cycle = 3\ntransitions = [[1, 0], [0.5, 0.6]]\nstate_costs = [1, 2]\nstate_effects = [1, 0]\n".into(),
        inputs::PLAN_TOML.replace("= ", "= -"),
        inputs::ROI_TOML.replace("= ", "= 1e309 + "),
    ];
    let toml_routes = [
        "/api/v1/analyses/power",
        "/api/v1/analyses/sample-size?solve=clusters",
        "/api/v1/analyses/markov",
        "/api/v1/analyses/psa?wtp=0&draws=10",
        "/api/v1/analyses/owsa?wtp=0",
        "/api/v1/analyses/plan",
        "/api/v1/analyses/budget-impact",
        "/api/v1/analyses/roi",
        "/api/v1/analyses/costs",
    ];
    let mut failures = Vec::new();
    for (routes, bodies) in [
        (&csv_routes[..], &csv_bodies),
        (&toml_routes[..], &toml_bodies),
    ] {
        for route in routes {
            for body in bodies.iter() {
                let (status, value) = app
                    .call(
                        "POST",
                        route,
                        Some(&researcher),
                        Some(Value::String(body.clone())),
                    )
                    .await;
                if !status.is_client_error() && status != 200 {
                    failures.push(format!(
                        "{route} with {:?}: {status} {value}",
                        &body[..body.len().min(60)]
                    ));
                }
                if status.is_client_error() && !value["error"]["message"].is_string() {
                    failures.push(format!("{route}: a {status} without an error message"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Inputs that are valid but would take hours or all the memory are refused up front.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_analyses_are_refused_not_run() {
    let app = App::sqlite().await;
    let researcher = app.token("researcher").await;
    let post = |path: &'static str, body: String| {
        let (app, token) = (&app, researcher.clone());
        async move {
            app.call("POST", path, Some(&token), Some(Value::String(body)))
                .await
        }
    };
    // A billion Markov cycles.
    let model = inputs::PSA_TOML.replace("cycles = 20", "cycles = 1000000000");
    assert_ne!(model, inputs::PSA_TOML, "the test model has 20 cycles");
    let (status, err) = post("/api/v1/analyses/markov", model).await;
    assert_eq!(status, 422, "{err}");
    assert!(
        err["error"]["message"].as_str().unwrap().contains("cycles"),
        "{err}"
    );
    // A PSA whose draws × model size is beyond one request's budget.
    let model = inputs::PSA_TOML.replace("cycles = 20", "cycles = 90000");
    let (status, err) = post("/api/v1/analyses/psa?wtp=0&draws=100000", model).await;
    assert_eq!(status, 422, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most"),
        "{err}"
    );
    // A factor with a level per row as a fixed effect.
    let mut csv = String::from("y,id,g\n");
    for i in 0..3000 {
        csv.push_str(&format!("{},{i}x,g{}\n", i % 7, i % 10));
    }
    let (status, err) = post("/api/v1/analyses/lmm?formula=y~id%2B(1%7Cg)", csv).await;
    assert_eq!(status, 422, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("random-effect term"),
        "{err}"
    );
    // A stepped-wedge design with thousands of periods.
    let row = format!("[{}]", vec!["0"; 5000].join(","));
    let spec = format!(
        "kind = \"stepped-wedge\"\n[outcome]\ntype = \"continuous\"\nmean_difference = 1\nsd = 1\n[clustering]\nicc = 0.05\n[stepped_wedge]\nsequences = [{row}]\nclusters_per_sequence = 2\ncluster_period_size = 10\n"
    );
    let (status, err) = post("/api/v1/analyses/power", spec).await;
    assert_eq!(status, 422, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("periods"),
        "{err}"
    );
}

const AGG_CRT: &str = include_str!("../../scaleup-stats/tests/reference/lmm/agg_crt.csv");
/// lme4 1.1.31 glmer on aggregated counts (scaleup-stats/tests/reference/make_glmm_reference.R).
const AGG_CRT_REFERENCE: &str =
    include_str!("../../scaleup-stats/tests/reference/lmm/glmm_agg_crt.json");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregated_binomial_glmm_over_http_matches_glmer() {
    let app = App::sqlite().await;
    let researcher = app.token("researcher").await;
    let want: Value = serde_json::from_str(AGG_CRT_REFERENCE).unwrap();
    let formula = want["formula"].as_str().unwrap();
    let encoded = formula
        .replace(' ', "%20")
        .replace('+', "%2B")
        .replace('|', "%7C")
        .replace(',', "%2C");
    let path = format!("/api/v1/analyses/glmm?family=binomial&formula={encoded}");
    let (status, got) = app
        .call("POST", &path, Some(&researcher), Some(json!(AGG_CRT)))
        .await;
    assert_eq!(status, 200, "{got}");
    for w in want["fixed_effects"].as_array().unwrap() {
        let g = got["fixed_effects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["term"] == w["term"])
            .unwrap();
        let (a, b) = (
            g["estimate"].as_f64().unwrap(),
            w["estimate"].as_f64().unwrap(),
        );
        assert!(close(a, b, 1e-5), "{}: {a} vs glmer {b}", w["term"]);
    }
    let (a, b) = (
        got["log_likelihood"].as_f64().unwrap(),
        want["log_likelihood"].as_f64().unwrap(),
    );
    assert!(close(a, b, 1e-7), "logLik {a} vs glmer {b}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dataset_export_is_refused_below_k_and_audited_with_its_caller() {
    let app = App::sqlite().await;
    record_sessions(&app).await;
    let researcher = app.token("researcher").await;
    // One client: below k = 5, refused with the combination named.
    let (status, err) = app
        .call(
            "GET",
            "/api/v1/programmes/pmplus-2026/dataset?unit=session",
            Some(&researcher),
            None,
        )
        .await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(err["error"]["field"], "k");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("k-anonymity: only 1 client(s) share sex=male"),
        "{err}"
    );
    // k = 1 turns the check off, knowingly: the files come back.
    let (status, got) = app
        .call(
            "GET",
            "/api/v1/programmes/pmplus-2026/dataset?unit=session&k=1",
            Some(&researcher),
            None,
        )
        .await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["rows"], 1);
    let files = got["files"].as_array().unwrap();
    assert_eq!(files.len(), 6);
    let csv = files[0]["content"].as_str().unwrap();
    assert!(csv.starts_with("client_id,episode_id,hub,district,cluster,site_arm,arm,period,exposed,sex,age_band,session_number,session_on,attended,duration_minutes,modality,components_delivered\n"), "{csv}");
    // An option outside its set lists the set.
    let (status, err) = app
        .call(
            "GET",
            "/api/v1/programmes/pmplus-2026/dataset?unit=visit",
            Some(&researcher),
            None,
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        err["error"]["message"],
        "must be one of: episode, assessment, session"
    );
    // Both reads are audited, attributed to the researcher, with the options.
    let admin = app.token("admin").await;
    let (_, audit) = app
        .call("GET", "/api/v1/audit?limit=1000", Some(&admin), None)
        .await;
    let exports: Vec<&Value> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "export.dataset")
        .collect();
    assert_eq!(exports.len(), 2, "{audit}");
    assert!(
        exports
            .iter()
            .all(|e| e["actor_id"] == app.fixture.researcher.id)
    );
    assert!(exports.iter().any(|e| e["detail"]["k"] == 1), "{exports:?}");
}
