//! One way to render every error about a study: `error: ...`, `--> file:line:col`,
//! the source line, a caret under the spot, and a `help:` line when there is one.

use std::fmt::Write as _;

/// A byte range in a source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    /// First byte (inclusive).
    pub start: usize,
    /// Last byte (exclusive).
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end` (bytes).
    pub fn new(start: usize, end: usize) -> Self {
        Self { start, end: end.max(start) }
    }
}

/// An error located in a study source, with an optional hint.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// What is wrong, in words.
    pub message: String,
    /// Where; `None` for whole-file problems.
    pub span: Option<Span>,
    /// A suggestion, e.g. "did you mean `degree`?".
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn new(message: impl Into<String>, span: Span) -> Self {
        Self { message: message.into(), span: Some(span), help: None }
    }

    /// An error about the whole input.
    pub fn global(message: impl Into<String>) -> Self {
        Self { message: message.into(), span: None, help: None }
    }

    /// Adds a hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Renders against the source it points into.
    pub fn render(&self, file: &str, source: &str) -> String {
        let mut out = format!("error: {}\n", self.message);
        match self.span {
            Some(span) => render_snippet(&mut out, file, source, span),
            None => {
                let _ = writeln!(out, " --> {file}");
            }
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "  = help: {help}");
        }
        out
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(source, offset.min(source.len()));
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, source[line_start..offset].chars().count() + 1)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn render_snippet(out: &mut String, file: &str, source: &str, span: Span) {
    let start = floor_char_boundary(source, span.start.min(source.len()));
    let (line, col) = line_col(source, start);
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[start..].find('\n').map_or(source.len(), |i| start + i);
    let text = source[line_start..line_end].trim_end_matches('\r');
    let end = floor_char_boundary(source, span.end.clamp(start, line_end));
    let width = source[start..end].chars().count().max(1);
    let gutter = line.to_string().len();
    let pad = " ".repeat(gutter);
    // Tabs keep their width in the caret line so the caret lands under the spot.
    let lead: String = source[line_start..start].chars().map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
    let _ = writeln!(out, "{pad}--> {file}:{line}:{col}");
    let _ = writeln!(out, "{pad} |");
    let _ = writeln!(out, "{line} | {text}");
    let _ = writeln!(out, "{pad} | {lead}{}", "^".repeat(width));
}

/// The closest candidate to `word` within edit distance 2 (or 3 for long words).
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = if word.chars().count() > 6 { 3 } else { 2 };
    candidates
        .into_iter()
        .map(|c| (levenshtein(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// A `help` text naming the suggestion, if any.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    suggest(word, candidates).map(|s| format!("did you mean `{s}`?"))
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb { prev } else { 1 + prev.min(row[j]).min(row[j + 1]) };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_caret_under_span() {
        let src = "a: 1\nbad: 2\n";
        let d = Diagnostic::new("unknown key `bad`", Span::new(5, 8)).with_help("did you mean `bar`?");
        assert_eq!(
            d.render("f.yaml", src),
            "error: unknown key `bad`\n --> f.yaml:2:1\n  |\n2 | bad: 2\n  | ^^^\n  = help: did you mean `bar`?\n"
        );
    }

    #[test]
    fn suggestions_only_when_close() {
        assert_eq!(suggest("degre", ["degree", "terms"]), Some("degree"));
        assert_eq!(suggest("xyz", ["degree", "terms"]), None);
        assert_eq!(suggest("smaples", ["samples"]), Some("samples"));
    }
}
