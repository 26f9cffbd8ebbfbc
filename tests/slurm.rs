//! The Slurm executor against a real single-node cluster.
//!
//! `scripts/test-all` starts the cluster and sets `SLURM_CONF`; run alone, this
//! binary starts its own with `scripts/slurm-up` and stops it afterwards. When
//! Slurm cannot start, every test here fails: none is skipped.
//!
//! A custom harness (`harness = false`) so the cluster is set up once, before
//! the tests, and torn down after them; tests run one at a time, as they share it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_harmonica");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A cluster this binary started (stopped on drop), or one it was given.
struct Cluster {
    conf: PathBuf,
    started: Option<tempfile::TempDir>,
}

impl Cluster {
    fn ensure() -> Result<Self, String> {
        if let Some(conf) = std::env::var_os("SLURM_CONF") {
            let c = Cluster { conf: conf.into(), started: None };
            c.check()?;
            return Ok(c);
        }
        let dir = tempfile::Builder::new().prefix("harmonica-slurm-").tempdir().map_err(|e| e.to_string())?;
        let out = Command::new(Path::new(ROOT).join("scripts/slurm-up"))
            .arg(dir.path())
            .env("HARMONICA_SLURM_PORT", "6937")
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("cannot run scripts/slurm-up: {e}"))?;
        let c = Cluster { conf: dir.path().join("slurm.conf"), started: Some(dir) };
        if !out.status.success() {
            return Err(format!("scripts/slurm-up failed ({})", out.status));
        }
        c.check()?;
        Ok(c)
    }

    fn check(&self) -> Result<(), String> {
        // Without its file, sinfo retries for a minute before it gives up.
        if !self.conf.is_file() {
            return Err(format!("{} does not exist: no cluster was started", self.conf.display()));
        }
        let out = self.cmd("sinfo").args(["-h", "-o", "%T"]).output().map_err(|e| format!("sinfo: {e}"))?;
        let state = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if out.status.success() && state == "idle" {
            Ok(())
        } else {
            Err(format!("the Slurm node is not idle: `{state}` {}", String::from_utf8_lossy(&out.stderr)))
        }
    }

    /// A command that talks to this cluster.
    fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("SLURM_CONF", &self.conf);
        c
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(dir) = &self.started {
            let _ = Command::new(Path::new(ROOT).join("scripts/slurm-down")).arg(dir.path()).status();
        }
    }
}

/// A study of a shell-script objective: 9 bits, 2 stages of 12 trials. The
/// script appends its trial id to `trials.log` before it sleeps, so the log
/// counts evaluations.
struct Fixture {
    dir: tempfile::TempDir,
}

const OBJECTIVE: &str = r#"#!/bin/sh
echo "$HARMONICA_TRIAL" >> "$TRIAL_LOG"
sleep "$SLEEP"
c=0; [ "$3" = true ] && c=2
d=0; [ "$4" = y ] && d=1
echo "loss=$(( ($1 - 3) * ($1 - 3) + ($2 - 5) * ($2 - 5) + c + d ))"
"#;

