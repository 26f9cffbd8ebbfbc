//! The document tree -> a checked [`Study`]. Every semantic rule lives here, once,
//! for both study forms; every error points at the span it is about.

use std::path::Path;

use super::diagnostics::{did_you_mean, Diagnostic};
use super::doc::{Fields, Node, Value};
use super::experiment;
use super::{
    BaseSpec, Direction, Execution, HarmonicaSpec, ObjectiveKind, ObjectiveSpec, OptimizerSpec, Solver, Study, Term,
};
use crate::space::{Condition, Domain, Param, ParamValue, Space, SpaceError};

/// Reads `execution:` (its readers live in [`super::execution`]).
pub use super::execution::read as execution;

/// Top-level keys of a study.
pub const STUDY_KEYS: &[&str] = &["study", "seed", "space", "objective", "optimizer", "execution", "experiment"];
const PARAM_KEYS: &[&str] = &["type", "values", "low", "high", "log", "bits", "when"];
const HARMONICA_KEYS: &[&str] =
    &["type", "stages", "samples", "degree", "terms", "alpha", "keep", "max_bits", "solver", "base"];
const OPTIMIZER_TYPES: &[&str] = &["harmonica", "random", "successive_halving", "hyperband"];
const PARAM_TYPES: &[&str] = &["bool", "choice", "int", "float"];

/// Reads a whole study.
pub fn study(doc: &Node, base_dir: &Path) -> Result<Study, Diagnostic> {
    let mut f = Fields::new(doc, "the study")?;
    let experiment = f.opt("experiment", experiment::experiment)?.unwrap_or_default();
    // A file holding only an experiment needs no study name.
    let name = match f.get("study") {
        None if !experiment.is_empty() => "experiment".to_owned(),
        _ => study_name(f.require("study")?)?,
    };
    let seed = f.or("seed", 0, |n| n.as_i64().and_then(|s| as_seed(s, n)))?;
    let space_node = f.get("space");
    let space = space_node.map(space).transpose()?;
    let objective = f.opt("objective", objective)?;
    if let (Some(node), Some(ObjectiveSpec { kind: ObjectiveKind::Sgd(spec), .. })) = (space_node, &objective) {
        experiment::check_tuned(node, spec)?;
    }
    let optimizer = f.or("optimizer", OptimizerSpec::default(), optimizer)?;
    let execution = f.or("execution", Execution::default(), execution)?;
    f.finish(STUDY_KEYS)?;
    if let Some(ObjectiveSpec { kind: ObjectiveKind::Command(spec), .. }) = &objective {
        super::command::check_placeholders(spec, space.as_ref())?;
    }
    Ok(Study { name, seed, space, objective, optimizer, execution, experiment, base_dir: base_dir.to_path_buf() })
}

fn study_name(node: &Node) -> Result<String, Diagnostic> {
    match &node.value {
        Value::Str(s) if !s.trim().is_empty() => Ok(s.clone()),
        Value::Int(i) => Ok(i.to_string()),
        _ => Err(Diagnostic::new(format!("expected a study name, found {}", node.describe()), node.span)),
    }
}

fn as_seed(s: i64, node: &Node) -> Result<u64, Diagnostic> {
    u64::try_from(s).map_err(|_| Diagnostic::new(format!("a seed must be >= 0, found `{s}`"), node.span))
}

/// Reads `space:`: parameters in order, plus `dummy: N`.
pub fn space(node: &Node) -> Result<Space, Diagnostic> {
    let entries = node.as_map().map_err(|e| Diagnostic { message: format!("{} for the space", e.message), ..e })?;
    let mut params: Vec<Param> = Vec::new();
    let mut dummy = 0;
    for (i, (key, value)) in entries.iter().enumerate() {
        if entries[..i].iter().any(|(k, _)| k.name == key.name) {
            return Err(Diagnostic::new(format!("parameter `{}` is declared twice", key.name), key.span));
        }
        if key.name == "dummy" {
            dummy = value.as_usize()?;
            continue;
        }
        let param = self::param(&key.name, value, &params)?;
        params.push(param);
    }
    Ok(Space::new(params, dummy))
}

