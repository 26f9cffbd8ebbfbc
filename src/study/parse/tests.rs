//! Rule-level tests of the grammar and of the tree it builds.

use super::*;

fn ok(rule: Rule, text: &str) -> bool {
    StudyParser::parse(rule, text).is_ok_and(|mut p| p.next().is_some_and(|p| p.as_str() == text))
}

fn err(source: &str) -> String {
    match parse(source) {
        Ok(_) => "ok".into(),
        Err(d) => d.render("t.study", source),
    }
}

#[test]
fn debug_errors() {
    for s in [
        "objective x {}",
        "study x\noptimizer harmonica { stages 3 }",
        "study x\nspace { lr: log(1e-4 .. ) }",
        "study x\nspace { lr: log(1e-4 .. 1) bit 3 }",
        "study x\nspace {\n lr: 3\n}",
        "study x\nspace {\n",
        "study x\nobjective a { t: \"abc\n}",
        "study x\n}",
        "study x seed\n",
        "study x\nspace { a: {1, 2 }",
        "study x\nspace { lr: 3 }",
        "study x\nspace { lr: 3 .. }",
        "study x\nspace { lr: log[1 .. 2] }",
        "study x\nspace { lr: 0 .. 1 bits }",
        "study x\nspace { lr: 0 .. 1 when }",
        "study x\nspace { lr: 0 .. 1 when a }",
        "study x\nspace { lr: 0 .. 1 when a = }",
        "study x\nspace { dummy }",
        "study x\nspace { dummy 2.5 }",
        "study x\nobjective a { l: [1, 2 }",
        "study x\nobjective a { l: 1.5.3 }",
        "study x\nobjective a { l: 99999999999999999999 }",
        "study x\nobjective a { l: \"\\u{d800}\" }",
        "study x\noptimizer harmonica {\n  stages: 3\n  base: random { evaluations }\n}",
        "study 12",
        "study x seed -1 seed 2",
        "study x\nseed: 1",
        "study\n",
        "study x\nspace { lr: int(1 .. 2 }",
        "study x\nspace { lr: {} }",
        "study x\nobjective tree { table: reference.json }",
    ] {
        println!("{}\n", err(s));
    }
}
