//! The `experiment` block of a study and the `sgd` objective: the document tree ->
//! checked SGD-lab settings. Both study forms reach these readers through the tree,
//! so the block reads the same in YAML and in the study language.

use super::analyze::{non_negative, number, positive, unknown_kind};
use super::diagnostics::{did_you_mean, Diagnostic};
use super::doc::{Fields, Node, Value};
use crate::sgd::net::Model;
use crate::sgd::saddle::{self, Jin2017, JinKnobs, Problem, SaddleConfig, Start};
use crate::sgd::two_layer::{InitSpec, Method, TeacherSpec, TwoLayerConfig};

/// One run of an experiment.
#[derive(Clone, Debug, PartialEq)]
pub struct ExperimentRun {
    /// The run's name (unique in the study).
    pub name: String,
    /// What it runs.
    pub spec: RunSpec,
}

/// The kinds of run.
#[derive(Clone, Debug, PartialEq)]
pub enum RunSpec {
    /// A two-layer ReLU net trained against a teacher.
    TwoLayer(TwoLayerConfig),
    /// A saddle-point problem; `preset` holds the knobs computed from Jin et al.'s constants.
    Saddle(SaddleConfig, Option<(Jin2017, JinKnobs)>),
}

/// What the `sgd` objective reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SgdMetric {
    /// The final population loss.
    Loss,
    /// The final distance to W*.
    Distance,
    /// log10 of the final population loss (floored at 1e-12, the closed form's
    /// precision; a diverged run scores 12): keeps the Lasso's targets on one scale
    /// when losses span many decades.
    LogLoss,
}

/// The `sgd` objective: a two-layer run whose settings Harmonica tunes.
#[derive(Clone, Debug, PartialEq)]
pub struct SgdObjectiveSpec {
    /// The settings before the tuned parameters override them (`seed` seeds the teacher).
    pub base: TwoLayerConfig,
    /// The value returned.
    pub metric: SgdMetric,
}

impl SgdObjectiveSpec {
    /// Parameter names the objective reads, with the value types they take.
    pub const TUNED: &'static [(&'static str, &'static str)] = &[
        ("lr", "a number > 0"),
        ("batch", "a whole number >= 1"),
        ("init_norm", "a number >= 0"),
        ("momentum", "a number in [0, 1)"),
        ("steps", "a whole number"),
        ("identity", "a boolean (true: ResLink, false: vanilla)"),
    ];
}

const RUN_TYPES: &[&str] = &["two_layer", "saddle"];
const TWO_LAYER_KEYS: &[&str] = &[
    "name",
    "type",
    "model",
    "d",
    "teacher",
    "init",
    "optimizer",
    "steps",
    "epochs",
    "seed",
    "seeds",
    "log_every",
    "g_threshold",
];
const SADDLE_KEYS: &[&str] =
    &["name", "type", "problem", "start", "optimizer", "steps", "escape_below", "seed", "seeds", "log_every"];
const SGD_OBJECTIVE_KEYS: &[&str] =
    &["type", "direction", "metric", "model", "d", "teacher", "init", "optimizer", "steps", "seed", "g_threshold"];
/// Largest width accepted (a d x d matrix per buffer).
const MAX_D: usize = 4096;

/// Reads `experiment:`: a list of runs (a single run may be given as a map).
pub fn experiment(node: &Node) -> Result<Vec<ExperimentRun>, Diagnostic> {
    let items = match &node.value {
        Value::List(items) => items.as_slice(),
        Value::Map(_) => std::slice::from_ref(node),
        _ => return Err(Diagnostic::new(format!("expected a list of runs, found {}", node.describe()), node.span)),
    };
    if items.is_empty() {
        return Err(Diagnostic::new("the experiment has no runs", node.span));
    }
    let mut runs: Vec<ExperimentRun> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        for run in self::run(item, i)? {
            if runs.iter().any(|r| r.name == run.name) {
                let at = Fields::new(item, "a run")?.get("name").map_or(item.span, |n| n.span);
                return Err(Diagnostic::new(format!("two runs are named `{}`", run.name), at));
            }
            runs.push(run);
        }
    }
    Ok(runs)
}

