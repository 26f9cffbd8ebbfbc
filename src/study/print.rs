//! The document tree -> canonical text, in the study language or in YAML.
//!
//! Both printers are generic over the tree, so a key another section adds is
//! printed without changes here; the study language additionally writes
//! search-space parameters in their short forms (`lr: log(1e-4 .. 1e-1) bits 3`)
//! and the `study "name" seed N` header. Feed them the tree from
//! [`unparse`](super::unparse) to get the one canonical text of a study.

use super::doc::{Key, Node, Value};
use super::{unparse, Format, Study};
use crate::space::format_float;

/// Lines longer than this are broken into one entry per line.
const WIDTH: usize = 88;

/// Keys whose values the header holds.
const HEADER_KEYS: &[&str] = &["study", "seed"];

/// The canonical text of a study in `format`, after `comments` (one `# ` line each).
pub fn study(study: &Study, format: Format, comments: &[String]) -> String {
    let doc = unparse::study(study);
    let mut out: String = comments.iter().map(|c| format!("#{}{c}\n", if c.is_empty() { "" } else { " " })).collect();
    out.push_str(&match format {
        Format::Study => dsl(&doc),
        Format::Yaml => yaml(&doc),
    });
    out
}

/// The comment lines (`#` or `//`) that open a study file, without their markers:
/// `fmt` keeps them, so a study's description survives formatting and conversion.
pub fn leading_comments(source: &str) -> Vec<String> {
    let mut comments = Vec::new();
    for line in source.lines().map(str::trim) {
        let Some(text) = line.strip_prefix('#').or_else(|| line.strip_prefix("//")) else {
            if line.is_empty() && comments.is_empty() {
                continue;
            }
            break;
        };
        comments.push(text.strip_prefix(' ').unwrap_or(text).trim_end().to_owned());
    }
    comments
}

/// The study language text of a document tree (a map of sections).
pub fn dsl(doc: &Node) -> String {
    let Value::Map(entries) = &doc.value else { return format!("{}\n", dsl_inline(doc)) };
    let mut parts = Vec::new();
    if let Some(header) = header(entries) {
        parts.push(header);
    }
    for (k, v) in entries.iter().filter(|(k, _)| !HEADER_KEYS.contains(&k.name.as_str())) {
        parts.push(section(k, v));
    }
    parts.join("\n\n") + "\n"
}

fn header(entries: &[(Key, Node)]) -> Option<String> {
    let name = entries.iter().find(|(k, _)| k.name == "study")?;
    let mut s = format!("study {}", dsl_scalar(&name.1));
    if let Some((_, seed)) = entries.iter().find(|(k, _)| k.name == "seed") {
        s.push_str(&format!(" seed {}", dsl_scalar(seed)));
    }
    Some(s)
}

fn section(k: &Key, v: &Node) -> String {
    match &v.value {
        Value::Map(m) if k.name == "space" => {
            let body: Vec<String> = m.iter().map(|(k, v)| space_item(k, v)).collect();
            braced("space", &body, 0)
        }
        Value::Map(m) => {
            let (kind, rest) = split_kind(m);
            let head = match kind {
                Some(kind) => format!("{} {kind}", dsl_key(&k.name)),
                None => dsl_key(&k.name),
            };
            braced(&head, &entry_lines(rest, 1), 0)
        }
        _ => dsl_entry(k, v, 0),
    }
}

/// `head {`, the lines indented, `}`.
fn braced(head: &str, lines: &[String], indent: usize) -> String {
    if lines.is_empty() {
        return format!("{head} {{}}");
    }
    let pad = "  ".repeat(indent);
    let mut s = format!("{head} {{\n");
    for l in lines {
        s.push_str(&format!("{pad}  {l}\n"));
    }
    s + &format!("{pad}}}")
}

fn entry_lines(entries: &[(Key, Node)], indent: usize) -> Vec<String> {
    entries.iter().map(|(k, v)| dsl_entry(k, v, indent)).collect()
}

/// `key: value`, the value inline when it fits, else spread over lines.
fn dsl_entry(k: &Key, v: &Node, indent: usize) -> String {
    let head = format!("{}: ", dsl_key(&k.name));
    dsl_value(&head, v, indent)
}

fn dsl_value(head: &str, v: &Node, indent: usize) -> String {
    let inline = dsl_inline(v);
    if indent * 2 + head.len() + inline.len() <= WIDTH {
        return format!("{head}{inline}");
    }
    match &v.value {
        Value::Map(m) => {
            let (kind, rest) = split_kind(m);
            let head = match kind {
                Some(kind) => format!("{head}{kind}"),
                None => head.trim_end().to_owned(),
            };
            braced(&head, &entry_lines(rest, indent + 1), indent)
        }
        Value::List(items) => {
            let pad = "  ".repeat(indent);
            let mut s = format!("{head}[\n");
            for item in items {
                s.push_str(&format!("{pad}  {},\n", dsl_value("", item, indent + 1)));
            }
            s + &format!("{pad}]")
        }
        _ => format!("{head}{inline}"),
    }
}

