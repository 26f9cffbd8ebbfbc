//! The session's commands, in one table from which help and completion are made.

use std::fmt::Write as _;
use std::path::Path;

use super::output::{Outputs, Table, HTML, SVG};
use super::plots;
use super::{Args, Session, SessionError, Until};
use crate::harmonica::{Event, Phase, StageReport, Trial};
use crate::report;
use crate::space::ParamValue;
use crate::study::diagnostics::did_you_mean;
use crate::study::{Diagnostic, OptimizerSpec};

/// A command: its name, how to call it, what it does, and its handler.
pub struct Command {
    /// The word that starts it.
    pub name: &'static str,
    /// Its arguments, for help.
    pub usage: &'static str,
    /// One line of help.
    pub help: &'static str,
    /// The handler.
    pub run: fn(&mut Session, &Args) -> Result<Outputs, SessionError>,
}

/// Every command.
pub static COMMANDS: &[Command] = &[
    Command { name: "load", usage: "FILE", help: "load a study file (.study or .yaml)", run: load },
    Command { name: "step", usage: "[N]", help: "run the next N Harmonica stages (default 1)", run: step },
    Command { name: "run", usage: "", help: "run every remaining stage, then the base algorithm", run },
    Command { name: "base", usage: "", help: "skip the remaining stages and run the base algorithm", run: base },
    Command {
        name: "report",
        usage: "[STAGE]",
        help: "show what a stage learned (default: the last)",
        run: report_cmd,
    },
    Command { name: "terms", usage: "[STAGE]", help: "the recovered terms of a stage, largest first", run: terms },
    Command { name: "fixed", usage: "", help: "the parameters fixed so far", run: fixed },
    Command {
        name: "trials",
        usage: "[stage N | base | failed | ok] [sort value|id] [top K]",
        help: "list trials, filtered and sorted",
        run: trials,
    },
    Command { name: "best", usage: "", help: "the best trial so far", run: best },
    Command { name: "space", usage: "", help: "the parameters and their bit layout", run: space },
    Command { name: "fix", usage: "NAME = VALUE", help: "fix a parameter by hand for the next stages", run: fix },
    Command { name: "unfix", usage: "NAME", help: "free a fixed parameter again", run: unfix },
    Command { name: "undo", usage: "", help: "forget the last stage (its trials and what it fixed)", run: undo },
    Command {
        name: "set",
        usage: "KEY = VALUE",
        help: "change a Harmonica setting (samples, degree, terms, alpha, keep) for the next stages",
        run: set,
    },
    Command { name: "export", usage: "FILE", help: "write the trials to FILE (.csv or .json)", run: export },
    Command {
        name: "experiment",
        usage: "[FILE]",
        help: "run the SGD experiment (the session's, or FILE's): summary, sparklines, SVG charts",
        run: super::experiment::run,
    },
    Command {
        name: "plot",
        usage: "convergence | values | RUN",
        help: "chart the best value so far, every trial's value, or an experiment run's curves, as SVG",
        run: plot,
    },
    Command {
        name: "save",
        usage: "plot FILE | experiment DIR",
        help: "write the last chart to FILE (.svg), or every experiment chart and trace into DIR",
        run: save,
    },
    Command { name: "print", usage: "TEXT", help: "write TEXT to standard output", run: print },
    Command { name: "warn", usage: "TEXT", help: "write TEXT to standard error as a warning", run: warn },
    Command { name: "history", usage: "", help: "the inputs run so far", run: history },
    Command { name: "help", usage: "[COMMAND]", help: "this list, or one command's help", run: help },
];

/// Words of the study language a session accepts as statements.
pub const STATEMENTS: &[&str] = &["study", "seed", "space", "objective", "optimizer", "execution", "experiment"];

/// The command named `name`.
pub fn find(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.name == name)
}

fn err(s: &Session, a: &Args, message: impl Into<String>, span: crate::study::Span) -> SessionError {
    SessionError { file: s.label(), source: a.code.to_owned(), diagnostic: Diagnostic::new(message, span) }
}

fn no_args(s: &Session, a: &Args, name: &str) -> Result<(), SessionError> {
    if a.text.is_empty() {
        Ok(())
    } else {
        Err(err(s, a, format!("`{name}` takes no arguments"), a.span()))
    }
}

fn number<T: std::str::FromStr>(s: &Session, a: &Args, word: &str, what: &str) -> Result<T, SessionError> {
    word.parse().map_err(|_| err(s, a, format!("expected {what}, found `{word}`"), a.span_of(word)))
}