fn param(name: &str, node: &Node, earlier: &[Param]) -> Result<Param, Diagnostic> {
    let owner = format!("parameter `{name}`");
    let mut f = Fields::new(node, &owner)?;
    let ty_node = f.require("type")?;
    let ty = ty_node.as_str()?;
    let at = |e: SpaceError, n: &Node| Diagnostic::new(format!("{e} in parameter `{name}`"), n.span);
    let domain = match ty {
        "bool" => Domain::Bool,
        "choice" => {
            let values_node = f.require("values")?;
            let values = values_node.as_list()?.iter().map(scalar).collect::<Result<Vec<_>, _>>()?;
            for (i, v) in values.iter().enumerate() {
                if values[..i].iter().any(|w| w.same(v)) {
                    let n = &values_node.as_list()?[i];
                    return Err(Diagnostic::new(format!("the value {v} is listed twice in `{name}`"), n.span));
                }
            }
            Domain::choice(values).map_err(|e| at(e, values_node))?
        }
        "int" | "float" => {
            let low_node = f.require("low")?;
            let high_node = f.require("high")?;
            let log = f.or("log", false, Node::as_bool)?;
            let bits_node = f.get("bits");
            let bits = bits_node.map(|b| b.as_usize().map(|b| b.min(u32::MAX as usize) as u32)).transpose()?;
            let result = if ty == "int" {
                Domain::int(low_node.as_i64()?, high_node.as_i64()?, log, bits)
            } else {
                Domain::float(low_node.as_f64()?, high_node.as_f64()?, log, bits)
            };
            result.map_err(|e| {
                let n = match e {
                    SpaceError::Inverted { .. } => high_node,
                    SpaceError::ZeroBits | SpaceError::TooManyBits { .. } | SpaceError::IntBitsExceedRange { .. } => {
                        bits_node.unwrap_or(node)
                    }
                    _ => low_node,
                };
                at(e, n)
            })?
        }
        other => {
            let mut d = Diagnostic::new(format!("unknown parameter type `{other}`"), ty_node.span);
            d.help = did_you_mean(other, PARAM_TYPES.iter().copied())
                .or_else(|| Some(format!("parameter types are: {}", PARAM_TYPES.join(", "))));
            return Err(d);
        }
    };
    let when = f.opt("when", |n| condition(n, name, earlier))?;
    f.finish(PARAM_KEYS)?;
    Ok(Param { name: name.to_owned(), domain, when })
}

fn condition(node: &Node, name: &str, earlier: &[Param]) -> Result<Condition, Diagnostic> {
    let entries = node.as_map()?;
    let [(key, value)] = entries else {
        return Err(Diagnostic::new(
            format!("`when` takes one `parameter: value` pair, found {}", entries.len()),
            node.span,
        ));
    };
    let Some(parent) = earlier.iter().find(|p| p.name == key.name) else {
        let mut d = Diagnostic::new(
            format!("`{name}` depends on `{}`, which is not a parameter declared before it", key.name),
            key.span,
        );
        d.help = did_you_mean(&key.name, earlier.iter().map(|p| p.name.as_str()));
        return Err(d);
    };
    let v = scalar(value)?;
    if parent.domain.index_of(&v).is_none() {
        return Err(Diagnostic::new(format!("`{}` never takes the value {v}", key.name), value.span));
    }
    Ok(Condition { param: key.name.clone(), value: v })
}

fn scalar(node: &Node) -> Result<ParamValue, Diagnostic> {
    match &node.value {
        Value::Bool(b) => Ok(ParamValue::Bool(*b)),
        Value::Int(i) => Ok(ParamValue::Int(*i)),
        Value::Float(x) => Ok(ParamValue::Float(*x)),
        Value::Str(s) => Ok(ParamValue::Str(s.clone())),
        _ => Err(Diagnostic::new(format!("expected a number, string or boolean, found {}", node.kind()), node.span)),
    }
}

