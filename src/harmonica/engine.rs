//! The stage state machine: ask for a batch, tell results in any order, advance.
//!
//! Pure and deterministic: every random draw comes from one ChaCha stream seeded
//! by the study seed, and results are consumed in trial order at `advance`, so the
//! outcome does not depend on how many workers evaluated the batch or in what order.

use ndarray::Array1;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::base::{self, Rung};
use super::features;
use super::lasso;
use super::minimize::{self, Setting, TooManyBits};
use super::recovery::{self, FitError};
use crate::study::{BaseSpec, HarmonicaSpec, Solver};

/// One evaluation to run.
#[derive(Clone, Debug, PartialEq)]
pub struct TrialRequest {
    /// 0-based index in evaluation order.
    pub id: usize,
    /// The point, as ±1 bits.
    pub bits: Vec<i8>,
    /// The budget for objectives that take one.
    pub budget: Option<f64>,
}

/// What an evaluation gave (the engine minimizes `Value`).
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The loss.
    Value(f64),
    /// The evaluation failed, with the reason.
    Failed(String),
}

/// Which part of the run a trial belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// A Harmonica stage (0-based).
    Stage(usize),
    /// A rung of the base algorithm.
    Base {
        /// Bracket (Hyperband), 0 otherwise.
        bracket: usize,
        /// Rung within the bracket.
        rung: usize,
    },
}

/// A trial and, once told, its outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct Trial {
    /// The request.
    pub request: TrialRequest,
    /// Where in the run it was asked.
    pub phase: Phase,
    /// Its result, once told.
    pub outcome: Option<Outcome>,
}

impl Trial {
    /// The loss when the trial succeeded.
    pub fn loss(&self) -> Option<f64> {
        match self.outcome {
            Some(Outcome::Value(v)) => Some(v),
            _ => None,
        }
    }
}

/// A recovered monomial.
#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    /// Its coefficient.
    pub coef: f64,
    /// Its bits, ascending.
    pub bits: Vec<usize>,
}

/// What one stage learned.
#[derive(Clone, Debug, PartialEq)]
pub struct StageReport {
    /// Stage index (0-based).
    pub stage: usize,
    /// Trials asked in the stage.
    pub samples: usize,
    /// Trials that failed (left out of the fit).
    pub failed: usize,
    /// Bits that were free in this stage.
    pub free_bits: usize,
    /// Feature columns fitted (without the constant).
    pub features: usize,
    /// The Lasso penalty.
    pub alpha: f64,
    /// Nonzero coefficients in the fit.
    pub nonzeros: usize,
    /// The fitted intercept.
    pub intercept: f64,
    /// The kept terms, largest |coefficient| first.
    pub terms: Vec<Term>,
    /// The best settings of the bits the terms touch (empty when nothing was learned).
    pub settings: Vec<Setting>,
    /// The best (trial id, loss) so far.
    pub best: Option<(usize, f64)>,
}

impl StageReport {
    /// The bits this stage fixed, when one setting was kept.
    pub fn fixed(&self) -> &[(usize, i8)] {
        match self.settings.as_slice() {
            [one] => &one.bits,
            _ => &[],
        }
    }
}

/// What `advance` did.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A stage finished.
    Stage(StageReport),
    /// A rung of the base algorithm finished.
    Rung(Rung),
    /// Nothing left to do.
    Done,
}

