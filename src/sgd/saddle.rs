//! Escaping saddle points: test functions with strict saddles and the first-order
//! methods the papers compare (Ge et al. 2015, Jin et al. 2017, Du et al. 2017).
//!
//! Problems: f(x, y) = x^2 - y^2 + y^4/4; a chain of d saddles after Du et al.
//! (GD's exit time grows geometrically from one saddle to the next); orthogonal
//! 4th-order tensor decomposition, one component or all, on the unit sphere.
//! Methods: GD, noisy GD (isotropic Gaussian noise on the gradient), perturbed GD.

use ndarray::{Array2, ArrayView1, ArrayView2, ShapeBuilder};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::Serialize;

use super::linalg;
use super::SgdError;

/// A saddle-point test problem.
#[derive(Clone, Debug, PartialEq)]
pub enum Problem {
    /// f(x, y) = x^2 - y^2 + y^4/4: a strict saddle at 0, minima (0, +-sqrt 2), f* = -1.
    QuadraticQuartic,
    /// A chain of `d` saddles (after Du et al. 2017): near saddle k the coordinates
    /// before k sit in L (|x_j| - 4 tau)^2, coordinate k in -gamma x_k^2, the rest in
    /// L x_j^2; offsets keep f continuous along the path.
    Chain {
        /// Number of saddles (the dimension).
        d: usize,
        /// Curvature L of the escaped and not-yet-reached coordinates.
        l: f64,
        /// Negative curvature gamma at the active saddle.
        gamma: f64,
        /// Scale tau: a saddle is passed at |x_k| = 2 tau.
        tau: f64,
    },
    /// min -sum_i (a_i . u)^4 on the unit sphere (a_i orthonormal): one component.
    TensorOne {
        /// Dimension d.
        d: usize,
    },
    /// min sum_{i != j} T(u_i, u_i, u_j, u_j) with unit columns u_i: all components.
    TensorAll {
        /// Dimension d (d columns of length d).
        d: usize,
    },
}

impl Problem {
    /// Every problem name a study may use.
    pub const NAMES: &'static [&'static str] = &["quadratic_quartic", "chain", "tensor_one", "tensor_all"];

    /// The name used in study files.
    pub fn name(&self) -> &'static str {
        match self {
            Problem::QuadraticQuartic => "quadratic_quartic",
            Problem::Chain { .. } => "chain",
            Problem::TensorOne { .. } => "tensor_one",
            Problem::TensorAll { .. } => "tensor_all",
        }
    }

    /// The number of coordinates of an iterate.
    pub fn dim(&self) -> usize {
        match self {
            Problem::QuadraticQuartic => 2,
            Problem::Chain { d, .. } | Problem::TensorOne { d } => *d,
            Problem::TensorAll { d } => d * d,
        }
    }

    /// The default escape threshold: escaped once f drops below it.
    pub fn default_escape_below(&self) -> Option<f64> {
        match self {
            Problem::QuadraticQuartic => Some(-0.5),
            Problem::Chain { .. } => None,
            Problem::TensorOne { .. } => Some(-0.75),
            Problem::TensorAll { .. } => Some(0.1),
        }
    }
}

/// Where the iterates start.
#[derive(Clone, Debug, PartialEq)]
pub enum Start {
    /// An explicit point (`dim` coordinates; tensor_all: columns one after another).
    Point(Vec<f64>),
    /// The problem's own saddle point.
    Saddle,
    /// Uniform in [0, scale] per coordinate (spheres: normalised Gaussian).
    Random {
        /// The box size.
        scale: f64,
    },
}

/// The update rule.
#[derive(Clone, Debug, PartialEq)]
pub enum Method {
    /// x <- x - eta grad f(x).
    Gd,
    /// x <- x - eta (grad f(x) + sigma xi), xi ~ N(0, I).
    NoisyGd {
        /// Noise level sigma.
        sigma: f64,
    },
    /// Jin et al. (2017): add a uniform sample of the radius-r ball when
    /// ||grad f|| <= g_thres and no perturbation happened in the last t_thres steps.
    PerturbedGd {
        /// The ball radius r.
        radius: f64,
        /// The gradient threshold.
        g_thres: f64,
        /// Steps between perturbations.
        t_thres: usize,
    },
}

/// The constants of Jin et al. (2017), Algorithm 2, from which a preset is computed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Jin2017 {
    /// Gradient Lipschitz constant l.
    pub l: f64,
    /// Hessian Lipschitz constant rho.
    pub rho: f64,
    /// Target accuracy epsilon.
    pub epsilon: f64,
    /// Failure probability delta.
    pub delta: f64,
    /// Delta_f >= f(x0) - f*.
    pub delta_f: f64,
    /// The absolute constant c.
    pub c: f64,
}

