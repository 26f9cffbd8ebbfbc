//! The `command` objective, the journal and resume, driven through the real
//! binary with real processes (Python scripts written into a temporary directory).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use harmonica::store::{Record, Scan};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_harmonica");

/// The Python interpreter itself: `python3` on PATH may be a slow wrapper script
/// (pyenv), and trial timeouts here are short.
fn python() -> &'static str {
    static PY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PY.get_or_init(|| {
        let o = Command::new("python3").args(["-c", "import sys; print(sys.executable)"]).output().unwrap();
        String::from_utf8(o.stdout).unwrap().trim().to_owned()
    })
}

/// Writes a study file, naming the interpreter for `PYTHON`.
fn write_study(dir: &Path, name: &str, text: &str) -> PathBuf {
    write(dir, name, &text.replace("PYTHON", python()))
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn harmonica(args: &[&str], cwd: &Path) -> Output {
    Command::new(BIN).args(args).current_dir(cwd).stdin(Stdio::null()).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn json_out(o: &Output) -> Value {
    assert!(o.status.success(), "stdout: {}\nstderr: {}", text(&o.stdout), text(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Starts `harmonica run <study>` in the background (stdout and stderr made by
/// `output`) and waits, with no deadline asserted, until `ready` holds for its
/// journal.
fn run_until(dir: &Path, study: &str, output: fn() -> Stdio, journal: &Path, ready: impl Fn(&Path) -> bool) -> Child {
    let mut child =
        Command::new(BIN).args(["run", study]).current_dir(dir).stdout(output()).stderr(output()).spawn().unwrap();
    while !journal.exists() || !ready(journal) {
        assert!(child.try_wait().unwrap().is_none(), "the run ended early");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child
}

/// `harmonica trials <study> --format json`.
fn trials_json(dir: &Path, study: &str) -> Value {
    serde_json::from_slice(&harmonica(&["trials", study, "--format", "json"], dir).stdout).unwrap()
}

fn records(journal: &Path) -> Vec<Record> {
    Scan::read(journal).unwrap().records.into_iter().map(|(_, r)| r).collect()
}

/// Trial id -> value of every `finished` record.
fn finished(journal: &Path) -> BTreeMap<usize, f64> {
    records(journal)
        .into_iter()
        .filter_map(|r| match r {
            Record::Finished { trial, value, .. } => Some((trial, value)),
            _ => None,
        })
        .collect()
}

/// A trial program per mode, in sh so it starts fast even on a loaded machine.
const MODES_SCRIPT: &str = r#"
case "$1" in
  fail) echo "loss=1.0"; echo "boom: cannot converge" >&2; exit 3 ;;
  # A grandchild holding stdout open: only killing the whole group ends the trial.
  hang) sleep 60 & sleep 60 ;;
  garbage) printf '\001\002 loss is great ~~~ {not json\n' ;;
  nan) echo '{"loss": NaN}' ;;
  *) echo "progress loss=99"; echo "loss=$2" ;;
esac
"#;

fn modes_study(extra: &str) -> String {
    format!(
        r#"study: modes
seed: 4
space:
  mode: {{type: choice, values: [good, fail, hang, garbage, nan, good, good, good]}}
  x: {{type: float, low: -1.0, high: 1.0, bits: 2}}
objective:
  type: command
  argv: ["sh", "modes.sh", "{{mode}}", "{{x}}"]
  metric: loss
  timeout: 2
optimizer: {{type: random, evaluations: 24}}
execution: {{workers: 4, max_failure_fraction: 0.9}}
{extra}"#
    )
    .replace("good, good, good", "ok1, ok2, ok3")
}

#[test]
fn failing_hanging_and_garbage_trials_are_recorded_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "modes.sh", MODES_SCRIPT);
    write_study(dir.path(), "modes.yaml", &modes_study(""));
    let run = harmonica(&["run", "modes.yaml", "--json"], dir.path());
    let result = json_out(&run);
    assert_eq!(result["evaluations"], 24);
    let trials = trials_json(dir.path(), "modes.yaml");
    let trials = trials.as_array().unwrap();
    assert_eq!(trials.len(), 24);
    let mut seen = BTreeSet::new();
    for t in trials {
        let mode = t["params"]["mode"].as_str().unwrap();
        seen.insert(mode.to_owned());
        let reason = t["reason"].as_str().unwrap_or("");
        match mode {
            "fail" => {
                assert_eq!(reason, "exited with status 3");
                assert_eq!(t["stderr"], "boom: cannot converge");
            }
            "hang" => assert_eq!(reason, "timed out after 2 s"),
            "garbage" => assert!(reason.starts_with("no `loss` metric on stdout"), "{reason}"),
            "nan" => assert_eq!(reason, "the metric `loss` is not finite: NaN"),
            _ => {
                let x = t["params"]["x"].as_f64().unwrap();
                assert_eq!(t["state"], "finished");
                assert_eq!(t["value"].as_f64().unwrap(), x);
            }
        }
        if mode.starts_with("ok") || mode == "good" {
            continue;
        }
        assert_eq!(t["state"], "failed", "{t}");
    }
    for m in ["fail", "hang", "garbage", "nan"] {
        assert!(seen.contains(m), "seed 4 should draw mode {m}: {seen:?}");
    }
    let failed = trials.iter().filter(|t| t["state"] == "failed").count();
    assert_eq!(result["failed"], failed);
    // Every trial's output is captured.
    assert!(dir.path().join("modes.logs/trial-0.out").is_file());
}

