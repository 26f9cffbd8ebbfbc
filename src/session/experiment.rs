//! SGD-lab experiments in a session: run the `experiment` block (the session's or
//! a study file's), show the summary as a table, each run's curves as sparklines
//! and as an SVG chart; plot one run again; save every chart and trace.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use super::output::{Outputs, Table, SVG};
use super::{Args, ProgressEvent, Session, SessionError};
use crate::experiment::{self, Outcome};
use crate::study::{self, Study};

/// Width of the sparklines of a run's curves.
const SPARK_WIDTH: usize = 40;

/// `experiment [FILE]`: runs the session's experiment, or a study file's.
pub fn run(s: &mut Session, a: &Args) -> Result<Outputs, SessionError> {
    let file = a.text.trim_matches('"');
    let study = if file.is_empty() { s.study.clone() } else { load(s, Path::new(file))? };
    if study.experiment.is_empty() {
        let why = if file.is_empty() {
            "no experiment yet: define one (`experiment: [two_layer { ... }]`) or run a file's (`experiment FILE`)"
        } else {
            "the study has no `experiment` block"
        };
        return Err(s.fail(why));
    }
    let started = Instant::now();
    let outcomes = run_with_progress(s, &study)?;
    let seconds = started.elapsed().as_secs_f64();
    let n = outcomes.len();
    let plural = if n == 1 { "" } else { "s" };
    let head = format!("ran the experiment of {}: {n} run{plural} in {seconds:.2} s\n", study.name);
    let mut out = Outputs::text(format!("{head}{}", experiment::summary(&outcomes)))
        .with(super::output::HTML, format!("<p>{}</p>{}", super::output::escape(head.trim()), table(&outcomes).html()));
    for o in &outcomes {
        for w in o.warnings() {
            out = out.with_stderr(format!("warning: {}: {w}\n", o.run.name));
        }
        if let Some(chart) = chart(s, o)? {
            out = out.with_display(chart);
        }
    }
    s.last_plot = out.displays().last().and_then(|d| d.get(SVG)).map(str::to_owned);
    s.outcomes = outcomes;
    Ok(out)
}

/// Runs the experiment on the session's workers, reporting each finished run as
/// progress; an interrupt skips the runs not started yet.
fn run_with_progress(s: &Session, study: &Study) -> Result<Vec<Outcome>, SessionError> {
    let size = study.experiment.len();
    let notify = |e: ProgressEvent| {
        if let Some(p) = &s.progress {
            p(&e);
        }
    };
    notify(ProgressEvent::Batch { label: "experiment".into(), size, unit: "runs" });
    let done = AtomicUsize::new(0);
    let on_done = |_: &Outcome| notify(ProgressEvent::Trial { done: done.fetch_add(1, Ordering::SeqCst) + 1, size });
    let stop = || s.interrupt.load(Ordering::SeqCst);
    let outcomes = experiment::run_all_with(study, s.workers, &on_done, &stop).map_err(|e| s.fail(e));
    notify(ProgressEvent::BatchDone);
    outcomes
}

/// A study file's experiment (the session's study stays as it is).
fn load(s: &Session, file: &Path) -> Result<Study, SessionError> {
    let path = if file.is_absolute() { file.to_path_buf() } else { s.cwd.join(file) };
    study::load(&path).map_err(|e| SessionError { file: e.file, source: e.source, diagnostic: e.diagnostic })
}

/// The summary as a table (the HTML face of `experiment::summary`).
fn table(outcomes: &[Outcome]) -> Table {
    let mut t = Table::new(
        &["run", "kind", "steps", "loss/value", "distance", "markers"],
        &["steps", "loss/value", "distance"],
    );
    for o in outcomes {
        t.row(match experiment::summary_row(o) {
            Ok(r) => vec![
                r.name,
                r.kind,
                r.steps.to_string(),
                format!("{:.4e}", r.value),
                r.distance.map_or("-".into(), |d| format!("{d:.4e}")),
                r.markers,
            ],
            Err(e) => vec![o.run.name.clone(), String::new(), String::new(), String::new(), String::new(), e],
        });
    }
    t
}

/// One run's chart: its curves as sparklines, and as SVG.
fn chart(s: &Session, o: &Outcome) -> Result<Option<Outputs>, SessionError> {
    let (Some(text), Some(svg)) =
        (experiment::sketch(o, SPARK_WIDTH), experiment::svg(o).map_err(|e| s.fail(e.to_string()))?)
    else {
        return Ok(None);
    };
    Ok(Some(Outputs::text(text).with(SVG, svg)))
}

/// The run of the last experiment named `name`, if any.
pub fn find<'a>(s: &'a Session, name: &str) -> Option<&'a Outcome> {
    s.outcomes.iter().find(|o| o.run.name == name)
}

/// `plot RUN`: one run's chart again.
pub fn plot(s: &mut Session, name: &str) -> Result<Outputs, SessionError> {
    let chart = match find(s, name) {
        Some(o) => chart(s, o)?,
        None => None,
    };
    let Some(chart) = chart else {
        return Err(s.fail(format!("run `{name}` has no chart: it failed")));
    };
    s.last_plot = chart.get(SVG).map(str::to_owned);
    Ok(chart)
}

/// `save experiment DIR`: every run's SVG chart and CSV trace.
pub fn save(s: &mut Session, dir: &str) -> Result<Outputs, SessionError> {
    if s.outcomes.is_empty() {
        return Err(s.fail("nothing to save: `experiment` runs one first"));
    }
    let path = s.cwd.join(dir);
    let svgs = experiment::write_svg(&path, &s.outcomes).map_err(|e| s.fail(e))?;
    let csvs = experiment::write_csv(&path, &s.outcomes)
        .map_err(|e| s.fail(format!("cannot write into {}: {e}", path.display())))?;
    Ok(Outputs::text(format!("wrote {} charts (.svg) and {} traces (.csv) to {dir}", svgs.len(), csvs.len())))
}

/// Names of the last experiment's runs, for completion.
pub fn run_names(s: &Session) -> impl Iterator<Item = &str> {
    s.outcomes.iter().map(|o| o.run.name.as_str())
}
