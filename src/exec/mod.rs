//! Evaluating batches: a local pool of worker threads.

use rayon::prelude::*;

use crate::harmonica::TrialRequest;

/// Runs a batch's evaluations on `workers` threads.
pub struct LocalPool {
    pool: rayon::ThreadPool,
    workers: usize,
}

impl LocalPool {
    /// A pool of `workers` threads (at least one).
    pub fn new(workers: usize) -> Result<Self, rayon::ThreadPoolBuildError> {
        let workers = workers.max(1);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(workers).build()?;
        Ok(Self { pool, workers })
    }

    /// Number of worker threads.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Evaluates every request with `eval`, calling `done` as each finishes (from the
    /// worker thread). Results come back in request order.
    pub fn run<T, E, D>(&self, batch: &[TrialRequest], eval: E, done: D) -> Vec<T>
    where
        T: Send,
        E: Fn(&TrialRequest) -> T + Sync,
        D: Fn(&TrialRequest, &T) + Sync,
    {
        self.pool.install(|| {
            batch
                .par_iter()
                .with_max_len(1)
                .map(|r| {
                    let out = eval(r);
                    done(r, &out);
                    out
                })
                .collect()
        })
    }
}

/// The number of cores, the default worker count.
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}
