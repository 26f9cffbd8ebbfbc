//! Property tests: no input panics the parsers or the checker, and whatever
//! parses formats back to the same study in both forms.
//!
//! The runners use a fixed seed so failures reproduce. Set
//! `HARMONICA_FUZZ_CASES` to run more cases (the default keeps `cargo test` quick).

use std::path::Path;

use harmonica::study::{analyze, parse, print, unparse, yaml, Format, Study};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Valid studies to mutate: every example in both forms.
const SEEDS: &[&str] = &[
    include_str!("../examples/reference_ex2.study"),
    include_str!("../examples/reference_ex2.yaml"),
    include_str!("../examples/sparse_polynomial.study"),
    include_str!("../examples/sparse_polynomial.yaml"),
    include_str!("../examples/random_baseline.study"),
    include_str!("../examples/random_baseline.yaml"),
];

/// Pieces of both grammars, so mutations reach deep into them.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ":",
    ",",
    "..",
    "=",
    "==",
    "\"",
    "\\",
    "#",
    "//",
    "\n",
    " ",
    "\t",
    "log",
    "int",
    "float",
    "bool",
    "bits",
    "when",
    "dummy",
    "study",
    "seed",
    "space",
    "1e-4",
    "-3",
    "0",
    "0.5",
    "1e999",
    "99999999999999999999",
    "\\u{d800}",
    "\\u{41}",
    "true",
    "null",
    "é",
    "type",
    "- ",
    ": ",
    "&a ",
    "*a",
    "!!str ",
    "---\n",
    "{{",
    "}}",
    "lr",
    "x: bool\n",
    "when lr = 1",
    "bits 0",
    "int(64 .. 8)",
    "{1, 1}",
    "{}",
    "[]",
];

