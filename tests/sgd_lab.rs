//! The behaviour the SGD lab must show (issue 5), with fixed seeds.

use harmonica::sgd::net::{BatchGrad, ClosedForm, Model};
use harmonica::sgd::saddle::{self, Method, Problem, SaddleConfig, Start};
use harmonica::sgd::two_layer::{self, gaussian_with_norm, InitSpec, TeacherSpec};
use harmonica::sgd::{linalg, run_two_layer, TwoLayerConfig};
use ndarray::{s, Array2};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

/// Effective matrices of a ResLink student and teacher at d = 8.
fn pair(seed: u64) -> (Array2<f64>, Array2<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let eye = Array2::<f64>::eye(8);
    let ustar = gaussian_with_norm(8, 0.6, &mut rng) + &eye;
    let u = gaussian_with_norm(8, 0.6, &mut rng) + &eye;
    (u, ustar)
}

#[test]
fn closed_form_matches_monte_carlo() {
    let (u, ustar) = pair(11);
    let mut closed = ClosedForm::new(&ustar);
    let mut grad = Array2::zeros((8, 8));
    let loss = closed.loss_and_grad(&u.view(), &mut grad);
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let (chunk, chunks) = (100_000, 20);
    let mut batch = BatchGrad::new(chunk, 8);
    let (mut mc_loss, mut mc_grad, mut g) = (0.0, Array2::<f64>::zeros((8, 8)), Array2::zeros((8, 8)));
    for _ in 0..chunks {
        let x = linalg::gaussian(chunk, 8, &mut rng);
        mc_loss += batch.compute(&x.view(), &u.view(), &ustar.view(), &mut g) / chunks as f64;
        mc_grad.scaled_add(1.0 / chunks as f64, &g);
    }
    assert!(rel(mc_loss, loss) < 0.01, "loss {loss} vs Monte Carlo {mc_loss}");
    let err = linalg::frobenius(&(&mc_grad - &grad).view()) / linalg::frobenius(&grad.view());
    assert!(err < 0.01, "gradient relative error {err}");
}

#[test]
fn closed_form_gradient_matches_finite_differences() {
    let (u, ustar) = pair(3);
    let mut closed = ClosedForm::new(&ustar);
    let mut grad = Array2::zeros((8, 8));
    closed.loss_and_grad(&u.view(), &mut grad);
    let h = 1e-6;
    for (i, j) in [(0, 0), (1, 5), (7, 2), (4, 4), (6, 3)] {
        let (mut up, mut down) = (u.clone(), u.clone());
        up[[i, j]] += h;
        down[[i, j]] -= h;
        let fd = (closed.loss(&up.view()) - closed.loss(&down.view())) / (2.0 * h);
        assert!((fd - grad[[i, j]]).abs() < 1e-7 * (1.0 + fd.abs()), "({i},{j}): {fd} vs {}", grad[[i, j]]);
    }
}

#[test]
fn closed_form_is_zero_at_the_teacher() {
    let (_, ustar) = pair(4);
    let mut closed = ClosedForm::new(&ustar);
    let mut grad = Array2::zeros((8, 8));
    assert!(closed.loss_and_grad(&ustar.view(), &mut grad) < 1e-12);
    assert!(linalg::frobenius(&grad.view()) < 1e-12);
}

fn gd20(model: Model, seed: u64, steps: usize) -> TwoLayerConfig {
    TwoLayerConfig { steps, seed, log_every: 10, ..TwoLayerConfig::new(model, 20) }
}

#[test]
fn reslink_converges_for_every_seed_and_vanilla_stalls() {
    for seed in 0..8 {
        let run = run_two_layer(&gd20(Model::ResLink, seed, 2000)).unwrap();
        assert!(run.final_state.distance < 1e-3, "seed {seed}: distance {}", run.final_state.distance);
        let vanilla = run_two_layer(&gd20(Model::Vanilla, seed, 6000)).unwrap();
        assert!(vanilla.final_state.loss > 0.01, "seed {seed}: vanilla loss {}", vanilla.final_state.loss);
    }
}

#[test]
fn two_phases_of_the_identity_mapping_net() {
    let cfg = TwoLayerConfig {
        teacher: TeacherSpec::Orthogonal { scale: 0.6, haar: false },
        init: InitSpec::Zero,
        lr: 1e-3,
        steps: 400,
        seed: 0,
        ..TwoLayerConfig::new(Model::ResLink, 100)
    };
    let run = run_two_layer(&cfg).unwrap();
    let m = &run.markers;
    assert!((30..=100).contains(&m.peak_step), "peak at {}", m.peak_step);
    assert!(m.peak_distance >= m.start_distance + 0.02, "peak {} from {}", m.peak_distance, m.start_distance);
    let wrong_way = run.trace.iter().filter(|r| (30..=100).contains(&r.step)).map(|r| r.cosine).fold(1.0, f64::min);
    assert!(wrong_way < -0.03, "cosine between steps 30 and 100 only down to {wrong_way}");
    assert!(m.g_at_peak < m.g_start / 4.0, "g {} -> {}", m.g_start, m.g_at_peak);
    assert!(run.trace.iter().filter(|r| r.step > 200).all(|r| r.cosine > 0.0));
    assert!(m.last_wrong_step.is_some_and(|s| s <= 200));
}

