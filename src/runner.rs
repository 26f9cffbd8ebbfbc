//! Drives a study: engine <-> executor <-> objective, every result journaled as
//! its trial finishes, progress reported to an observer. Nothing here prints.
//!
//! A resume replays the journal: the engine is rebuilt from the seed, and each
//! trial it asks for whose result is journaled is told that result instead of
//! being run. Only the rest run, so the run ends exactly as an uninterrupted one.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::exec::slurm::SlurmRun;
use crate::exec::{Flow, LocalPool, Message, Supervisor};
use crate::harmonica::{Engine, EngineError, Event, Outcome, Phase, StageReport, Trial, TrialRequest};
use crate::objective::{self, EvalContext, Evaluation, Objective, TrialInput};
use crate::space::{Config, Space};
use crate::store::record::bits_text;
use crate::store::{Journal, Record, Replay, StoreError, Stored};
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
    /// The journal could not be written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A journaled trial is not the one the engine asks for.
    #[error("trial {0} in the journal is not the trial this study asks for; run with --force-new to start over")]
    Diverged(usize),
    /// Too many trials failed.
    #[error("{failed} of {trials} trials failed, more than the study's max_failure_fraction ({max}); the last reason: {last}")]
    TooManyFailures {
        /// Failed trials.
        failed: usize,
        /// Trials asked so far.
        trials: usize,
        /// The fraction allowed.
        max: f64,
        /// The last failure's reason.
        last: String,
    },
    /// The Slurm executor failed.
    #[error(transparent)]
    Slurm(#[from] crate::exec::slurm::SlurmError),
    /// The run was stopped (Ctrl-C); every finished trial is journaled.
    #[error("interrupted after {finished} trials finished")]
    Interrupted {
        /// Trials with a result, replayed ones included.
        finished: usize,
    },
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

    /// Whether the objective writes per-trial output worth capturing (external programs).
    pub fn captures_output(&self) -> bool {
        matches!(self.study.objective.as_ref().map(|o| &o.kind), Some(crate::study::ObjectiveKind::Command(_)))
    }

    /// The journal header for this study.
    pub fn journal_header(&self) -> Record {
        let direction = match self.direction() {
            Direction::Minimize => "minimize",
            Direction::Maximize => "maximize",
        };
        Record::Study {
            version: crate::store::record::VERSION,
            study: self.study.name.clone(),
            direction: direction.into(),
            fingerprint: crate::store::fingerprint::of(&self.study, &self.space),
        }
    }

    /// Evaluates one request; non-finite values are failures.
    pub fn evaluate(&self, req: &TrialRequest) -> Outcome {
        match self.with_input(req, |input| self.objective.evaluate(input)) {
            Ok(v) if v.is_finite() => Outcome::Value(self.loss(v)),
            Ok(v) => Outcome::Failed(format!("the objective returned {v}")),
            Err(reason) => Outcome::Failed(reason),
        }
    }

    /// Evaluates one request in `ctx` (its processes supervised, its output
    /// captured); the value is the objective's, as it returned it.
    pub fn evaluate_in(&self, req: &TrialRequest, ctx: &EvalContext) -> Evaluation {
        self.with_input(req, |input| self.objective.evaluate_in(input, ctx))
    }

    /// Calls `f` with the objective's view of `req`: its point decoded.
    fn with_input<T>(&self, req: &TrialRequest, f: impl FnOnce(&TrialInput) -> T) -> T {
        let config = self.space.decode(&req.bits);
        f(&TrialInput { id: req.id, bits: &req.bits, config: &config, space: &self.space, budget: req.budget })
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
    /// This many trials of the batch were replayed from the journal.
    Replayed(usize),
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
    /// Trials whose result came from the journal.
    pub replayed: usize,
}

impl RunResult {
    /// The best trial, its configuration and objective value.
    pub fn best<'a>(&'a self, prepared: &Prepared) -> Option<(&'a Trial, Config, f64)> {
        let t = self.engine.best()?;
        let loss = t.loss()?;
        Some((t, prepared.space.decode(&t.request.bits), prepared.value(loss)))
    }
}

