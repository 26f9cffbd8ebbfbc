//! `harmonica experiment` driven through the real binary.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn harmonica(args: &[&str]) -> Output {
    match Command::new(env!("CARGO_BIN_EXE_harmonica")).args(args).current_dir(env!("CARGO_MANIFEST_DIR")).output() {
        Ok(out) => out,
        Err(e) => panic!("cannot run harmonica: {e}"),
    }
}

fn json_of(out: &Output) -> Value {
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn json_holds_every_run_with_settings_final_and_markers() {
    let v = json_of(&harmonica(&["experiment", "examples/sgd_lab.yaml", "--json"]));
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);

    let reslink = &runs[0];
    assert_eq!(reslink["name"], "reslink");
    assert_eq!(reslink["type"], "two_layer");
    assert_eq!(reslink["settings"]["model"], "reslink");
    assert_eq!(reslink["settings"]["d"], 20);
    assert_eq!(reslink["settings"]["teacher"]["type"], "gaussian");
    assert_eq!(reslink["settings"]["optimizer"]["lr"], 0.05);
    assert!(reslink["final"]["distance"].as_f64().unwrap() < 1e-3);
    assert!(reslink["final"]["loss"].as_f64().unwrap() < 1e-6);
    let m = &reslink["markers"];
    for key in ["peak_step", "peak_distance", "start_distance", "min_cosine", "g_start", "g_at_peak"] {
        assert!(m[key].is_number(), "marker {key}: {}", m[key]);
    }
    // The gradient never points away from W* in this run.
    assert!(m["last_wrong_step"].is_null());

    let saddle = &runs[1];
    assert_eq!(saddle["name"], "saddle-gd");
    assert_eq!(saddle["settings"]["problem"]["type"], "quadratic_quartic");
    let escape = saddle["final"]["escape_step"].as_u64().unwrap();
    assert!((100..=102).contains(&escape), "escape at {escape}");
    assert!(saddle["final"]["value"].as_f64().unwrap() < -0.99);
}

#[test]
fn a_run_that_never_escapes_reports_null() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("stuck.yaml");
    let text = "experiment:\n  - name: stuck\n    type: saddle\n    problem: quadratic_quartic\n    \
                start: [1.0, 0.0]\n    optimizer: {type: gd, lr: 0.1}\n    steps: 300\n";
    std::fs::write(&file, text).unwrap();
    let v = json_of(&harmonica(&["experiment", file.to_str().unwrap(), "--json"]));
    assert!(v["runs"][0]["final"]["escape_step"].is_null());
    assert!(v["runs"][0]["markers"]["escape_step"].is_null());
}

#[test]
fn table_csv_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, svg) = (dir.path().join("csv"), dir.path().join("svg"));
    let out = harmonica(&[
        "experiment",
        "examples/sgd_lab.yaml",
        "--csv",
        csv.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let table = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("run") && lines[1].starts_with("reslink") && lines[2].starts_with("saddle-gd"));
    assert!(lines[2].contains("escaped at step 101"), "{table}");
    let trace = std::fs::read_to_string(csv.join("reslink.csv")).unwrap();
    assert!(trace.starts_with("step,loss,batch_loss,test_loss,distance,g,inner,cosine,grad_norm,w_norm\n"));
    assert_eq!(trace.lines().count(), 1 + 2001);
    let saddle = std::fs::read_to_string(csv.join("saddle-gd.csv")).unwrap();
    assert!(saddle.starts_with("step,value,grad_norm,x,y,passed,perturbed\n"));
    for name in ["reslink.svg", "saddle-gd.svg"] {
        let text = std::fs::read_to_string(svg.join(name)).unwrap();
        assert!(text.starts_with("<svg") && text.trim_end().ends_with("</svg>"), "{name}");
    }
}