fn cases() -> u32 {
    std::env::var("HARMONICA_FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(2000)
}

fn runner() -> TestRunner {
    let config = Config { cases: cases(), failure_persistence: None, ..Config::default() };
    TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

/// Parses and checks `text` in `format`; renders any error. Returns the study if valid.
fn check(text: &str, format: Format) -> Option<Study> {
    let doc = match format {
        Format::Yaml => yaml::parse(text),
        Format::Study => parse::parse(text),
    };
    let result = doc.and_then(|d| analyze::study(&d, Path::new(".")));
    match result {
        Ok(study) => Some(study),
        Err(d) => {
            let rendered = d.render("fuzz", text);
            assert!(rendered.starts_with("error: "), "{rendered}");
            None
        }
    }
}

/// A valid study prints to text that reads back as the same study, in both forms.
fn assert_round_trip(study: &Study) {
    for format in [Format::Study, Format::Yaml] {
        let text = print::study(study, format, &[]);
        let back = check(&text, format);
        assert_eq!(back.as_ref(), Some(study), "{format:?} text:\n{text}");
    }
    let dsl = print::dsl(&unparse::study(study));
    let yaml_text = print::yaml(&unparse::study(study));
    let via_yaml = check(&yaml_text, Format::Yaml).map(|s| print::dsl(&unparse::study(&s)));
    assert_eq!(via_yaml.as_deref(), Some(dsl.as_str()));
}

fn exercise(text: &str) {
    for format in [Format::Study, Format::Yaml] {
        if let Some(study) = check(text, format) {
            assert_round_trip(&study);
        }
    }
    let _ = parse::is_complete(text);
    let _ = parse::parse_statements(text);
}

#[derive(Clone, Debug)]
enum Edit {
    Delete { at: usize, len: usize },
    Insert { at: usize, token: usize },
    Replace { at: usize, len: usize, token: usize },
    Duplicate { at: usize, len: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    let at = any::<usize>();
    prop_oneof![
        (at, 1..12usize).prop_map(|(at, len)| Edit::Delete { at, len }),
        (at, 0..TOKENS.len()).prop_map(|(at, token)| Edit::Insert { at, token }),
        (at, 1..6usize, 0..TOKENS.len()).prop_map(|(at, len, token)| Edit::Replace { at, len, token }),
        (at, 1..40usize).prop_map(|(at, len)| Edit::Duplicate { at, len }),
    ]
}

/// The nearest char boundary at or below `i % (len + 1)`.
fn boundary(s: &str, i: usize) -> usize {
    let mut i = i % (s.len() + 1);
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(text: &mut String, e: &Edit) {
    let range = |text: &String, at: usize, len: usize| {
        let a = boundary(text, at);
        (a, boundary(text, a + len.min(text.len() - a)).max(a))
    };
    match *e {
        Edit::Delete { at, len } => {
            let (a, b) = range(text, at, len);
            text.replace_range(a..b, "");
        }
        Edit::Insert { at, token } => {
            let a = boundary(text, at);
            text.insert_str(a, TOKENS[token]);
        }
        Edit::Replace { at, len, token } => {
            let (a, b) = range(text, at, len);
            text.replace_range(a..b, TOKENS[token]);
        }
        Edit::Duplicate { at, len } => {
            let (a, b) = range(text, at, len);
            let copy = text[a..b].to_owned();
            text.insert_str(b, &copy);
        }
    }
}

#[test]
fn examples_round_trip() {
    for seed in SEEDS {
        exercise(seed);
        assert!(check(seed, Format::Study).or_else(|| check(seed, Format::Yaml)).is_some());
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    let n = cases();
    runner()
        .run(&prop::collection::vec(any::<u8>(), 0..300), |bytes| {
            exercise(&String::from_utf8_lossy(&bytes));
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("arbitrary bytes: {n} inputs");
}

#[test]
fn grammar_shaped_text_never_panics() {
    let n = cases();
    let piece = prop::sample::select(TOKENS);
    runner()
        .run(&prop::collection::vec(piece, 0..60), |pieces| {
            exercise(&format!("study x\n{}", pieces.concat()));
            exercise(&pieces.concat());
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("grammar-shaped text: {n} inputs");
}

#[test]
fn mutated_examples_never_panic_and_round_trip_when_valid() {
    let n = cases();
    let strategy = (0..SEEDS.len(), prop::collection::vec(edit(), 1..5));
    runner()
        .run(&strategy, |(seed, edits)| {
            let mut text = SEEDS[seed].to_owned();
            for e in &edits {
                apply(&mut text, e);
            }
            exercise(&text);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("mutated examples: {n} inputs");
}

#[test]
fn odd_names_and_values_round_trip() {
    use harmonica::space::{Condition, Domain, Param, ParamValue, Space};
    let words = ["true", "a b", "x\"y\\z", "", "null", "12", "é", "tab\there", "line\nbreak", "bits", "1e-4"];
    let values = words.iter().map(|w| ParamValue::Str((*w).to_owned())).collect();
    let floats =
        vec![ParamValue::Float(-0.0), ParamValue::Float(1e300), ParamValue::Float(1e-300), ParamValue::Int(-7)];
    let params = vec![
        Param { name: "my lr".into(), domain: Domain::Bool, when: None },
        Param { name: "when".into(), domain: Domain::Choice(values), when: None },
        Param { name: "x".into(), domain: Domain::Choice(floats), when: None },
        Param {
            name: "int".into(),
            domain: Domain::Float { low: 1e-300, high: 1e300, log: true, bits: 16 },
            when: Some(Condition { param: "when".into(), value: ParamValue::Str("x\"y\\z".into()) }),
        },
        Param {
            name: "k".into(),
            domain: Domain::Int { low: i64::MIN + 1, high: i64::MAX, log: false, bits: 2 },
            when: Some(Condition { param: "my lr".into(), value: ParamValue::Bool(true) }),
        },
    ];
    let mut study = check("study \"odd: name\" seed 9223372036854775807\n", Format::Study).expect("header parses");
    study.space = Some(Space::new(params, 3));
    assert_round_trip(&study);
}