/// How a run is carried out beyond the study itself.
#[derive(Default)]
pub struct RunOptions<'a> {
    /// Parallel evaluations (at least one).
    pub workers: usize,
    /// Where every result is appended as it arrives.
    pub journal: Option<&'a mut Journal>,
    /// Results of an earlier run of the same study, told instead of run.
    pub replay: Option<&'a Replay>,
    /// Run journaled failures again instead of replaying them.
    pub retry_failed: bool,
    /// Set (by a Ctrl-C handler) to stop: running trials are killed and left unfinished.
    pub interrupt: Option<&'a AtomicBool>,
    /// Where objectives capture each trial's output.
    pub output_dir: Option<&'a Path>,
    /// Run the evaluations as Slurm job arrays instead of on local workers.
    pub slurm: Option<&'a SlurmRun>,
}

/// Runs the study to the end on `pool`, without a journal.
pub fn run(prepared: &Prepared, pool: &LocalPool, observe: &(dyn Fn(Progress) + Sync)) -> Result<RunResult, RunError> {
    run_with(prepared, RunOptions { workers: pool.workers(), ..RunOptions::default() }, observe)
}

/// Runs the study to the end (or to a stop), journaling and replaying per `opts`.
pub fn run_with(
    prepared: &Prepared,
    opts: RunOptions,
    observe: &(dyn Fn(Progress) + Sync),
) -> Result<RunResult, RunError> {
    let start = Instant::now();
    let mut d = Driver::new(prepared, opts, observe);
    d.session()?;
    while let Some(batch) = d.engine.next_batch() {
        let phase = d.engine.phase().unwrap_or(Phase::Stage(0));
        observe(Progress::BatchStarted { phase, size: batch.len() });
        let todo = d.replay_batch(batch)?;
        d.check_failures()?;
        d.execute(&todo, phase)?;
        d.advance()?;
        d.check_failures()?;
    }
    d.complete()?;
    Ok(RunResult { replayed: d.replayed, fit_times: d.fit_times, engine: d.engine, elapsed: start.elapsed() })
}

/// The coordinator's state for one run.
struct Driver<'a> {
    prepared: &'a Prepared,
    opts: RunOptions<'a>,
    observe: &'a (dyn Fn(Progress<'_>) + Sync),
    engine: Engine,
    supervisor: Supervisor,
    failed: usize,
    last_failure: String,
    replayed: usize,
    fit_times: Vec<Duration>,
}