fn load(s: &mut Session, a: &Args) -> Result<Outputs, SessionError> {
    if a.text.is_empty() {
        return Err(err(s, a, "`load` needs a file name", a.span()));
    }
    s.load(Path::new(a.text.trim_matches('"')))
}

fn step(s: &mut Session, a: &Args) -> Result<Outputs, SessionError> {
    let k = if a.text.is_empty() { 1 } else { number::<usize>(s, a, a.text, "a number of stages")? };
    stepping(s, Until::Stages(k))
}

fn run(s: &mut Session, a: &Args) -> Result<Outputs, SessionError> {
    no_args(s, a, "run")?;
    stepping(s, Until::End)
}

fn base(s: &mut Session, a: &Args) -> Result<Outputs, SessionError> {
    no_args(s, a, "base")?;
    let skip = s.engine_mut()?.skip_stages();
    skip.map_err(|e| s.fail(e.to_string()))?;
    stepping(s, Until::End)
}

fn stepping(s: &mut Session, until: Until) -> Result<Outputs, SessionError> {
    let (events, interrupted) = s.drive(until)?;
    let prepared = s.prepared()?;
    let mut out = Outputs::empty();
    let mut rungs = 0;
    for e in &events {
        match e {
            Event::Stage(r) => out = out.then(stage_outputs(s, r)),
            Event::Rung(_) => rungs += 1,
            Event::Done => {}
        }
    }
    if rungs > 0 {
        let evals: usize = s
            .engine
            .as_ref()
            .map_or(0, |e| e.trials().iter().filter(|t| matches!(t.phase, Phase::Base { .. })).count());
        let plural = if rungs == 1 { "" } else { "s" };
        out = out.then(Outputs::text(format!("base algorithm: {rungs} rung{plural}, {evals} evaluations")));
    }
    if interrupted {
        return Ok(out.then(Outputs::text("interrupted: finished trials are kept; `step` or `run` resumes the batch")));
    }
    if events.is_empty() {
        let why = match s.engine.as_ref().and_then(|e| e.phase()) {
            None => "nothing left to run: every stage and the base algorithm are done",
            Some(Phase::Base { .. }) => "every stage is done: `base` or `run` runs the base algorithm",
            Some(Phase::Stage(_)) => "nothing ran",
        };
        return Ok(out.then(Outputs::text(why)));
    }
    let _ = prepared;
    Ok(out.then(best_line(s)))
}

fn best_line(s: &Session) -> Outputs {
    match (s.engine.as_ref().and_then(|e| e.best()), &s.prepared) {
        (Some(t), Some(p)) => {
            let v = t.loss().map_or(f64::NAN, |l| p.value(l));
            Outputs::text(format!("best so far: {v:.4} (trial {})", t.request.id))
        }
        _ => Outputs::empty(),
    }
}

fn stage_outputs(s: &Session, r: &StageReport) -> Outputs {
    let Some(p) = &s.prepared else { return Outputs::empty() };
    let text = report::stage_text(&p.space, r);
    let html = format!(
        "<p><b>Stage {}</b>: {} samples, {} features over {} free bits, {} nonzero (alpha {})</p>{}",
        r.stage + 1,
        r.samples,
        r.features,
        r.free_bits,
        r.nonzeros,
        r.alpha,
        terms_html(s, r)
    );
    Outputs::text(text).with(HTML, html)
}

fn terms_table(s: &Session, r: &StageReport) -> Table {
    let mut t = Table::new(&["coef", "monomial"], &["coef"]);
    t.caption = Some(format!("stage {} terms", r.stage + 1));
    if let Some(p) = &s.prepared {
        for term in &r.terms {
            t.row(vec![format!("{:+.4}", term.coef), p.space.monomial_name(&term.bits)]);
        }
    }
    t
}