/// A map's `type` (when it is a plain word, written as its kind) and its other entries.
fn split_kind(m: &[(Key, Node)]) -> (Option<&str>, &[(Key, Node)]) {
    match m.split_first() {
        Some(((k, Node { value: Value::Str(s), .. }), rest)) if k.name == "type" && is_word(s) => (Some(s), rest),
        _ => (None, m),
    }
}

/// A value on one line.
fn dsl_inline(v: &Node) -> String {
    match &v.value {
        Value::Map(m) => {
            let (kind, rest) = split_kind(m);
            let body: Vec<String> =
                rest.iter().map(|(k, v)| format!("{}: {}", dsl_key(&k.name), dsl_inline(v))).collect();
            let braces = if body.is_empty() { "{}".to_owned() } else { format!("{{ {} }}", body.join(", ")) };
            kind.map_or(braces.clone(), |k| format!("{k} {braces}"))
        }
        Value::List(items) => format!("[{}]", items.iter().map(dsl_inline).collect::<Vec<_>>().join(", ")),
        _ => dsl_scalar(v),
    }
}

/// A parameter in its short form when it has one, else written out as a map.
fn space_item(k: &Key, v: &Node) -> String {
    if k.name == "dummy" {
        if let Value::Int(n) = v.value {
            return format!("dummy {n}");
        }
    }
    match param_sugar(v) {
        Some(s) => format!("{}: {s}", dsl_key(&k.name)),
        None => dsl_entry(k, v, 1),
    }
}

/// `bool`, `{a, b}`, `int(1 .. 8) bits 3`, `log(1e-4 .. 1e-1) bits 3 when x = 1`,
/// or `None` when the map holds something the short forms cannot say.
fn param_sugar(v: &Node) -> Option<String> {
    let Value::Map(m) = &v.value else { return None };
    let get = |name: &str| m.iter().find(|(k, _)| k.name == name).map(|(_, v)| v);
    let known = ["type", "values", "low", "high", "log", "bits", "when"];
    if m.iter().any(|(k, _)| !known.contains(&k.name.as_str())) {
        return None;
    }
    let Value::Str(ty) = &get("type")?.value else { return None };
    let mut s = match (ty.as_str(), m.len() - usize::from(get("when").is_some())) {
        ("bool", 1) => "bool".to_owned(),
        ("choice", 2) => choice_sugar(get("values")?)?,
        ("int" | "float", _) => range_sugar(ty, get("low")?, get("high")?, get("log"), m.len())?,
        _ => return None,
    };
    if let Some(bits) = get("bits") {
        s.push_str(&format!(" bits {}", dsl_scalar(bits)));
    }
    if let Some(when) = get("when") {
        let Value::Map(c) = &when.value else { return None };
        let [(name, value)] = c.as_slice() else { return None };
        if matches!(value.value, Value::Map(_) | Value::List(_)) {
            return None;
        }
        s.push_str(&format!(" when {} = {}", dsl_key(&name.name), dsl_scalar(value)));
    }
    Some(s)
}

fn choice_sugar(values: &Node) -> Option<String> {
    let Value::List(items) = &values.value else { return None };
    if items.iter().any(|i| matches!(i.value, Value::Map(_) | Value::List(_) | Value::Null)) {
        return None;
    }
    Some(format!("{{{}}}", items.iter().map(dsl_scalar).collect::<Vec<_>>().join(", ")))
}

fn range_sugar(ty: &str, low: &Node, high: &Node, log: Option<&Node>, len: usize) -> Option<String> {
    let log = match log.map(|l| &l.value) {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return None,
    };
    // `log: false` written out has no short form; leave such a map as it is.
    let expected = 3 + usize::from(log);
    let extra = len - expected;
    if extra > 2 {
        return None;
    }
    let bound = |n: &Node| match (ty, &n.value) {
        ("int", Value::Int(i)) => Some(i.to_string()),
        ("float", Value::Float(x)) => Some(dsl_float(*x)),
        _ => None,
    };
    let (low, high) = (bound(low)?, bound(high)?);
    Some(match (ty, log) {
        ("int", false) => format!("int({low} .. {high})"),
        ("int", true) => format!("int log({low} .. {high})"),
        (_, false) => format!("{low} .. {high}"),
        (_, true) => format!("log({low} .. {high})"),
    })
}

fn dsl_key(name: &str) -> String {
    if is_word(name) {
        name.to_owned()
    } else {
        quote(name)
    }
}