impl<'a> Driver<'a> {
    fn new(prepared: &'a Prepared, opts: RunOptions<'a>, observe: &'a (dyn Fn(Progress<'_>) + Sync)) -> Self {
        let engine = prepared.engine();
        let supervisor = Supervisor::new();
        let (failed, last_failure, replayed, fit_times) = (0, String::new(), 0, Vec::new());
        Self { prepared, opts, observe, engine, supervisor, failed, last_failure, replayed, fit_times }
    }

    fn append(&mut self, records: &[Record]) -> Result<(), RunError> {
        match self.opts.journal.as_deref_mut() {
            Some(j) => Ok(j.append(records)?),
            None => Ok(()),
        }
    }

    fn session(&mut self) -> Result<(), RunError> {
        let unix = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let replayed = self.opts.replay.map_or(0, Replay::len);
        self.append(&[Record::Session { unix, workers: self.opts.workers.max(1), replayed }])
    }

    fn interrupted(&self) -> bool {
        self.opts.interrupt.is_some_and(|f| f.load(Ordering::SeqCst))
    }

    /// Tells the engine the batch's journaled results; returns the trials to run.
    fn replay_batch(&mut self, batch: Vec<TrialRequest>) -> Result<Vec<TrialRequest>, RunError> {
        let Some(replay) = self.opts.replay else { return Ok(batch) };
        let mut todo = Vec::new();
        let mut told = 0;
        for req in batch {
            if replay.bits(req.id).is_some_and(|b| b != bits_text(&req.bits)) {
                return Err(RunError::Diverged(req.id));
            }
            let outcome = match replay.result(req.id) {
                Some(Stored::Value(v)) => Outcome::Value(self.prepared.loss(*v)),
                Some(Stored::Failed(reason)) if !self.opts.retry_failed => Outcome::Failed(reason.clone()),
                _ => {
                    todo.push(req);
                    continue;
                }
            };
            self.count(&outcome);
            self.engine.tell(req.id, outcome)?;
            told += 1;
        }
        self.replayed += told;
        if told > 0 {
            (self.observe)(Progress::Replayed(told));
        }
        Ok(todo)
    }

    fn count(&mut self, outcome: &Outcome) {
        if let Outcome::Failed(reason) = outcome {
            self.failed += 1;
            self.last_failure.clone_from(reason);
        }
    }

    fn too_many_failures(&self) -> bool {
        let max = self.prepared.study.execution.max_failure_fraction();
        self.failed as f64 > max * self.engine.trials().len() as f64
    }

    /// Fails the study when, even if every pending trial succeeds, more than the
    /// allowed fraction of its trials so far have failed.
    fn check_failures(&self) -> Result<(), RunError> {
        if !self.too_many_failures() {
            return Ok(());
        }
        Err(RunError::TooManyFailures {
            failed: self.failed,
            trials: self.engine.trials().len(),
            max: self.prepared.study.execution.max_failure_fraction(),
            last: self.last_failure.clone(),
        })
    }

    fn finished(&self) -> usize {
        self.engine.trials().iter().filter(|t| t.outcome.is_some()).count()
    }

    /// Runs `todo` on the workers (or as Slurm job arrays), journaling and telling
    /// each result as it comes.
    fn execute(&mut self, todo: &[TrialRequest], phase: Phase) -> Result<(), RunError> {
        if self.interrupted() {
            return Err(RunError::Interrupted { finished: self.finished() });
        }
        if todo.is_empty() {
            return Ok(());
        }
        let mut error = None;
        if let Some(slurm) = self.opts.slurm {
            crate::exec::slurm::stream(slurm, todo, |msgs| self.receive(todo, phase, msgs, &mut error))?;
        } else {
            let pool = LocalPool::new(self.opts.workers);
            let supervisor = self.supervisor.clone();
            let prepared = self.prepared;
            let ctx = EvalContext { supervisor: &supervisor, output_dir: self.opts.output_dir };
            pool.stream(
                todo,
                |req| evaluate_timed(prepared, req, &ctx),
                |msgs| {
                    let flow = self.receive(todo, phase, msgs, &mut error);
                    if flow == Flow::Stop {
                        supervisor.stop();
                    }
                    flow
                },
            );
        }
        match error {
            Some(e) => Err(e),
            None if self.interrupted() => Err(RunError::Interrupted { finished: self.finished() }),
            None => self.check_failures(),
        }
    }

    /// Handles a group of messages, keeping the first error in `error`; stops the
    /// batch on an error, a stop request or too many failures.
    fn receive(
        &mut self,
        todo: &[TrialRequest],
        phase: Phase,
        msgs: Vec<Message<(Evaluation, f64)>>,
        error: &mut Option<RunError>,
    ) -> Flow {
        if let Err(e) = self.handle(todo, phase, msgs) {
            error.get_or_insert(e);
        }
        if error.is_some() || self.interrupted() || self.too_many_failures() {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }

    /// Journals a group of messages (one sync), then tells the engine the results.
    fn handle(
        &mut self,
        todo: &[TrialRequest],
        phase: Phase,
        msgs: Vec<Message<(Evaluation, f64)>>,
    ) -> Result<(), RunError> {
        let mut records = Vec::with_capacity(msgs.len());
        let mut results = Vec::with_capacity(msgs.len());
        for m in msgs {
            match m {
                Message::Started(i) => records.push(self.started_record(&todo[i], phase)),
                Message::Done(i, (eval, seconds)) => {
                    if let Some((record, outcome)) = result_record(todo[i].id, eval, seconds) {
                        let outcome = match outcome {
                            Outcome::Value(v) => Outcome::Value(self.prepared.loss(v)),
                            failed => failed,
                        };
                        records.push(record);
                        results.push((todo[i].id, outcome));
                    }
                }
            }
        }
        self.append(&records)?;
        for (id, outcome) in results {
            self.count(&outcome);
            self.engine.tell(id, outcome)?;
            if let Some(t) = self.engine.trials().get(id) {
                (self.observe)(Progress::TrialDone(t));
            }
        }
        Ok(())
    }

    fn started_record(&self, req: &TrialRequest, phase: Phase) -> Record {
        let params = self.prepared.study.space.as_ref().map(|_| {
            let config = self.prepared.space.decode(&req.bits);
            self.prepared.space.named(&config).map(|(k, v)| (k.to_owned(), v.to_json())).collect()
        });
        Record::Started {
            trial: req.id,
            phase: phase_text(phase),
            budget: req.budget,
            bits: bits_text(&req.bits),
            params,
        }
    }

    /// Finishes the batch; a finished stage is journaled and reported.
    fn advance(&mut self) -> Result<(), RunError> {
        let t0 = Instant::now();
        if let Event::Stage(report) = self.engine.advance()? {
            let took = t0.elapsed();
            self.fit_times.push(took);
            if !self.opts.replay.is_some_and(|r| r.has_stage(report.stage)) {
                let record = self.stage_record(&report);
                self.append(&[record])?;
            }
            (self.observe)(Progress::Stage(&report, took));
        }
        Ok(())
    }

    fn stage_record(&self, r: &StageReport) -> Record {
        let space = &self.prepared.space;
        Record::Stage {
            stage: r.stage,
            fixed: crate::report::fixed_named(space, r.fixed()).into_iter().collect(),
            terms: r.terms.iter().map(|t| (t.coef, space.monomial_name(&t.bits))).collect(),
            best_trial: r.best.map(|(id, _)| id),
        }
    }

    fn complete(&mut self) -> Result<(), RunError> {
        if self.opts.replay.is_some_and(Replay::completed) {
            return Ok(());
        }
        let evaluations = self.engine.trials().len();
        self.append(&[Record::Completed { evaluations }])
    }
}

