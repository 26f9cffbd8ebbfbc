//! The command line: `harmonica run`, `harmonica check`, ...

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::exec;
use crate::exec::slurm::{self, shared::SharedDir, SlurmError, SlurmRun};
use crate::harmonica::features;
use crate::report;
use crate::runner::{self, Prepared, Progress, RunError, RunOptions};
use crate::store::{self, Opened, Record, Scan, TrialState};
use crate::study::{self, BaseSpec, ExecutorKind, LoadError, OptimizerSpec};
use crate::trial_table::{self, Format};

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
    /// List the trials in a study's journal.
    Trials {
        #[command(flatten)]
        at: JournalArgs,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Show the best trial in a study's journal.
    Best {
        #[command(flatten)]
        at: JournalArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run the SGD-lab experiment of a study file: a summary table, or JSON, CSV traces, SVG charts.
    Experiment(ExperimentArgs),
    /// The Jupyter kernel: run it (as Jupyter does), or install its kernelspec.
    Kernel(KernelArgs),
    /// Evaluate one trial of a Slurm submission (what each array task runs).
    #[command(hide = true)]
    Worker {
        /// The submission file.
        #[arg(long)]
        batch: PathBuf,
        /// The task's array index (`$SLURM_ARRAY_TASK_ID`).
        #[arg(long)]
        index: usize,
    },
}

/// `--executor`: where evaluations run.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum ExecutorArg {
    /// Worker threads on this machine.
    Local,
    /// Slurm job arrays (settings from the study's `execution.slurm`).
    Slurm,
}

/// Where a study's journal is.
#[derive(clap::Args, Debug)]
struct JournalArgs {
    /// The study file (.study or .yaml), or a journal file (.journal).
    study: PathBuf,
    /// The directory holding the journal (default: beside the study file).
    #[arg(long)]
    storage: Option<PathBuf>,
    /// The journal of a run with this `--seed`.
    #[arg(long)]
    seed: Option<u64>,
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
struct ExperimentArgs {
    /// The study file with an `experiment` block.
    study: PathBuf,
    /// Print one JSON object with every run instead of the table.
    #[arg(long)]
    json: bool,
    /// Write each run's trace as CSV into this directory.
    #[arg(long, value_name = "DIR")]
    csv: Option<PathBuf>,
    /// Write each run's chart as SVG into this directory.
    #[arg(long, value_name = "DIR")]
    svg: Option<PathBuf>,
    /// Runs in parallel (default: one per core).
    #[arg(long)]
    workers: Option<usize>,
}

#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
struct KernelArgs {
    /// The connection file Jupyter wrote (Jupyter passes it when it starts the kernel).
    #[arg(long)]
    connection_file: Option<PathBuf>,
    #[command(subcommand)]
    action: Option<KernelAction>,
}

#[derive(Subcommand, Debug)]
enum KernelAction {
    /// Install the `harmonica` kernelspec so Jupyter finds it.
    Install(SpecPlace),
    /// Remove the `harmonica` kernelspec.
    Uninstall(SpecPlace),
}

/// Where a kernelspec lives (default: the user's Jupyter data directory).
#[derive(clap::Args, Debug)]
#[group(multiple = false)]
struct SpecPlace {
    /// The user's Jupyter data directory (the default).
    #[arg(long)]
    user: bool,
    /// PREFIX/share/jupyter/kernels.
    #[arg(long, value_name = "DIR")]
    prefix: Option<PathBuf>,
    /// The active Python environment's sys.prefix (a virtualenv, conda env).
    #[arg(long)]
    sys_prefix: bool,
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
    /// The directory for the journal and trial output (default: beside the study file).
    #[arg(long)]
    storage: Option<PathBuf>,
    /// Run without a journal: nothing is recorded and nothing resumed.
    #[arg(long, conflicts_with_all = ["storage", "force_new", "retry_failed"])]
    no_journal: bool,
    /// Start over when the journal belongs to a different study (the old one is kept beside it).
    #[arg(long)]
    force_new: bool,
    /// On resume, run the journaled failed trials again instead of replaying their failures.
    #[arg(long)]
    retry_failed: bool,
    /// Where evaluations run (default: the study's `execution.executor`, else local).
    #[arg(long, value_enum)]
    executor: Option<ExecutorArg>,
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
        Command::Repl { study, workers } => crate::repl::run(study, workers).map_or_else(fail, |()| ExitCode::SUCCESS),
        Command::Fmt(args) => fmt(&args),
        Command::Trials { at, format } => trials(&at, format),
        Command::Best { at, json } => best(&at, json),
        Command::Experiment(args) => experiment(&args),
        Command::Kernel(args) => kernel(args),
        Command::Worker { batch, index } => worker(&batch, index),
    }
}

