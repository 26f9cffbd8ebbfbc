//! The session core in-process: every command, errors, completion, inspection.

use harmonica::session::{output, Session};

fn session() -> Session {
    let mut s = Session::new();
    s.set_workers(2);
    s.execute("load examples/reference_ex2.yaml").expect("the example loads");
    s
}

fn text(s: &mut Session, code: &str) -> String {
    match s.execute(code) {
        Ok(out) => out.plain().to_owned(),
        Err(e) => panic!("`{code}` failed:\n{}", e.render()),
    }
}

fn error(s: &mut Session, code: &str) -> String {
    match s.execute(code) {
        Ok(out) => panic!("`{code}` succeeded: {}", out.plain()),
        Err(e) => e.render(),
    }
}

#[test]
fn load_reports_the_space() {
    let mut s = Session::new();
    assert_eq!(
        text(&mut s, "load examples/reference_ex2.yaml"),
        "loaded study reference-ex2 (60 parameters, 60 bits, seed 1)"
    );
}

#[test]
fn step_terms_report_and_best() {
    let mut s = session();
    let out = text(&mut s, "step");
    assert!(out.starts_with("Stage 1: 300 samples (0 failed), 36050 features over 60 free bits"), "{out}");
    assert!(out.ends_with("best so far: -812.8416 (trial 244)"), "{out}");
    let terms = text(&mut s, "terms");
    assert_eq!(
        terms,
        "stage 1 terms\n     coef  monomial\n---------  ---------------\n-135.6233  x14 * x24 * x38\n-133.0311  x17 * x30 * x48\n-130.7922  x13 * x44 * x52\n-119.6719  x9 * x14 * x30\n +88.4266  x8 * x25 * x46\n"
    );
    let html = s.execute("terms 1").expect("terms 1");
    assert!(html.get(output::HTML).is_some_and(|h| h.starts_with("<table><caption>stage 1 terms</caption>")));
    assert!(text(&mut s, "report").starts_with("Stage 1:"));
    assert!(text(&mut s, "best").starts_with("best: -812.8416 at trial 244\n"));
    assert!(error(&mut s, "terms 4").contains("stage 4 has not run (stages run: 1)"));
}

#[test]
fn fix_unfix_and_the_fixed_list() {
    let mut s = session();
    assert_eq!(text(&mut s, "fixed"), "nothing is fixed yet");
    assert_eq!(text(&mut s, "fix x3 = 1"), "fixed x3 = 1 for the next stages");
    assert_eq!(text(&mut s, "fixed"), "parameter  value\n---------  -----\nx3         1\n");
    text(&mut s, "step");
    let trials = text(&mut s, "trials stage 1");
    assert!(trials.starts_with("300 of 300 trials"), "{trials}");
    assert!(trials.lines().skip(3).all(|l| l.contains("x3=1")), "{trials}");
    assert_eq!(text(&mut s, "unfix x3"), "x3 is free again");
    assert!(!text(&mut s, "fixed").contains("x3 "));
}

#[test]
fn undo_restores_the_stage() {
    let mut s = session();
    let first = text(&mut s, "step");
    assert_eq!(text(&mut s, "undo"), "stage 1 undone; `step` runs it again");
    assert_eq!(text(&mut s, "step"), first);
    assert!(error(&mut s, "undo now").contains("`undo` takes no arguments"));
}

#[test]
fn run_to_the_end_then_nothing_is_left() {
    let mut s = session();
    let out = text(&mut s, "run");
    assert!(out.contains("Stage 3:") && out.contains("base algorithm: 1 rung, 300 evaluations"), "{out}");
    assert_eq!(text(&mut s, "run"), "nothing left to run: every stage and the base algorithm are done");
    let best = text(&mut s, "best");
    assert!(best.ends_with("noise-free value: -916.279\n"), "{best}");
}

#[test]
fn base_skips_the_remaining_stages() {
    let mut s = session();
    text(&mut s, "step");
    let out = text(&mut s, "base");
    assert!(out.starts_with("base algorithm: 1 rung, 300 evaluations"), "{out}");
    let trials = text(&mut s, "trials base");
    assert!(trials.starts_with("300 of 300 trials"));
}

