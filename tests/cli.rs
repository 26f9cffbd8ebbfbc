//! The `harmonica` binary as a user runs it.

use std::process::{Command, Output};

fn harmonica(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_harmonica")).args(args).output().expect("the binary runs")
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = harmonica(args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON object")
}

#[test]
fn run_json_has_the_documented_fields() {
    let v = json(&["run", "examples/reference_ex2.yaml", "--no-journal", "--json", "--seed", "2"]);
    assert_eq!(v["evaluations"], 1200);
    assert!(v["best"]["value"].as_f64().is_some());
    assert_eq!(v["best"]["params"].as_object().map(|m| m.len()), Some(60));
    assert!(v["best"]["trial"].as_u64().is_some_and(|t| t < 1200));
    let stages = v["stages"].as_array().expect("stages");
    assert_eq!(stages.len(), 3);
    let term = &stages[0]["terms"][0];
    assert!(term["coef"].as_f64().is_some() && term["monomial"].as_str().is_some());
    assert!(stages[0]["fixed"].as_object().is_some_and(|f| !f.is_empty()));
}

#[test]
fn json_is_identical_with_one_and_four_workers() {
    let strip = |mut v: serde_json::Value| {
        v.as_object_mut().map(|m| m.remove("timing"));
        v
    };
    let one = strip(json(&["run", "examples/reference_ex2.yaml", "--no-journal", "--json", "--workers", "1"]));
    let four = strip(json(&["run", "examples/reference_ex2.yaml", "--no-journal", "--json", "--workers", "4"]));
    assert_eq!(one, four);
}

#[test]
fn invalid_study_exits_2_with_a_located_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.yaml");
    std::fs::write(&path, "study: x\noptimizer:\n  type: harmonica\n  degre: 3\n").expect("write");
    let out = harmonica(&["check", path.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let expected = format!(
        "error: unknown key `degre` in the optimizer\n --> {}:4:3\n  |\n4 |   degre: 3\n  |   ^^^^^\n  = help: did you mean `degree`?\n",
        path.display()
    );
    assert_eq!(err, expected);
}

#[test]
fn missing_file_is_an_error_not_a_panic() {
    let out = harmonica(&["run", "no/such/study.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: cannot read the study file"));
}

#[test]
fn check_describes_the_space() {
    let out = harmonica(&["check", "examples/reference_ex2.yaml"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("study reference-ex2 (seed 1)\nspace: 60 parameters, 60 bits\n"), "{text}");
    assert!(text.contains("stage 1 fits 36050 features over 60 bits"), "{text}");
}