#[test]
fn summary_lists_failures_and_too_many_failures_fail_the_study() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "modes.sh", MODES_SCRIPT);
    write_study(
        dir.path(),
        "modes.yaml",
        &modes_study("").replace("max_failure_fraction: 0.9", "max_failure_fraction: 0.05"),
    );
    let run = harmonica(&["run", "modes.yaml"], dir.path());
    assert_eq!(run.status.code(), Some(1), "{}", text(&run.stderr));
    let err = text(&run.stderr);
    assert!(err.contains("trials failed, more than the study's max_failure_fraction (0.05)"), "{err}");
    assert!(err.contains("--retry-failed"), "{err}");
    // Completed trials are kept.
    assert!(!finished(&dir.path().join("modes.journal")).is_empty());

    write_study(dir.path(), "modes.yaml", &modes_study(""));
    let run = harmonica(&["run", "modes.yaml", "--force-new"], dir.path());
    assert!(run.status.success());
    let out = text(&run.stdout);
    assert!(out.contains(" failed: exited with status 3\n"), "{out}");
    assert!(out.contains(" failed: timed out after 2 s\n"), "{out}");
}

#[test]
fn shell_metacharacters_reach_the_program_as_literal_arguments() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("x")).unwrap();
    write(
        dir.path(),
        "echo.py",
        "import json, sys\nopen('args-%s.json' % sys.argv[1], 'w').write(json.dumps(sys.argv[2:]))\nprint('loss=1')\n",
    );
    write_study(
        dir.path(),
        "shell.yaml",
        r#"study: shell
seed: 1
space:
  evil: {type: choice, values: ["$(touch pwned)", "; rm -rf x", "`touch pwned2` && echo hi", "a b | cat > pwned3"]}
objective:
  type: command
  argv: ["PYTHON", "echo.py", "{trial}", "{evil}", "--flag={evil}"]
  metric: loss
  env: {EVIL: "{evil}"}
optimizer: {type: random, evaluations: 16}
"#,
    );
    json_out(&harmonica(&["run", "shell.yaml", "--json", "--workers", "2"], dir.path()));
    let allowed = ["$(touch pwned)", "; rm -rf x", "`touch pwned2` && echo hi", "a b | cat > pwned3"];
    let mut seen = BTreeSet::new();
    for i in 0..16 {
        let args: Vec<String> =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join(format!("args-{i}.json"))).unwrap()).unwrap();
        assert_eq!(args.len(), 2);
        assert!(allowed.contains(&args[0].as_str()), "{args:?}");
        assert_eq!(args[1], format!("--flag={}", args[0]));
        seen.insert(args[0].clone());
    }
    assert_eq!(seen.len(), 4);
    for f in ["pwned", "pwned2", "pwned3"] {
        assert!(!dir.path().join(f).exists(), "{f} was created: a shell ran");
    }
    assert!(dir.path().join("x").is_dir());
}

