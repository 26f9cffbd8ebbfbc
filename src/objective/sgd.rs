//! SGD training as an objective: each trial trains the two-layer net of the SGD lab
//! with the trial's settings and returns its final loss or distance. The bridge
//! between the lab and the tuner.

use crate::sgd::net::Model;
use crate::sgd::two_layer::{self, InitSpec, Method, TwoLayerConfig};
use crate::space::ParamValue;
use crate::study::{SgdMetric, SgdObjectiveSpec};

use super::{Objective, TrialInput};

/// Trial seeds are derived from the study seed by this offset, apart from the engine's.
const TRIAL_SEED_SALT: u64 = 0x0073_6764_5f6c_6162;

/// The closed-form loss cancels to rounding noise below about this (relative to
/// E[f(x, W*)^2] ~ d), so `log_loss` does not rank below it.
const LOSS_FLOOR: f64 = 1e-12;

/// Trains one two-layer net per trial, in-process.
#[derive(Clone, Debug)]
pub struct SgdObjective {
    spec: SgdObjectiveSpec,
    seed: u64,
}

impl SgdObjective {
    /// The objective for `spec`, with trial randomness derived from the study `seed`.
    pub fn new(spec: SgdObjectiveSpec, seed: u64) -> Self {
        Self { spec, seed }
    }

    /// The run a trial makes: the base settings with the tuned values applied. The
    /// teacher comes from the objective's own `seed` so every trial learns the same
    /// one; the start and the data come from the study seed and the trial id.
    pub fn config(&self, trial: &TrialInput) -> Result<TwoLayerConfig, String> {
        let mut cfg = self.spec.base.clone();
        cfg.teacher_seed = Some(self.spec.base.seed);
        cfg.seed = (self.seed ^ TRIAL_SEED_SALT).wrapping_add(trial.id as u64);
        for (name, value) in trial.space.named(trial.config) {
            apply(&mut cfg, name, value)?;
        }
        if let Some(budget) = trial.budget {
            // A budget (successive halving, Hyperband) is a number of steps.
            cfg.steps = budget.round().max(1.0) as usize;
        }
        cfg.log_every = cfg.steps.max(1);
        Ok(cfg)
    }
}

fn number(name: &str, v: &ParamValue) -> Result<f64, String> {
    match v {
        ParamValue::Int(i) => Ok(*i as f64),
        ParamValue::Float(x) => Ok(*x),
        other => Err(format!("`{name}` must be a number, got {other}")),
    }
}

fn count(name: &str, v: &ParamValue) -> Result<usize, String> {
    let x = number(name, v)?;
    if x >= 0.0 && x.is_finite() {
        Ok(x.round() as usize)
    } else {
        Err(format!("`{name}` must be a whole number >= 0, got {v}"))
    }
}

fn apply(cfg: &mut TwoLayerConfig, name: &str, v: &ParamValue) -> Result<(), String> {
    match name {
        "lr" => cfg.lr = number(name, v)?,
        "momentum" => cfg.momentum = number(name, v)?.clamp(0.0, 0.999),
        "init_norm" => cfg.init = InitSpec::Gaussian { norm: number(name, v)?.max(0.0) },
        "steps" => cfg.steps = count(name, v)?,
        "batch" => match &mut cfg.method {
            Method::Sgd { batch } | Method::Finite { batch, .. } => *batch = count(name, v)?.max(1),
            Method::Gd => return Err("`batch` is tuned but the optimizer is gd".into()),
        },
        "identity" => {
            cfg.model = match v {
                ParamValue::Bool(true) => Model::ResLink,
                ParamValue::Bool(false) => Model::Vanilla,
                ParamValue::Str(s) if s == "reslink" => Model::ResLink,
                ParamValue::Str(s) if s == "vanilla" => Model::Vanilla,
                other => return Err(format!("`identity` must be true or false, got {other}")),
            }
        }
        // Names the analysis rejected never reach here; unknown ones are ignored.
        _ => {}
    }
    Ok(())
}

impl Objective for SgdObjective {
    fn evaluate(&self, trial: &TrialInput) -> Result<f64, String> {
        let cfg = self.config(trial)?;
        let run = two_layer::run(&cfg).map_err(|e| e.to_string())?;
        match (run.final_state.diverged_at, self.spec.metric) {
            // On the log scale a diverged run scores as the divergence threshold: a bad
            // but finite value the Lasso can learn from, where a failed trial is left out.
            (Some(_), SgdMetric::LogLoss) => Ok(two_layer::DIVERGED.log10()),
            (Some(step), _) => Err(format!("training diverged at step {step}")),
            (None, SgdMetric::Loss) => Ok(run.final_state.loss),
            (None, SgdMetric::Distance) => Ok(run.final_state.distance),
            (None, SgdMetric::LogLoss) => Ok(run.final_state.loss.max(LOSS_FLOOR).log10()),
        }
    }
}
