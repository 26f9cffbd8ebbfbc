//! Training the two-layer net: teachers, initialisations, the three optimizers
//! (population GD with the closed form, online SGD, a finite training set with
//! epochs and a test set), and the logger that fills the trace.

use std::path::PathBuf;

use ndarray::{Array2, ArrayView2, Axis, Zip};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::Serialize;

use super::linalg::{self, frobenius, min_cost_assignment};
use super::net::{BatchGrad, ClosedForm, Model};
use super::trace::{markers, Markers, TraceRow};
use super::SgdError;

/// How the teacher's W* is built.
#[derive(Clone, Debug, PartialEq)]
pub enum TeacherSpec {
    /// A Gaussian matrix scaled to spectral norm `norm`.
    Gaussian {
        /// ||W*||_2.
        norm: f64,
    },
    /// `scale` times a random orthogonal matrix: by default the Q of a Householder QR
    /// of a Gaussian matrix as `numpy.linalg.qr` returns it (diagonal leaning
    /// negative); with `haar` a Haar-distributed Q.
    Orthogonal {
        /// The scale s.
        scale: f64,
        /// Draw Q from the Haar measure instead.
        haar: bool,
    },
    /// `scale` times the identity.
    Identity {
        /// The scale s.
        scale: f64,
    },
    /// A d x d matrix read from a file (JSON list of rows, or rows of numbers).
    File(PathBuf),
}

/// How the student's W0 is built.
#[derive(Clone, Debug, PartialEq)]
pub enum InitSpec {
    /// W0 = 0.
    Zero,
    /// A Gaussian matrix scaled to spectral norm `norm`.
    Gaussian {
        /// ||W0||_2.
        norm: f64,
    },
}

/// Which gradient drives the updates.
#[derive(Clone, Debug, PartialEq)]
pub enum Method {
    /// Population gradient descent with the closed-form gradient.
    Gd,
    /// Online SGD: a fresh batch of `batch` Gaussian inputs per step.
    Sgd {
        /// Batch size B.
        batch: usize,
    },
    /// Epochs over a fixed training set of `samples` inputs, reshuffled each epoch,
    /// with a held-out test set of `test_samples`.
    Finite {
        /// Batch size B.
        batch: usize,
        /// Training set size.
        samples: usize,
        /// Test set size.
        test_samples: usize,
    },
}

/// The settings of one two-layer run.
#[derive(Clone, Debug, PartialEq)]
pub struct TwoLayerConfig {
    /// ResLink or vanilla.
    pub model: Model,
    /// Input dimension d (and hidden width).
    pub d: usize,
    /// The teacher W*.
    pub teacher: TeacherSpec,
    /// The student's start W0.
    pub init: InitSpec,
    /// The gradient used.
    pub method: Method,
    /// Learning rate eta.
    pub lr: f64,
    /// Heavy-ball momentum in [0, 1).
    pub momentum: f64,
    /// Number of updates.
    pub steps: usize,
    /// Seed of the initialisation and the data.
    pub seed: u64,
    /// Seed of the teacher (defaults to `seed`); kept apart so tuning trials share one teacher.
    pub teacher_seed: Option<u64>,
    /// Log every this many steps (the last step is always logged).
    pub log_every: usize,
    /// |g| below this marks the `small_g_step`.
    pub g_threshold: f64,
}

impl TwoLayerConfig {
    /// A population-GD run of `model` with Gaussian teacher and init of norm 0.6.
    pub fn new(model: Model, d: usize) -> Self {
        Self {
            model,
            d,
            teacher: TeacherSpec::Gaussian { norm: 0.6 },
            init: InitSpec::Gaussian { norm: 0.6 },
            method: Method::Gd,
            lr: 0.05,
            momentum: 0.0,
            steps: 1000,
            seed: 0,
            teacher_seed: None,
            log_every: 1,
            g_threshold: 1e-2,
        }
    }

    /// The settings with a relative teacher file resolved against `base_dir`.
    pub fn resolved(&self, base_dir: &std::path::Path) -> Self {
        let mut cfg = self.clone();
        if let TeacherSpec::File(p) = &self.teacher {
            cfg.teacher = TeacherSpec::File(base_dir.join(p));
        }
        cfg
    }

    /// The batch size, if the method samples batches.
    pub fn batch(&self) -> Option<usize> {
        match self.method {
            Method::Gd => None,
            Method::Sgd { batch } | Method::Finite { batch, .. } => Some(batch),
        }
    }
}