/// The knobs Jin et al.'s constants give.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JinKnobs {
    /// chi = 3 max(ln(d l Delta_f / (c eps^2 delta)), 4).
    pub chi: f64,
    /// eta = c / l.
    pub lr: f64,
    /// r = sqrt(c) / chi^2 * eps / l.
    pub radius: f64,
    /// g_thres = sqrt(c) / chi^2 * eps.
    pub g_thres: f64,
    /// t_thres = chi / c^2 * l / sqrt(rho eps), rounded up.
    pub t_thres: usize,
}

impl Jin2017 {
    /// Constants suited to x^2 - y^2 + y^4/4 on |y| <= 1.5 (l = 4 at the minima).
    pub fn for_quadratic_quartic() -> Self {
        Self { l: 4.0, rho: 9.0, epsilon: 1e-2, delta: 0.1, delta_f: 2.0, c: 1.0 }
    }

    /// The preset in dimension `d`.
    pub fn knobs(&self, d: usize) -> JinKnobs {
        let chi = 3.0 * (d as f64 * self.l * self.delta_f / (self.c * self.epsilon.powi(2) * self.delta)).ln().max(4.0);
        let sc = self.c.sqrt() / (chi * chi);
        JinKnobs {
            chi,
            lr: self.c / self.l,
            radius: sc * self.epsilon / self.l,
            g_thres: sc * self.epsilon,
            t_thres: (chi / (self.c * self.c) * self.l / (self.rho * self.epsilon).sqrt()).ceil() as usize,
        }
    }
}

/// The settings of one saddle run.
#[derive(Clone, Debug, PartialEq)]
pub struct SaddleConfig {
    /// The problem.
    pub problem: Problem,
    /// The start.
    pub start: Start,
    /// The update rule.
    pub method: Method,
    /// Learning rate eta.
    pub lr: f64,
    /// Number of updates.
    pub steps: usize,
    /// Escaped once f drops below this (default: the problem's).
    pub escape_below: Option<f64>,
    /// Seed of the noise, the random start and the tensor's components.
    pub seed: u64,
    /// Log every this many steps (escape and last step are always logged).
    pub log_every: usize,
}

/// One logged step.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SaddleRow {
    /// The step.
    pub step: usize,
    /// f at the iterate.
    pub value: f64,
    /// ||grad f|| (on spheres, the Riemannian gradient).
    pub grad_norm: f64,
    /// First coordinate.
    pub x: f64,
    /// Second coordinate.
    pub y: f64,
    /// Saddles passed so far (chain), else 0.
    pub passed: usize,
    /// Whether a perturbation was added at this step.
    pub perturbed: bool,
}

impl SaddleRow {
    /// Column names, in the order of [`Self::values`].
    pub const COLUMNS: &'static [&'static str] = &["step", "value", "grad_norm", "x", "y", "passed", "perturbed"];

    /// The row's values.
    pub fn values(&self) -> [f64; 7] {
        [
            self.step as f64,
            self.value,
            self.grad_norm,
            self.x,
            self.y,
            self.passed as f64,
            f64::from(u8::from(self.perturbed)),
        ]
    }
}

/// What happened on the way.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SaddleMarkers {
    /// The first step below the escape threshold (chain: past the last saddle), if any.
    pub escape_step: Option<usize>,
    /// Perturbations added (perturbed GD).
    pub perturbations: usize,
    /// The step each saddle of a chain was passed.
    pub saddle_steps: Vec<usize>,
    /// The first step an iterate's coordinate became subnormal or underflowed to 0.
    pub underflow_step: Option<usize>,
    /// The smallest value seen.
    pub min_value: f64,
}

/// A finished saddle run.
#[derive(Clone, Debug)]
pub struct SaddleRun {
    /// Logged steps (with the trajectory's first two coordinates).
    pub trace: Vec<SaddleRow>,
    /// Markers.
    pub markers: SaddleMarkers,
    /// f at the end.
    pub value: f64,
    /// The last iterate.
    pub x: Vec<f64>,
    /// Warnings for the user (e.g. subnormal underflow).
    pub warnings: Vec<String>,
}

/// A problem with its random parts (the tensor's components) drawn.
struct Instance {
    problem: Problem,
    a: Option<Array2<f64>>,
}

