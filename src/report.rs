//! Renders a finished run: the JSON object of `harmonica run --json` and the
//! readable summary.

use std::fmt::Write as _;

use serde_json::{json, Map, Value};

use crate::harmonica::StageReport;
use crate::runner::{Prepared, RunResult};
use crate::space::{BitOwner, Space};
use crate::study::{BaseSpec, OptimizerSpec};

/// What a stage fixed, in the user's terms: whole parameters by value, lone bits by sign.
pub fn fixed_named(space: &Space, fixed: &[(usize, i8)]) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut done = vec![false; space.params().len()];
    for &(bit, sign) in fixed {
        match space.layout().get(bit) {
            Some(BitOwner::Param { param, .. }) => {
                if done[*param] {
                    continue;
                }
                match space.value_from_bits(*param, fixed) {
                    Some(v) => {
                        done[*param] = true;
                        out.push((space.params()[*param].name.clone(), v.to_json()));
                    }
                    None => out.push((space.bit_name(bit), sign.into())),
                }
            }
            _ => out.push((space.bit_name(bit), sign.into())),
        }
    }
    out
}

fn stage_json(space: &Space, r: &StageReport) -> Value {
    let terms: Vec<Value> =
        r.terms.iter().map(|t| json!({"coef": t.coef, "monomial": space.monomial_name(&t.bits)})).collect();
    let fixed: Map<String, Value> = fixed_named(space, r.fixed()).into_iter().collect();
    json!({
        "stage": r.stage,
        "samples": r.samples,
        "failed": r.failed,
        "free_bits": r.free_bits,
        "features": r.features,
        "alpha": r.alpha,
        "nonzeros": r.nonzeros,
        "intercept": r.intercept,
        "terms": terms,
        "fixed": fixed,
        "predicted": r.settings.first().map(|s| s.predicted + r.intercept),
        "best_so_far": r.best.map(|(_, l)| l),
    })
}

/// The `--json` object.
pub fn to_json(prepared: &Prepared, result: &RunResult, workers: usize) -> Value {
    let space = &prepared.space;
    let trials = result.engine.trials();
    let failed = trials.iter().filter(|t| t.loss().is_none()).count();
    let best = result.best(prepared).map(|(t, config, value)| {
        let params: Map<String, Value> = space.named(&config).map(|(k, v)| (k.to_owned(), v.to_json())).collect();
        json!({
            "value": value,
            "params": params,
            "trial": t.request.id,
            "noise_free": prepared.objective.noise_free(&t.request.bits),
        })
    });
    json!({
        "study": prepared.study.name,
        "seed": prepared.study.seed,
        "bits": space.n_bits(),
        "evaluations": trials.len(),
        "failed": failed,
        "best": best,
        "stages": result.engine.reports().iter().map(|r| stage_json(space, r)).collect::<Vec<_>>(),
        "base": base_name(&prepared.study.optimizer),
        "timing": {
            "workers": workers,
            "total_seconds": result.elapsed.as_secs_f64(),
            "fit_seconds": result.fit_times.iter().map(|d| d.as_secs_f64()).collect::<Vec<_>>(),
        },
    })
}

fn base_name(opt: &OptimizerSpec) -> &'static str {
    let base = match opt {
        OptimizerSpec::Harmonica(h) => &h.base,
        OptimizerSpec::Baseline(b) => b,
    };
    match base {
        BaseSpec::None => "none",
        BaseSpec::Random { .. } => "random",
        BaseSpec::SuccessiveHalving { .. } => "successive_halving",
        BaseSpec::Hyperband { .. } => "hyperband",
    }
}

/// The readable account of one stage.
pub fn stage_text(space: &Space, r: &StageReport) -> String {
    let mut s = format!(
        "Stage {}: {} samples ({} failed), {} features over {} free bits, {} nonzero (alpha {})\n",
        r.stage + 1,
        r.samples,
        r.failed,
        r.features,
        r.free_bits,
        r.nonzeros,
        r.alpha
    );
    if r.terms.is_empty() {
        s.push_str("  nothing learned: the Lasso kept no term; no bits fixed\n");
    }
    for (i, t) in r.terms.iter().enumerate() {
        let label = if i == 0 { "recovered" } else { "" };
        let _ = writeln!(s, "  {label:<10}{:>+12.4}  {}", t.coef, space.monomial_name(&t.bits));
    }
    let fixed = fixed_named(space, r.fixed());
    if !fixed.is_empty() {
        let list: Vec<String> = fixed.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        let _ = writeln!(s, "  {:<10}{}", "fixed", list.join(", "));
    } else if r.settings.len() > 1 {
        let _ = writeln!(s, "  {:<10}{} settings kept for the next stage", "kept", r.settings.len());
    }
    if let Some((id, loss)) = r.best {
        let _ = writeln!(s, "  {:<10}{loss:.4} (trial {id})", "best");
    }
    s
}

