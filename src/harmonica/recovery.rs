//! Polynomial Sparse Recovery: a Lasso over parity features, then the largest
//! nonzero terms.
//!
//! The objective is scikit-learn's with an unpenalized intercept:
//! minimize (1/(2T)) ||y - X a - b||^2 + alpha ||a||_1. The intercept is handled the
//! way scikit-learn does it: centre X's columns and y, fit without intercept, then
//! b = mean(y) - mean(X) . a.

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
    /// One coefficient per feature column.
    pub coef: Vec<f64>,
    /// The unpenalized intercept.
    pub intercept: f64,
}

/// Errors of a fit.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FitError {
    /// The solver failed.
    #[error("the Lasso solver failed: {0}")]
    Solver(String),
}

/// Fits the Lasso with `linfa-elasticnet` on a dense feature matrix.
pub fn fit_linfa(x: &Array2<f64>, y: &Array1<f64>, alpha: f64) -> Result<LassoFit, FitError> {
    let t = x.nrows();
    if t == 0 {
        return Ok(LassoFit { coef: vec![0.0; x.ncols()], intercept: 0.0 });
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
        .tolerance(TOLERANCE)
        .max_iterations(MAX_ITERATIONS)
        .fit(&Dataset::new(xc, yc))
        .map_err(|e| FitError::Solver(e.to_string()))?;
    let coef = model.hyperplane().to_vec();
    let intercept = y_mean - x_mean.dot(model.hyperplane());
    Ok(LassoFit { coef, intercept })
}

/// The `s` largest |coefficients| that are nonzero: (column, coefficient), largest
/// first, ties broken by the lower column.
pub fn top_terms(coef: &[f64], s: usize) -> Vec<(usize, f64)> {
    let mut nonzero: Vec<(usize, f64)> = coef.iter().copied().enumerate().filter(|(_, c)| *c != 0.0).collect();
    nonzero.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
    nonzero.truncate(s);
    nonzero
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_terms_skips_zeros_and_orders_by_size() {
        let got = top_terms(&[0.0, -3.0, 1.0, 3.0, 0.5], 3);
        assert_eq!(got, vec![(1, -3.0), (3, 3.0), (2, 1.0)]);
        assert!(top_terms(&[0.0, 0.0], 5).is_empty());
    }
}