#[test]
fn the_issue_yaml_works_as_written() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "train.py",
        "import argparse\np = argparse.ArgumentParser()\np.add_argument('--lr', type=float)\np.add_argument('--batch', type=int)\na = p.parse_args()\nprint('epoch 1 loss=9')\nprint('{\"loss\": %r}' % ((a.lr - 0.01) ** 2 + a.batch / 1000))\n",
    );
    write_study(
        dir.path(),
        "study.yaml",
        r#"study: issue
space:
  lr: {type: float, low: 0.001, high: 0.1, log: true, bits: 2}
  batch: {type: choice, values: [16, 32, 64, 128]}
objective:
  type: command
  argv: ["python3", "train.py", "--lr", "{lr}", "--batch", "{batch}"]
  metric: loss          # read from a `loss=0.12` line or a JSON line {"loss": 0.12}
  direction: minimize
  timeout: 60           # seconds per trial
optimizer: {type: random, evaluations: 10}
"#,
    );
    let result = json_out(&harmonica(&["run", "study.yaml", "--json"], dir.path()));
    let best = &result["best"];
    let (lr, batch) = (best["params"]["lr"].as_f64().unwrap(), best["params"]["batch"].as_f64().unwrap());
    assert_eq!(best["value"].as_f64().unwrap(), (lr - 0.01) * (lr - 0.01) + batch / 1000.0);
    assert_eq!(result["failed"], 0);
}

#[test]
fn hyperband_budgets_reach_the_program() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "b.py",
        "import sys\nx, b = float(sys.argv[1]), int(sys.argv[2])\nprint('loss=%r' % (x + 1.0 / b))\n",
    );
    write_study(
        dir.path(),
        "b.yaml",
        r#"study: budgets
seed: 2
space:
  x: {type: float, low: 0.0, high: 1.0, bits: 3}
objective:
  type: command
  argv: ["PYTHON", "b.py", "{x}", "{budget}"]
  metric: loss
  default_budget: 1
optimizer:
  type: harmonica
  stages: 1
  samples: 8
  degree: 1
  terms: 1
  alpha: 0.01
  base: {type: hyperband, max_budget: 9, eta: 3}
"#,
    );
    let result = json_out(&harmonica(&["run", "b.yaml", "--json"], dir.path()));
    // 8 stage samples, then Hyperband(9, 3): 9+3+1, 5+1, 3 evaluations.
    assert_eq!(result["evaluations"], 30);
    let trials = trials_json(dir.path(), "b.yaml");
    let mut by_budget: BTreeMap<i64, usize> = BTreeMap::new();
    for t in trials.as_array().unwrap() {
        let budget = t["budget"].as_f64().unwrap_or(1.0);
        *by_budget.entry(budget as i64).or_default() += 1;
        let x = t["params"]["x"].as_f64().unwrap();
        assert_eq!(t["value"].as_f64().unwrap(), x + 1.0 / budget);
    }
    assert_eq!(by_budget, BTreeMap::from([(1, 8 + 9), (3, 3 + 5), (9, 1 + 1 + 3)]));
}

/// A trial that takes a moment and logs its id when it completes.
const SLOW_SCRIPT: &str = r#"
sleep 0.03
echo "$1" >> ran.log
echo "loss=$(( ($2 - 2) * ($2 - 2) + ($3 - 5) * ($3 - 5) + $4 ))"
"#;

const SLOW_STUDY: &str = r#"study: slow
seed: 11
space:
  a: {type: int, low: 0, high: 7}
  b: {type: int, low: 0, high: 7}
  c: {type: int, low: 0, high: 3}
objective:
  type: command
  argv: ["sh", "slow.sh", "{trial}", "{a}", "{b}", "{c}"]
  metric: loss
optimizer:
  type: harmonica
  stages: 2
  samples: 24
  degree: 2
  terms: 3
  alpha: 0.05
  base: {type: random, evaluations: 12}
execution: {workers: 2}
"#;

fn slow_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "slow.sh", SLOW_SCRIPT);
    write_study(dir.path(), "slow.yaml", SLOW_STUDY);
    dir
}

fn ran_log(dir: &Path) -> Vec<usize> {
    std::fs::read_to_string(dir.join("ran.log")).unwrap_or_default().lines().map(|l| l.parse().unwrap()).collect()
}

#[test]
fn kill_9_mid_stage_then_resume_loses_and_reruns_nothing() {
    let reference = slow_dir();
    let uninterrupted = json_out(&harmonica(&["run", "slow.yaml", "--json"], reference.path()));

    let dir = slow_dir();
    let journal = dir.path().join("slow.journal");
    // Once part of stage 1 is journaled, kill -9.
    let mut child = run_until(dir.path(), "slow.yaml", Stdio::null, &journal, |j| finished(j).len() >= 8);
    child.kill().unwrap();
    child.wait().unwrap();
    let before = finished(&journal);
    assert!(before.len() < 24, "the kill should land in stage 1, got {} results", before.len());

    let resumed = json_out(&harmonica(&["run", "slow.yaml", "--json"], dir.path()));
    assert_eq!(resumed["best"], uninterrupted["best"]);
    assert_eq!(resumed["evaluations"], uninterrupted["evaluations"]);
    assert_eq!(resumed["stages"], uninterrupted["stages"]);

    let after = finished(&journal);
    for (id, v) in &before {
        assert_eq!(after.get(id), Some(v), "trial {id} lost or changed");
    }
    let log = ran_log(dir.path());
    let evaluations = uninterrupted["evaluations"].as_u64().unwrap() as usize;
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    for id in &log {
        *counts.entry(*id).or_default() += 1;
    }
    assert_eq!(counts.len(), evaluations, "every trial ran");
    for (id, n) in counts {
        // Only a trial cut off by the kill may have run twice.
        assert!(n == 1 || !before.contains_key(&id), "completed trial {id} ran {n} times");
    }
}

