//! The document tree both study forms are read into before they mean anything:
//! maps, lists and scalars, each with the span it came from. YAML and the study
//! language both produce it; `analyze` alone turns it into a [`Study`](super::Study),
//! so the two forms cannot drift apart.

use super::diagnostics::{did_you_mean, Diagnostic, Span};

/// A value with its location.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Where the value was written.
    pub span: Span,
    /// The value.
    pub value: Value,
}

/// A map key with its location.
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    /// The key as written.
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

/// The values a study document holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null` or an empty value.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer literal.
    Int(i64),
    /// A number with a fraction or exponent.
    Float(f64),
    /// A string.
    Str(String),
    /// A list.
    List(Vec<Node>),
    /// A map, in the order written.
    Map(Vec<(Key, Node)>),
}

impl Node {
    /// A node at `span`.
    pub fn new(value: Value, span: Span) -> Self {
        Self { span, value }
    }

    /// What kind of value this is, in words, for error messages.
    pub fn kind(&self) -> &'static str {
        match self.value {
            Value::Null => "nothing",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::List(_) => "a list",
            Value::Map(_) => "a map",
        }
    }

    fn expected(&self, what: &str) -> Diagnostic {
        Diagnostic::new(format!("expected {what}, found {}", self.describe()), self.span)
    }

    /// The value as the user wrote it, briefly, for error messages.
    pub fn describe(&self) -> String {
        match &self.value {
            Value::Null => "nothing".into(),
            Value::Bool(b) => format!("`{b}`"),
            Value::Int(i) => format!("`{i}`"),
            Value::Float(x) => format!("`{x}`"),
            Value::Str(s) => format!("`{s}`"),
            other => Node::new(other.clone(), self.span).kind().into(),
        }
    }

    /// The map entries, or an error.
    pub fn as_map(&self) -> Result<&[(Key, Node)], Diagnostic> {
        match &self.value {
            Value::Map(m) => Ok(m),
            _ => Err(self.expected("a map of `key: value` entries")),
        }
    }

    /// The list items, or an error.
    pub fn as_list(&self) -> Result<&[Node], Diagnostic> {
        match &self.value {
            Value::List(l) => Ok(l),
            _ => Err(self.expected("a list")),
        }
    }

    /// A string, or an error.
    pub fn as_str(&self) -> Result<&str, Diagnostic> {
        match &self.value {
            Value::Str(s) => Ok(s),
            _ => Err(self.expected("a string")),
        }
    }

    /// A number (integers allowed), or an error.
    pub fn as_f64(&self) -> Result<f64, Diagnostic> {
        match self.value {
            Value::Float(x) => Ok(x),
            Value::Int(i) => Ok(i as f64),
            _ => Err(self.expected("a number")),
        }
    }

    /// An integer, or an error.
    pub fn as_i64(&self) -> Result<i64, Diagnostic> {
        match self.value {
            Value::Int(i) => Ok(i),
            Value::Float(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Ok(x as i64),
            _ => Err(self.expected("an integer")),
        }
    }

    /// A non-negative integer, or an error.
    pub fn as_usize(&self) -> Result<usize, Diagnostic> {
        let i = self.as_i64().map_err(|_| self.expected("a whole number"))?;
        usize::try_from(i).map_err(|_| Diagnostic::new(format!("expected a whole number >= 0, found `{i}`"), self.span))
    }

    /// A positive integer, or an error.
    pub fn as_positive(&self) -> Result<usize, Diagnostic> {
        match self.as_usize()? {
            0 => Err(Diagnostic::new("expected a whole number >= 1, found `0`", self.span)),
            n => Ok(n),
        }
    }

    /// A boolean, or an error.
    pub fn as_bool(&self) -> Result<bool, Diagnostic> {
        match self.value {
            Value::Bool(b) => Ok(b),
            _ => Err(self.expected("`true` or `false`")),
        }
    }
}

/// A map being read: every key must be used, so unknown keys are reported with a hint.
pub struct Fields<'a> {
    owner: &'a str,
    span: Span,
    entries: &'a [(Key, Node)],
    used: Vec<bool>,
}

impl<'a> Fields<'a> {
    /// Reads `node` as a map; `owner` names it in messages ("optimizer", "parameter `lr`").
    pub fn new(node: &'a Node, owner: &'a str) -> Result<Self, Diagnostic> {
        let entries = node.as_map().map_err(|e| Diagnostic { message: format!("{} for {owner}", e.message), ..e })?;
        for (i, (k, _)) in entries.iter().enumerate() {
            if entries[..i].iter().any(|(f, _)| f.name == k.name) {
                return Err(Diagnostic::new(format!("`{}` is given twice in {owner}", k.name), k.span));
            }
        }
        Ok(Self { owner, span: node.span, entries, used: vec![false; entries.len()] })
    }

    /// The span of the whole map.
    pub fn span(&self) -> Span {
        self.span
    }

    /// The value under `key`, if present.
    pub fn get(&mut self, key: &str) -> Option<&'a Node> {
        let i = self.entries.iter().position(|(k, _)| k.name == key)?;
        self.used[i] = true;
        Some(&self.entries[i].1)
    }

    /// The value under `key`, or an error saying it is missing.
    pub fn require(&mut self, key: &str) -> Result<&'a Node, Diagnostic> {
        self.get(key).ok_or_else(|| Diagnostic::new(format!("{} is missing `{key}`", self.owner), self.span))
    }

    /// Reads an optional value with `read`.
    pub fn opt<T>(
        &mut self,
        key: &str,
        read: impl FnOnce(&Node) -> Result<T, Diagnostic>,
    ) -> Result<Option<T>, Diagnostic> {
        self.get(key).map(read).transpose()
    }

    /// Reads a value with `read`, or `default` when absent.
    pub fn or<T>(
        &mut self,
        key: &str,
        default: T,
        read: impl FnOnce(&Node) -> Result<T, Diagnostic>,
    ) -> Result<T, Diagnostic> {
        Ok(self.opt(key, read)?.unwrap_or(default))
    }

    /// Marks `key` as read without reading it (it was consumed elsewhere).
    pub fn skip(&mut self, key: &str) {
        let _ = self.get(key);
    }

    /// Fails on the first key that no reader asked for, suggesting a near name
    /// among `known`.
    pub fn finish(self, known: &[&str]) -> Result<(), Diagnostic> {
        match self.entries.iter().zip(&self.used).find(|(_, used)| !**used) {
            None => Ok(()),
            Some(((k, _), _)) if known.contains(&k.name.as_str()) => {
                Err(Diagnostic::new(format!("`{}` does not apply to {}", k.name, self.owner), k.span))
            }
            Some(((k, _), _)) => {
                let mut d = Diagnostic::new(format!("unknown key `{}` in {}", k.name, self.owner), k.span);
                d.help = did_you_mean(&k.name, known.iter().copied())
                    .or_else(|| Some(format!("{} takes: {}", self.owner, known.join(", "))));
                Err(d)
            }
        }
    }
}
