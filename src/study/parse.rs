//! Study-language text -> the document tree, with every node's span kept.
//!
//! This is the only module that touches pest and its `Rule`s (the grammar is
//! `grammar/study.pest`). Space sugar such as `lr: log(1e-4 .. 1e-1) bits 3`
//! becomes the map the YAML form writes out (`{type: float, low: 1e-4,
//! high: 1e-1, log: true, bits: 3}`), each key and value spanning the text it
//! came from, so [`analyze`](super::analyze) checks both forms the same way.

use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;
use pest::Parser as _;

use super::diagnostics::{did_you_mean, Diagnostic, Span};
use super::doc::{Key, Node, Value};

mod grammar {
    //! The generated parser, private so that `Rule` stays inside this module.
    #[derive(pest_derive::Parser)]
    #[grammar = "../grammar/study.pest"]
    pub struct StudyParser;
}

use grammar::{Rule, StudyParser};

/// Why study text did not parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The text stopped where more was expected: a REPL should read another line.
    UnexpectedEnd,
    /// The text has something the grammar does not allow.
    Syntax,
    /// A literal that fits the grammar but not its type (an integer too large,
    /// an escape that names no character).
    Literal,
}

/// A syntax error with its kind.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{diagnostic}")]
pub struct ParseError {
    /// What kind of error.
    pub kind: ParseErrorKind,
    /// The message and where it points.
    pub diagnostic: Diagnostic,
}

impl ParseError {
    fn literal(diagnostic: Diagnostic) -> Self {
        Self { kind: ParseErrorKind::Literal, diagnostic }
    }
}

impl From<ParseError> for Diagnostic {
    fn from(e: ParseError) -> Self {
        e.diagnostic
    }
}

/// Parses a whole study file (header first) into the document tree.
pub fn parse(source: &str) -> Result<Node, Diagnostic> {
    parse_rule(source, Rule::file).map_err(Diagnostic::from)
}

/// Parses what a session accepts: headers and sections in any order, none required.
pub fn parse_statements(source: &str) -> Result<Node, ParseError> {
    parse_rule(source, Rule::statements)
}

/// Whether `source` is complete statements: false only when the parser ran
/// into the end of the input while expecting more (an open brace, a missing
/// value). Text with any other error is complete (and wrong).
pub fn is_complete(source: &str) -> bool {
    !matches!(parse_statements(source), Err(ParseError { kind: ParseErrorKind::UnexpectedEnd, .. }))
}

/// How deeply braces, brackets and parentheses may nest. Studies need a handful
/// of levels; the limit keeps hostile input from exhausting the stack.
pub const MAX_DEPTH: usize = 64;

fn parse_rule(source: &str, rule: Rule) -> Result<Node, ParseError> {
    check_depth(source)?;
    let mut pairs = StudyParser::parse(rule, source).map_err(|e| syntax_error(&e, source))?;
    let top = pairs.next().ok_or_else(|| ParseError::literal(Diagnostic::global("the study is empty")))?;
    let mut entries = Vec::new();
    for pair in top.into_inner() {
        match pair.as_rule() {
            Rule::header => header(pair, &mut entries)?,
            Rule::section => entries.push(section(pair)?),
            _ => {}
        }
    }
    Ok(Node::new(Value::Map(entries), Span::new(0, source.len())))
}

type Entry = (Key, Node);

/// Fails at the first bracket that opens level `MAX_DEPTH + 1` (strings and
/// comments skipped).
fn check_depth(source: &str) -> Result<(), ParseError> {
    let mut depth = 0usize;
    let mut chars = source.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' | '\n' => break,
                        _ => {}
                    }
                }
            }
            '#' => while chars.next_if(|(_, c)| *c != '\n').is_some() {},
            '/' if chars.peek().is_some_and(|(_, c)| *c == '/') => {
                while chars.next_if(|(_, c)| *c != '\n').is_some() {}
            }
            '{' | '[' | '(' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    let d =
                        Diagnostic::new(format!("this nests more than {MAX_DEPTH} levels deep"), Span::new(i, i + 1));
                    return Err(ParseError { kind: ParseErrorKind::Syntax, diagnostic: d });
                }
            }
            '}' | ']' | ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn span(pair: &Pair<Rule>) -> Span {
    Span::new(pair.as_span().start(), pair.as_span().end())
}

fn key_at(name: &str, pair: &Pair<Rule>) -> Key {
    Key { name: name.to_owned(), span: span(pair) }
}

/// The children that carry meaning (punctuation dropped).
fn inner(pair: Pair<Rule>) -> impl Iterator<Item = Pair<Rule>> {
    pair.into_inner().filter(|p| !is_punctuation(p.as_rule()))
}

