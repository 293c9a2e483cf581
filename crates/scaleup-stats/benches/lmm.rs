//! LMM benchmark: data generator and in-process timing.
//!
//! `cargo bench -p scaleup-stats --bench lmm -- --csv FILE --n N --groups G` writes a dataset
//! for `y ~ x + (1 + x | g)` (shared by scripts/bench/lmm.sh with lme4 and statsmodels);
//! `--nested-csv FILE` writes the three-level nested dataset of the script's second part;
//! without either it times in-process REML fits at 10k, 100k and 1M observations.
//!
//! Simulated model: `y = 2 + 0.5 x + u0_g + u1_g x + e`, `x ~ N(0, 1)`, `u0 ~ N(0, 1)`,
//! `u1 ~ N(0, 0.3²)` with correlation 0.3, `e ~ N(0, 1)`; groups assigned cyclically.

use std::io::Write;
use std::time::Instant;

use scaleup_stats::data::Data;
use scaleup_stats::formula::Formula;
use scaleup_stats::frame::ModelFrame;
use scaleup_stats::lmm::{self, LmmOptions};

/// SplitMix64 with Box–Muller normals: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

fn simulate(n: usize, groups: usize, seed: u64) -> (Vec<f64>, Vec<f64>, Vec<u32>) {
    let mut rng = Rng(seed);
    let (s0, s1, rho) = (1.0, 0.3, 0.3);
    let re: Vec<(f64, f64)> = (0..groups)
        .map(|_| {
            let a = rng.normal();
            let b = rng.normal();
            (s0 * a, s1 * (rho * a + (1.0f64 - rho * rho).sqrt() * b))
        })
        .collect();
    let mut y = Vec::with_capacity(n);
    let mut x = Vec::with_capacity(n);
    let mut g = Vec::with_capacity(n);
    for i in 0..n {
        let gi = i % groups;
        let xi = rng.normal();
        let (u0, u1) = re[gi];
        y.push(2.0 + 0.5 * xi + u0 + u1 * xi + rng.normal());
        x.push(xi);
        g.push(gi as u32);
    }
    (y, x, g)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let get = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|k| args.get(k + 1))
            .cloned()
    };
    let groups: usize = get("--groups").map_or(1000, |s| s.parse().expect("--groups"));
    if let Some(path) = get("--nested-csv") {
        // Three-level nesting: 50 facilities × 10 counsellors × 20 clients × 4 visits, SDs
        // 1, 0.7, 0.5 and residual 1; `y = 1 + 0.5 x + u_f + u_c + u_k + e`.
        let mut rng = Rng(20261126);
        let f = std::fs::File::create(&path).expect("create csv");
        let mut w = std::io::BufWriter::new(f);
        writeln!(w, "y,x,facility,counsellor,client").unwrap();
        for fa in 0..50 {
            let uf = rng.normal();
            for co in 0..10 {
                let uc = 0.7 * rng.normal();
                for cl in 0..20 {
                    let uk = 0.5 * rng.normal();
                    for _visit in 0..4 {
                        let x = rng.normal();
                        let y = 1.0 + 0.5 * x + uf + uc + uk + rng.normal();
                        writeln!(w, "{y:.10},{x:.10},F{fa},C{co},K{cl}").unwrap();
                    }
                }
            }
        }
        return;
    }
    if let Some(path) = get("--csv") {
        let n: usize = get("--n").map_or(10_000, |s| s.parse().expect("--n"));
        let (y, x, g) = simulate(n, groups, 20261126 + n as u64);
        let f = std::fs::File::create(&path).expect("create csv");
        let mut w = std::io::BufWriter::new(f);
        writeln!(w, "y,x,g").unwrap();
        for i in 0..n {
            writeln!(w, "{:.10},{:.10},g{}", y[i], x[i], g[i]).unwrap();
        }
        return;
    }
    let formula = Formula::parse("y ~ x + (1 + x | g)").unwrap();
    for n in [10_000, 100_000, 1_000_000] {
        let (y, x, g) = simulate(n, groups, 20261126 + n as u64);
        let mut data = Data::new();
        data.add_numeric("y", y).unwrap();
        data.add_numeric("x", x).unwrap();
        let labels: Vec<Option<String>> = g.iter().map(|k| Some(format!("g{k}"))).collect();
        data.add_factor("g", &labels).unwrap();
        let t0 = Instant::now();
        let frame = ModelFrame::new(&formula, &data).unwrap();
        let t1 = Instant::now();
        let fit = lmm::fit(&frame, &LmmOptions::default()).unwrap();
        let t2 = Instant::now();
        println!(
            "n={n:>8} groups={groups}: frame {:>7.3} s, fit {:>7.3} s ({} deviance evaluations), logLik {:.4}, converged {}",
            (t1 - t0).as_secs_f64(),
            (t2 - t1).as_secs_f64(),
            fit.evaluations,
            fit.log_likelihood,
            fit.converged
        );
    }
}