impl Instance {
    fn new(problem: &Problem, rng: &mut ChaCha8Rng) -> Self {
        let a = match problem {
            Problem::TensorOne { d } | Problem::TensorAll { d } => Some(linalg::orthogonal(*d, rng)),
            _ => None,
        };
        Self { problem: problem.clone(), a }
    }

    fn on_sphere(&self) -> bool {
        matches!(self.problem, Problem::TensorOne { .. } | Problem::TensorAll { .. })
    }

    /// Saddles of a chain passed at x: the first coordinate still below 2 tau.
    fn passed(&self, x: &[f64]) -> usize {
        match self.problem {
            Problem::Chain { tau, .. } => x.iter().position(|v| v.abs() < 2.0 * tau).unwrap_or(x.len()),
            _ => 0,
        }
    }

    /// f(x), with grad f(x) into `g` (projected onto the sphere's tangent space).
    fn value_grad(&self, x: &[f64], g: &mut [f64]) -> f64 {
        let f = match (&self.problem, &self.a) {
            (Problem::QuadraticQuartic, _) => {
                let (a, b) = (x[0], x[1]);
                g[0] = 2.0 * a;
                g[1] = -2.0 * b + b * b * b;
                a * a - b * b + b.powi(4) / 4.0
            }
            (Problem::Chain { l, gamma, tau, .. }, _) => self.chain(x, g, *l, *gamma, *tau),
            (Problem::TensorOne { .. }, Some(a)) => tensor_one(a, x, g),
            (Problem::TensorAll { d }, Some(a)) => tensor_all(a, *d, x, g),
            _ => 0.0,
        };
        if self.on_sphere() {
            project_tangent(&self.problem, x, g);
        }
        f
    }

    fn chain(&self, x: &[f64], g: &mut [f64], l: f64, gamma: f64, tau: f64) -> f64 {
        let k = self.passed(x);
        let mut f = -(k as f64) * 4.0 * (gamma + l) * tau * tau;
        for (j, (&v, gj)) in x.iter().zip(g.iter_mut()).enumerate() {
            if j < k {
                let e = v.abs() - 4.0 * tau;
                f += l * e * e;
                *gj = 2.0 * l * e * v.signum();
            } else if j == k {
                f -= gamma * v * v;
                *gj = -2.0 * gamma * v;
            } else {
                f += l * v * v;
                *gj = 2.0 * l * v;
            }
        }
        f
    }

    /// Puts x back on the constraint set (unit vectors / unit columns).
    fn project(&self, x: &mut [f64]) {
        let d = match self.problem {
            Problem::TensorOne { d } | Problem::TensorAll { d } => d,
            _ => return,
        };
        for col in x.chunks_mut(d) {
            let n = col.iter().map(|v| v * v).sum::<f64>().sqrt();
            if n > 0.0 {
                col.iter_mut().for_each(|v| *v /= n);
            }
        }
    }

    fn start(&self, start: &Start, rng: &mut ChaCha8Rng) -> Vec<f64> {
        let dim = self.problem.dim();
        let mut x = match (start, &self.problem, &self.a) {
            (Start::Point(p), _, _) => p.clone(),
            (Start::Saddle, Problem::TensorOne { d }, Some(a)) => {
                a.sum_axis(ndarray::Axis(1)).mapv(|v| v / (*d as f64).sqrt()).to_vec()
            }
            (Start::Saddle, Problem::TensorAll { d }, Some(a)) => tensor_all_saddle(a, *d),
            (Start::Saddle, _, _) => vec![0.0; dim],
            (Start::Random { scale }, _, _) if self.on_sphere() => {
                (0..dim).map(|_| scale * rng.sample::<f64, _>(StandardNormal)).collect()
            }
            (Start::Random { scale }, _, _) => (0..dim).map(|_| scale * rng.gen::<f64>()).collect(),
        };
        self.project(&mut x);
        x
    }
}

fn tensor_one(a: &Array2<f64>, x: &[f64], g: &mut [f64]) -> f64 {
    let b = a.t().dot(&ArrayView1::from(x));
    let grad = a.dot(&b.mapv(|v| -4.0 * v * v * v));
    g.iter_mut().zip(grad.iter()).for_each(|(gv, v)| *gv = *v);
    -b.iter().map(|v| v.powi(4)).sum::<f64>()
}

