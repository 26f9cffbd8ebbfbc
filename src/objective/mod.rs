//! Objectives: what a trial evaluates.

pub mod command;
pub mod metric;
pub mod sgd;
pub mod synthetic;

use std::path::Path;

use crate::exec::Supervisor;

use crate::space::{Config, Space};
use crate::study::{ObjectiveKind, ObjectiveSpec, SgdObjectiveSpec};

/// Everything an objective may read about one trial.
#[derive(Clone, Copy, Debug)]
pub struct TrialInput<'a> {
    /// The trial's index in evaluation order.
    pub id: usize,
    /// The point as ±1 bits.
    pub bits: &'a [i8],
    /// The point as parameter values.
    pub config: &'a Config,
    /// The space, for parameter names.
    pub space: &'a Space,
    /// The budget, for objectives that take one.
    pub budget: Option<f64>,
}

/// Something that scores a configuration. Implementations must be deterministic
/// given the trial (randomness derives from the study seed and the trial id).
pub trait Objective: Send + Sync {
    /// The objective's value for one trial, or why it failed.
    fn evaluate(&self, trial: &TrialInput) -> Result<f64, String>;

    /// The number of bits the objective itself defines (synthetic functions), if any.
    fn implied_bits(&self) -> Option<usize> {
        None
    }

    /// The value without noise, where the objective knows it.
    fn noise_free(&self, _bits: &[i8]) -> Option<f64> {
        None
    }

    /// Evaluates one trial inside a run: objectives that start processes register
    /// them with `ctx.supervisor` so a stop can kill them, and may capture their
    /// output under `ctx.output_dir`. By default, [`evaluate`](Self::evaluate).
    fn evaluate_in(&self, trial: &TrialInput, ctx: &EvalContext) -> Evaluation {
        let _ = ctx;
        match self.evaluate(trial) {
            Ok(v) => Evaluation::Value(v),
            Err(reason) => Evaluation::Failed(Failure { reason, stderr: String::new(), attempts: 1 }),
        }
    }
}

/// What a run lends an objective for one evaluation.
#[derive(Clone, Copy)]
pub struct EvalContext<'a> {
    /// Kills trial processes on timeout or stop.
    pub supervisor: &'a Supervisor,
    /// Where trial output is captured, if anywhere.
    pub output_dir: Option<&'a Path>,
}

/// The result of one evaluation inside a run.
#[derive(Clone, Debug, PartialEq)]
pub enum Evaluation {
    /// The objective's value.
    Value(f64),
    /// The trial failed.
    Failed(Failure),
    /// The run was stopped while the trial ran: it has no result and runs again on resume.
    Interrupted,
}

/// Why a trial failed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Failure {
    /// One line: exit status, timeout, missing metric, ...
    pub reason: String,
    /// The tail of the program's stderr, when there is one.
    pub stderr: String,
    /// Attempts made (retries + 1).
    pub attempts: usize,
}

/// Errors building an objective.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ObjectiveError {
    /// A file it needs could not be read.
    #[error("cannot read {path}: {message}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// A file it needs is malformed.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// Builds the objective a study names; `base_dir` resolves relative paths and
/// `seed` seeds its noise.
pub fn build(spec: &ObjectiveSpec, base_dir: &Path, seed: u64) -> Result<Box<dyn Objective>, ObjectiveError> {
    Ok(match &spec.kind {
        ObjectiveKind::TreePolynomial { table, noise } => {
            let path = base_dir.join(table);
            let mut tree = synthetic::TreePolynomial::load(&path, seed)?;
            if let Some(noise) = noise {
                tree.set_noise(*noise);
            }
            Box::new(tree)
        }
        ObjectiveKind::SparsePolynomial { n, terms, noise } => {
            Box::new(synthetic::TreePolynomial::sparse(*n, terms.clone(), *noise, seed))
        }
        ObjectiveKind::Command(cmd) => Box::new(command::CommandObjective::new(cmd, base_dir, seed)?),
        ObjectiveKind::Sgd(spec) => {
            let spec = SgdObjectiveSpec { base: spec.base.resolved(base_dir), ..spec.clone() };
            Box::new(sgd::SgdObjective::new(spec, seed))
        }
    })
}

/// The space a study searches: the declared one, or the bits a synthetic objective implies.
pub fn resolve_space(declared: Option<&Space>, objective: &dyn Objective) -> Result<Space, String> {
    match (declared, objective.implied_bits()) {
        (Some(space), Some(n)) if space.n_bits() != n => {
            Err(format!("the objective is a function of {n} bits but the space encodes {} bits", space.n_bits()))
        }
        (Some(space), _) => Ok(space.clone()),
        (None, Some(n)) => Ok(Space::plain_bits(n)),
        (None, None) => Err("the study has no `space` and its objective implies none".into()),
    }
}
