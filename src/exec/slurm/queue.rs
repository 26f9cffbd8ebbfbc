//! The Slurm commands the coordinator runs: `sbatch` to submit an array,
//! `squeue` to see its tasks, `scancel` to cancel it. Each is run directly (no
//! shell) and its failure reported with Slurm's own words.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output};

use super::SlurmError;
use crate::study::SlurmSettings;

/// What Slurm says about one array task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskState {
    /// Waiting, running, or finishing: a result may still come.
    Live,
    /// Ran to its end (exit status 0).
    Completed,
    /// Failed in a way that belongs to the trial: `FAILED`, `TIMEOUT`, `OUT_OF_MEMORY`.
    Failed(String),
    /// Lost to the cluster (cancelled, node failure, preemption, ...): worth running again.
    Lost(String),
}

impl TaskState {
    /// Classifies a `squeue` state name (`%T`).
    pub fn from_slurm(state: &str) -> Self {
        match state {
            "COMPLETED" => Self::Completed,
            "FAILED" | "TIMEOUT" | "OUT_OF_MEMORY" => Self::Failed(state.to_owned()),
            "PENDING" | "RUNNING" | "CONFIGURING" | "COMPLETING" | "SUSPENDED" | "REQUEUED" | "REQUEUE_FED"
            | "REQUEUE_HOLD" | "RESIZING" | "SIGNALING" | "STAGE_OUT" | "RESV_DEL_HOLD" | "STOPPED" => Self::Live,
            // CANCELLED, NODE_FAIL, PREEMPTED, BOOT_FAIL, DEADLINE, REVOKED, SPECIAL_EXIT, ...
            other => Self::Lost(other.to_owned()),
        }
    }
}

/// The tasks of our jobs that Slurm still knows, by (submission, array index),
/// and the job id of each submission.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Task states.
    pub tasks: HashMap<(u64, usize), TaskState>,
    /// Job ids by submission.
    pub jobs: HashMap<u64, String>,
}

impl Snapshot {
    /// Reads `squeue` lines `<array job id>|<array index>|<state>|<comment>`.
    pub fn parse(text: &str) -> Self {
        let mut snap = Snapshot::default();
        for line in text.lines() {
            let mut parts = line.trim().splitn(4, '|');
            let (Some(job), Some(index), Some(state), Some(comment)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let Some(n) = comment.strip_prefix("sub-").and_then(|n| n.parse().ok()) else { continue };
            snap.jobs.insert(n, job.to_owned());
            if let Ok(index) = index.parse() {
                snap.tasks.insert((n, index), TaskState::from_slurm(state));
            }
        }
        snap
    }
}

/// Runs a Slurm command, with a clear error when it is not installed.
fn run(program: &str, args: &[String]) -> Result<Output, SlurmError> {
    Command::new(program).args(args).output().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => SlurmError::NotInstalled(program.to_owned()),
        _ => SlurmError::Command { program: program.to_owned(), message: e.to_string() },
    })
}

fn failed(program: &str, out: &Output) -> SlurmError {
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    let message = if stderr.is_empty() { format!("exited with {}", out.status) } else { stderr };
    SlurmError::Command { program: program.to_owned(), message }
}

/// Every task of the jobs named `name` (ours), finished ones included while
/// Slurm remembers them.
pub fn snapshot(name: &str) -> Result<Snapshot, SlurmError> {
    let args: Vec<String> = ["--me", "--noheader", "--array", "--states=all", "--name", name, "--format=%F|%K|%T|%k"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let out = run("squeue", &args)?;
    if !out.status.success() {
        return Err(failed("squeue", &out));
    }
    Ok(Snapshot::parse(&String::from_utf8_lossy(&out.stdout)))
}

/// Final states of array tasks from accounting (`sacct`), by (job id, array
/// index), for tasks `squeue` has already forgotten. `None` when the cluster keeps
/// no accounting (or `sacct` is missing): the caller then judges without it.
pub fn accounted(jobs: &[String]) -> Option<HashMap<(String, usize), TaskState>> {
    if jobs.is_empty() || !installed("sacct") {
        return None;
    }
    let args = vec![
        "--noheader".into(),
        "--parsable2".into(),
        "--allocations".into(),
        "--format=JobID,State".into(),
        format!("--jobs={}", jobs.join(",")),
    ];
    let out = run("sacct", &args).ok()?;
    out.status.success().then(|| parse_sacct(&String::from_utf8_lossy(&out.stdout)))
}

/// Reads `sacct` lines `<job>_<index>|<state>` (ranges of pending tasks, such as
/// `12_[4-9]`, are skipped: squeue still knows those).
fn parse_sacct(text: &str) -> HashMap<(String, usize), TaskState> {
    text.lines()
        .filter_map(|line| {
            let (id, state) = line.trim().split_once('|')?;
            let (job, index) = id.split_once('_')?;
            // `CANCELLED by 0`: the state is the first word.
            let state = state.split_whitespace().next()?;
            Some(((job.to_owned(), index.parse().ok()?), TaskState::from_slurm(state)))
        })
        .collect()
}

/// What `sbatch` needs for one array.
pub struct ArrayJob<'a> {
    /// The job name shared by all our jobs.
    pub name: &'a str,
    /// The submission number, carried in the job's comment.
    pub submission: u64,
    /// Number of tasks.
    pub tasks: usize,
    /// The batch script.
    pub script: &'a Path,
    /// Where Slurm writes each task's output.
    pub output: &'a Path,
}

