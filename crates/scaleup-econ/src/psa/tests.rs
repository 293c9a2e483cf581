//! Tests for the PSA runner.

use super::*;
use crate::psa::dist::Distribution;

/// One state, one cycle, accrual at the start: each strategy's cost and effect equal the
/// expressions in its state values, so PSA outputs are the sampled parameters themselves.
const PASS_THROUGH: &str = r#"
states = ["alive"]
initial = [1]
cycles = 1
accrual = "start"

[[parameter]]
name = "c"
distribution = "gamma"
mean = 2000
se = 400

[[parameter]]
name = "u"
distribution = "beta"
mean = 0.7
se = 0.1

[[parameter]]
name = "inb"
distribution = "normal"
mean = 0.02
se = 0.05

[[parameter]]
name = "rr"
distribution = "lognormal"
mean = 0.8
se = 0.2

[[parameter]]
name = "row"
distribution = "dirichlet"
mean = [0.5, 0.15, 0.35]
se = 0.035

[[parameter]]
name = "tri"
distribution = "triangular"
min = 0
mode = 1
max = 4

[[strategy]]
name = "ref"
[[strategy.phase]]
transitions = [[1]]
state_costs = ["c"]
state_effects = ["u"]

[[strategy]]
name = "new"
[[strategy.phase]]
transitions = [[1]]
state_costs = ["rr * 1000 + tri"]
state_effects = ["row[2] + inb"]
"#;

fn model() -> Model {
    Model::from_toml_str(PASS_THROUGH).unwrap()
}

/// Method-of-moments identities through the whole pipeline: the sample mean and SD of the
/// PSA outputs match the requested mean and SE. Tolerances: 5 standard errors for means and
/// 3 % relative for SDs (n = 100,000).
#[test]
fn psa_outputs_reproduce_requested_moments() {
    let m = model();
    let cfg = PsaConfig::new(100_000, 11, vec![0.0]);
    let r = run_psa(&m, &cfg, |_| Ok(())).unwrap();
    let n = 100_000f64;
    let check = |got_mean: f64, got_sd: f64, mean: f64, sd: f64, what: &str| {
        assert!(
            (got_mean - mean).abs() < 5.0 * sd / n.sqrt(),
            "{what} mean {got_mean} vs {mean}"
        );
        assert!(
            (got_sd / sd - 1.0).abs() < 0.03,
            "{what} sd {got_sd} vs {sd}"
        );
    };
    check(r.mean_cost[0], r.sd_cost[0], 2000.0, 400.0, "gamma");
    check(r.mean_effect[0], r.sd_effect[0], 0.7, 0.1, "beta");
    // new effect = Dirichlet component 2 (mean 0.15) + normal(0.02, 0.05), independent.
    let d = Distribution::dirichlet_from_moments(&[0.5, 0.15, 0.35], 0.035).unwrap();
    let var_row2 = d.variance()[1];
    check(
        r.mean_effect[1],
        r.sd_effect[1],
        0.17,
        (var_row2 + 0.0025).sqrt(),
        "dirichlet + normal",
    );
    // new cost = 1000·lognormal(mean 0.8, se 0.2) + triangular(0, 1, 4) (mean 5/3, var 13/18).
    check(
        r.mean_cost[1],
        r.sd_cost[1],
        800.0 + 5.0 / 3.0,
        (200.0f64.powi(2) + 13.0 / 18.0).sqrt(),
        "lognormal + triangular",
    );
}

#[test]
fn deterministic_by_seed_and_independent_of_threads() {
    let m = model();
    let mut cfg = PsaConfig::new(10_000, 5, vec![0.0, 10_000.0, 50_000.0]);
    cfg.chunk_size = 1000;
    let collect = |cfg: &PsaConfig| {
        let mut all = Vec::new();
        let r = run_psa(&m, cfg, |c| {
            assert_eq!(c.first_draw, all.len() / 2);
            all.extend(c.outcomes.iter().map(|o| (o.cost, o.effect)));
            Ok(())
        })
        .unwrap();
        (r, all)
    };
    let (a, da) = collect(&cfg);
    cfg.threads = 3;
    let (b, db) = collect(&cfg);
    assert_eq!(da, db);
    assert_eq!(a.mean_cost, b.mean_cost);
    assert_eq!(a.by_wtp, b.by_wtp);
    assert_eq!(da.len(), 20_000);
    assert_eq!(a.points.len(), 2000);
    cfg.seed = 6;
    let (c, _) = collect(&cfg);
    assert_ne!(a.mean_cost, c.mean_cost);
}

