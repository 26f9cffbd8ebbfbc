//! Snapshots of the errors users see, in both study forms. Each snapshot is the
//! full rendering: message, `--> file:line:col`, the source line, the caret and
//! the hint. Review a changed `.snap` file as you would review the message.

use std::path::Path;

use harmonica::study::{parse_str, Format};

/// Renders the error `source` gives, or "ok".
fn render(file: &str, source: &str) -> String {
    let format = Format::of(Path::new(file)).unwrap_or(Format::Study);
    match parse_str(source, format, Path::new(".")) {
        Ok(_) => "ok".into(),
        Err(d) => d.render(file, source),
    }
}

const HEAD: &str = "study \"s\" seed 1\nobjective tree_polynomial { table: \"t.json\" }\n";

fn dsl(body: &str) -> String {
    format!("{HEAD}{body}\n")
}

fn cases() -> Vec<(&'static str, &'static str, String)> {
    vec![
        // Syntax errors in the study language.
        ("missing_header", "s.study", "objective tree_polynomial { table: \"t.json\" }\n".into()),
        ("header_without_name", "s.study", "study\n".into()),
        ("seed_without_number", "s.study", "study s seed\n".into()),
        ("missing_colon", "s.study", dsl("optimizer harmonica {\n  stages 3\n}")),
        ("misspelled_bits_keyword", "s.study", dsl("space {\n  lr: log(1e-4 .. 1e-1) bit 3\n}")),
        ("range_missing_bound", "s.study", dsl("space {\n  lr: log(1e-4 .. )\n}")),
        ("range_missing_dots", "s.study", dsl("space {\n  width: 8\n}")),
        ("range_wrong_bracket", "s.study", dsl("space {\n  lr: log[1e-4 .. 1e-1]\n}")),
        ("range_unclosed_paren", "s.study", dsl("space {\n  width: int(8 .. 64 bits 3\n}")),
        ("when_missing_equals", "s.study", dsl("space {\n  a: bool\n  b: 0.0 .. 1.0 when a true\n}")),
        ("when_missing_value", "s.study", dsl("space {\n  a: bool\n  b: 0.0 .. 1.0 when a =\n}")),
        ("dummy_not_whole", "s.study", dsl("space {\n  dummy 2.5\n}")),
        ("space_not_closed", "s.study", dsl("space {\n  a: bool\n")),
        ("list_not_closed", "s.study", dsl("experiment { runs: [1, 2 }")),
        ("string_not_closed", "s.study", dsl("execution { storage: \"runs/\n}")),
        ("stray_closing_brace", "s.study", dsl("}")),
        ("unquoted_path", "s.study", "study s\nobjective tree_polynomial { table: reference_ex2.json }\n".into()),
        ("integer_too_large", "s.study", dsl("space {\n  n: int(0 .. 99999999999999999999)\n}")),
        ("escape_names_no_character", "s.study", dsl("execution { storage: \"\\u{d800}\" }")),
        ("number_with_two_points", "s.study", dsl("optimizer harmonica { alpha: 1.5.3 }")),
        // Meaning errors in the study language: the same checks as YAML.
        ("low_above_high", "s.study", dsl("space {\n  width: int(64 .. 8) bits 3\n}")),
        ("zero_bits", "s.study", dsl("space {\n  lr: log(1e-4 .. 1e-1) bits 0\n}")),
        ("int_bits_exceed_range", "s.study", dsl("space {\n  k: int(1 .. 4) bits 5\n}")),
        ("log_range_not_positive", "s.study", dsl("space {\n  lr: log(0.0 .. 1.0)\n}")),
        ("when_unknown_parameter", "s.study", dsl("space {\n  momentum: bool\n  dropout: 0.0 .. 0.5 when momentun = true\n}")),
        ("when_later_parameter", "s.study", dsl("space {\n  dropout: 0.0 .. 0.5 when momentum = true\n  momentum: bool\n}")),
        ("when_value_never_taken", "s.study", dsl("space {\n  batch: {16, 32}\n  lr: 0.0 .. 1.0 when batch = 20\n}")),
        ("duplicate_parameter", "s.study", dsl("space {\n  lr: bool\n  width: int(8 .. 64)\n  lr: 0.0 .. 1.0\n}")),
        ("duplicate_choice_value", "s.study", dsl("space {\n  batch: {16, 32, 16}\n}")),
        ("empty_choice", "s.study", dsl("space {\n  batch: {}\n}")),
        ("bits_on_bool", "s.study", dsl("space {\n  momentum: bool bits 2\n}")),
        ("duplicate_bits", "s.study", dsl("space {\n  lr: 0.0 .. 1.0 bits 2 bits 3\n}")),
        ("unknown_objective_kind", "s.study", "study s\nobjective tree_polynomal { table: \"t.json\" }\n".into()),
        ("misspelled_optimizer_key", "s.study", dsl("optimizer harmonica {\n  degre: 3\n}")),
        ("unknown_key_no_suggestion", "s.study", dsl("optimizer harmonica {\n  temperature: 3\n}")),
        ("unknown_base", "s.study", dsl("optimizer harmonica {\n  base: hyperbnd { max_budget: 27 }\n}")),
        ("key_given_twice", "s.study", dsl("optimizer harmonica {\n  stages: 3\n  stages: 4\n}")),
        ("negative_seed", "s.study", "study s seed -1\n".into()),
        ("unknown_section", "s.study", dsl("optimiser harmonica {}")),
        ("wrong_value_kind", "s.study", dsl("optimizer harmonica {\n  samples: many\n}")),
        // The same meaning errors in YAML, rendered the same way.
        ("yaml_low_above_high", "s.yaml", "study: s\nspace:\n  width: {type: int, low: 64, high: 8, bits: 3}\n".into()),
        ("yaml_zero_bits", "s.yaml", "study: s\nspace:\n  lr: {type: float, low: 0.0001, high: 0.1, log: true, bits: 0}\n".into()),
        ("yaml_when_unknown_parameter", "s.yaml", "study: s\nspace:\n  momentum: {type: bool}\n  dropout: {type: float, low: 0.0, high: 0.5, when: {momentun: true}}\n".into()),
        ("yaml_misspelled_optimizer_key", "s.yaml", "study: s\noptimizer:\n  type: harmonica\n  degre: 3\n".into()),
        ("yaml_unknown_objective_kind", "s.yaml", "study: s\nobjective:\n  type: tree_polynomal\n  table: t.json\n".into()),
        ("yaml_syntax", "s.yaml", "study: s\nspace: {lr: [1, 2\n".into()),
        ("yaml_unknown_parameter_type", "s.yaml", "study: s\nspace:\n  lr: {type: flaot, low: 0, high: 1}\n".into()),
    ]
}

#[test]
fn error_messages() {
    for (name, file, source) in cases() {
        insta::assert_snapshot!(name, render(file, &source), &source);
    }
}

#[test]
fn every_case_is_an_error_with_many_distinct_messages() {
    let mut seen = std::collections::BTreeSet::new();
    for (name, file, source) in cases() {
        let out = render(file, &source);
        assert!(out.starts_with("error: "), "{name}: {out}");
        seen.insert(out.lines().next().unwrap_or_default().to_owned());
    }
    assert!(seen.len() >= 25, "{} distinct messages", seen.len());
}