/// The `sbatch` arguments for `job` under `settings`.
pub fn sbatch_args(job: &ArrayJob, settings: &SlurmSettings) -> Vec<String> {
    let last = job.tasks.saturating_sub(1);
    let throttle = settings.max_parallel.map(|m| format!("%{m}")).unwrap_or_default();
    let mut args = vec![
        "--parsable".to_owned(),
        format!("--job-name={}", job.name),
        format!("--comment=sub-{}", job.submission),
        format!("--array=0-{last}{throttle}"),
        format!("--output={}", job.output.display()),
    ];
    if let Some(p) = &settings.partition {
        args.push(format!("--partition={p}"));
    }
    if let Some(t) = &settings.time {
        args.push(format!("--time={t}"));
    }
    if let Some(c) = settings.cpus_per_task {
        args.push(format!("--cpus-per-task={c}"));
    }
    args.extend(settings.extra.iter().cloned());
    args.push(job.script.display().to_string());
    args
}

/// Submits an array; returns its job id.
pub fn sbatch(job: &ArrayJob, settings: &SlurmSettings) -> Result<String, SlurmError> {
    let out = run("sbatch", &sbatch_args(job, settings))?;
    if !out.status.success() {
        return Err(failed("sbatch", &out));
    }
    // `--parsable` prints `<id>` or `<id>;<cluster>`.
    let text = String::from_utf8_lossy(&out.stdout);
    let id = text.trim().split(';').next().unwrap_or_default().to_owned();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(SlurmError::Command { program: "sbatch".into(), message: format!("unexpected answer `{text}`") });
    }
    Ok(id)
}

/// Cancels jobs (whole arrays).
pub fn scancel(jobs: &[String]) -> Result<(), SlurmError> {
    if jobs.is_empty() {
        return Ok(());
    }
    let out = run("scancel", jobs)?;
    if !out.status.success() {
        return Err(failed("scancel", &out));
    }
    Ok(())
}

/// Whether a Slurm command is on PATH.
pub use crate::exec::process::on_path as installed;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squeue_lines_are_read_by_submission() {
        let snap =
            Snapshot::parse("12|0|COMPLETED|sub-3\n12|1|RUNNING|sub-3\n15|0|NODE_FAIL|sub-4\n9|N/A|PENDING|other\n");
        assert_eq!(snap.tasks[&(3, 0)], TaskState::Completed);
        assert_eq!(snap.tasks[&(3, 1)], TaskState::Live);
        assert_eq!(snap.tasks[&(4, 0)], TaskState::Lost("NODE_FAIL".into()));
        assert_eq!(snap.jobs[&4], "15");
        assert_eq!(snap.tasks.len(), 3);
    }

    #[test]
    fn sacct_lines_are_read_by_job_and_index() {
        let got = parse_sacct("12_0|COMPLETED\n12_1|TIMEOUT\n12_2|CANCELLED by 0\n12_[3-9]|PENDING\n13|FAILED\n");
        assert_eq!(got[&("12".to_owned(), 1)], TaskState::Failed("TIMEOUT".into()));
        assert_eq!(got[&("12".to_owned(), 2)], TaskState::Lost("CANCELLED".into()));
        assert_eq!(got.len(), 3);
    }

    #[test]
    fn trial_failures_and_losses_are_told_apart() {
        for s in ["FAILED", "TIMEOUT", "OUT_OF_MEMORY"] {
            assert_eq!(TaskState::from_slurm(s), TaskState::Failed(s.into()));
        }
        for s in ["CANCELLED", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL"] {
            assert_eq!(TaskState::from_slurm(s), TaskState::Lost(s.into()));
        }
        assert_eq!(TaskState::from_slurm("PENDING"), TaskState::Live);
    }

    #[test]
    fn sbatch_arguments_follow_the_settings() {
        let settings = SlurmSettings {
            partition: Some("debug".into()),
            max_parallel: Some(4),
            time: Some("01:00:00".into()),
            cpus_per_task: Some(2),
            extra: vec!["--gres=gpu:1".into()],
            ..SlurmSettings::default()
        };
        let job =
            ArrayJob { name: "h", submission: 7, tasks: 20, script: Path::new("/d/s.sh"), output: Path::new("/d/o") };
        let args = sbatch_args(&job, &settings);
        let want = [
            "--parsable",
            "--job-name=h",
            "--comment=sub-7",
            "--array=0-19%4",
            "--output=/d/o",
            "--partition=debug",
            "--time=01:00:00",
            "--cpus-per-task=2",
            "--gres=gpu:1",
            "/d/s.sh",
        ];
        assert_eq!(args, want);
    }
}
