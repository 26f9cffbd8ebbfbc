//! Reading a metric from a program's stdout: a `name=value` token anywhere on a
//! line (`epoch 3 loss=0.12 acc=0.9`), or a JSON object line (`{"loss": 0.12}`).
//! The last occurrence wins, so a program may print progress as it goes.

/// Scans stdout lines for one metric.
#[derive(Clone, Debug)]
pub struct MetricScanner {
    name: String,
    last: Option<Result<f64, String>>,
}

impl MetricScanner {
    /// A scanner for the metric called `name`.
    pub fn new(name: &str) -> Self {
        Self { name: name.to_owned(), last: None }
    }

    /// Reads one line.
    pub fn feed(&mut self, line: &str) {
        let line = line.trim();
        let json = if line.starts_with('{') { self.read_json(line) } else { None };
        let found = json.or_else(|| self.read_pairs(line));
        if found.is_some() {
            self.last = found;
        }
    }

    /// The metric's value, or why there is none.
    pub fn value(&self) -> Result<f64, String> {
        match &self.last {
            None => Err(format!("no `{}` metric on stdout (expected `{0}=<number>` or a JSON line)", self.name)),
            Some(Err(e)) => Err(e.clone()),
            Some(Ok(v)) if !v.is_finite() => Err(format!("the metric `{}` is not finite: {v}", self.name)),
            Some(Ok(v)) => Ok(*v),
        }
    }

    fn read_json(&self, line: &str) -> Option<Result<f64, String>> {
        let serde_json::Value::Object(map) = serde_json::from_str::<serde_json::Value>(line).ok()? else {
            return None;
        };
        Some(match map.get(&self.name)? {
            serde_json::Value::Number(n) => n.as_f64().ok_or_else(|| self.unparsable(&n.to_string())),
            serde_json::Value::String(s) => self.number(s),
            other => Err(self.unparsable(&other.to_string())),
        })
    }

    /// The last `name=value` (or `name: value`, `"name": value`) on the line; `name`
    /// must stand alone (`val_loss` is not `loss`). This also reads JSON that strict
    /// parsers refuse, like Python's `{"loss": NaN}`.
    fn read_pairs(&self, line: &str) -> Option<Result<f64, String>> {
        let mut found = None;
        let mut from = 0;
        while let Some(at) = line[from..].find(&self.name).map(|i| i + from) {
            from = at + self.name.len();
            let before = line[..at].chars().next_back();
            let quoted = before == Some('"');
            if before.is_some_and(is_word) {
                continue;
            }
            let mut rest = &line[from..];
            if quoted {
                let Some(r) = rest.strip_prefix('"') else { continue };
                rest = r;
            }
            let rest = rest.trim_start();
            let Some(value) = rest.strip_prefix('=').or_else(|| rest.strip_prefix(':')) else { continue };
            let token = value
                .trim_start()
                .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '}'))
                .next()
                .unwrap_or("")
                .trim_matches('"');
            found = Some(self.number(token));
        }
        found
    }

    fn number(&self, token: &str) -> Result<f64, String> {
        token.trim().parse::<f64>().map_err(|_| self.unparsable(token))
    }

    fn unparsable(&self, token: &str) -> String {
        let shown: String = token.chars().take(40).collect();
        format!("the metric `{}` is not a number: `{shown}`", self.name)
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '.' || c == '-'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(lines: &[&str]) -> Result<f64, String> {
        let mut s = MetricScanner::new("loss");
        for l in lines {
            s.feed(l);
        }
        s.value()
    }

    #[test]
    fn reads_pairs_and_json_last_wins() {
        assert_eq!(scan(&["loss=0.5", "epoch 2 loss = 0.25, acc=0.9"]), Ok(0.25));
        assert_eq!(scan(&["loss=0.5", r#"{"loss": 0.125, "acc": 1}"#]), Ok(0.125));
        assert_eq!(scan(&[r#"{"loss": "3e-2"}"#]), Ok(0.03));
        assert_eq!(scan(&["val_loss=1", "myloss=2", "loss=3 val_loss=4"]), Ok(3.0));
    }

    #[test]
    fn missing_unparsable_and_non_finite_are_errors() {
        assert!(scan(&["hello", "val_loss=1"]).unwrap_err().starts_with("no `loss` metric"));
        assert_eq!(scan(&["loss=0.1", "loss=abc"]), Err("the metric `loss` is not a number: `abc`".into()));
        assert_eq!(scan(&["loss=nan"]), Err("the metric `loss` is not finite: NaN".into()));
        assert_eq!(scan(&[r#"{"loss": null}"#]), Err("the metric `loss` is not a number: `null`".into()));
        assert_eq!(scan(&["{not json} loss=1"]), Ok(1.0));
        assert_eq!(scan(&[r#"{"loss": NaN}"#]), Err("the metric `loss` is not finite: NaN".into()));
        assert_eq!(scan(&["step 3, loss: 0.5"]), Ok(0.5));
    }
}
