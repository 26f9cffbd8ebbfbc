//! The few dense linear-algebra pieces the SGD lab needs beyond ndarray's products:
//! the spectral norm, a random orthogonal matrix, and the assignment problem that
//! matches a vanilla net's hidden units to the teacher's.

use ndarray::linalg::general_mat_vec_mul;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::Rng;
use rand_distr::StandardNormal;

/// A matrix of independent standard normal entries.
pub fn gaussian(rows: usize, cols: usize, rng: &mut impl Rng) -> Array2<f64> {
    Array2::from_shape_simple_fn((rows, cols), || rng.sample(StandardNormal))
}

/// Buffers for power iteration on a^T a for matrices with `rows` rows and `cols` columns.
#[derive(Clone, Debug)]
pub struct PowerIteration {
    v: Array1<f64>,
    av: Array1<f64>,
    w: Array1<f64>,
}

impl PowerIteration {
    /// Buffers, started from a fixed vector that is not orthogonal to a typical top
    /// singular vector.
    pub fn new(rows: usize, cols: usize) -> Self {
        let v = Array1::from_shape_fn(cols, |i| 1.0 + 0.01 * i as f64);
        Self { v, av: Array1::zeros(rows), w: Array1::zeros(cols) }
    }

    /// The spectral norm ||a||_2, after at most `iters` iterations or once the estimate
    /// changes by less than `tol` relatively. The vector is kept, so the next call on a
    /// nearby matrix starts warm. Allocates nothing.
    pub fn norm(&mut self, a: &ArrayView2<f64>, iters: usize, tol: f64) -> f64 {
        let mut sigma = 0.0;
        for _ in 0..iters {
            general_mat_vec_mul(1.0, a, &self.v, 0.0, &mut self.av);
            general_mat_vec_mul(1.0, &a.t(), &self.av, 0.0, &mut self.w);
            let norm_w = self.w.dot(&self.w).sqrt();
            if norm_w == 0.0 {
                return 0.0;
            }
            let next = self.av.dot(&self.av).sqrt();
            self.v.zip_mut_with(&self.w, |v, w| *v = w / norm_w);
            let converged = (next - sigma).abs() <= tol * next;
            sigma = next;
            if converged {
                break;
            }
        }
        sigma
    }
}

/// The spectral norm of `a`, to near machine precision.
pub fn spectral_norm(a: &ArrayView2<f64>) -> f64 {
    PowerIteration::new(a.nrows(), a.ncols()).norm(a, 5000, 1e-14)
}

/// A Haar-random orthogonal matrix: Gram-Schmidt (twice, for stability) on the
/// columns of a Gaussian matrix, which gives R a positive diagonal.
pub fn orthogonal(d: usize, rng: &mut impl Rng) -> Array2<f64> {
    let mut q = gaussian(d, d, rng);
    for j in 0..d {
        for _pass in 0..2 {
            for i in 0..j {
                let proj = q.column(i).dot(&q.column(j));
                let qi = q.column(i).to_owned();
                q.column_mut(j).scaled_add(-proj, &qi);
            }
        }
        let norm = q.column(j).dot(&q.column(j)).sqrt();
        q.column_mut(j).mapv_inplace(|x| x / norm);
    }
    q
}

/// The Q factor of a Householder QR of a Gaussian matrix with LAPACK's sign
/// convention (what `numpy.linalg.qr` returns): R_kk = -sign(a_kk) ||a_k||. This Q is
/// orthogonal but not Haar: its diagonal leans negative (about -sqrt(2/(pi d)) per
/// entry), which matters for a teacher I + s Q. [`orthogonal`] is the Haar one.
pub fn householder_q(d: usize, rng: &mut impl Rng) -> Array2<f64> {
    let mut a = gaussian(d, d, rng);
    let mut reflectors: Vec<Array1<f64>> = Vec::with_capacity(d);
    for k in 0..d {
        let mut v = a.slice(ndarray::s![k.., k]).to_owned();
        let norm = v.dot(&v).sqrt();
        let alpha = if v[0] >= 0.0 { -norm } else { norm };
        v[0] -= alpha;
        let vn = v.dot(&v).sqrt();
        if vn > 0.0 {
            v.mapv_inplace(|x| x / vn);
        }
        // A[k.., k..] <- (I - 2 v v^T) A[k.., k..]
        let mut sub = a.slice_mut(ndarray::s![k.., k..]);
        let w = v.dot(&sub);
        for (i, vi) in v.iter().enumerate() {
            sub.row_mut(i).scaled_add(-2.0 * vi, &w);
        }
        reflectors.push(v);
    }
    // Q = H_0 H_1 ... H_{d-1}, applied to I from the right-most reflector.
    let mut q = Array2::<f64>::eye(d);
    for (k, v) in reflectors.iter().enumerate().rev() {
        let mut sub = q.slice_mut(ndarray::s![k.., k..]);
        let w = v.dot(&sub);
        for (i, vi) in v.iter().enumerate() {
            sub.row_mut(i).scaled_add(-2.0 * vi, &w);
        }
    }
    q
}

