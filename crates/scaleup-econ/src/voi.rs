//! Value of information from PSA draws: CEAC, CEAF and the expected value of perfect
//! information (EVPI).
//!
//! For willingness to pay λ and draws θ⁽ⁱ⁾ (i = 1..n), with NMB_j = λ·E_j − C_j:
//! `EVPI(λ) = (1/n)·Σᵢ maxⱼ NMBᵢⱼ − maxⱼ (1/n)·Σᵢ NMBᵢⱼ`, which equals the expected opportunity
//! loss of the strategy that is optimal in expectation (dampack `calc_evpi`). CEAC(λ) is the
//! share of draws in which each strategy has the largest NMB (ties go to the strategy listed
//! first); CEAF(λ) is the CEAC value of the strategy optimal in expectation.
//!
//! [`NmbAccumulator`] keeps only sums per strategy and per λ, so draws can be streamed.
//!
//! [`evppi_single`] is the partial EVPI of one parameter by the one-level method of Strong &
//! Oakley (2014, Med Decis Making 34:311–326, "An efficient method for computing single-parameter
//! partial expected value of perfect information"): sort the draws by the parameter, cut them
//! into `groups` blocks of nearly equal size, and take
//! `EVPPI = (1/G)·Σ_g maxⱼ mean_g(NMBⱼ) − maxⱼ mean(NMBⱼ)`, where each block's mean stands in
//! for the expectation conditional on the parameter. It needs only the PSA draws (no nested
//! simulation). The estimator is biased upwards when blocks are small (noise in block means
//! looks like information) and downwards when they are wide; about √n blocks balance the two.

/// Invalid PSA table.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VoiError {
    /// No strategies or no draws.
    #[error("the PSA table needs at least one strategy and one draw")]
    Empty,
    /// Cost and effect arrays do not match draws × strategies.
    #[error("expected {expected} values (draws × strategies), found {found}")]
    Shape {
        /// draws × strategies.
        expected: usize,
        /// Length found.
        found: usize,
    },
    /// A value is NaN or infinite.
    #[error("draw {draw}, strategy '{strategy}': cost or effect is not a finite number")]
    NotFinite {
        /// 0-based draw index.
        draw: usize,
        /// Strategy name.
        strategy: String,
    },
    /// A decision horizon outside 1..=[`MAX_DECISION_YEARS`].
    #[error("years must be between 1 and {MAX_DECISION_YEARS}")]
    Years,
}

/// Longest decision horizon for population EVPI, in years. Horizons in the literature are 5 to
/// 20 years; the planner and the investment case allow 100. Unchecked, a `u32` horizon ran a
/// loop of up to 4·10⁹ steps and wrapped its year index in an `i32`.
pub const MAX_DECISION_YEARS: u32 = 100;

/// Costs and effects per draw and strategy (row-major: draw, then strategy).
#[derive(Clone, Debug, PartialEq)]
pub struct PsaTable {
    strategies: Vec<String>,
    cost: Vec<f64>,
    effect: Vec<f64>,
}

impl PsaTable {
    /// Checks shapes and finiteness.
    pub fn new(
        strategies: Vec<String>,
        cost: Vec<f64>,
        effect: Vec<f64>,
    ) -> Result<PsaTable, VoiError> {
        let k = strategies.len();
        if k == 0 || cost.is_empty() {
            return Err(VoiError::Empty);
        }
        if !cost.len().is_multiple_of(k) || effect.len() != cost.len() {
            return Err(VoiError::Shape {
                expected: cost.len().div_ceil(k) * k,
                found: effect.len().min(cost.len()),
            });
        }
        for (i, (c, e)) in cost.iter().zip(&effect).enumerate() {
            if !c.is_finite() || !e.is_finite() {
                return Err(VoiError::NotFinite {
                    draw: i / k,
                    strategy: strategies[i % k].clone(),
                });
            }
        }
        Ok(PsaTable {
            strategies,
            cost,
            effect,
        })
    }

    /// Strategy names.
    pub fn strategies(&self) -> &[String] {
        &self.strategies
    }

    /// Number of draws.
    pub fn n_draws(&self) -> usize {
        self.cost.len() / self.strategies.len()
    }
}