fn is_punctuation(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::colon
            | Rule::comma
            | Rule::lbrace
            | Rule::rbrace
            | Rule::lbracket
            | Rule::rbracket
            | Rule::lparen
            | Rule::rparen
            | Rule::dots
            | Rule::equals
            | Rule::string_end
    )
}

fn header(pair: Pair<Rule>, entries: &mut Vec<Entry>) -> Result<(), ParseError> {
    let mut parts = inner(pair);
    let (Some(kw), Some(name)) = (parts.next(), parts.next()) else { return Ok(()) };
    entries.push((key_at("study", &kw), name_node(name)?));
    if let Some(seed) = parts.next() {
        let mut seed_parts = inner(seed);
        if let (Some(kw), Some(value)) = (seed_parts.next(), seed_parts.next()) {
            entries.push((key_at("seed", &kw), integer(&value)?));
        }
    }
    Ok(())
}

fn name_node(pair: Pair<Rule>) -> Result<Node, ParseError> {
    let sp = span(&pair);
    match pair.into_inner().next() {
        Some(p) if p.as_rule() == Rule::string => Ok(Node::new(Value::Str(string(p)?), sp)),
        Some(p) => Ok(Node::new(Value::Str(p.as_str().to_owned()), sp)),
        None => Ok(Node::new(Value::Null, sp)),
    }
}

fn section(pair: Pair<Rule>) -> Result<Entry, ParseError> {
    let Some(p) = pair.into_inner().next() else { return Err(internal(Span::default())) };
    match p.as_rule() {
        Rule::space_block => space_block(p),
        Rule::block => block(p),
        _ => entry(p),
    }
}

fn internal(at: Span) -> ParseError {
    ParseError::literal(Diagnostic::new("the parser lost its way here (please report this)", at))
}

fn space_block(pair: Pair<Rule>) -> Result<Entry, ParseError> {
    let sp = span(&pair);
    let mut parts = inner(pair);
    let Some(kw) = parts.next() else { return Err(internal(sp)) };
    let key = key_at("space", &kw);
    let items = parts.map(space_item).collect::<Result<Vec<_>, _>>()?;
    Ok((key, Node::new(Value::Map(items), sp)))
}

fn space_item(pair: Pair<Rule>) -> Result<Entry, ParseError> {
    let sp = span(&pair);
    let is_dummy = pair.as_rule() == Rule::dummy;
    let mut parts = inner(pair);
    let (Some(first), Some(second)) = (parts.next(), parts.next()) else { return Err(internal(sp)) };
    if is_dummy {
        return Ok((key_at("dummy", &first), integer(&second)?));
    }
    Ok((key(first)?, param_spec(second)?))
}

fn param_spec(pair: Pair<Rule>) -> Result<Node, ParseError> {
    let sp = span(&pair);
    let mut parts = inner(pair).peekable();
    let Some(first) = parts.next() else { return Err(internal(sp)) };
    let mut entries = match first.as_rule() {
        Rule::typed_map => return typed_map(first),
        Rule::map => return map(first),
        Rule::bool_domain => vec![type_entry("bool", &first)],
        Rule::choice => choice(first)?,
        _ => range(first)?,
    };
    for modifier in parts {
        entries.push(match modifier.as_rule() {
            Rule::bits => bits(modifier)?,
            _ => when(modifier)?,
        });
    }
    Ok(Node::new(Value::Map(entries), sp))
}

fn type_entry(name: &str, at: &Pair<Rule>) -> Entry {
    (key_at("type", at), Node::new(Value::Str(name.to_owned()), span(at)))
}

fn choice(pair: Pair<Rule>) -> Result<Vec<Entry>, ParseError> {
    let ty = type_entry("choice", &pair);
    let sp = span(&pair);
    let values = inner(pair).map(scalar).collect::<Result<Vec<_>, _>>()?;
    Ok(vec![ty, (Key { name: "values".into(), span: sp }, Node::new(Value::List(values), sp))])
}

