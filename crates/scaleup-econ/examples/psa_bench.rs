//! PSA benchmark driver: runs `scaleup_econ::psa::run_psa` on a model file and prints the
//! summary and the wall time as one JSON-ish line. Used by `scripts/bench/psa_numpy.py`,
//! which runs the numpy peer on the same model in the same run.
//!
//! Usage: `cargo run --release -p scaleup-econ --example psa_bench -- MODEL DRAWS THREADS SEED`

use scaleup_econ::markov::Model;
use scaleup_econ::psa::{PsaConfig, run_psa};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 {
        eprintln!("usage: psa_bench MODEL DRAWS THREADS SEED");
        std::process::exit(2);
    }
    let src = std::fs::read_to_string(&args[1]).expect("read model");
    let draws: usize = args[2].parse().expect("draws");
    let threads: usize = args[3].parse().expect("threads");
    let seed: u64 = args[4].parse().expect("seed");
    let t0 = Instant::now();
    let model = Model::from_toml_str(&src).expect("valid model");
    let wtp: Vec<f64> = (0..=20).map(|i| i as f64 * 1000.0).collect();
    let mut cfg = PsaConfig::new(draws, seed, wtp);
    cfg.threads = threads;
    let r = run_psa(&model, &cfg, |_| Ok(())).expect("PSA");
    let secs = t0.elapsed().as_secs_f64();
    let evpi: Vec<String> = r.by_wtp.iter().map(|s| format!("{:.4}", s.evpi)).collect();
    println!(
        "{{\"engine\": \"rust\", \"draws\": {draws}, \"threads\": {threads}, \"seconds\": {secs:.4}, \
         \"mean_cost\": {:?}, \"mean_effect\": {:?}, \"evpi\": [{}]}}",
        r.mean_cost,
        r.mean_effect,
        evpi.join(", ")
    );
}
