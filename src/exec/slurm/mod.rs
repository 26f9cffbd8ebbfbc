//! The Slurm executor: each batch of trials becomes one `sbatch --array` job
//! whose tasks run `harmonica worker`, each evaluating one trial and writing its
//! result into the shared directory beside the journal ([`shared`]).
//!
//! The coordinator notices results by their files (every [`RESULT_TICK`]) and
//! asks `squeue` about the tasks still without one (every `poll_interval`):
//! `FAILED`, `TIMEOUT` and `OUT_OF_MEMORY` make the trial fail with that reason;
//! a task Slurm lost (cancelled, node failure, preemption, or forgotten) is
//! submitted again, up to `max_resubmits` times. Nothing depends on accounting
//! (`sacct`): a small cluster often has none.
//!
//! Resuming after the coordinator was killed: results already written are read
//! back, and a trial whose task Slurm still has pending or running is waited
//! for, never submitted twice. The submissions are found again by their files
//! and their job name and comment, so even a job whose id was not yet recorded
//! when the coordinator died is recognised.

pub mod queue;
pub mod shared;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use self::queue::{ArrayJob, Snapshot, TaskState};
use self::shared::{SharedDir, Submission, Task, TaskOutcome, TaskResult};
use super::{Flow, Message};
use crate::harmonica::TrialRequest;
use crate::objective::{Evaluation, Failure};
use crate::store::record::bits_text;
use crate::store::Fingerprint;
use crate::study::SlurmSettings;

/// How often result files are looked for.
pub const RESULT_TICK: Duration = Duration::from_millis(100);
/// Tasks in one array at most (Slurm's default `MaxArraySize` is 1001).
pub const MAX_ARRAY_TASKS: usize = 1000;
/// `squeue` polls a COMPLETED task may go without its result file before its
/// trial fails (a shared file system may show the file late).
const COMPLETED_GRACE_POLLS: usize = 3;
/// Consecutive failed `squeue` calls before the run gives up.
const MAX_QUEUE_ERRORS: usize = 30;

/// Errors talking to Slurm.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SlurmError {
    /// A Slurm command is missing.
    #[error("{0} not found: is Slurm installed (and on PATH)?")]
    NotInstalled(String),
    /// A Slurm command failed.
    #[error("{program} failed: {message}")]
    Command {
        /// The command.
        program: String,
        /// What it said.
        message: String,
    },
    /// The shared directory could not be written.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// Everything the coordinator needs beyond the trials: where, what, how.
#[derive(Clone, Debug)]
pub struct SlurmRun {
    /// The `execution.slurm` settings.
    pub settings: SlurmSettings,
    /// The directory shared with the tasks.
    pub dir: SharedDir,
    /// The study file (absolute), which every worker loads.
    pub study: PathBuf,
    /// The seed in force.
    pub seed: u64,
    /// The study's fingerprint: results of another study are never taken.
    pub fingerprint: Fingerprint,
    /// Where trial output is captured.
    pub logs: Option<PathBuf>,
    /// The `harmonica` binary the tasks run (it must be reachable from the nodes).
    pub program: PathBuf,
}

/// A trial waiting for its result.
struct Waiting {
    /// Its index in the batch.
    index: usize,
    /// Its task: (submission, array index).
    at: (u64, usize),
    /// Times it was submitted again.
    resubmits: usize,
    /// Polls it has been COMPLETED without a result file.
    completed_polls: usize,
}

/// The coordinator of one batch.
struct Coordinator<'a> {
    run: &'a SlurmRun,
    todo: &'a [TrialRequest],
    bits: Vec<String>,
    name: String,
    next_submission: u64,
    jobs: HashMap<u64, String>,
    waiting: Vec<Waiting>,
    queue_errors: usize,
}