/// One list item: a run, or several when it sweeps `seeds`.
fn run(node: &Node, index: usize) -> Result<Vec<ExperimentRun>, Diagnostic> {
    let mut f = Fields::new(node, "a run")?;
    let name = f.opt("name", |n| n.as_str().map(str::to_owned))?.unwrap_or_else(|| format!("run{}", index + 1));
    let ty = f.require("type")?;
    let seeds = f.opt("seeds", seed_list)?;
    let spec = match ty.as_str()? {
        "two_layer" => {
            let cfg = two_layer(&mut f)?;
            f.finish(TWO_LAYER_KEYS)?;
            RunSpec::TwoLayer(cfg)
        }
        "saddle" => {
            let (cfg, preset) = saddle_run(&mut f)?;
            f.finish(SADDLE_KEYS)?;
            RunSpec::Saddle(cfg, preset)
        }
        other => return Err(unknown_kind("run type", other, ty, RUN_TYPES)),
    };
    Ok(match seeds {
        None => vec![ExperimentRun { name, spec }],
        Some(seeds) => seeds
            .into_iter()
            .map(|s| ExperimentRun { name: format!("{name}/seed={s}"), spec: with_seed(&spec, s) })
            .collect(),
    })
}

fn with_seed(spec: &RunSpec, seed: u64) -> RunSpec {
    match spec {
        RunSpec::TwoLayer(c) => RunSpec::TwoLayer(TwoLayerConfig { seed, ..c.clone() }),
        RunSpec::Saddle(c, p) => RunSpec::Saddle(SaddleConfig { seed, ..c.clone() }, p.clone()),
    }
}

fn seed_list(node: &Node) -> Result<Vec<u64>, Diagnostic> {
    let seeds = node.as_list()?.iter().map(seed).collect::<Result<Vec<_>, _>>()?;
    if seeds.is_empty() {
        return Err(Diagnostic::new("`seeds` lists no seed", node.span));
    }
    Ok(seeds)
}

fn seed(node: &Node) -> Result<u64, Diagnostic> {
    let s = node.as_i64()?;
    u64::try_from(s).map_err(|_| Diagnostic::new(format!("a seed must be >= 0, found `{s}`"), node.span))
}

fn momentum(node: &Node) -> Result<f64, Diagnostic> {
    number(node, |x| (0.0..1.0).contains(&x), "a momentum in [0, 1)")
}

fn width(node: &Node) -> Result<usize, Diagnostic> {
    match node.as_positive()? {
        d if d <= MAX_D => Ok(d),
        d => Err(Diagnostic::new(format!("d is at most {MAX_D}, found `{d}`"), node.span)),
    }
}

fn model(node: &Node) -> Result<Model, Diagnostic> {
    match node.as_str()? {
        "reslink" => Ok(Model::ResLink),
        "vanilla" => Ok(Model::Vanilla),
        other => Err(unknown_kind("model", other, node, &["reslink", "vanilla"])),
    }
}

/// The two-layer settings shared by experiment runs and the `sgd` objective.
fn two_layer_common(f: &mut Fields) -> Result<TwoLayerConfig, Diagnostic> {
    let model = f.or("model", Model::ResLink, model)?;
    let d = f.or("d", 20, width)?;
    let defaults = TwoLayerConfig::new(model, d);
    let teacher = f.or("teacher", defaults.teacher.clone(), teacher)?;
    let init = f.or("init", defaults.init.clone(), init)?;
    let (method, lr, momentum) = f.or("optimizer", (Method::Gd, defaults.lr, 0.0), two_layer_optimizer)?;
    let seed = f.or("seed", 0, seed)?;
    let g_threshold = f.or("g_threshold", defaults.g_threshold, positive)?;
    Ok(TwoLayerConfig { teacher, init, method, lr, momentum, seed, g_threshold, ..defaults })
}