/// Summary at one willingness-to-pay value.
#[derive(Clone, Debug, PartialEq)]
pub struct WtpSummary {
    /// Willingness to pay.
    pub wtp: f64,
    /// Mean NMB per strategy.
    pub expected_nmb: Vec<f64>,
    /// Index of the strategy with the largest mean NMB (first on ties).
    pub optimal: usize,
    /// CEAC: share of draws in which each strategy has the largest NMB.
    pub prob_optimal: Vec<f64>,
    /// CEAF: `prob_optimal[optimal]`.
    pub ceaf: f64,
    /// Per-person EVPI.
    pub evpi: f64,
}

/// Streaming sums for CEAC, CEAF and EVPI over a list of λ values.
#[derive(Clone, Debug, PartialEq)]
pub struct NmbAccumulator {
    wtp: Vec<f64>,
    k: usize,
    n: u64,
    /// Per λ, per strategy: Σ NMB.
    sum_nmb: Vec<f64>,
    /// Per λ: Σ max NMB.
    sum_max: Vec<f64>,
    /// Per λ, per strategy: draws in which the strategy is optimal.
    wins: Vec<u64>,
}

impl NmbAccumulator {
    /// Empty sums for `k` strategies.
    pub fn new(wtp: &[f64], k: usize) -> NmbAccumulator {
        NmbAccumulator {
            wtp: wtp.to_vec(),
            k,
            n: 0,
            sum_nmb: vec![0.0; wtp.len() * k],
            sum_max: vec![0.0; wtp.len()],
            wins: vec![0; wtp.len() * k],
        }
    }

    /// Adds one draw (costs and effects per strategy).
    pub fn add(&mut self, cost: &[f64], effect: &[f64]) {
        self.n += 1;
        for (w, &lambda) in self.wtp.iter().enumerate() {
            let mut best = f64::NEG_INFINITY;
            let mut arg = 0;
            for j in 0..self.k {
                let nmb = lambda * effect[j] - cost[j];
                self.sum_nmb[w * self.k + j] += nmb;
                if nmb > best {
                    best = nmb;
                    arg = j;
                }
            }
            self.sum_max[w] += best;
            self.wins[w * self.k + arg] += 1;
        }
    }

    /// Adds another accumulator's sums (same λ list and strategies).
    pub fn merge(&mut self, other: &NmbAccumulator) {
        self.n += other.n;
        self.sum_nmb
            .iter_mut()
            .zip(&other.sum_nmb)
            .for_each(|(a, b)| *a += b);
        self.sum_max
            .iter_mut()
            .zip(&other.sum_max)
            .for_each(|(a, b)| *a += b);
        self.wins
            .iter_mut()
            .zip(&other.wins)
            .for_each(|(a, b)| *a += b);
    }

    /// Number of draws added.
    pub fn n(&self) -> u64 {
        self.n
    }

    /// Summaries per λ, in the order given.
    pub fn finish(&self) -> Vec<WtpSummary> {
        let n = self.n.max(1) as f64;
        self.wtp
            .iter()
            .enumerate()
            .map(|(w, &wtp)| {
                let expected_nmb: Vec<f64> = (0..self.k)
                    .map(|j| self.sum_nmb[w * self.k + j] / n)
                    .collect();
                let mut optimal = 0;
                for j in 1..self.k {
                    if expected_nmb[j] > expected_nmb[optimal] {
                        optimal = j;
                    }
                }
                let prob_optimal: Vec<f64> = (0..self.k)
                    .map(|j| self.wins[w * self.k + j] as f64 / n)
                    .collect();
                // EVPI is non-negative in exact arithmetic; clamp rounding noise.
                let evpi = (self.sum_max[w] / n - expected_nmb[optimal]).max(0.0);
                WtpSummary {
                    wtp,
                    ceaf: prob_optimal[optimal],
                    expected_nmb,
                    optimal,
                    prob_optimal,
                    evpi,
                }
            })
            .collect()
    }
}