/// Evaluates `todo` on Slurm. `handle` gets each group of messages (indices into
/// `todo`) and is called at least every [`RESULT_TICK`]; after it returns
/// [`Flow::Stop`] the arrays still running are cancelled.
pub fn stream<H>(run: &SlurmRun, todo: &[TrialRequest], mut handle: H) -> Result<(), SlurmError>
where
    H: FnMut(Vec<Message<(Evaluation, f64)>>) -> Flow,
{
    run.dir.create().map_err(|e| io(run.dir.root(), e))?;
    let subs = run.dir.submissions();
    let mut c = Coordinator {
        run,
        todo,
        bits: todo.iter().map(|r| bits_text(&r.bits)).collect(),
        name: run.dir.job_name(),
        next_submission: subs.last().map_or(0, |(n, _)| n + 1),
        jobs: subs.iter().filter_map(|(n, _)| Some((*n, run.dir.job(*n)?))).collect(),
        waiting: Vec::new(),
        queue_errors: 0,
    };
    let first = c.start(&subs)?;
    if handle(first) == Flow::Stop {
        return c.cancel();
    }
    let mut last_poll = Instant::now();
    while !c.waiting.is_empty() {
        std::thread::sleep(RESULT_TICK);
        let mut msgs = c.collect_results();
        if last_poll.elapsed().as_secs_f64() >= run.settings.poll_interval {
            last_poll = Instant::now();
            msgs.extend(c.poll()?);
        }
        if handle(msgs) == Flow::Stop {
            return c.cancel();
        }
    }
    Ok(())
}

fn io(path: &std::path::Path, e: std::io::Error) -> SlurmError {
    SlurmError::Io { path: path.to_path_buf(), message: e.to_string() }
}

