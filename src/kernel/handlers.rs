//! The content of the kernel's replies, computed from the session. No sockets:
//! these turn a request's content into a reply's content.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::wire::{flag, str_field, PROTOCOL_VERSION};
use crate::session::{Completeness, Outputs, Session, SessionError};

/// The `kernel_info_reply` content.
pub fn kernel_info() -> Value {
    json!({
        "status": "ok",
        "protocol_version": PROTOCOL_VERSION,
        "implementation": "harmonica",
        "implementation_version": env!("CARGO_PKG_VERSION"),
        "language_info": {
            "name": "harmonica",
            "version": env!("CARGO_PKG_VERSION"),
            "mimetype": "text/x-harmonica",
            "file_extension": ".study",
            "codemirror_mode": "yaml",
            "pygments_lexer": "yaml",
        },
        "banner": format!(
            "Harmonica {}: hyperparameter optimization with the spectral method. `help` lists the commands.",
            env!("CARGO_PKG_VERSION")
        ),
        "help_links": [],
        "debugger": false,
    })
}

/// The byte offset of the `chars`-th code point (Jupyter counts cursors in code points).
pub fn byte_offset(code: &str, chars: usize) -> usize {
    code.char_indices().nth(chars).map_or(code.len(), |(i, _)| i)
}

/// The number of code points before byte offset `byte`.
pub fn char_offset(code: &str, byte: usize) -> usize {
    code.get(..byte).map_or_else(|| code.chars().count(), |s| s.chars().count())
}

/// The cursor of a request, in bytes (the end of the code when absent or out of range).
fn cursor(content: &Value, code: &str) -> usize {
    let chars = content.get("cursor_pos").and_then(Value::as_u64).map_or(usize::MAX, |c| c as usize);
    byte_offset(code, chars)
}

/// The `complete_reply` content.
pub fn complete(session: &Session, content: &Value) -> Value {
    let code = str_field(content, "code");
    let at = cursor(content, code);
    let (start, matches) = session.complete(code, at);
    json!({
        "status": "ok",
        "matches": matches,
        "cursor_start": char_offset(code, start),
        "cursor_end": char_offset(code, at),
        "metadata": {},
    })
}

/// The `inspect_reply` content.
pub fn inspect(session: &Session, content: &Value) -> Value {
    let code = str_field(content, "code");
    match session.inspect(code, cursor(content, code)) {
        Some(text) => json!({"status": "ok", "found": true, "data": {"text/plain": text}, "metadata": {}}),
        None => json!({"status": "ok", "found": false, "data": {}, "metadata": {}}),
    }
}

/// The `is_complete_reply` content.
pub fn is_complete(session: &Session, content: &Value) -> Value {
    match session.completeness(str_field(content, "code")) {
        Completeness::Complete => json!({"status": "complete"}),
        Completeness::Incomplete => json!({"status": "incomplete", "indent": "  "}),
        Completeness::Invalid => json!({"status": "invalid"}),
    }
}

/// The session number history entries carry (one session per kernel).
const HISTORY_SESSION: u64 = 1;

/// The `history_reply` content: `tail`, `range` and `search` (glob) over the
/// session's inputs; with `output`, each entry is `[input, output]`.
pub fn history(session: &Session, outputs: &HashMap<usize, String>, content: &Value) -> Value {
    let access = content.get("hist_access_type").and_then(Value::as_str).unwrap_or("tail");
    let n = content.get("n").and_then(Value::as_u64).map(|n| n as usize);
    let all = session.history();
    let mut picked: Vec<_> = match access {
        "range" => {
            let start = content.get("start").and_then(Value::as_u64).unwrap_or(0) as usize;
            let stop = content.get("stop").and_then(Value::as_u64).map_or(usize::MAX, |s| s as usize);
            all.iter().filter(|h| h.count >= start && h.count < stop).collect()
        }
        "search" => {
            let pattern = content.get("pattern").and_then(Value::as_str).unwrap_or("*");
            let mut found: Vec<_> = all.iter().filter(|h| glob(pattern, &h.input)).collect();
            if flag(content, "unique") {
                let mut seen = std::collections::HashSet::new();
                found.reverse();
                found.retain(|h| seen.insert(h.input.clone()));
                found.reverse();
            }
            found
        }
        _ => all.iter().collect(),
    };
    if access != "range" {
        if let Some(n) = n {
            picked.drain(..picked.len().saturating_sub(n));
        }
    }
    let with_output = flag(content, "output");
    let entries: Vec<Value> = picked
        .iter()
        .map(|h| {
            let input = if with_output { json!([h.input, outputs.get(&h.count)]) } else { json!(h.input) };
            json!([HISTORY_SESSION, h.count, input])
        })
        .collect();
    json!({"status": "ok", "history": entries})
}

