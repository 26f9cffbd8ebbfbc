//! The matrix-free Lasso agrees with the reference, linfa-elasticnet on the dense
//! feature matrix, and recovers the paper's benchmark.

use harmonica::harmonica::features::{self, Layout};
use harmonica::harmonica::lasso::{self, Params, ParityDesign};
use harmonica::harmonica::recovery::{self, FitError, LassoFit};
use harmonica::harmonica::{Engine, Event};
use harmonica::runner::Prepared;
use ndarray::Array1;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A seeded problem: T uniform ±1 samples over n bits, y a planted sparse degree-3
/// polynomial plus uniform noise.
struct Problem {
    n: usize,
    samples: Vec<Vec<i8>>,
    y: Vec<f64>,
}

fn problem(seed: u64, n: usize, t: usize, planted: usize, noise: f64) -> Problem {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let samples: Vec<Vec<i8>> =
        (0..t).map(|_| (0..n).map(|_| if rng.gen::<bool>() { 1 } else { -1 }).collect()).collect();
    let terms: Vec<(f64, Vec<usize>)> = (0..planted)
        .map(|_| {
            let mut s: Vec<usize> = (0..3).map(|_| rng.gen_range(0..n)).collect();
            s.sort_unstable();
            s.dedup();
            (rng.gen_range(5.0..10.0) * if rng.gen::<bool>() { 1.0 } else { -1.0 }, s)
        })
        .collect();
    let y = samples
        .iter()
        .map(|x| {
            let signal: f64 = terms.iter().map(|(w, s)| w * features::parity(x, s)).sum();
            signal + noise * rng.gen::<f64>()
        })
        .collect();
    Problem { n, samples, y }
}

fn fast(p: &Problem, degree: usize, params: &Params) -> LassoFit {
    let design = ParityDesign::new(&p.samples, p.n, degree).expect("a small design fits");
    lasso::fit(&design, &p.y, params, None)
}

fn reference(p: &Problem, degree: usize, alpha: f64, tol: f64, max_iter: u32) -> LassoFit {
    let x = features::matrix(&p.samples, &features::monomials(p.n, degree));
    assert!(x.nrows() < x.ncols(), "linfa inverts an N x N matrix when T > N");
    recovery::fit_linfa_with(&x, &Array1::from_vec(p.y.clone()), alpha, tol, max_iter).expect("linfa fits")
}

/// The largest |difference| of coefficients and intercepts, relative to the largest |coefficient|.
fn relative_difference(a: &LassoFit, b: &LassoFit) -> f64 {
    let (da, db) = (a.dense(), b.dense());
    let scale = da.iter().chain(&db).fold(1e-12f64, |m, c| m.max(c.abs()));
    let coef = da.iter().zip(&db).fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    coef.max((a.intercept - b.intercept).abs()) / scale
}

fn top_columns(fit: &LassoFit, s: usize) -> Vec<usize> {
    recovery::top_terms(&fit.nonzeros, s).into_iter().map(|(c, _)| c).collect()
}

/// Both solvers at scikit-learn's defaults (tol 1e-4): the same top `s` terms, and
/// coefficients within 1% of the largest. (Past the planted terms, noise terms a
/// few hundredths apart may swap ranks at this tolerance; the tight check ranks them.)
fn assert_agree_at_defaults(p: &Problem, degree: usize, alpha: f64, s: usize) {
    let ours = fast(p, degree, &Params::new(alpha));
    let theirs = reference(p, degree, alpha, recovery::TOLERANCE, recovery::MAX_ITERATIONS);
    assert!(ours.stats.converged, "{:?}", ours.stats);
    assert_eq!(top_columns(&ours, s), top_columns(&theirs, s), "alpha {alpha}");
    let diff = relative_difference(&ours, &theirs);
    assert!(diff < 1e-2, "alpha {alpha}: relative difference {diff}");
}

/// Both solvers run to a tight gap (tol 1e-12): coefficients within 1e-8 of the
/// largest, the same support and the same top 5 terms.
fn assert_agree_tightly(p: &Problem, degree: usize, alpha: f64) -> usize {
    let params = Params { alpha, tol: 1e-12, max_sweeps: 100_000 };
    let ours = fast(p, degree, &params);
    let theirs = reference(p, degree, alpha, 1e-12, 100_000);
    assert!(ours.stats.converged, "{:?}", ours.stats);
    let diff = relative_difference(&ours, &theirs);
    assert!(diff < 1e-8, "alpha {alpha}: relative difference {diff}");
    let support = |f: &LassoFit| f.nonzeros.iter().filter(|(_, c)| c.abs() > 1e-9).map(|(j, _)| *j).collect::<Vec<_>>();
    assert_eq!(support(&ours), support(&theirs), "alpha {alpha}");
    assert_eq!(top_columns(&ours, 5), top_columns(&theirs, 5), "alpha {alpha}");
    ours.nonzeros.len()
}

