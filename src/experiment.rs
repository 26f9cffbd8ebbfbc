//! Runs a study's `experiment` block and renders what the runs found: the JSON
//! object of `harmonica experiment --json`, the summary table, CSV traces and SVG
//! charts. Returns values and writes only where it is asked to.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde_json::{json, Value};

use crate::plot::{self, Band, Panel, Series};
use crate::sgd::saddle::{self, Problem, SaddleConfig, SaddleRun, Start};
use crate::sgd::two_layer::{self, InitSpec, Method, TeacherSpec, TwoLayerConfig, TwoLayerRun};
use crate::study::{ExperimentRun, RunSpec, Study};

/// What one run produced.
#[derive(Clone, Debug)]
pub enum RunResult {
    /// A two-layer run.
    TwoLayer(TwoLayerRun),
    /// A saddle run.
    Saddle(SaddleRun),
}

/// One run with its outcome.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The run as the study gave it.
    pub run: ExperimentRun,
    /// Its result, or why it could not run.
    pub result: Result<RunResult, String>,
    /// Wall time in seconds.
    pub seconds: f64,
}

impl Outcome {
    /// Messages the user should see (e.g. underflow).
    pub fn warnings(&self) -> Vec<String> {
        match &self.result {
            Ok(RunResult::Saddle(s)) => s.warnings.clone(),
            Ok(RunResult::TwoLayer(t)) => {
                t.final_state.diverged_at.map(|s| format!("the loss diverged at step {s}")).into_iter().collect()
            }
            Err(_) => Vec::new(),
        }
    }
}

/// Runs every run of the study's experiment on `workers` threads, in study order.
pub fn run_all(study: &Study, workers: usize) -> Result<Vec<Outcome>, String> {
    run_all_with(study, workers, &|_| {}, &|| false)
}

/// Like [`run_all`], calling `done` after each run finishes; a run that has not
/// started when `stop` returns true is skipped and reported as interrupted.
pub fn run_all_with(
    study: &Study,
    workers: usize,
    done: &(dyn Fn(&Outcome) + Sync),
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<Vec<Outcome>, String> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers.max(1))
        .build()
        .map_err(|e| format!("cannot start the workers: {e}"))?;
    let one = |r: &ExperimentRun| {
        let o = if stop() {
            Outcome { run: r.clone(), result: Err("interrupted before it started".into()), seconds: 0.0 }
        } else {
            run_one(r, &study.base_dir)
        };
        done(&o);
        o
    };
    Ok(pool.install(|| study.experiment.par_iter().with_max_len(1).map(one).collect()))
}

/// Runs one run; `base_dir` resolves relative paths (a teacher file).
pub fn run_one(run: &ExperimentRun, base_dir: &Path) -> Outcome {
    let start = Instant::now();
    let result = match &run.spec {
        RunSpec::TwoLayer(cfg) => two_layer::run(&cfg.resolved(base_dir)).map(RunResult::TwoLayer),
        RunSpec::Saddle(cfg, _) => saddle::run(cfg).map(RunResult::Saddle),
    }
    .map_err(|e| e.to_string());
    Outcome { run: run.clone(), result, seconds: start.elapsed().as_secs_f64() }
}

/// The `--json` object: `{"study", "runs": [{name, type, settings, final, markers, ...}]}`.
pub fn to_json(study: &Study, outcomes: &[Outcome]) -> Value {
    json!({
        "study": study.name,
        "runs": outcomes.iter().map(outcome_json).collect::<Vec<_>>(),
    })
}

fn outcome_json(o: &Outcome) -> Value {
    let (kind, settings) = settings_json(&o.run.spec);
    let mut v = json!({"name": o.run.name, "type": kind, "settings": settings, "seconds": o.seconds});
    match &o.result {
        Ok(RunResult::TwoLayer(r)) => {
            v["final"] = json!(r.final_state);
            v["markers"] = json!(r.markers);
        }
        Ok(RunResult::Saddle(r)) => {
            v["final"] = json!({
                "escape_step": r.markers.escape_step,
                "value": r.value,
                "x": if r.x.len() <= 16 { json!(r.x) } else { Value::Null },
            });
            v["markers"] = json!(r.markers);
        }
        Err(e) => {
            v["final"] = Value::Null;
            v["error"] = json!(e);
        }
    }
    v["warnings"] = json!(o.warnings());
    v
}

