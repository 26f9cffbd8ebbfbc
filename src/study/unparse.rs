//! A checked [`Study`] -> the document tree, the inverse of [`analyze`](super::analyze).
//!
//! The tree holds every setting explicitly (defaults written out), in a fixed
//! order, so that [`print`](super::print) renders one canonical text per meaning
//! in either form. One small function per section: a new objective kind or
//! setting adds an arm or an entry here, and both printers follow.

use std::path::Path;

use super::doc::{Key, Node, Value};
use super::{
    BaseSpec, Direction, Execution, ExecutorKind, HarmonicaSpec, ObjectiveKind, ObjectiveSpec, OptimizerSpec,
    SlurmSettings, Solver, Study, Term,
};
use crate::space::{Condition, Domain, Param, ParamValue, Space};

/// The whole study as a document tree (`base_dir` is not part of its meaning).
pub fn study(s: &Study) -> Node {
    let mut m = vec![entry("study", str(&s.name)), entry("seed", uint(s.seed))];
    if let Some(o) = &s.objective {
        m.push(entry("objective", objective(o)));
    }
    // A file holding only an experiment has no use for the default optimizer.
    let experiment_only = s.objective.is_none() && !s.experiment.is_empty();
    if !(experiment_only && s.optimizer == OptimizerSpec::default()) {
        m.push(entry("optimizer", optimizer(&s.optimizer)));
    }
    if let Some(sp) = &s.space {
        m.push(entry("space", space(sp)));
    }
    if let Some(e) = execution(&s.execution) {
        m.push(entry("execution", e));
    }
    if !s.experiment.is_empty() {
        m.push(entry("experiment", list(s.experiment.iter().map(experiment::run).collect())));
    }
    map(m)
}

/// The search space: parameters in order, then `dummy`.
pub fn space(s: &Space) -> Node {
    let mut m: Vec<(Key, Node)> = s.params().iter().map(|p| (key(&p.name), param(p))).collect();
    if s.dummy() > 0 {
        m.push(entry("dummy", uint(s.dummy() as u64)));
    }
    map(m)
}

/// One parameter as `{type: ..., ...}`.
pub fn param(p: &Param) -> Node {
    let mut m = vec![entry("type", str(p.domain.type_name()))];
    match &p.domain {
        Domain::Bool => {}
        Domain::Choice(values) => m.push(entry("values", list(values.iter().map(scalar).collect()))),
        Domain::Int { low, high, log, bits } => range(&mut m, int(*low), int(*high), *log, *bits),
        Domain::Float { low, high, log, bits } => range(&mut m, float(*low), float(*high), *log, *bits),
    }
    if let Some(c) = &p.when {
        m.push(entry("when", condition(c)));
    }
    map(m)
}

fn range(m: &mut Vec<(Key, Node)>, low: Node, high: Node, log: bool, bits: u32) {
    m.push(entry("low", low));
    m.push(entry("high", high));
    if log {
        m.push(entry("log", node(Value::Bool(true))));
    }
    m.push(entry("bits", uint(u64::from(bits))));
}

fn condition(c: &Condition) -> Node {
    map(vec![(key(&c.param), scalar(&c.value))])
}

/// The objective with its kind as `type`.
pub fn objective(o: &ObjectiveSpec) -> Node {
    let mut m = vec![entry("type", str(objective_type(&o.kind))), entry("direction", direction(o.direction))];
    match &o.kind {
        ObjectiveKind::TreePolynomial { table, noise } => {
            m.push(entry("table", path(table)));
            if let Some(x) = noise {
                m.push(entry("noise", float(*x)));
            }
        }
        ObjectiveKind::SparsePolynomial { n, terms, noise } => {
            m.push(entry("n", uint(*n as u64)));
            m.push(entry("terms", list(terms.iter().map(term).collect())));
            m.push(entry("noise", float(*noise)));
        }
        ObjectiveKind::Command(c) => command(&mut m, c),
        ObjectiveKind::Sgd(spec) => experiment::sgd_objective(&mut m, spec),
    }
    map(m)
}