fn tensor_all(a: &Array2<f64>, d: usize, x: &[f64], g: &mut [f64]) -> f64 {
    let Ok(u) = ArrayView2::from_shape((d, d).f(), x) else { return f64::NAN };
    let b = a.t().dot(&u);
    let s: Vec<f64> = b.rows().into_iter().map(|r| r.dot(&r)).collect();
    let f: f64 = b.rows().into_iter().zip(&s).map(|(r, sk)| sk * sk - r.iter().map(|v| v.powi(4)).sum::<f64>()).sum();
    let gb = Array2::from_shape_fn((d, d), |(k, i)| 4.0 * b[[k, i]] * (s[k] - b[[k, i]] * b[[k, i]]));
    let grad = a.dot(&gb);
    // Column-major order: column i of the gradient is g[i*d..(i+1)*d].
    for (i, col) in g.chunks_mut(d).enumerate() {
        for (k, v) in col.iter_mut().enumerate() {
            *v = grad[[k, i]];
        }
    }
    f
}

/// The pair saddle of all-component decomposition: u_1, u_2 = (a_1 +- a_2)/sqrt 2,
/// u_i = a_i otherwise (f = 1; rotating the pair lowers f to 0).
fn tensor_all_saddle(a: &Array2<f64>, d: usize) -> Vec<f64> {
    let mut x = Vec::with_capacity(d * d);
    for i in 0..d {
        let col: Vec<f64> = match i {
            0 if d > 1 => (0..d).map(|k| (a[[k, 0]] + a[[k, 1]]) / 2f64.sqrt()).collect(),
            1 => (0..d).map(|k| (a[[k, 0]] - a[[k, 1]]) / 2f64.sqrt()).collect(),
            _ => a.column(i).to_vec(),
        };
        x.extend(col);
    }
    x
}

fn project_tangent(problem: &Problem, x: &[f64], g: &mut [f64]) {
    let d = match problem {
        Problem::TensorOne { d } | Problem::TensorAll { d } => *d,
        _ => return,
    };
    for (xc, gc) in x.chunks(d).zip(g.chunks_mut(d)) {
        let dot: f64 = xc.iter().zip(gc.iter()).map(|(a, b)| a * b).sum();
        gc.iter_mut().zip(xc).for_each(|(gv, xv)| *gv -= dot * xv);
    }
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt()
}

/// A uniform sample of the radius-r ball in `dim` dimensions: a Gaussian direction
/// and radius r U^(1/dim).
fn ball(dim: usize, r: f64, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let dir: Vec<f64> = (0..dim).map(|_| rng.sample(StandardNormal)).collect();
    let n = norm(&dir).max(f64::MIN_POSITIVE);
    let rad = r * rng.gen::<f64>().powf(1.0 / dim as f64);
    dir.into_iter().map(|v| v * rad / n).collect()
}

/// Runs one saddle experiment.
pub fn run(cfg: &SaddleConfig) -> Result<SaddleRun, SgdError> {
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let inst = Instance::new(&cfg.problem, &mut rng);
    let dim = cfg.problem.dim();
    let mut x = inst.start(&cfg.start, &mut rng);
    if x.len() != dim {
        return Err(SgdError::Input(format!(
            "the start has {} coordinates but `{}` needs {dim}",
            x.len(),
            cfg.problem.name()
        )));
    }
    let escape_below = cfg.escape_below.or(cfg.problem.default_escape_below());
    let mut g = vec![0.0; dim];
    let mut noise = vec![0.0; dim];
    let mut state = Walk::new(cfg);
    for t in 0..=cfg.steps {
        let value = inst.value_grad(&x, &mut g);
        let passed = inst.passed(&x);
        state.note(t, value, passed, &x, escape_below);
        let perturbed = t < cfg.steps && state.maybe_perturb(t, &g, &mut x, &mut rng);
        let due = t % cfg.log_every.max(1) == 0 || t == cfg.steps || state.markers.escape_step == Some(t);
        if due || perturbed {
            let (x0, y0) = (x.first().copied().unwrap_or(0.0), x.get(1).copied().unwrap_or(0.0));
            state.trace.push(SaddleRow { step: t, value, grad_norm: norm(&g), x: x0, y: y0, passed, perturbed });
        }
        if !value.is_finite() || t == cfg.steps {
            break;
        }
        if perturbed {
            inst.project(&mut x);
            inst.value_grad(&x, &mut g);
        }
        step(cfg, &inst, &mut x, &g, &mut noise, &mut rng);
        state.check_underflow(t + 1, &x);
    }
    let value = inst.value_grad(&x, &mut g);
    let warnings = state.warnings();
    Ok(SaddleRun { trace: state.trace, markers: state.markers, value, x, warnings })
}