fn two_layer(f: &mut Fields) -> Result<TwoLayerConfig, Diagnostic> {
    let mut cfg = two_layer_common(f)?;
    let steps = f.opt("steps", Node::as_usize)?;
    let epochs = f.get("epochs");
    cfg.steps = match (steps, epochs, &cfg.method) {
        (Some(_), Some(e), _) => return Err(Diagnostic::new("give `steps` or `epochs`, not both", e.span)),
        (None, Some(e), Method::Finite { batch, samples, .. }) => e.as_usize()? * (samples / batch).max(1),
        (None, Some(e), _) => {
            return Err(Diagnostic::new("`epochs` needs an optimizer with a finite training set", e.span)
                .with_help("use `optimizer: {type: finite, lr: ..., batch: ..., samples: ...}`, or give `steps`"))
        }
        (Some(s), None, _) => s,
        (None, None, _) => return Err(Diagnostic::new("a two_layer run is missing `steps`", f.span())),
    };
    cfg.log_every = f.or("log_every", (cfg.steps / 2000).max(1), Node::as_positive)?;
    Ok(cfg)
}

fn teacher(node: &Node) -> Result<TeacherSpec, Diagnostic> {
    let mut f = Fields::new(node, "the teacher")?;
    let ty = f.require("type")?;
    let (spec, known): (TeacherSpec, &[&str]) = match ty.as_str()? {
        "gaussian" => (TeacherSpec::Gaussian { norm: f.require("norm").and_then(non_negative)? }, &["type", "norm"]),
        "orthogonal" => {
            let scale = f.require("scale").and_then(non_negative)?;
            (TeacherSpec::Orthogonal { scale, haar: f.or("haar", false, Node::as_bool)? }, &["type", "scale", "haar"])
        }
        "identity" => (TeacherSpec::Identity { scale: f.require("scale").and_then(non_negative)? }, &["type", "scale"]),
        // Kept as written; runs resolve it against the study's directory.
        "file" => (TeacherSpec::File(f.require("path")?.as_str()?.into()), &["type", "path"]),
        other => return Err(unknown_kind("teacher type", other, ty, &["gaussian", "orthogonal", "identity", "file"])),
    };
    f.finish(known)?;
    Ok(spec)
}

fn init(node: &Node) -> Result<InitSpec, Diagnostic> {
    let mut f = Fields::new(node, "the initialisation")?;
    let ty = f.require("type")?;
    let (spec, known): (InitSpec, &[&str]) = match ty.as_str()? {
        "zero" => (InitSpec::Zero, &["type"]),
        "gaussian" => (InitSpec::Gaussian { norm: f.require("norm").and_then(non_negative)? }, &["type", "norm"]),
        other => return Err(unknown_kind("initialisation", other, ty, &["zero", "gaussian"])),
    };
    f.finish(known)?;
    Ok(spec)
}

fn two_layer_optimizer(node: &Node) -> Result<(Method, f64, f64), Diagnostic> {
    let mut f = Fields::new(node, "the optimizer")?;
    let ty = f.require("type")?;
    let lr = f.require("lr").and_then(positive)?;
    let momentum = f.or("momentum", 0.0, self::momentum)?;
    let (method, known): (Method, &[&str]) = match ty.as_str()? {
        "gd" => (Method::Gd, &["type", "lr", "momentum"]),
        "sgd" => (Method::Sgd { batch: f.require("batch")?.as_positive()? }, &["type", "lr", "momentum", "batch"]),
        "finite" => {
            let batch = f.require("batch")?.as_positive()?;
            let samples_node = f.require("samples")?;
            let samples = samples_node.as_positive()?;
            if samples < batch {
                return Err(Diagnostic::new(
                    format!("the training set ({samples}) is smaller than a batch ({batch})"),
                    samples_node.span,
                ));
            }
            let test_samples = f.or("test_samples", 10_000, Node::as_positive)?;
            (
                Method::Finite { batch, samples, test_samples },
                &["type", "lr", "momentum", "batch", "samples", "test_samples"],
            )
        }
        other => return Err(unknown_kind("optimizer", other, ty, &["gd", "sgd", "finite"])),
    };
    f.finish(known)?;
    Ok((method, lr, momentum))
}

