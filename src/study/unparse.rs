//! A checked [`Study`] -> the document tree, the inverse of [`analyze`](super::analyze).
//!
//! The tree holds every setting explicitly (defaults written out), in a fixed
//! order, so that [`print`](super::print) renders one canonical text per meaning
//! in either form. One small function per section: a new objective kind or
//! setting adds an arm or an entry here, and both printers follow.

use std::path::Path;

use super::doc::{Key, Node, Value};
use super::{
    BaseSpec, Direction, Execution, HarmonicaSpec, ObjectiveKind, ObjectiveSpec, OptimizerSpec, Solver, Study, Term,
};
use crate::space::{Condition, Domain, Param, ParamValue, Space};

/// The whole study as a document tree (`base_dir` is not part of its meaning).
pub fn study(s: &Study) -> Node {
    let mut m = vec![entry("study", str(&s.name)), entry("seed", uint(s.seed))];
    if let Some(o) = &s.objective {
        m.push(entry("objective", objective(o)));
    }
    m.push(entry("optimizer", optimizer(&s.optimizer)));
    if let Some(sp) = &s.space {
        m.push(entry("space", space(sp)));
    }
    if let Some(e) = execution(&s.execution) {
        m.push(entry("execution", e));
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
    (!m.is_empty()).then(|| map(m))
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