/// CEAC, CEAF and EVPI of a stored PSA table at each λ in `wtp`.
pub fn summarise(table: &PsaTable, wtp: &[f64]) -> Vec<WtpSummary> {
    let k = table.strategies.len();
    let mut acc = NmbAccumulator::new(wtp, k);
    for (c, e) in table.cost.chunks_exact(k).zip(table.effect.chunks_exact(k)) {
        acc.add(c, e);
    }
    acc.finish()
}

/// Invalid input to [`evppi_single`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvppiError {
    /// The parameter column does not have one value per draw.
    #[error("the parameter has {found} values but the table has {draws} draws")]
    Length {
        /// Draws in the table.
        draws: usize,
        /// Values given.
        found: usize,
    },
    /// A parameter value is NaN or infinite.
    #[error("draw {0}: the parameter value is not a finite number")]
    NotFinite(usize),
    /// Fewer than 2 groups, or more groups than draws.
    #[error("groups must be between 2 and the number of draws ({0})")]
    Groups(usize),
}

/// Partial EVPI of one parameter at willingness to pay `wtp` (Strong & Oakley 2014; see the
/// module docs). `parameter[i]` is the parameter's value in draw `i`.
pub fn evppi_single(
    table: &PsaTable,
    parameter: &[f64],
    wtp: f64,
    groups: usize,
) -> Result<f64, EvppiError> {
    let n = table.n_draws();
    let k = table.strategies.len();
    if parameter.len() != n {
        return Err(EvppiError::Length {
            draws: n,
            found: parameter.len(),
        });
    }
    if let Some(i) = parameter.iter().position(|v| !v.is_finite()) {
        return Err(EvppiError::NotFinite(i));
    }
    if groups < 2 || groups > n {
        return Err(EvppiError::Groups(n));
    }
    let nmb = |i: usize, j: usize| wtp * table.effect[i * k + j] - table.cost[i * k + j];
    let mut order: Vec<usize> = (0..n).collect();
    // Stable, so ties keep draw order and the result does not depend on the sort.
    order.sort_by(|&a, &b| parameter[a].total_cmp(&parameter[b]));
    let mut overall = vec![0.0; k];
    let mut sum_of_block_max = 0.0;
    for g in 0..groups {
        // Blocks of floor or ceil(n / groups) draws, in parameter order.
        let (start, end) = (g * n / groups, (g + 1) * n / groups);
        let mut block = vec![0.0; k];
        for &i in &order[start..end] {
            for (j, b) in block.iter_mut().enumerate() {
                *b += nmb(i, j);
            }
        }
        for (o, b) in overall.iter_mut().zip(&block) {
            *o += b;
        }
        let size = (end - start) as f64;
        let best = block.iter().fold(f64::NEG_INFINITY, |m, b| m.max(b / size));
        // Each block weighs by its share of the draws (sizes differ by at most one).
        sum_of_block_max += best * size / n as f64;
    }
    let best_overall = overall
        .iter()
        .fold(f64::NEG_INFINITY, |m, o| m.max(o / n as f64));
    Ok((sum_of_block_max - best_overall).max(0.0))
}

