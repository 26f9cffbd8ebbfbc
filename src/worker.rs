//! `harmonica worker`: what one Slurm array task runs. It evaluates the trial at
//! its array index in a submission file and writes the result into the shared
//! directory, where the coordinator picks it up. Hidden from `--help`: only the
//! Slurm executor starts it.

use std::path::Path;
use std::time::Instant;

use crate::exec::slurm::shared::{read_submission, SharedDir, Submission, Task, TaskResult};
use crate::exec::slurm::task_result;
use crate::exec::Supervisor;
use crate::harmonica::TrialRequest;
use crate::objective::{EvalContext, Evaluation, Failure};
use crate::runner::Prepared;

/// Why a worker could not do its task.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkerError {
    /// The submission file is unreadable.
    #[error("{0}")]
    Submission(String),
    /// The index is not one of the submission's tasks.
    #[error("task index {index} is out of range: the submission has {tasks} tasks")]
    Index {
        /// The index asked for.
        index: usize,
        /// Tasks in the submission.
        tasks: usize,
    },
    /// The study cannot be evaluated here (its failure is written as the trial's result).
    #[error("{0}")]
    Study(String),
    /// The result could not be written.
    #[error("cannot write the result {path}: {message}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
}

/// Evaluates task `index` of the submission at `batch` and writes its result.
pub fn run(batch: &Path, index: usize) -> Result<(), WorkerError> {
    let sub = read_submission(batch).map_err(WorkerError::Submission)?;
    let task = sub.tasks.get(index).ok_or(WorkerError::Index { index, tasks: sub.tasks.len() })?;
    let dir = SharedDir::at(batch.parent().unwrap_or(Path::new(".")));
    let t0 = Instant::now();
    let result = match prepare(&sub, task) {
        Ok((prepared, req)) => evaluate(&prepared, &sub, task, &req, t0),
        Err(reason) => {
            // The coordinator learns why through the result; Slurm's log has it too.
            let failure = Evaluation::Failed(Failure { reason: reason.clone(), stderr: String::new(), attempts: 1 });
            write(&dir, &task_result(task, &sub.fingerprint, failure, t0.elapsed().as_secs_f64()))?;
            return Err(WorkerError::Study(reason));
        }
    };
    write(&dir, &result)
}

/// Loads the study as the coordinator saw it and decodes the task's point.
fn prepare(sub: &Submission, task: &Task) -> Result<(Prepared, TrialRequest), String> {
    let mut study = crate::study::load(&sub.study).map_err(|e| format!("cannot load the study: {e}"))?;
    study.seed = sub.seed;
    let prepared = Prepared::new(study).map_err(|e| e.to_string())?;
    let fingerprint = crate::store::fingerprint::of(&prepared.study, &prepared.space);
    if fingerprint != sub.fingerprint {
        let changed = crate::store::fingerprint::differences(&sub.fingerprint, &fingerprint).join(", ");
        return Err(format!("{} changed since the run started ({changed})", sub.study.display()));
    }
    let bits: Vec<i8> = task.bits.chars().map(|c| if c == '+' { 1 } else { -1 }).collect();
    if bits.len() != prepared.space.n_bits() {
        return Err(format!("trial {} has {} bits; the space has {}", task.trial, bits.len(), prepared.space.n_bits()));
    }
    Ok((prepared, TrialRequest { id: task.trial, bits, budget: task.budget }))
}

fn evaluate(prepared: &Prepared, sub: &Submission, task: &Task, req: &TrialRequest, t0: Instant) -> TaskResult {
    let supervisor = Supervisor::new();
    let ctx = EvalContext { supervisor: &supervisor, output_dir: sub.logs.as_deref() };
    let eval = prepared.evaluate_in(req, &ctx);
    task_result(task, &sub.fingerprint, eval, t0.elapsed().as_secs_f64())
}

fn write(dir: &SharedDir, result: &TaskResult) -> Result<(), WorkerError> {
    dir.write_result(result).map_err(|e| WorkerError::Write {
        path: dir.result_path(result.trial).display().to_string(),
        message: e.to_string(),
    })
}
