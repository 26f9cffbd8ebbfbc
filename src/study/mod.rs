//! What a study means: its space, objective, optimizer and execution settings.
//!
//! Both study forms (YAML and the study language) are read into the same
//! [`doc::Node`] tree, and [`analyze`] alone turns that tree into a [`Study`].

pub mod analyze;
pub mod command;
pub mod diagnostics;
pub mod doc;
pub mod execution;
pub mod experiment;
pub mod parse;
pub mod print;
pub mod unparse;
pub mod yaml;

use std::path::{Path, PathBuf};

use crate::space::Space;
pub use command::CommandSpec;
pub use diagnostics::{Diagnostic, Span};
pub use execution::{ExecutorKind, SlurmSettings};
pub use experiment::{ExperimentRun, RunSpec, SgdMetric, SgdObjectiveSpec};

/// A parsed and checked study.
#[derive(Clone, Debug, PartialEq)]
pub struct Study {
    /// The study's name (names its journal and reports).
    pub name: String,
    /// The seed every random choice derives from.
    pub seed: u64,
    /// The declared search space; `None` lets a synthetic objective imply one.
    pub space: Option<Space>,
    /// What is minimized or maximized.
    pub objective: Option<ObjectiveSpec>,
    /// How the space is searched.
    pub optimizer: OptimizerSpec,
    /// How evaluations are run.
    pub execution: Execution,
    /// SGD-lab runs (`harmonica experiment`), in order.
    pub experiment: Vec<ExperimentRun>,
    /// Where relative paths in the study are resolved from.
    pub base_dir: PathBuf,
}

/// Minimize or maximize the objective's value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Direction {
    /// Smaller is better (the default).
    #[default]
    Minimize,
    /// Larger is better.
    Maximize,
}

/// An objective and its direction.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectiveSpec {
    /// The kind and its settings.
    pub kind: ObjectiveKind,
    /// Minimize or maximize.
    pub direction: Direction,
}

/// One term `w * prod_{j in S} x_j` of a polynomial over ±1 bits.
#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    /// The coefficient.
    pub w: f64,
    /// The bit indices multiplied together.
    pub bits: Vec<usize>,
}

/// The kinds of objective a study can name.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ObjectiveKind {
    /// The paper's tree of sparse polynomials, read from a JSON table.
    TreePolynomial {
        /// The table file (relative to the study file).
        table: PathBuf,
        /// Overrides the table's noise amplitude.
        noise: Option<f64>,
    },
    /// A sparse polynomial given inline.
    SparsePolynomial {
        /// Number of bits.
        n: usize,
        /// Its terms.
        terms: Vec<Term>,
        /// Amplitude of uniform noise added to each evaluation.
        noise: f64,
    },
    /// An external program run once per trial (see [`command`]).
    Command(CommandSpec),
    /// Training the two-layer net of the SGD lab, with the tuned settings applied.
    Sgd(SgdObjectiveSpec),
}

impl ObjectiveKind {
    /// Every objective type name a study may use.
    pub const NAMES: &'static [&'static str] = &["tree_polynomial", "sparse_polynomial", "command", "sgd"];
}

/// Which Lasso solver fits a stage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Solver {
    /// The matrix-free working-set coordinate descent (`solver: fast`).
    #[default]
    Fast,
    /// `linfa-elasticnet` on the dense feature matrix (`solver: linfa`), the reference.
    Linfa,
}

/// Harmonica's settings (DESIGN.md section 3).
#[derive(Clone, Debug, PartialEq)]
pub struct HarmonicaSpec {
    /// Number of PSR stages.
    pub stages: usize,
    /// Samples T per stage.
    pub samples: usize,
    /// Highest monomial degree d.
    pub degree: usize,
    /// Terms s kept per stage.
    pub terms: usize,
    /// Lasso penalty.
    pub alpha: f64,
    /// Minimizers t kept per stage.
    pub keep: usize,
    /// Refuse to enumerate more than 2^max_bits settings in one stage.
    pub max_bits: usize,
    /// The Lasso solver.
    pub solver: Solver,
    /// What runs on the bits left free.
    pub base: BaseSpec,
}

impl Default for HarmonicaSpec {
    fn default() -> Self {
        Self {
            stages: 3,
            samples: 300,
            degree: 3,
            terms: 5,
            alpha: 3.0,
            keep: 1,
            max_bits: 24,
            solver: Solver::default(),
            base: BaseSpec::Random { evaluations: 300 },
        }
    }
}

/// Base algorithms on the bits left free (and stand-alone baselines).
#[derive(Clone, Debug, PartialEq)]
pub enum BaseSpec {
    /// No base algorithm.
    None,
    /// Uniform random search.
    Random {
        /// Evaluations to spend.
        evaluations: usize,
    },
    /// Successive halving: `configs` configurations from `min_budget` up to `max_budget`.
    SuccessiveHalving {
        /// Configurations in the first rung.
        configs: usize,
        /// Budget of the first rung.
        min_budget: f64,
        /// Budget of the last rung.
        max_budget: f64,
        /// Keep 1/eta of the configurations per rung.
        eta: f64,
    },
    /// Hyperband (Li et al. 2018) up to `max_budget`.
    Hyperband {
        /// The largest budget R.
        max_budget: f64,
        /// The reduction factor.
        eta: f64,
    },
}