/// How a two-layer run ended.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FinalState {
    /// Population loss at the last step.
    pub loss: f64,
    /// Distance to W* at the last step.
    pub distance: f64,
    /// g at the last step.
    pub g: f64,
    /// The last step reached.
    pub step: usize,
    /// The step where the loss stopped being finite, if it did.
    pub diverged_at: Option<usize>,
    /// The test loss at the last step (finite training sets).
    pub test_loss: Option<f64>,
}

/// A finished two-layer run.
#[derive(Clone, Debug)]
pub struct TwoLayerRun {
    /// One row per logged step.
    pub trace: Vec<TraceRow>,
    /// The phase markers.
    pub markers: Markers,
    /// The end state.
    pub final_state: FinalState,
}

/// A loss above this counts as diverged.
pub const DIVERGED: f64 = 1e12;

/// Stream numbers that keep the teacher, the start and the data independent.
const TEACHER_STREAM: u64 = 1;
const INIT_STREAM: u64 = 2;
const DATA_STREAM: u64 = 3;

fn rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(stream);
    r
}

/// A Gaussian matrix scaled to spectral norm `norm`.
pub fn gaussian_with_norm(d: usize, norm: f64, rng: &mut impl Rng) -> Array2<f64> {
    let g = linalg::gaussian(d, d, rng);
    let s = linalg::spectral_norm(&g.view());
    if s > 0.0 {
        g * (norm / s)
    } else {
        g
    }
}

/// The teacher's W* (the parameter, not I + W*).
pub fn teacher_matrix(spec: &TeacherSpec, d: usize, seed: u64) -> Result<Array2<f64>, SgdError> {
    let mut r = rng(seed, TEACHER_STREAM);
    Ok(match spec {
        TeacherSpec::Gaussian { norm } => gaussian_with_norm(d, *norm, &mut r),
        TeacherSpec::Orthogonal { scale, haar: true } => linalg::orthogonal(d, &mut r) * *scale,
        TeacherSpec::Orthogonal { scale, haar: false } => linalg::householder_q(d, &mut r) * *scale,
        TeacherSpec::Identity { scale } => Array2::eye(d) * *scale,
        TeacherSpec::File(path) => read_matrix(path, d)?,
    })
}

/// The student's W0.
pub fn init_matrix(spec: &InitSpec, d: usize, seed: u64) -> Array2<f64> {
    match spec {
        InitSpec::Zero => Array2::zeros((d, d)),
        InitSpec::Gaussian { norm } => gaussian_with_norm(d, *norm, &mut rng(seed, INIT_STREAM)),
    }
}

/// Reads a d x d matrix: a JSON list of rows, or lines of numbers separated by
/// spaces or commas (`#` starts a comment).
pub fn read_matrix(path: &std::path::Path, d: usize) -> Result<Array2<f64>, SgdError> {
    let name = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|e| SgdError::Input(format!("cannot read the matrix {name}: {e}")))?;
    let rows: Vec<Vec<f64>> = match serde_json::from_str(&text) {
        Ok(rows) => rows,
        Err(_) => text_rows(&text).map_err(|m| SgdError::Input(format!("{name}: {m}")))?,
    };
    if rows.len() != d || rows.iter().any(|r| r.len() != d) {
        let cols = rows.first().map_or(0, Vec::len);
        return Err(SgdError::Input(format!("{name}: expected a {d} x {d} matrix, found {} x {cols}", rows.len())));
    }
    if rows.iter().flatten().any(|x| !x.is_finite()) {
        return Err(SgdError::Input(format!("{name}: the matrix has a non-finite entry")));
    }
    Ok(Array2::from_shape_fn((d, d), |(i, j)| rows[i][j]))
}

fn text_rows(text: &str) -> Result<Vec<Vec<f64>>, String> {
    let mut rows = Vec::new();
    for (no, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let row = line
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|t| !t.is_empty())
            .map(|t| t.parse::<f64>().map_err(|_| format!("line {}: `{t}` is not a number", no + 1)))
            .collect::<Result<Vec<_>, _>>()?;
        rows.push(row);
    }
    Ok(rows)
}