/// The summary printed after a run.
pub fn summary(prepared: &Prepared, result: &RunResult) -> String {
    let mut s = String::new();
    let space = &prepared.space;
    let trials = result.engine.trials().len();
    match result.best(prepared) {
        Some((t, config, value)) => {
            let _ = write!(s, "Best: {value:.4} at trial {}", t.request.id);
            if let Some(clean) = prepared.objective.noise_free(&t.request.bits) {
                let _ = write!(s, " (noise-free {clean:.3})");
            }
            s.push('\n');
            let params: Vec<String> = space.named(&config).map(|(k, v)| format!("{k} = {v}")).collect();
            for chunk in params.chunks(8) {
                let _ = writeln!(s, "  {}", chunk.join(", "));
            }
        }
        None => s.push_str("Best: no trial succeeded\n"),
    }
    let failed = result.engine.trials().iter().filter(|t| t.loss().is_none()).count();
    let _ = writeln!(s, "{trials} evaluations ({failed} failed) in {:.2} s", result.elapsed.as_secs_f64());
    s.push_str(&failures_text(result.engine.trials(), 10));
    s
}

/// The first `max` failed trials with their reasons, and how many more there are.
pub fn failures_text(trials: &[crate::harmonica::Trial], max: usize) -> String {
    let failed: Vec<(usize, &str)> = trials
        .iter()
        .filter_map(|t| match &t.outcome {
            Some(crate::harmonica::Outcome::Failed(reason)) => Some((t.request.id, reason.as_str())),
            _ => None,
        })
        .collect();
    let mut s = String::new();
    for (id, reason) in failed.iter().take(max) {
        let _ = writeln!(s, "  trial {id} failed: {reason}");
    }
    if failed.len() > max {
        let _ = writeln!(s, "  ... and {} more failed trials", failed.len() - max);
    }
    s
}

/// Trials as a JSON list: id, phase, budget, value or failure, parameters.
pub fn trials_json(prepared: &Prepared, trials: &[&crate::harmonica::Trial]) -> Value {
    let rows: Vec<Value> = trials
        .iter()
        .map(|t| {
            let config = prepared.space.decode(&t.request.bits);
            let params: Map<String, Value> =
                prepared.space.named(&config).map(|(k, v)| (k.to_owned(), v.to_json())).collect();
            let (value, error) = match &t.outcome {
                Some(crate::harmonica::Outcome::Value(l)) => (json!(prepared.value(*l)), Value::Null),
                Some(crate::harmonica::Outcome::Failed(why)) => (Value::Null, json!(why)),
                None => (Value::Null, Value::Null),
            };
            json!({"trial": t.request.id, "phase": phase_label(t.phase), "budget": t.request.budget,
                   "value": value, "error": error, "params": params})
        })
        .collect();
    Value::Array(rows)
}

/// Trials as CSV: one column per parameter.
pub fn trials_csv(prepared: &Prepared, trials: &[&crate::harmonica::Trial]) -> String {
    let names: Vec<&str> = prepared.space.params().iter().map(|p| p.name.as_str()).collect();
    let mut s = format!("trial,phase,budget,value,error,{}\n", names.join(","));
    for t in trials {
        let config = prepared.space.decode(&t.request.bits);
        let (value, error) = match &t.outcome {
            Some(crate::harmonica::Outcome::Value(l)) => (prepared.value(*l).to_string(), String::new()),
            Some(crate::harmonica::Outcome::Failed(why)) => (String::new(), csv_field(why)),
            None => (String::new(), String::new()),
        };
        let cells: Vec<String> =
            config.0.iter().map(|v| v.as_ref().map_or(String::new(), |v| csv_field(&v.to_arg()))).collect();
        let budget = t.request.budget.map_or(String::new(), |b| b.to_string());
        let _ = writeln!(s, "{},{},{budget},{value},{error},{}", t.request.id, phase_label(t.phase), cells.join(","));
    }
    s
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// A trial's phase in words: `stage 2`, `base 1.3`.
pub fn phase_label(p: crate::harmonica::Phase) -> String {
    match p {
        crate::harmonica::Phase::Stage(k) => format!("stage {}", k + 1),
        crate::harmonica::Phase::Base { bracket, rung } => format!("base {}.{}", bracket + 1, rung + 1),
    }
}
