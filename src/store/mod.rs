//! The journal: every trial start, result and failure, and every finished stage,
//! appended as a checksummed record and synced, so a run killed at any moment
//! can be resumed by replaying it (DESIGN.md section 5).
//!
//! A resume rebuilds the engine from the study's seed and tells it the journaled
//! results instead of running those trials again; the engine being deterministic,
//! it asks for the same trials, and the run ends as an uninterrupted one would.

pub mod fingerprint;
pub mod journal;
pub mod record;
pub mod trials;

use std::path::{Path, PathBuf};

pub use journal::{Damage, Journal, Scan};
pub use record::{Fingerprint, Record};
pub use trials::{Replay, Stored, TrialRow, TrialState};

/// Errors reading or writing a journal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The file system refused.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// Another run holds the journal.
    #[error("{path} is in use by another harmonica run (wait for it, or use another --storage)")]
    Locked {
        /// The journal.
        path: PathBuf,
    },
    /// The journal belongs to another study.
    #[error(
        "{path} was written for a different study: {changed} changed since; run with --force-new to start over (the old journal is kept beside it), or use another --storage"
    )]
    Mismatch {
        /// The journal.
        path: PathBuf,
        /// What changed, in words.
        changed: String,
    },
    /// The first record is not a readable header.
    #[error("{path} does not start with a readable study record; run with --force-new to start over (the old journal is kept beside it)")]
    NoHeader {
        /// The journal.
        path: PathBuf,
    },
    /// A journaled trial is not the trial the engine asks for.
    #[error(
        "{path}: trial {trial} in the journal is not the trial this study asks for; run with --force-new to start over"
    )]
    Diverged {
        /// The journal.
        path: PathBuf,
        /// The trial.
        trial: usize,
    },
}

impl StoreError {
    /// An I/O error about `path`.
    pub fn io(path: &Path, e: std::io::Error) -> Self {
        StoreError::Io { path: path.to_path_buf(), message: e.to_string() }
    }
}

/// Where a study's journal lives: `<dir>/<name>.journal`, `dir` being `--storage`
/// or the study file's directory. A `--seed` other than the study's own gets its
/// own journal (`<name>.seed<k>.journal`), so trying seeds never clashes.
pub fn journal_path(study_file: &Path, name: &str, storage: Option<&Path>, seed_override: Option<u64>) -> PathBuf {
    let dir =
        storage.map(Path::to_path_buf).unwrap_or_else(|| study_file.parent().unwrap_or(Path::new("")).to_path_buf());
    let stem = safe_name(name);
    let file = match seed_override {
        Some(seed) => format!("{stem}.seed{seed}.journal"),
        None => format!("{stem}.journal"),
    };
    dir.join(file)
}

/// The directory where trial output is captured, beside the journal.
pub fn logs_dir(journal: &Path) -> PathBuf {
    journal.with_extension("logs")
}

/// A study name as a file name: anything but letters, digits, `.`, `_`, `-` becomes `_`.
fn safe_name(name: &str) -> String {
    let s: String =
        name.chars().map(|c| if c.is_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' }).collect();
    if s.starts_with('.') || s.is_empty() {
        format!("_{s}")
    } else {
        s
    }
}

/// A journal opened for a run.
#[derive(Debug)]
pub struct Opened {
    /// The journal, locked and ready to append.
    pub journal: Journal,
    /// The results it holds.
    pub replay: Replay,
    /// Damage found while reading it.
    pub damage: Vec<Damage>,
    /// Where a damaged tail was moved.
    pub cut_to: Option<PathBuf>,
    /// Where a replaced journal went (`--force-new`).
    pub replaced: Option<PathBuf>,
}

/// Opens the journal at `path` for the study whose header is `header`: creates
/// it, or checks it belongs to this study and reads its results. A damaged tail
/// is moved aside; `force_new` replaces a journal of another study. When another
/// run holds the journal, `busy` is called once and the open waits for it.
pub fn open_for_run(path: &Path, header: &Record, force_new: bool, busy: &dyn Fn()) -> Result<Opened, StoreError> {
    let (mut journal, scan) = match Journal::open(path) {
        Err(StoreError::Locked { .. }) => {
            busy();
            Journal::open_waiting(path)?
        }
        other => other?,
    };
    let empty = scan.records.is_empty() && scan.damage.is_empty();
    let mut replaced = None;
    if !empty {
        if let Err(e) = check_header(path, scan.header(), header) {
            if !force_new {
                return Err(e);
            }
            let (fresh, old) = journal.replace()?;
            journal = fresh;
            replaced = Some(old);
        }
    }
    if empty || replaced.is_some() {
        journal.append(std::slice::from_ref(header))?;
        journal.sync_dir()?;
        return Ok(Opened { journal, replay: Replay::default(), damage: Vec::new(), cut_to: None, replaced });
    }
    let cut_to = match scan.damage.last() {
        Some(d) if d.at_end => Some(journal.cut_tail(d.offset)?),
        _ => None,
    };
    let replay = Replay::from_records(scan.records.iter().map(|(_, r)| r));
    Ok(Opened { journal, replay, damage: scan.damage, cut_to, replaced: None })
}

fn check_header(path: &Path, found: Option<&Record>, want: &Record) -> Result<(), StoreError> {
    let (Some(Record::Study { fingerprint: old, .. }), Record::Study { fingerprint: new, .. }) = (found, want) else {
        return Err(StoreError::NoHeader { path: path.to_path_buf() });
    };
    let changed = fingerprint::differences(old, new);
    if changed.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Mismatch { path: path.to_path_buf(), changed: changed.join(", ") })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_names() {
        let p = journal_path(Path::new("ex/s.yaml"), "my study/1", None, None);
        assert_eq!(p, Path::new("ex/my_study_1.journal"));
        let p = journal_path(Path::new("s.yaml"), "a", Some(Path::new("/tmp/x")), Some(3));
        assert_eq!(p, Path::new("/tmp/x/a.seed3.journal"));
        assert_eq!(logs_dir(Path::new("d/a.journal")), Path::new("d/a.logs"));
        assert_eq!(safe_name(".."), "_..");
    }
}