#[test]
fn bad_settings_point_at_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.yaml");
    std::fs::write(&file, "experiment:\n  - type: two_layer\n    optimizer: {type: gd, lr: -0.5}\n    steps: 10\n")
        .unwrap();
    let out = harmonica(&["experiment", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: expected a number > 0, found `-0.5`\n"), "{err}");
    assert!(
        err.contains(
            "bad.yaml:3:31\n  |\n3 |     optimizer: {type: gd, lr: -0.5}\n  |                               ^^^^\n"
        ),
        "{err}"
    );
}

#[test]
fn a_missing_teacher_file_fails_the_run_only() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file.yaml");
    let text = "experiment:\n  - name: from-file\n    type: two_layer\n    d: 3\n    \
                teacher: {type: file, path: nowhere.txt}\n    steps: 5\n";
    std::fs::write(&file, text).unwrap();
    let out = harmonica(&["experiment", file.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["runs"][0]["final"].is_null());
    assert!(v["runs"][0]["error"].as_str().unwrap().contains("nowhere.txt"));
}

#[test]
fn check_describes_an_experiment() {
    let out = harmonica(&["check", "examples/sgd_lab.yaml"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("study experiment: experiment with 2 runs\n"), "{text}");
}

#[test]
fn every_example_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if harmonica::study::Format::of(&path).is_some() {
            if let Err(e) = harmonica::study::load(&path) {
                panic!("{}", e.render());
            }
        }
    }
}

#[test]
fn saddle_examples_escape_as_documented() {
    let out = harmonica(&["experiment", "examples/saddles.yaml", "--json"]);
    let v = json_of(&out);
    let run = |name: &str| v["runs"].as_array().unwrap().iter().find(|r| r["name"] == name).unwrap().clone();
    assert!(run("gd-on-the-stable-manifold")["final"]["escape_step"].is_null());
    assert_eq!(run("gd-offset-1e-8")["final"]["escape_step"], 101);
    for name in ["noisy-gd", "perturbed-gd", "perturbed-gd-jin2017", "tensor-one-noisy", "tensor-all-noisy"] {
        assert!(run(name)["final"]["escape_step"].is_u64(), "{name}");
    }
    let preset = &run("perturbed-gd-jin2017")["settings"]["optimizer"];
    assert_eq!(preset["preset"]["name"], "jin2017");
    assert_eq!(preset["lr"], 0.25);
    // GD on the chain stalls once the coordinates still to escape underflow.
    let chain = run("chain-gd");
    assert!(chain["final"]["escape_step"].is_null());
    assert_eq!(chain["markers"]["saddle_steps"].as_array().unwrap().len(), 3);
    assert!(chain["warnings"][0].as_str().unwrap().contains("subnormal"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("warning: chain-gd: coordinate 3 underflowed to a subnormal number at step 895"),
        "{stderr}"
    );
    assert_eq!(run("chain-perturbed-gd")["markers"]["saddle_steps"].as_array().unwrap().len(), 5);
}

/// Loads an example by name.
fn example(name: &str) -> harmonica::study::Study {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name);
    harmonica::study::load(&path).unwrap_or_else(|e| panic!("{}", e.render()))
}

#[test]
fn study_language_twins_mean_the_same_as_the_yaml() {
    for stem in ["sgd_lab", "sgd_tuning"] {
        let yaml = example(&format!("{stem}.yaml"));
        let dsl = example(&format!("{stem}.study"));
        assert_eq!(yaml, dsl, "{stem}");
    }
}

#[test]
fn experiments_and_the_sgd_objective_print_and_read_back() {
    use harmonica::study::{parse_str, print, Format};
    let names = ["sgd_lab.yaml", "sgd_tuning.yaml", "saddles.yaml", "two_phase.yaml", "paper_sgd.yaml"];
    for name in names {
        let study = example(name);
        for format in [Format::Study, Format::Yaml] {
            let text = print::study(&study, format, &[]);
            let back = parse_str(&text, format, &study.base_dir).unwrap_or_else(|d| panic!("{name}: {d}\n{text}"));
            assert_eq!(back, study, "{name} as {format:?}:\n{text}");
        }
    }
}