/// Population EVPI multiplier: Σ_{t=1..years} N/(1+r)^t, i.e. the discounted number of people
/// affected by the decision over its lifetime, with the first year discounted once.
pub fn population_multiplier(
    population_per_year: f64,
    years: u32,
    rate: f64,
) -> Result<f64, VoiError> {
    if !(1..=MAX_DECISION_YEARS).contains(&years) {
        return Err(VoiError::Years);
    }
    // `years` is at most 100 here, so the exponent fits an i32.
    Ok((1..=years)
        .map(|t| population_per_year / (1.0 + rate).powi(t as i32))
        .sum())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, Normal};

    /// Two strategies whose incremental NMB is φ + ε, φ ~ N(μ, σ²) the parameter of interest
    /// and ε ~ N(0, τ²) other noise. Learning φ alone is worth
    /// EVPPI(φ) = E[max(φ, 0)] − max(μ, 0) = σ·pdf(μ/σ) + μ·Φ(μ/σ) − max(μ, 0), in closed form;
    /// a parameter unrelated to the NMB is worth nothing.
    #[test]
    fn evppi_matches_the_closed_form_and_ignores_irrelevant_parameters() {
        let (mu, sigma, tau) = (0.3, 1.0, 2.0);
        let n = 200_000;
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let (phi_d, eps_d) = (
            Normal::new(mu, sigma).unwrap(),
            Normal::new(0.0, tau).unwrap(),
        );
        let mut effect = Vec::with_capacity(2 * n);
        let (mut phi, mut unrelated) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for _ in 0..n {
            let p: f64 = phi_d.sample(&mut rng);
            let e: f64 = eps_d.sample(&mut rng);
            phi.push(p);
            unrelated.push(eps_d.sample(&mut rng));
            effect.extend([0.0, p + e]);
        }
        let t = PsaTable::new(vec!["A".into(), "B".into()], vec![0.0; 2 * n], effect).unwrap();
        let z = mu / sigma;
        let pdf = (-z * z / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let truth = sigma * pdf + mu * phi_cdf(z) - mu.max(0.0);
        let groups = (n as f64).sqrt() as usize;
        let got = evppi_single(&t, &phi, 1.0, groups).unwrap();
        assert!(
            (got - truth).abs() < 0.02 * truth,
            "EVPPI {got} vs closed form {truth}"
        );
        let none = evppi_single(&t, &unrelated, 1.0, groups).unwrap();
        assert!(none < 0.05 * truth, "an unrelated parameter: {none}");
        // Never above the EVPI of all parameters.
        let evpi = summarise(&t, &[1.0])[0].evpi;
        assert!(got <= evpi, "{got} > EVPI {evpi}");
        assert_eq!(
            evppi_single(&t, &phi[1..], 1.0, 10),
            Err(EvppiError::Length {
                draws: n,
                found: n - 1
            })
        );
        assert_eq!(evppi_single(&t, &phi, 1.0, 1), Err(EvppiError::Groups(n)));
    }

    /// Hand example, 3 draws × 2 strategies at λ = 1 (NMB = effect − cost):
    /// NMB A = (1, 2, 3), B = (3, 0, 4). Mean A 2, B 7/3 → B optimal.
    /// Mean of max = (3 + 2 + 4)/3 = 3 → EVPI = 3 − 7/3 = 2/3. CEAC: A wins draw 2 → (1/3, 2/3).
    #[test]
    fn hand_example() {
        let t = PsaTable::new(
            vec!["A".into(), "B".into()],
            vec![0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            vec![1.0, 3.0, 2.0, 0.0, 3.0, 4.0],
        )
        .unwrap();
        let s = &summarise(&t, &[1.0])[0];
        assert_eq!(s.optimal, 1);
        assert!((s.evpi - 2.0 / 3.0).abs() < 1e-12);
        assert!((s.prob_optimal[0] - 1.0 / 3.0).abs() < 1e-12);
        assert!((s.ceaf - 2.0 / 3.0).abs() < 1e-12);
    }

    /// Standard normal CDF via erfc (Numerical Recipes `erfcc`, fractional error < 1.2e-7),
    /// accurate enough for a Monte Carlo comparison.
    fn phi_cdf(x: f64) -> f64 {
        let z = (x / std::f64::consts::SQRT_2).abs();
        let t = 1.0 / (1.0 + 0.5 * z);
        let r = t
            * (-z * z - 1.26551223
                + t * (1.00002368
                    + t * (0.37409196
                        + t * (0.09678418
                            + t * (-0.18628806
                                + t * (0.27886807
                                    + t * (-1.13520398
                                        + t * (1.48851587
                                            + t * (-0.82215223 + t * 0.17087277)))))))))
                .exp();
        if x >= 0.0 { 1.0 - 0.5 * r } else { 0.5 * r }
    }

    /// Two strategies with incremental net benefit INB ~ N(μ, σ²). Closed form (textbook):
    /// EVPI = E[max(INB, 0)] − max(μ, 0) = σ·φ(μ/σ) − |μ|·Φ(−|μ|/σ).
    /// Derivation: E[max(X,0)] = μΦ(μ/σ) + σφ(μ/σ); subtracting max(μ,0) and using
    /// Φ(z) − 1 = −Φ(−z) gives the same expression for both signs of μ.
    /// Tolerance: 5 Monte Carlo standard errors of the per-draw opportunity loss.
    #[test]
    fn closed_form_evpi_for_normal_inb() {
        let n = 400_000;
        for (mu, sigma) in [(0.0, 1.0), (500.0, 1000.0), (-300.0, 250.0), (2.0, 0.5)] {
            let mut rng = ChaCha8Rng::seed_from_u64(42);
            let d = Normal::new(mu, sigma).unwrap();
            let mut cost = Vec::with_capacity(2 * n);
            let mut effect = Vec::with_capacity(2 * n);
            let mut losses = Vec::with_capacity(n);
            for _ in 0..n {
                let inb: f64 = d.sample(&mut rng);
                cost.extend([0.0, 0.0]);
                effect.extend([0.0, inb]);
                losses.push(inb);
            }
            let t = PsaTable::new(vec!["ref".into(), "new".into()], cost, effect).unwrap();
            let s = &summarise(&t, &[1.0])[0];
            let z = mu / sigma;
            let pdf = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
            let exact = sigma * pdf - mu.abs() * phi_cdf(-mu.abs() / sigma);
            // Opportunity loss of the expected-optimal strategy per draw.
            let opt_new = s.optimal == 1;
            let loss: Vec<f64> = losses
                .iter()
                .map(|&x| if opt_new { (-x).max(0.0) } else { x.max(0.0) })
                .collect();
            let m = loss.iter().sum::<f64>() / n as f64;
            let sd = (loss.iter().map(|l| (l - m) * (l - m)).sum::<f64>() / n as f64).sqrt();
            let tol = 5.0 * sd / (n as f64).sqrt();
            assert!(
                (s.evpi - exact).abs() < tol,
                "mu {mu} sigma {sigma}: MC {} vs exact {exact} (tol {tol})",
                s.evpi
            );
            // CEAC for the new strategy: P(INB > 0) = Φ(μ/σ).
            assert!((s.prob_optimal[1] - phi_cdf(z)).abs() < 5.0 * 0.5 / (n as f64).sqrt());
        }
    }

    /// Hardening item 8: a horizon of 4,000,000,000 years ran a loop of that many steps with
    /// its year index wrapped to a negative i32. It is refused, naming the field.
    #[test]
    fn a_horizon_beyond_the_limit_is_refused_not_looped() {
        for years in [0, MAX_DECISION_YEARS + 1, 4_000_000_000, u32::MAX] {
            let err = population_multiplier(1000.0, years, 0.03).unwrap_err();
            assert_eq!(err, VoiError::Years);
            assert!(
                err.to_string()
                    .starts_with("years must be between 1 and 100")
            );
        }
        assert!(population_multiplier(1000.0, MAX_DECISION_YEARS, 0.03).is_ok());
    }

    #[test]
    fn population_multiplier_and_errors() {
        // 1000 a year for 2 years at 5 %: 1000/1.05 + 1000/1.05².
        let m = population_multiplier(1000.0, 2, 0.05).unwrap();
        assert!((m - (1000.0 / 1.05 + 1000.0 / 1.1025)).abs() < 1e-9);
        assert_eq!(population_multiplier(10.0, 3, 0.0), Ok(30.0));
        assert_eq!(
            PsaTable::new(vec![], vec![], vec![]).unwrap_err(),
            VoiError::Empty
        );
        assert!(matches!(
            PsaTable::new(vec!["a".into()], vec![f64::NAN], vec![1.0]),
            Err(VoiError::NotFinite { draw: 0, .. })
        ));
    }

    #[test]
    fn streaming_merge_equals_one_pass() {
        let cost = [1.0, 2.0, 3.0, 1.0, 0.5, 4.0];
        let effect = [0.1, 0.2, 0.15, 0.05, 0.3, 0.2];
        let mut a = NmbAccumulator::new(&[0.0, 10.0], 2);
        let mut b = NmbAccumulator::new(&[0.0, 10.0], 2);
        let mut all = NmbAccumulator::new(&[0.0, 10.0], 2);
        for d in 0..3 {
            let (c, e) = (&cost[2 * d..2 * d + 2], &effect[2 * d..2 * d + 2]);
            all.add(c, e);
            if d == 0 { a.add(c, e) } else { b.add(c, e) }
        }
        a.merge(&b);
        assert_eq!(a, all);
    }
}