fn evaluate_timed(prepared: &Prepared, req: &TrialRequest, ctx: &EvalContext) -> (Evaluation, f64) {
    let t0 = Instant::now();
    let eval = prepared.evaluate_in(req, ctx);
    (eval, t0.elapsed().as_secs_f64())
}

/// The journal record and outcome (objective value, not yet a loss) of a result;
/// `None` for an interrupted trial.
fn result_record(trial: usize, eval: Evaluation, seconds: f64) -> Option<(Record, Outcome)> {
    let (reason, stderr, attempts) = match eval {
        Evaluation::Interrupted => return None,
        Evaluation::Value(value) if value.is_finite() => {
            return Some((Record::Finished { trial, value, seconds }, Outcome::Value(value)));
        }
        Evaluation::Value(v) => (format!("the objective returned {v}"), String::new(), 1),
        Evaluation::Failed(f) => (f.reason, f.stderr, f.attempts),
    };
    Some((Record::Failed { trial, reason: reason.clone(), stderr, attempts, seconds }, Outcome::Failed(reason)))
}

/// A phase in words, as the journal and `harmonica trials` show it.
pub fn phase_text(phase: Phase) -> String {
    match phase {
        Phase::Stage(s) => format!("stage {}", s + 1),
        Phase::Base { bracket, rung } => format!("bracket {} rung {}", bracket + 1, rung + 1),
    }
}