fn saddle_run(f: &mut Fields) -> Result<(SaddleConfig, Option<(Jin2017, JinKnobs)>), Diagnostic> {
    let problem = problem(f.require("problem")?)?;
    let start = f.opt("start", |n| start(n, &problem))?.unwrap_or_else(|| default_start(&problem));
    let (method, lr, preset) = saddle_optimizer(f.require("optimizer")?, &problem)?;
    let steps = f.require("steps")?.as_usize()?;
    let escape_below = f.opt("escape_below", |n| number(n, |_| true, "a number"))?;
    let seed = f.or("seed", 0, seed)?;
    let log_every = f.or("log_every", (steps / 5000).max(1), Node::as_positive)?;
    Ok((SaddleConfig { problem, start, method, lr, steps, escape_below, seed, log_every }, preset))
}

fn default_start(problem: &Problem) -> Start {
    match problem {
        Problem::QuadraticQuartic => Start::Point(vec![1.0, 0.0]),
        Problem::Chain { d, .. } => Start::Point(vec![1e-3; *d]),
        Problem::TensorOne { .. } | Problem::TensorAll { .. } => Start::Saddle,
    }
}

fn problem(node: &Node) -> Result<Problem, Diagnostic> {
    let (name_node, mut f) = match &node.value {
        Value::Str(_) => (node, None),
        _ => {
            let mut f = Fields::new(node, "the problem")?;
            (f.require("type")?, Some(f))
        }
    };
    let mut get = |key: &str, default: f64, read: fn(&Node) -> Result<f64, Diagnostic>| match f.as_mut() {
        Some(f) => f.or(key, default, read),
        None => Ok(default),
    };
    let e = std::f64::consts::E;
    let problem = match name_node.as_str()? {
        "quadratic_quartic" => Problem::QuadraticQuartic,
        "chain" => Problem::Chain {
            d: get("d", 5.0, dimension)? as usize,
            l: get("l", e, positive)?,
            gamma: get("gamma", 1.0, positive)?,
            tau: get("tau", e, positive)?,
        },
        "tensor_one" => Problem::TensorOne { d: get("d", 10.0, dimension)? as usize },
        "tensor_all" => Problem::TensorAll { d: get("d", 6.0, dimension)? as usize },
        other => return Err(unknown_kind("saddle problem", other, name_node, Problem::NAMES)),
    };
    if let Some(f) = f {
        let known: &[&str] = match problem {
            Problem::QuadraticQuartic => &["type"],
            Problem::Chain { .. } => &["type", "d", "l", "gamma", "tau"],
            _ => &["type", "d"],
        };
        f.finish(known)?;
    }
    Ok(problem)
}

fn dimension(node: &Node) -> Result<f64, Diagnostic> {
    match node.as_positive()? {
        d if d <= 512 => Ok(d as f64),
        d => Err(Diagnostic::new(format!("d is at most 512 for saddle problems, found `{d}`"), node.span)),
    }
}

fn start(node: &Node, problem: &Problem) -> Result<Start, Diagnostic> {
    match &node.value {
        Value::Str(s) if s == "saddle" => Ok(Start::Saddle),
        Value::Str(s) if s == "random" => Ok(Start::Random { scale: 1e-2 }),
        Value::Str(s) => Err(unknown_kind("start", s, node, &["saddle", "random"])),
        _ => {
            let point =
                node.as_list()?.iter().map(|n| number(n, |_| true, "a number")).collect::<Result<Vec<_>, _>>()?;
            if point.len() != problem.dim() {
                return Err(Diagnostic::new(
                    format!(
                        "`{}` needs a start with {} coordinates, found {}",
                        problem.name(),
                        problem.dim(),
                        point.len()
                    ),
                    node.span,
                ));
            }
            Ok(Start::Point(point))
        }
    }
}

type SaddleOptimizer = (saddle::Method, f64, Option<(Jin2017, JinKnobs)>);

