//! YAML text -> the document tree, with every node's span kept.
//!
//! `saphyr` is used because it is the maintained successor of `yaml-rust2` and
//! exposes a node tree with positions (`MarkedYaml`), which serde-based loaders
//! drop: every error about a study must point at the line and column it is about.

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

use super::diagnostics::{Diagnostic, Span};
use super::doc::{Key, Node, Value};

/// Parses YAML into the document tree.
pub fn parse(source: &str) -> Result<Node, Diagnostic> {
    let offsets = CharOffsets::new(source);
    let docs = MarkedYaml::load_from_str(source).map_err(|e| {
        // At the end of the text, point just after its last character, not at an empty line.
        let at = offsets.byte(e.marker().index()).min(source.trim_end().len());
        Diagnostic::new(format!("invalid YAML: {}", e.info()), Span::new(at, at + 1))
    })?;
    let mut docs = docs.into_iter();
    let first = docs.next().ok_or_else(|| Diagnostic::global("the study file is empty"))?;
    if let Some(second) = docs.next() {
        let at = offsets.byte(second.span.start.index());
        return Err(Diagnostic::new("a study file holds one YAML document, found a second", Span::new(at, at + 1)));
    }
    convert(&first, &offsets)
}

/// Maps saphyr's character indices to byte offsets.
struct CharOffsets(Vec<usize>);

impl CharOffsets {
    fn new(source: &str) -> Self {
        let mut v: Vec<usize> = source.char_indices().map(|(i, _)| i).collect();
        v.push(source.len());
        Self(v)
    }

    fn byte(&self, char_index: usize) -> usize {
        self.0.get(char_index).copied().unwrap_or_else(|| self.0.last().copied().unwrap_or(0))
    }

    fn span(&self, node: &MarkedYaml) -> Span {
        Span::new(self.byte(node.span.start.index()), self.byte(node.span.end.index()))
    }
}

fn convert(node: &MarkedYaml, at: &CharOffsets) -> Result<Node, Diagnostic> {
    let span = at.span(node);
    let value = match &node.data {
        YamlData::Value(s) => scalar(s),
        YamlData::Representation(text, _, _) => Value::Str(text.to_string()),
        YamlData::Sequence(items) => Value::List(items.iter().map(|i| convert(i, at)).collect::<Result<_, _>>()?),
        YamlData::Mapping(map) => {
            let mut entries = Vec::with_capacity(map.len());
            for (k, v) in map.iter() {
                let name = match &k.data {
                    YamlData::Value(Scalar::String(s)) => s.to_string(),
                    YamlData::Value(Scalar::Integer(i)) => i.to_string(),
                    YamlData::Value(Scalar::Boolean(b)) => b.to_string(),
                    YamlData::Value(Scalar::FloatingPoint(x)) => x.to_string(),
                    _ => return Err(Diagnostic::new("a key must be a plain name", at.span(k))),
                };
                entries.push((Key { name, span: at.span(k) }, convert(v, at)?));
            }
            Value::Map(entries)
        }
        YamlData::Tagged(_, inner) => return convert(inner, at),
        YamlData::Alias(_) => return Err(Diagnostic::new("YAML aliases are not supported in study files", span)),
        YamlData::BadValue => return Err(Diagnostic::new("this value cannot be read", span)),
    };
    // saphyr's spans for scalars may be empty; give the caret a width.
    let span = if span.end == span.start { Span::new(span.start, span.start + 1) } else { span };
    Ok(Node::new(value, span))
}

fn scalar(s: &Scalar) -> Value {
    match s {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::Int(*i),
        Scalar::FloatingPoint(x) => Value::Float(x.into_inner()),
        Scalar::String(s) => Value::Str(s.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_spans_of_keys_and_values() {
        let src = "study: x\nseed: 3\nlist: [1, 2.5, true]\n";
        let node = parse(src).unwrap();
        let map = node.as_map().unwrap();
        assert_eq!(map[1].0.name, "seed");
        assert_eq!(&src[map[1].0.span.start..map[1].0.span.end], "seed");
        assert_eq!(map[1].1.value, Value::Int(3));
        assert_eq!(&src[map[1].1.span.start..map[1].1.span.start + 1], "3");
        let list = map[2].1.as_list().unwrap();
        assert_eq!(list[1].value, Value::Float(2.5));
    }

    #[test]
    fn syntax_error_has_location() {
        let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.message.starts_with("invalid YAML"), "{}", err.message);
        assert!(err.span.is_some());
    }
}
