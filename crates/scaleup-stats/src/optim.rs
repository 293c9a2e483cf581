//! Bound-constrained derivative-free minimisation for the mixed-model deviance: Nelder–Mead on
//! the projected objective with restarts, then a projected Newton polish with finite-difference
//! derivatives. The deviance is smooth in θ and the dimension is small (a few covariance
//! parameters), so the polish converges quadratically to the optimum that Nelder–Mead locates.

/// Result of a minimisation.
#[derive(Debug, Clone)]
pub struct Minimum {
    /// The minimiser (within bounds).
    pub x: Vec<f64>,
    /// The objective there.
    pub f: f64,
    /// Objective evaluations used.
    pub evals: usize,
    /// Whether the stopping tolerances were met (not the evaluation limit).
    pub converged: bool,
    /// Largest absolute projected gradient at the end (finite differences).
    pub max_grad: f64,
}

struct Objective<'a> {
    f: &'a mut dyn FnMut(&[f64]) -> f64,
    lower: &'a [f64],
    evals: usize,
}

impl Objective<'_> {
    /// The objective at the projection of `x` onto the bounds (infinite when not finite).
    fn projected(&mut self, x: &[f64]) -> f64 {
        self.evals += 1;
        let v = (self.f)(&project(x, self.lower));
        if v.is_finite() { v } else { f64::INFINITY }
    }

    /// The objective at `x` itself, for derivatives across a bound.
    fn raw(&mut self, x: &[f64]) -> f64 {
        self.evals += 1;
        (self.f)(x)
    }
}

fn project(x: &[f64], lower: &[f64]) -> Vec<f64> {
    x.iter().zip(lower).map(|(v, l)| v.max(*l)).collect()
}

/// Minimises `f` subject to `x ≥ lower` (use `f64::NEG_INFINITY` for free parameters).
/// `f` must accept points slightly outside the bounds (it is evaluated there for central
/// differences at the boundary), which holds for the deviance, symmetric in each column's sign.
///
/// A solution on a bound is challenged: the deviance can have a local minimum on the boundary
/// (a zero variance) next to a better interior one, so each bound coordinate is scanned over
/// a grid of interior values and the local search restarted from any better point.
pub fn minimize(
    f: &mut dyn FnMut(&[f64]) -> f64,
    x0: &[f64],
    lower: &[f64],
    max_evals: usize,
) -> Minimum {
    let mut obj = Objective { f, lower, evals: 0 };
    let mut best = local_minimize(&mut obj, x0, max_evals);
    for _round in 0..5 {
        let at_bound: Vec<usize> = (0..best.x.len())
            .filter(|j| lower[*j].is_finite() && best.x[*j] <= lower[*j] + 1e-8)
            .collect();
        let mut candidate: Option<(Vec<f64>, f64)> = None;
        for &j in &at_bound {
            for v in [0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4] {
                let mut y = best.x.clone();
                y[j] = lower[j] + v;
                let fy = obj.projected(&y);
                let current = candidate.as_ref().map_or(best.f, |c| c.1);
                if fy < current - 1e-10 * (1.0 + current.abs()) {
                    candidate = Some((y, fy));
                }
            }
        }
        let Some((start, _)) = candidate else { break };
        if obj.evals >= max_evals {
            break;
        }
        let trial = local_minimize(&mut obj, &start, max_evals);
        if trial.f < best.f {
            best = trial;
        } else {
            break;
        }
    }
    best.evals = obj.evals;
    best.converged = best.converged && obj.evals < max_evals;
    best
}