/// EVPI through the PSA runner against the closed form for normal INB: two strategies, INB =
/// effect difference at wtp 1 = N(0.02, 0.05²) here via a model where only `inb` differs.
#[test]
fn psa_evpi_matches_closed_form() {
    let src = r#"
states = ["s"]
initial = [1]
cycles = 1
accrual = "end"
[[parameter]]
name = "inb"
distribution = "normal"
mean = 0.02
se = 0.05
[[strategy]]
name = "a"
[[strategy.phase]]
transitions = [[1]]
state_costs = [0]
state_effects = [0]
[[strategy]]
name = "b"
[[strategy.phase]]
transitions = [[1]]
state_costs = [0]
state_effects = ["inb"]
"#;
    let m = Model::from_toml_str(src).unwrap();
    let mut cfg = PsaConfig::new(400_000, 3, vec![1.0]);
    cfg.threads = 2;
    let r = run_psa(&m, &cfg, |_| Ok(())).unwrap();
    let (mu, sigma) = (0.02f64, 0.05f64);
    let z = mu / sigma;
    let pdf = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
    // Φ(-0.4) = 0.3445782583896758, from Python 3.11: 0.5 * math.erfc(0.4 / math.sqrt(2)).
    let exact = sigma * pdf - mu * 0.344_578_258_389_675_8;
    // The per-draw loss has SD below σ; 5 SE of the mean.
    let tol = 5.0 * sigma / (400_000f64).sqrt();
    let s = &r.by_wtp[0];
    assert!((s.evpi - exact).abs() < tol, "{} vs {exact}", s.evpi);
    assert_eq!(s.optimal, 1);
    // CEAC of b = P(INB > 0) = Φ(0.4) = 0.6554217416103242 (same Python expression, 1 − Φ(−0.4)).
    assert!((s.prob_optimal[1] - 0.655_421_741_610_324_2).abs() < 5.0 * 0.5 / 632.0);
}

#[test]
fn invalid_draw_names_the_draw() {
    let src = r#"
states = ["a", "b"]
initial = [1, 0]
cycles = 1
accrual = "end"
[[parameter]]
name = "p"
distribution = "normal"
mean = 0.5
se = 0.5
[[strategy]]
name = "s"
[[strategy.phase]]
transitions = [["C", "p"], [0, 1]]
state_costs = [0, 0]
state_effects = [1, 0]
"#;
    let m = Model::from_toml_str(src).unwrap();
    let e = run_psa(&m, &PsaConfig::new(1000, 1, vec![0.0]), |_| Ok(())).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.starts_with("draw ") && msg.contains("transitions row 1 ('a')"),
        "{msg}"
    );
    assert!(run_psa(&m, &PsaConfig::new(0, 1, vec![0.0]), |_| Ok(())).is_err());
}

/// Hardening issue 15: a model whose parameters are all fixed (or zero-spread) used to run
/// every draw identically and report EVPI 0 without a word.
#[test]
fn issue_15_psa_without_varying_parameters_is_refused() {
    let all_fixed = r#"
states = ["alive"]
initial = [1]
cycles = 1
accrual = "start"
[[parameter]]
name = "c"
distribution = "fixed"
value = 100
[[parameter]]
name = "u"
distribution = "normal"
mean = 0.7
sd = 0
[[strategy]]
name = "ref"
[[strategy.phase]]
transitions = [[1]]
state_costs = ["c"]
state_effects = ["u"]
[[strategy]]
name = "new"
[[strategy.phase]]
transitions = [[1]]
state_costs = ["c * 2"]
state_effects = ["u + 0.1"]
"#;
    let no_parameters = r#"
states = ["alive"]
initial = [1]
cycles = 1
accrual = "start"
[[strategy]]
name = "only"
[[strategy.phase]]
transitions = [[1]]
state_costs = [1]
state_effects = [1]
"#;
    for src in [all_fixed, no_parameters] {
        let m = Model::from_toml_str(src).unwrap();
        let mut chunks = 0;
        let e = run_psa(&m, &PsaConfig::new(2_000_000, 1, vec![0.0, 1000.0]), |_| {
            chunks += 1;
            Ok(())
        })
        .unwrap_err();
        assert!(matches!(e, PsaError::NoUncertainty), "{e}");
        assert!(
            e.to_string()
                .contains("no parameter of the model has a distribution that varies")
        );
        assert_eq!(chunks, 0, "refused before drawing anything");
    }
}

#[test]
fn zero_spread_distributions_do_not_vary() {
    assert!(!Distribution::Fixed(1.0).varies());
    assert!(!Distribution::Normal { mean: 1.0, sd: 0.0 }.varies());
    assert!(
        !Distribution::LogNormal {
            meanlog: 0.0,
            sdlog: 0.0
        }
        .varies()
    );
    assert!(Distribution::Normal { mean: 1.0, sd: 0.1 }.varies());
    assert!(
        Distribution::Beta {
            alpha: 2.0,
            beta: 3.0
        }
        .varies()
    );
}