fn kernel(args: KernelArgs) -> ExitCode {
    use crate::kernel::install::{self, Location};
    let place = |p: SpecPlace| match (p.prefix, p.sys_prefix) {
        (Some(dir), _) => Location::Prefix(dir),
        (None, true) => Location::SysPrefix,
        (None, false) => Location::User,
    };
    let result = match (args.action, args.connection_file) {
        (Some(KernelAction::Install(p)), _) => std::env::current_exe()
            .map_err(|e| format!("cannot find the harmonica binary: {e}"))
            .and_then(|exe| install::install(&place(p), &exe).map_err(|e| e.to_string()))
            .map(|dir| println!("installed the harmonica kernelspec in {}", dir.display())),
        (Some(KernelAction::Uninstall(p)), _) => {
            install::uninstall(&place(p)).map(|dir| println!("removed {}", dir.display())).map_err(|e| e.to_string())
        }
        (None, Some(file)) => crate::kernel::run(&file).map_err(|e| e.to_string()),
        (None, None) => Err("`harmonica kernel` needs --connection-file FILE (Jupyter passes it), \
                             or `install` / `uninstall`"
            .into()),
    };
    result.map_or_else(fail, |()| ExitCode::SUCCESS)
}

fn load(path: &Path) -> Result<study::Study, ExitCode> {
    study::load(path).map_err(|e: LoadError| {
        eprint!("{}", e.render());
        ExitCode::from(EXIT_INVALID)
    })
}

fn prepare_study(mut study: study::Study, seed: Option<u64>, path: &Path) -> Result<Prepared, ExitCode> {
    if let Some(seed) = seed {
        study.seed = seed;
    }
    Prepared::new(study).map_err(|e| {
        eprintln!("error: {e}\n --> {}", path.display());
        ExitCode::from(EXIT_INVALID)
    })
}

