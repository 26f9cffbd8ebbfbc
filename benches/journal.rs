//! Per-trial overhead of scheduling and journaling: trials per second with a
//! trivial in-process objective, for growing studies (it should stay flat), with
//! and without the journal; and with a trivial external program.
//!
//!     cargo bench --bench journal                 # 1,000 / 10,000 / 100,000 trials
//!     cargo bench --bench journal -- 1000 100000  # chosen sizes

use std::path::Path;
use std::time::Instant;

use harmonica::runner::{self, Prepared, RunOptions};
use harmonica::store;
use harmonica::study::{self, Format};

fn study(evaluations: usize, objective: &str) -> Prepared {
    let text = format!(
        "study: bench\nseed: 1\nspace:\n  a: {{type: int, low: 0, high: 15}}\n  b: {{type: choice, values: [x, y, z, w]}}\n{objective}\noptimizer: {{type: random, evaluations: {evaluations}}}\n"
    );
    let s = study::parse_str(&text, Format::Yaml, Path::new(".")).unwrap_or_else(|d| panic!("{}", d.message));
    Prepared::new(s).unwrap_or_else(|e| panic!("{e}"))
}

const SYNTHETIC: &str = "objective:\n  type: sparse_polynomial\n  n: 5\n  terms: [{w: 1.0, S: [0, 1]}]";
const PROGRAM: &str = "objective:\n  type: command\n  argv: [sh, -c, 'echo loss=1', '{a}']\n  metric: loss";

/// Runs `p` and returns trials per second.
fn measure(p: &Prepared, workers: usize, journal: bool) -> f64 {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut opened = journal.then(|| {
        store::open_for_run(&dir.path().join("bench.journal"), &p.journal_header(), false, &|| {})
            .unwrap_or_else(|e| panic!("{e}"))
    });
    let t0 = Instant::now();
    let opts = RunOptions { workers, journal: opened.as_mut().map(|o| &mut o.journal), ..RunOptions::default() };
    let r = runner::run_with(p, opts, &|_| {}).unwrap_or_else(|e| panic!("{e}"));
    r.engine.trials().len() as f64 / t0.elapsed().as_secs_f64()
}

fn main() {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![1_000, 10_000, 100_000] } else { sizes };
    let p = study(1_000, PROGRAM);
    println!("external program `sh -c 'echo loss=1'`, 1000 trials, 2 workers: {:.0} trials/s", measure(&p, 2, true));
    println!("{:>8} {:>8} {:>16} {:>16}", "trials", "workers", "journal (tr/s)", "no journal (tr/s)");
    for &n in &sizes {
        let p = study(n, SYNTHETIC);
        for workers in [1, 2] {
            println!("{n:>8} {workers:>8} {:>16.0} {:>16.0}", measure(&p, workers, true), measure(&p, workers, false));
        }
    }
}
