//! The journal through the real binary, with a fast synthetic objective: damaged
//! tails, studies that changed, and a second run that replays everything.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use harmonica::store::{Record, Scan};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_harmonica");

const STUDY: &str = r#"study: poly
seed: 5
objective:
  type: sparse_polynomial
  n: 12
  noise: 0.5
  terms:
    - {w: -3.0, S: [0, 1]}
    - {w: 2.0, S: [4]}
    - {w: -1.5, S: [7, 8, 9]}
optimizer:
  type: harmonica
  stages: 2
  samples: 60
  degree: 2
  terms: 3
  alpha: 0.1
  base: {type: random, evaluations: 40}
"#;

fn setup(study: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("poly.yaml"), study).unwrap();
    let journal = dir.path().join("poly.journal");
    (dir, journal)
}

fn harmonica(args: &[&str], cwd: &Path) -> Output {
    Command::new(BIN).args(args).current_dir(cwd).stdin(Stdio::null()).output().unwrap()
}

fn run_json(cwd: &Path, extra: &[&str]) -> (Value, String) {
    let mut args = vec!["run", "poly.yaml", "--json"];
    args.extend_from_slice(extra);
    let o = harmonica(&args, cwd);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{err}");
    (serde_json::from_slice(&o.stdout).unwrap(), err)
}

/// The parts of a result that must not depend on how the run was carried out.
fn outcome(v: &Value) -> (Value, Value, Value, Value) {
    (v["best"].clone(), v["evaluations"].clone(), v["failed"].clone(), v["stages"].clone())
}

#[test]
fn truncated_and_garbled_tail_is_reported_skipped_and_rerun() {
    let (dir, journal) = setup(STUDY);
    let (clean, _) = run_json(dir.path(), &[]);
    let scan = Scan::read(&journal).unwrap();
    // Cut the journal in the middle of the record of the 80th trial's result.
    let (offset, _) =
        scan.records.iter().find(|(_, r)| matches!(r, Record::Finished { trial: 80, .. })).cloned().unwrap();
    let bytes = std::fs::read(&journal).unwrap();
    let mut damaged = bytes[..offset as usize + 20].to_vec();
    damaged.extend_from_slice(b"\x00\xffGARBAGE that is not a record\n{\"t\":\"finished\"}\n");
    std::fs::write(&journal, &damaged).unwrap();

    let (resumed, err) = run_json(dir.path(), &[]);
    let len = damaged.len() as u64 - offset;
    let want = format!("a torn or damaged tail at byte offset {offset} ({len} bytes) skipped");
    assert!(err.contains(&want), "{err}");
    assert!(err.contains("poly.journal.damaged"), "{err}");
    let kept = scan.records.iter().filter(|(o, r)| *o < offset && matches!(r, Record::Finished { .. })).count();
    assert!(err.contains(&format!("({kept} trials replayed, {} run)", 160 - kept)), "{err}");
    assert_eq!(outcome(&resumed), outcome(&clean));
    let after = Scan::read(&journal).unwrap();
    assert!(after.damage.is_empty(), "{:?}", after.damage);
    assert_eq!(std::fs::read(dir.path().join("poly.journal.damaged")).unwrap(), damaged[offset as usize..]);
    // What came before the damage is untouched.
    assert_eq!(std::fs::read(&journal).unwrap()[..offset as usize], bytes[..offset as usize]);
}

#[test]
fn a_second_run_replays_and_prints_the_same_result() {
    let (dir, journal) = setup(STUDY);
    let (first, _) = run_json(dir.path(), &["--workers", "2"]);
    let size = std::fs::metadata(&journal).unwrap().len();
    let (second, err) = run_json(dir.path(), &["--workers", "1"]);
    assert_eq!(outcome(&second), outcome(&first));
    assert!(err.contains("(160 trials replayed, 0 run)"), "{err}");
    // Only a session record is added.
    let added = Scan::read(&journal).unwrap().records.into_iter().filter(|(o, _)| *o >= size).count();
    assert_eq!(added, 1);
    // Journaling does not change the result.
    let (plain, _) = run_json(dir.path(), &["--no-journal"]);
    assert_eq!(outcome(&plain), outcome(&first));
}

#[test]
fn a_journal_of_another_study_is_refused_unless_forced() {
    let (dir, _) = setup(STUDY);
    run_json(dir.path(), &[]);
    std::fs::write(dir.path().join("poly.yaml"), STUDY.replace("samples: 60", "samples: 50")).unwrap();
    let o = harmonica(&["run", "poly.yaml"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        err.lines().next().unwrap_or(""),
        "error: poly.journal was written for a different study: the optimizer changed since; run with --force-new to start over (the old journal is kept beside it), or use another --storage"
    );
    let (forced, err) = run_json(dir.path(), &["--force-new"]);
    assert_eq!(forced["evaluations"], 140);
    assert!(err.contains("the old journal of another study was moved to poly.journal.replaced-"), "{err}");
    // Another seed gets its own journal instead of clashing.
    run_json(dir.path(), &["--seed", "9"]);
    assert!(dir.path().join("poly.seed9.journal").is_file());
}

#[test]
fn storage_dir_and_trials_formats() {
    let (dir, _) = setup(STUDY);
    let store = dir.path().join("store");
    let (result, _) = run_json(dir.path(), &["--storage", "store"]);
    assert!(store.join("poly.journal").is_file());
    let csv = harmonica(&["trials", "poly.yaml", "--storage", "store", "--format", "csv"], dir.path());
    let csv = String::from_utf8_lossy(&csv.stdout).into_owned();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "trial,phase,budget,state,value,seconds,attempts,reason,bits");
    assert_eq!(lines.len(), 161);
    assert!(lines[1].starts_with("0,stage 1,,finished,"), "{}", lines[1]);
    let table = harmonica(&["trials", "store/poly.journal"], dir.path());
    assert_eq!(String::from_utf8_lossy(&table.stdout).lines().count(), 161);
    let best = harmonica(&["best", "poly.yaml", "--storage", "store"], dir.path());
    let best = String::from_utf8_lossy(&best.stdout).into_owned();
    let want = format!("poly: best {} at trial {}", result["best"]["value"], result["best"]["trial"]);
    assert!(best.starts_with(&want), "{best}\nwant {want}");
    let missing = harmonica(&["best", "poly.yaml"], dir.path());
    assert_eq!(missing.status.code(), Some(1));
}

#[test]
fn concurrent_runs_of_one_study_wait_for_each_other_and_agree() {
    let (dir, _) = setup(STUDY);
    let spawn = || {
        Command::new(BIN)
            .args(["run", "poly.yaml", "--json"])
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success() && b.status.success());
    let (a, b): (Value, Value) =
        (serde_json::from_slice(&a.stdout).unwrap(), serde_json::from_slice(&b.stdout).unwrap());
    assert_eq!(outcome(&a), outcome(&b));
}