/// Reads `objective:`.
pub fn objective(node: &Node) -> Result<ObjectiveSpec, Diagnostic> {
    let mut f = Fields::new(node, "the objective")?;
    let ty_node = f.require("type")?;
    let direction = f.or("direction", Direction::Minimize, direction)?;
    let (kind, known): (ObjectiveKind, &[&str]) = match ty_node.as_str()? {
        "tree_polynomial" => {
            let table = f.require("table")?.as_str()?.into();
            let noise = f.opt("noise", non_negative)?;
            (ObjectiveKind::TreePolynomial { table, noise }, &["type", "direction", "table", "noise"])
        }
        "sparse_polynomial" => {
            let n = f.require("n")?.as_positive()?;
            let terms_node = f.require("terms")?;
            let terms = terms_node.as_list()?.iter().map(|t| term(t, n)).collect::<Result<_, _>>()?;
            let noise = f.or("noise", 0.0, non_negative)?;
            (ObjectiveKind::SparsePolynomial { n, terms, noise }, &["type", "direction", "n", "terms", "noise"])
        }
        "command" => (ObjectiveKind::Command(super::command::read(&mut f)?), super::command::COMMAND_KEYS),
        "sgd" => (ObjectiveKind::Sgd(experiment::sgd_objective(&mut f)?), experiment::sgd_objective_keys()),
        other => return Err(unknown_kind("objective type", other, ty_node, ObjectiveKind::NAMES)),
    };
    f.finish(known)?;
    Ok(ObjectiveSpec { kind, direction })
}

/// An unknown name among `names`, with a suggestion.
pub fn unknown_kind(what: &str, other: &str, node: &Node, names: &[&str]) -> Diagnostic {
    let mut d = Diagnostic::new(format!("unknown {what} `{other}`"), node.span);
    d.help = did_you_mean(other, names.iter().copied()).or_else(|| Some(format!("known: {}", names.join(", "))));
    d
}

fn direction(node: &Node) -> Result<Direction, Diagnostic> {
    match node.as_str()? {
        "minimize" => Ok(Direction::Minimize),
        "maximize" => Ok(Direction::Maximize),
        other => Err(unknown_kind("direction", other, node, &["minimize", "maximize"])),
    }
}

/// A finite number checked against a rule, with the rule named in the error.
pub fn number(node: &Node, ok: impl Fn(f64) -> bool, rule: &str) -> Result<f64, Diagnostic> {
    let x = node.as_f64()?;
    if x.is_finite() && ok(x) {
        Ok(x)
    } else {
        Err(Diagnostic::new(format!("expected {rule}, found `{x}`"), node.span))
    }
}

/// A finite number >= 0.
pub fn non_negative(node: &Node) -> Result<f64, Diagnostic> {
    number(node, |x| x >= 0.0, "a number >= 0")
}

/// A finite number > 0.
pub fn positive(node: &Node) -> Result<f64, Diagnostic> {
    number(node, |x| x > 0.0, "a number > 0")
}

fn term(node: &Node, n: usize) -> Result<Term, Diagnostic> {
    let mut f = Fields::new(node, "a term")?;
    let w = f.require("w")?.as_f64()?;
    let s = f.require("S")?;
    let mut bits = Vec::new();
    for b in s.as_list()? {
        let i = b.as_usize()?;
        if i >= n {
            return Err(Diagnostic::new(format!("bit {i} is out of range for n = {n}"), b.span));
        }
        bits.push(i);
    }
    f.finish(&["w", "S"])?;
    Ok(Term { w, bits })
}

