//! The command line: `harmonica run`, `harmonica check`, ...

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::exec::{self, LocalPool};
use crate::harmonica::{features, Phase};
use crate::report;
use crate::runner::{self, Prepared, Progress, RunError};
use crate::study::{self, BaseSpec, LoadError, OptimizerSpec};

/// Tune hyperparameters with Harmonica, the spectral method of Hazan, Klivans and Yuan.
#[derive(Parser, Debug)]
#[command(name = "harmonica", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a study: Harmonica's stages, then its base algorithm.
    Run(RunArgs),
    /// Check a study file and print what it means.
    Check {
        /// The study file (.study or .yaml).
        study: PathBuf,
    },
    /// Explore a study interactively: step through stages, inspect what each learned.
    ///
    /// With stdin not a terminal, inputs are read line by line and each is echoed
    /// with its output, so sessions can be scripted.
    Repl {
        /// A study file to load first.
        study: Option<PathBuf>,
        /// Parallel evaluations (default: one per core).
        #[arg(long)]
        workers: Option<usize>,
    },
    /// Print a study canonically formatted, or converted to the other form.
    Fmt(FmtArgs),
}

#[derive(clap::Args, Debug)]
struct FmtArgs {
    /// The study file (.study or .yaml).
    study: PathBuf,
    /// The form to print; the file's own form by default.
    #[arg(long, value_enum)]
    to: Option<FmtTarget>,
}

/// The forms `harmonica fmt` prints.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum FmtTarget {
    /// The study language (.study).
    Dsl,
    /// YAML.
    Yaml,
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// The study file (.study or .yaml).
    study: PathBuf,
    /// Override the study's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Parallel evaluations (default: the study's `execution.workers`, else one per core).
    #[arg(long)]
    workers: Option<usize>,
    /// Print one JSON object with the result instead of the summary.
    #[arg(long)]
    json: bool,
}

/// Exit code for an invalid study.
const EXIT_INVALID: u8 = 2;
/// Exit code for a run that failed.
const EXIT_FAILED: u8 = 1;

/// Parses the arguments and runs the command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run(args),
        Command::Check { study } => check(&study),
        Command::Repl { study, workers } => match crate::repl::run(study, workers) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(EXIT_FAILED)
            }
        },
        Command::Fmt(args) => fmt(&args),
    }
}

fn load(path: &Path) -> Result<study::Study, ExitCode> {
    study::load(path).map_err(|e: LoadError| {
        eprint!("{}", e.render());
        ExitCode::from(EXIT_INVALID)
    })
}

fn prepare(path: &Path, seed: Option<u64>) -> Result<Prepared, ExitCode> {
    let mut study = load(path)?;
    if let Some(seed) = seed {
        study.seed = seed;
    }
    Prepared::new(study).map_err(|e| {
        eprintln!("error: {e}\n --> {}", path.display());
        ExitCode::from(EXIT_INVALID)
    })
}

