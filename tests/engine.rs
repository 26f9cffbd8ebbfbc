//! The engine on the paper's benchmark: recovery, optimum, determinism.

use std::path::Path;

use harmonica::exec::LocalPool;
use harmonica::runner::{self, Prepared, RunResult};
use harmonica::study::{self, OptimizerSpec};

const OPTIMUM: f64 = -916.279_193_492_228_5;

fn prepared(seed: u64, samples: usize) -> Prepared {
    let mut study = study::load(Path::new("examples/reference_ex2.yaml")).expect("the example loads");
    study.seed = seed;
    if let OptimizerSpec::Harmonica(h) = &mut study.optimizer {
        h.samples = samples;
    }
    Prepared::new(study).expect("the example prepares")
}

fn run(p: &Prepared, workers: usize) -> RunResult {
    let pool = LocalPool::new(workers);
    runner::run(p, &pool, &|_| {}).expect("the run succeeds")
}

fn noise_free_best(p: &Prepared, r: &RunResult) -> f64 {
    let best = r.engine.best().expect("a best trial");
    p.objective.noise_free(&best.request.bits).expect("synthetic objective")
}

fn seeds_reaching_optimum(samples: usize) -> usize {
    (1..=5)
        .filter(|&seed| {
            let p = prepared(seed, samples);
            (noise_free_best(&p, &run(&p, 2)) - OPTIMUM).abs() < 1e-6
        })
        .count()
}

#[test]
fn reaches_the_optimum_with_300_samples_in_at_least_4_of_5_seeds() {
    assert!(seeds_reaching_optimum(300) >= 4);
}

#[test]
fn reaches_the_optimum_with_100_samples_in_at_least_3_of_5_seeds() {
    assert!(seeds_reaching_optimum(100) >= 3);
}

#[test]
fn stage_one_recovers_the_five_true_monomials() {
    let p = prepared(1, 300);
    let r = run(&p, 2);
    let mut got: Vec<String> = r.engine.reports()[0].terms.iter().map(|t| p.space.monomial_name(&t.bits)).collect();
    got.sort();
    let mut want = vec!["x14 * x24 * x38", "x13 * x44 * x52", "x9 * x14 * x30", "x8 * x25 * x46", "x17 * x30 * x48"];
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn same_trials_whatever_the_number_of_workers() {
    let p = prepared(7, 100);
    let (a, b) = (run(&p, 1), run(&p, 4));
    assert_eq!(a.engine.trials(), b.engine.trials());
    assert_eq!(a.engine.reports(), b.engine.reports());
}

#[test]
fn evaluation_count_is_stages_times_samples_plus_base() {
    let p = prepared(3, 100);
    let r = run(&p, 2);
    assert_eq!(r.engine.trials().len(), 3 * 100 + 300);
    assert_eq!(r.engine.reports().len(), 3);
}
