//! The `command` objective's settings: an argv template run without a shell, the
//! environment it gets, where it runs, how long it may take and how its metric is
//! read. Templates are parsed here, once, so a bad placeholder is reported with
//! the span of the string that holds it.

use std::path::PathBuf;

use super::diagnostics::{did_you_mean, Diagnostic, Span};
use super::doc::{Fields, Node};
use crate::space::Space;

/// Keys of a `command` objective.
pub const COMMAND_KEYS: &[&str] =
    &["type", "direction", "argv", "env", "workdir", "metric", "timeout", "retries", "default_budget"];

/// Placeholders that do not name parameters.
pub const BUILTIN_PLACEHOLDERS: &[&str] = &["budget", "trial", "seed"];

/// How an external program is run for one trial.
#[derive(Clone, Debug, PartialEq)]
pub struct CommandSpec {
    /// The program and its arguments; element 0 is the program.
    pub argv: Vec<Template>,
    /// Extra environment variables, their values templates.
    pub env: Vec<(String, Template)>,
    /// Where the program runs (relative to the study file); the study's directory when `None`.
    pub workdir: Option<PathBuf>,
    /// The name of the metric read from stdout.
    pub metric: String,
    /// Seconds a trial may run before its process group is killed.
    pub timeout: Option<f64>,
    /// Extra attempts for a failed trial.
    pub retries: usize,
    /// What `{budget}` becomes when a trial carries no budget (Harmonica's stages).
    pub default_budget: Option<f64>,
}

/// One piece of a template.
#[derive(Clone, Debug, PartialEq)]
pub enum Part {
    /// Text taken as is.
    Literal(String),
    /// `{name}`: a parameter, or one of [`BUILTIN_PLACEHOLDERS`].
    Placeholder(String),
}

/// A string with `{name}` placeholders; `{{` and `}}` stand for braces.
#[derive(Clone, Debug)]
pub struct Template {
    /// The text as written.
    pub text: String,
    /// The text split into literals and placeholders.
    pub parts: Vec<Part>,
    /// Where it was written (not part of the study's meaning).
    pub span: Span,
}

impl Template {
    /// Parses `text`, reporting a stray brace at `span`.
    pub fn parse(text: &str, span: Span) -> Result<Self, Diagnostic> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    lit.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    lit.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    let mut closed = false;
                    for c in chars.by_ref() {
                        if c == '}' {
                            closed = true;
                            break;
                        }
                        name.push(c);
                    }
                    if !closed || !is_name(&name) {
                        return Err(Diagnostic::new(format!("`{text}`: `{{{name}` is not a placeholder"), span)
                            .with_help("placeholders look like `{lr}`; write `{{` and `}}` for literal braces"));
                    }
                    if !lit.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut lit)));
                    }
                    parts.push(Part::Placeholder(name));
                }
                '}' => {
                    return Err(Diagnostic::new(format!("`{text}` has a `}}` without its `{{`"), span)
                        .with_help("write `}}` for a literal brace"))
                }
                c => lit.push(c),
            }
        }
        if !lit.is_empty() || parts.is_empty() {
            parts.push(Part::Literal(lit));
        }
        Ok(Self { text: text.to_owned(), parts, span })
    }

    /// The placeholder names it uses.
    pub fn placeholders(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Placeholder(n) => Some(n.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// Fills the placeholders with `lookup`; `None` when one has no value (an
    /// inactive parameter, or no budget), so the caller can leave the item out.
    pub fn render(&self, lookup: impl Fn(&str) -> Option<String>) -> Option<String> {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Literal(s) => out.push_str(s),
                Part::Placeholder(n) => out.push_str(&lookup(n)?),
            }
        }
        Some(out)
    }
}

/// Where a template was written is not part of what it means.
impl PartialEq for Template {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.')
}

/// Reads the keys of a `command` objective (the caller has read `type` and `direction`).
pub fn read(f: &mut Fields) -> Result<CommandSpec, Diagnostic> {
    let argv_node = f.require("argv")?;
    let argv = argv_node.as_list()?.iter().map(template).collect::<Result<Vec<_>, _>>()?;
    if argv.is_empty() {
        return Err(Diagnostic::new("`argv` needs at least the program to run", argv_node.span));
    }
    if argv[0].placeholders().next().is_some() || argv[0].text.is_empty() {
        return Err(Diagnostic::new(
            "the program (the first item of `argv`) must be a plain name or path",
            argv[0].span,
        ));
    }
    let env = f.opt("env", env)?.unwrap_or_default();
    let workdir = f.opt("workdir", |n| n.as_str().map(PathBuf::from))?;
    let metric = f.require("metric").and_then(metric_name)?;
    let timeout = f.opt("timeout", seconds)?;
    let retries = f.or("retries", 0, Node::as_usize)?;
    let default_budget = f.opt("default_budget", |n| {
        let x = n.as_f64()?;
        if x.is_finite() && x > 0.0 {
            Ok(x)
        } else {
            Err(Diagnostic::new(format!("expected a budget > 0, found `{x}`"), n.span))
        }
    })?;
    Ok(CommandSpec { argv, env, workdir, metric, timeout, retries, default_budget })
}