#[test]
fn a_completed_study_resumes_without_running_anything() {
    let dir = slow_dir();
    let first = json_out(&harmonica(&["run", "slow.yaml", "--json"], dir.path()));
    let ran = ran_log(dir.path()).len();
    let again = harmonica(&["run", "slow.yaml", "--json"], dir.path());
    assert_eq!(json_out(&again)["best"], first["best"]);
    assert_eq!(ran_log(dir.path()).len(), ran);
    assert!(text(&again.stderr).contains(&format!("({ran} trials replayed, 0 run)")), "{}", text(&again.stderr));
    let best = harmonica(&["best", "slow.yaml", "--json"], dir.path());
    let best: Value = serde_json::from_slice(&best.stdout).unwrap();
    assert_eq!(best["best"]["value"], first["best"]["value"]);
    assert_eq!(best["best"]["trial"], first["best"]["trial"]);
}

#[test]
fn ctrl_c_kills_running_trials_and_resume_finishes() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "wait.sh", "while [ -e hold ]; do sleep 0.01; done\necho loss=$1\n");
    write(dir.path(), "hold", "");
    write_study(
        dir.path(),
        "wait.yaml",
        "study: wait\nspace:\n  x: {type: int, low: 0, high: 3}\nobjective:\n  type: command\n  argv: [sh, wait.sh, '{x}']\n  metric: loss\noptimizer: {type: random, evaluations: 6}\nexecution: {workers: 2}\n",
    );
    let journal = dir.path().join("wait.journal");
    let started = |j: &Path| records(j).iter().filter(|r| matches!(r, Record::Started { .. })).count();
    let child = run_until(dir.path(), "wait.yaml", Stdio::piped, &journal, |j| started(j) >= 2);
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("error: interrupted after 0 trials finished"), "{err}");
    assert!(err.contains("run `harmonica run wait.yaml` to resume"), "{err}");
    // The killed trials are unfinished, not failed.
    assert!(!records(&journal).iter().any(|r| matches!(r, Record::Failed { .. } | Record::Finished { .. })));
    std::fs::remove_file(dir.path().join("hold")).unwrap();
    let resumed = json_out(&harmonica(&["run", "wait.yaml", "--json"], dir.path()));
    assert_eq!(resumed["evaluations"], 6);
    assert_eq!(resumed["failed"], 0);
}

#[test]
fn retry_failed_reruns_only_the_failed_trials() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "flaky.sh",
        "echo \"$2\" >> ran.log\nif [ -e broken ] && [ \"$1\" -ge 2 ]; then echo down >&2; exit 1; fi\necho loss=$1\n",
    );
    write(dir.path(), "broken", "");
    write_study(
        dir.path(),
        "flaky.yaml",
        "study: flaky\nspace:\n  x: {type: int, low: 0, high: 3}\nobjective:\n  type: command\n  argv: [sh, flaky.sh, '{x}', '{trial}']\n  metric: loss\noptimizer: {type: random, evaluations: 8}\nexecution: {max_failure_fraction: 1.0}\n",
    );
    let first = json_out(&harmonica(&["run", "flaky.yaml", "--json"], dir.path()));
    let failed = first["failed"].as_u64().unwrap() as usize;
    assert!(failed > 0 && failed < 8, "{first}");
    std::fs::remove_file(dir.path().join("broken")).unwrap();
    // Without the flag, the failures are replayed as they are.
    assert_eq!(json_out(&harmonica(&["run", "flaky.yaml", "--json"], dir.path()))["failed"], failed);
    let fixed = json_out(&harmonica(&["run", "flaky.yaml", "--json", "--retry-failed"], dir.path()));
    assert_eq!(fixed["failed"], 0);
    assert_eq!(ran_log(dir.path()).len(), 8 + failed);
}