/// Errors of the engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// `tell` named a trial that is not pending.
    #[error("trial {0} is not waiting for a result")]
    NotPending(usize),
    /// `advance` before every trial of the batch was told.
    #[error("{0} trials of the batch have no result yet")]
    Incomplete(usize),
    /// The minimization would be too large.
    #[error(transparent)]
    TooManyBits(#[from] TooManyBits),
    /// The fit failed.
    #[error(transparent)]
    Fit(#[from] FitError),
    /// A change by hand while a batch is being evaluated.
    #[error("a batch is in progress ({0} trials still running); finish it first")]
    Busy(usize),
    /// A bit index past the end.
    #[error("there is no bit {0}")]
    NoSuchBit(usize),
    /// The dense feature matrix would not fit in memory.
    #[error("stage {stage}: the feature matrix would have {rows} x {cols} entries ({gib:.1} GiB); lower `degree` or `samples`")]
    TooLarge {
        /// Stage.
        stage: usize,
        /// Samples.
        rows: usize,
        /// Columns.
        cols: u128,
        /// Memory needed.
        gib: f64,
    },
}

/// Largest dense feature matrix the engine builds, in bytes.
pub const MAX_MATRIX_BYTES: u128 = 8 << 30;

/// The Harmonica engine over `n` bits.
#[derive(Clone, Debug)]
pub struct Engine {
    n: usize,
    spec: HarmonicaSpec,
    plan: Vec<Rung>,
    rng: ChaCha8Rng,
    /// Restriction: for each group of bits, the alternative settings to draw from.
    groups: Vec<Vec<Setting>>,
    stage: usize,
    rung: usize,
    trials: Vec<Trial>,
    batch: Option<std::ops::Range<usize>>,
    last_rung: Option<std::ops::Range<usize>>,
    reports: Vec<StageReport>,
}

impl Engine {
    /// Harmonica's stages then its base algorithm.
    pub fn new(n: usize, spec: HarmonicaSpec, seed: u64) -> Self {
        let plan = base::plan(&spec.base);
        Self {
            n,
            spec,
            plan,
            rng: ChaCha8Rng::seed_from_u64(seed),
            groups: Vec::new(),
            stage: 0,
            rung: 0,
            trials: Vec::new(),
            batch: None,
            last_rung: None,
            reports: Vec::new(),
        }
    }

    /// A base algorithm alone over all bits (a baseline).
    pub fn baseline(n: usize, base: BaseSpec, seed: u64) -> Self {
        Self::new(n, HarmonicaSpec { stages: 0, base, ..HarmonicaSpec::default() }, seed)
    }

    /// Number of bits.
    pub fn n_bits(&self) -> usize {
        self.n
    }

    /// The settings the engine runs with.
    pub fn spec(&self) -> &HarmonicaSpec {
        &self.spec
    }

    /// Every trial asked so far, in id order.
    pub fn trials(&self) -> &[Trial] {
        &self.trials
    }

    /// Every finished stage's report.
    pub fn reports(&self) -> &[StageReport] {
        &self.reports
    }

    /// The base algorithm's rungs.
    pub fn plan(&self) -> &[Rung] {
        &self.plan
    }

    /// The best successful trial: lowest loss, earliest on ties.
    pub fn best(&self) -> Option<&Trial> {
        self.trials
            .iter()
            .filter(|t| t.loss().is_some_and(f64::is_finite))
            .min_by(|a, b| a.loss().unwrap_or(f64::INFINITY).total_cmp(&b.loss().unwrap_or(f64::INFINITY)))
    }

    /// Bits fixed to a single value by the restriction.
    pub fn fixed_bits(&self) -> Vec<(usize, i8)> {
        let mut fixed: Vec<(usize, i8)> =
            self.groups.iter().filter(|g| g.len() == 1).flat_map(|g| g[0].bits.iter().copied()).collect();
        fixed.sort_unstable();
        fixed
    }

    /// True once every stage and rung has run.
    pub fn is_done(&self) -> bool {
        self.batch.is_none() && self.stage >= self.spec.stages && self.rung >= self.plan.len()
    }

    /// The phase the next (or current) batch belongs to.
    pub fn phase(&self) -> Option<Phase> {
        if self.stage < self.spec.stages {
            return Some(Phase::Stage(self.stage));
        }
        self.plan.get(self.rung).map(|r| Phase::Base { bracket: r.bracket, rung: r.index })
    }

    /// The requests of the current batch that have no result yet; starts the next
    /// batch when none is pending. `None` when the run is over.
    pub fn next_batch(&mut self) -> Option<Vec<TrialRequest>> {
        if self.batch.is_none() {
            self.start_batch()?;
        }
        let range = self.batch.clone()?;
        Some(self.trials[range].iter().filter(|t| t.outcome.is_none()).map(|t| t.request.clone()).collect())
    }

    fn start_batch(&mut self) -> Option<()> {
        let phase = self.phase()?;
        let start = self.trials.len();
        match phase {
            Phase::Stage(_) => {
                for _ in 0..self.spec.samples {
                    let bits = self.sample();
                    self.push(bits, None, phase);
                }
            }
            Phase::Base { .. } => {
                let rung = self.plan[self.rung].clone();
                let configs: Vec<Vec<i8>> = if rung.index == 0 {
                    (0..rung.configs).map(|_| self.sample()).collect()
                } else {
                    self.promoted(rung.configs)
                };
                for bits in configs {
                    self.push(bits, rung.budget, phase);
                }
            }
        }
        self.batch = Some(start..self.trials.len());
        Some(())
    }

    fn push(&mut self, bits: Vec<i8>, budget: Option<f64>, phase: Phase) {
        let id = self.trials.len();
        self.trials.push(Trial { request: TrialRequest { id, bits, budget }, phase, outcome: None });
    }

    /// The best `k` configurations of the previous rung (failures last, ties by id).
    fn promoted(&self, k: usize) -> Vec<Vec<i8>> {
        let Some(range) = self.last_rung.clone() else { return Vec::new() };
        let mut prev: Vec<&Trial> = self.trials[range].iter().collect();
        prev.sort_by(|a, b| {
            let (la, lb) = (a.loss().unwrap_or(f64::INFINITY), b.loss().unwrap_or(f64::INFINITY));
            la.total_cmp(&lb).then(a.request.id.cmp(&b.request.id))
        });
        prev.into_iter().take(k).map(|t| t.request.bits.clone()).collect()
    }

    /// A point drawn from the restriction: one alternative per group, other bits uniform.
    fn sample(&mut self) -> Vec<i8> {
        let mut x: Vec<i8> = (0..self.n).map(|_| if self.rng.gen::<bool>() { 1 } else { -1 }).collect();
        for g in &self.groups {
            let pick = if g.len() == 1 { 0 } else { self.rng.gen_range(0..g.len()) };
            for &(b, s) in &g[pick].bits {
                x[b] = s;
            }
        }
        x
    }

    /// Records a result for a pending trial.
    pub fn tell(&mut self, id: usize, outcome: Outcome) -> Result<(), EngineError> {
        let pending = self.batch.as_ref().is_some_and(|r| r.contains(&id));
        match self.trials.get_mut(id) {
            Some(t) if pending && t.outcome.is_none() => {
                t.outcome = Some(outcome);
                Ok(())
            }
            _ => Err(EngineError::NotPending(id)),
        }
    }

    /// Finishes the current batch once every trial has a result.
    pub fn advance(&mut self) -> Result<Event, EngineError> {
        let Some(range) = self.batch.clone() else {
            return Ok(Event::Done);
        };
        let missing = self.trials[range.clone()].iter().filter(|t| t.outcome.is_none()).count();
        if missing > 0 {
            return Err(EngineError::Incomplete(missing));
        }
        match self.trials[range.start].phase {
            Phase::Stage(stage) => {
                let report = self.recover(stage, range)?;
                self.reports.push(report.clone());
                self.stage += 1;
                self.batch = None;
                Ok(Event::Stage(report))
            }
            Phase::Base { .. } => {
                let rung = self.plan[self.rung].clone();
                self.last_rung = Some(range);
                self.rung += 1;
                self.batch = None;
                Ok(Event::Rung(rung))
            }
        }
    }

    /// Bits not restricted by earlier stages.
    pub fn free_bits(&self) -> Vec<usize> {
        let mut taken = vec![false; self.n];
        for g in &self.groups {
            for &(b, _) in g.iter().flat_map(|s| s.bits.iter()) {
                taken[b] = true;
            }
        }
        (0..self.n).filter(|&b| !taken[b]).collect()
    }

    /// Polynomial Sparse Recovery on a finished stage's trials.
    fn recover(&mut self, stage: usize, range: std::ops::Range<usize>) -> Result<StageReport, EngineError> {
        let free = self.free_bits();
        let ok: Vec<&Trial> =
            self.trials[range.clone()].iter().filter(|t| t.loss().is_some_and(f64::is_finite)).collect();
        let samples: Vec<Vec<i8>> = ok.iter().map(|t| free.iter().map(|&b| t.request.bits[b]).collect()).collect();
        let y: Vec<f64> = ok.iter().filter_map(|t| t.loss()).collect();
        let (fit, layout) = self.fit(stage, &samples, &y, free.len())?;
        let terms: Vec<Term> = recovery::top_terms(&fit.nonzeros, self.spec.terms)
            .into_iter()
            .map(|(c, coef)| Term {
                coef,
                bits: layout.monomial(c).unwrap_or_default().iter().map(|&v| free[v]).collect(),
            })
            .collect();
        let settings = if terms.is_empty() {
            Vec::new()
        } else {
            let poly: Vec<(f64, Vec<usize>)> = terms.iter().map(|t| (t.coef, t.bits.clone())).collect();
            minimize::minimizers(&poly, self.spec.keep, self.spec.max_bits)?
        };
        if !settings.is_empty() {
            self.groups.push(settings.clone());
        }
        let best = self.best().and_then(|t| t.loss().map(|l| (t.request.id, l)));
        Ok(StageReport {
            stage,
            samples: range.len(),
            failed: range.len() - ok.len(),
            free_bits: free.len(),
            features: fit.n_features,
            alpha: self.spec.alpha,
            nonzeros: fit.nonzeros.len(),
            intercept: fit.intercept,
            terms,
            settings,
            best,
        })
    }

    /// The Lasso fit of one stage with the study's solver, and the column <-> monomial map.
    fn fit(
        &self,
        stage: usize,
        samples: &[Vec<i8>],
        y: &[f64],
        n_free: usize,
    ) -> Result<(recovery::LassoFit, features::Layout), EngineError> {
        let degree = self.spec.degree;
        let n_features = features::count(n_free, degree);
        let mean = if y.is_empty() { 0.0 } else { y.iter().sum::<f64>() / y.len() as f64 };
        match self.spec.solver {
            Solver::Fast => {
                let design = lasso::ParityDesign::new(samples, n_free, degree)?;
                let fit = if samples.len() < 2 || design.n_features() == 0 {
                    recovery::LassoFit::zero(design.n_features(), mean)
                } else {
                    lasso::fit(&design, y, &lasso::Params::new(self.spec.alpha), None)
                };
                Ok((fit, design.layout().clone()))
            }
            Solver::Linfa => {
                let bytes = n_features * samples.len() as u128 * 8;
                if bytes > MAX_MATRIX_BYTES {
                    return Err(EngineError::TooLarge {
                        stage,
                        rows: samples.len(),
                        cols: n_features,
                        gib: bytes as f64 / f64::from(1u32 << 30),
                    });
                }
                let monomials = features::monomials(n_free, degree);
                let fit = if samples.len() < 2 || monomials.is_empty() {
                    recovery::LassoFit::zero(monomials.len(), mean)
                } else {
                    recovery::fit_linfa(
                        &features::matrix(samples, &monomials),
                        &Array1::from_vec(y.to_vec()),
                        self.spec.alpha,
                    )?
                };
                Ok((fit, features::Layout::new(n_free, degree)))
            }
        }
    }
}

/// Changes made by hand between batches (the interactive session uses these).
impl Engine {
    fn idle(&self) -> Result<(), EngineError> {
        match &self.batch {
            Some(r) => Err(EngineError::Busy(self.trials[r.clone()].iter().filter(|t| t.outcome.is_none()).count())),
            None => Ok(()),
        }
    }

    /// Fixes bits to the given signs for every later batch.
    pub fn fix_bits(&mut self, bits: &[(usize, i8)]) -> Result<(), EngineError> {
        self.idle()?;
        if let Some(&(b, _)) = bits.iter().find(|(b, _)| *b >= self.n) {
            return Err(EngineError::NoSuchBit(b));
        }
        let targets: Vec<usize> = bits.iter().map(|(b, _)| *b).collect();
        self.release(&targets);
        let mut bits = bits.to_vec();
        bits.sort_unstable();
        self.groups.push(vec![Setting { bits, predicted: 0.0 }]);
        Ok(())
    }

    /// Frees bits fixed or restricted earlier, by a stage or by hand.
    pub fn unfix_bits(&mut self, bits: &[usize]) -> Result<(), EngineError> {
        self.idle()?;
        self.release(bits);
        Ok(())
    }

    fn release(&mut self, bits: &[usize]) {
        for group in &mut self.groups {
            for setting in group.iter_mut() {
                setting.bits.retain(|(b, _)| !bits.contains(b));
            }
            group.dedup_by(|a, b| a.bits == b.bits);
        }
        self.groups.retain(|g| g.iter().any(|s| !s.bits.is_empty()));
    }

    /// Replaces the settings used from the next batch on; the base algorithm is
    /// re-planned when it has not started.
    pub fn set_spec(&mut self, spec: HarmonicaSpec) -> Result<(), EngineError> {
        self.idle()?;
        if self.rung == 0 {
            self.plan = base::plan(&spec.base);
        }
        self.spec = spec;
        Ok(())
    }

    /// Skips the stages not yet run, so the next batch belongs to the base algorithm.
    pub fn skip_stages(&mut self) -> Result<(), EngineError> {
        self.idle()?;
        self.stage = self.stage.max(self.spec.stages);
        self.spec.stages = self.stage;
        Ok(())
    }

    /// True while a batch has trials without a result.
    pub fn has_pending(&self) -> bool {
        self.batch.is_some()
    }

    /// Stages completed so far.
    pub fn stages_done(&self) -> usize {
        self.stage
    }
}