/// Reads `optimizer:`.
pub fn optimizer(node: &Node) -> Result<OptimizerSpec, Diagnostic> {
    let mut f = Fields::new(node, "the optimizer")?;
    let ty_node = f.require("type")?;
    match ty_node.as_str()? {
        "harmonica" => {
            let d = HarmonicaSpec::default();
            let spec = HarmonicaSpec {
                stages: f.or("stages", d.stages, Node::as_usize)?,
                samples: f.or("samples", d.samples, Node::as_positive)?,
                degree: f.or("degree", d.degree, Node::as_positive)?,
                terms: f.or("terms", d.terms, Node::as_positive)?,
                alpha: f.or("alpha", d.alpha, positive)?,
                keep: f.or("keep", d.keep, Node::as_positive)?,
                max_bits: f.or("max_bits", d.max_bits, max_bits)?,
                solver: f.or("solver", d.solver, solver)?,
                base: f.or("base", d.base, base)?,
            };
            f.finish(HARMONICA_KEYS)?;
            Ok(OptimizerSpec::Harmonica(spec))
        }
        other if BaseSpec::NAMES.contains(&other) && other != "none" => {
            Ok(OptimizerSpec::Baseline(base_fields(other, f, ty_node)?))
        }
        other => Err(unknown_kind("optimizer type", other, ty_node, OPTIMIZER_TYPES)),
    }
}

fn max_bits(node: &Node) -> Result<usize, Diagnostic> {
    match node.as_positive()? {
        b if b <= 30 => Ok(b),
        b => Err(Diagnostic::new(format!("max_bits is at most 30 (2^30 settings), found `{b}`"), node.span)),
    }
}

fn solver(node: &Node) -> Result<Solver, Diagnostic> {
    match node.as_str()? {
        "fast" => Ok(Solver::Fast),
        "linfa" => Ok(Solver::Linfa),
        other => Err(unknown_kind("solver", other, node, &["fast", "linfa"])),
    }
}

/// Reads a base algorithm (`base:` of Harmonica).
pub fn base(node: &Node) -> Result<BaseSpec, Diagnostic> {
    if let Value::Str(s) = &node.value {
        if s == "none" {
            return Ok(BaseSpec::None);
        }
    }
    let mut f = Fields::new(node, "the base algorithm")?;
    let ty_node = f.require("type")?;
    let ty = ty_node.as_str()?;
    base_fields(ty, f, ty_node)
}

fn base_fields(ty: &str, mut f: Fields, ty_node: &Node) -> Result<BaseSpec, Diagnostic> {
    let (spec, known): (BaseSpec, &[&str]) = match ty {
        "none" => (BaseSpec::None, &["type"]),
        "random" => (BaseSpec::Random { evaluations: f.require("evaluations")?.as_usize()? }, &["type", "evaluations"]),
        "successive_halving" => {
            let max_budget = f.require("max_budget").and_then(positive)?;
            let spec = BaseSpec::SuccessiveHalving {
                configs: f.require("configs")?.as_positive()?,
                min_budget: f.or("min_budget", 1.0, positive)?,
                max_budget,
                eta: f.or("eta", 3.0, eta)?,
            };
            (spec, &["type", "configs", "min_budget", "max_budget", "eta"])
        }
        "hyperband" => {
            let spec = BaseSpec::Hyperband {
                max_budget: f.require("max_budget").and_then(positive)?,
                eta: f.or("eta", 3.0, eta)?,
            };
            (spec, &["type", "max_budget", "eta"])
        }
        other => return Err(unknown_kind("base algorithm", other, ty_node, BaseSpec::NAMES)),
    };
    f.finish(known)?;
    Ok(spec)
}

fn eta(node: &Node) -> Result<f64, Diagnostic> {
    let x = node.as_f64()?;
    if x > 1.0 && x.is_finite() {
        Ok(x)
    } else {
        Err(Diagnostic::new(format!("eta must be greater than 1, found `{x}`"), node.span))
    }
}

/// A number from 0 to 1.
pub fn fraction(node: &Node) -> Result<f64, Diagnostic> {
    let x = node.as_f64()?;
    if (0.0..=1.0).contains(&x) {
        Ok(x)
    } else {
        Err(Diagnostic::new(format!("expected a fraction from 0 to 1, found `{x}`"), node.span))
    }
}