fn run(args: RunArgs) -> ExitCode {
    let prepared = match prepare(&args.study, args.seed) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let workers = args.workers.or(prepared.study.execution.workers).unwrap_or_else(exec::default_workers);
    let pool = match LocalPool::new(workers) {
        Ok(p) => p,
        Err(e) => return fail(&RunError::Pool(e.to_string())),
    };
    let bar = progress_bar();
    let stages = Mutex::new(String::new());
    let observe = |p: Progress| match p {
        Progress::BatchStarted { phase, size } => {
            bar.reset();
            bar.set_length(size as u64);
            bar.set_message(match phase {
                Phase::Stage(s) => format!("stage {}", s + 1),
                Phase::Base { bracket, rung } => format!("base bracket {} rung {}", bracket + 1, rung + 1),
            });
        }
        Progress::TrialDone(_) => bar.inc(1),
        Progress::Stage(report, took) => {
            let text = report::stage_text(&prepared.space, report);
            let line = format!("{text}  {:<10}{:.3} s\n", "fit time", took.as_secs_f64());
            if !args.json {
                bar.suspend(|| print!("{line}"));
            }
            if let Ok(mut s) = stages.lock() {
                s.push_str(&line);
            }
        }
    };
    let result = runner::run(&prepared, &pool, &observe);
    bar.finish_and_clear();
    match result {
        Ok(result) => {
            if args.json {
                println!("{}", report::to_json(&prepared, &result, pool.workers()));
            } else {
                print!("{}", report::summary(&prepared, &result));
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn fail(e: &RunError) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(EXIT_FAILED)
}

fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template("{msg:>18} [{bar:30}] {pos}/{len} {elapsed_precise}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn check(path: &Path) -> ExitCode {
    let prepared = match prepare(path, None) {
        Ok(p) => p,
        Err(code) => return code,
    };
    print!("{}", describe(&prepared));
    ExitCode::SUCCESS
}

fn fmt(args: &FmtArgs) -> ExitCode {
    let study = match load(&args.study) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let to = match args.to {
        Some(FmtTarget::Dsl) => study::Format::Study,
        Some(FmtTarget::Yaml) => study::Format::Yaml,
        None => study::Format::of(&args.study).unwrap_or(study::Format::Study),
    };
    let source = std::fs::read_to_string(&args.study).unwrap_or_default();
    print!("{}", study::print::study(&study, to, &study::print::leading_comments(&source)));
    ExitCode::SUCCESS
}

/// What `harmonica check` prints: the space, its bits and the work per stage.
pub fn describe(p: &Prepared) -> String {
    let mut s = String::new();
    let study = &p.study;
    let _ = writeln!(s, "study {} (seed {})", study.name, study.seed);
    let _ = writeln!(s, "space: {} parameters, {} bits", p.space.params().len(), p.space.n_bits());
    for (i, param) in p.space.params().iter().enumerate() {
        let bits = p.space.bits_of(i);
        let range =
            if bits.is_empty() { "no bits".to_string() } else { format!("bits {}..{}", bits.start, bits.end - 1) };
        let when = param.when.as_ref().map(|c| format!(" when {} = {}", c.param, c.value)).unwrap_or_default();
        if p.space.params().len() <= 24 || i < 8 {
            let _ = writeln!(s, "  {:<12} {:<40} {range}{when}", param.name, param.domain.to_string());
        } else if i == 8 {
            let _ = writeln!(s, "  ... {} more", p.space.params().len() - 8);
        }
    }
    if p.space.dummy() > 0 {
        let start = p.space.n_bits() - p.space.dummy();
        let _ = writeln!(s, "  {:<12} {:<40} bits {}..{}", "dummy", p.space.dummy(), start, p.space.n_bits() - 1);
    }
    match &study.optimizer {
        OptimizerSpec::Harmonica(h) => {
            let _ = writeln!(
                s,
                "optimizer: harmonica, {} stages x {} samples, degree {}, {} terms, alpha {}, keep {}",
                h.stages, h.samples, h.degree, h.terms, h.alpha, h.keep
            );
            let n = p.space.n_bits();
            let _ = writeln!(
                s,
                "  stage 1 fits {} features over {n} bits; each stage fixes at most {} bits, so later stages fit fewer",
                features::count(n, h.degree),
                h.terms * h.degree
            );
            let _ = writeln!(s, "  base: {}", base_text(&h.base));
        }
        OptimizerSpec::Baseline(b) => {
            let _ = writeln!(s, "optimizer: {}", base_text(b));
        }
    }
    s
}

fn base_text(b: &BaseSpec) -> String {
    let rungs = crate::harmonica::base::plan(b);
    let evals: usize = rungs.iter().map(|r| r.configs).sum();
    match b {
        BaseSpec::None => "none".into(),
        BaseSpec::Random { evaluations } => format!("random search, {evaluations} evaluations"),
        BaseSpec::SuccessiveHalving { configs, .. } => {
            format!("successive halving from {configs} configurations, {} rungs, {evals} evaluations", rungs.len())
        }
        BaseSpec::Hyperband { max_budget, eta } => {
            format!("hyperband up to budget {max_budget} (eta {eta}), {} rungs, {evals} evaluations", rungs.len())
        }
    }
}