impl Coordinator<'_> {
    /// Takes the results already written, waits for tasks Slurm still runs for
    /// this batch (an earlier coordinator's), and submits the rest.
    fn start(&mut self, subs: &[(u64, Submission)]) -> Result<Vec<Message<(Evaluation, f64)>>, SlurmError> {
        let snap = queue::snapshot(&self.name)?;
        self.jobs.extend(snap.jobs.iter().map(|(n, j)| (*n, j.clone())));
        let placed = self.latest_tasks(subs);
        let mut msgs = Vec::new();
        let mut fresh = Vec::new();
        for index in 0..self.todo.len() {
            msgs.push(Message::Started(index));
            if let Some(done) = self.result_of(index) {
                msgs.push(done);
                continue;
            }
            match placed.get(&self.todo[index].id) {
                Some(&at) if snap.tasks.get(&at) == Some(&TaskState::Live) => {
                    self.waiting.push(Waiting { index, at, resubmits: 0, completed_polls: 0 });
                }
                _ => fresh.push((index, 0)),
            }
        }
        self.submit(&fresh)?;
        Ok(msgs)
    }

    /// The last task each trial of this study was submitted as.
    fn latest_tasks(&self, subs: &[(u64, Submission)]) -> HashMap<usize, (u64, usize)> {
        let mut placed = HashMap::new();
        for (n, sub) in subs.iter().filter(|(_, s)| s.fingerprint == self.run.fingerprint) {
            for (i, task) in sub.tasks.iter().enumerate() {
                placed.insert(task.trial, (*n, i));
            }
        }
        placed
    }

    /// The Done message of trial `index` if its result file is there.
    fn result_of(&self, index: usize) -> Option<Message<(Evaluation, f64)>> {
        let r = self.run.dir.result(self.todo[index].id, &self.bits[index], &self.run.fingerprint)?;
        let eval = match r.outcome {
            TaskOutcome::Value { value } => Evaluation::Value(value),
            TaskOutcome::Failed { reason, stderr, attempts } => {
                Evaluation::Failed(Failure { reason, stderr, attempts })
            }
        };
        Some(Message::Done(index, (eval, r.seconds)))
    }

    fn collect_results(&mut self) -> Vec<Message<(Evaluation, f64)>> {
        let mut msgs = Vec::new();
        let mut still = Vec::with_capacity(self.waiting.len());
        for w in std::mem::take(&mut self.waiting) {
            match self.result_of(w.index) {
                Some(m) => msgs.push(m),
                None => still.push(w),
            }
        }
        self.waiting = still;
        msgs
    }

    /// Asks Slurm about the tasks still without a result: failed ones end their
    /// trial, lost ones are submitted again.
    fn poll(&mut self) -> Result<Vec<Message<(Evaluation, f64)>>, SlurmError> {
        let snap = match queue::snapshot(&self.name) {
            Ok(s) => s,
            Err(e) => {
                // The controller may be restarting; results still arrive meanwhile.
                self.queue_errors += 1;
                return if self.queue_errors > MAX_QUEUE_ERRORS { Err(e) } else { Ok(Vec::new()) };
            }
        };
        self.queue_errors = 0;
        // Files first written before the snapshot are all visible now: a task the
        // snapshot shows ended has its result read below if it wrote one.
        let mut msgs = self.collect_results();
        let mut lost = Vec::new();
        let mut still = Vec::with_capacity(self.waiting.len());
        for mut w in std::mem::take(&mut self.waiting) {
            match self.judge(&mut w, &snap) {
                Judged::Wait => still.push(w),
                Judged::Fail(reason) => {
                    let failure = Failure { reason, stderr: String::new(), attempts: w.resubmits + 1 };
                    msgs.push(Message::Done(w.index, (Evaluation::Failed(failure), 0.0)));
                }
                Judged::Resubmit => lost.push((w.index, w.resubmits + 1)),
            }
        }
        self.waiting = still;
        self.submit(&lost)?;
        Ok(msgs)
    }

    fn judge(&self, w: &mut Waiting, snap: &Snapshot) -> Judged {
        let max = self.run.settings.max_resubmits;
        match snap.tasks.get(&w.at) {
            Some(TaskState::Live) => Judged::Wait,
            Some(TaskState::Failed(state)) => Judged::Fail(format!("Slurm reports the task {state}")),
            Some(TaskState::Completed) => {
                w.completed_polls += 1;
                if w.completed_polls < COMPLETED_GRACE_POLLS {
                    return Judged::Wait;
                }
                Judged::Fail("the Slurm task completed without writing a result".into())
            }
            Some(TaskState::Lost(_)) | None if w.resubmits < max => Judged::Resubmit,
            Some(TaskState::Lost(state)) => {
                Judged::Fail(format!("the Slurm task was lost {} times (last: {state})", w.resubmits + 1))
            }
            None => Judged::Fail(format!("the Slurm task vanished from the queue {} times", w.resubmits + 1)),
        }
    }

    /// Submits trials (index, resubmits so far) as arrays of at most
    /// [`MAX_ARRAY_TASKS`], recording where each went.
    fn submit(&mut self, trials: &[(usize, usize)]) -> Result<(), SlurmError> {
        for chunk in trials.chunks(MAX_ARRAY_TASKS) {
            let n = self.next_submission;
            self.next_submission += 1;
            let tasks = chunk
                .iter()
                .map(|&(i, _)| Task { trial: self.todo[i].id, bits: self.bits[i].clone(), budget: self.todo[i].budget })
                .collect();
            let run = self.run;
            let sub = Submission {
                study: run.study.clone(),
                seed: run.seed,
                fingerprint: run.fingerprint.clone(),
                logs: run.logs.clone(),
                tasks,
            };
            run.dir.write_submission(n, &sub, &run.program).map_err(|e| io(&run.dir.submission_path(n), e))?;
            let (script, output) = (run.dir.script_path(n), run.dir.slurm_output());
            let job =
                ArrayJob { name: &self.name, submission: n, tasks: chunk.len(), script: &script, output: &output };
            let id = queue::sbatch(&job, &run.settings)?;
            // Recorded at once; a resume also finds the job by its name and comment.
            run.dir.write_job(n, &id).map_err(|e| io(run.dir.root(), e))?;
            self.jobs.insert(n, id);
            for (k, &(index, resubmits)) in chunk.iter().enumerate() {
                self.waiting.push(Waiting { index, at: (n, k), resubmits, completed_polls: 0 });
            }
        }
        Ok(())
    }

    /// Cancels the arrays that still have tasks of this batch.
    fn cancel(&self) -> Result<(), SlurmError> {
        let mut jobs: Vec<String> =
            self.waiting.iter().filter_map(|w| self.jobs.get(&w.at.0)).cloned().collect::<Vec<_>>();
        jobs.sort();
        jobs.dedup();
        queue::scancel(&jobs)
    }
}

/// What to do about a task without a result.
enum Judged {
    Wait,
    Fail(String),
    Resubmit,
}

/// The result file of a finished evaluation.
pub fn task_result(task: &Task, fingerprint: &Fingerprint, eval: Evaluation, seconds: f64) -> TaskResult {
    let outcome = match eval {
        Evaluation::Value(value) if value.is_finite() => TaskOutcome::Value { value },
        Evaluation::Value(v) => {
            TaskOutcome::Failed { reason: format!("the objective returned {v}"), stderr: String::new(), attempts: 1 }
        }
        Evaluation::Failed(f) => TaskOutcome::Failed { reason: f.reason, stderr: f.stderr, attempts: f.attempts },
        Evaluation::Interrupted => {
            TaskOutcome::Failed { reason: "the worker was stopped".into(), stderr: String::new(), attempts: 1 }
        }
    };
    TaskResult { trial: task.trial, bits: task.bits.clone(), fingerprint: fingerprint.clone(), seconds, outcome }
}
