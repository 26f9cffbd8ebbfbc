//! The two study forms mean the same thing: every example parses and checks,
//! exists in both forms with one meaning, is canonically formatted, converts
//! DSL -> YAML -> DSL back to the same text through the real `harmonica fmt`,
//! and runs to identical `--json` results from either form.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use harmonica::runner::Prepared;
use harmonica::study::{self, print, Format, Study};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// Every study file in `examples/` (other files, such as JSON tables, are skipped).
fn study_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        fs::read_dir(examples()).map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default();
    files.retain(|p| Format::of(p).is_some());
    files.sort();
    files
}

fn load(path: &Path) -> Study {
    study::load(path).unwrap_or_else(|e| panic!("{}", e.render()))
}

fn harmonica(args: &[&str], dir: &Path) -> String {
    let out =
        Command::new(env!("CARGO_BIN_EXE_harmonica")).args(args).current_dir(dir).output().expect("run harmonica");
    assert!(out.status.success(), "harmonica {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn canonical(path: &Path, to: Format) -> String {
    let source = fs::read_to_string(path).expect("read example");
    print::study(&load(path), to, &print::leading_comments(&source))
}

#[test]
fn every_example_parses_and_checks() {
    let files = study_files();
    assert!(files.len() >= 6, "{files:?}");
    for path in files {
        let study = load(&path);
        if experiment_only(&study) {
            // Nothing to tune; tests/experiment_cli.rs runs these.
            continue;
        }
        if let Err(e) = Prepared::new(study) {
            panic!("{}: {e}", path.display());
        }
    }
}

#[test]
fn every_example_exists_in_both_forms_with_one_meaning() {
    for path in study_files().into_iter().filter(|p| Format::of(p) == Some(Format::Study)) {
        let twin = path.with_extension("yaml");
        assert!(twin.exists(), "{} has no YAML twin", path.display());
        assert_eq!(load(&path), load(&twin), "{}", path.display());
    }
}

/// Examples kept in YAML only (the experiment files) convert to the study
/// language and read back with the same meaning.
#[test]
fn yaml_only_examples_convert_to_the_study_language_and_back() {
    let yaml_only: Vec<PathBuf> = study_files()
        .into_iter()
        .filter(|p| Format::of(p) == Some(Format::Yaml) && !p.with_extension("study").exists())
        .collect();
    assert!(!yaml_only.is_empty());
    for path in yaml_only {
        let study = load(&path);
        let text = print::study(&study, Format::Study, &[]);
        let back = study::parse_str(&text, Format::Study, &study.base_dir)
            .unwrap_or_else(|d| panic!("{}: {d}\n{text}", path.display()));
        assert_eq!(back, study, "{}", path.display());
    }
}

#[test]
fn example_study_files_are_canonical() {
    for path in study_files().into_iter().filter(|p| Format::of(p) == Some(Format::Study)) {
        let text = fs::read_to_string(&path).expect("read example");
        assert_eq!(canonical(&path, Format::Study), text, "{} is not canonical", path.display());
    }
}

#[test]
fn fmt_dsl_to_yaml_to_dsl_gives_back_the_canonical_text() {
    let dir = tempfile::tempdir().expect("temp dir");
    for path in study_files() {
        let name = path.file_stem().and_then(|s| s.to_str()).expect("file name");
        let file = path.to_str().expect("utf-8 path");
        let dsl = harmonica(&["fmt", file, "--to", "dsl"], &examples());
        assert_eq!(dsl, canonical(&path, Format::Study));
        let yaml_path = dir.path().join(format!("{name}.yaml"));
        fs::write(&yaml_path, harmonica(&["fmt", file, "--to", "yaml"], &examples())).expect("write yaml");
        let back = harmonica(&["fmt", yaml_path.to_str().expect("utf-8 path"), "--to", "dsl"], dir.path());
        assert_eq!(back, dsl, "{}", path.display());
        // Formatting canonical text again changes nothing.
        let dsl_path = dir.path().join(format!("{name}.study"));
        fs::write(&dsl_path, &dsl).expect("write dsl");
        assert_eq!(harmonica(&["fmt", dsl_path.to_str().expect("utf-8 path")], dir.path()), dsl);
    }
}

/// `run --json` without its `timing` (wall-clock) part.
fn run_json(path: &Path) -> serde_json::Value {
    let out = harmonica(&["run", "--no-journal", "--json", path.to_str().expect("utf-8 path")], &examples());
    let mut v: serde_json::Value = serde_json::from_str(&out).expect("json output");
    if let Some(m) = v.as_object_mut() {
        assert!(m.remove("timing").is_some());
    }
    v
}

/// A study with an `experiment` block and nothing to tune.
fn experiment_only(study: &Study) -> bool {
    study.objective.is_none() && !study.experiment.is_empty()
}

/// `experiment --json` without the runs' wall-clock `seconds`.
fn experiment_json(path: &Path) -> serde_json::Value {
    let out = harmonica(&["experiment", "--json", path.to_str().expect("utf-8 path")], &examples());
    let mut v: serde_json::Value = serde_json::from_str(&out).expect("json output");
    for run in v["runs"].as_array_mut().into_iter().flatten() {
        assert!(run.as_object_mut().and_then(|m| m.remove("seconds")).is_some());
    }
    v
}

#[test]
fn both_forms_run_to_identical_json() {
    for path in study_files().into_iter().filter(|p| Format::of(p) == Some(Format::Study)) {
        if experiment_only(&load(&path)) {
            let (dsl, yaml) = (experiment_json(&path), experiment_json(&path.with_extension("yaml")));
            assert!(dsl["runs"].as_array().is_some_and(|r| !r.is_empty()), "{dsl}");
            assert_eq!(dsl, yaml, "{}", path.display());
            continue;
        }
        let dsl = run_json(&path);
        let yaml = run_json(&path.with_extension("yaml"));
        assert!(dsl["evaluations"].as_u64().is_some_and(|n| n > 0), "{dsl}");
        assert_eq!(dsl, yaml, "{}", path.display());
    }
}

#[test]
fn reference_example_reads_the_same_in_both_forms() {
    let dsl = "study \"reference-ex2\" seed 1\n\
               objective tree_polynomial { table: \"reference_ex2.json\" }\n\
               optimizer harmonica {\n  stages: 3  samples: 300  degree: 3  terms: 5  alpha: 3.0  keep: 1\n  \
               base: random { evaluations: 300 }\n}\n";
    let from_dsl = study::parse_str(dsl, Format::Study, &examples()).expect("dsl parses");
    assert_eq!(from_dsl, load(&examples().join("reference_ex2.yaml")));
}

/// The code block in `text` that starts with the line `first`.
fn block_after<'a>(text: &'a str, first: &str) -> &'a str {
    let start = text.find(first).unwrap_or_else(|| panic!("README has no block starting {first}"));
    let rest = &text[start..];
    &rest[..rest.find("```").unwrap_or(rest.len())]
}

