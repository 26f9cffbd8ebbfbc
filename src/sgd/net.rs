//! The two-layer ReLU network of Li and Yuan (2017): f(x, U) = sum_j ReLU(u_j . x)
//! with x ~ N(0, I_d) and the top layer fixed to ones. With identity mapping
//! ("ResLink") the columns are u_j = e_j + w_j; the vanilla net learns U directly.
//!
//! Everything here works on the effective matrix U; a model only says how the
//! trained parameter maps to it. The closed forms (DESIGN.md section 4) give the
//! population loss and its gradient exactly, and run without allocating.

use std::f64::consts::PI;

use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView2, Axis, Zip};

/// Which network is trained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Model {
    /// u_j = e_j + w_j: the identity mapping of Li and Yuan.
    ResLink,
    /// u_j = v_j: the same function class without the identity link.
    Vanilla,
}

impl Model {
    /// The name used in study files.
    pub fn name(self) -> &'static str {
        match self {
            Model::ResLink => "reslink",
            Model::Vanilla => "vanilla",
        }
    }

    /// The effective matrix U for the trained parameter `p`.
    pub fn effective(self, p: &Array2<f64>) -> Array2<f64> {
        match self {
            Model::ResLink => p + &Array2::<f64>::eye(p.nrows()),
            Model::Vanilla => p.clone(),
        }
    }

    /// The trained parameter for the effective matrix `u`, into `out`.
    pub fn parameter_into(self, u: &ArrayView2<f64>, out: &mut Array2<f64>) {
        out.assign(u);
        if self == Model::ResLink {
            out.diag_mut().mapv_inplace(|x| x - 1.0);
        }
    }
}

/// k(u, v) = E[ReLU(u.x) ReLU(v.x)] from the norms and the cosine of the angle.
pub fn kernel(nu: f64, nv: f64, cos: f64) -> f64 {
    let c = cos.clamp(-1.0, 1.0);
    let theta = c.acos();
    nu * nv * ((1.0 - c * c).sqrt() + (PI - theta) * c) / (2.0 * PI)
}

/// f(x, U) for one input.
pub fn output(u: &ArrayView2<f64>, x: &[f64]) -> f64 {
    u.axis_iter(Axis(1)).map(|col| col.iter().zip(x).map(|(a, b)| a * b).sum::<f64>().max(0.0)).sum()
}

/// Reusable buffers for the closed-form population loss and gradient at dimension d.
pub struct ClosedForm {
    ustar: Array2<f64>,
    nstar: Array1<f64>,
    teacher_term: f64,
    n: Array1<f64>,
    self_gram: Array2<f64>,
    cross_gram: Array2<f64>,
    self_weight: Array2<f64>,
    cross_weight: Array2<f64>,
    scale: Array1<f64>,
}

impl ClosedForm {
    /// The closed forms against the teacher's effective matrix `ustar`.
    pub fn new(ustar: &Array2<f64>) -> Self {
        let d = ustar.nrows();
        let mut nstar = Array1::zeros(d);
        super::linalg::column_norms(&ustar.view(), &mut nstar);
        let gram = ustar.t().dot(ustar);
        let mut teacher_term = 0.0;
        for i in 0..d {
            for j in 0..d {
                teacher_term += kernel(nstar[i], nstar[j], cosine(gram[[i, j]], nstar[i], nstar[j]));
            }
        }
        Self {
            ustar: ustar.clone(),
            nstar,
            teacher_term,
            n: Array1::zeros(d),
            self_gram: Array2::zeros((d, d)),
            cross_gram: Array2::zeros((d, d)),
            self_weight: Array2::zeros((d, d)),
            cross_weight: Array2::zeros((d, d)),
            scale: Array1::zeros(d),
        }
    }

    /// The teacher's effective matrix U*.
    pub fn teacher(&self) -> &Array2<f64> {
        &self.ustar
    }

    /// Column norms of U*.
    pub fn teacher_norms(&self) -> &Array1<f64> {
        &self.nstar
    }

    /// Column norms of the last U passed to [`Self::loss_and_grad`].
    pub fn norms(&self) -> &Array1<f64> {
        &self.n
    }

    /// U*^T U from the last call: entry (i, j) is u*_i . u_j.
    pub fn cross_gram(&self) -> &Array2<f64> {
        &self.cross_gram
    }

