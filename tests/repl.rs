//! `harmonica repl` driven as a user drives it: a scripted session piped in.

use std::io::Write;
use std::process::{Command, Stdio};

fn repl(input: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_harmonica"))
        .args(["repl", "--workers", "2"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("input written");
    let out = child.wait_with_output().expect("the repl ends");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// `text` with every duration (`0.26 s`) replaced by `#.## s`.
fn mask_timings(text: &str) -> String {
    text.split('\n')
        .map(|line| {
            line.split(' ')
                .enumerate()
                .map(|(i, word)| {
                    let is_seconds = line.split(' ').nth(i + 1).is_some_and(|next| next == "s" || next == "s,");
                    let is_number = word.contains('.') && word.chars().all(|c| c.is_ascii_digit() || c == '.');
                    if is_seconds && is_number {
                        "#.##"
                    } else {
                        word
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn timings_are_masked() {
    assert_eq!(mask_timings("2 runs in 0.26 s\nstep 0.5"), "2 runs in #.## s\nstep 0.5");
}

/// The transcript of tests/data/repl_session.in, compared line by line (timings masked).
#[test]
fn piped_session_matches_the_transcript() {
    let input = std::fs::read_to_string("tests/data/repl_session.in").expect("input");
    let expected = std::fs::read_to_string("tests/data/repl_session.out").expect("transcript");
    let got = mask_timings(&repl(&input));
    for (i, (g, e)) in got.lines().zip(expected.lines()).enumerate() {
        assert_eq!(g, e, "line {}", i + 1);
    }
    assert_eq!(got.lines().count(), expected.lines().count());
}

#[test]
fn errors_in_a_piped_session_do_not_stop_it() {
    let got = repl("stepp\nhelp load\n");
    assert_eq!(
        got,
        "In [1]: stepp\nerror: unknown command `stepp`\n --> In [1]:1:1\n  |\n1 | stepp\n  | ^^^^^\n  = help: did you mean `step`?\n\nIn [2]: help load\nload FILE\n  load a study file (.study or .yaml)\n\n"
    );
}