fn dsl_scalar(v: &Node) -> String {
    match &v.value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(x) => dsl_float(*x),
        Value::Str(s) if is_word(s) && !["true", "false", "null"].contains(&s.as_str()) => s.clone(),
        Value::Str(s) => quote(s),
        Value::List(_) | Value::Map(_) => dsl_inline(v),
    }
}

fn dsl_float(x: f64) -> String {
    match x {
        x if x == f64::INFINITY => "1e999".into(),
        x if x == f64::NEG_INFINITY => "-1e999".into(),
        x => format_float(x),
    }
}

fn is_word(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A double-quoted string with the escapes the study language reads.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------------------
// YAML
// ---------------------------------------------------------------------------

/// The YAML text of a document tree: top-level maps in block style, nested
/// values in flow style when they fit on a line.
pub fn yaml(doc: &Node) -> String {
    let mut out = String::new();
    match &doc.value {
        Value::Map(m) => yaml_map_block(&mut out, m, 0),
        _ => out.push_str(&format!("{}\n", yaml_flow(doc))),
    }
    out
}

fn yaml_map_block(out: &mut String, m: &[(Key, Node)], indent: usize) {
    let pad = "  ".repeat(indent);
    for (k, v) in m {
        let head = format!("{pad}{}:", yaml_string(&k.name));
        yaml_field(out, &head, v, indent, indent == 0);
    }
}

/// `head value`: flow when it fits (and `block` is not forced), else a block below.
fn yaml_field(out: &mut String, head: &str, v: &Node, indent: usize, block: bool) {
    let flow = yaml_flow(v);
    let nested =
        matches!(&v.value, Value::Map(m) if !m.is_empty()) || matches!(&v.value, Value::List(l) if !l.is_empty());
    if !nested || (!block && head.len() + 1 + flow.len() <= WIDTH) {
        out.push_str(&format!("{head} {flow}\n"));
        return;
    }
    out.push_str(&format!("{head}\n"));
    match &v.value {
        Value::Map(m) => yaml_map_block(out, m, indent + 1),
        Value::List(items) => yaml_list_block(out, items, indent + 1),
        _ => {}
    }
}

fn yaml_list_block(out: &mut String, items: &[Node], indent: usize) {
    let pad = "  ".repeat(indent);
    for item in items {
        let flow = yaml_flow(item);
        match &item.value {
            Value::Map(m) if !m.is_empty() && pad.len() + 2 + flow.len() > WIDTH => {
                // The first entry shares the dash's line; the rest align under it.
                let mut inner = String::new();
                yaml_map_block(&mut inner, m, indent + 1);
                out.push_str(&format!("{pad}- {}", &inner[pad.len() + 2..]));
            }
            _ => out.push_str(&format!("{pad}- {flow}\n")),
        }
    }
}

fn yaml_flow(v: &Node) -> String {
    match &v.value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(x) => yaml_float(*x),
        Value::Str(s) => yaml_string(s),
        Value::List(items) => format!("[{}]", items.iter().map(yaml_flow).collect::<Vec<_>>().join(", ")),
        Value::Map(m) => {
            let body: Vec<String> =
                m.iter().map(|(k, v)| format!("{}: {}", yaml_string(&k.name), yaml_flow(v))).collect();
            format!("{{{}}}", body.join(", "))
        }
    }
}

fn yaml_float(x: f64) -> String {
    match x {
        x if x.is_nan() => ".nan".into(),
        x if x == f64::INFINITY => ".inf".into(),
        x if x == f64::NEG_INFINITY => "-.inf".into(),
        x => format_float(x),
    }
}

/// A plain scalar when YAML reads it back as the same string, else double-quoted.
fn yaml_string(s: &str) -> String {
    let plain = s.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "_-./".contains(c))
        && !["true", "false", "null", "yes", "no", "on", "off", "y", "n"].contains(&s.to_ascii_lowercase().as_str());
    if plain {
        s.to_owned()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::{parse, yaml as yaml_form};

    #[test]
    fn yaml_strings_that_look_like_other_scalars_are_quoted() {
        assert_eq!(yaml_string("reference_ex2.json"), "reference_ex2.json");
        assert_eq!(yaml_string("True"), "\"True\"");
        assert_eq!(yaml_string("12"), "\"12\"");
        assert_eq!(yaml_string("a b"), "\"a b\"");
        assert_eq!(yaml_string(""), "\"\"");
    }

    #[test]
    fn both_printers_read_back_to_the_same_tree_shape() {
        let src = "study \"x y\" seed 2\nobjective k { s: \"a\\\"b\\n\", l: [1, 2.5, true, null], m: { n: -3 } }\n";
        let doc = parse::parse(src).unwrap();
        let again = parse::parse(&dsl(&doc)).unwrap();
        assert_eq!(dsl(&again), dsl(&doc));
        let from_yaml = yaml_form::parse(&yaml(&doc)).unwrap();
        assert_eq!(dsl(&from_yaml), dsl(&doc));
    }
}