fn saddle_optimizer(node: &Node, problem: &Problem) -> Result<SaddleOptimizer, Diagnostic> {
    let mut f = Fields::new(node, "the optimizer")?;
    let ty = f.require("type")?;
    let out = match ty.as_str()? {
        "gd" => {
            let lr = f.require("lr").and_then(positive)?;
            f.finish(&["type", "lr"])?;
            (saddle::Method::Gd, lr, None)
        }
        "noisy_gd" => {
            let lr = f.require("lr").and_then(positive)?;
            let sigma = f.require("sigma").and_then(non_negative)?;
            f.finish(&["type", "lr", "sigma"])?;
            (saddle::Method::NoisyGd { sigma }, lr, None)
        }
        "perturbed_gd" => {
            let out = perturbed(&mut f, problem)?;
            f.finish(PERTURBED_KEYS)?;
            out
        }
        other => return Err(unknown_kind("optimizer", other, ty, &["gd", "noisy_gd", "perturbed_gd"])),
    };
    Ok(out)
}

const PERTURBED_KEYS: &[&str] =
    &["type", "lr", "radius", "g_thres", "t_thres", "preset", "l", "rho", "epsilon", "delta", "delta_f", "c"];

/// Perturbed GD: free knobs, or `preset: jin2017` computing them from the paper's
/// constants (any knob given explicitly still wins).
fn perturbed(f: &mut Fields, problem: &Problem) -> Result<SaddleOptimizer, Diagnostic> {
    let preset = match f.get("preset") {
        None => None,
        Some(n) if n.as_str()? == "jin2017" => {
            let d = Jin2017::for_quadratic_quartic();
            let jin = Jin2017 {
                l: f.or("l", d.l, positive)?,
                rho: f.or("rho", d.rho, positive)?,
                epsilon: f.or("epsilon", d.epsilon, positive)?,
                delta: f.or("delta", d.delta, |n| number(n, |x| x > 0.0 && x < 1.0, "a probability in (0, 1)"))?,
                delta_f: f.or("delta_f", d.delta_f, positive)?,
                c: f.or("c", d.c, positive)?,
            };
            let knobs = jin.knobs(problem.dim());
            Some((jin, knobs))
        }
        Some(n) => return Err(unknown_kind("preset", n.as_str()?, n, &["jin2017"])),
    };
    let knob = |f: &mut Fields, key: &str, from: Option<f64>| -> Result<f64, Diagnostic> {
        match (f.opt(key, positive)?, from) {
            (Some(x), _) | (None, Some(x)) => Ok(x),
            (None, None) => Err(Diagnostic::new(format!("perturbed_gd is missing `{key}`"), f.span())
                .with_help("give the knobs, or `preset: jin2017` to compute them from the paper's constants")),
        }
    };
    let k = preset.as_ref().map(|(_, k)| k);
    let lr = knob(f, "lr", k.map(|k| k.lr))?;
    let radius = knob(f, "radius", k.map(|k| k.radius))?;
    let g_thres = knob(f, "g_thres", k.map(|k| k.g_thres))?;
    let t_thres = match f.opt("t_thres", Node::as_usize)? {
        Some(t) => t,
        None => knob(f, "t_thres", k.map(|k| k.t_thres as f64))? as usize,
    };
    Ok((saddle::Method::PerturbedGd { radius, g_thres, t_thres }, lr, preset))
}

/// Reads an `sgd` objective's settings (the objective's `type` and `direction` are
/// read by the caller).
pub fn sgd_objective(f: &mut Fields) -> Result<SgdObjectiveSpec, Diagnostic> {
    let mut base = two_layer_common(f)?;
    base.steps = f.require("steps")?.as_usize()?;
    // Tuning reads only the final state: log the ends alone.
    base.log_every = base.steps.max(1);
    let metric = f.or("metric", SgdMetric::Loss, |n| match n.as_str()? {
        "loss" => Ok(SgdMetric::Loss),
        "distance" => Ok(SgdMetric::Distance),
        "log_loss" => Ok(SgdMetric::LogLoss),
        other => Err(unknown_kind("metric", other, n, &["loss", "distance", "log_loss"])),
    })?;
    Ok(SgdObjectiveSpec { base, metric })
}

