//! Parity monomials chi_S(x) = prod_{j in S} x_j with 1 <= |S| <= d, ordered like
//! scikit-learn's `PolynomialFeatures(d, interaction_only=True)` without its bias
//! column: by degree, then lexicographically. The constant is the Lasso intercept.

use ndarray::{Array2, ShapeBuilder};

/// Number of monomials of degree 1..=d over n variables.
pub fn count(n: usize, d: usize) -> u128 {
    (1..=d.min(n)).map(|k| binomial(n as u128, k as u128)).sum()
}

/// n choose k, saturating.
pub fn binomial(n: u128, k: u128) -> u128 {
    if k > n {
        return 0;
    }
    let k = k.min(n - k);
    (0..k).fold(1u128, |acc, i| acc.saturating_mul(n - i) / (i + 1))
}

/// All monomials of degree 1..=d over variables `0..n`, in feature order.
pub fn monomials(n: usize, d: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    for k in 1..=d.min(n) {
        let mut s: Vec<usize> = (0..k).collect();
        loop {
            out.push(s.clone());
            // Advance to the next k-subset in lexicographic order.
            let Some(i) = (0..k).rev().find(|&i| s[i] < n - k + i) else { break };
            s[i] += 1;
            for j in i + 1..k {
                s[j] = s[j - 1] + 1;
            }
        }
    }
    out
}

/// The value of a monomial at a ±1 point.
pub fn parity(x: &[i8], monomial: &[usize]) -> f64 {
    let negatives = monomial.iter().filter(|&&j| x[j] < 0).count();
    if negatives % 2 == 0 {
        1.0
    } else {
        -1.0
    }
}

/// The T x N feature matrix (column-major) of `samples` (rows of ±1 over the variables).
pub fn matrix(samples: &[Vec<i8>], monomials: &[Vec<usize>]) -> Array2<f64> {
    let mut x = Array2::<f64>::zeros((samples.len(), monomials.len()).f());
    for (c, m) in monomials.iter().enumerate() {
        let mut col = x.column_mut(c);
        for (r, s) in samples.iter().enumerate() {
            col[r] = parity(s, m);
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_matches_polynomial_features() {
        let m = monomials(4, 2);
        let expected: Vec<Vec<usize>> = vec![
            vec![0],
            vec![1],
            vec![2],
            vec![3],
            vec![0, 1],
            vec![0, 2],
            vec![0, 3],
            vec![1, 2],
            vec![1, 3],
            vec![2, 3],
        ];
        assert_eq!(m, expected);
    }

    #[test]
    fn counts() {
        assert_eq!(count(60, 3), 36_050);
        assert_eq!(monomials(60, 3).len(), 36_050);
        assert_eq!(count(100, 3), 166_750);
        assert_eq!(count(3, 5), 7);
    }

    #[test]
    fn parity_values() {
        assert_eq!(parity(&[1, -1, -1], &[1, 2]), 1.0);
        assert_eq!(parity(&[1, -1, -1], &[0, 1]), -1.0);
        let x = matrix(&[vec![1, -1], vec![-1, -1]], &monomials(2, 2));
        assert_eq!(x.row(0).to_vec(), vec![1.0, -1.0, -1.0]);
        assert_eq!(x.row(1).to_vec(), vec![-1.0, -1.0, 1.0]);
    }
}