/// The terms as an HTML table with a bar per coefficient, its length |coef| / max
/// |coef| (blue when the term lowers the objective, orange when it raises it).
fn terms_html(s: &Session, r: &StageReport) -> String {
    let Some(p) = &s.prepared else { return String::new() };
    let max = r.terms.iter().map(|t| t.coef.abs()).fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    let mut html = format!(
        "<table><caption>stage {} terms</caption><thead><tr><th>coef</th><th></th><th>monomial</th></tr></thead><tbody>",
        r.stage + 1
    );
    for term in &r.terms {
        let width = (term.coef.abs() / max * 120.0).round();
        let color = if term.coef < 0.0 { "#1f77b4" } else { "#ff7f0e" };
        let _ = write!(
            html,
            "<tr><td style=\"text-align:right\">{:+.4}</td><td style=\"text-align:left\"><div style=\"width:{width}px;\
             height:0.8em;background:{color}\"></div></td><td style=\"text-align:left\">{}</td></tr>",
            term.coef,
            super::output::escape(&p.space.monomial_name(&term.bits))
        );
    }
    html.push_str("</tbody></table>");
    html
}

fn stage_report<'a>(s: &'a Session, a: &Args) -> Result<&'a StageReport, SessionError> {
    let reports = s.engine.as_ref().map_or(&[][..], |e| e.reports());
    if reports.is_empty() {
        return Err(s.fail("no stage has run yet: `step` runs one"));
    }
    if a.text.is_empty() {
        return reports.last().ok_or_else(|| s.fail("no stage has run yet"));
    }
    let k: usize = number(s, a, a.text, "a stage number")?;
    reports
        .get(k.wrapping_sub(1))
        .ok_or_else(|| err(s, a, format!("stage {k} has not run (stages run: {})", reports.len()), a.span()))
}

fn report_cmd(s: &mut Session, a: &Args) -> Result<Outputs, SessionError> {
    let r = stage_report(s, a)?;
    Ok(stage_outputs(s, r))
}

fn terms(s: &mut Session, a: &Args) -> Result<Outputs, SessionError> {
    let r = stage_report(s, a)?;
    if r.terms.is_empty() {
        return Ok(Outputs::text(format!("stage {} learned nothing: the Lasso kept no term", r.stage + 1)));
    }
    Ok(Outputs::text(terms_table(s, r).text()).with(HTML, terms_html(s, r)))
}

fn fixed(s: &mut Session, a: &Args) -> Result<Outputs, SessionError> {
    no_args(s, a, "fixed")?;
    let p = s.prepared()?;
    let bits = s.engine.as_ref().map(|e| e.fixed_bits()).unwrap_or_default();
    if bits.is_empty() {
        return Ok(Outputs::text("nothing is fixed yet"));
    }
    let mut t = Table::new(&["parameter", "value"], &[]);
    for (k, v) in report::fixed_named(&p.space, &bits) {
        t.row(vec![k, v.to_string()]);
    }
    Ok(t.outputs())
}

type TrialFilter = Box<dyn Fn(&Trial) -> bool>;

struct TrialQuery {
    filter: Option<TrialFilter>,
    by_value: bool,
    top: Option<usize>,
}

fn parse_query(s: &Session, a: &Args) -> Result<TrialQuery, SessionError> {
    let mut q = TrialQuery { filter: None, by_value: false, top: None };
    let words: Vec<&str> = a.text.split_whitespace().collect();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        let next = words.get(i + 1).copied();
        match (w, next) {
            ("stage", Some(n)) => {
                let k: usize = number(s, a, n, "a stage number")?;
                q.filter = Some(Box::new(move |t: &Trial| t.phase == Phase::Stage(k.wrapping_sub(1))));
                i += 1;
            }
            ("base", _) => q.filter = Some(Box::new(|t: &Trial| matches!(t.phase, Phase::Base { .. }))),
            ("failed", _) => q.filter = Some(Box::new(|t: &Trial| t.loss().is_none())),
            ("ok", _) => q.filter = Some(Box::new(|t: &Trial| t.loss().is_some())),
            ("sort", Some("value")) => {
                q.by_value = true;
                i += 1;
            }
            ("sort", Some("id")) => {
                q.by_value = false;
                i += 1;
            }
            ("top", Some(n)) => {
                q.top = Some(number(s, a, n, "a count")?);
                q.by_value = true;
                i += 1;
            }
            _ => {
                let words = ["stage", "base", "failed", "ok", "sort", "top"];
                let mut d = Diagnostic::new(format!("unexpected `{w}` in a trials query"), a.span_of(w));
                d.help = did_you_mean(w, words)
                    .or_else(|| Some("usage: trials [stage N | base | failed | ok] [sort value|id] [top K]".into()));
                return Err(SessionError { file: s.label(), source: a.code.to_owned(), diagnostic: d });
            }
        }
        i += 1;
    }
    Ok(q)
}