/// The keys an `sgd` objective takes.
pub fn sgd_objective_keys() -> &'static [&'static str] {
    SGD_OBJECTIVE_KEYS
}

/// Checks that every parameter of the space is one the `sgd` objective reads, with
/// a value type it can use; `space` is the `space:` node.
pub fn check_tuned(space: &Node, spec: &SgdObjectiveSpec) -> Result<(), Diagnostic> {
    let names: Vec<&str> = SgdObjectiveSpec::TUNED.iter().map(|(n, _)| *n).collect();
    for (key, value) in space.as_map()? {
        if key.name == "dummy" {
            continue;
        }
        if !names.contains(&key.name.as_str()) {
            let mut d = Diagnostic::new(format!("the sgd objective has no setting `{}`", key.name), key.span);
            d.help = did_you_mean(&key.name, names.iter().copied())
                .or_else(|| Some(format!("it tunes: {}; add noise bits with `dummy: N`", names.join(", "))));
            return Err(d);
        }
        if key.name == "batch" && spec.base.batch().is_none() {
            return Err(Diagnostic::new("`batch` is tuned but the objective's optimizer is gd", key.span)
                .with_help("use `optimizer: {type: sgd, lr: ..., batch: ...}`"));
        }
        let ty = Fields::new(value, "a parameter")?.get("type").and_then(|t| t.as_str().ok()).unwrap_or("");
        let wants_bool = key.name == "identity";
        if wants_bool != (ty == "bool") && !(wants_bool && ty == "choice") {
            let what = SgdObjectiveSpec::TUNED.iter().find(|(n, _)| *n == key.name).map_or("", |(_, w)| *w);
            return Err(Diagnostic::new(format!("`{}` takes {what}, but is declared `{ty}`", key.name), value.span));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::study::{analyze, yaml, ObjectiveKind, Study};

    fn load(src: &str) -> Result<Study, Diagnostic> {
        analyze::study(&yaml::parse(src)?, Path::new("."))
    }

    /// The error's message and the text its span covers.
    fn error(src: &str) -> (String, String, Option<String>) {
        let d = load(src).unwrap_err();
        let span = d.span.unwrap_or_default();
        (d.message, src[span.start..span.end].to_owned(), d.help)
    }

    const RUN: &str = "experiment:\n  - name: a\n    type: two_layer\n    steps: 10\n";

    #[test]
    fn a_bare_experiment_needs_no_study_name() {
        let study = load(RUN).unwrap();
        assert_eq!(study.name, "experiment");
        let RunSpec::TwoLayer(cfg) = &study.experiment[0].spec else { panic!("not a two-layer run") };
        assert_eq!((cfg.d, cfg.steps, cfg.model, cfg.lr), (20, 10, Model::ResLink, 0.05));
    }

    #[test]
    fn seeds_expand_into_runs() {
        let study = load(&format!("{RUN}    seeds: [3, 4]\n")).unwrap();
        let names: Vec<&str> = study.experiment.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["a/seed=3", "a/seed=4"]);
        let RunSpec::TwoLayer(cfg) = &study.experiment[1].spec else { panic!("not a two-layer run") };
        assert_eq!(cfg.seed, 4);
    }

    #[test]
    fn unknown_keys_get_a_suggestion() {
        let (msg, at, help) = error(&format!("{RUN}    stesp: 3\n"));
        assert_eq!((msg.as_str(), at.as_str()), ("unknown key `stesp` in a run", "stesp"));
        assert_eq!(help.as_deref(), Some("did you mean `steps`?"));
        let (msg, at, help) = error("experiment:\n  - {type: saddle, problem: quadratic_quartik, steps: 1}\n");
        assert_eq!((msg.as_str(), at.as_str()), ("unknown saddle problem `quadratic_quartik`", "quadratic_quartik"));
        assert_eq!(help.as_deref(), Some("did you mean `quadratic_quartic`?"));
    }

    #[test]
    fn no_suggestion_when_nothing_is_close() {
        let (_, _, help) = error("experiment:\n  - {type: saddle, problem: banana, steps: 1}\n");
        assert_eq!(help.as_deref(), Some("known: quadratic_quartic, chain, tensor_one, tensor_all"));
    }

    #[test]
    fn bad_values_are_located() {
        let cases = [
            ("    model: resnet\n", "unknown model `resnet`", "resnet"),
            ("    d: 0\n", "expected a whole number >= 1, found `0`", "0"),
            ("    optimizer: {type: sgd, lr: 0.1, batch: 0}\n", "expected a whole number >= 1, found `0`", "0"),
            ("    optimizer: {type: gd, lr: 0.1, momentum: 1.0}\n", "expected a momentum in [0, 1), found `1`", "1.0"),
            ("    teacher: {type: gaussian, norm: -1}\n", "expected a number >= 0, found `-1`", "-1"),
            ("    epochs: 2\n", "give `steps` or `epochs`, not both", "2"),
        ];
        for (line, message, at) in cases {
            let (msg, span, _) = error(&format!("{RUN}{line}"));
            assert_eq!((msg.as_str(), span.as_str()), (message, at), "{line}");
        }
    }

    #[test]
    fn saddle_start_must_fit_the_problem() {
        let src = "experiment:\n  - {type: saddle, problem: quadratic_quartic, start: [1, 2, 3], \
                   optimizer: {type: gd, lr: 0.1}, steps: 5}\n";
        let (msg, at, _) = error(src);
        assert_eq!(msg, "`quadratic_quartic` needs a start with 2 coordinates, found 3");
        // (saphyr's span of a flow sequence stops before its closing bracket.)
        assert!(at.starts_with("[1, 2, 3"), "{at}");
    }

    #[test]
    fn perturbed_gd_needs_knobs_or_a_preset() {
        let base = "experiment:\n  - {type: saddle, problem: quadratic_quartic, steps: 5, optimizer: ";
        let (msg, _, help) = error(&format!("{base}{{type: perturbed_gd, lr: 0.1}}}}\n"));
        assert_eq!(msg, "perturbed_gd is missing `radius`");
        assert!(help.is_some_and(|h| h.contains("preset: jin2017")));
        let study = load(&format!("{base}{{type: perturbed_gd, preset: jin2017, lr: 0.1}}}}\n")).unwrap();
        let RunSpec::Saddle(cfg, Some((_, knobs))) = &study.experiment[0].spec else { panic!("no preset") };
        // The explicit lr wins; the rest come from the paper's constants.
        assert_eq!(cfg.lr, 0.1);
        assert_eq!(
            cfg.method,
            saddle::Method::PerturbedGd { radius: knobs.radius, g_thres: knobs.g_thres, t_thres: knobs.t_thres }
        );
        assert!((knobs.chi - 3.0 * (2.0f64 * 4.0 * 2.0 / (1e-4 * 0.1)).ln()).abs() < 1e-9);
    }

    #[test]
    fn sgd_objective_reads_its_settings_and_checks_the_space() {
        let head = "study: t\nobjective: {type: sgd, metric: distance, d: 5, steps: 50, \
                    optimizer: {type: sgd, lr: 0.01, batch: 16}}\nspace:\n";
        let study = load(&format!("{head}  lr: {{type: float, low: 0.001, high: 0.1}}\n  dummy: 3\n")).unwrap();
        let Some(ObjectiveKind::Sgd(spec)) = study.objective.map(|o| o.kind) else { panic!("not sgd") };
        assert_eq!((spec.metric, spec.base.d, spec.base.steps), (SgdMetric::Distance, 5, 50));
        let (msg, at, help) = error(&format!("{head}  learning_rate: {{type: float, low: 0.001, high: 0.1}}\n"));
        assert_eq!((msg.as_str(), at.as_str()), ("the sgd objective has no setting `learning_rate`", "learning_rate"));
        assert!(help.is_some_and(|h| h.starts_with("it tunes: lr, batch")));
        let (msg, _, _) = error(&format!("{head}  identity: {{type: int, low: 0, high: 1}}\n"));
        assert!(msg.starts_with("`identity` takes a boolean"), "{msg}");
    }
}