/// The run's type name and its settings as JSON.
pub fn settings_json(spec: &RunSpec) -> (&'static str, Value) {
    match spec {
        RunSpec::TwoLayer(c) => ("two_layer", two_layer_settings(c)),
        RunSpec::Saddle(c, preset) => {
            let mut v = saddle_settings(c);
            if let Some((constants, knobs)) = preset {
                v["optimizer"]["preset"] = json!({"name": "jin2017", "constants": constants, "computed": knobs});
            }
            ("saddle", v)
        }
    }
}

/// A two-layer run's settings as JSON.
pub fn two_layer_settings(c: &TwoLayerConfig) -> Value {
    let teacher = match &c.teacher {
        TeacherSpec::Gaussian { norm } => json!({"type": "gaussian", "norm": norm}),
        TeacherSpec::Orthogonal { scale, haar } => json!({"type": "orthogonal", "scale": scale, "haar": haar}),
        TeacherSpec::Identity { scale } => json!({"type": "identity", "scale": scale}),
        TeacherSpec::File(p) => json!({"type": "file", "path": p.display().to_string()}),
    };
    let init = match &c.init {
        InitSpec::Zero => json!({"type": "zero"}),
        InitSpec::Gaussian { norm } => json!({"type": "gaussian", "norm": norm}),
    };
    let mut optimizer = match &c.method {
        Method::Gd => json!({"type": "gd"}),
        Method::Sgd { batch } => json!({"type": "sgd", "batch": batch}),
        Method::Finite { batch, samples, test_samples } => {
            json!({"type": "finite", "batch": batch, "samples": samples, "test_samples": test_samples})
        }
    };
    optimizer["lr"] = json!(c.lr);
    optimizer["momentum"] = json!(c.momentum);
    json!({
        "model": c.model.name(), "d": c.d, "teacher": teacher, "init": init, "optimizer": optimizer,
        "steps": c.steps, "seed": c.seed, "log_every": c.log_every, "g_threshold": c.g_threshold,
    })
}

fn saddle_settings(c: &SaddleConfig) -> Value {
    let problem = match &c.problem {
        Problem::QuadraticQuartic => json!({"type": "quadratic_quartic"}),
        Problem::Chain { d, l, gamma, tau } => json!({"type": "chain", "d": d, "l": l, "gamma": gamma, "tau": tau}),
        Problem::TensorOne { d } => json!({"type": "tensor_one", "d": d}),
        Problem::TensorAll { d } => json!({"type": "tensor_all", "d": d}),
    };
    let start = match &c.start {
        Start::Point(p) => json!(p),
        Start::Saddle => json!("saddle"),
        Start::Random { scale } => json!({"random": scale}),
    };
    let optimizer = match &c.method {
        saddle::Method::Gd => json!({"type": "gd", "lr": c.lr}),
        saddle::Method::NoisyGd { sigma } => json!({"type": "noisy_gd", "lr": c.lr, "sigma": sigma}),
        saddle::Method::PerturbedGd { radius, g_thres, t_thres } => json!({
            "type": "perturbed_gd", "lr": c.lr, "radius": radius, "g_thres": g_thres, "t_thres": t_thres,
        }),
    };
    json!({
        "problem": problem, "start": start, "optimizer": optimizer, "steps": c.steps,
        "escape_below": c.escape_below.or(c.problem.default_escape_below()), "seed": c.seed, "log_every": c.log_every,
    })
}

/// Width of the summary's kind column.
const KIND: usize = 30;

/// One row of the summary: what the run was and what it found.
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryRow {
    /// The run's name.
    pub name: String,
    /// Model and method, or problem and method.
    pub kind: String,
    /// Steps run.
    pub steps: usize,
    /// The final loss (two-layer) or value (saddle).
    pub value: f64,
    /// The final distance to W* (two-layer runs).
    pub distance: Option<f64>,
    /// Phase markers, or the escape.
    pub markers: String,
    /// The curve the sparkline shows: the distance (two-layer) or the value (saddle).
    pub curve: Vec<f64>,
}

