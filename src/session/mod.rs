//! The interpreter core every front end shares (the terminal REPL, the Jupyter
//! kernel). It holds one study, its engine and what was run, takes inputs in the
//! study language or as commands, and returns MIME bundles. Nothing here prints.

mod commands;
mod experiment;
pub mod output;
pub mod plots;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::exec::{self, LocalPool};
use crate::harmonica::{Engine, Event, Outcome, Phase};
use crate::runner::Prepared;
use crate::study::{self, analyze, Diagnostic, Execution, OptimizerSpec, Span, Study};
pub use commands::COMMANDS;
pub use output::{Outputs, Table};

/// An input that failed: its diagnostic, rendered against the input it points into.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionError {
    /// Where the error points (the input's label, or a file).
    pub file: String,
    /// The text the span points into.
    pub source: String,
    /// What is wrong.
    pub diagnostic: Diagnostic,
}

impl SessionError {
    /// The error rendered like `harmonica check` renders study errors.
    pub fn render(&self) -> String {
        self.diagnostic.render(&self.file, &self.source)
    }

    /// A short one-line message.
    pub fn message(&self) -> &str {
        &self.diagnostic.message
    }
}

impl std::fmt::Display for SessionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.render().trim_end())
    }
}

impl std::error::Error for SessionError {}

/// Progress of a long input, for a front end to draw.
#[derive(Clone, Debug, PartialEq)]
pub enum ProgressEvent {
    /// A batch of `size` evaluations (or experiment runs) started.
    Batch {
        /// What it is ("stage 2", "base rung 1", "experiment").
        label: String,
        /// How many evaluations or runs.
        size: usize,
        /// What is counted: "evaluations" or "runs".
        unit: &'static str,
    },
    /// `done` of the batch's evaluations have finished.
    Trial {
        /// Finished so far.
        done: usize,
        /// The batch size.
        size: usize,
    },
    /// The batch finished.
    BatchDone,
}

/// Whether an input is ready to run, as a front end's `is_complete` asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completeness {
    /// A whole input: run it.
    Complete,
    /// The parser ran out of input: read more lines.
    Incomplete,
    /// It cannot run however it goes on (an unknown command, a syntax error).
    Invalid,
}

/// A progress callback.
pub type ProgressFn = Box<dyn Fn(&ProgressEvent) + Send + Sync>;

/// One entry of the input history.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryEntry {
    /// The execution count it ran as.
    pub count: usize,
    /// The input.
    pub input: String,
}

/// The state of one interactive run.
pub struct Session {
    study: Study,
    prepared: Option<Prepared>,
    engine: Option<Engine>,
    undo: Vec<Engine>,
    workers: usize,
    count: usize,
    history: Vec<HistoryEntry>,
    interrupt: Arc<AtomicBool>,
    progress: Option<ProgressFn>,
    cwd: PathBuf,
    /// The SVG of the last chart shown, for `save plot FILE`.
    last_plot: Option<String>,
    /// The runs of the last SGD experiment.
    outcomes: Vec<crate::experiment::Outcome>,
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

/// What a stepping command drives the engine to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Until {
    Stages(usize),
    End,
}

impl Session {
    /// An empty session: no study loaded, paths relative to the current directory.
    pub fn new() -> Self {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        Self {
            study: Study {
                name: "session".into(),
                seed: 0,
                space: None,
                objective: None,
                optimizer: OptimizerSpec::default(),
                execution: Execution::default(),
                experiment: Vec::new(),
                base_dir: cwd.clone(),
            },
            prepared: None,
            engine: None,
            undo: Vec::new(),
            workers: exec::default_workers(),
            count: 0,
            history: Vec::new(),
            interrupt: Arc::new(AtomicBool::new(false)),
            progress: None,
            cwd,
            last_plot: None,
            outcomes: Vec::new(),
        }
    }

    /// Sets the number of parallel evaluations.
    pub fn set_workers(&mut self, workers: usize) {
        self.workers = workers.max(1);
    }