fn template(node: &Node) -> Result<Template, Diagnostic> {
    match &node.value {
        super::doc::Value::Str(s) => Template::parse(s, node.span),
        super::doc::Value::Int(i) => Template::parse(&i.to_string(), node.span),
        super::doc::Value::Float(x) => Template::parse(&crate::space::ParamValue::Float(*x).to_arg(), node.span),
        _ => Err(Diagnostic::new(format!("expected a string, found {}", node.describe()), node.span)),
    }
}

fn env(node: &Node) -> Result<Vec<(String, Template)>, Diagnostic> {
    let mut out = Vec::new();
    for (key, value) in node.as_map()? {
        let valid = !key.name.is_empty()
            && !key.name.contains(['=', '\0'])
            && !key.name.starts_with(|c: char| c.is_ascii_digit());
        if !valid {
            return Err(Diagnostic::new(format!("`{}` is not an environment variable name", key.name), key.span));
        }
        out.push((key.name.clone(), template(value)?));
    }
    Ok(out)
}

fn metric_name(node: &Node) -> Result<String, Diagnostic> {
    let s = node.as_str()?;
    if s.is_empty() || s.contains(|c: char| c.is_whitespace() || c == '=') {
        return Err(Diagnostic::new(format!("`{s}` cannot be a metric name (no spaces or `=`)"), node.span));
    }
    Ok(s.to_owned())
}

fn seconds(node: &Node) -> Result<f64, Diagnostic> {
    let x = node.as_f64()?;
    if x.is_finite() && x > 0.0 && x < 1e9 {
        Ok(x)
    } else {
        Err(Diagnostic::new(format!("expected a number of seconds > 0, found `{x}`"), node.span))
    }
}

/// Checks that every placeholder names a parameter of `space` or a built-in one.
pub fn check_placeholders(spec: &CommandSpec, space: Option<&Space>) -> Result<(), Diagnostic> {
    let names: Vec<&str> = space.map(|s| s.params().iter().map(|p| p.name.as_str()).collect()).unwrap_or_default();
    let templates = spec.argv.iter().chain(spec.env.iter().map(|(_, t)| t));
    for t in templates {
        for p in t.placeholders() {
            if !names.contains(&p) && !BUILTIN_PLACEHOLDERS.contains(&p) {
                let known = names.iter().copied().chain(BUILTIN_PLACEHOLDERS.iter().copied());
                let mut d = Diagnostic::new(format!("`{{{p}}}` names no parameter of the space"), t.span);
                d.help = did_you_mean(p, known.clone()).or_else(|| {
                    Some(format!("placeholders: {}", known.map(|k| format!("{{{k}}}")).collect::<Vec<_>>().join(", ")))
                });
                return Err(d);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(s: &str) -> Vec<Part> {
        Template::parse(s, Span::default()).unwrap().parts
    }

    #[test]
    fn splits_literals_and_placeholders() {
        assert_eq!(
            parts("--lr={lr}x"),
            vec![Part::Literal("--lr=".into()), Part::Placeholder("lr".into()), Part::Literal("x".into())]
        );
        assert_eq!(parts("{{a}}"), vec![Part::Literal("{a}".into())]);
        assert_eq!(parts(""), vec![Part::Literal(String::new())]);
    }

    #[test]
    fn stray_braces_are_errors() {
        assert!(Template::parse("{lr", Span::default()).is_err());
        assert!(Template::parse("a}b", Span::default()).is_err());
        assert!(Template::parse("{}", Span::default()).is_err());
        assert!(Template::parse("{a b}", Span::default()).is_err());
    }

    #[test]
    fn render_is_none_when_a_value_is_missing() {
        let t = Template::parse("--m={m}", Span::default()).unwrap();
        assert_eq!(t.render(|n| (n == "m").then(|| "0.9".into())), Some("--m=0.9".into()));
        assert_eq!(t.render(|_| None), None);
    }
}
