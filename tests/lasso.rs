//! The Lasso step against scikit-learn's coefficients for a fixed problem
//! (tests/data/lasso_sklearn.json, written by tests/data/make_lasso_fixture.py).

use harmonica::harmonica::lasso::{self, Params, ParityDesign};
use harmonica::harmonica::{features, recovery};
use ndarray::Array1;
use serde::Deserialize;

#[derive(Deserialize)]
struct Problem {
    alpha: f64,
    coef: Vec<f64>,
    intercept: f64,
}

#[derive(Deserialize)]
struct Fixture {
    n: usize,
    degree: usize,
    x: Vec<Vec<i8>>,
    y: Vec<f64>,
    problems: Vec<Problem>,
}

/// (column, coefficient) for the nonzero coefficients.
fn sparse(coef: &[f64]) -> Vec<(usize, f64)> {
    coef.iter().copied().enumerate().filter(|(_, c)| *c != 0.0).collect()
}

fn fixture() -> Fixture {
    let text = std::fs::read_to_string("tests/data/lasso_sklearn.json").expect("fixture present");
    serde_json::from_str(&text).expect("fixture parses")
}

/// linfa stops at scikit-learn's default tolerance (1e-4 on the duality gap), the
/// fixture is solved to 1e-10, so coefficients agree to this absolute tolerance.
const TOL: f64 = 2e-3;

#[test]
fn linfa_matches_scikit_learn_coefficients() {
    let f = fixture();
    let monomials = features::monomials(f.n, f.degree);
    let x = features::matrix(&f.x, &monomials);
    let y = Array1::from(f.y.clone());
    for p in &f.problems {
        let fit = recovery::fit_linfa(&x, &y, p.alpha).expect("fit");
        assert_eq!(fit.n_features, p.coef.len());
        for (j, (a, b)) in fit.dense().iter().zip(&p.coef).enumerate() {
            assert!((a - b).abs() < TOL, "alpha {}: coef {j} is {a}, scikit-learn {b}", p.alpha);
        }
        assert!((fit.intercept - p.intercept).abs() < TOL, "alpha {}: intercept {}", p.alpha, fit.intercept);
        let ours: Vec<usize> = recovery::top_terms(&fit.nonzeros, 3).into_iter().map(|(c, _)| c).collect();
        let theirs: Vec<usize> = recovery::top_terms(&sparse(&p.coef), 3).into_iter().map(|(c, _)| c).collect();
        assert_eq!(ours, theirs, "alpha {}", p.alpha);
    }
}

#[test]
fn large_alpha_learns_nothing() {
    let f = fixture();
    let monomials = features::monomials(f.n, f.degree);
    let x = features::matrix(&f.x, &monomials);
    let fit = recovery::fit_linfa(&x, &Array1::from(f.y.clone()), 10.0).expect("fit");
    assert!(fit.nonzeros.is_empty());
    assert!(recovery::top_terms(&fit.nonzeros, 5).is_empty());
    let mean = f.y.iter().sum::<f64>() / f.y.len() as f64;
    assert!((fit.intercept - mean).abs() < 1e-12);
}

#[test]
fn planted_terms_are_recovered() {
    let f = fixture();
    let monomials = features::monomials(f.n, f.degree);
    let x = features::matrix(&f.x, &monomials);
    let fit = recovery::fit_linfa(&x, &Array1::from(f.y.clone()), 0.1).expect("fit");
    let names: Vec<&[usize]> =
        recovery::top_terms(&fit.nonzeros, 3).into_iter().map(|(c, _)| monomials[c].as_slice()).collect();
    assert_eq!(names, vec![&[0usize, 1][..], &[4][..], &[2, 5][..]]);
}

/// The matrix-free solver run to the fixture's tolerance (1e-10) matches
/// scikit-learn's coefficients to 1e-6 (here T = 40 > N = 21, a case linfa handles
/// by inverting X^T X and the working set never sees).
#[test]
fn fast_solver_matches_scikit_learn_coefficients() {
    let f = fixture();
    let design = ParityDesign::new(&f.x, f.n, f.degree).expect("a small design");
    for p in &f.problems {
        let params = Params { alpha: p.alpha, tol: 1e-10, max_sweeps: 100_000 };
        let fit = lasso::fit(&design, &f.y, &params, None);
        assert!(fit.stats.converged, "alpha {}: {:?}", p.alpha, fit.stats);
        for (j, (a, b)) in fit.dense().iter().zip(&p.coef).enumerate() {
            assert!((a - b).abs() < 1e-6, "alpha {}: coef {j} is {a}, scikit-learn {b}", p.alpha);
        }
        assert!((fit.intercept - p.intercept).abs() < 1e-6, "alpha {}: intercept {}", p.alpha, fit.intercept);
        let ours: Vec<usize> = recovery::top_terms(&fit.nonzeros, 3).into_iter().map(|(c, _)| c).collect();
        let theirs: Vec<usize> = recovery::top_terms(&sparse(&p.coef), 3).into_iter().map(|(c, _)| c).collect();
        assert_eq!(ours, theirs, "alpha {}", p.alpha);
    }
}