#[test]
fn set_changes_the_next_stage() {
    let mut s = session();
    assert_eq!(text(&mut s, "set samples = 50"), "samples = 50 from the next stage on");
    assert!(text(&mut s, "step").starts_with("Stage 1: 50 samples"));
    assert!(error(&mut s, "set alpah = 2").contains("help: did you mean `alpha`?"));
    assert!(error(&mut s, "set alpha = -1").contains("`alpha` must be positive, found `-1`"));
}

#[test]
fn trials_queries_and_export() {
    let mut s = session();
    text(&mut s, "set samples = 20");
    text(&mut s, "step");
    let top = text(&mut s, "trials top 2");
    assert!(top.starts_with("2 of 20 trials\n"), "{top}");
    let err = error(&mut s, "trials sorted");
    assert!(err.contains("unexpected `sorted` in a trials query"), "{err}");
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("t.csv");
    assert_eq!(text(&mut s, &format!("export {}", csv.display())), format!("wrote 20 trials to {}", csv.display()));
    let body = std::fs::read_to_string(&csv).expect("csv written");
    assert_eq!(body.lines().count(), 21);
    assert!(body.starts_with("trial,phase,budget,value,error,x0,x1,"));
    let json = dir.path().join("t.json");
    text(&mut s, &format!("export {}", json.display()));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("parses");
    assert_eq!(v.as_array().map(Vec::len), Some(20));
}

#[test]
fn errors_point_at_the_typed_input() {
    let mut s = session();
    assert_eq!(
        error(&mut s, "fix x3 = 7"),
        "error: `x3` (choice {-1, 1}) never takes the value 7\n --> In [2]:1:10\n  |\n1 | fix x3 = 7\n  |          ^\n"
    );
    assert_eq!(
        error(&mut s, "fixx x3 = 1"),
        "error: unknown command `fixx`\n --> In [3]:1:1\n  |\n1 | fixx x3 = 1\n  | ^^^^\n  = help: did you mean `fix`?\n"
    );
    assert!(error(&mut s, "fix lr = 1").contains("no parameter named `lr`"));
    assert!(error(&mut s, "step two").contains("expected a number of stages, found `two`"));
}

#[test]
fn help_and_history() {
    let mut s = session();
    let help = text(&mut s, "help");
    for c in harmonica::session::COMMANDS {
        assert!(help.contains(c.help), "help lacks {}", c.name);
    }
    assert_eq!(text(&mut s, "help fix"), "fix NAME = VALUE\n  fix a parameter by hand for the next stages\n");
    let h = text(&mut s, "history");
    assert_eq!(h, "   1  load examples/reference_ex2.yaml\n   2  help\n   3  help fix\n   4  history\n");
}

#[test]
fn completion_and_inspection() {
    let s = session();
    assert_eq!(s.complete("st", 2), (0, vec!["step".to_owned(), "study".to_owned()]));
    assert_eq!(
        s.complete("fix x5", 6),
        (
            4,
            vec![
                "x5".to_owned(),
                "x50".to_owned(),
                "x51".to_owned(),
                "x52".to_owned(),
                "x53".to_owned(),
                "x54".to_owned(),
                "x55".to_owned(),
                "x56".to_owned(),
                "x57".to_owned(),
                "x58".to_owned(),
                "x59".to_owned()
            ]
        )
    );
    let (start, files) = s.complete("load examples/ref", 17);
    assert_eq!(start, 5);
    assert!(files.contains(&"examples/reference_ex2.yaml".to_owned()), "{files:?}");
    assert_eq!(s.inspect("step 2", 1).as_deref(), Some("step [N]\n  run the next N Harmonica stages (default 1)"));
    assert_eq!(s.inspect("fix x7 = 1", 5).as_deref(), Some("x7: choice {-1, 1}\n  bit 7"));
    assert!(s.is_complete("step"));
}

