//! The Slurm executor: each batch of trials becomes one `sbatch --array` job
//! whose tasks run `harmonica worker`, each evaluating one trial and writing its
//! result into the shared directory beside the journal ([`shared`]).
//!
//! The coordinator notices results by their files (every [`RESULT_TICK`]) and
//! asks `squeue` about the tasks still without one (every `poll_interval`):
//! `FAILED`, `TIMEOUT` and `OUT_OF_MEMORY` make the trial fail with that reason;
//! a task Slurm lost (cancelled, node failure, preemption, or forgotten) is
//! submitted again, up to `max_resubmits` times. Accounting (`sacct`) is asked
//! only about tasks `squeue` has forgotten, where the cluster keeps it; nothing
//! depends on it: a small cluster often has none.
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

use self::queue::{ArrayJob, TaskState};
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
            // A task Slurm still knows is judged by the first poll, as if this
            // coordinator had submitted it: waited for, failed, or submitted again.
            match placed.get(&self.todo[index].id) {
                Some(&at) if snap.tasks.contains_key(&at) => {
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
        let forgotten = self.accounted(&snap);
        let mut lost = Vec::new();
        let mut still = Vec::with_capacity(self.waiting.len());
        for mut w in std::mem::take(&mut self.waiting) {
            let state = snap.tasks.get(&w.at).or_else(|| {
                let job = self.jobs.get(&w.at.0)?;
                forgotten.as_ref()?.get(&(job.clone(), w.at.1))
            });
            match judge(state, &mut w, self.run.settings.max_resubmits) {
                Judged::Wait => still.push(w),
                Judged::Fail(reason) => {
                    let stderr = self.task_output(w.at);
                    let failure = Failure { reason, stderr, attempts: w.resubmits + 1 };
                    msgs.push(Message::Done(w.index, (Evaluation::Failed(failure), 0.0)));
                }
                Judged::Resubmit => lost.push((w.index, w.resubmits + 1)),
            }
        }
        self.waiting = still;
        self.submit(&lost)?;
        Ok(msgs)
    }

    /// What accounting says of the waiting tasks `squeue` no longer lists (it
    /// forgets a job some minutes after it ends), where the cluster keeps any.
    fn accounted(&self, snap: &queue::Snapshot) -> Option<HashMap<(String, usize), TaskState>> {
        queue::accounted(&self.jobs_of(self.waiting.iter().filter(|w| !snap.tasks.contains_key(&w.at))))
    }

    /// The job ids of `waiting`'s tasks, each once.
    fn jobs_of<'w>(&self, waiting: impl Iterator<Item = &'w Waiting>) -> Vec<String> {
        let mut jobs: Vec<String> = waiting.filter_map(|w| self.jobs.get(&w.at.0).cloned()).collect();
        jobs.sort();
        jobs.dedup();
        jobs
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

    /// The tail of what Slurm captured of task `at` (the worker's own errors,
    /// Slurm's "CANCELLED AT ... DUE TO TIME LIMIT"), for the failure report.
    fn task_output(&self, at: (u64, usize)) -> String {
        let Some(job) = self.jobs.get(&at.0) else { return String::new() };
        let path = self.run.dir.task_output(job, at.1);
        let text = std::fs::read(&path).unwrap_or_default();
        let start = text.len().saturating_sub(crate::exec::process::STDERR_TAIL_BYTES);
        String::from_utf8_lossy(&text[start..]).trim().to_owned()
    }

    /// Cancels the arrays that still have tasks of this batch.
    fn cancel(&self) -> Result<(), SlurmError> {
        queue::scancel(&self.jobs_of(self.waiting.iter()))
    }
}

/// What to do about a task without a result.
#[derive(Debug, PartialEq)]
enum Judged {
    Wait,
    Fail(String),
    Resubmit,
}

/// Decides about a task that has no result file, from what `squeue` says of it
/// (`None`: Slurm no longer knows it).
fn judge(state: Option<&TaskState>, w: &mut Waiting, max_resubmits: usize) -> Judged {
    match state {
        Some(TaskState::Live) => Judged::Wait,
        Some(TaskState::Failed(state)) => Judged::Fail(format!("Slurm reports the task {state}")),
        Some(TaskState::Completed) => {
            w.completed_polls += 1;
            if w.completed_polls < COMPLETED_GRACE_POLLS {
                return Judged::Wait;
            }
            Judged::Fail("the Slurm task completed without writing a result".into())
        }
        Some(TaskState::Lost(_)) | None if w.resubmits < max_resubmits => Judged::Resubmit,
        Some(TaskState::Lost(state)) => {
            Judged::Fail(format!("the Slurm task was lost {} times (last: {state})", w.resubmits + 1))
        }
        None => Judged::Fail(format!("the Slurm task vanished from the queue {} times", w.resubmits + 1)),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn waiting(resubmits: usize) -> Waiting {
        Waiting { index: 0, at: (0, 0), resubmits, completed_polls: 0 }
    }

    #[test]
    fn slurm_failures_fail_the_trial_with_their_reason() {
        let state = TaskState::Failed("OUT_OF_MEMORY".into());
        let j = judge(Some(&state), &mut waiting(0), 3);
        assert_eq!(j, Judged::Fail("Slurm reports the task OUT_OF_MEMORY".into()));
    }

    #[test]
    fn lost_tasks_are_resubmitted_up_to_the_limit() {
        let state = TaskState::Lost("NODE_FAIL".into());
        assert_eq!(judge(Some(&state), &mut waiting(2), 3), Judged::Resubmit);
        assert_eq!(judge(None, &mut waiting(0), 3), Judged::Resubmit);
        let j = judge(Some(&state), &mut waiting(3), 3);
        assert_eq!(j, Judged::Fail("the Slurm task was lost 4 times (last: NODE_FAIL)".into()));
        assert_eq!(judge(Some(&TaskState::Live), &mut waiting(9), 3), Judged::Wait);
    }

    #[test]
    fn a_completed_task_gets_a_grace_for_its_result_file() {
        let mut w = waiting(0);
        for _ in 1..COMPLETED_GRACE_POLLS {
            assert_eq!(judge(Some(&TaskState::Completed), &mut w, 3), Judged::Wait);
        }
        let j = judge(Some(&TaskState::Completed), &mut w, 3);
        assert_eq!(j, Judged::Fail("the Slurm task completed without writing a result".into()));
    }

    #[test]
    fn non_finite_values_become_failures_as_locally() {
        let task = Task { trial: 1, bits: "+".into(), budget: None };
        let fp = Fingerprint { space: "s".into(), objective: "o".into(), optimizer: "p".into(), seed: 0 };
        let r = task_result(&task, &fp, Evaluation::Value(f64::NAN), 0.1);
        let want =
            TaskOutcome::Failed { reason: "the objective returned NaN".into(), stderr: String::new(), attempts: 1 };
        assert_eq!(r.outcome, want);
    }
}