impl BaseSpec {
    /// Type names accepted for base algorithms.
    pub const NAMES: &'static [&'static str] = &["none", "random", "successive_halving", "hyperband"];
}

/// How the space is searched.
#[derive(Clone, Debug, PartialEq)]
pub enum OptimizerSpec {
    /// Harmonica's stages, then a base algorithm.
    Harmonica(HarmonicaSpec),
    /// A base algorithm alone over the whole space (a baseline).
    Baseline(BaseSpec),
}

impl Default for OptimizerSpec {
    fn default() -> Self {
        OptimizerSpec::Harmonica(HarmonicaSpec::default())
    }
}

/// How evaluations are run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Execution {
    /// Parallel workers; `None` means one per core.
    pub workers: Option<usize>,
    /// The study fails when more than this fraction of its trials fail; `None` means
    /// [`DEFAULT_MAX_FAILURE_FRACTION`].
    pub max_failure_fraction: Option<f64>,
    /// Where evaluations run.
    pub executor: ExecutorKind,
    /// Settings for the Slurm executor (used when it is chosen).
    pub slurm: SlurmSettings,
}

/// The failure fraction a study tolerates unless it says otherwise.
pub const DEFAULT_MAX_FAILURE_FRACTION: f64 = 0.5;

impl Execution {
    /// The failure fraction in force.
    pub fn max_failure_fraction(&self) -> f64 {
        self.max_failure_fraction.unwrap_or(DEFAULT_MAX_FAILURE_FRACTION)
    }
}

/// Which study form a file is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `.yaml` / `.yml`.
    Yaml,
    /// `.study`: the study language (`grammar/study.pest`).
    Study,
}

impl Format {
    /// The format a path's extension names.
    pub fn of(path: &Path) -> Option<Format> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("yaml" | "yml") => Some(Format::Yaml),
            Some("study") => Some(Format::Study),
            _ => None,
        }
    }
}

/// A study source that failed to load: the diagnostic plus what it points into.
#[derive(Debug)]
pub struct LoadError {
    /// The file as the user named it.
    pub file: String,
    /// Its text (empty if it could not be read).
    pub source: String,
    /// What is wrong.
    pub diagnostic: Diagnostic,
}

impl LoadError {
    /// The rendered error with file, line, column and caret.
    pub fn render(&self) -> String {
        self.diagnostic.render(&self.file, &self.source)
    }
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.render().trim_end())
    }
}

impl std::error::Error for LoadError {}

/// Parses study text in `format`; `base_dir` resolves relative paths.
pub fn parse_str(source: &str, format: Format, base_dir: &Path) -> Result<Study, Diagnostic> {
    let doc = match format {
        Format::Yaml => yaml::parse(source)?,
        Format::Study => parse::parse(source)?,
    };
    analyze::study(&doc, base_dir)
}

/// How a diagnostic about input that ended too early begins; front ends read more
/// lines instead of reporting it.
pub const INCOMPLETE: &str = "unexpected end of input";

/// Parses statements typed in a session into the document tree (top-level sections
/// only, not yet checked): the study language, or YAML when only YAML reads it.
pub fn parse_fragment(source: &str) -> Result<doc::Node, Diagnostic> {
    // Only a started section is incomplete: a lone unknown word is a finished (bad) input.
    let first = source.split(|c: char| c.is_whitespace() || c == '{' || c == ':').find(|w| !w.is_empty());
    let started = first.is_some_and(|w| analyze::STUDY_KEYS.contains(&w));
    match parse::parse_statements(source) {
        Ok(doc) => Ok(doc),
        Err(e) if e.kind == parse::ParseErrorKind::UnexpectedEnd && started => {
            Err(Diagnostic { message: format!("{INCOMPLETE}: {}", e.diagnostic.message), ..e.diagnostic })
        }
        Err(e) => yaml::parse(source).map_err(|_| e.diagnostic),
    }
}

/// Reads and checks a study file.
pub fn load(path: &Path) -> Result<Study, LoadError> {
    let file = path.display().to_string();
    let fail = |source: String, diagnostic| LoadError { file: file.clone(), source, diagnostic };
    let format = Format::of(path)
        .ok_or_else(|| fail(String::new(), Diagnostic::global("a study file must end in .study, .yaml or .yml")))?;
    let source = std::fs::read_to_string(path)
        .map_err(|e| fail(String::new(), Diagnostic::global(format!("cannot read the study file: {e}"))))?;
    let base = path.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    parse_str(&source, format, &base).map_err(|d| fail(source.clone(), d))
}