#[test]
fn online_sgd_decreases_the_loss() {
    let cfg = TwoLayerConfig {
        method: two_layer::Method::Sgd { batch: 64 },
        lr: 0.01,
        steps: 1500,
        log_every: 100,
        ..TwoLayerConfig::new(Model::ResLink, 10)
    };
    let run = run_two_layer(&cfg).unwrap();
    let first = &run.trace[0];
    assert!(run.final_state.loss < first.loss / 10.0, "{} -> {}", first.loss, run.final_state.loss);
}

#[test]
fn finite_training_set_reports_a_test_loss() {
    let cfg = TwoLayerConfig {
        method: two_layer::Method::Finite { batch: 50, samples: 500, test_samples: 400 },
        lr: 0.01,
        steps: 600,
        log_every: 50,
        ..TwoLayerConfig::new(Model::ResLink, 8)
    };
    let run = run_two_layer(&cfg).unwrap();
    let test = run.final_state.test_loss.unwrap();
    assert!(test < run.trace[0].test_loss.unwrap() / 5.0);
    // The test loss estimates the population loss.
    assert!(rel(test, run.final_state.loss) < 0.5, "{test} vs {}", run.final_state.loss);
}

fn qq(start: [f64; 2], method: Method) -> SaddleConfig {
    SaddleConfig {
        problem: Problem::QuadraticQuartic,
        start: Start::Point(start.to_vec()),
        method,
        lr: 0.1,
        steps: 500,
        escape_below: Some(-0.5),
        seed: 0,
        log_every: 1,
    }
}

#[test]
fn gd_stays_on_the_stable_manifold() {
    let run = saddle::run(&qq([1.0, 0.0], Method::Gd)).unwrap();
    assert_eq!(run.markers.escape_step, None);
    assert!(run.value.abs() < 1e-12);
}

#[test]
fn gd_escapes_a_tiny_offset_at_step_101() {
    let run = saddle::run(&qq([1.0, 1e-8], Method::Gd)).unwrap();
    let step = run.markers.escape_step.unwrap();
    assert!((100..=102).contains(&step), "escaped at {step}");
}

#[test]
fn noisy_and_perturbed_gd_escape() {
    let noisy = saddle::run(&qq([1.0, 0.0], Method::NoisyGd { sigma: 1e-2 })).unwrap();
    assert!(noisy.markers.escape_step.is_some());
    let perturbed = Method::PerturbedGd { radius: 1e-3, g_thres: 1e-3, t_thres: 10 };
    let run = saddle::run(&qq([1.0, 0.0], perturbed)).unwrap();
    assert!(run.markers.escape_step.is_some() && run.markers.perturbations >= 1);
}

#[test]
fn gd_on_a_chain_slows_down_and_underflows() {
    let cfg = SaddleConfig {
        problem: Problem::Chain { d: 6, l: std::f64::consts::E, gamma: 1.0, tau: std::f64::consts::E },
        start: Start::Point(vec![1e-3; 6]),
        method: Method::Gd,
        lr: 0.1,
        steps: 5000,
        escape_below: None,
        seed: 0,
        log_every: 10,
    };
    let run = saddle::run(&cfg).unwrap();
    let s = &run.markers.saddle_steps;
    eprintln!("{s:?} {:?}", run.markers.underflow_step);
    assert!(s.len() >= 2 && (s[1] - s[0]) > 3 * s[0], "{s:?}");
    assert!(run.markers.underflow_step.is_some() && !run.warnings.is_empty());
    let pgd = SaddleConfig { method: Method::PerturbedGd { radius: 1e-2, g_thres: 1e-1, t_thres: 5 }, ..cfg };
    let run = saddle::run(&pgd).unwrap();
    eprintln!("{:?}", run.markers.saddle_steps);
    assert!(run.markers.escape_step.is_some());
}

#[test]
fn tensor_decomposition_escapes_with_noise() {
    for problem in [Problem::TensorOne { d: 10 }, Problem::TensorAll { d: 6 }] {
        let base = SaddleConfig {
            problem: problem.clone(),
            start: Start::Saddle,
            method: Method::Gd,
            lr: 0.05,
            steps: 3000,
            escape_below: None,
            seed: 1,
            log_every: 50,
        };
        // Plain GD leaves the saddle only when rounding errors have grown; noise is
        // much faster.
        let gd = saddle::run(&base).unwrap().markers.escape_step.unwrap_or(usize::MAX);
        let noisy = saddle::run(&SaddleConfig { method: Method::NoisyGd { sigma: 0.05 }, ..base }).unwrap();
        let escaped = noisy.markers.escape_step.unwrap_or(usize::MAX);
        assert!(escaped < 300 && escaped * 3 < gd, "{problem:?}: noisy {escaped}, gd {gd}");
    }
}

#[test]
fn teacher_has_the_requested_norm() {
    let w = two_layer::teacher_matrix(&TeacherSpec::Gaussian { norm: 0.6 }, 20, 3).unwrap();
    assert!((linalg::spectral_norm(&w.view()) - 0.6).abs() < 1e-10);
    let q = two_layer::teacher_matrix(&TeacherSpec::Orthogonal { scale: 0.6, haar: false }, 10, 3).unwrap();
    let qtq = q.t().dot(&q);
    assert!((qtq[[2, 2]] - 0.36).abs() < 1e-12 && qtq[[1, 2]].abs() < 1e-12);
    let _ = s![..];
}