/// Runs one two-layer experiment to the end.
pub fn run(cfg: &TwoLayerConfig) -> Result<TwoLayerRun, SgdError> {
    let d = cfg.d;
    let wstar = teacher_matrix(&cfg.teacher, d, cfg.teacher_seed.unwrap_or(cfg.seed))?;
    // The teacher is I + W* for both nets: the vanilla net learns the same function.
    let ustar = &wstar + &Array2::<f64>::eye(d);
    let u0 = cfg.model.effective(&init_matrix(&cfg.init, d, cfg.seed));
    let mut trainer = Trainer::new(cfg, ustar, u0);
    trainer.train()?;
    let markers = markers(&trainer.trace, cfg.g_threshold);
    let last = trainer.trace.last().cloned().unwrap_or_default();
    let final_state = FinalState {
        loss: last.loss,
        distance: last.distance,
        g: last.g,
        step: last.step,
        diverged_at: trainer.diverged_at,
        test_loss: last.test_loss,
    };
    Ok(TwoLayerRun { trace: trainer.trace, markers, final_state })
}

/// The training state and every buffer the loop reuses.
struct Trainer<'a> {
    cfg: &'a TwoLayerConfig,
    u: Array2<f64>,
    velocity: Array2<f64>,
    grad: Array2<f64>,
    closed: ClosedForm,
    data: Data,
    logger: Logger,
    trace: Vec<TraceRow>,
    diverged_at: Option<usize>,
}

/// Where batches come from.
enum Data {
    Population,
    Online {
        rng: ChaCha8Rng,
        x: Array2<f64>,
        batch: BatchGrad,
    },
    Finite {
        rng: ChaCha8Rng,
        train: Array2<f64>,
        test: Array2<f64>,
        order: Vec<usize>,
        next: usize,
        x: Array2<f64>,
        batch: BatchGrad,
    },
}

impl<'a> Trainer<'a> {
    fn new(cfg: &'a TwoLayerConfig, ustar: Array2<f64>, u0: Array2<f64>) -> Self {
        let d = cfg.d;
        let mut data_rng = rng(cfg.seed, DATA_STREAM);
        let data = match cfg.method {
            Method::Gd => Data::Population,
            Method::Sgd { batch } => {
                Data::Online { rng: data_rng, x: Array2::zeros((batch, d)), batch: BatchGrad::new(batch, d) }
            }
            Method::Finite { batch, samples, test_samples } => {
                let train = linalg::gaussian(samples, d, &mut data_rng);
                let test = linalg::gaussian(test_samples, d, &mut data_rng);
                let batch = batch.min(samples.max(1));
                Data::Finite {
                    rng: data_rng,
                    train,
                    test,
                    order: (0..samples).collect(),
                    next: samples,
                    x: Array2::zeros((batch, d)),
                    batch: BatchGrad::new(batch, d),
                }
            }
        };
        let closed = ClosedForm::new(&ustar);
        Self {
            cfg,
            u: u0,
            velocity: Array2::zeros((d, d)),
            grad: Array2::zeros((d, d)),
            closed,
            data,
            logger: Logger::new(cfg.model, d),
            trace: Vec::new(),
            diverged_at: None,
        }
    }

    /// The loop: gradient at U_t, log if due, then U_{t+1} = U_t - eta (mu v + G_t).
    fn train(&mut self) -> Result<(), SgdError> {
        let steps = self.cfg.steps;
        let every = self.cfg.log_every.max(1);
        for t in 0..=steps {
            let batch_loss = self.gradient();
            let due = t % every == 0 || t == steps;
            // Past DIVERGED the run is lost (the next steps overflow); stop while the
            // numbers are still finite.
            let finite = batch_loss.is_finite() && batch_loss < DIVERGED && self.u.iter().all(|x| x.is_finite());
            if due || !finite {
                let row = self.log(t, batch_loss);
                let ok = finite && row.loss.is_finite() && row.loss < DIVERGED;
                self.trace.push(row);
                if !ok {
                    self.diverged_at = Some(t);
                    return Ok(());
                }
            }
            if t == steps {
                break;
            }
            self.update();
        }
        Ok(())
    }