/// Nelder–Mead with restarts, then the projected Newton polish, from `x0`.
fn local_minimize(obj: &mut Objective<'_>, x0: &[f64], max_evals: usize) -> Minimum {
    let lower = obj.lower;
    let mut x = project(x0, lower);
    let mut step = 0.5;
    let mut nm_converged = false;
    let mut fx = f64::INFINITY;
    for _restart in 0..4 {
        let (xn, fnew, ok) = nelder_mead(obj, &x, step, max_evals);
        let improved = fnew < fx - 1e-10 * (1.0 + fx.abs());
        x = project(&xn, lower);
        fx = fnew;
        nm_converged = ok;
        if !improved || obj.evals >= max_evals {
            break;
        }
        step = 0.05;
    }
    // Projected Newton polish on the free coordinates.
    let n = x.len();
    let mut max_grad = f64::INFINITY;
    let mut polish_ok = false;
    for _iter in 0..50 {
        if obj.evals >= max_evals {
            break;
        }
        let h = |v: f64| 1e-5 * v.abs().max(0.1);
        let mut grad = vec![0.0; n];
        let mut free = Vec::new();
        for j in 0..n {
            let hj = h(x[j]);
            let mut xp = x.clone();
            xp[j] += hj;
            let fpv = obj.projected(&xp);
            let at_bound = x[j] <= lower[j] + 1e-12;
            if at_bound {
                let g = (fpv - fx) / hj;
                grad[j] = g;
                if g < 0.0 {
                    free.push(j);
                }
            } else {
                let mut xm = x.clone();
                xm[j] -= hj;
                let fmv = obj.raw(&xm);
                grad[j] = (fpv - fmv) / (2.0 * hj);
                free.push(j);
            }
        }
        max_grad = free.iter().map(|j| grad[*j].abs()).fold(0.0, f64::max);
        if free.is_empty() {
            polish_ok = true;
            max_grad = 0.0;
            break;
        }
        // Hessian on the free coordinates (central differences, unprojected evaluation).
        let k = free.len();
        let mut hess = vec![0.0; k * k];
        for a in 0..k {
            for b in a..k {
                let (ja, jb) = (free[a], free[b]);
                let (ha, hb) = (100.0 * h(x[ja]), 100.0 * h(x[jb]));
                let v = if a == b {
                    let mut y = x.clone();
                    y[ja] += ha;
                    let p1 = obj.raw(&y);
                    y[ja] = x[ja] - ha;
                    let m1 = obj.raw(&y);
                    (p1 - 2.0 * fx + m1) / (ha * ha)
                } else {
                    let mut e = |sa: f64, sb: f64| {
                        let mut y = x.clone();
                        y[ja] += sa * ha;
                        y[jb] += sb * hb;
                        obj.raw(&y)
                    };
                    (e(1.0, 1.0) - e(1.0, -1.0) - e(-1.0, 1.0) + e(-1.0, -1.0)) / (4.0 * ha * hb)
                };
                hess[a * k + b] = v;
                hess[b * k + a] = v;
            }
        }
        // Levenberg damping until the Hessian is positive definite.
        let mut lambda = 0.0;
        let mut dir = None;
        for _ in 0..30 {
            let mut m = hess.clone();
            for a in 0..k {
                m[a * k + a] += lambda;
            }
            if crate::linalg::cholesky_in_place(&mut m, k).is_ok() {
                let mut d: Vec<f64> = free.iter().map(|j| -grad[*j]).collect();
                crate::linalg::forward_solve(&m, k, &mut d);
                crate::linalg::backward_solve_t(&m, k, &mut d);
                dir = Some(d);
                break;
            }
            let diag_max = (0..k).map(|a| hess[a * k + a].abs()).fold(1e-8, f64::max);
            lambda = if lambda == 0.0 {
                1e-6 * diag_max
            } else {
                lambda * 10.0
            };
        }
        let Some(dir) = dir else { break };
        let dmax = dir.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let mut alpha = 1.0;
        let mut accepted = false;
        for _ in 0..30 {
            let mut y = x.clone();
            for (a, j) in free.iter().enumerate() {
                y[*j] += alpha * dir[a];
            }
            let y = project(&y, lower);
            let fy = obj.projected(&y);
            if fy <= fx {
                let gain = fx - fy;
                x = y;
                fx = fy;
                accepted = gain > 0.0;
                break;
            }
            alpha *= 0.5;
        }
        if !accepted || alpha * dmax < 1e-10 * (1.0 + x.iter().fold(0.0f64, |m, v| m.max(v.abs())))
        {
            polish_ok = true;
            break;
        }
    }
    Minimum {
        x,
        f: fx,
        evals: obj.evals,
        converged: (nm_converged || polish_ok) && obj.evals < max_evals,
        max_grad,
    }
}