fn trials(s: &mut Session, a: &Args) -> Result<Outputs, SessionError> {
    let q = parse_query(s, a)?;
    let p = s.prepared()?;
    let all = s.engine.as_ref().map_or(&[][..], |e| e.trials());
    let mut list: Vec<&Trial> =
        all.iter().filter(|t| t.outcome.is_some() && q.filter.as_ref().is_none_or(|f| f(t))).collect();
    if q.by_value {
        list.sort_by(|x, y| {
            let (lx, ly) = (x.loss().unwrap_or(f64::INFINITY), y.loss().unwrap_or(f64::INFINITY));
            lx.total_cmp(&ly).then(x.request.id.cmp(&y.request.id))
        });
    }
    let total = list.len();
    if let Some(k) = q.top {
        list.truncate(k);
    }
    let mut t = Table::new(&["trial", "phase", "budget", "value", "params"], &["trial", "budget", "value"]);
    t.caption = Some(format!("{} of {total} trials", list.len()));
    for trial in list {
        let config = p.space.decode(&trial.request.bits);
        let params: Vec<String> = p.space.named(&config).map(|(k, v)| format!("{k}={v}")).collect();
        let shown = if params.len() > 6 { format!("{} ...", params[..6].join(" ")) } else { params.join(" ") };
        let value = match &trial.outcome {
            Some(crate::harmonica::Outcome::Value(l)) => format!("{:.4}", p.value(*l)),
            Some(crate::harmonica::Outcome::Failed(why)) => format!("failed: {why}"),
            None => "-".into(),
        };
        t.row(vec![
            trial.request.id.to_string(),
            report::phase_label(trial.phase),
            trial.request.budget.map_or("-".into(), |b| format!("{b}")),
            value,
            shown,
        ]);
    }
    Ok(t.outputs())
}

fn best(s: &mut Session, a: &Args) -> Result<Outputs, SessionError> {
    no_args(s, a, "best")?;
    let p = s.prepared()?;
    let Some(t) = s.engine.as_ref().and_then(|e| e.best()) else {
        return Ok(Outputs::text("no successful trial yet"));
    };
    let value = t.loss().map_or(f64::NAN, |l| p.value(l));
    let config = p.space.decode(&t.request.bits);
    let mut table = Table::new(&["parameter", "value"], &[]);
    table.caption = Some(format!("best: {value:.4} at trial {}", t.request.id));
    for (k, v) in p.space.named(&config) {
        table.row(vec![k.to_owned(), v.to_string()]);
    }
    let mut text = table.text();
    if let Some(clean) = p.objective.noise_free(&t.request.bits) {
        let _ = writeln!(text, "noise-free value: {clean:.3}");
    }
    Ok(Outputs::text(text).with(HTML, table.html()))
}

fn space(s: &mut Session, a: &Args) -> Result<Outputs, SessionError> {
    no_args(s, a, "space")?;
    let p = s.prepared()?;
    let fixed = s.engine.as_ref().map(|e| e.fixed_bits()).unwrap_or_default();
    let mut t = Table::new(&["parameter", "domain", "bits", "when", "fixed"], &[]);
    t.caption = Some(format!("{} parameters, {} bits", p.space.params().len(), p.space.n_bits()));
    for (i, param) in p.space.params().iter().enumerate() {
        let range = bit_range(p.space.bits_of(i));
        let when = param.when.as_ref().map_or(String::new(), |c| format!("{} = {}", c.param, c.value));
        let fix = p.space.value_from_bits(i, &fixed).map_or(String::new(), |v| v.to_string());
        t.row(vec![param.name.clone(), param.domain.to_string(), range, when, fix]);
    }
    if p.space.dummy() > 0 {
        let start = p.space.n_bits() - p.space.dummy();
        t.row(vec![
            "dummy".into(),
            p.space.dummy().to_string(),
            format!("{start}..{}", p.space.n_bits() - 1),
            String::new(),
            String::new(),
        ]);
    }
    Ok(t.outputs())
}

fn parse_value(text: &str) -> ParamValue {
    let t = text.trim();
    match t {
        "true" => ParamValue::Bool(true),
        "false" => ParamValue::Bool(false),
        _ => t
            .parse::<i64>()
            .map(ParamValue::Int)
            .or_else(|_| t.parse::<f64>().map(ParamValue::Float))
            .unwrap_or_else(|_| ParamValue::Str(t.trim_matches('"').to_owned())),
    }
}