/// The Frobenius norm.
pub fn frobenius(a: &ArrayView2<f64>) -> f64 {
    a.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Column norms of `a` into `out`.
pub fn column_norms(a: &ArrayView2<f64>, out: &mut Array1<f64>) {
    for (o, col) in out.iter_mut().zip(a.axis_iter(Axis(1))) {
        *o = col.dot(&col).sqrt();
    }
}

/// The assignment minimizing the total cost: `assign[i]` is the column given to row
/// `i` of the square matrix `cost` (Hungarian method with potentials, O(n^3)).
pub fn min_cost_assignment(cost: &ArrayView2<f64>) -> Vec<usize> {
    let n = cost.nrows();
    // 1-based arrays as in the classic formulation; index 0 is the virtual start.
    let mut u = vec![0.0; n + 1];
    let mut v = vec![0.0; n + 1];
    let mut p = vec![0usize; n + 1];
    let mut way = vec![0usize; n + 1];
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0;
        let mut minv = vec![f64::INFINITY; n + 1];
        let mut used = vec![false; n + 1];
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let mut delta = f64::INFINITY;
            let mut j1 = 0;
            for j in 1..=n {
                if used[j] {
                    continue;
                }
                let cur = cost[[i0 - 1, j - 1]] - u[i0] - v[j];
                if cur < minv[j] {
                    minv[j] = cur;
                    way[j] = j0;
                }
                if minv[j] < delta {
                    delta = minv[j];
                    j1 = j;
                }
            }
            if j1 == 0 {
                // Only non-finite costs remain; stop with what is assigned.
                break;
            }
            for j in 0..=n {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        while j0 != 0 {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        }
    }
    let mut assign = vec![0; n];
    for j in 1..=n {
        if p[j] > 0 {
            assign[p[j] - 1] = j - 1;
        }
    }
    assign
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn spectral_norm_of_diagonal() {
        let a = array![[3.0, 0.0], [0.0, -5.0]];
        assert!((spectral_norm(&a.view()) - 5.0).abs() < 1e-12);
    }

    #[test]
    fn orthogonal_is_orthogonal() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let q = orthogonal(30, &mut rng);
        let qtq = q.t().dot(&q);
        let err = (&qtq - &Array2::<f64>::eye(30)).iter().fold(0.0f64, |m, x| m.max(x.abs()));
        assert!(err < 1e-13, "{err}");
        assert!((spectral_norm(&q.view()) - 1.0).abs() < 1e-10);
    }

    #[test]
    fn householder_q_is_orthogonal_with_a_negative_diagonal() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let q = householder_q(50, &mut rng);
        let err = (&q.t().dot(&q) - &Array2::<f64>::eye(50)).iter().fold(0.0f64, |m, x| m.max(x.abs()));
        assert!(err < 1e-12, "{err}");
        // E[Q_kk] is about -sqrt(2 / (pi d)) = -0.113 at d = 50.
        let mean = q.diag().sum() / 50.0;
        assert!(mean < -0.05, "{mean}");
    }

    #[test]
    fn assignment_finds_the_permutation() {
        let cost = array![[4.0, 1.0, 3.0], [2.0, 0.0, 5.0], [3.0, 2.0, 2.0]];
        // Optimal: row0->col1 (1), row1->col0 (2), row2->col2 (2) = 5.
        assert_eq!(min_cost_assignment(&cost.view()), vec![1, 0, 2]);
    }

    #[test]
    fn assignment_matches_brute_force() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let cost = gaussian(5, 5, &mut rng);
        let a = min_cost_assignment(&cost.view());
        let total = |p: &[usize]| p.iter().enumerate().map(|(i, &j)| cost[[i, j]]).sum::<f64>();
        let mut best = f64::INFINITY;
        let mut perm: Vec<usize> = (0..5).collect();
        permute(&mut perm, 0, &mut |p| best = best.min(total(p)));
        assert!((total(&a) - best).abs() < 1e-12);
    }

    fn permute(p: &mut Vec<usize>, k: usize, f: &mut impl FnMut(&[usize])) {
        if k == p.len() {
            f(p);
            return;
        }
        for i in k..p.len() {
            p.swap(k, i);
            permute(p, k + 1, f);
            p.swap(k, i);
        }
    }
}