/// Nelder–Mead from `x0` with an initial simplex of side `step`. Returns the best vertex, its
/// value and whether the tolerances (value spread 1e-12 relative, simplex size 1e-9) were met.
fn nelder_mead(
    obj: &mut Objective<'_>,
    x0: &[f64],
    step: f64,
    max_evals: usize,
) -> (Vec<f64>, f64, bool) {
    let n = x0.len();
    let mut simplex: Vec<Vec<f64>> = vec![x0.to_vec()];
    for j in 0..n {
        let mut v = x0.to_vec();
        v[j] += if x0[j].abs() > 1e-8 {
            step * x0[j].abs().max(0.1)
        } else {
            step
        };
        simplex.push(v);
    }
    let mut values: Vec<f64> = simplex.iter().map(|v| obj.projected(v)).collect();
    // Stagnation guard: an objective with rounding noise (an inner iteration) can keep the
    // value spread above tolerance forever; stop when the best value has not improved
    // meaningfully for many iterations and leave the rest to the Newton polish.
    let mut best_seen = f64::INFINITY;
    let mut stale = 0usize;
    loop {
        let mut order: Vec<usize> = (0..=n).collect();
        order.sort_by(|a, b| values[*a].total_cmp(&values[*b]));
        simplex = order.iter().map(|i| simplex[*i].clone()).collect();
        values = order.iter().map(|i| values[*i]).collect();
        let spread = values[n] - values[0];
        let size = (1..=n)
            .flat_map(|i| (0..n).map(move |j| (i, j)))
            .map(|(i, j)| (simplex[i][j] - simplex[0][j]).abs())
            .fold(0.0, f64::max);
        if spread <= 1e-12 * (1.0 + values[0].abs()) && size <= 1e-9 {
            return (simplex[0].clone(), values[0], true);
        }
        if obj.evals >= max_evals {
            return (simplex[0].clone(), values[0], false);
        }
        if values[0] < best_seen - 1e-13 * (1.0 + values[0].abs()) {
            best_seen = values[0];
            stale = 0;
        } else {
            stale += 1;
            if stale > 100 * (n + 1) {
                return (simplex[0].clone(), values[0], size <= 1e-6);
            }
        }
        let centroid: Vec<f64> = (0..n)
            .map(|j| simplex[..n].iter().map(|v| v[j]).sum::<f64>() / n as f64)
            .collect();
        let along = |t: f64| -> Vec<f64> {
            (0..n)
                .map(|j| centroid[j] + t * (simplex[n][j] - centroid[j]))
                .collect()
        };
        let xr = along(-1.0);
        let fr = obj.projected(&xr);
        if fr < values[0] {
            let xe = along(-2.0);
            let fe = obj.projected(&xe);
            if fe < fr {
                simplex[n] = xe;
                values[n] = fe;
            } else {
                simplex[n] = xr;
                values[n] = fr;
            }
        } else if fr < values[n - 1] {
            simplex[n] = xr;
            values[n] = fr;
        } else {
            let (xc, fc) = if fr < values[n] {
                let xc = along(-0.5);
                let fc = obj.projected(&xc);
                (xc, fc)
            } else {
                let xc = along(0.5);
                let fc = obj.projected(&xc);
                (xc, fc)
            };
            if fc < values[n].min(fr) {
                simplex[n] = xc;
                values[n] = fc;
            } else {
                for i in 1..=n {
                    let v: Vec<f64> = (0..n)
                        .map(|j| simplex[0][j] + 0.5 * (simplex[i][j] - simplex[0][j]))
                        .collect();
                    values[i] = obj.projected(&v);
                    simplex[i] = v;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_interior_and_boundary_minima() {
        let mut f = |x: &[f64]| (x[0] - 1.5).powi(2) + 10.0 * (x[1] + 0.3).powi(2) + x[0] * x[1];
        let m = minimize(&mut f, &[1.0, 0.0], &[0.0, f64::NEG_INFINITY], 10_000);
        // Stationary point: 2(x0-1.5)+x1 = 0, 20(x1+0.3)+x0 = 0.
        let x1 = (-6.0 - 1.5) / (20.0 - 0.5);
        let x0 = 1.5 - x1 / 2.0;
        assert!(
            (m.x[0] - x0).abs() < 1e-7 && (m.x[1] - x1).abs() < 1e-7,
            "{m:?}"
        );
        let mut g = |x: &[f64]| (x[0] + 1.0).powi(2) + (x[1] - 2.0).powi(2);
        let m = minimize(&mut g, &[1.0, 1.0], &[0.0, 0.0], 10_000);
        assert!(m.x[0].abs() < 1e-12 && (m.x[1] - 2.0).abs() < 1e-7, "{m:?}");
        assert!(m.converged);
    }
}