    /// The population loss L(U) = E[(f(x,U) - f(x,U*))^2], with its gradient in `grad`.
    pub fn loss_and_grad(&mut self, u: &ArrayView2<f64>, grad: &mut Array2<f64>) -> f64 {
        let d = u.nrows();
        super::linalg::column_norms(u, &mut self.n);
        general_mat_mul(1.0, &u.t(), u, 0.0, &mut self.self_gram);
        general_mat_mul(1.0, &self.ustar.t(), u, 0.0, &mut self.cross_gram);
        let mut loss = self.teacher_term;
        self.scale.fill(0.0);
        // The angle weights (pi - theta) of each pair, the loss, and the sin-theta
        // terms that scale u_j / |u_j|.
        for j in 0..d {
            let nj = self.n[j];
            for i in 0..d {
                let (ni, nsi) = (self.n[i], self.nstar[i]);
                let c = cosine(self.self_gram[[i, j]], ni, nj);
                loss += kernel(ni, nj, c);
                self.self_weight[[i, j]] = PI - c.acos();
                self.scale[j] += ni * (1.0 - c * c).sqrt();
                let cs = cosine(self.cross_gram[[i, j]], nsi, nj);
                loss -= 2.0 * kernel(nsi, nj, cs);
                self.cross_weight[[i, j]] = PI - cs.acos();
                self.scale[j] -= nsi * (1.0 - cs * cs).sqrt();
            }
        }
        // grad = (U A - U* B + U diag(c)) / pi.
        general_mat_mul(1.0 / PI, u, &self.self_weight, 0.0, grad);
        general_mat_mul(-1.0 / PI, &self.ustar, &self.cross_weight, 1.0, grad);
        for ((mut g, col), (&s, &nj)) in
            grad.axis_iter_mut(Axis(1)).zip(u.axis_iter(Axis(1))).zip(self.scale.iter().zip(&self.n))
        {
            if nj > 0.0 {
                g.scaled_add(s / (PI * nj), &col);
            }
        }
        loss.max(0.0)
    }

    /// The population loss alone.
    pub fn loss(&mut self, u: &ArrayView2<f64>) -> f64 {
        let mut grad = Array2::zeros(u.raw_dim());
        self.loss_and_grad(u, &mut grad)
    }
}

/// The cosine from an inner product and two norms; a zero vector counts as orthogonal.
fn cosine(dot: f64, a: f64, b: f64) -> f64 {
    if a > 0.0 && b > 0.0 {
        (dot / (a * b)).clamp(-1.0, 1.0)
    } else {
        0.0
    }
}

/// Work buffers for one mini-batch gradient G = (2/B) X^T (M * r), with
/// M = 1[X U > 0] and r = f(X, U) - f(X, U*).
pub struct BatchGrad {
    z: Array2<f64>,
    zstar: Array2<f64>,
}

impl BatchGrad {
    /// Buffers for batches of `batch` inputs in dimension `d`.
    pub fn new(batch: usize, d: usize) -> Self {
        Self { z: Array2::zeros((batch, d)), zstar: Array2::zeros((batch, d)) }
    }

    /// Writes the batch gradient at U for inputs `x` (B x d) into `grad` and returns the
    /// batch loss mean(r^2). `x` may have fewer rows than the buffers (a last partial batch).
    pub fn compute(
        &mut self,
        x: &ArrayView2<f64>,
        u: &ArrayView2<f64>,
        ustar: &ArrayView2<f64>,
        grad: &mut Array2<f64>,
    ) -> f64 {
        let b = x.nrows();
        let mut z = self.z.slice_mut(ndarray::s![..b, ..]);
        let mut zs = self.zstar.slice_mut(ndarray::s![..b, ..]);
        general_mat_mul(1.0, x, u, 0.0, &mut z);
        general_mat_mul(1.0, x, ustar, 0.0, &mut zs);
        let mut loss = 0.0;
        Zip::from(z.rows_mut()).and(zs.rows()).for_each(|mut zr, zsr| {
            let f: f64 = zr.iter().map(|v| v.max(0.0)).sum();
            let y: f64 = zsr.iter().map(|v| v.max(0.0)).sum();
            let r = f - y;
            loss += r * r;
            zr.mapv_inplace(|v| if v > 0.0 { r } else { 0.0 });
        });
        general_mat_mul(2.0 / b as f64, &x.t(), &z, 0.0, grad);
        loss / b as f64
    }

    /// The mean squared error of U on inputs `x` (a test set), without a gradient.
    pub fn loss(&mut self, x: &ArrayView2<f64>, u: &ArrayView2<f64>, ustar: &ArrayView2<f64>) -> f64 {
        let mut total = 0.0;
        let rows = self.z.nrows();
        for chunk in x.axis_chunks_iter(Axis(0), rows) {
            let b = chunk.nrows();
            let mut z = self.z.slice_mut(ndarray::s![..b, ..]);
            let mut zs = self.zstar.slice_mut(ndarray::s![..b, ..]);
            general_mat_mul(1.0, &chunk, u, 0.0, &mut z);
            general_mat_mul(1.0, &chunk, ustar, 0.0, &mut zs);
            for (zr, zsr) in z.rows().into_iter().zip(zs.rows()) {
                let r: f64 = zr.iter().zip(zsr.iter()).map(|(a, b)| a.max(0.0) - b.max(0.0)).sum();
                total += r * r;
            }
        }
        total / x.nrows().max(1) as f64
    }
}
