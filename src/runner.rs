//! Drives a study: engine <-> executor <-> objective, reporting progress to an
//! observer. Nothing here prints.

use std::time::{Duration, Instant};

use crate::exec::LocalPool;
use crate::harmonica::{Engine, EngineError, Event, Outcome, Phase, StageReport, Trial};
use crate::objective::{self, Objective, TrialInput};
use crate::space::{Config, Space};
use crate::study::{Direction, OptimizerSpec, Study};

/// A study ready to run: its space and objective resolved.
pub struct Prepared {
    /// The study.
    pub study: Study,
    /// The space searched.
    pub space: Space,
    /// The objective.
    pub objective: Box<dyn Objective>,
}

/// Errors preparing or running a study.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The study cannot run as written.
    #[error("{0}")]
    Invalid(String),
    /// The engine failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The worker pool could not start.
    #[error("cannot start the workers: {0}")]
    Pool(String),
}

impl Prepared {
    /// Resolves the study's objective and space.
    pub fn new(study: Study) -> Result<Self, RunError> {
        let spec = study.objective.as_ref().ok_or_else(|| RunError::Invalid("the study has no objective".into()))?;
        let objective =
            objective::build(spec, &study.base_dir, study.seed).map_err(|e| RunError::Invalid(e.to_string()))?;
        let space = objective::resolve_space(study.space.as_ref(), objective.as_ref()).map_err(RunError::Invalid)?;
        Ok(Self { study, space, objective })
    }

    /// A fresh engine for this study.
    pub fn engine(&self) -> Engine {
        let n = self.space.n_bits();
        match &self.study.optimizer {
            OptimizerSpec::Harmonica(spec) => Engine::new(n, spec.clone(), self.study.seed),
            OptimizerSpec::Baseline(base) => Engine::baseline(n, base.clone(), self.study.seed),
        }
    }

    fn direction(&self) -> Direction {
        self.study.objective.as_ref().map(|o| o.direction).unwrap_or_default()
    }

    /// The loss the engine minimizes for an objective value.
    pub fn loss(&self, value: f64) -> f64 {
        match self.direction() {
            Direction::Minimize => value,
            Direction::Maximize => -value,
        }
    }

    /// The objective value for an engine loss.
    pub fn value(&self, loss: f64) -> f64 {
        self.loss(loss)
    }

    /// Evaluates one request; non-finite values are failures.
    pub fn evaluate(&self, req: &crate::harmonica::TrialRequest) -> Outcome {
        let config = self.space.decode(&req.bits);
        let input = TrialInput { id: req.id, bits: &req.bits, config: &config, space: &self.space, budget: req.budget };
        match self.objective.evaluate(&input) {
            Ok(v) if v.is_finite() => Outcome::Value(self.loss(v)),
            Ok(v) => Outcome::Failed(format!("the objective returned {v}")),
            Err(reason) => Outcome::Failed(reason),
        }
    }
}

/// What the runner tells its observer.
pub enum Progress<'a> {
    /// A batch is starting.
    BatchStarted {
        /// Its phase.
        phase: Phase,
        /// Its size.
        size: usize,
    },
    /// One trial finished.
    TrialDone(&'a Trial),
    /// A stage finished, with the time its recovery took.
    Stage(&'a StageReport, Duration),
}

/// The outcome of a whole run.
pub struct RunResult {
    /// The engine at the end (trials and reports).
    pub engine: Engine,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Time spent in each stage's recovery.
    pub fit_times: Vec<Duration>,
}

impl RunResult {
    /// The best trial, its configuration and objective value.
    pub fn best<'a>(&'a self, prepared: &Prepared) -> Option<(&'a Trial, Config, f64)> {
        let t = self.engine.best()?;
        let loss = t.loss()?;
        Some((t, prepared.space.decode(&t.request.bits), prepared.value(loss)))
    }
}

/// Runs the study to the end on `pool`.
pub fn run(prepared: &Prepared, pool: &LocalPool, observe: &(dyn Fn(Progress) + Sync)) -> Result<RunResult, RunError> {
    let start = Instant::now();
    let mut engine = prepared.engine();
    let mut fit_times = Vec::new();
    while let Some(batch) = engine.next_batch() {
        if let Some(phase) = engine.phase() {
            observe(Progress::BatchStarted { phase, size: batch.len() });
        }
        let phase = engine.phase();
        let outcomes = pool.run(
            &batch,
            |r| prepared.evaluate(r),
            |r, o| {
                let trial =
                    Trial { request: r.clone(), phase: phase.unwrap_or(Phase::Stage(0)), outcome: Some(o.clone()) };
                observe(Progress::TrialDone(&trial));
            },
        );
        for (req, out) in batch.iter().zip(outcomes) {
            engine.tell(req.id, out)?;
        }
        let t0 = Instant::now();
        let event = engine.advance()?;
        if let Event::Stage(report) = &event {
            let took = t0.elapsed();
            fit_times.push(took);
            observe(Progress::Stage(report, took));
        }
    }
    Ok(RunResult { engine, elapsed: start.elapsed(), fit_times })
}