fn run(args: RunArgs) -> ExitCode {
    let study = match load(&args.study) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let journal = (!args.no_journal).then(|| journal_path(&args.study, &study, args.storage.as_deref(), args.seed));
    let prepared = match prepare_study(study, args.seed, &args.study) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let workers = args.workers.or(prepared.study.execution.workers).unwrap_or_else(exec::default_workers);
    let mut opened = None;
    if let Some(path) = journal {
        let busy = || eprintln!("journal: {} is in use by another run of this study; waiting for it", path.display());
        match store::open_for_run(&path, &prepared.journal_header(), args.force_new, &busy) {
            Ok(o) => {
                eprint!("{}", journal_notes(&o));
                opened = Some(o);
            }
            Err(e) => return fail(RunError::Store(e)),
        }
    }
    let interrupt = match interrupt_flag() {
        Ok(flag) => flag,
        Err(e) => return fail(RunError::Pool(format!("cannot catch Ctrl-C: {e}"))),
    };
    let bar = progress_bar();
    let stages = Mutex::new(String::new());
    let observe = |p: Progress| match p {
        Progress::BatchStarted { phase, size } => {
            bar.reset();
            bar.set_length(size as u64);
            bar.set_message(runner::phase_text(phase));
        }
        Progress::Replayed(n) => bar.inc(n as u64),
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
    let logs = opened.as_ref().map(|o| store::logs_dir(o.journal.path()));
    if let Some(dir) = logs.as_deref().filter(|_| prepared.captures_output()) {
        if let Err(e) = std::fs::create_dir_all(dir) {
            return fail(RunError::Store(store::StoreError::io(dir, e)));
        }
    }
    let journal_path = opened.as_ref().map(|o| o.journal.path().to_path_buf());
    let slurm = match slurm_run(&args, &prepared, journal_path.as_deref(), logs.as_deref()) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let (journal, replay) = match opened.as_mut() {
        Some(o) => (Some(&mut o.journal), Some(&o.replay)),
        None => (None, None),
    };
    let options = RunOptions {
        workers,
        journal,
        replay,
        retry_failed: args.retry_failed,
        interrupt: Some(&interrupt),
        output_dir: logs.as_deref().filter(|_| prepared.captures_output()),
        slurm: slurm.as_ref(),
    };
    let result = runner::run_with(&prepared, options, &observe);
    bar.finish_and_clear();
    match result {
        Ok(result) => {
            if args.json {
                println!("{}", report::to_json(&prepared, &result, workers));
            } else {
                print!("{}", report::summary(&prepared, &result));
            }
            if let Some(path) = &journal_path {
                let ran = result.engine.trials().len() - result.replayed;
                eprintln!("journal: {} ({} trials replayed, {ran} run)", path.display(), result.replayed);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            let code = fail(&e);
            eprint!("{}", after_failure(&e, &args, journal_path.as_deref()));
            code
        }
    }
}

/// The Slurm executor's setup when the study or `--executor` chooses it.
fn slurm_run(
    args: &RunArgs,
    prepared: &Prepared,
    journal: Option<&Path>,
    logs: Option<&Path>,
) -> Result<Option<SlurmRun>, RunError> {
    let kind = match args.executor {
        Some(ExecutorArg::Local) => ExecutorKind::Local,
        Some(ExecutorArg::Slurm) => ExecutorKind::Slurm,
        None => prepared.study.execution.executor,
    };
    if kind == ExecutorKind::Local {
        return Ok(None);
    }
    let Some(journal) = journal else {
        return Err(RunError::Invalid(
            "the slurm executor needs the journal (it is how a killed run resumes): drop --no-journal".into(),
        ));
    };
    if !slurm::queue::installed("sbatch") {
        return Err(RunError::Slurm(SlurmError::NotInstalled("sbatch".into())));
    }
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let program = std::env::current_exe()
        .map_err(|e| RunError::Invalid(format!("cannot find the harmonica binary for the Slurm tasks: {e}")))?;
    Ok(Some(SlurmRun {
        settings: prepared.study.execution.slurm.clone(),
        dir: SharedDir::beside(&absolute(journal)),
        study: absolute(&args.study),
        seed: prepared.study.seed,
        fingerprint: store::fingerprint::of(&prepared.study, &prepared.space),
        logs: logs.filter(|_| prepared.captures_output()).map(absolute),
        program,
    }))
}

/// Runs one Slurm array task; its errors go to Slurm's output file.
fn worker(batch: &Path, index: usize) -> ExitCode {
    crate::worker::run(batch, index).map_or_else(fail, |()| ExitCode::SUCCESS)
}

/// Sets a flag on the first Ctrl-C (or SIGTERM); a second one exits at once.
fn interrupt_flag() -> std::io::Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(sig, 130, Arc::clone(&flag))?;
        signal_hook::flag::register(sig, Arc::clone(&flag))?;
    }
    Ok(flag)
}

/// What opening the journal found, for stderr.
fn journal_notes(o: &Opened) -> String {
    let path = o.journal.path().display();
    let mut s = String::new();
    if let Some(old) = &o.replaced {
        let _ = writeln!(s, "journal: the old journal of another study was moved to {}", old.display());
    }
    for d in &o.damage {
        let what = if d.at_end { "a torn or damaged tail" } else { "damaged records" };
        let _ = writeln!(s, "warning: {path}: {what} at byte offset {} ({} bytes) skipped", d.offset, d.len);
    }
    if let Some(aside) = &o.cut_to {
        let _ = writeln!(s, "warning: {path}: the damaged tail was moved to {}", aside.display());
    }
    if !o.replay.is_empty() {
        let _ = writeln!(s, "journal: resuming from {path}: {} trial results recorded", o.replay.len());
    }
    s
}

/// How to go on after a failed or stopped run.
fn after_failure(e: &RunError, args: &RunArgs, journal: Option<&Path>) -> String {
    let Some(journal) = journal else { return String::new() };
    let mut again = format!("harmonica run {}", args.study.display());
    if let Some(dir) = &args.storage {
        again += &format!(" --storage {}", dir.display());
    }
    if let Some(seed) = args.seed {
        again += &format!(" --seed {seed}");
    }
    match e {
        RunError::Interrupted { .. } => {
            format!("every finished trial is in {}; run `{again}` to resume\n", journal.display())
        }
        RunError::TooManyFailures { .. } => format!(
            "every result is kept in {}; `harmonica trials {}` lists the failures; after fixing the objective, `{again} --retry-failed` runs the failed trials again\n",
            journal.display(),
            args.study.display()
        ),
        _ => String::new(),
    }
}

