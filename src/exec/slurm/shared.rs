//! The directory a coordinator shares with its array tasks, beside the journal
//! (`<study>.slurm/`): what each submission asked for, and each trial's result.
//!
//! ```text
//! sub-<n>.json          the tasks of submission n (array index -> trial), written before sbatch
//! sub-<n>.sh            the batch script: `harmonica worker --batch sub-<n>.json --index $SLURM_ARRAY_TASK_ID`
//! sub-<n>.job           the Slurm job id, written as soon as sbatch answers
//! results/trial-<id>.json   a task's result, written to a temporary name and renamed
//! slurm/<job>_<task>.out    what Slurm captured of the worker itself
//! ```
//!
//! Every file is written whole and renamed into place, so a reader (the
//! coordinator, or a resumed one) never sees half a file, even on a shared file
//! system where rename is atomic but appends are not.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::store::Fingerprint;

/// One trial of a submission, at its array index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// The trial id.
    pub trial: usize,
    /// The point as `+`/`-` bits.
    pub bits: String,
    /// The budget, for objectives that take one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<f64>,
}

/// What one `sbatch --array` job runs: everything a worker needs to evaluate
/// its task without asking the coordinator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    /// The study file (absolute).
    pub study: PathBuf,
    /// The seed in force (it may differ from the file's: `--seed`).
    pub seed: u64,
    /// What the coordinator's study is; a worker refuses a study file changed since.
    pub fingerprint: Fingerprint,
    /// Where trial output is captured, if anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logs: Option<PathBuf>,
    /// The tasks, by array index.
    pub tasks: Vec<Task>,
}

/// How a task's trial ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TaskOutcome {
    /// The objective's value (finite).
    Value {
        /// The value.
        value: f64,
    },
    /// The trial failed.
    Failed {
        /// Why, one line.
        reason: String,
        /// The tail of the program's stderr.
        #[serde(default)]
        stderr: String,
        /// Attempts made.
        attempts: usize,
    },
}

/// A task's result file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskResult {
    /// The trial id.
    pub trial: usize,
    /// The point evaluated, so a stale file of another study is never taken.
    pub bits: String,
    /// The study it was evaluated for.
    pub fingerprint: Fingerprint,
    /// Wall time of the evaluation.
    pub seconds: f64,
    /// How it ended.
    pub outcome: TaskOutcome,
}

/// The shared directory.
#[derive(Clone, Debug)]
pub struct SharedDir {
    root: PathBuf,
}

impl SharedDir {
    /// The directory beside `journal` (`x.journal` -> `x.slurm`).
    pub fn beside(journal: &Path) -> Self {
        Self { root: journal.with_extension("slurm") }
    }

    /// The directory at `root` (a worker finds it from its submission file).
    pub fn at(root: &Path) -> Self {
        Self { root: root.to_path_buf() }
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Creates the directory and its subdirectories.
    pub fn create(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(self.root.join("results"))?;
        std::fs::create_dir_all(self.root.join("slurm"))
    }

    /// Where trial `trial`'s result goes.
    pub fn result_path(&self, trial: usize) -> PathBuf {
        self.root.join("results").join(format!("trial-{trial}.json"))
    }

    /// Where Slurm writes the workers' own output (`%A` job, `%a` task).
    pub fn slurm_output(&self) -> PathBuf {
        self.root.join("slurm").join("%A_%a.out")
    }

    /// What Slurm captured of task `index` of job `job`.
    pub fn task_output(&self, job: &str, index: usize) -> PathBuf {
        self.root.join("slurm").join(format!("{job}_{index}.out"))
    }

    /// The submission file of submission `n`.
    pub fn submission_path(&self, n: u64) -> PathBuf {
        self.root.join(format!("sub-{n}.json"))
    }

    /// The batch script of submission `n`.
    pub fn script_path(&self, n: u64) -> PathBuf {
        self.root.join(format!("sub-{n}.sh"))
    }

    fn job_path(&self, n: u64) -> PathBuf {
        self.root.join(format!("sub-{n}.job"))
    }

    /// Trial `trial`'s result, if a task wrote one for this study and point.
    pub fn result(&self, trial: usize, bits: &str, fingerprint: &Fingerprint) -> Option<TaskResult> {
        let text = std::fs::read(self.result_path(trial)).ok()?;
        let r: TaskResult = serde_json::from_slice(&text).ok()?;
        (r.trial == trial && r.bits == bits && &r.fingerprint == fingerprint).then_some(r)
    }

    /// Writes a task's result (atomically).
    pub fn write_result(&self, result: &TaskResult) -> std::io::Result<()> {
        write_json(&self.result_path(result.trial), result)
    }

    /// Writes submission `n` and its script (atomically), before it is submitted.
    pub fn write_submission(&self, n: u64, sub: &Submission, program: &Path) -> std::io::Result<()> {
        write_json(&self.submission_path(n), sub)?;
        let script = batch_script(program, &self.submission_path(n));
        write_atomic(&self.script_path(n), script.as_bytes())
    }

    /// Records the job id Slurm gave submission `n`.
    pub fn write_job(&self, n: u64, job: &str) -> std::io::Result<()> {
        write_atomic(&self.job_path(n), format!("{job}\n").as_bytes())
    }

    /// The job id of submission `n`, if recorded.
    pub fn job(&self, n: u64) -> Option<String> {
        let s = std::fs::read_to_string(self.job_path(n)).ok()?;
        Some(s.trim().to_owned()).filter(|s| !s.is_empty())
    }

    /// Every readable submission, by number.
    pub fn submissions(&self) -> Vec<(u64, Submission)> {
        let Ok(entries) = std::fs::read_dir(&self.root) else { return Vec::new() };
        let mut subs: Vec<(u64, Submission)> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let n = name.strip_prefix("sub-")?.strip_suffix(".json")?.parse().ok()?;
                Some((n, read_submission(&e.path()).ok()?))
            })
            .collect();
        subs.sort_by_key(|(n, _)| *n);
        subs
    }

    /// The Slurm job name of every submission from this directory: one name, so a
    /// single `squeue --name` finds them all, and unique to the directory.
    pub fn job_name(&self) -> String {
        let root = std::fs::canonicalize(&self.root).unwrap_or_else(|_| self.root.clone());
        format!("harmonica-{:08x}", crc32fast::hash(root.to_string_lossy().as_bytes()))
    }
}