/// The summary's row for one run, or why it failed.
pub fn summary_row(o: &Outcome) -> Result<SummaryRow, String> {
    let name = o.run.name.clone();
    match (&o.run.spec, &o.result) {
        (_, Err(e)) => Err(format!("failed: {e}")),
        (RunSpec::TwoLayer(c), Ok(RunResult::TwoLayer(r))) => {
            let m = &r.markers;
            let f = &r.final_state;
            let wrong = m.last_wrong_step.map_or("never".into(), |s| s.to_string());
            let rate = m.phase2_rate.map_or("-".into(), |r| format!("{r:.3e}"));
            Ok(SummaryRow {
                name,
                kind: format!("{} {}", c.model.name(), method_name(&c.method)),
                steps: f.step,
                value: f.loss,
                distance: Some(f.distance),
                markers: format!(
                    "peak {:.4}@{} (start {:.4}), last wrong {wrong}, rate {rate}",
                    m.peak_distance, m.peak_step, m.start_distance
                ),
                curve: r.trace.iter().map(|t| t.distance).collect(),
            })
        }
        (RunSpec::Saddle(c, _), Ok(RunResult::Saddle(r))) => {
            let escape = r.markers.escape_step.map_or("never escaped".into(), |s| format!("escaped at step {s}"));
            let extra = match (&c.problem, r.markers.perturbations) {
                (Problem::Chain { .. }, _) => format!(", saddles passed at {:?}", r.markers.saddle_steps),
                (_, 0) => String::new(),
                (_, 1) => ", 1 perturbation".into(),
                (_, p) => format!(", {p} perturbations"),
            };
            Ok(SummaryRow {
                name,
                kind: format!("{} {}", c.problem.name(), saddle_method_name(&c.method)),
                steps: c.steps,
                value: r.value,
                distance: None,
                markers: format!("{escape}{extra}"),
                curve: r.trace.iter().map(|t| t.value).collect(),
            })
        }
        _ => Err("(mismatched result)".into()),
    }
}

/// The summary table printed after the runs.
pub fn summary(outcomes: &[Outcome]) -> String {
    let width = outcomes.iter().map(|o| o.run.name.chars().count()).max().unwrap_or(4).clamp(4, 40);
    let mut s = format!(
        "{:<width$}  {:<KIND$} {:>8}  {:>11}  {:>11}  {}\n",
        "run", "kind", "steps", "loss/value", "distance", "markers"
    );
    for o in outcomes {
        let name = &o.run.name;
        let _ = match summary_row(o) {
            Err(e) => writeln!(s, "{name:<width$}  {e}"),
            Ok(r) => writeln!(
                s,
                "{name:<width$}  {:<KIND$} {:>8}  {:>11.4e}  {:>11}  {}  {}",
                r.kind,
                r.steps,
                r.value,
                r.distance.map_or("-".into(), |d| format!("{d:.4e}")),
                r.markers,
                plot::sparkline(&r.curve, 24)
            ),
        };
    }
    s
}

fn method_name(m: &Method) -> String {
    match m {
        Method::Gd => "gd".into(),
        Method::Sgd { batch } => format!("sgd B={batch}"),
        Method::Finite { batch, samples, .. } => format!("finite {samples}/{batch}"),
    }
}

fn saddle_method_name(m: &saddle::Method) -> &'static str {
    match m {
        saddle::Method::Gd => "gd",
        saddle::Method::NoisyGd { .. } => "noisy_gd",
        saddle::Method::PerturbedGd { .. } => "perturbed_gd",
    }
}

