//! `execution:`: where and how a study's evaluations run. The readers live here
//! so the executor settings grow without crowding [`super::analyze`].
//!
//! ```yaml
//! execution:
//!   executor: slurm
//!   slurm: {partition: debug, max_parallel: 64, time: "01:00:00", cpus_per_task: 1, extra: ["--gres=gpu:1"]}
//! ```

use super::analyze::{fraction, positive, unknown_kind};
use super::diagnostics::Diagnostic;
use super::doc::{Fields, Node};
use super::Execution;

/// Keys of `execution:`.
pub const EXECUTION_KEYS: &[&str] = &["workers", "max_failure_fraction", "executor", "slurm"];
/// Keys of `execution.slurm:`.
pub const SLURM_KEYS: &[&str] =
    &["partition", "max_parallel", "time", "cpus_per_task", "extra", "max_resubmits", "poll_interval"];

/// Where a study's evaluations run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ExecutorKind {
    /// Worker threads on this machine, each running one objective at a time.
    #[default]
    Local,
    /// One Slurm job array per batch, each task evaluating one trial.
    Slurm,
}

impl ExecutorKind {
    /// The names a study (or `--executor`) may use.
    pub const NAMES: &'static [&'static str] = &["local", "slurm"];

    /// The executor called `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "local" => Some(Self::Local),
            "slurm" => Some(Self::Slurm),
            _ => None,
        }
    }
}

/// How batches are handed to Slurm.
#[derive(Clone, Debug, PartialEq)]
pub struct SlurmSettings {
    /// `--partition`; the cluster's default partition when `None`.
    pub partition: Option<String>,
    /// Tasks of one array running at once (the `%` throttle of `--array`); no throttle when `None`.
    pub max_parallel: Option<usize>,
    /// `--time`, the wall-clock limit of one task (Slurm's formats, e.g. `01:00:00`, `2-00`).
    pub time: Option<String>,
    /// `--cpus-per-task`.
    pub cpus_per_task: Option<usize>,
    /// Further `sbatch` arguments, passed as they are (e.g. `--gres=gpu:1`, `--account=x`).
    pub extra: Vec<String>,
    /// How often a task lost to the cluster (node failure, preemption, cancellation)
    /// is submitted again before its trial counts as failed.
    pub max_resubmits: usize,
    /// Seconds between two `squeue` calls (results themselves are noticed sooner).
    pub poll_interval: f64,
}

/// Resubmissions of a lost task unless the study says otherwise.
pub const DEFAULT_MAX_RESUBMITS: usize = 3;
/// Seconds between `squeue` calls unless the study says otherwise.
pub const DEFAULT_POLL_INTERVAL: f64 = 2.0;

impl Default for SlurmSettings {
    fn default() -> Self {
        Self {
            partition: None,
            max_parallel: None,
            time: None,
            cpus_per_task: None,
            extra: Vec::new(),
            max_resubmits: DEFAULT_MAX_RESUBMITS,
            poll_interval: DEFAULT_POLL_INTERVAL,
        }
    }
}

/// Reads `execution:`.
pub fn read(node: &Node) -> Result<Execution, Diagnostic> {
    let mut f = Fields::new(node, "execution")?;
    let workers = f.opt("workers", Node::as_positive)?;
    let max_failure_fraction = f.opt("max_failure_fraction", fraction)?;
    let executor = f.or("executor", ExecutorKind::Local, executor)?;
    let slurm = f.or("slurm", SlurmSettings::default(), slurm)?;
    f.finish(EXECUTION_KEYS)?;
    Ok(Execution { workers, max_failure_fraction, executor, slurm })
}

fn executor(node: &Node) -> Result<ExecutorKind, Diagnostic> {
    let name = node.as_str()?;
    ExecutorKind::from_name(name).ok_or_else(|| unknown_kind("executor", name, node, ExecutorKind::NAMES))
}

/// Reads `execution.slurm:`.
pub fn slurm(node: &Node) -> Result<SlurmSettings, Diagnostic> {
    let mut f = Fields::new(node, "execution.slurm")?;
    let d = SlurmSettings::default();
    let settings = SlurmSettings {
        partition: f.opt("partition", word)?,
        max_parallel: f.opt("max_parallel", Node::as_positive)?,
        time: f.opt("time", time_limit)?,
        cpus_per_task: f.opt("cpus_per_task", Node::as_positive)?,
        extra: f.or("extra", d.extra, extra)?,
        max_resubmits: f.or("max_resubmits", d.max_resubmits, Node::as_usize)?,
        poll_interval: f.or("poll_interval", d.poll_interval, positive)?,
    };
    f.finish(SLURM_KEYS)?;
    Ok(settings)
}

