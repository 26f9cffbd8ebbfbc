//! Polynomial Sparse Recovery: a Lasso over parity features, then the largest
//! nonzero terms.
//!
//! The objective is scikit-learn's with an unpenalized intercept:
//! minimize (1/(2T)) ||y - X a - b||^2 + alpha ||a||_1. Two solvers reach it: the
//! matrix-free [`super::lasso`] (the default) and [`fit_linfa`], `linfa-elasticnet`
//! on the dense matrix, kept as the reference the first is tested against.

use linfa::prelude::*;
use linfa_elasticnet::ElasticNet;
use ndarray::{Array1, Array2, Axis};

/// Stopping tolerance (scikit-learn's default).
pub const TOLERANCE: f64 = 1e-4;
/// Sweep limit (scikit-learn's default).
pub const MAX_ITERATIONS: u32 = 1000;

/// A fitted sparse linear model over the features.
#[derive(Clone, Debug, PartialEq)]
pub struct LassoFit {
    /// Number of feature columns fitted.
    pub n_features: usize,
    /// The nonzero coefficients as (column, coefficient), columns ascending.
    pub nonzeros: Vec<(usize, f64)>,
    /// The unpenalized intercept.
    pub intercept: f64,
    /// How the solver got there.
    pub stats: FitStats,
}

impl LassoFit {
    /// A fit with every coefficient zero.
    pub fn zero(n_features: usize, intercept: f64) -> Self {
        LassoFit {
            n_features,
            nonzeros: Vec::new(),
            intercept,
            stats: FitStats { converged: true, ..FitStats::default() },
        }
    }

    /// Every coefficient, zeros included.
    pub fn dense(&self) -> Vec<f64> {
        let mut coef = vec![0.0; self.n_features];
        for &(j, c) in &self.nonzeros {
            coef[j] = c;
        }
        coef
    }
}

/// Counters of a fit.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FitStats {
    /// Passes over all feature columns (the matrix-free solver; 0 for linfa).
    pub passes: usize,
    /// Coordinate-descent sweeps (over the working set, or over all columns for linfa).
    pub sweeps: u32,
    /// Columns dropped by gap-safe screening.
    pub screened: usize,
    /// The final duality gap (in the T-scaled objective, like scikit-learn's).
    pub gap: f64,
    /// The gap met the tolerance.
    pub converged: bool,
}

/// Errors of a fit.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FitError {
    /// The solver failed.
    #[error("the Lasso solver failed: {0}")]
    Solver(String),
    /// Even the matrix-free solver's per-feature state would not fit in memory.
    #[error(
        "{features} parity features would need {:.1} GiB of solver memory (limit {:.1} GiB); lower `degree` or the number of bits",
        gib(*bytes),
        gib(*limit)
    )]
    TooLarge {
        /// Feature columns.
        features: u128,
        /// Memory needed, in bytes.
        bytes: u128,
        /// The limit, in bytes.
        limit: u128,
    },
}

fn gib(bytes: u128) -> f64 {
    bytes as f64 / f64::from(1u32 << 30)
}

/// Fits the Lasso with `linfa-elasticnet` on a dense feature matrix.
pub fn fit_linfa(x: &Array2<f64>, y: &Array1<f64>, alpha: f64) -> Result<LassoFit, FitError> {
    fit_linfa_with(x, y, alpha, TOLERANCE, MAX_ITERATIONS)
}

/// [`fit_linfa`] with an explicit tolerance and sweep limit.
pub fn fit_linfa_with(
    x: &Array2<f64>,
    y: &Array1<f64>,
    alpha: f64,
    tol: f64,
    max_iter: u32,
) -> Result<LassoFit, FitError> {
    let t = x.nrows();
    if t == 0 {
        return Ok(LassoFit::zero(x.ncols(), 0.0));
    }
    let x_mean = x.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(x.ncols()));
    let y_mean = y.mean().unwrap_or(0.0);
    let mut xc = x.clone();
    xc -= &x_mean;
    let yc = y - y_mean;
    let model = ElasticNet::params()
        .penalty(alpha)
        .l1_ratio(1.0)
        .with_intercept(false)
        .tolerance(tol)
        .max_iterations(max_iter)
        .fit(&Dataset::new(xc, yc))
        .map_err(|e| FitError::Solver(e.to_string()))?;
    let nonzeros = model.hyperplane().iter().copied().enumerate().filter(|(_, c)| *c != 0.0).collect();
    let intercept = y_mean - x_mean.dot(model.hyperplane());
    let gap = model.duality_gap();
    // linfa reports neither its sweeps nor convergence; the gap is all there is.
    let stats = FitStats { gap, converged: gap < tol * y.var(0.0) * t as f64, ..FitStats::default() };
    Ok(LassoFit { n_features: x.ncols(), nonzeros, intercept, stats })
}

/// The `s` largest |coefficients| among `nonzeros` ((column, coefficient)):
/// largest first, ties broken by the lower column; zeros never count.
pub fn top_terms(nonzeros: &[(usize, f64)], s: usize) -> Vec<(usize, f64)> {
    let mut terms: Vec<(usize, f64)> = nonzeros.iter().copied().filter(|(_, c)| *c != 0.0).collect();
    terms.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
    terms.truncate(s);
    terms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_terms_skips_zeros_and_orders_by_size() {
        let got = top_terms(&[(0, 0.0), (1, -3.0), (2, 1.0), (3, 3.0), (4, 0.5)], 3);
        assert_eq!(got, vec![(1, -3.0), (3, 3.0), (2, 1.0)]);
        assert!(top_terms(&[(0, 0.0), (1, 0.0)], 5).is_empty());
    }
}