/// A file name for a run: its name with anything but letters, digits, `-` and `_` replaced.
pub fn file_stem(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

/// The trace of one run as CSV text.
pub fn csv(result: &RunResult) -> String {
    let (header, rows): (&[&str], Vec<Vec<f64>>) = match result {
        RunResult::TwoLayer(r) => {
            (crate::sgd::TraceRow::COLUMNS, r.trace.iter().map(|t| t.values().to_vec()).collect())
        }
        RunResult::Saddle(r) => (saddle::SaddleRow::COLUMNS, r.trace.iter().map(|t| t.values().to_vec()).collect()),
    };
    let mut s = header.join(",");
    s.push('\n');
    for row in rows {
        let cells: Vec<String> = row.iter().map(|v| if v.is_nan() { String::new() } else { v.to_string() }).collect();
        s.push_str(&cells.join(","));
        s.push('\n');
    }
    s
}

/// Writes one CSV trace per successful run into `dir`; returns the files written.
pub fn write_csv(dir: &Path, outcomes: &[Outcome]) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut files = Vec::new();
    for o in outcomes {
        if let Ok(result) = &o.result {
            let path = dir.join(format!("{}.csv", file_stem(&o.run.name)));
            std::fs::write(&path, csv(result))?;
            files.push(path);
        }
    }
    Ok(files)
}

/// The chart of one run: stacked panels for two-layer runs, a contour plot with the
/// trajectory for 2-D saddles, value over steps otherwise.
pub fn svg(o: &Outcome) -> Result<Option<String>, plot::PlotError> {
    let title = &o.run.name;
    match (&o.run.spec, &o.result) {
        (RunSpec::TwoLayer(_), Ok(RunResult::TwoLayer(r))) => {
            plot::panels_svg(title, "step", &two_layer_panels(r), 900).map(Some)
        }
        (RunSpec::Saddle(c, _), Ok(RunResult::Saddle(r))) => saddle_svg(title, c, r).map(Some),
        _ => Ok(None),
    }
}

/// The curves of one run over its steps, as panels (what the SVG chart of a
/// two-layer run stacks, and what a terminal shows as sparklines).
pub fn panels(o: &Outcome) -> Option<Vec<Panel>> {
    match &o.result {
        Ok(RunResult::TwoLayer(r)) => Some(two_layer_panels(r)),
        Ok(RunResult::Saddle(r)) => Some(saddle_panels(r)),
        Err(_) => None,
    }
}

/// One run's curves as sparklines, `width` characters each, under its name.
pub fn sketch(o: &Outcome, width: usize) -> Option<String> {
    panels(o).map(|p| plot::panels_text(&o.run.name, &p, width))
}

fn line(name: &str, pts: impl Iterator<Item = (usize, f64)>) -> Series {
    Series::line(name, pts.map(|(s, v)| (s as f64, v)).collect())
}

fn two_layer_panels(r: &TwoLayerRun) -> Vec<Panel> {
    let m = &r.markers;
    let end = r.trace.last().map_or(1.0, |t| t.step as f64);
    let bands = vec![
        Band { from: 0.0, to: m.phase2_start as f64, label: "Phase I".into() },
        Band { from: m.phase2_start as f64, to: end, label: "Phase II".into() },
    ];
    let t = &r.trace;
    let panel = |title: &str, series: Vec<Series>, rule: Option<f64>| Panel {
        title: title.into(),
        series,
        bands: bands.clone(),
        rule,
    };
    let mut loss = vec![line("population", t.iter().map(|t| (t.step, t.loss.max(1e-300).log10())))];
    if t.iter().any(|t| t.batch_loss != t.loss) {
        loss.push(line("batch", t.iter().map(|t| (t.step, t.batch_loss.max(1e-300).log10()))));
    }
    if t.iter().any(|t| t.test_loss.is_some()) {
        loss.push(line("test", t.iter().filter_map(|t| t.test_loss.map(|v| (t.step, v.max(1e-300).log10())))));
    }
    vec![
        panel("||W - W*||_F", vec![line("distance", t.iter().map(|t| (t.step, t.distance)))], None),
        panel("log10 loss", loss, None),
        panel("g(W)", vec![line("g", t.iter().map(|t| (t.step, t.g)))], Some(0.0)),
        panel("cos(-grad L, W* - W)", vec![line("cosine", t.iter().map(|t| (t.step, t.cosine)))], Some(0.0)),
    ]
}

fn saddle_svg(title: &str, c: &SaddleConfig, r: &SaddleRun) -> Result<String, plot::PlotError> {
    let traj = Series::line("trajectory", r.trace.iter().map(|t| (t.x, t.y)).collect());
    match contour(title, &c.problem, &[traj]) {
        Some(svg) => svg,
        None => plot::panels_svg(title, "step", &saddle_panels(r), 900),
    }
}

