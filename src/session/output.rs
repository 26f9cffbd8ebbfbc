//! What a session input produces: a MIME bundle, always with `text/plain`.

use std::fmt::Write as _;

/// MIME type of plain text.
pub const TEXT: &str = "text/plain";
/// MIME type of HTML.
pub const HTML: &str = "text/html";
/// MIME type of SVG.
pub const SVG: &str = "image/svg+xml";

/// A MIME bundle: the same result in several representations.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outputs {
    bundle: Vec<(&'static str, String)>,
    /// Text for standard output (what `print` writes), shown before the result.
    stdout: String,
    /// Text for standard error (warnings), shown before the result.
    stderr: String,
    /// Further displays shown after the result (one chart each), in order.
    displays: Vec<Outputs>,
}

impl Outputs {
    /// Plain text only.
    pub fn text(text: impl Into<String>) -> Self {
        Self { bundle: vec![(TEXT, text.into())], ..Self::default() }
    }

    /// Nothing to show.
    pub fn empty() -> Self {
        Self::text("")
    }

    /// Adds (or replaces) one representation.
    pub fn with(mut self, mime: &'static str, data: impl Into<String>) -> Self {
        self.bundle.retain(|(m, _)| *m != mime);
        self.bundle.push((mime, data.into()));
        self
    }

    /// Adds text for standard output.
    pub fn with_stdout(mut self, text: impl AsRef<str>) -> Self {
        self.stdout.push_str(text.as_ref());
        self
    }

    /// Adds text for standard error (a warning).
    pub fn with_stderr(mut self, text: impl AsRef<str>) -> Self {
        self.stderr.push_str(text.as_ref());
        self
    }

    /// Adds a display shown after the result (a chart with its text stand-in).
    pub fn with_display(mut self, display: Outputs) -> Self {
        self.displays.push(display);
        self
    }

    /// The displays shown after the result.
    pub fn displays(&self) -> &[Outputs] {
        &self.displays
    }

    /// What the input wrote to standard output.
    pub fn stdout(&self) -> &str {
        &self.stdout
    }

    /// What the input wrote to standard error.
    pub fn stderr(&self) -> &str {
        &self.stderr
    }

    /// The plain-text representation.
    pub fn plain(&self) -> &str {
        self.get(TEXT).unwrap_or("")
    }

    /// One representation, if present.
    pub fn get(&self, mime: &str) -> Option<&str> {
        self.bundle.iter().find(|(m, _)| *m == mime).map(|(_, d)| d.as_str())
    }

    /// Every (MIME type, data) pair.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.bundle.iter().map(|(m, d)| (*m, d.as_str()))
    }

    /// Appends another bundle's text (and HTML, when both have it) after this one's.
    pub fn then(self, next: Outputs) -> Outputs {
        let text = join(self.plain(), next.plain());
        let mut out = Outputs::text(text);
        if let (Some(a), Some(b)) = (self.get(HTML), next.get(HTML)) {
            out = out.with(HTML, format!("{a}\n{b}"));
        } else if let Some(h) = next.get(HTML).or(self.get(HTML)) {
            out = out.with(HTML, h.to_owned());
        }
        if let Some(svg) = next.get(SVG).or(self.get(SVG)) {
            out = out.with(SVG, svg.to_owned());
        }
        out.stdout = self.stdout + &next.stdout;
        out.stderr = self.stderr + &next.stderr;
        out.displays = self.displays.into_iter().chain(next.displays).collect();
        out
    }
}

fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_owned(),
        (_, true) => a.to_owned(),
        _ => format!("{}\n{b}", a.trim_end_matches('\n')),
    }
}

/// A table rendered both as aligned text and as HTML.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// An optional caption.
    pub caption: Option<String>,
    /// Column headers.
    pub headers: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<String>>,
    /// Columns aligned right (numbers).
    pub right: Vec<bool>,
}

impl Table {
    /// A table with these headers; columns whose header is in `numeric` align right.
    pub fn new(headers: &[&str], numeric: &[&str]) -> Self {
        Self {
            caption: None,
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
            right: headers.iter().map(|h| numeric.contains(h)).collect(),
        }
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Aligned plain text.
    pub fn text(&self) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.chars().count());
            }
        }
        let mut out = String::new();
        if let Some(c) = &self.caption {
            let _ = writeln!(out, "{c}");
        }
        let line = |cells: &[String], out: &mut String| {
            let parts: Vec<String> = cells
                .iter()
                .zip(&widths)
                .zip(&self.right)
                .map(|((c, w), r)| if *r { format!("{c:>w$}") } else { format!("{c:<w$}") })
                .collect();
            let _ = writeln!(out, "{}", parts.join("  ").trim_end());
        };
        line(&self.headers, &mut out);
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        let _ = writeln!(out, "{}", rule.join("  "));
        for row in &self.rows {
            line(row, &mut out);
        }
        out
    }

    /// An HTML table.
    pub fn html(&self) -> String {
        let mut out = String::from("<table>");
        if let Some(c) = &self.caption {
            let _ = write!(out, "<caption>{}</caption>", escape(c));
        }
        out.push_str("<thead><tr>");
        for h in &self.headers {
            let _ = write!(out, "<th>{}</th>", escape(h));
        }
        out.push_str("</tr></thead><tbody>");
        for row in &self.rows {
            out.push_str("<tr>");
            for (c, r) in row.iter().zip(&self.right) {
                let style = if *r { " style=\"text-align:right\"" } else { "" };
                let _ = write!(out, "<td{style}>{}</td>", escape(c));
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table>");
        out
    }

    /// Both representations.
    pub fn outputs(&self) -> Outputs {
        Outputs::text(self.text()).with(HTML, self.html())
    }
}

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_renders_text_and_html() {
        let mut t = Table::new(&["name", "value"], &["value"]);
        t.row(vec!["lr".into(), "0.01".into()]);
        t.row(vec!["a<b".into(), "10".into()]);
        assert_eq!(t.text(), "name  value\n----  -----\nlr     0.01\na<b      10\n");
        assert!(t.html().contains("<td>a&lt;b</td><td style=\"text-align:right\">10</td>"));
    }
}