fn param_index(s: &Session, a: &Args, name: &str) -> Result<usize, SessionError> {
    let p = s.prepared()?;
    p.space.find(name).ok_or_else(|| {
        let mut d = Diagnostic::new(format!("no parameter named `{name}`"), a.span_of(name));
        d.help = did_you_mean(name, p.space.params().iter().map(|q| q.name.as_str()));
        SessionError { file: s.label(), source: a.code.to_owned(), diagnostic: d }
    })
}

fn fix(s: &mut Session, a: &Args) -> Result<Outputs, SessionError> {
    let Some((name, value)) = a.text.split_once('=') else {
        return Err(err(s, a, "expected `fix NAME = VALUE`", a.span()));
    };
    let name = name.trim();
    let p_index = param_index(s, a, name)?;
    let p = s.prepared()?;
    let param = &p.space.params()[p_index];
    let v = parse_value(value);
    let Some(level) = param.domain.index_of(&v) else {
        let vt = value.trim();
        return Err(err(s, a, format!("`{name}` ({}) never takes the value {v}", param.domain), a.span_of(vt)));
    };
    let bits: Vec<(usize, i8)> =
        p.space.bits_of(p_index).enumerate().map(|(k, b)| (b, if level >> k & 1 == 1 { 1 } else { -1 })).collect();
    let shown = param.domain.level(level);
    let result = s.engine_mut()?.fix_bits(&bits);
    result.map_err(|e| s.fail(e.to_string()))?;
    Ok(Outputs::text(format!("fixed {name} = {shown} for the next stages")))
}

fn unfix(s: &mut Session, a: &Args) -> Result<Outputs, SessionError> {
    let name = a.text.trim();
    let p_index = param_index(s, a, name)?;
    let bits: Vec<usize> = s.prepared()?.space.bits_of(p_index).collect();
    let result = s.engine_mut()?.unfix_bits(&bits);
    result.map_err(|e| s.fail(e.to_string()))?;
    Ok(Outputs::text(format!("{name} is free again")))
}

fn undo(s: &mut Session, a: &Args) -> Result<Outputs, SessionError> {
    no_args(s, a, "undo")?;
    match s.undo.pop() {
        Some(engine) => {
            let stage = engine.stages_done() + 1;
            s.engine = Some(engine);
            Ok(Outputs::text(format!("stage {stage} undone; `step` runs it again")))
        }
        None => Err(s.fail("nothing to undo: no stage has run")),
    }
}

fn set(s: &mut Session, a: &Args) -> Result<Outputs, SessionError> {
    let Some((key, value)) = a.text.split_once('=') else {
        return Err(err(s, a, "expected `set KEY = VALUE`", a.span()));
    };
    let (key, value) = (key.trim(), value.trim());
    let engine = s.engine_mut()?;
    let mut spec = engine.spec().clone();
    match key {
        "samples" => spec.samples = number(s, a, value, "a number of samples")?,
        "degree" => spec.degree = number(s, a, value, "a degree")?,
        "terms" => spec.terms = number(s, a, value, "a number of terms")?,
        "keep" => spec.keep = number(s, a, value, "a number of settings")?,
        "alpha" => spec.alpha = number(s, a, value, "a number")?,
        "stages" => spec.stages = number(s, a, value, "a number of stages")?,
        other => {
            let keys = ["samples", "degree", "terms", "keep", "alpha", "stages"];
            let mut d = Diagnostic::new(format!("`{other}` cannot be set here"), a.span_of(other));
            d.help = did_you_mean(other, keys).or_else(|| Some(format!("settable: {}", keys.join(", "))));
            return Err(SessionError { file: s.label(), source: a.code.to_owned(), diagnostic: d });
        }
    }
    if spec.samples == 0
        || spec.degree == 0
        || spec.terms == 0
        || spec.keep == 0
        || spec.alpha.is_nan()
        || spec.alpha <= 0.0
    {
        return Err(err(s, a, format!("`{key}` must be positive, found `{value}`"), a.span_of(value)));
    }
    if let OptimizerSpec::Harmonica(h) = &mut s.study.optimizer {
        *h = spec.clone();
    }
    let result = s.engine_mut()?.set_spec(spec);
    result.map_err(|e| s.fail(e.to_string()))?;
    Ok(Outputs::text(format!("{key} = {value} from the next stage on")))
}

