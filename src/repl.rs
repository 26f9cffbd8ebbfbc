//! `harmonica repl`: a terminal front end over the session core. It reads inputs
//! (several lines when the parser says the input goes on), runs them, prints the
//! plain-text output, and draws a progress bar during stages. With stdin not a
//! terminal it reads inputs line by line, so sessions can be scripted.

use std::borrow::Cow;
use std::cell::RefCell;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::Ordering;

use indicatif::{ProgressBar, ProgressStyle};
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Editor, Helper};

use crate::session::{Outputs, ProgressEvent, Session};

/// Runs the REPL until end of input; `load` is a study to load first.
pub fn run(load: Option<PathBuf>, workers: Option<usize>) -> std::io::Result<()> {
    let mut session = Session::new();
    if let Some(w) = workers {
        session.set_workers(w);
    }
    let interactive = std::io::stdin().is_terminal();
    if interactive {
        install_progress(&mut session);
    }
    // Ctrl-C while an input runs stops the batch; at the prompt rustyline sees it as a key.
    let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, session.interrupt_handle());
    let session = Rc::new(RefCell::new(session));
    if let Some(path) = load {
        let code = format!("load {}", path.display());
        execute(&session, &code, !interactive);
    }
    if interactive {
        interactive_loop(&session)
    } else {
        scripted_loop(&session)
    }
}

fn install_progress(session: &mut Session) {
    let bar = ProgressBar::hidden();
    if let Ok(style) = ProgressStyle::with_template("{msg:>18} [{bar:30}] {pos}/{len} {elapsed_precise}") {
        bar.set_style(style.progress_chars("=> "));
    }
    session.set_progress(Box::new(move |e| match e {
        ProgressEvent::Batch { label, size, .. } => {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            bar.reset();
            bar.set_length(*size as u64);
            bar.set_message(label.clone());
        }
        ProgressEvent::Trial { done, .. } => bar.set_position(*done as u64),
        ProgressEvent::BatchDone => bar.finish_and_clear(),
    }));
}

/// Runs one input and prints what it gave (errors rendered with their caret).
fn execute(session: &Rc<RefCell<Session>>, code: &str, echo: bool) {
    let mut s = session.borrow_mut();
    if echo {
        let count = s.execution_count();
        let shown = code.trim_end().replace('\n', "\n   ...: ");
        println!("In [{count}]: {shown}");
    }
    match s.execute(code) {
        Ok(out) => print_outputs(&out),
        Err(e) => print!("{}", e.render()),
    }
    if echo {
        println!();
    }
    let _ = std::io::stdout().flush();
}

/// Prints an input's streams, its text, then each display's text (a chart's
/// sparklines; `save plot FILE` writes the SVG).
fn print_outputs(out: &Outputs) {
    print!("{}", out.stdout());
    eprint!("{}", out.stderr());
    for text in std::iter::once(out.plain()).chain(out.displays().iter().map(Outputs::plain)) {
        if !text.is_empty() {
            print!("{text}");
            if !text.ends_with('\n') {
                println!();
            }
        }
    }
}

fn scripted_loop(session: &Rc<RefCell<Session>>) -> std::io::Result<()> {
    let mut pending = String::new();
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        pending.push_str(&line);
        pending.push('\n');
        if session.borrow().is_complete(&pending) {
            execute(session, &pending, true);
            pending.clear();
        }
    }
    if !pending.trim().is_empty() {
        execute(session, &pending, true);
    }
    Ok(())
}

fn history_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("HARMONICA_HISTORY") {
        return Some(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(base.join("harmonica").join("history"))
}

fn interactive_loop(session: &Rc<RefCell<Session>>) -> std::io::Result<()> {
    let config =
        rustyline::Config::builder().completion_type(rustyline::CompletionType::List).auto_add_history(false).build();
    let mut editor: Editor<ReplHelper, rustyline::history::DefaultHistory> =
        Editor::with_config(config).map_err(std::io::Error::other)?;
    editor.set_helper(Some(ReplHelper { session: Rc::clone(session) }));
    let history = history_path();
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    println!("Harmonica {} — `help` lists the commands, Ctrl-D quits.", env!("CARGO_PKG_VERSION"));
    loop {
        let prompt = format!("In [{}]: ", session.borrow().execution_count());
        match editor.readline(&prompt) {
            Ok(line) => {
                let _ = editor.add_history_entry(line.as_str());
                session.borrow().interrupt_handle().store(false, Ordering::SeqCst);
                execute(session, &line, false);
                println!();
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(std::io::Error::other(e)),
        }
    }
    if let Some(h) = &history {
        if let Some(dir) = h.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = editor.save_history(h);
    }
    Ok(())
}

/// Completion and multi-line validation from the session.
struct ReplHelper {
    session: Rc<RefCell<Session>>,
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (start, words) = self.session.borrow().complete(line, pos);
        Ok((start, words.into_iter().map(|w| Pair { display: w.clone(), replacement: w }).collect()))
    }
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(if self.session.borrow().is_complete(ctx.input()) {
            ValidationResult::Valid(None)
        } else {
            ValidationResult::Incomplete
        })
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Highlighter for ReplHelper {
    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(&'s self, prompt: &'p str, _default: bool) -> Cow<'b, str> {
        Cow::Borrowed(prompt)
    }
}

impl Helper for ReplHelper {}
