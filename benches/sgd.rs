//! Steps per second of online SGD on the two-layer ReLU net with identity mapping
//! (d = 100, batch 200, eta = 1e-3, W* and W0 Gaussian of spectral norm 0.6: the
//! paper's setting), the same experiment `benches/sgd_numpy.py` runs in NumPy.
//! `benches/compare.sh` runs both and prints the ratio.
//!
//! Usage: cargo bench --bench sgd [-- STEPS [BATCH]]; prints `ours: <steps/s> steps/s`.
//! BATCH (default 200) measures other batch sizes at d = 100.

use std::time::Instant;

use harmonica::sgd::two_layer::Method;
use harmonica::sgd::{run_two_layer, Model, TwoLayerConfig};

fn main() {
    let nums: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse::<usize>().ok()).collect();
    let steps = nums.first().copied().unwrap_or(5000);
    let batch = nums.get(1).copied().unwrap_or(200).max(1);
    let cfg = TwoLayerConfig {
        method: Method::Sgd { batch },
        lr: 1e-3,
        steps,
        seed: 0,
        // Log only the two ends: the bench times the training loop.
        log_every: steps.max(1),
        ..TwoLayerConfig::new(Model::ResLink, 100)
    };
    // One short run first so page faults and lazy setup are not timed.
    let warm = TwoLayerConfig { steps: 50, log_every: 50, ..cfg.clone() };
    if let Err(e) = run_two_layer(&warm) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
    let start = Instant::now();
    let run = match run_two_layer(&cfg) {
        Ok(run) => run,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let secs = start.elapsed().as_secs_f64();
    println!("ours: {:.1} steps/s ({steps} steps in {secs:.2} s, d=100, batch {batch})", steps as f64 / secs);
    println!("ours: distance {:.4} -> {:.4}", run.trace[0].distance, run.final_state.distance);
}