/// Reads a submission file.
pub fn read_submission(path: &Path) -> Result<Submission, String> {
    let text = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_slice(&text).map_err(|e| format!("{} is not a submission file: {e}", path.display()))
}

/// The script each array task runs. Paths are single-quoted for `sh`.
fn batch_script(program: &Path, submission: &Path) -> String {
    format!(
        "#!/bin/sh\n# One task of a Harmonica job array: evaluates the trial at this array index.\nexec {} worker --batch {} --index \"$SLURM_ARRAY_TASK_ID\"\n",
        sh_quote(&program.to_string_lossy()),
        sh_quote(&submission.to_string_lossy())
    )
}

/// `s` as one `sh` word.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    let bytes = serde_json::to_vec(value).map_err(std::io::Error::other)?;
    write_atomic(path, &bytes)
}

/// Writes `bytes` to a temporary file beside `path`, syncs it and renames it into place.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp() -> Fingerprint {
        Fingerprint { space: "a".into(), objective: "b".into(), optimizer: "c".into(), seed: 1 }
    }

    #[test]
    fn results_round_trip_and_stale_ones_are_ignored() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = SharedDir::beside(&tmp.path().join("s.journal"));
        dir.create().unwrap();
        let r = TaskResult {
            trial: 4,
            bits: "+-".into(),
            fingerprint: fp(),
            seconds: 0.5,
            outcome: TaskOutcome::Value { value: 1.5 },
        };
        dir.write_result(&r).unwrap();
        assert_eq!(dir.result(4, "+-", &fp()), Some(r));
        assert_eq!(dir.result(4, "--", &fp()), None);
        assert_eq!(dir.result(4, "+-", &Fingerprint { seed: 2, ..fp() }), None);
        assert_eq!(dir.result(5, "+-", &fp()), None);
    }

    #[test]
    fn submissions_are_listed_in_order_with_their_jobs() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = SharedDir::beside(&tmp.path().join("s.journal"));
        dir.create().unwrap();
        let sub = Submission { study: "/s.yaml".into(), seed: 1, fingerprint: fp(), logs: None, tasks: vec![] };
        for n in [10, 2] {
            dir.write_submission(n, &sub, Path::new("/bin/harmonica")).unwrap();
        }
        dir.write_job(2, "77").unwrap();
        let listed: Vec<u64> = dir.submissions().into_iter().map(|(n, _)| n).collect();
        assert_eq!(listed, vec![2, 10]);
        assert_eq!(dir.job(2).as_deref(), Some("77"));
        assert_eq!(dir.job(10), None);
    }

    #[test]
    fn script_quotes_paths() {
        let s = batch_script(Path::new("/opt/it's/harmonica"), Path::new("/d/sub-1.json"));
        assert!(s.contains(r"exec '/opt/it'\''s/harmonica' worker --batch '/d/sub-1.json' --index"), "{s}");
    }
}