    /// Sets the progress callback.
    pub fn set_progress(&mut self, progress: ProgressFn) {
        self.progress = Some(progress);
    }

    /// A flag that, when set, stops the running evaluation batch at the next trial.
    pub fn interrupt_handle(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.interrupt)
    }

    /// The execution count of the next input.
    pub fn execution_count(&self) -> usize {
        self.count + 1
    }

    /// Inputs run so far.
    pub fn history(&self) -> &[HistoryEntry] {
        &self.history
    }

    /// The current study definition.
    pub fn study(&self) -> &Study {
        &self.study
    }

    /// Runs one input: a command, or study-language statements.
    pub fn execute(&mut self, code: &str) -> Result<Outputs, SessionError> {
        self.count += 1;
        let trimmed = code.trim();
        if !trimmed.is_empty() {
            self.history.push(HistoryEntry { count: self.count, input: code.trim_end().to_owned() });
        }
        self.interrupt.store(false, Ordering::SeqCst);
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return Ok(Outputs::empty());
        }
        let offset = code.len() - code.trim_start().len();
        match commands::find(first_word(trimmed)).filter(|_| !opens_block(trimmed)) {
            Some(cmd) => {
                let rest = trimmed[first_word(trimmed).len()..].trim();
                let rest_at = offset + trimmed.len() - trimmed[first_word(trimmed).len()..].trim_start().len();
                (cmd.run)(self, &Args { text: rest, at: rest_at, code })
            }
            None if is_statement(first_word(trimmed)) => self.define(code),
            None => {
                let word = first_word(trimmed);
                let mut d =
                    Diagnostic::new(format!("unknown command `{word}`"), Span::new(offset, offset + word.len()));
                d.help = study::diagnostics::did_you_mean(
                    word,
                    COMMANDS.iter().map(|c| c.name).chain(commands::STATEMENTS.iter().copied()),
                )
                .or_else(|| Some("`help` lists the commands".into()));
                Err(self.error(code, d))
            }
        }
    }

    /// Whether `code` is a whole input (false: the front end should read more lines).
    pub fn is_complete(&self, code: &str) -> bool {
        let t = code.trim();
        if t.is_empty() || (commands::find(first_word(t)).is_some() && !opens_block(t)) {
            return true;
        }
        !matches!(study::parse_fragment(code), Err(d) if d.message.starts_with(study::INCOMPLETE))
    }

    /// Whether `code` is complete, incomplete or invalid, decided by the parser.
    pub fn completeness(&self, code: &str) -> Completeness {
        let t = code.trim();
        let word = first_word(t);
        if t.is_empty() || t.starts_with('#') || (commands::find(word).is_some() && !opens_block(t)) {
            return Completeness::Complete;
        }
        if !is_statement(word) {
            return Completeness::Invalid;
        }
        match study::parse_fragment(code) {
            Ok(_) => Completeness::Complete,
            Err(d) if d.message.starts_with(study::INCOMPLETE) => Completeness::Incomplete,
            Err(_) => Completeness::Invalid,
        }
    }

    /// Completions for the word before `cursor`: (start of the word, candidates).
    pub fn complete(&self, code: &str, cursor: usize) -> (usize, Vec<String>) {
        commands::complete(self, code, cursor.min(code.len()))
    }

    /// Help for the word under `cursor`, if it names something.
    pub fn inspect(&self, code: &str, cursor: usize) -> Option<String> {
        commands::inspect(self, code, cursor.min(code.len()))
    }

    fn label(&self) -> String {
        format!("In [{}]", self.count)
    }

    fn error(&self, code: &str, diagnostic: Diagnostic) -> SessionError {
        SessionError { file: self.label(), source: code.to_owned(), diagnostic }
    }

    fn fail(&self, message: impl Into<String>) -> SessionError {
        SessionError { file: self.label(), source: String::new(), diagnostic: Diagnostic::global(message) }
    }

    /// Study-language statements: each top-level section replaces the current one.
    /// An `experiment` alone leaves the engine as it is (it does not tune anything).
    fn define(&mut self, code: &str) -> Result<Outputs, SessionError> {
        let doc = study::parse_fragment(code).map_err(|d| self.error(code, d))?;
        let entries = doc.as_map().map_err(|d| self.error(code, d))?;
        let mut study = self.study.clone();
        let mut said = Vec::new();
        for (key, node) in entries {
            let at = |d| self.error(code, d);
            match key.name.as_str() {
                "study" => study.name = node.as_str().map_err(at)?.to_owned(),
                "seed" => study.seed = node.as_usize().map_err(at)? as u64,
                "space" => study.space = Some(analyze::space(node).map_err(at)?),
                "objective" => study.objective = Some(analyze::objective(node).map_err(at)?),
                "optimizer" => study.optimizer = analyze::optimizer(node).map_err(at)?,
                "execution" => study.execution = analyze::execution(node).map_err(at)?,
                "experiment" => study.experiment = study::experiment::experiment(node).map_err(at)?,
                other => {
                    let mut d = Diagnostic::new(format!("unknown statement `{other}`"), key.span);
                    d.help = study::diagnostics::did_you_mean(
                        other,
                        analyze::STUDY_KEYS.iter().copied().chain(COMMANDS.iter().map(|c| c.name)),
                    );
                    return Err(at(d));
                }
            }
            said.push(key.name.clone());
        }
        if said.iter().all(|k| k == "experiment") {
            let names: Vec<&str> = study.experiment.iter().map(|r| r.name.as_str()).collect();
            let plural = if names.len() == 1 { "" } else { "s" };
            let text =
                format!("defined experiment: {} run{plural} ({}); `experiment` runs it", names.len(), names.join(", "));
            self.study = study;
            return Ok(Outputs::text(text));
        }
        self.replace_study(study)?;
        Ok(Outputs::text(format!("defined {}; the engine starts afresh", said.join(", "))))
    }

    /// Loads a study file.
    fn load(&mut self, path: &Path) -> Result<Outputs, SessionError> {
        let path = if path.is_absolute() { path.to_path_buf() } else { self.cwd.join(path) };
        let study = study::load(&path).map_err(|e| SessionError {
            file: e.file,
            source: e.source,
            diagnostic: e.diagnostic,
        })?;
        self.replace_study(study)?;
        if self.prepared.is_none() && !self.study.experiment.is_empty() {
            let n = self.study.experiment.len();
            let plural = if n == 1 { "" } else { "s" };
            return Ok(Outputs::text(format!(
                "loaded study {}: an experiment of {n} run{plural}; `experiment` runs it",
                self.study.name
            )));
        }
        let p = self.prepared()?;
        Ok(Outputs::text(format!(
            "loaded study {} ({} parameters, {} bits, seed {})",
            p.study.name,
            p.space.params().len(),
            p.space.n_bits(),
            p.study.seed
        )))
    }

    fn replace_study(&mut self, study: Study) -> Result<(), SessionError> {
        self.prepared = if study.objective.is_some() {
            Some(Prepared::new(study.clone()).map_err(|e| self.fail(e.to_string()))?)
        } else {
            None
        };
        if let Some(w) = study.execution.workers {
            self.set_workers(w);
        }
        self.study = study;
        self.engine = None;
        self.undo.clear();
        Ok(())
    }

    fn prepared(&self) -> Result<&Prepared, SessionError> {
        self.prepared.as_ref().ok_or_else(|| {
            self.fail("no study yet: `load FILE`, or define an objective (and a space) in the study language")
        })
    }

    fn engine_mut(&mut self) -> Result<&mut Engine, SessionError> {
        if self.engine.is_none() {
            let engine = self.prepared()?.engine();
            self.engine = Some(engine);
        }
        let label = self.label();
        self.engine.as_mut().ok_or_else(|| SessionError {
            file: label,
            source: String::new(),
            diagnostic: Diagnostic::global("no engine"),
        })
    }

    /// Runs batches until `until`; returns what happened. An interrupt leaves the
    /// batch pending: finished trials are kept and the next step resumes it.
    fn drive(&mut self, until: Until) -> Result<(Vec<Event>, bool), SessionError> {
        self.engine_mut()?;
        let pool = &LocalPool::new(self.workers);
        let (Some(engine), Some(prepared)) = (self.engine.as_mut(), &self.prepared) else {
            return Err(self.fail("no study yet"));
        };
        let mut events = Vec::new();
        let start_stage = engine.stages_done();
        loop {
            let stage_target_met = match until {
                Until::Stages(k) => engine.stages_done() >= start_stage + k,
                Until::End => false,
            };
            if stage_target_met {
                break;
            }
            if matches!(until, Until::Stages(_)) && !matches!(engine.phase(), Some(Phase::Stage(_))) {
                break;
            }
            if engine.phase().is_some_and(|p| matches!(p, Phase::Stage(_))) && !engine.has_pending() {
                self.undo.push(engine.clone());
            }
            let Some(batch) = engine.next_batch() else { break };
            let label = match engine.phase() {
                Some(Phase::Stage(s)) => format!("stage {}", s + 1),
                Some(Phase::Base { bracket, rung }) => format!("base bracket {} rung {}", bracket + 1, rung + 1),
                None => "batch".into(),
            };
            let size = batch.len();
            let notify = |e: ProgressEvent| {
                if let Some(p) = &self.progress {
                    p(&e);
                }
            };
            notify(ProgressEvent::Batch { label, size, unit: "evaluations" });
            let done = std::sync::atomic::AtomicUsize::new(0);
            let interrupt = &self.interrupt;
            let outcomes: Vec<Option<Outcome>> = pool.run(
                &batch,
                |r| (!interrupt.load(Ordering::SeqCst)).then(|| prepared.evaluate(r)),
                |_, _| {
                    let d = done.fetch_add(1, Ordering::SeqCst) + 1;
                    notify(ProgressEvent::Trial { done: d, size });
                },
            );
            notify(ProgressEvent::BatchDone);
            for (req, out) in batch.iter().zip(outcomes) {
                if let Some(out) = out {
                    engine.tell(req.id, out).map_err(|e| SessionError {
                        file: String::new(),
                        source: String::new(),
                        diagnostic: Diagnostic::global(e.to_string()),
                    })?;
                }
            }
            if self.interrupt.load(Ordering::SeqCst) {
                return Ok((events, true));
            }
            let event = engine.advance().map_err(|e| SessionError {
                file: String::new(),
                source: String::new(),
                diagnostic: Diagnostic::global(e.to_string()),
            })?;
            if event == Event::Done {
                break;
            }
            events.push(event);
        }
        Ok((events, false))
    }
}

/// The arguments of a command: the text after its name and where it starts in the input.
pub struct Args<'a> {
    /// The argument text, trimmed.
    pub text: &'a str,
    /// Byte offset of `text` in `code`.
    pub at: usize,
    /// The whole input.
    pub code: &'a str,
}

impl Args<'_> {
    /// The span of a piece of `text` (which must be a subslice of it).
    pub fn span_of(&self, piece: &str) -> Span {
        let start = self.at + (piece.as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize);
        Span::new(start, start + piece.len())
    }

    /// The span of the whole argument text (or just after the command when empty).
    pub fn span(&self) -> Span {
        Span::new(self.at, self.at + self.text.len().max(1))
    }
}

/// Whether a word starts a study-language statement (`space`, `objective:` ...).
fn is_statement(word: &str) -> bool {
    let word = word.trim_end_matches(':');
    let word = word.split(['{', ':']).next().unwrap_or(word);
    commands::STATEMENTS.contains(&word)
}

/// `space { ... }` is a statement even though `space` alone is a command.
fn opens_block(s: &str) -> bool {
    s[first_word(s).len()..].trim_start().starts_with('{')
}

fn first_word(s: &str) -> &str {
    s.split(|c: char| c.is_whitespace()).next().unwrap_or("")
}