#[test]
fn no_study_yet_is_a_clear_error() {
    let mut s = Session::new();
    assert!(error(&mut s, "step").contains("no study yet: `load FILE`"));
}

#[test]
fn print_and_warn_write_streams_not_results() {
    let mut s = Session::new();
    let out = s.execute("print \"hello, world\"").expect("print");
    assert_eq!((out.stdout(), out.stderr(), out.plain()), ("hello, world\n", "", ""));
    let out = s.execute("warn careful: two\\nlines").expect("warn");
    assert_eq!((out.stdout(), out.stderr()), ("", "warning: careful: two\nlines\n"));
}

#[test]
fn plots_are_svg_with_a_text_stand_in() {
    let mut s = session();
    assert!(error(&mut s, "plot convergence").contains("no successful trial to plot yet"));
    text(&mut s, "step");
    let out = s.execute("plot convergence").expect("plot");
    assert_eq!(
        out.plain(),
        "reference-ex2: best value so far\n  best value  █▇▃▃▃▂▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁  -103.0129 -> -812.8416\n  300 evaluations; best -812.8416\n"
    );
    let svg = out.get(output::SVG).expect("an SVG");
    assert!(svg.starts_with("<svg") && svg.contains("best value so far"), "{svg}");
    let values = s.execute("plot values").expect("plot values");
    assert!(values.get(output::SVG).is_some_and(|v| v.contains("<circle")));
    let e = error(&mut s, "plot convergance");
    assert!(e.contains("no plot named `convergance`") && e.contains("did you mean `convergence`?"), "{e}");
    assert_eq!(s.complete("plot v", 6), (5, vec!["values".to_owned()]));
}

#[test]
fn save_plot_writes_the_last_plot() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = session();
    assert!(error(&mut s, "save plot x.svg").contains("nothing to save"));
    text(&mut s, "step");
    text(&mut s, "plot values");
    let file = dir.path().join("values.svg");
    assert_eq!(text(&mut s, &format!("save plot {}", file.display())), format!("wrote the plot to {}", file.display()));
    assert!(std::fs::read_to_string(&file).expect("written").starts_with("<svg"));
    assert!(error(&mut s, "save values.svg").contains("expected `save plot FILE`"));
}

#[test]
fn completeness_is_three_way() {
    use harmonica::session::Completeness::*;
    let s = Session::new();
    assert_eq!(s.completeness("step"), Complete);
    assert_eq!(s.completeness("optimizer harmonica { samples: 100 }"), Complete);
    assert_eq!(s.completeness("optimizer harmonica {\n  samples: 100\n"), Incomplete);
    assert_eq!(s.completeness("space {\n  batch: {16, 32"), Incomplete);
    assert_eq!(s.completeness("space { x: }"), Invalid);
    assert_eq!(s.completeness("florp"), Invalid);
    assert_eq!(s.completeness(""), Complete);
}

/// A small two-phase run and a saddle escape: fast enough for every test.
const EXPERIMENT: &str = "experiment: [
  two_layer {
    name: \"two-phase\"
    d: 100
    teacher: orthogonal { scale: 0.6 }
    init: zero {}
    optimizer: gd { lr: 0.001 }
    steps: 300
  },
  saddle {
    name: \"saddle-gd\"
    problem: quadratic_quartic {}
    start: [1.0, 1e-8]
    optimizer: gd { lr: 0.1 }
    steps: 300
  },
]
";