fn export(s: &mut Session, a: &Args) -> Result<Outputs, SessionError> {
    let file = a.text.trim_matches('"');
    if file.is_empty() {
        return Err(err(s, a, "`export` needs a file name (.csv or .json)", a.span()));
    }
    let p = s.prepared()?;
    let trials = s.engine.as_ref().map_or(&[][..], |e| e.trials());
    let done: Vec<&Trial> = trials.iter().filter(|t| t.outcome.is_some()).collect();
    let text = if file.ends_with(".json") {
        report::trials_json(p, &done).to_string()
    } else if file.ends_with(".csv") {
        report::trials_csv(p, &done)
    } else {
        return Err(err(s, a, "the file must end in .csv or .json", a.span_of(a.text)));
    };
    let path = s.cwd.join(file);
    std::fs::write(&path, text).map_err(|e| s.fail(format!("cannot write {}: {e}", path.display())))?;
    Ok(Outputs::text(format!("wrote {} trials to {file}", done.len())))
}

fn plot(s: &mut Session, a: &Args) -> Result<Outputs, SessionError> {
    let name = a.text.trim_matches('"');
    if super::experiment::find(s, name).is_some() {
        return super::experiment::plot(s, name);
    }
    let Some(kind) = plots::Kind::named(name) else {
        let names: Vec<&str> =
            plots::Kind::ALL.iter().map(|(n, _)| *n).chain(super::experiment::run_names(s)).collect();
        let mut d = Diagnostic::new(format!("no plot named `{name}`"), a.span());
        d.help = did_you_mean(name, names.iter().copied()).or_else(|| Some(format!("plots: {}", names.join(", "))));
        return Err(SessionError { file: s.label(), source: a.code.to_owned(), diagnostic: d });
    };
    let p = s.prepared()?;
    let trials = s.engine.as_ref().map_or(&[][..], |e| e.trials());
    let values: Vec<Option<f64>> =
        trials.iter().filter(|t| t.outcome.is_some()).map(|t| t.loss().map(|l| p.value(l))).collect();
    let trials = plots::Trials { values: &values, minimize: p.loss(1.0) > 0.0, study: &p.study.name };
    let svg = plots::svg(kind, &trials).map_err(|e| s.fail(e))?;
    let text = plots::text(kind, &trials).map_err(|e| s.fail(e))?;
    s.last_plot = Some(svg.clone());
    Ok(Outputs::text(text).with(SVG, svg))
}

fn save(s: &mut Session, a: &Args) -> Result<Outputs, SessionError> {
    let (what, rest) = a.text.split_once(char::is_whitespace).unwrap_or((a.text, ""));
    let file = rest.trim().trim_matches('"');
    match what {
        "plot" if !file.is_empty() => {
            let Some(svg) = &s.last_plot else {
                return Err(s.fail("nothing to save: `plot convergence` draws a plot first"));
            };
            let path = s.cwd.join(file);
            std::fs::write(&path, svg).map_err(|e| s.fail(format!("cannot write {}: {e}", path.display())))?;
            Ok(Outputs::text(format!("wrote the plot to {file}")))
        }
        "experiment" if !file.is_empty() => super::experiment::save(s, file),
        _ => Err(err(s, a, "expected `save plot FILE` or `save experiment DIR`", a.span())),
    }
}

/// The text of `print` and `warn`: one string, quoted or not, ending in a newline.
fn line_of(a: &Args) -> String {
    let t = a.text;
    let t = t.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(t);
    format!("{}\n", t.replace("\\n", "\n"))
}

fn print(_: &mut Session, a: &Args) -> Result<Outputs, SessionError> {
    Ok(Outputs::empty().with_stdout(line_of(a)))
}

fn warn(_: &mut Session, a: &Args) -> Result<Outputs, SessionError> {
    Ok(Outputs::empty().with_stderr(format!("warning: {}", line_of(a))))
}

fn history(s: &mut Session, a: &Args) -> Result<Outputs, SessionError> {
    no_args(s, a, "history")?;
    let mut text = String::new();
    for h in &s.history {
        let _ = writeln!(text, "{:>4}  {}", h.count, h.input.replace('\n', "\n      "));
    }
    Ok(Outputs::text(text))
}