fn range(pair: Pair<Rule>) -> Result<Vec<Entry>, ParseError> {
    let whole = pair.clone();
    let mut ty = None;
    let mut log = None;
    let mut bounds = Vec::new();
    for p in inner(pair) {
        match p.as_rule() {
            Rule::range_type => ty = Some(p),
            Rule::log_scale => log = Some(p),
            _ => bounds.push(p),
        }
    }
    let [low, high] = bounds.as_slice() else { return Err(internal(span(&whole))) };
    let integral = |p: &Pair<Rule>| p.clone().into_inner().next().is_some_and(|n| n.as_rule() == Rule::integer);
    let mut entries = vec![match &ty {
        Some(t) => type_entry(t.as_str(), t),
        None if integral(low) && integral(high) => type_entry("int", &whole),
        None => type_entry("float", &whole),
    }];
    entries.push((key_at("low", low), number(low.clone())?));
    entries.push((key_at("high", high), number(high.clone())?));
    if let Some(l) = log {
        entries.push((key_at("log", &l), Node::new(Value::Bool(true), span(&l))));
    }
    Ok(entries)
}

fn bits(pair: Pair<Rule>) -> Result<Entry, ParseError> {
    let sp = span(&pair);
    let mut parts = inner(pair);
    let (Some(kw), Some(n)) = (parts.next(), parts.next()) else { return Err(internal(sp)) };
    Ok((key_at("bits", &kw), integer(&n)?))
}

fn when(pair: Pair<Rule>) -> Result<Entry, ParseError> {
    let sp = span(&pair);
    let mut parts = inner(pair);
    let (Some(kw), Some(name), Some(value)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(internal(sp));
    };
    let condition = vec![(key(name)?, scalar(value)?)];
    Ok((key_at("when", &kw), Node::new(Value::Map(condition), sp)))
}

fn block(pair: Pair<Rule>) -> Result<Entry, ParseError> {
    let mut parts = inner(pair);
    let Some(k) = parts.next() else { return Err(internal(Span::default())) };
    let key = key(k)?;
    let (kind, body) = match (parts.next(), parts.next()) {
        (Some(kind), Some(body)) => (Some(kind), body),
        (Some(body), None) => (None, body),
        _ => return Err(internal(key.span)),
    };
    Ok((key, kinded_map(kind, body)?))
}

fn entry(pair: Pair<Rule>) -> Result<Entry, ParseError> {
    let sp = span(&pair);
    let mut parts = inner(pair);
    let (Some(k), Some(v)) = (parts.next(), parts.next()) else { return Err(internal(sp)) };
    Ok((key(k)?, value(v)?))
}

fn key(pair: Pair<Rule>) -> Result<Key, ParseError> {
    let sp = span(&pair);
    let name = match pair.into_inner().next() {
        Some(p) if p.as_rule() == Rule::string => string(p)?,
        Some(p) => p.as_str().to_owned(),
        None => return Err(internal(sp)),
    };
    Ok(Key { name, span: sp })
}

fn value(pair: Pair<Rule>) -> Result<Node, ParseError> {
    let sp = span(&pair);
    let Some(p) = pair.into_inner().next() else { return Err(internal(sp)) };
    match p.as_rule() {
        Rule::typed_map => typed_map(p),
        Rule::map => map(p),
        Rule::list => list(p),
        _ => scalar(p),
    }
}

fn typed_map(pair: Pair<Rule>) -> Result<Node, ParseError> {
    let sp = span(&pair);
    let mut parts = inner(pair);
    let (Some(kind), Some(body)) = (parts.next(), parts.next()) else { return Err(internal(sp)) };
    kinded_map(Some(kind), body)
}

/// A map with an optional kind written before it, which becomes its first key, `type`.
fn kinded_map(kind: Option<Pair<Rule>>, body: Pair<Rule>) -> Result<Node, ParseError> {
    let end = span(&body).end;
    let Some(kind) = kind else { return map(body) };
    let start = span(&kind).start;
    let mut entries = vec![type_entry(kind.as_str(), &kind)];
    entries.extend(inner(body).map(entry).collect::<Result<Vec<_>, _>>()?);
    Ok(Node::new(Value::Map(entries), Span::new(start, end)))
}

fn map(pair: Pair<Rule>) -> Result<Node, ParseError> {
    let sp = span(&pair);
    let entries = inner(pair).map(entry).collect::<Result<Vec<_>, _>>()?;
    Ok(Node::new(Value::Map(entries), sp))
}

fn list(pair: Pair<Rule>) -> Result<Node, ParseError> {
    let sp = span(&pair);
    let items = inner(pair).map(value).collect::<Result<Vec<_>, _>>()?;
    Ok(Node::new(Value::List(items), sp))
}

fn scalar(pair: Pair<Rule>) -> Result<Node, ParseError> {
    let sp = span(&pair);
    let Some(p) = pair.into_inner().next() else { return Err(internal(sp)) };
    let value = match p.as_rule() {
        Rule::number => return number(p),
        Rule::string => Value::Str(string(p)?),
        Rule::boolean => Value::Bool(p.as_str() == "true"),
        Rule::null => Value::Null,
        _ => Value::Str(p.as_str().to_owned()),
    };
    Ok(Node::new(value, sp))
}

