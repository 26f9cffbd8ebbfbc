//! The `command` objective: an external program run once per trial, its argv
//! built from a template (never through a shell), its metric read from stdout.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::metric::MetricScanner;
use super::{EvalContext, Evaluation, Failure, Objective, ObjectiveError, TrialInput};
use crate::exec::process::{self, Exit, ProcessSpec};
use crate::exec::Supervisor;
use crate::space::ParamValue;
use crate::study::command::{CommandSpec, Template};

/// An external program as an objective.
#[derive(Clone, Debug)]
pub struct CommandObjective {
    spec: CommandSpec,
    workdir: PathBuf,
    seed: u64,
}

impl CommandObjective {
    /// Resolves the working directory against `base_dir` and checks that the
    /// program can be found, so a typo fails before any trial runs.
    pub fn new(spec: &CommandSpec, base_dir: &Path, seed: u64) -> Result<Self, ObjectiveError> {
        let workdir = base_dir.join(spec.workdir.as_deref().unwrap_or(Path::new(".")));
        if !workdir.is_dir() {
            let path = workdir.display().to_string();
            return Err(ObjectiveError::Read { path, message: "the working directory does not exist".into() });
        }
        let program = spec.argv.first().map(|t| t.text.as_str()).unwrap_or_default();
        if !program_exists(program, &workdir) {
            let message = if program.contains('/') {
                format!("not found (relative paths start at {})", workdir.display())
            } else {
                "program not found on PATH".into()
            };
            return Err(ObjectiveError::Invalid { path: program.to_owned(), message });
        }
        Ok(Self { spec: spec.clone(), workdir, seed })
    }

    /// The value of a placeholder for `trial`; `None` leaves the item out.
    fn lookup(&self, trial: &TrialInput, name: &str) -> Option<String> {
        if let Some(p) = trial.space.find(name) {
            return trial.config.0.get(p)?.as_ref().map(ParamValue::to_arg);
        }
        match name {
            "budget" => trial.budget.or(self.spec.default_budget).map(budget_arg),
            "trial" => Some(trial.id.to_string()),
            "seed" => Some(self.seed.to_string()),
            _ => None,
        }
    }

    /// The argv for `trial`: items whose placeholder has no value (an inactive
    /// parameter, no budget) are left out, so write `--momentum={momentum}` to drop
    /// a flag with its value.
    pub fn argv(&self, trial: &TrialInput) -> Vec<String> {
        self.spec.argv.iter().filter_map(|t| self.render(t, trial)).collect()
    }

    /// The environment added for `trial`.
    pub fn env(&self, trial: &TrialInput) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> =
            vec![("HARMONICA_TRIAL".into(), trial.id.to_string()), ("HARMONICA_SEED".into(), self.seed.to_string())];
        if let Some(b) = trial.budget.or(self.spec.default_budget) {
            env.push(("HARMONICA_BUDGET".into(), budget_arg(b)));
        }
        env.extend(self.spec.env.iter().filter_map(|(k, t)| Some((k.clone(), self.render(t, trial)?))));
        env
    }

    fn render(&self, t: &Template, trial: &TrialInput) -> Option<String> {
        t.render(|name| self.lookup(trial, name))
    }

    fn process(&self, trial: &TrialInput, ctx: &EvalContext) -> ProcessSpec {
        let logs = ctx
            .output_dir
            .map(|d| (d.join(format!("trial-{}.out", trial.id)), d.join(format!("trial-{}.err", trial.id))));
        ProcessSpec {
            argv: self.argv(trial),
            env: self.env(trial),
            cwd: self.workdir.clone(),
            timeout: self.spec.timeout.map(Duration::from_secs_f64),
            logs,
        }
    }

    fn attempt(&self, spec: &ProcessSpec, supervisor: &Supervisor) -> Evaluation {
        let mut scanner = MetricScanner::new(&self.spec.metric);
        let finished = match process::run(spec, supervisor, &mut |line| scanner.feed(line)) {
            Ok(f) => f,
            Err(reason) => return failed(reason, String::new()),
        };
        let reason = match finished.exit {
            Exit::Stopped => return Evaluation::Interrupted,
            Exit::Code(0) => match scanner.value() {
                Ok(v) => return Evaluation::Value(v),
                Err(reason) => reason,
            },
            Exit::Code(c) => format!("exited with status {c}"),
            Exit::Signal(s) => format!("killed by signal {s}"),
            Exit::TimedOut(d) => format!("timed out after {} s", d.as_secs_f64()),
        };
        failed(reason, finished.stderr_tail)
    }
}

fn failed(reason: String, stderr: String) -> Evaluation {
    Evaluation::Failed(Failure { reason, stderr, attempts: 1 })
}

/// Budgets are often epochs: `3`, not `3.0`, when whole.
fn budget_arg(b: f64) -> String {
    if b.fract() == 0.0 && b.abs() < 1e15 {
        format!("{}", b as i64)
    } else {
        ParamValue::Float(b).to_arg()
    }
}

fn program_exists(program: &str, workdir: &Path) -> bool {
    if program.contains('/') {
        return workdir.join(program).is_file();
    }
    process::on_path(program)
}

impl Objective for CommandObjective {
    fn evaluate(&self, trial: &TrialInput) -> Result<f64, String> {
        let supervisor = Supervisor::new();
        let ctx = EvalContext { supervisor: &supervisor, output_dir: None };
        match self.evaluate_in(trial, &ctx) {
            Evaluation::Value(v) => Ok(v),
            Evaluation::Failed(f) => Err(f.reason),
            Evaluation::Interrupted => Err("interrupted".into()),
        }
    }

    fn evaluate_in(&self, trial: &TrialInput, ctx: &EvalContext) -> Evaluation {
        let spec = self.process(trial, ctx);
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.attempt(&spec, ctx.supervisor) {
                Evaluation::Failed(_) if attempts <= self.spec.retries && !ctx.supervisor.is_stopping() => {}
                Evaluation::Failed(f) => return Evaluation::Failed(Failure { attempts, ..f }),
                other => return other,
            }
        }
    }
}
