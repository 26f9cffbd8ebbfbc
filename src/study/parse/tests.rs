//! Rule-level tests of the grammar, and of the tree the parser builds from it.

use super::*;

/// Whether `rule` matches all of `text`.
fn matches(rule: Rule, text: &str) -> bool {
    StudyParser::parse(rule, text).is_ok_and(|mut p| p.next().is_some_and(|p| p.as_str() == text))
}

/// The tree of a study whose header is `study x`, as compact text.
fn tree(body: &str) -> String {
    let src = format!("study x\n{body}");
    match parse(&src) {
        Ok(node) => show(&node),
        Err(d) => format!("error: {}", d.message),
    }
}

fn show(n: &Node) -> String {
    match &n.value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(x) => format!("{x:?}"),
        Value::Str(s) => format!("{s:?}"),
        Value::List(l) => format!("[{}]", l.iter().map(show).collect::<Vec<_>>().join(", ")),
        Value::Map(m) => {
            format!("{{{}}}", m.iter().map(|(k, v)| format!("{}: {}", k.name, show(v))).collect::<Vec<_>>().join(", "))
        }
    }
}

/// The source text each key and value of the first parameter spans.
fn param_spans(src: &str) -> Vec<(String, String)> {
    let Ok(doc) = parse(src) else { return vec![] };
    let Value::Map(top) = &doc.value else { return vec![] };
    let Some((_, space)) = top.iter().find(|(k, _)| k.name == "space") else { return vec![] };
    let Value::Map(params) = &space.value else { return vec![] };
    let Some((_, param)) = params.first() else { return vec![] };
    let Value::Map(entries) = &param.value else { return vec![] };
    let text = |s: Span| src[s.start..s.end].to_owned();
    entries.iter().map(|(k, v)| (text(k.span), text(v.span))).collect()
}

#[test]
fn numbers() {
    for ok in ["1e-4", "-2.5", "2.5E+3", "0.0", "1e10", "-0.5e-3"] {
        assert!(matches(Rule::float, ok), "{ok}");
    }
    for ok in ["3", "-2", "0", "007"] {
        assert!(matches(Rule::integer, ok), "{ok}");
    }
    for bad in ["1.", ".5", "1.5.3", "1e", "- 3", "3x"] {
        assert!(!matches(Rule::number, bad), "{bad}");
    }
    assert!(!matches(Rule::integer, "1.5"));
}