/// Whether `text` matches a glob `pattern` (`*` any run, `?` one character),
/// the way IPython's history search matches.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Classic two-pointer match with backtracking to the last star.
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < t.len() {
        if i < p.len() && (p[i] == '?' || p[i] == t[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

/// The `error` content for a failed input: the rendered diagnostic is the traceback.
pub fn error_content(e: &SessionError) -> Value {
    let rendered = e.render();
    let traceback: Vec<&str> = rendered.trim_end().lines().collect();
    json!({"ename": "Error", "evalue": e.message(), "traceback": traceback})
}

/// The MIME bundle of an input's result as a `data` object.
pub fn data(outputs: &Outputs) -> Value {
    let mut map = serde_json::Map::new();
    for (mime, text) in outputs.iter() {
        map.insert(mime.to_owned(), Value::String(text.to_owned()));
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_offsets_convert_between_code_points_and_bytes() {
        let code = "fix µ = 1 # ünïcode";
        assert_eq!(byte_offset(code, 5), 6);
        assert_eq!(char_offset(code, 6), 5);
        assert_eq!(byte_offset(code, 1000), code.len());
        assert_eq!(char_offset(code, code.len()), code.chars().count());
    }

    #[test]
    fn completion_reports_code_point_positions() {
        let s = Session::new();
        let reply = complete(&s, &json!({"code": "é\nst", "cursor_pos": 4}));
        assert_eq!(reply["cursor_start"], 2);
        assert_eq!(reply["cursor_end"], 4);
        let matches: Vec<&str> = reply["matches"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        assert!(matches.contains(&"step"), "{reply}");
    }

    #[test]
    fn is_complete_has_three_answers() {
        let s = Session::new();
        assert_eq!(is_complete(&s, &json!({"code": "step"}))["status"], "complete");
        assert_eq!(is_complete(&s, &json!({"code": "florp"}))["status"], "invalid");
        assert_eq!(is_complete(&s, &json!({"code": "space {\n  batch: {16, 32"}))["status"], "incomplete");
        assert_eq!(is_complete(&s, &json!({}))["status"], "complete");
    }

    #[test]
    fn glob_matches_like_ipython() {
        assert!(glob("help*", "help fix"));
        assert!(glob("*fix", "help fix"));
        assert!(glob("h?lp*x", "help fix"));
        assert!(!glob("help", "help fix"));
        assert!(!glob("*run*", "help fix"));
    }

    #[test]
    fn history_tail_search_and_range() {
        let mut s = Session::new();
        for code in ["help fix", "help step", "help fix"] {
            let _ = s.execute(code);
        }
        let outputs = HashMap::from([(1, "out".to_owned())]);
        let tail = history(&s, &outputs, &json!({"hist_access_type": "tail", "n": 2, "output": true}));
        assert_eq!(tail["history"], json!([[1, 2, ["help step", null]], [1, 3, ["help fix", null]]]));
        let search =
            history(&s, &outputs, &json!({"hist_access_type": "search", "pattern": "help f*", "unique": true}));
        assert_eq!(search["history"], json!([[1, 3, "help fix"]]));
        let range = history(&s, &outputs, &json!({"hist_access_type": "range", "start": 1, "stop": 2, "output": true}));
        assert_eq!(range["history"], json!([[1, 1, ["help fix", "out"]]]));
    }
}