#[test]
fn readme_shows_one_study_in_both_forms() {
    let readme = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).expect("README");
    let dsl = block_after(&readme, "# examples/sparse_polynomial.study\n");
    let yaml = block_after(&readme, "# examples/sparse_polynomial.yaml\n");
    let from_dsl =
        study::parse_str(dsl, Format::Study, &examples()).unwrap_or_else(|d| panic!("{}", d.render("README", dsl)));
    let from_yaml =
        study::parse_str(yaml, Format::Yaml, &examples()).unwrap_or_else(|d| panic!("{}", d.render("README", yaml)));
    assert_eq!(from_dsl, from_yaml);
}

#[test]
fn fmt_rejects_an_invalid_study_with_the_rendered_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bad.study");
    fs::write(&path, "study s\nspace {\n  lr: log(1e-4 .. 1e-1) bit 3\n}\n").expect("write study");
    let out = Command::new(env!("CARGO_BIN_EXE_harmonica"))
        .args(["fmt", "bad.study", "--to", "yaml"])
        .current_dir(dir.path())
        .output()
        .expect("run harmonica");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: expected `:`, found `3`\n --> bad.study:3:29\n  |\n3 |   lr: log(1e-4 .. 1e-1) bit 3\n  |                             ^\n  = help: did you mean `bits`?\n"
    );
}

#[test]
fn a_session_takes_study_language_statements() {
    use harmonica::session::Session;
    let mut s = Session::new();
    assert!(!s.is_complete("space {\n  m: bool\n"));
    assert!(!s.is_complete("objective sparse_polynomial {"));
    assert!(s.is_complete("space {\n  m: bool\n}"));
    assert!(s.is_complete("stepp"), "a lone unknown word is a finished input");
    assert!(s.is_complete("space"), "`space` alone is the command");
    let said = |s: &mut Session, code: &str| match s.execute(code) {
        Ok(out) => out.plain().to_owned(),
        Err(e) => panic!("{}", e.render()),
    };
    assert_eq!(
        said(&mut s, "objective sparse_polynomial { n: 3, terms: [{ w: -1.0, S: [0] }] }"),
        "defined objective; the engine starts afresh"
    );
    assert_eq!(
        said(&mut s, "space {\n  lr: log(1e-4 .. 1e-1) bits 2\n  m: bool\n}"),
        "defined space; the engine starts afresh"
    );
    let space = said(&mut s, "space");
    assert!(space.starts_with("2 parameters, 3 bits"), "{space}");
}