fn command(m: &mut Vec<(Key, Node)>, c: &super::CommandSpec) {
    m.push(entry("argv", list(c.argv.iter().map(|t| str(&t.text)).collect())));
    if !c.env.is_empty() {
        m.push(entry("env", map(c.env.iter().map(|(k, t)| (key(k), str(&t.text))).collect())));
    }
    if let Some(w) = &c.workdir {
        m.push(entry("workdir", path(w)));
    }
    m.push(entry("metric", str(&c.metric)));
    if let Some(t) = c.timeout {
        m.push(entry("timeout", float(t)));
    }
    m.push(entry("retries", uint(c.retries as u64)));
    if let Some(b) = c.default_budget {
        m.push(entry("default_budget", float(b)));
    }
}

fn objective_type(kind: &ObjectiveKind) -> &'static str {
    match kind {
        ObjectiveKind::TreePolynomial { .. } => "tree_polynomial",
        ObjectiveKind::SparsePolynomial { .. } => "sparse_polynomial",
        ObjectiveKind::Command(_) => "command",
        ObjectiveKind::Sgd(_) => "sgd",
    }
}

fn direction(d: Direction) -> Node {
    str(match d {
        Direction::Minimize => "minimize",
        Direction::Maximize => "maximize",
    })
}

fn term(t: &Term) -> Node {
    let bits = t.bits.iter().map(|b| uint(*b as u64)).collect();
    map(vec![entry("w", float(t.w)), entry("S", list(bits))])
}

/// The optimizer with its kind as `type`.
pub fn optimizer(o: &OptimizerSpec) -> Node {
    match o {
        OptimizerSpec::Harmonica(h) => harmonica(h),
        OptimizerSpec::Baseline(b) => base(b),
    }
}

fn harmonica(h: &HarmonicaSpec) -> Node {
    map(vec![
        entry("type", str("harmonica")),
        entry("stages", uint(h.stages as u64)),
        entry("samples", uint(h.samples as u64)),
        entry("degree", uint(h.degree as u64)),
        entry("terms", uint(h.terms as u64)),
        entry("alpha", float(h.alpha)),
        entry("keep", uint(h.keep as u64)),
        entry("max_bits", uint(h.max_bits as u64)),
        entry("solver", solver(h.solver)),
        entry("base", base(&h.base)),
    ])
}

fn solver(s: Solver) -> Node {
    str(match s {
        Solver::Fast => "fast",
        Solver::Linfa => "linfa",
    })
}

/// A base algorithm with its kind as `type`.
pub fn base(b: &BaseSpec) -> Node {
    let m = match b {
        BaseSpec::None => vec![entry("type", str("none"))],
        BaseSpec::Random { evaluations } => {
            vec![entry("type", str("random")), entry("evaluations", uint(*evaluations as u64))]
        }
        BaseSpec::SuccessiveHalving { configs, min_budget, max_budget, eta } => vec![
            entry("type", str("successive_halving")),
            entry("configs", uint(*configs as u64)),
            entry("min_budget", float(*min_budget)),
            entry("max_budget", float(*max_budget)),
            entry("eta", float(*eta)),
        ],
        BaseSpec::Hyperband { max_budget, eta } => {
            vec![entry("type", str("hyperband")), entry("max_budget", float(*max_budget)), entry("eta", float(*eta))]
        }
    };
    map(m)
}

/// Execution settings; `None` when all are defaults.
pub fn execution(e: &Execution) -> Option<Node> {
    let mut m = Vec::new();
    if let Some(w) = e.workers {
        m.push(entry("workers", uint(w as u64)));
    }
    if let Some(f) = e.max_failure_fraction {
        m.push(entry("max_failure_fraction", float(f)));
    }
    if e.executor != ExecutorKind::default() {
        let name = match e.executor {
            ExecutorKind::Local => "local",
            ExecutorKind::Slurm => "slurm",
        };
        m.push(entry("executor", str(name)));
    }
    if e.slurm != SlurmSettings::default() {
        m.push(entry("slurm", slurm(&e.slurm)));
    }
    (!m.is_empty()).then(|| map(m))
}