fn help(s: &mut Session, a: &Args) -> Result<Outputs, SessionError> {
    if !a.text.is_empty() {
        return match find(a.text) {
            Some(c) => Ok(Outputs::text(format!("{} {}\n  {}\n", c.name, c.usage, c.help))),
            None => {
                let mut d = Diagnostic::new(format!("no command named `{}`", a.text), a.span());
                d.help = did_you_mean(a.text, COMMANDS.iter().map(|c| c.name));
                Err(SessionError { file: s.label(), source: a.code.to_owned(), diagnostic: d })
            }
        };
    }
    let mut t = Table::new(&["command", "arguments", "what it does"], &[]);
    for c in COMMANDS {
        t.row(vec![c.name.into(), c.usage.into(), c.help.into()]);
    }
    let mut out = t.text();
    out.push_str("\nAnything else is the study language: `space`, `objective`, `optimizer`, `execution`,\n`experiment`, `study` and `seed` sections replace the current ones.\n");
    Ok(Outputs::text(out).with(HTML, t.html()))
}

/// Completions for the word before `cursor`.
pub fn complete(s: &Session, code: &str, cursor: usize) -> (usize, Vec<String>) {
    let before = &code[..cursor];
    let start = before.rfind(|c: char| c.is_whitespace() || c == '=' || c == '{' || c == ',').map_or(0, |i| i + 1);
    let word = &before[start..];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let head: Vec<&str> = before[line_start..start].split_whitespace().collect();
    let params = || {
        s.prepared
            .as_ref()
            .map(|p| p.space.params().iter().map(|q| q.name.clone()).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let candidates: Vec<String> = match head.first().copied() {
        None => COMMANDS.iter().map(|c| c.name.to_owned()).chain(STATEMENTS.iter().map(|w| (*w).to_owned())).collect(),
        Some("fix" | "unfix") if head.len() == 1 => params(),
        Some("load" | "export" | "experiment") => return (start, paths(word)),
        Some("help") => COMMANDS.iter().map(|c| c.name.to_owned()).collect(),
        Some("plot") => {
            plots::Kind::ALL.iter().map(|(n, _)| *n).chain(super::experiment::run_names(s)).map(str::to_owned).collect()
        }
        Some("save") if head.len() == 1 => vec!["experiment".to_owned(), "plot".to_owned()],
        Some("save") => return (start, paths(word)),
        Some("trials") => {
            ["stage", "base", "failed", "ok", "sort", "top", "value", "id"].iter().map(|w| (*w).to_owned()).collect()
        }
        Some("set") => {
            ["samples", "degree", "terms", "alpha", "keep", "stages"].iter().map(|w| (*w).to_owned()).collect()
        }
        _ => params(),
    };
    let mut out: Vec<String> = candidates.into_iter().filter(|c| c.starts_with(word)).collect();
    out.sort();
    out.dedup();
    (start, out)
}

fn paths(word: &str) -> Vec<String> {
    let (dir, prefix) = match word.rfind('/') {
        Some(i) => (&word[..=i], &word[i + 1..]),
        None => ("", word),
    };
    let read = std::fs::read_dir(if dir.is_empty() { "." } else { dir });
    let mut out: Vec<String> = read
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let slash = if e.file_type().is_ok_and(|t| t.is_dir()) { "/" } else { "" };
            (name.starts_with(prefix) && !name.starts_with('.')).then(|| format!("{dir}{name}{slash}"))
        })
        .collect();
    out.sort();
    out
}

/// Help for the word under `cursor`.
pub fn inspect(s: &Session, code: &str, cursor: usize) -> Option<String> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let start = code[..cursor].rfind(|c: char| !is_word(c)).map_or(0, |i| i + 1);
    let end = code[cursor..].find(|c: char| !is_word(c)).map_or(code.len(), |i| cursor + i);
    let word = &code[start..end];
    if word.is_empty() {
        return None;
    }
    if let Some(c) = find(word) {
        return Some(format!("{} {}\n  {}", c.name, c.usage, c.help));
    }
    let p = s.prepared.as_ref()?;
    let i = p.space.find(word)?;
    let param = &p.space.params()[i];
    let mut text = format!("{}: {}\n  {}", param.name, param.domain, bit_range(p.space.bits_of(i)));
    if let Some(c) = &param.when {
        let _ = write!(text, "\n  active when {} = {}", c.param, c.value);
    }
    Some(text)
}

/// `bit 3`, `bits 4..6` or `no bits`.
fn bit_range(bits: std::ops::Range<usize>) -> String {
    match bits.len() {
        0 => "no bits".to_owned(),
        1 => format!("bit {}", bits.start),
        _ => format!("bits {}..{}", bits.start, bits.end - 1),
    }
}