#[test]
fn an_experiment_defined_in_the_session_runs_with_a_table_sparklines_and_charts() {
    let mut s = session();
    text(&mut s, "step");
    assert!(error(&mut s, "experiment").contains("no experiment yet"));
    assert_eq!(text(&mut s, EXPERIMENT), "defined experiment: 2 runs (two-phase, saddle-gd); `experiment` runs it");
    // Defining an experiment leaves the tuning where it was.
    assert!(text(&mut s, "report").starts_with("Stage 1:"));
    let out = s.execute("experiment").expect("the experiment runs");
    let plain = out.plain();
    assert!(plain.starts_with("ran the experiment of reference-ex2: 2 runs in "), "{plain}");
    assert!(plain.contains("two-phase  reslink gd") && plain.contains("peak 6.0320@52 (start 6.0000)"), "{plain}");
    assert!(plain.contains("escaped at step 101"), "{plain}");
    let html = out.get(output::HTML).expect("an HTML table");
    assert!(html.contains("<th>markers</th>") && html.contains("<td>two-phase</td>"), "{html}");
    let charts = out.displays();
    assert_eq!(charts.len(), 2);
    let two_phase = charts[0].plain();
    assert!(two_phase.starts_with("two-phase\n  ||W - W*||_F  "), "{two_phase}");
    assert!(two_phase.contains("6.0000 -> 5.6876") && two_phase.contains('█'), "{two_phase}");
    assert!(charts.iter().all(|c| c.get(output::SVG).is_some_and(|svg| svg.starts_with("<svg"))));
    assert!(charts[0].get(output::SVG).is_some_and(|svg| svg.contains("Phase I")));
}

#[test]
fn plot_and_save_an_experiment_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = Session::new();
    assert!(error(&mut s, &format!("save experiment {}", dir.path().display())).contains("nothing to save"));
    text(&mut s, EXPERIMENT);
    text(&mut s, "experiment");
    assert_eq!(s.complete("plot sad", 8), (5, vec!["saddle-gd".to_owned()]));
    assert_eq!(s.complete("save e", 6), (5, vec!["experiment".to_owned()]));
    let chart = s.execute("plot saddle-gd").expect("plot a run");
    assert!(chart.plain().starts_with("saddle-gd\n  f  "), "{}", chart.plain());
    assert!(chart.get(output::SVG).is_some_and(|svg| svg.contains("saddle-gd")));
    let file = dir.path().join("saddle.svg");
    text(&mut s, &format!("save plot {}", file.display()));
    assert!(std::fs::read_to_string(&file).expect("written").contains("saddle-gd"));
    let out = dir.path().join("runs");
    assert_eq!(
        text(&mut s, &format!("save experiment {}", out.display())),
        format!("wrote 2 charts (.svg) and 2 traces (.csv) to {}", out.display())
    );
    for f in ["two-phase.svg", "two-phase.csv", "saddle-gd.svg", "saddle-gd.csv"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let e = error(&mut s, "plot sadle-gd");
    assert!(e.contains("no plot named `sadle-gd`") && e.contains("did you mean `saddle-gd`?"), "{e}");
}

#[test]
fn an_experiment_from_a_file_and_a_file_with_only_an_experiment() {
    let mut s = Session::new();
    s.set_workers(2);
    assert_eq!(
        text(&mut s, "load examples/sgd_lab.study"),
        "loaded study experiment: an experiment of 2 runs; `experiment` runs it"
    );
    let mut t = session();
    let out = t.execute("experiment examples/sgd_lab.study").expect("a file's experiment");
    assert!(out.plain().contains("reslink") && out.plain().contains("saddle-gd"), "{}", out.plain());
    assert_eq!(out.displays().len(), 2);
    assert!(error(&mut t, "experiment examples/reference_ex2.yaml").contains("the study has no `experiment` block"));
    let e = error(&mut t, "experiment: [ two_layer { d: 0 } ]");
    assert!(e.contains("In [") && e.contains("^"), "{e}");
}

#[test]
fn help_completion_and_inspection_know_the_experiment_command() {
    let mut s = Session::new();
    assert!(text(&mut s, "help").contains("experiment  [FILE]"));
    assert!(text(&mut s, "help experiment").starts_with("experiment [FILE]\n"));
    assert!(s.complete("exp", 3).1.contains(&"experiment".to_owned()));
    assert!(s.inspect("experiment", 3).is_some_and(|h| h.contains("SGD experiment")));
    use harmonica::session::Completeness::*;
    assert_eq!(s.completeness("experiment"), Complete);
    assert_eq!(s.completeness("experiment: [\n  saddle {"), Incomplete);
}