/// The Slurm executor's settings, those given.
fn slurm(s: &SlurmSettings) -> Node {
    let mut m = Vec::new();
    if let Some(p) = &s.partition {
        m.push(entry("partition", str(p)));
    }
    if let Some(n) = s.max_parallel {
        m.push(entry("max_parallel", uint(n as u64)));
    }
    if let Some(t) = &s.time {
        m.push(entry("time", str(t)));
    }
    if let Some(c) = s.cpus_per_task {
        m.push(entry("cpus_per_task", uint(c as u64)));
    }
    if !s.extra.is_empty() {
        m.push(entry("extra", list(s.extra.iter().map(|x| str(x)).collect())));
    }
    m.push(entry("max_resubmits", uint(s.max_resubmits as u64)));
    m.push(entry("poll_interval", float(s.poll_interval)));
    map(m)
}

/// The SGD lab's settings (the `experiment` block and the `sgd` objective).
mod experiment {
    use super::{entry, float, list, map, path, str, uint, Key, Node};
    use crate::sgd::saddle::{Method as SaddleMethod, Problem, SaddleConfig, Start};
    use crate::sgd::two_layer::{InitSpec, Method, TeacherSpec, TwoLayerConfig};
    use crate::study::{ExperimentRun, RunSpec, SgdMetric, SgdObjectiveSpec};

    /// One run, every setting written out (a `seeds` sweep is already expanded).
    pub fn run(r: &ExperimentRun) -> Node {
        // `type` first, so the study language prints the run as `two_layer { ... }`.
        let kind = match &r.spec {
            RunSpec::TwoLayer(_) => "two_layer",
            RunSpec::Saddle(..) => "saddle",
        };
        let mut m = vec![entry("type", str(kind)), entry("name", str(&r.name))];
        match &r.spec {
            RunSpec::TwoLayer(c) => {
                two_layer(&mut m, c);
                m.push(entry("steps", uint(c.steps as u64)));
                m.push(entry("log_every", uint(c.log_every as u64)));
            }
            RunSpec::Saddle(c, preset) => {
                saddle(&mut m, c, preset.as_ref().map(|(j, _)| j));
            }
        }
        map(m)
    }

    /// The `sgd` objective's settings after `type` and `direction`.
    pub fn sgd_objective(m: &mut Vec<(Key, Node)>, spec: &SgdObjectiveSpec) {
        let metric = match spec.metric {
            SgdMetric::Loss => "loss",
            SgdMetric::Distance => "distance",
            SgdMetric::LogLoss => "log_loss",
        };
        m.push(entry("metric", str(metric)));
        two_layer(m, &spec.base);
        m.push(entry("steps", uint(spec.base.steps as u64)));
    }

    fn two_layer(m: &mut Vec<(Key, Node)>, c: &TwoLayerConfig) {
        m.push(entry("model", str(c.model.name())));
        m.push(entry("d", uint(c.d as u64)));
        let teacher = match &c.teacher {
            TeacherSpec::Gaussian { norm } => vec![entry("type", str("gaussian")), entry("norm", float(*norm))],
            TeacherSpec::Orthogonal { scale, haar } => vec![
                entry("type", str("orthogonal")),
                entry("scale", float(*scale)),
                entry("haar", super::node(super::Value::Bool(*haar))),
            ],
            TeacherSpec::Identity { scale } => vec![entry("type", str("identity")), entry("scale", float(*scale))],
            TeacherSpec::File(p) => vec![entry("type", str("file")), entry("path", path(p))],
        };
        m.push(entry("teacher", map(teacher)));
        let init = match &c.init {
            InitSpec::Zero => vec![entry("type", str("zero"))],
            InitSpec::Gaussian { norm } => vec![entry("type", str("gaussian")), entry("norm", float(*norm))],
        };
        m.push(entry("init", map(init)));
        let mut opt = match &c.method {
            Method::Gd => vec![entry("type", str("gd"))],
            Method::Sgd { batch } => vec![entry("type", str("sgd")), entry("batch", uint(*batch as u64))],
            Method::Finite { batch, samples, test_samples } => vec![
                entry("type", str("finite")),
                entry("batch", uint(*batch as u64)),
                entry("samples", uint(*samples as u64)),
                entry("test_samples", uint(*test_samples as u64)),
            ],
        };
        opt.push(entry("lr", float(c.lr)));
        opt.push(entry("momentum", float(c.momentum)));
        m.push(entry("optimizer", map(opt)));
        m.push(entry("seed", uint(c.seed)));
        m.push(entry("g_threshold", float(c.g_threshold)));
    }