#[test]
fn strings_words_and_keywords() {
    assert!(matches(Rule::string, r#""a \"b\" \\ \n \u{1F600}""#));
    assert!(!matches(Rule::string, "\"two\nlines\""));
    assert!(matches(Rule::word, "reference_ex2"));
    assert!(!matches(Rule::word, "2fast"));
    assert!(matches(Rule::kw_seed, "seed"));
    assert!(!matches(Rule::kw_seed, "seedling"));
    assert!(!matches(Rule::boolean, "trueish"));
    assert_eq!(unescape(r#"a\"b\\c\n\t\u{e9}"#, 0), Ok("a\"b\\c\n\t\u{e9}".to_owned()));
    assert_eq!(unescape(r"ab\u{d800}", 10), Err(12));
}

#[test]
fn domains() {
    for ok in ["bool", "{16, 32, 64}", "{sgd, \"adam\", true, 1.5,}", "{}", "0.0 .. 0.5", "1..8"] {
        assert!(matches(Rule::param_spec, ok), "{ok}");
    }
    for ok in ["int(8 .. 64)", "float(0 .. 1)", "log(1e-4 .. 1e-1)", "int log(1 .. 1024)", "(1 .. 2)"] {
        assert!(matches(Rule::range, ok), "{ok}");
    }
    for bad in ["log 1 .. 2", "int 1 .. 2", "log(1 ..)", "(1, 2)", "1 ... 2"] {
        assert!(!matches(Rule::range, bad), "{bad}");
    }
    assert!(matches(Rule::param_spec, "0.0 .. 0.5 bits 2 when momentum = true"));
    assert!(matches(Rule::param_spec, "bool when a == \"x\""));
    assert!(matches(Rule::param_spec, "float { low: 0, high: 1 }"));
}

#[test]
fn generic_values() {
    assert!(matches(Rule::value, "random { evaluations: 300 }"));
    assert!(matches(Rule::value, "{ a: 1, b: [1, 2,], c: { d: null } }"));
    assert!(matches(Rule::value, "[{ w: 1.0, S: [0] }, k { x: 1 }]"));
    assert!(matches(Rule::value, "[]"));
    assert!(!matches(Rule::value, "[1 2]"));
    assert!(matches(Rule::entry, "\"odd key\": 1,"));
}

#[test]
fn headers_and_sections() {
    assert!(matches(Rule::header, "study \"reference-ex2\" seed 1"));
    assert!(matches(Rule::header, "study demo"));
    assert!(!matches(Rule::header, "study demo seed"));
    assert!(matches(Rule::file, "# about\nstudy x // trailing\n\nobjective k {}\nspace {}\nnote: \"hi\"\n"));
    assert!(!matches(Rule::file, "study x\nseed: 1\n"), "seed belongs in the header");
    assert!(!matches(Rule::file, "study x\nspace: { a: {type: bool} }\n"), "the space has its own syntax");
    assert!(matches(Rule::statements, "space { a: bool }\noptimizer harmonica {}"));
    assert!(matches(Rule::statements, ""));
}

#[test]
fn sugar_becomes_the_yaml_maps() {
    assert_eq!(
        tree("space {\n lr: log(1e-4 .. 1e-1) bits 3\n batch: {16, 32}\n m: bool\n w: int(8 .. 64)\n}"),
        "{study: \"x\", space: {lr: {type: \"float\", low: 0.0001, high: 0.1, log: true, bits: 3}, \
         batch: {type: \"choice\", values: [16, 32]}, m: {type: \"bool\"}, w: {type: \"int\", low: 8, high: 64}}}"
    );
    assert_eq!(
        tree("space { d: 0 .. 5 when m = sgd\n k: log(1 .. 64)\n dummy 10 }"),
        "{study: \"x\", space: {d: {type: \"int\", low: 0, high: 5, when: {m: \"sgd\"}}, \
         k: {type: \"int\", low: 1, high: 64, log: true}, dummy: 10}}"
    );
    assert_eq!(
        tree("optimizer harmonica { stages: 2  base: random { evaluations: 3 } }"),
        "{study: \"x\", optimizer: {type: \"harmonica\", stages: 2, base: {type: \"random\", evaluations: 3}}}"
    );
    assert_eq!(
        tree("execution { workers: 2, slurm: { partition: \"gpu\" } }"),
        "{study: \"x\", execution: {workers: 2, slurm: {partition: \"gpu\"}}}"
    );
}

#[test]
fn spans_point_at_the_written_text() {
    let src = "study x\nspace {\n  dropout: 0.0 .. 0.5 bits 2 when momentum = true\n}\n";
    let spans = param_spans(src);
    let expected =
        [("0.0 .. 0.5", "0.0 .. 0.5"), ("0.0", "0.0"), ("0.5", "0.5"), ("bits", "2"), ("when", "when momentum = true")];
    let got: Vec<(&str, &str)> = spans.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(got, expected);
    let spans = param_spans("study x\nspace { lr: log(1e-4 .. 1e-1) }");
    assert_eq!(spans[0], ("log(1e-4 .. 1e-1)".to_owned(), "log(1e-4 .. 1e-1)".to_owned()));
    assert_eq!(spans[3], ("log".to_owned(), "log".to_owned()));
    let spans = param_spans("study x\nspace { w: int(8 .. 64) }");
    assert_eq!(spans[0], ("int".to_owned(), "int".to_owned()));
}

#[test]
fn incomplete_input_is_only_an_unexpected_end() {
    for incomplete in
        ["space {", "space {\n  lr: log(1e-4 ..", "study x seed", "optimizer harmonica {\n stages: 3\n", "a: [1,"]
    {
        assert!(!is_complete(incomplete), "{incomplete:?}");
    }
    for complete in ["", "space { a: bool }", "study x\n}", "space { a: }\n", "a: \"open\nb: 1", "# just a comment"] {
        assert!(is_complete(complete), "{complete:?}");
    }
    let err = parse_statements("space {\n  # more to come\n").unwrap_err();
    assert_eq!(err.kind, ParseErrorKind::UnexpectedEnd);
    assert_eq!(parse_statements("x: ]").unwrap_err().kind, ParseErrorKind::Syntax);
    assert_eq!(parse_statements("x: 99999999999999999999").unwrap_err().kind, ParseErrorKind::Literal);
}

#[test]
fn expected_lists_read_as_words() {
    assert_eq!(expected_list(&[Rule::colon]), "`:`");
    assert_eq!(expected_list(&[Rule::EOI, Rule::comma, Rule::rbrace]), "`,`, `}` or the end of the input");
    assert_eq!(expected_list(&[Rule::float, Rule::number]), "a number");
    assert_eq!(expected_list(&[]), "something else");
}

#[test]
fn keyword_hints_only_for_near_misses() {
    assert_eq!(keyword_hint("a: 0 .. 1 bit 3", 14), Some("did you mean `bits`?".into()));
    assert_eq!(keyword_hint("stages 3", 7), None);
    assert_eq!(keyword_hint("seed 3", 5), None);
    assert_eq!(quote_hint("t: a.json", 4), Some("text that is not a plain word goes in quotes: `\"a.json\"`".into()));
    assert_eq!(quote_hint("t: 1.5.3", 6), None);
}
