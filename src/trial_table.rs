//! Renders a journal's trials for `harmonica trials` (table, CSV, JSON) and its
//! best trial for `harmonica best`. Returns text; the front end prints it.

use std::fmt::Write as _;

use serde_json::{json, Map, Value};

use crate::store::{TrialRow, TrialState};

/// Output formats of `harmonica trials`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for reading.
    Table,
    /// Comma-separated values with a header line.
    Csv,
    /// A JSON array of objects.
    Json,
}

/// Renders `rows` in `format`.
pub fn render(rows: &[TrialRow], format: Format) -> String {
    match format {
        Format::Table => table(rows),
        Format::Csv => csv(rows),
        Format::Json => {
            let items: Vec<Value> = rows.iter().map(row_json).collect();
            format!("{}\n", Value::Array(items))
        }
    }
}

fn state_name(s: &TrialState) -> &'static str {
    match s {
        TrialState::Unfinished => "unfinished",
        TrialState::Finished(_) => "finished",
        TrialState::Failed { .. } => "failed",
    }
}

fn value_of(s: &TrialState) -> Option<f64> {
    match s {
        TrialState::Finished(v) => Some(*v),
        _ => None,
    }
}

/// The parameters of a row as `name=value` text, or its bits.
fn params_text(r: &TrialRow) -> String {
    match &r.params {
        Some(p) => p.iter().map(|(k, v)| format!("{k}={}", plain(v))).collect::<Vec<_>>().join(" "),
        None => r.bits.clone(),
    }
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn budget_text(b: Option<f64>) -> String {
    b.map(|b| format!("{b}")).unwrap_or_default()
}

fn table(rows: &[TrialRow]) -> String {
    let mut s = format!(
        "{:>6}  {:<18} {:>6}  {:<10} {:>14} {:>9}  {}\n",
        "trial", "phase", "budget", "state", "value", "seconds", "params / reason"
    );
    for r in rows {
        let value = value_of(&r.state).map(|v| format!("{v:.6}")).unwrap_or_default();
        let seconds = r.seconds.map(|x| format!("{x:.3}")).unwrap_or_default();
        let _ = write!(
            s,
            "{:>6}  {:<18} {:>6}  {:<10} {value:>14} {seconds:>9}  {}",
            r.trial,
            r.phase,
            budget_text(r.budget),
            state_name(&r.state),
            params_text(r)
        );
        if let TrialState::Failed { reason, .. } = &r.state {
            let _ = write!(s, "  -- {reason}");
        }
        s.push('\n');
    }
    s
}

fn csv(rows: &[TrialRow]) -> String {
    let mut names: Vec<String> = Vec::new();
    for p in rows.iter().filter_map(|r| r.params.as_ref()) {
        for k in p.keys() {
            if !names.contains(k) {
                names.push(k.clone());
            }
        }
    }
    let mut header: Vec<String> =
        ["trial", "phase", "budget", "state", "value", "seconds", "attempts", "reason", "bits"]
            .map(String::from)
            .to_vec();
    header.extend(names.iter().cloned());
    let mut s = header.iter().map(|h| csv_field(h)).collect::<Vec<_>>().join(",") + "\n";
    for r in rows {
        let reason = match &r.state {
            TrialState::Failed { reason, .. } => reason.clone(),
            _ => String::new(),
        };
        let mut fields = vec![
            r.trial.to_string(),
            r.phase.clone(),
            budget_text(r.budget),
            state_name(&r.state).into(),
            value_of(&r.state).map(|v| v.to_string()).unwrap_or_default(),
            r.seconds.map(|x| x.to_string()).unwrap_or_default(),
            r.attempts.to_string(),
            reason,
            r.bits.clone(),
        ];
        for n in &names {
            fields.push(r.params.as_ref().and_then(|p| p.get(n)).map(plain).unwrap_or_default());
        }
        s += &(fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(",") + "\n");
    }
    s
}

/// Quotes a field when it holds a comma, quote or line break (RFC 4180).
fn csv_field(f: &str) -> String {
    if f.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.to_owned()
    }
}

/// One trial as a JSON object.
pub fn row_json(r: &TrialRow) -> Value {
    let mut o = Map::new();
    o.insert("trial".into(), r.trial.into());
    o.insert("phase".into(), r.phase.clone().into());
    o.insert("budget".into(), r.budget.map_or(Value::Null, Value::from));
    o.insert("state".into(), state_name(&r.state).into());
    o.insert("value".into(), value_of(&r.state).map_or(Value::Null, Value::from));
    o.insert("seconds".into(), r.seconds.map_or(Value::Null, Value::from));
    o.insert("attempts".into(), r.attempts.into());
    if let TrialState::Failed { reason, stderr } = &r.state {
        o.insert("reason".into(), reason.clone().into());
        o.insert("stderr".into(), stderr.clone().into());
    }
    o.insert("params".into(), r.params.clone().map_or(Value::Null, Value::Object));
    o.insert("bits".into(), r.bits.clone().into());
    Value::Object(o)
}

/// The text of `harmonica best`.
pub fn best_text(study: &str, best: Option<&TrialRow>, counts: (usize, usize)) -> String {
    let (total, failed) = counts;
    let Some(r) = best else {
        return format!("{study}: no finished trial yet ({total} trials, {failed} failed)\n");
    };
    let mut s = format!(
        "{study}: best {} at trial {} ({}{})\n",
        value_of(&r.state).map_or_else(String::new, |v| v.to_string()),
        r.trial,
        r.phase,
        r.budget.map(|b| format!(", budget {b}")).unwrap_or_default()
    );
    match &r.params {
        Some(p) => {
            for (k, v) in p {
                let _ = writeln!(s, "  {k} = {}", plain(v));
            }
        }
        None => {
            let _ = writeln!(s, "  bits {}", r.bits);
        }
    }
    let _ = writeln!(s, "{total} trials in the journal, {failed} failed");
    s
}

/// The JSON of `harmonica best --json`.
pub fn best_json(study: &str, best: Option<&TrialRow>) -> Value {
    json!({ "study": study, "best": best.map(row_json) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_it() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"x\""), "\"say \"\"x\"\"\"");
        assert_eq!(csv_field("plain"), "plain");
    }
}