/// One update; `noise` is a buffer of x's length for noisy GD.
fn step(cfg: &SaddleConfig, inst: &Instance, x: &mut [f64], g: &[f64], noise: &mut [f64], rng: &mut ChaCha8Rng) {
    match cfg.method {
        Method::NoisyGd { sigma } => {
            noise.iter_mut().for_each(|n| *n = sigma * rng.sample::<f64, _>(StandardNormal));
            project_tangent(&inst.problem, x, noise);
            for ((xv, gv), nv) in x.iter_mut().zip(g).zip(&*noise) {
                *xv -= cfg.lr * (gv + nv);
            }
        }
        Method::Gd | Method::PerturbedGd { .. } => {
            x.iter_mut().zip(g).for_each(|(xv, gv)| *xv -= cfg.lr * gv);
        }
    }
    inst.project(x);
}

/// Bookkeeping along the walk: markers, perturbation clock, underflow.
struct Walk<'a> {
    cfg: &'a SaddleConfig,
    trace: Vec<SaddleRow>,
    markers: SaddleMarkers,
    last_perturbation: Option<usize>,
    underflow: Option<(usize, usize, f64)>,
    nonzero: Vec<bool>,
}

impl<'a> Walk<'a> {
    fn new(cfg: &'a SaddleConfig) -> Self {
        let markers = SaddleMarkers { min_value: f64::INFINITY, ..SaddleMarkers::default() };
        Self { cfg, trace: Vec::new(), markers, last_perturbation: None, underflow: None, nonzero: Vec::new() }
    }

    fn note(&mut self, t: usize, value: f64, passed: usize, x: &[f64], escape_below: Option<f64>) {
        if self.nonzero.is_empty() {
            self.nonzero = x.iter().map(|v| *v != 0.0).collect();
        }
        self.markers.min_value = self.markers.min_value.min(value);
        while self.markers.saddle_steps.len() < passed {
            self.markers.saddle_steps.push(t);
        }
        let escaped = match (escape_below, &self.cfg.problem) {
            (Some(b), _) => value < b,
            (None, Problem::Chain { d, .. }) => passed >= *d,
            (None, _) => false,
        };
        if escaped && self.markers.escape_step.is_none() {
            self.markers.escape_step = Some(t);
        }
    }

    /// Perturbed GD's rule: a ball sample when the gradient is small and the last
    /// perturbation is more than t_thres steps ago.
    fn maybe_perturb(&mut self, t: usize, g: &[f64], x: &mut [f64], rng: &mut ChaCha8Rng) -> bool {
        let Method::PerturbedGd { radius, g_thres, t_thres } = self.cfg.method else { return false };
        let quiet = self.last_perturbation.is_none_or(|s| t - s > t_thres);
        if norm(g) > g_thres || !quiet {
            return false;
        }
        let kick = ball(x.len(), radius, rng);
        for (xv, b) in x.iter_mut().zip(kick) {
            *xv += b;
        }
        self.last_perturbation = Some(t);
        self.markers.perturbations += 1;
        true
    }

    /// Records the first coordinate that went subnormal or flushed to exactly 0.
    fn check_underflow(&mut self, t: usize, x: &[f64]) {
        if self.underflow.is_some() {
            return;
        }
        for (j, (&v, was)) in x.iter().zip(&self.nonzero).enumerate() {
            let subnormal = v != 0.0 && v.abs() < f64::MIN_POSITIVE;
            if subnormal || (*was && v == 0.0) {
                self.underflow = Some((t, j, v));
                self.markers.underflow_step = Some(t);
                return;
            }
        }
    }

    fn warnings(&self) -> Vec<String> {
        match self.underflow {
            Some((t, j, v)) => vec![format!(
                "coordinate {j} underflowed to {} at step {t} ({v:e}): float64 cannot follow the escape from here, \
                 and a coordinate flushed to 0 never grows again under gradient descent",
                if v == 0.0 { "zero" } else { "a subnormal number" }
            )],
            None => Vec::new(),
        }
    }
}

/// f at `x` for the problems without random parts (the tensor problems need their
/// drawn components and give `None`).
pub fn value(problem: &Problem, x: &[f64]) -> Option<f64> {
    if matches!(problem, Problem::TensorOne { .. } | Problem::TensorAll { .. }) || x.len() != problem.dim() {
        return None;
    }
    let inst = Instance { problem: problem.clone(), a: None };
    let mut g = vec![0.0; x.len()];
    Some(inst.value_grad(x, &mut g))
}