fn number(pair: Pair<Rule>) -> Result<Node, ParseError> {
    let sp = span(&pair);
    let Some(p) = pair.into_inner().next() else { return Err(internal(sp)) };
    if p.as_rule() == Rule::integer {
        return integer(&p);
    }
    let x: f64 = p.as_str().parse().map_err(|_| internal(sp))?;
    Ok(Node::new(Value::Float(x), sp))
}

fn integer(pair: &Pair<Rule>) -> Result<Node, ParseError> {
    let text = pair.as_str();
    text.parse::<i64>().map(|i| Node::new(Value::Int(i), span(pair))).map_err(|_| {
        ParseError::literal(
            Diagnostic::new(format!("the integer `{text}` is too large"), span(pair)).with_help(format!(
                "integers range from {} to {}",
                i64::MIN,
                i64::MAX
            )),
        )
    })
}

fn string(pair: Pair<Rule>) -> Result<String, ParseError> {
    let sp = span(&pair);
    let body = pair.into_inner().find(|p| p.as_rule() == Rule::string_body);
    let Some(body) = body else { return Ok(String::new()) };
    unescape(body.as_str(), span(&body).start).map_err(|at| {
        ParseError::literal(Diagnostic::new(
            "this `\\u{...}` escape names no character",
            Span::new(at, sp.end.saturating_sub(1).max(at + 1)),
        ))
    })
}

/// Resolves backslash escapes; `Err` holds the byte offset of a bad `\u{...}`.
fn unescape(text: &str, offset: usize) -> Result<String, usize> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some((_, 'n')) => out.push('\n'),
            Some((_, 't')) => out.push('\t'),
            Some((_, 'r')) => out.push('\r'),
            Some((_, 'u')) => {
                let hex: String = chars.by_ref().map(|(_, c)| c).skip(1).take_while(|c| *c != '}').collect();
                let c = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32).ok_or(offset + i)?;
                out.push(c);
            }
            Some((_, c)) => out.push(c),
            None => {}
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Syntax errors
// ---------------------------------------------------------------------------

/// Keywords a misspelled word may have meant.
const KEYWORDS: &[&str] = &["study", "seed", "space", "dummy", "bits", "when", "bool", "int", "float", "log"];

fn syntax_error(e: &pest::error::Error<Rule>, source: &str) -> ParseError {
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let expected = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => expected_list(positives),
        ErrorVariant::CustomError { message } => {
            // pest's own limits ("stack limit reached"): not a grammar expectation.
            let at = pos.min(source.len());
            let d = Diagnostic::new(format!("the parser stopped here: {message}"), Span::new(at, at + 1));
            return ParseError { kind: ParseErrorKind::Syntax, diagnostic: d };
        }
    };
    let at_end = source[pos.min(source.len())..].trim().is_empty();
    if at_end {
        let end = source.trim_end().len();
        let d = Diagnostic::new(format!("expected {expected}, found the end of the input"), Span::new(end, end + 1));
        return ParseError { kind: ParseErrorKind::UnexpectedEnd, diagnostic: d };
    }
    let token = token_at(source, pos);
    let found = match token {
        "\n" | "\r" => "the end of the line".to_owned(),
        t => format!("`{t}`"),
    };
    let width = token.len().max(1);
    let mut d = Diagnostic::new(format!("expected {expected}, found {found}"), Span::new(pos, pos + width));
    d.help = keyword_hint(source, pos).or_else(|| quote_hint(source, pos));
    ParseError { kind: ParseErrorKind::Syntax, diagnostic: d }
}