/// A non-empty name without spaces (a partition).
fn word(node: &Node) -> Result<String, Diagnostic> {
    let s = node.as_str()?;
    if s.is_empty() || s.chars().any(char::is_whitespace) {
        return Err(Diagnostic::new(format!("expected a partition name, found `{s}`"), node.span));
    }
    Ok(s.to_owned())
}

/// A Slurm time limit: minutes, `MM:SS`, `HH:MM:SS`, `D-HH[:MM[:SS]]`, or `UNLIMITED`.
fn time_limit(node: &Node) -> Result<String, Diagnostic> {
    let s = match node.as_i64() {
        Ok(minutes) if minutes > 0 => return Ok(minutes.to_string()),
        _ => node.as_str()?,
    };
    let digits_and_separators = s.chars().all(|c| c.is_ascii_digit() || c == ':' || c == '-');
    let ok = matches!(s, "UNLIMITED" | "INFINITE")
        || (digits_and_separators && s.starts_with(|c: char| c.is_ascii_digit()) && s.matches('-').count() <= 1);
    if !ok {
        return Err(Diagnostic::new(format!("`{s}` is not a Slurm time limit"), node.span)
            .with_help("Slurm takes minutes, `MM:SS`, `HH:MM:SS` or `D-HH:MM:SS`, e.g. \"01:00:00\""));
    }
    Ok(s.to_owned())
}

fn extra(node: &Node) -> Result<Vec<String>, Diagnostic> {
    node.as_list()?
        .iter()
        .map(|n| {
            let s = n.as_str()?;
            if s.starts_with('-') {
                Ok(s.to_owned())
            } else {
                Err(Diagnostic::new(format!("`{s}` is not an sbatch option"), n.span)
                    .with_help("write each option whole, e.g. \"--gres=gpu:1\" or \"--account=lab\""))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::study::{parse_str, ExecutorKind, Format};
    use std::path::Path;

    fn study(execution: &str) -> Result<crate::study::Study, String> {
        let text = format!("study: s\nobjective: {{type: sparse_polynomial, n: 2, terms: []}}\n{execution}");
        parse_str(&text, Format::Yaml, Path::new(".")).map_err(|d| d.message)
    }

    #[test]
    fn the_issue_example_reads_as_written() {
        let s = study(
            "execution:\n  executor: slurm\n  slurm: {partition: debug, max_parallel: 64, time: \"01:00:00\", cpus_per_task: 1, extra: [\"--gres=gpu:1\"]}\n",
        )
        .unwrap();
        assert_eq!(s.execution.executor, ExecutorKind::Slurm);
        let slurm = &s.execution.slurm;
        assert_eq!(slurm.partition.as_deref(), Some("debug"));
        assert_eq!(slurm.max_parallel, Some(64));
        assert_eq!(slurm.time.as_deref(), Some("01:00:00"));
        assert_eq!(slurm.cpus_per_task, Some(1));
        assert_eq!(slurm.extra, vec!["--gres=gpu:1".to_owned()]);
        assert_eq!(slurm.max_resubmits, super::DEFAULT_MAX_RESUBMITS);
    }

    #[test]
    fn the_study_language_reads_the_same_settings() {
        let yaml = study(
            "execution:\n  executor: slurm\n  slurm: {partition: debug, max_parallel: 64, time: \"01:00:00\", cpus_per_task: 1, extra: [\"--gres=gpu:1\"]}\n",
        )
        .unwrap();
        let text = "study s\nobjective sparse_polynomial { n: 2  terms: [] }\nexecution {\n  executor: slurm\n  slurm: { partition: debug  max_parallel: 64  time: \"01:00:00\"  cpus_per_task: 1  extra: [\"--gres=gpu:1\"] }\n}\n";
        let dsl = parse_str(text, Format::Study, Path::new(".")).map_err(|d| d.message).unwrap();
        assert_eq!(dsl.execution, yaml.execution);
    }

    #[test]
    fn local_is_the_default() {
        assert_eq!(study("").unwrap().execution.executor, ExecutorKind::Local);
    }

    #[test]
    fn bad_settings_are_named() {
        let e = study("execution: {executor: slurn}\n").unwrap_err();
        assert!(e.contains("unknown executor `slurn`"), "{e}");
        let e = study("execution: {slurm: {time: soon}}\n").unwrap_err();
        assert!(e.contains("`soon` is not a Slurm time limit"), "{e}");
        let e = study("execution: {slurm: {extra: [gres=gpu:1]}}\n").unwrap_err();
        assert!(e.contains("not an sbatch option"), "{e}");
        let e = study("execution: {slurm: {max_paralel: 3}}\n").unwrap_err();
        assert!(e.contains("unknown key `max_paralel`"), "{e}");
    }
}