#[test]
fn agrees_with_linfa_on_a_sparse_solution() {
    let p = problem(1, 12, 120, 3, 1.0);
    assert_agree_at_defaults(&p, 3, 3.0, 3);
    assert_agree_tightly(&p, 3, 3.0);
}

#[test]
fn agrees_with_linfa_with_many_nonzeros() {
    let p = problem(2, 12, 150, 4, 2.0);
    assert_agree_at_defaults(&p, 3, 0.02, 4);
    let nonzeros = assert_agree_tightly(&p, 3, 0.02);
    assert!(nonzeros >= 50, "only {nonzeros} nonzeros: not the many-nonzero case");
    let q = problem(3, 10, 100, 3, 4.0);
    assert_agree_at_defaults(&q, 3, 0.01, 3);
    let nonzeros = assert_agree_tightly(&q, 3, 0.01);
    assert!(nonzeros >= 50, "only {nonzeros} nonzeros: not the many-nonzero case");
}

#[test]
fn agrees_with_linfa_at_degrees_2_and_4() {
    let p = problem(4, 16, 100, 3, 1.0);
    assert_agree_at_defaults(&p, 2, 0.2, 3);
    assert_agree_tightly(&p, 2, 0.2);
    let q = problem(5, 9, 200, 3, 1.0);
    assert_agree_at_defaults(&q, 4, 0.5, 3);
    assert_agree_tightly(&q, 4, 0.5);
}

#[test]
fn large_alpha_gives_the_all_zero_solution_with_the_mean_as_intercept() {
    let p = problem(6, 12, 120, 3, 1.0);
    let ours = fast(&p, 3, &Params::new(1e4));
    let theirs = reference(&p, 3, 1e4, recovery::TOLERANCE, recovery::MAX_ITERATIONS);
    let mean = p.y.iter().sum::<f64>() / p.y.len() as f64;
    assert_eq!(ours.nonzeros, vec![]);
    assert_eq!(theirs.nonzeros, vec![]);
    assert!((ours.intercept - mean).abs() < 1e-12);
    assert!((theirs.intercept - mean).abs() < 1e-12);
    assert_eq!(ours.stats.passes, 1, "a zero solution is certified by one pass");
}

#[test]
fn same_result_whatever_the_thread_count() {
    let p = problem(7, 40, 200, 5, 2.0);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a thread pool");
        pool.install(|| fast(&p, 3, &Params::new(0.05)))
    };
    let one = run(1);
    assert!(one.nonzeros.len() > 20);
    assert_eq!(run(2), one);
    assert_eq!(run(5), one);
}

#[test]
fn warm_start_from_the_solution_stops_after_one_pass() {
    let p = problem(8, 30, 200, 5, 2.0);
    let design = ParityDesign::new(&p.samples, p.n, 3).expect("fits");
    let params = Params::new(0.1);
    let cold = lasso::fit(&design, &p.y, &params, None);
    let warm = lasso::fit(&design, &p.y, &params, Some(&cold.nonzeros));
    assert_eq!(warm.stats.passes, 1);
    assert_eq!(warm.nonzeros, cold.nonzeros);
    assert!((warm.intercept - cold.intercept).abs() < 1e-12);
    // Warm from a neighbouring penalty reaches the same point as a cold start.
    let tight = Params { alpha: 0.2, tol: 1e-12, max_sweeps: 100_000 };
    let from_warm = lasso::fit(&design, &p.y, &tight, Some(&cold.nonzeros));
    let from_cold = lasso::fit(&design, &p.y, &tight, None);
    assert!(relative_difference(&from_warm, &from_cold) < 1e-6);
}

#[test]
fn solution_satisfies_the_optimality_conditions() {
    // |x_cj . r| <= lambda everywhere, = lambda sign(a_j) on the support.
    let p = problem(9, 20, 150, 4, 3.0);
    let alpha = 0.1;
    let fit = fast(&p, 3, &Params { alpha, tol: 1e-12, max_sweeps: 100_000 });
    let x = features::matrix(&p.samples, &features::monomials(p.n, 3));
    let coef = Array1::from_vec(fit.dense());
    let r = Array1::from_vec(p.y.clone()) - x.dot(&coef) - fit.intercept;
    assert!(r.sum().abs() < 1e-8, "the intercept centres the residual");
    let lambda = alpha * p.y.len() as f64;
    for (j, col) in x.columns().into_iter().enumerate() {
        let mean = col.mean().unwrap_or(0.0);
        let g: f64 = col.iter().zip(&r).map(|(xv, rv)| (xv - mean) * rv).sum();
        if coef[j] == 0.0 {
            assert!(g.abs() <= lambda * (1.0 + 1e-6), "column {j}: |g| = {} > {lambda}", g.abs());
        } else {
            assert!((g - lambda * coef[j].signum()).abs() <= 1e-5 * lambda, "column {j}: g = {g}");
        }
    }
}