/// "a, b or c" from the rules pest tried, in their order, without repeats.
fn expected_list(rules: &[Rule]) -> String {
    let mut names: Vec<&str> = Vec::new();
    // "the end of the input" reads best last.
    let (ends, others): (Vec<Rule>, Vec<Rule>) = rules.iter().partition(|r| **r == Rule::EOI);
    for r in others.iter().chain(&ends) {
        let n = describe(*r);
        if !names.contains(&n) {
            names.push(n);
        }
    }
    match names.as_slice() {
        [] => "something else".into(),
        [one] => (*one).into(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The word, number or character at `pos`, for "found `...`".
fn token_at(source: &str, pos: usize) -> &str {
    let rest = &source[pos..];
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '.' || c == '-';
    let len = match rest.chars().next() {
        Some(c) if word(c) => rest.find(|c: char| !word(c)).unwrap_or(rest.len()),
        Some(c) => c.len_utf8(),
        None => 0,
    };
    rest[..len].trim_end_matches('.')
}

/// "did you mean `bits`?" when the word before the error is a misspelled keyword
/// (`bit 3` reads as a parameter `bit` missing its `:`).
fn keyword_hint(source: &str, pos: usize) -> Option<String> {
    let word = word_before(source[..pos].trim_end());
    if word.is_empty() || KEYWORDS.contains(&word) {
        return None;
    }
    did_you_mean(word, KEYWORDS.iter().copied())
}

/// "write `\"reference.json\"` in quotes" when a plain word runs into `.`, `/` or `-`.
fn quote_hint(source: &str, pos: usize) -> Option<String> {
    let word = word_before(&source[..pos]);
    if !word.starts_with(|c: char| c.is_alphabetic() || c == '_') || !source[pos..].starts_with(['.', '/', '-']) {
        return None;
    }
    let rest = &source[pos..];
    let end = rest.find(|c: char| c.is_whitespace() || ",}]".contains(c)).unwrap_or(rest.len());
    Some(format!("text that is not a plain word goes in quotes: `\"{word}{}\"`", &rest[..end]))
}

/// The run of letters, digits and `_` that ends `text`.
fn word_before(text: &str) -> &str {
    let head = text.trim_end_matches(|c: char| c.is_alphanumeric() || c == '_');
    &text[head.len()..]
}

/// Every rule's name in words, for "expected ...". Exhaustive on purpose: a new
/// rule must be given a name before the crate compiles.
fn describe(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "the end of the input",
        Rule::file => "a study",
        Rule::statements => "a statement",
        Rule::header => "the header `study \"name\"`",
        Rule::seed_clause => "`seed` and a whole number",
        Rule::name => "a study name (a word or a quoted string)",
        Rule::section => "a section (`space { ... }`, `objective <kind> { ... }` or `key: value`)",
        Rule::space_block => "`space { ... }`",
        Rule::block => "a block `name kind { ... }`",
        Rule::kind => "a kind",
        Rule::dummy => "`dummy` and a number of bits",
        Rule::param => "a parameter `name: domain`",
        Rule::param_name => "a parameter name",
        Rule::reserved => "a keyword",
        Rule::param_spec => "a domain (`bool`, `{a, b}`, `low .. high`, `int(low .. high)` or `log(low .. high)`)",
        Rule::bool_domain => "`bool`",
        Rule::choice => "a choice `{a, b, ...}`",
        Rule::range => "a range `low .. high`",
        Rule::range_type => "`int` or `float`",
        Rule::log_scale => "`log`",
        Rule::bits => "`bits N`",
        Rule::when => "`when name = value`",
        Rule::equals => "`=`",
        Rule::entry => "a `key: value` entry",
        Rule::key => "a key",
        Rule::value => "a value",
        Rule::typed_map => "a map with its kind `kind { ... }`",
        Rule::map => "a map `{ key: value ... }`",
        Rule::list => "a list `[a, b, ...]`",
        Rule::scalar => "a number, a string, a word, `true`, `false` or `null`",
        Rule::number | Rule::float => "a number",
        Rule::integer => "a whole number",
        Rule::boolean => "`true` or `false`",
        Rule::null => "`null`",
        Rule::word => "a word",
        Rule::string => "a string",
        Rule::string_body => "the text of a string",
        Rule::string_end => "a closing `\"` on the same line",
        Rule::colon => "`:`",
        Rule::comma => "`,`",
        Rule::lbrace => "`{`",
        Rule::rbrace => "`}`",
        Rule::lbracket => "`[`",
        Rule::rbracket => "`]`",
        Rule::lparen => "`(`",
        Rule::rparen => "`)`",
        Rule::dots => "`..`",
        Rule::kw_study => "`study`",
        Rule::kw_seed => "`seed`",
        Rule::kw_space => "`space`",
        Rule::kw_dummy => "`dummy`",
        Rule::kw_bits => "`bits`",
        Rule::kw_when => "`when`",
        // Silent rules never appear in errors; they are named for completeness.
        Rule::space_item => "a parameter or `dummy N`",
        Rule::domain => "a domain",
        Rule::bound => "a number",
        Rule::modifier => "`bits N` or `when name = value`",
        Rule::exponent => "an exponent such as `e-4`",
        Rule::ident_char => "a letter, digit or `_`",
        Rule::escape => "an escape (`\\\"`, `\\\\`, `\\n`, `\\t`, `\\r` or `\\u{...}`)",
        Rule::WHITESPACE => "a space",
        Rule::COMMENT => "a comment",
    }
}

#[cfg(test)]
mod tests;