impl Fixture {
    fn new(sleep: &str) -> Self {
        let dir = tempfile::Builder::new().prefix("harmonica-slurm-test-").tempdir().unwrap();
        let script = dir.path().join("objective.sh");
        std::fs::write(&script, OBJECTIVE).unwrap();
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let log = dir.path().join("trials.log");
        let study = format!(
            "study: toy\nseed: 3\nspace:\n  a: {{type: int, low: 0, high: 7}}\n  b: {{type: int, low: 0, high: 7}}\n  c: {{type: bool}}\n  d: {{type: choice, values: [x, y, z, w]}}\nobjective:\n  type: command\n  argv: [\"./objective.sh\", \"{{a}}\", \"{{b}}\", \"{{c}}\", \"{{d}}\"]\n  env: {{TRIAL_LOG: \"{}\", SLEEP: \"{sleep}\"}}\n  metric: loss\n  timeout: 120\noptimizer:\n  type: harmonica\n  stages: 2\n  samples: 12\n  degree: 2\n  terms: 3\n  alpha: 0.05\n  base: none\nexecution:\n  workers: 2\n  executor: slurm\n  slurm: {{partition: debug, max_parallel: 4, time: \"00:10:00\", cpus_per_task: 1, poll_interval: 0.5}}\n",
            log.display()
        );
        std::fs::write(dir.path().join("toy.yaml"), study).unwrap();
        Fixture { dir }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    /// `harmonica run` with these extra arguments, journal under `storage`.
    fn run(&self, cluster: &Cluster, storage: &str, extra: &[&str]) -> Command {
        let mut c = cluster.cmd(BIN);
        c.arg("run").arg(self.path("toy.yaml")).arg("--json").arg("--storage").arg(self.path(storage)).args(extra);
        c
    }

    fn shared(&self, storage: &str) -> PathBuf {
        self.path(storage).join("toy.slurm")
    }

    /// Trial ids the objective logged, in order.
    fn logged(&self) -> Vec<usize> {
        let text = std::fs::read_to_string(self.path("trials.log")).unwrap_or_default();
        text.lines().map(|l| l.trim().parse().unwrap()).collect()
    }

    fn clear_log(&self) {
        let _ = std::fs::remove_file(self.path("trials.log"));
    }

    /// The study run with the local executor: the reference result.
    fn local_result(&self, cluster: &Cluster) -> Value {
        // Many local workers: the result does not depend on how many, and the reference comes quickly.
        let out = self.run(cluster, "local", &["--executor", "local", "--workers", "12"]).output().unwrap();
        self.clear_log();
        result(&out)
    }
}

/// The `--json` result without its timing.
fn result(out: &Output) -> Value {
    assert!(out.status.success(), "harmonica run failed: {}", String::from_utf8_lossy(&out.stderr));
    let mut v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_object_mut().unwrap().remove("timing");
    v
}

/// The submissions in a shared directory: (number, trial ids).
fn submissions(shared: &Path) -> Vec<(u64, Vec<usize>)> {
    let mut subs: Vec<(u64, Vec<usize>)> = std::fs::read_dir(shared)
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let n = name.strip_prefix("sub-")?.strip_suffix(".json")?.parse().ok()?;
            let v: Value = serde_json::from_slice(&std::fs::read(e.path()).ok()?).ok()?;
            let trials = v["tasks"].as_array()?.iter().map(|t| t["trial"].as_u64().unwrap() as usize).collect();
            Some((n, trials))
        })
        .collect();
    subs.sort();
    subs
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    // A generous bound that only turns a hang into a failure; nothing is timed.
    let deadline = Instant::now() + Duration::from_secs(300);
    while !done() {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn finish(child: Child) -> Output {
    child.wait_with_output().unwrap()
}

/// Array task `index` of job `job`'s state, as squeue says.
fn task_state(cluster: &Cluster, job: &str, index: usize) -> String {
    let out = cluster.cmd("squeue").args(["-h", "-r", "-t", "all", "-j", job, "-o", "%K %T"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines()
        .filter_map(|l| l.split_once(' '))
        .find(|(k, _)| k.parse() == Ok(index))
        .map(|(_, s)| s.to_owned())
        .unwrap_or_default()
}

fn job_of(shared: &Path, n: u64) -> Option<String> {
    Some(std::fs::read_to_string(shared.join(format!("sub-{n}.job"))).ok()?.trim().to_owned())
}

fn two_stages_through_job_arrays_equal_the_local_run(cluster: &Cluster) {
    let f = Fixture::new("0");
    let local = f.local_result(cluster);
    let slurm = result(&f.run(cluster, "slurm", &[]).output().unwrap());
    assert_eq!(slurm, local);
    assert_eq!(slurm["evaluations"], 24);
    // One array per stage, each trial in exactly one of them, evaluated once.
    let subs = submissions(&f.shared("slurm"));
    assert_eq!(subs.iter().map(|(_, t)| t.len()).collect::<Vec<_>>(), vec![12, 12]);
    let mut logged = f.logged();
    logged.sort();
    assert_eq!(logged, (0..24).collect::<Vec<_>>());
    // `harmonica best` reads the same journal as a local run writes.
    let best = cluster
        .cmd(BIN)
        .args(["best", "--json", "--storage"])
        .arg(f.path("slurm"))
        .arg(f.path("toy.yaml"))
        .output()
        .unwrap();
    let best: Value = serde_json::from_slice(&best.stdout).unwrap();
    assert_eq!(best["best"]["value"], local["best"]["value"], "{best}");
    assert_eq!(best["best"]["trial"], local["best"]["trial"], "{best}");
}

fn a_cancelled_task_is_resubmitted_and_nothing_is_lost(cluster: &Cluster) {
    let f = Fixture::new("1");
    let local = f.local_result(cluster);
    let child = f.run(cluster, "slurm", &[]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let shared = f.shared("slurm");
    let mut job = None;
    wait_for("the first array", || {
        job = job_of(&shared, 0);
        job.is_some()
    });
    let job = job.unwrap();
    wait_for("task 2 to run", || task_state(cluster, &job, 2) == "RUNNING");
    let status = cluster.cmd("scancel").arg(format!("{job}_2")).status().unwrap();
    assert!(status.success());
    let out = finish(child);
    assert_eq!(result(&out), local);
    let subs = submissions(&shared);
    // The cancelled task's trial went out again, alone, before stage 2.
    assert_eq!(subs.len(), 3, "{subs:?}");
    assert_eq!(subs[1].1, vec![subs[0].1[2]], "{subs:?}");
    // Every trial evaluated; only the cancelled one may have started twice.
    let cancelled = subs[0].1[2];
    let logged = f.logged();
    for trial in 0..24 {
        let times = logged.iter().filter(|&&t| t == trial).count();
        let allowed = if trial == cancelled { 1..=2 } else { 1..=1 };
        assert!(allowed.contains(&times), "trial {trial} ran {times} times: {logged:?}");
    }
}

fn a_killed_coordinator_resumes_without_submitting_twice(cluster: &Cluster) {
    let f = Fixture::new("1");
    let local = f.local_result(cluster);
    let mut child = f.run(cluster, "slurm", &[]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let shared = f.shared("slurm");
    // Kill it while the first array still has tasks running or pending.
    wait_for("two results", || std::fs::read_dir(shared.join("results")).map_or(0, |d| d.count()) >= 2);
    let job = job_of(&shared, 0).unwrap();
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let states: Vec<String> = (0..12).map(|i| task_state(cluster, &job, i)).collect();
    assert!(states.iter().any(|s| s == "RUNNING" || s == "PENDING"), "{states:?}");
    let out = f.run(cluster, "slurm", &[]).output().unwrap();
    assert_eq!(result(&out), local);
    // No trial submitted twice, none evaluated twice.
    let subs = submissions(&shared);
    let mut submitted: Vec<usize> = subs.iter().flat_map(|(_, t)| t.iter().copied()).collect();
    submitted.sort();
    assert_eq!(submitted, (0..24).collect::<Vec<_>>(), "{subs:?}");
    let mut logged = f.logged();
    logged.sort();
    assert_eq!(logged, (0..24).collect::<Vec<_>>());
}

fn ctrl_c_cancels_the_arrays_and_a_rerun_completes(cluster: &Cluster) {
    let f = Fixture::new("1");
    let local = f.local_result(cluster);
    let child = f.run(cluster, "slurm", &[]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let shared = f.shared("slurm");
    wait_for("a first result", || std::fs::read_dir(shared.join("results")).map_or(0, |d| d.count()) >= 1);
    let job = job_of(&shared, 0).unwrap();
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let out = finish(child);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("interrupted"), "{stderr}");
    // Nothing of the array is left waiting or running.
    wait_for("the array to end", || {
        (0..12).all(|i| !matches!(task_state(cluster, &job, i).as_str(), "PENDING" | "RUNNING" | "COMPLETING"))
    });
    let states: Vec<String> = (0..12).map(|i| task_state(cluster, &job, i)).collect();
    assert!(states.iter().any(|s| s == "CANCELLED"), "{states:?}");
    let out = f.run(cluster, "slurm", &[]).output().unwrap();
    assert_eq!(result(&out), local);
}

/// One Slurm test: it panics on failure.
type Test = fn(&Cluster);

const TESTS: [(&str, Test); 5] = [
    ("two_stages_through_job_arrays_equal_the_local_run", two_stages_through_job_arrays_equal_the_local_run),
    ("a_cancelled_task_is_resubmitted_and_nothing_is_lost", a_cancelled_task_is_resubmitted_and_nothing_is_lost),
    ("a_killed_coordinator_resumes_without_submitting_twice", a_killed_coordinator_resumes_without_submitting_twice),
    ("ctrl_c_cancels_the_arrays_and_a_rerun_completes", ctrl_c_cancels_the_arrays_and_a_rerun_completes),
    (
        "a_task_slurm_reports_failed_is_a_failed_trial_with_that_reason",
        a_task_slurm_reports_failed_is_a_failed_trial_with_that_reason,
    ),
];

/// The closing line in libtest's words, so the counts read the same as every other test binary's.
fn summary(passed: usize, failed: usize, filtered: usize, t0: Instant) -> String {
    let verdict = if failed == 0 { "ok" } else { "FAILED" };
    format!(
        "test result: {verdict}. {passed} passed; {failed} failed; 0 ignored; 0 measured; {filtered} filtered out; finished in {:.2}s",
        t0.elapsed().as_secs_f64()
    )
}

fn a_task_slurm_reports_failed_is_a_failed_trial_with_that_reason(cluster: &Cluster) {
    let f = Fixture::new("1");
    let child = f.run(cluster, "slurm", &[]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let shared = f.shared("slurm");
    wait_for("the first array", || job_of(&shared, 0).is_some());
    // The workers can no longer write their results (as on a broken shared file
    // system): each task exits non-zero and Slurm reports it FAILED.
    let results = shared.join("results");
    std::fs::remove_dir_all(&results).unwrap();
    std::fs::write(&results, "").unwrap();
    let out = finish(child);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    let listed = cluster
        .cmd(BIN)
        .args(["trials", "--format", "json", "--storage"])
        .arg(f.path("slurm"))
        .arg(f.path("toy.yaml"))
        .output()
        .unwrap();
    let rows: Value = serde_json::from_slice(&listed.stdout).unwrap();
    let failed: Vec<&Value> =
        rows.as_array().unwrap().iter().filter(|r| r["reason"] == "Slurm reports the task FAILED").collect();
    assert!(!failed.is_empty(), "{rows:#}");
    // The failure carries what Slurm captured of the worker.
    for r in failed {
        assert!(r["stderr"].as_str().unwrap().contains("cannot write the result"), "{r:#}");
    }
}

fn main() -> ExitCode {
    let t0 = Instant::now();
    let filter: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let chosen: Vec<_> =
        TESTS.iter().filter(|(n, _)| filter.is_empty() || filter.iter().any(|f| n.contains(f))).collect();
    let filtered = TESTS.len() - chosen.len();
    println!("\nrunning {} test{}", chosen.len(), if chosen.len() == 1 { "" } else { "s" });
    let cluster = match Cluster::ensure() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: Slurm could not start, so every Slurm test fails: {e}");
            for (name, _) in &chosen {
                println!("test {name} ... FAILED");
            }
            println!("\n{}", summary(0, chosen.len(), filtered, t0));
            return ExitCode::FAILURE;
        }
    };
    let mut failed = Vec::new();
    for (name, test) in &chosen {
        let t = Instant::now();
        let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| test(&cluster))).is_ok();
        println!("test {name} ... {} ({:.1} s)", if ok { "ok" } else { "FAILED" }, t.elapsed().as_secs_f64());
        if !ok {
            failed.push(*name);
        }
    }
    drop(cluster);
    if !failed.is_empty() {
        println!("\nfailures:\n    {}", failed.join("\n    "));
    }
    println!("\n{}", summary(chosen.len() - failed.len(), failed.len(), filtered, t0));
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