/// Reports `e` and gives the exit code of a failed command.
fn fail(e: impl std::fmt::Display) -> ExitCode {
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

fn experiment(args: &ExperimentArgs) -> ExitCode {
    let study = match load(&args.study) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if study.experiment.is_empty() {
        eprintln!("error: the study has no `experiment` block\n --> {}", args.study.display());
        return ExitCode::from(EXIT_INVALID);
    }
    let workers = args.workers.or(study.execution.workers).unwrap_or_else(exec::default_workers);
    let outcomes = match crate::experiment::run_all(&study, workers) {
        Ok(o) => o,
        Err(e) => return fail(RunError::Pool(e)),
    };
    for o in &outcomes {
        for w in o.warnings() {
            eprintln!("warning: {}: {w}", o.run.name);
        }
    }
    if let Err(code) = write_outputs(args, &outcomes) {
        return code;
    }
    if args.json {
        println!("{}", crate::experiment::to_json(&study, &outcomes));
    } else {
        print!("{}", crate::experiment::summary(&outcomes));
    }
    let failed: Vec<_> = outcomes.iter().filter_map(|o| o.result.as_ref().err().map(|e| (&o.run.name, e))).collect();
    for (name, e) in &failed {
        eprintln!("error: run `{name}` failed: {e}");
    }
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    }
}

fn write_outputs(args: &ExperimentArgs, outcomes: &[crate::experiment::Outcome]) -> Result<(), ExitCode> {
    if let Some(dir) = &args.csv {
        crate::experiment::write_csv(dir, outcomes)
            .map_err(|e| fail(format!("cannot write the CSV traces to {}: {e}", dir.display())))?;
    }
    if let Some(dir) = &args.svg {
        crate::experiment::write_svg(dir, outcomes).map_err(fail)?;
    }
    Ok(())
}

fn check(path: &Path) -> ExitCode {
    let study = match load(path) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if study.objective.is_none() && !study.experiment.is_empty() {
        print!("{}", describe_experiment(&study));
        return ExitCode::SUCCESS;
    }
    let prepared = match prepare_study(study, None, path) {
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

/// What `harmonica check` prints for a study holding only an experiment.
pub fn describe_experiment(study: &study::Study) -> String {
    let mut s = format!("study {}: experiment with {} runs\n", study.name, study.experiment.len());
    for run in &study.experiment {
        let (kind, settings) = crate::experiment::settings_json(&run.spec);
        let _ = writeln!(s, "  {:<20} {kind:<10} {settings}", run.name);
    }
    s
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

/// The journal of `study` (read from `file`) run with `--storage` and `--seed`: a
/// seed other than the study's own gets a journal of its own.
fn journal_path(file: &Path, study: &study::Study, storage: Option<&Path>, seed: Option<u64>) -> PathBuf {
    store::journal_path(file, &study.name, storage, seed.filter(|&s| s != study.seed))
}

/// Finds and reads the journal `at` names.
fn read_journal(at: &JournalArgs) -> Result<(PathBuf, Scan), ExitCode> {
    let path = if at.study.extension().is_some_and(|e| e == "journal") {
        at.study.clone()
    } else {
        journal_path(&at.study, &load(&at.study)?, at.storage.as_deref(), at.seed)
    };
    if !path.exists() {
        eprintln!("error: no journal at {}: the study has not run yet (or ran with --no-journal)", path.display());
        return Err(ExitCode::from(EXIT_FAILED));
    }
    let scan = Scan::read(&path).map_err(|e| fail(RunError::Store(e)))?;
    for d in &scan.damage {
        eprintln!("warning: {}: damaged records at byte offset {} ({} bytes) skipped", path.display(), d.offset, d.len);
    }
    Ok((path, scan))
}

fn trials(at: &JournalArgs, format: Format) -> ExitCode {
    let (_, scan) = match read_journal(at) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let rows = store::trials::rows(scan.records.iter().map(|(_, r)| r));
    print!("{}", trial_table::render(&rows, format));
    ExitCode::SUCCESS
}

fn best(at: &JournalArgs, json: bool) -> ExitCode {
    let (path, scan) = match read_journal(at) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let (name, maximize) = match scan.header() {
        Some(Record::Study { study, direction, .. }) => (study.clone(), direction == "maximize"),
        _ => (path.display().to_string(), false),
    };
    let rows = store::trials::rows(scan.records.iter().map(|(_, r)| r));
    let best = store::trials::best(&rows, maximize);
    if json {
        println!("{}", trial_table::best_json(&name, best));
    } else {
        let failed = rows.iter().filter(|r| matches!(r.state, TrialState::Failed { .. })).count();
        print!("{}", trial_table::best_text(&name, best, (rows.len(), failed)));
    }
    if best.is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    }
}
