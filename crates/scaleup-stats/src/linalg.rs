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

/// In-place lower Cholesky like [`cholesky_in_place`], computed row by row ("up-looking"):
/// row `i` of `L` solves `L[..i, ..i] x = A[i, ..i]` by column-oriented forward substitution
/// that skips exact zeros. For the mixed-model Schur complements of nested designs most of
/// each row is structurally zero, so this costs a small fraction of the dense `n³/3` while
/// giving the same result (to rounding) on dense matrices. `scratch` (resized to `n²`) holds a
/// column-major copy of `L` for contiguous column access.
pub fn cholesky_skip_zeros(a: &mut [f64], n: usize, scratch: &mut Vec<f64>) -> Result<(), usize> {
    scratch.clear();
    scratch.resize(n * n, 0.0);
    let mut x = vec![0.0; n];
    for i in 0..n {
        x[..i].copy_from_slice(&a[i * n..i * n + i]);
        let mut dsum = 0.0;
        for j in 0..i {
            if x[j] == 0.0 {
                continue;
            }
            let xj = x[j] / scratch[j * n + j];
            x[j] = xj;
            dsum += xj * xj;
            let col = &scratch[j * n + j + 1..j * n + i];
            for (xk, l) in x[j + 1..i].iter_mut().zip(col) {
                *xk -= l * xj;
            }
        }
        let d = a[i * n + i] - dsum;
        if d <= 0.0 || !d.is_finite() {
            return Err(i);
        }
        let d = d.sqrt();
        scratch[i * n + i] = d;
        a[i * n + i] = d;
        for j in 0..i {
            a[i * n + j] = x[j];
            if x[j] != 0.0 {
                scratch[j * n + i] = x[j];
            }
        }
        for k in i + 1..n {
            a[i * n + k] = 0.0;
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

/// Solves `L x = b` in place with `L` stored column-major (`lcm[j * n + i] = L[i][j]`),
/// column by column, skipping zero entries of the running solution: cheap for sparse `b` and
/// sparse `L`.
pub fn forward_solve_cm_skip(lcm: &[f64], n: usize, b: &mut [f64]) {
    for j in 0..n {
        if b[j] == 0.0 {
            continue;
        }
        let xj = b[j] / lcm[j * n + j];
        b[j] = xj;
        for (bk, l) in b[j + 1..].iter_mut().zip(&lcm[j * n + j + 1..(j + 1) * n]) {
            *bk -= l * xj;
        }
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
        assert_eq!(cholesky_in_place(&mut [1.0, 2.0, 2.0, 1.0], 2), Err(1));
    }

    #[test]
    fn zero_skipping_cholesky_matches_dense() {
        // A sparse SPD matrix: arrow shape plus a dense trailing block, as in nested designs.
        let n = 9;
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            a[i * n + i] = 4.0 + i as f64;
        }
        for i in 0..n {
            for j in 0..i {
                let v = if i >= 6 || (i == 5 && j < 3) || (i == j + 1 && i < 5) {
                    0.3 + 0.1 * ((i * 7 + j * 3) % 5) as f64
                } else {
                    0.0
                };
                a[i * n + j] = v;
                a[j * n + i] = v;
            }
        }
        let mut dense = a.clone();
        cholesky_in_place(&mut dense, n).unwrap();
        let mut sparse = a.clone();
        let mut scratch = Vec::new();
        cholesky_skip_zeros(&mut sparse, n, &mut scratch).unwrap();
        for (x, y) in dense.iter().zip(&sparse) {
            assert!((x - y).abs() < 1e-14, "{x} vs {y}");
        }
        let mut bad = vec![1.0, 2.0, 2.0, 1.0];
        assert_eq!(cholesky_skip_zeros(&mut bad, 2, &mut scratch), Err(1));
    }

    #[test]
    fn jacobi_eigenvalues() {
        let (vals, _) = sym_eigen(&[2.0, 1.0, 1.0, 2.0], 2);
        let mut vals = vals;
        vals.sort_by(|a, b| a.partial_cmp(b).unwrap());
        assert!((vals[0] - 1.0).abs() < 1e-12 && (vals[1] - 3.0).abs() < 1e-12);
    }
}