    fn saddle(m: &mut Vec<(Key, Node)>, c: &SaddleConfig, preset: Option<&crate::sgd::saddle::Jin2017>) {
        let mut problem = vec![entry("type", str(c.problem.name()))];
        match &c.problem {
            Problem::QuadraticQuartic => {}
            Problem::Chain { d, l, gamma, tau } => problem.extend([
                entry("d", uint(*d as u64)),
                entry("l", float(*l)),
                entry("gamma", float(*gamma)),
                entry("tau", float(*tau)),
            ]),
            Problem::TensorOne { d } | Problem::TensorAll { d } => problem.push(entry("d", uint(*d as u64))),
        }
        m.push(entry("problem", map(problem)));
        let start = match &c.start {
            Start::Point(p) => list(p.iter().map(|x| float(*x)).collect()),
            Start::Saddle => str("saddle"),
            Start::Random { .. } => str("random"),
        };
        m.push(entry("start", start));
        let mut opt = match &c.method {
            SaddleMethod::Gd => vec![entry("type", str("gd"))],
            SaddleMethod::NoisyGd { sigma } => vec![entry("type", str("noisy_gd")), entry("sigma", float(*sigma))],
            SaddleMethod::PerturbedGd { radius, g_thres, t_thres } => vec![
                entry("type", str("perturbed_gd")),
                entry("radius", float(*radius)),
                entry("g_thres", float(*g_thres)),
                entry("t_thres", uint(*t_thres as u64)),
            ],
        };
        opt.push(entry("lr", float(c.lr)));
        if let Some(j) = preset {
            // The constants are kept so the preset's record survives; the explicit
            // knobs above are the values it computed (or overrides).
            opt.push(entry("preset", str("jin2017")));
            for (k, v) in [
                ("l", j.l),
                ("rho", j.rho),
                ("epsilon", j.epsilon),
                ("delta", j.delta),
                ("delta_f", j.delta_f),
                ("c", j.c),
            ] {
                opt.push(entry(k, float(v)));
            }
        }
        m.push(entry("optimizer", map(opt)));
        m.push(entry("steps", uint(c.steps as u64)));
        if let Some(e) = c.escape_below {
            m.push(entry("escape_below", float(e)));
        }
        m.push(entry("seed", uint(c.seed)));
        m.push(entry("log_every", uint(c.log_every as u64)));
    }
}

// Node builders. Spans are empty: an unparsed tree points at no source.

fn node(value: Value) -> Node {
    Node::new(value, Default::default())
}

fn key(name: &str) -> Key {
    Key { name: name.to_owned(), span: Default::default() }
}

fn entry(name: &str, value: Node) -> (Key, Node) {
    (key(name), value)
}

fn map(entries: Vec<(Key, Node)>) -> Node {
    node(Value::Map(entries))
}

fn list(items: Vec<Node>) -> Node {
    node(Value::List(items))
}

fn str(s: &str) -> Node {
    node(Value::Str(s.to_owned()))
}

fn path(p: &Path) -> Node {
    str(&p.to_string_lossy())
}

fn int(i: i64) -> Node {
    node(Value::Int(i))
}

fn uint(u: u64) -> Node {
    node(i64::try_from(u).map_or(Value::Float(u as f64), Value::Int))
}

fn float(x: f64) -> Node {
    node(Value::Float(x))
}

fn scalar(v: &ParamValue) -> Node {
    node(match v {
        ParamValue::Bool(b) => Value::Bool(*b),
        ParamValue::Int(i) => Value::Int(*i),
        ParamValue::Float(x) => Value::Float(*x),
        ParamValue::Str(s) => Value::Str(s.clone()),
    })
}