    /// The gradient driving this step into `self.grad`; returns its batch loss.
    fn gradient(&mut self) -> f64 {
        let (u, grad) = (self.u.view(), &mut self.grad);
        match &mut self.data {
            Data::Population => self.closed.loss_and_grad(&u, grad),
            Data::Online { rng, x, batch } => {
                x.iter_mut().for_each(|v| *v = rng.sample(StandardNormal));
                batch.compute(&x.view(), &u, &self.closed.teacher().view(), grad)
            }
            Data::Finite { rng, train, order, next, x, batch, .. } => {
                let b = x.nrows();
                if *next + b > order.len() {
                    // A new epoch: reshuffle; a last partial batch is dropped.
                    order.shuffle(rng);
                    *next = 0;
                }
                for (mut row, &i) in x.rows_mut().into_iter().zip(&order[*next..*next + b]) {
                    row.assign(&train.row(i));
                }
                *next += b;
                batch.compute(&x.view(), &u, &self.closed.teacher().view(), grad)
            }
        }
    }

    fn update(&mut self) {
        let lr = self.cfg.lr;
        if self.cfg.momentum > 0.0 {
            let mu = self.cfg.momentum;
            self.velocity.zip_mut_with(&self.grad, |v, g| *v = mu * *v + g);
            self.u.scaled_add(-lr, &self.velocity);
        } else {
            self.u.scaled_add(-lr, &self.grad);
        }
    }

    fn log(&mut self, step: usize, batch_loss: f64) -> TraceRow {
        let test_loss = match &mut self.data {
            Data::Finite { test, batch, .. } => {
                Some(batch.loss(&test.view(), &self.u.view(), &self.closed.teacher().view()))
            }
            _ => None,
        };
        // Population GD has just evaluated the closed form at U: reuse it.
        let population = matches!(self.data, Data::Population).then_some((batch_loss, &self.grad));
        let mut row = self.logger.row(&self.u.view(), &mut self.closed, population);
        row.step = step;
        row.batch_loss = if population.is_some() { row.loss } else { batch_loss };
        row.test_loss = test_loss;
        row
    }
}

/// Buffers for the logged quantities.
struct Logger {
    model: Model,
    grad: Array2<f64>,
    target: Array2<f64>,
    param: Array2<f64>,
    cost: Array2<f64>,
    power: linalg::PowerIteration,
}

impl Logger {
    fn new(model: Model, d: usize) -> Self {
        Self {
            model,
            grad: Array2::zeros((d, d)),
            target: Array2::zeros((d, d)),
            param: Array2::zeros((d, d)),
            cost: Array2::zeros((d, d)),
            power: linalg::PowerIteration::new(d, d),
        }
    }

    /// A row at U; `population` is the population loss and gradient at U when the
    /// caller has just computed them with `closed` (so its norms are U's).
    fn row(
        &mut self,
        u: &ArrayView2<f64>,
        closed: &mut ClosedForm,
        population: Option<(f64, &Array2<f64>)>,
    ) -> TraceRow {
        let loss = match population {
            Some((loss, _)) => loss,
            None => closed.loss_and_grad(u, &mut self.grad),
        };
        self.match_target(closed);
        // target <- W* - W (matched), in place.
        self.target -= u;
        let grad = population.map_or(&self.grad, |(_, g)| g);
        let distance = frobenius(&self.target.view());
        let grad_norm = frobenius(&grad.view());
        let inner = -Zip::from(grad).and(&self.target).fold(0.0, |acc, g, t| acc + g * t);
        let cosine = if grad_norm > 0.0 && distance > 0.0 { inner / (grad_norm * distance) } else { 0.0 };
        let g = closed.teacher_norms().sum() - closed.norms().sum();
        self.model.parameter_into(u, &mut self.param);
        let w_norm = self.power.norm(&self.param.view(), 50, 1e-10);
        TraceRow { loss, distance, g, inner, cosine, grad_norm, w_norm, ..TraceRow::default() }
    }

    /// target <- U*, with columns permuted to the best matching for the vanilla net
    /// (its hidden units are interchangeable; ResLink's are tied to e_j).
    fn match_target(&mut self, closed: &ClosedForm) {
        let ustar = closed.teacher();
        if self.model == Model::ResLink {
            self.target.assign(ustar);
            return;
        }
        let (n, nstar) = (closed.norms(), closed.teacher_norms());
        let cross = closed.cross_gram();
        // cost[i][j] = ||u_i - u*_j||^2 for student i and teacher j.
        for ((i, j), c) in self.cost.indexed_iter_mut() {
            *c = n[i] * n[i] + nstar[j] * nstar[j] - 2.0 * cross[[j, i]];
        }
        let assign = min_cost_assignment(&self.cost.view());
        for (mut col, &j) in self.target.axis_iter_mut(Axis(1)).zip(&assign) {
            col.assign(&ustar.column(j));
        }
    }
}