#[test]
fn too_many_features_is_refused_with_the_memory_needed() {
    let samples = vec![vec![1i8; 3000]; 4];
    let err = ParityDesign::new(&samples, 3000, 4).expect_err("C(3000, 4) columns do not fit");
    let features = features::count(3000, 4);
    let bytes = lasso::solver_bytes(4, 3000, 4);
    assert!(matches!(err, FitError::TooLarge { features: f, bytes: b, .. } if f == features && b == bytes));
    assert_eq!(
        err.to_string(),
        format!(
            "{features} parity features would need {:.1} GiB of solver memory (limit 4.0 GiB); lower `degree` or the number of bits",
            bytes as f64 / f64::from(1u32 << 30)
        )
    );
}

#[test]
fn layout_of_200_bits_names_the_last_column() {
    let layout = Layout::new(200, 3);
    assert_eq!(layout.len(), 1_333_500);
    assert_eq!(layout.monomial(layout.len() - 1), Some(vec![197, 198, 199]));
    assert_eq!(layout.monomial(200), Some(vec![0, 1]));
}

/// Regression: with the default (fast) solver the reference benchmark's first
/// stage still finds the five true stage-0 monomials.
#[test]
fn reference_benchmark_stage_0_recovers_the_true_monomials() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/reference_ex2.yaml");
    let study = harmonica::study::load(&path).expect("the example loads");
    let prepared = Prepared::new(study).expect("the example prepares");
    let mut engine: Engine = prepared.engine();
    assert_eq!(engine.spec().solver, harmonica::study::Solver::Fast);
    let batch = engine.next_batch().expect("a first batch");
    for req in &batch {
        engine.tell(req.id, prepared.evaluate(req)).expect("pending");
    }
    let Ok(Event::Stage(report)) = engine.advance() else { panic!("stage 0 should finish") };
    let mut found: Vec<Vec<usize>> = report.terms.iter().map(|t| t.bits.clone()).collect();
    found.sort();
    let want = vec![vec![8, 25, 46], vec![9, 14, 30], vec![13, 44, 52], vec![14, 24, 38], vec![17, 30, 48]];
    assert_eq!(found, want);
}

fn stage_0_terms(solver: &str) -> Vec<(Vec<usize>, f64)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let text = std::fs::read_to_string(dir.join("reference_ex2.yaml")).expect("the example exists");
    let text = text.replace("  alpha: 3.0\n", &format!("  alpha: 3.0\n  solver: {solver}\n"));
    let study = harmonica::study::parse_str(&text, harmonica::study::Format::Yaml, &dir).expect("the study parses");
    let prepared = Prepared::new(study).expect("the example prepares");
    let mut engine = prepared.engine();
    let batch = engine.next_batch().expect("a first batch");
    for req in &batch {
        engine.tell(req.id, prepared.evaluate(req)).expect("pending");
    }
    let Ok(Event::Stage(report)) = engine.advance() else { panic!("stage 0 should finish") };
    report.terms.into_iter().map(|t| (t.bits, t.coef)).collect()
}

/// `solver: linfa` is still selectable, and on the benchmark's first stage both
/// solvers keep the same terms in the same order with coefficients within 0.2%
/// (both stop at scikit-learn's tolerance, 1e-4 on the duality gap).
#[test]
fn yaml_solver_key_selects_linfa_and_both_agree_on_the_benchmark() {
    let fast = stage_0_terms("fast");
    let linfa = stage_0_terms("linfa");
    assert_eq!(fast.len(), 5);
    for ((fb, fc), (lb, lc)) in fast.iter().zip(&linfa) {
        assert_eq!(fb, lb);
        assert!((fc - lc).abs() < 2e-3 * lc.abs(), "{fb:?}: {fc} vs {lc}");
    }
}

#[test]
fn unknown_solver_is_an_error_naming_the_choices() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let text = "study: s\nobjective: {type: tree_polynomial, table: reference_ex2.json}\noptimizer: {type: harmonica, solver: sklearn}\n";
    let err =
        harmonica::study::parse_str(text, harmonica::study::Format::Yaml, &dir).expect_err("sklearn is no solver");
    assert_eq!(err.message, "unknown solver `sklearn`");
    assert_eq!(err.help.as_deref(), Some("known: fast, linfa"));
}