/// The trajectories over a contour plot of `problem`, if it is 2-D without random parts.
fn contour(title: &str, problem: &Problem, trajectories: &[Series]) -> Option<Result<String, plot::PlotError>> {
    if problem.dim() != 2 || saddle::value(problem, &[0.0, 0.0]).is_none() {
        return None;
    }
    let all = || trajectories.iter().flat_map(|t| t.points.iter());
    let (x0, x1) = plot_box(all().map(|p| p.0), 1.2);
    let (y0, y1) = plot_box(all().map(|p| p.1), 2.0);
    let f = |x: f64, y: f64| saddle::value(problem, &[x, y]).unwrap_or(f64::NAN);
    Some(plot::contour_svg(title, &f, (x0, x1), (y0, y1), 12, trajectories))
}

fn saddle_panels(r: &SaddleRun) -> Vec<Panel> {
    let value = line("f", r.trace.iter().map(|t| (t.step, t.value)));
    let grad = line("log10 ||grad f||", r.trace.iter().map(|t| (t.step, t.grad_norm.max(1e-300).log10())));
    let bands: Vec<Band> = escape_bands(r);
    vec![
        Panel { title: "f".into(), series: vec![value], bands: bands.clone(), rule: None },
        Panel { title: "log10 ||grad f||".into(), series: vec![grad], bands, rule: None },
    ]
}

/// Shaded intervals: before escape, and one per saddle of a chain.
fn escape_bands(r: &SaddleRun) -> Vec<Band> {
    let mut edges = vec![0usize];
    edges.extend(&r.markers.saddle_steps);
    if edges.len() == 1 {
        edges.extend(r.markers.escape_step);
    }
    edges
        .windows(2)
        .enumerate()
        .map(|(i, w)| Band { from: w[0] as f64, to: w[1] as f64, label: format!("saddle {}", i + 1) })
        .collect()
}

/// A symmetric box holding the points and at least [-min, min].
fn plot_box(values: impl Iterator<Item = f64>, min: f64) -> (f64, f64) {
    let m = values.filter(|v| v.is_finite()).fold(min, |m, v| m.max(v.abs() * 1.1));
    (-m, m)
}

/// The trajectories of every 2-D saddle run on `problem` over one contour plot, when
/// there are at least two.
pub fn overlay_svg(problem: &Problem, outcomes: &[Outcome]) -> Result<Option<String>, plot::PlotError> {
    let trajectories: Vec<Series> = outcomes
        .iter()
        .filter_map(|o| match (&o.run.spec, &o.result) {
            (RunSpec::Saddle(c, _), Ok(RunResult::Saddle(r))) if &c.problem == problem => {
                Some(Series::line(o.run.name.clone(), r.trace.iter().map(|t| (t.x, t.y)).collect()))
            }
            _ => None,
        })
        .collect();
    if trajectories.len() < 2 {
        return Ok(None);
    }
    contour(problem.name(), problem, &trajectories).transpose()
}

/// Writes one SVG per successful run into `dir`, plus one overlay per 2-D problem
/// shared by several runs (named after the problem); returns the files written.
pub fn write_svg(dir: &Path, outcomes: &[Outcome]) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut files = Vec::new();
    let mut write = |stem: &str, text: String| -> Result<(), String> {
        let path = dir.join(format!("{stem}.svg"));
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        files.push(path);
        Ok(())
    };
    let mut problems: Vec<&Problem> = Vec::new();
    for o in outcomes {
        if let Some(text) = svg(o).map_err(|e| e.to_string())? {
            write(&file_stem(&o.run.name), text)?;
        }
        if let RunSpec::Saddle(c, _) = &o.run.spec {
            if !problems.contains(&&c.problem) {
                problems.push(&c.problem);
            }
        }
    }
    for problem in problems {
        if let Some(text) = overlay_svg(problem, outcomes).map_err(|e| e.to_string())? {
            write(problem.name(), text)?;
        }
    }
    Ok(files)
}
