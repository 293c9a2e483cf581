//! Small dense linear algebra on row-major `Vec<f64>` matrices: Cholesky, triangular solves,
//! inverses and a symmetric eigen-decomposition (cyclic Jacobi). The mixed-model code works on
//! many tiny blocks (one per group) and one moderate dense block, where these plain loops are
//! faster than a general library and keep the crate dependency-free.

/// In-place lower Cholesky of the `n × n` row-major symmetric matrix `a` (only the lower triangle
/// is read; the strict upper triangle is zeroed). Returns the index of the first non-positive
/// pivot on failure.
pub fn cholesky_in_place(a: &mut [f64], n: usize) -> Result<(), usize> {
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        if d <= 0.0 || !d.is_finite() {
            return Err(j);
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / d;
        }
        for k in j + 1..n {
            a[j * n + k] = 0.0;
        }
    }
    Ok(())
}

/// Solves `L x = b` in place for lower-triangular row-major `l` (`n × n`).
pub fn forward_solve(l: &[f64], n: usize, b: &mut [f64]) {
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i * n + k] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

/// Solves `L' x = b` in place for lower-triangular row-major `l` (`n × n`).
pub fn backward_solve_t(l: &[f64], n: usize, b: &mut [f64]) {
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= l[k * n + i] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

/// `(L L')⁻¹` for lower-triangular row-major `l`, as a full row-major matrix.
pub fn chol_inverse(l: &[f64], n: usize) -> Vec<f64> {
    let mut out = vec![0.0; n * n];
    let mut col = vec![0.0; n];
    for j in 0..n {
        col.iter_mut().for_each(|c| *c = 0.0);
        col[j] = 1.0;
        forward_solve(l, n, &mut col);
        backward_solve_t(l, n, &mut col);
        for i in 0..n {
            out[i * n + j] = col[i];
        }
    }
    out
}

/// Eigen-decomposition of a symmetric row-major matrix by cyclic Jacobi rotations.
/// Returns `(eigenvalues, eigenvectors)` with eigenvectors as the columns of a row-major matrix.
pub fn sym_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut m = a.to_vec();
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    for _sweep in 0..100 {
        let mut off = 0.0;
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    off += m[i * n + j] * m[i * n + j];
                }
            }
        }
        let scale: f64 = (0..n).map(|i| m[i * n + i] * m[i * n + i]).sum::<f64>() + off;
        if off <= 1e-30 * scale.max(1e-300) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[p * n + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let app = m[p * n + p];
                let aqq = m[q * n + q];
                let tau = (aqq - app) / (2.0 * apq);
                let t = tau.signum() / (tau.abs() + (1.0 + tau * tau).sqrt());
                let t = if tau == 0.0 { 1.0 } else { t };
                let c = 1.0 / (1.0 + t * t).sqrt();
                let s = t * c;
                for k in 0..n {
                    let mkp = m[k * n + p];
                    let mkq = m[k * n + q];
                    m[k * n + p] = c * mkp - s * mkq;
                    m[k * n + q] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let mpk = m[p * n + k];
                    let mqk = m[q * n + k];
                    m[p * n + k] = c * mpk - s * mqk;
                    m[q * n + k] = s * mpk + c * mqk;
                }
                for k in 0..n {
                    let vkp = v[k * n + p];
                    let vkq = v[k * n + q];
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| m[i * n + i]).collect(), v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_and_inverse_of_a_known_matrix() {
        // A = [[4, 2], [2, 3]]: L = [[2, 0], [1, sqrt 2]], A⁻¹ = [[3, -2], [-2, 4]] / 8.
        let mut a = vec![4.0, 2.0, 2.0, 3.0];
        cholesky_in_place(&mut a, 2).unwrap();
        assert!((a[3] - 2f64.sqrt()).abs() < 1e-15);
        let inv = chol_inverse(&a, 2);
        let want = [0.375, -0.25, -0.25, 0.5];
        for (x, w) in inv.iter().zip(want) {
            assert!((x - w).abs() < 1e-15);
        }
        assert_eq!(cholesky_in_place(&mut vec![1.0, 2.0, 2.0, 1.0], 2), Err(1));
    }

    #[test]
    fn jacobi_eigenvalues() {
        let (vals, _) = sym_eigen(&[2.0, 1.0, 1.0, 2.0], 2);
        let mut vals = vals;
        vals.sort_by(|a, b| a.partial_cmp(b).unwrap());
        assert!((vals[0] - 1.0).abs() < 1e-12 && (vals[1] - 3.0).abs() < 1e-12);
    }
}
