//! A matrix-free Lasso over parity features: Harmonica's default solver.
//!
//! It minimizes scikit-learn's objective with an unpenalized intercept,
//! (1/(2T)) ||y - X a - b||^2 + alpha ||a||_1, where X holds every parity monomial of
//! degree 1..=d of the T samples, without ever storing X (T x N, N = 36,050 columns at
//! n = 60, d = 3, about 1.3 million at n = 200). Multiplying the objective by T gives
//! the form the algorithm works with: P(a) = 1/2 ||r||^2 + lambda ||a||_1 with
//! lambda = alpha T and r = y_c - X_c a, X_c and y_c centred (which makes the
//! intercept implicit: b = mean(y) - mean(X) . a).
//!
//! The method is a working-set coordinate descent:
//! 1. a *pass* computes every correlation g_j = x_cj . r straight from the T x n sign
//!    matrix. The columns of one [`Block`] share all variables but the last, and
//!    consecutive blocks differ only in the last shared one, b: with
//!    u = r * (product of the variables they all share) and W the rows u * x_b, a
//!    chunk of up to `CHUNK` (16) blocks is the matrix product X^T W (a few hundred
//!    rows of T values each: it reads n x T numbers, not N x T). Chunks run in
//!    parallel; each g_j is written by exactly one chunk whose bounds depend only on
//!    the layout, so the result does not depend on the thread count. Centring is
//!    x_cj . r = x_j . r - mean_j sum(r), the mean a popcount over bit-packed signs
//!    (and sum(r) is 0 up to rounding, since y_c and the X_c columns are centred);
//! 2. the pass costs ~N T multiply-adds; the working-set solve below costs |W| T per
//!    sweep, so a fit is typically two passes (select, then certify) and a few
//!    dozen cheap sweeps;
//! 3. the pass gives the duality gap of the current point (the stopping rule,
//!    scikit-learn's: gap <= tol ||y_c||^2) and gap-safe screening (Ndiaye et al.
//!    2017), which drops for good the columns that are provably zero at the optimum;
//! 4. a small working set (the support plus the columns with the largest
//!    correlations, twice the support or at least [`WORKING_SET_MIN`]) is cached
//!    densely and solved by cyclic coordinate descent until its own gap is small,
//!    then the next pass checks the whole problem.
//!
//! Invariants: `r == y_c - X_c a` for the current coefficients at every step;
//! coefficients outside the working set are zero; a screened column's coefficient
//! is zero and it is never selected again.

use ndarray::linalg::general_mat_mul;
use ndarray::{s, ArrayView2, ArrayViewMut2, ShapeBuilder};
use rayon::prelude::*;

use super::features::{self, Block, Layout};
use super::recovery::{FitError, FitStats, LassoFit, MAX_ITERATIONS, TOLERANCE};

/// The smallest working set.
pub const WORKING_SET_MIN: usize = 100;
/// Passes over all columns before giving up.
pub const MAX_PASSES: usize = 100;
/// Most memory the solver's per-column state may take, in bytes.
pub const MAX_SOLVER_BYTES: u128 = 4 << 30;

/// Settings of [`fit`].
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// The penalty alpha (scikit-learn's scale), > 0.
    pub alpha: f64,
    /// Relative duality-gap tolerance: stop when gap <= tol ||y_c||^2 (default 1e-4).
    pub tol: f64,
    /// Coordinate-descent sweeps allowed per working-set solve (default 1000).
    pub max_sweeps: u32,
}

impl Params {
    /// scikit-learn's defaults for a penalty.
    pub fn new(alpha: f64) -> Self {
        Params { alpha, tol: TOLERANCE, max_sweeps: MAX_ITERATIONS }
    }
}

/// The T samples of one stage over n variables, stored once as ±1 columns and as
/// bits, from which every parity feature column is computed on demand.
#[derive(Clone, Debug)]
pub struct ParityDesign {
    t: usize,
    /// u64 words per bit-packed column.
    words: usize,
    /// `signs[v * t + i]` = x_iv in {-1.0, +1.0}: column-major so a dot product reads contiguously.
    signs: Vec<f64>,
    /// Bit i of `bits[v * words..]` is set iff x_iv = -1; unused high bits are 0.
    bits: Vec<u64>,
    layout: Layout,
}

impl ParityDesign {
    /// The design of `samples` (rows of ±1 over `n` variables) with monomials up to
    /// `degree`. Refuses when even the per-column state would not fit in memory.
    pub fn new(samples: &[Vec<i8>], n: usize, degree: usize) -> Result<Self, FitError> {
        let t = samples.len();
        let columns = features::count(n, degree);
        let bytes = solver_bytes(t, n, degree);
        if bytes > MAX_SOLVER_BYTES {
            return Err(FitError::TooLarge { features: columns, bytes, limit: MAX_SOLVER_BYTES });
        }
        let words = t.div_ceil(64);
        let mut signs = vec![1.0; t * n];
        let mut bits = vec![0u64; words * n];
        for (i, row) in samples.iter().enumerate() {
            for (v, &x) in row.iter().take(n).enumerate() {
                if x < 0 {
                    signs[v * t + i] = -1.0;
                    bits[v * words + i / 64] |= 1 << (i % 64);
                }
            }
        }
        Ok(ParityDesign { t, words, signs, bits, layout: Layout::new(n, degree) })
    }

    /// Number of samples T.
    pub fn n_samples(&self) -> usize {
        self.t
    }

    /// Number of feature columns N.
    pub fn n_features(&self) -> usize {
        self.layout.len()
    }

    /// The column <-> monomial map.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    fn sign_column(&self, v: usize) -> &[f64] {
        &self.signs[v * self.t..(v + 1) * self.t]
    }

    fn bit_column(&self, v: usize) -> &[u64] {
        &self.bits[v * self.words..(v + 1) * self.words]
    }

    /// The mean of a column whose packed signs are `a ^ b`: exact, from the count of -1s.
    fn mean_of(&self, a: &[u64], b: &[u64]) -> f64 {
        let negatives: u32 = a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum();
        (self.t as f64 - 2.0 * f64::from(negatives)) / self.t as f64
    }

    /// `w = r * prod_{v in prefix} x_v` and the prefix's packed signs.
    fn prefix_product(&self, prefix: &[u32], r: &[f64], w: &mut [f64], wbits: &mut [u64]) {
        w.copy_from_slice(r);
        wbits.fill(0);
        for &v in prefix {
            let v = v as usize;
            w.iter_mut().zip(self.sign_column(v)).for_each(|(a, s)| *a *= s);
            wbits.iter_mut().zip(self.bit_column(v)).for_each(|(a, b)| *a ^= b);
        }
    }

    /// Writes the centred column `col` into `out` and returns its mean.
    fn centred_column(&self, col: usize, out: &mut [f64]) -> f64 {
        let ones = vec![1.0; self.t];
        let mut wbits = vec![0u64; self.words];
        let monomial = self.layout.monomial(col).unwrap_or_default();
        let (last, prefix) = monomial.split_last().map_or((0, &[][..]), |(l, p)| (*l, p));
        let prefix: Vec<u32> = prefix.iter().map(|&v| v as u32).collect();
        self.prefix_product(&prefix, &ones, out, &mut wbits);
        out.iter_mut().zip(self.sign_column(last)).for_each(|(a, s)| *a *= s);
        let mean = self.mean_of(&wbits, self.bit_column(last));
        out.iter_mut().for_each(|a| *a -= mean);
        mean
    }

    /// g_j = x_cj . r for every column, 0 for those marked in `dead`.
    fn correlations(&self, r: &[f64], dead: Option<&[u64]>, g: &mut [f64]) {
        let sum_r: f64 = r.iter().sum();
        // x_cj . r = x_j . r - mean_j sum(r). Centred columns keep sum(r) at rounding
        // level; the term matters only when it is above the dot product's own rounding.
        let correct = sum_r.abs() > 1e-13 * r.iter().map(|v| v.abs()).sum::<f64>();
        let chunks = self.chunks();
        let mut parts: Vec<(&[Block], &mut [f64])> = Vec::with_capacity(chunks.len());
        let mut rest = g;
        for blocks in chunks {
            let len: usize = blocks.iter().map(|b| self.layout.block_len(b)).sum();
            let (head, tail) = rest.split_at_mut(len);
            parts.push((blocks, head));
            rest = tail;
        }
        parts.into_par_iter().for_each_init(Scratch::default, |scratch, (blocks, out)| {
            self.chunk_correlations(blocks, r, scratch, out);
            let mut at = 0;
            for block in blocks {
                let out = &mut out[at..at + self.layout.block_len(block)];
                if correct {
                    self.centre_block(block, sum_r, out);
                }
                if let Some(dead) = dead {
                    out.iter_mut()
                        .enumerate()
                        .filter(|(k, _)| is_set(dead, block.offset + k))
                        .for_each(|(_, v)| *v = 0.0);
                }
                at += out.len();
            }
        });
    }

    /// Runs of at most [`CHUNK`] consecutive blocks whose prefixes differ only in
    /// their last variable (the degree-1 block alone), in column order. The runs
    /// depend on the layout only, never on the thread count, so neither do results.
    fn chunks(&self) -> Vec<&[Block]> {
        let blocks = self.layout.blocks();
        let mut chunks = Vec::new();
        let mut start = 0;
        for i in 1..=blocks.len() {
            let same = i < blocks.len() && i - start < CHUNK && {
                let (a, b) = (self.layout.prefix(&blocks[start]), self.layout.prefix(&blocks[i]));
                a.len() == b.len() && !a.is_empty() && a[..a.len() - 1] == b[..b.len() - 1]
            };
            if !same {
                chunks.push(&blocks[start..i]);
                start = i;
            }
        }
        chunks
    }

    /// The uncentred correlations x_j . r of a chunk's columns, as one matrix product:
    /// with u = r * prod(shared variables) and W the rows u * x_b for the chunk's last
    /// prefix variables b, the products x_c . (u * x_b) for all c form X_c^T W.
    fn chunk_correlations(&self, blocks: &[Block], r: &[f64], scratch: &mut Scratch, out: &mut [f64]) {
        let (t, n) = (self.t, self.layout.n_vars());
        let prefix = self.layout.prefix(&blocks[0]);
        let Some((_, shared)) = prefix.split_last() else {
            // The degree-1 block: x_c . r for every variable.
            out.iter_mut().enumerate().for_each(|(c, g)| *g = dot(self.sign_column(c), r));
            return;
        };
        let Scratch { u, w, c } = scratch;
        u.clear();
        u.extend_from_slice(r);
        for &v in shared {
            u.iter_mut().zip(self.sign_column(v as usize)).for_each(|(a, s)| *a *= s);
        }
        w.resize(blocks.len() * t, 0.0);
        for (row, block) in w.chunks_exact_mut(t).zip(blocks) {
            let b = block.first - 1;
            row.iter_mut().zip(u.iter()).zip(self.sign_column(b)).for_each(|((o, a), s)| *o = a * s);
        }
        let cmin = blocks[0].first;
        let m = n - cmin;
        c.resize(m * blocks.len(), 0.0);
        // The shapes match the buffers just sized; `signs` holds n columns of t values.
        let x = ArrayView2::from_shape((n, t), &self.signs).expect("signs hold n x t values");
        let wv = ArrayView2::from_shape((blocks.len(), t), &w[..]).expect("w holds a row per block");
        // Column-major, so each block's correlations are one contiguous run.
        let mut cv = ArrayViewMut2::from_shape((m, blocks.len()).f(), &mut c[..]).expect("c holds m x blocks");
        general_mat_mul(1.0, &x.slice(s![cmin.., ..]), &wv.t(), 0.0, &mut cv);
        let mut at = 0;
        for (column, block) in c.chunks_exact(m).zip(blocks) {
            let run = &column[block.first - cmin..];
            out[at..at + run.len()].copy_from_slice(run);
            at += run.len();
        }
    }

    /// Subtracts mean_j sum(r) from a block's correlations; means from popcounts.
    fn centre_block(&self, block: &Block, sum_r: f64, out: &mut [f64]) {
        let mut wbits = vec![0u64; self.words];
        for &v in self.layout.prefix(block) {
            wbits.iter_mut().zip(self.bit_column(v as usize)).for_each(|(a, b)| *a ^= b);
        }
        for (k, g) in out.iter_mut().enumerate() {
            *g -= self.mean_of(&wbits, self.bit_column(block.first + k)) * sum_r;
        }
    }
}

/// Per-thread buffers of a pass: u, the rows of W, the product X_c^T W.
#[derive(Default)]
struct Scratch {
    u: Vec<f64>,
    w: Vec<f64>,
    c: Vec<f64>,
}

/// Blocks per matrix product in a pass: more reads X once for more columns, but
/// computes more of the unused triangle (c <= b).
const CHUNK: usize = 16;

/// Bytes the solver's state takes beyond the samples: correlations and screening
/// flags per column, plus the block table.
pub fn solver_bytes(t: usize, n: usize, degree: usize) -> u128 {
    let columns = features::count(n, degree);
    let blocks = (0..degree.min(n)).map(|k| features::binomial(n as u128, k as u128)).sum::<u128>();
    columns * 8 + columns / 8 + blocks * (40 + 4 * degree as u128) + (t as u128) * (n as u128) * 9
}

fn is_set(bits: &[u64], i: usize) -> bool {
    bits[i / 64] >> (i % 64) & 1 == 1
}

/// A dot product with a fixed summation order (eight interleaved partial sums, then
/// a fixed tree), which the compiler can vectorize without changing the result.
#[inline]
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    for (k, (x, y)) in ra.iter().zip(rb).enumerate() {
        acc[k] += x * y;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}

/// `r += c * x`.
#[inline]
fn axpy(r: &mut [f64], c: f64, x: &[f64]) {
    r.iter_mut().zip(x).for_each(|(a, b)| *a += c * b);
}

fn soft_threshold(z: f64, lambda: f64) -> f64 {
    z.signum() * (z.abs() - lambda).max(0.0)
}

/// The duality gap of scikit-learn's `enet_coordinate_descent` (l1 only):
/// P(a) - D(theta) with theta = r / max(lambda, max |X_c^T r|).
fn duality_gap(r: &[f64], yc: &[f64], l1: f64, dual_norm: f64, lambda: f64) -> f64 {
    let r2 = dot(r, r);
    let (scale, gap) = if dual_norm > lambda {
        let c = lambda / dual_norm;
        (c, 0.5 * (r2 + r2 * c * c))
    } else {
        (1.0, r2)
    };
    gap + lambda * l1 - scale * dot(r, yc)
}

/// The working set: dense centred columns, their squared norms and coefficients.
struct WorkingSet {
    cols: Vec<usize>,
    data: Vec<f64>,
    norm2: Vec<f64>,
    mean: Vec<f64>,
    coef: Vec<f64>,
}

impl WorkingSet {
    fn new(design: &ParityDesign, cols: Vec<usize>, support: &[(usize, f64)]) -> Self {
        let t = design.t;
        let mut data = vec![0.0; cols.len() * t];
        let mut mean = vec![0.0; cols.len()];
        data.par_chunks_mut(t.max(1))
            .zip(mean.par_iter_mut())
            .zip(cols.par_iter())
            .for_each(|((out, m), &c)| *m = design.centred_column(c, out));
        let norm2 = data.chunks(t.max(1)).map(|c| dot(c, c)).take(cols.len()).collect();
        let coef =
            cols.iter().map(|c| support.binary_search_by_key(c, |&(j, _)| j).map_or(0.0, |at| support[at].1)).collect();
        WorkingSet { cols, data, norm2, mean, coef }
    }

    fn column(&self, k: usize, t: usize) -> &[f64] {
        &self.data[k * t..(k + 1) * t]
    }

    /// Cyclic coordinate descent on the working set until its own duality gap is
    /// at most `target` or `max_sweeps` ran; returns the sweeps done.
    fn solve(&mut self, r: &mut [f64], yc: &[f64], lambda: f64, target: f64, params: &Params) -> u32 {
        let t = r.len();
        for sweep in 1..=params.max_sweeps {
            let (mut max_step, mut max_coef) = (0.0f64, 0.0f64);
            for k in 0..self.cols.len() {
                if self.norm2[k] == 0.0 {
                    continue; // a constant column: its coefficient stays 0, as in scikit-learn
                }
                let old = self.coef[k];
                let z = dot(self.column(k, t), r) + old * self.norm2[k];
                let new = soft_threshold(z, lambda) / self.norm2[k];
                if new != old {
                    axpy(r, old - new, &self.data[k * t..(k + 1) * t]);
                    self.coef[k] = new;
                }
                max_step = max_step.max((new - old).abs());
                max_coef = max_coef.max(new.abs());
            }
            // Like scikit-learn, look at the gap only once the steps have become small.
            if max_coef == 0.0 || max_step <= params.tol * max_coef || sweep % 10 == 0 || sweep == params.max_sweeps {
                let dual_norm = (0..self.cols.len()).map(|k| dot(self.column(k, t), r).abs()).fold(0.0, f64::max);
                let l1 = self.coef.iter().map(|c| c.abs()).sum();
                if duality_gap(r, yc, l1, dual_norm, lambda) <= target {
                    return sweep;
                }
            }
        }
        params.max_sweeps
    }

    /// The nonzero coefficients (columns ascending) and their columns' means.
    fn support(&self) -> (Vec<(usize, f64)>, Vec<f64>) {
        let nonzero = || (0..self.cols.len()).filter(|&k| self.coef[k] != 0.0);
        (nonzero().map(|k| (self.cols[k], self.coef[k])).collect(), nonzero().map(|k| self.mean[k]).collect())
    }
}

/// The current point: coefficients on the support and the residual they leave.
struct State {
    /// Nonzero coefficients, columns ascending.
    support: Vec<(usize, f64)>,
    /// The means of the support's columns (for the intercept).
    means: Vec<f64>,
    /// Invariant: r = y_c - X_c a.
    r: Vec<f64>,
}

impl State {
    /// a = `warm` (its nonzero entries over existing columns), or 0.
    fn start(design: &ParityDesign, yc: &[f64], warm: Option<&[(usize, f64)]>) -> Self {
        let n_features = design.n_features();
        let mut support: Vec<(usize, f64)> =
            warm.unwrap_or(&[]).iter().copied().filter(|&(j, c)| j < n_features && c != 0.0).collect();
        support.sort_by_key(|&(j, _)| j);
        support.dedup_by_key(|&mut (j, _)| j);
        let mut r = yc.to_vec();
        if support.is_empty() {
            return State { support, means: Vec::new(), r };
        }
        let ws = WorkingSet::new(design, support.iter().map(|&(j, _)| j).collect(), &support);
        for k in 0..ws.cols.len() {
            axpy(&mut r, -ws.coef[k], ws.column(k, design.t));
        }
        State { support, means: ws.mean, r }
    }

    fn l1(&self) -> f64 {
        self.support.iter().map(|(_, c)| c.abs()).sum()
    }
}

/// Fits the Lasso on `design` and `y`, starting from `warm` (a previous fit's
/// nonzero coefficients over the same columns) when given. `alpha` = 0 is plain
/// least squares by coordinate descent, stopped by `MAX_PASSES` when T < N.
pub fn fit(design: &ParityDesign, y: &[f64], params: &Params, warm: Option<&[(usize, f64)]>) -> LassoFit {
    let t = design.t;
    let n_features = design.n_features();
    let y_mean = if t == 0 { 0.0 } else { y.iter().sum::<f64>() / t as f64 };
    let yc: Vec<f64> = y.iter().map(|v| v - y_mean).collect();
    let lambda = params.alpha * t as f64;
    // scikit-learn's rule: the gap is measured against ||y_c||^2.
    let tol = params.tol * dot(&yc, &yc);
    let mut state = State::start(design, &yc, warm);
    let mut g = vec![0.0; n_features];
    let mut dead = vec![0u64; n_features.div_ceil(64)];
    let mut stats = FitStats::default();
    loop {
        design.correlations(&state.r, (stats.screened > 0).then_some(&dead[..]), &mut g);
        stats.passes += 1;
        let dual_norm = g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        stats.gap = duality_gap(&state.r, &yc, state.l1(), dual_norm, lambda);
        if stats.gap <= tol {
            stats.converged = true;
            break;
        }
        if stats.passes >= MAX_PASSES {
            break;
        }
        stats.screened += screen(&g, &state.support, stats.gap, dual_norm, lambda, t, &mut dead);
        let mut ws = WorkingSet::new(design, working_set(&g, &state.support, &dead), &state.support);
        // Solve the subproblem to well within the tolerance: a working-set sweep costs
        // |W| columns, a pass all N, so the next pass should find the fit converged.
        stats.sweeps += ws.solve(&mut state.r, &yc, lambda, 0.3 * tol, params);
        (state.support, state.means) = ws.support();
    }
    let intercept = y_mean - state.support.iter().zip(&state.means).map(|((_, c), m)| c * m).sum::<f64>();
    LassoFit { n_features, nonzeros: state.support, intercept, stats }
}

/// Gap-safe screening: marks dead every column j outside the support with
/// |x_cj . theta| + rho ||x_cj|| < 1, where theta = r / max(lambda, dual_norm) and
/// rho = sqrt(2 gap) / lambda (||x_cj|| <= sqrt(T) bounds the norm safely).
/// Returns the number newly marked.
fn screen(
    g: &[f64],
    support: &[(usize, f64)],
    gap: f64,
    dual_norm: f64,
    lambda: f64,
    t: usize,
    dead: &mut [u64],
) -> usize {
    let scale = dual_norm.max(lambda);
    let margin = (2.0 * gap.max(0.0)).sqrt() / lambda * (t as f64).sqrt();
    let mut newly = 0;
    for (j, gj) in g.iter().enumerate() {
        if !is_set(dead, j) && gj.abs() / scale + margin < 1.0 && support.binary_search_by_key(&j, |&(s, _)| s).is_err()
        {
            dead[j / 64] |= 1 << (j % 64);
            newly += 1;
        }
    }
    newly
}

/// The support plus the live columns with the largest |g_j| (ties to the lower
/// column), max(WORKING_SET_MIN, 2 |support|) in all, columns ascending.
fn working_set(g: &[f64], support: &[(usize, f64)], dead: &[u64]) -> Vec<usize> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let want = WORKING_SET_MIN.max(2 * support.len()).saturating_sub(support.len());
    // A min-heap of the best `want` candidates: (|g|, Reverse(column)) orders larger
    // |g| first and, among equals, the lower column first.
    let mut heap: BinaryHeap<Reverse<(Key, Reverse<usize>)>> = BinaryHeap::with_capacity(want + 1);
    for (j, gj) in g.iter().enumerate() {
        if *gj == 0.0 || is_set(dead, j) || support.binary_search_by_key(&j, |&(s, _)| s).is_ok() {
            continue;
        }
        let item = Reverse((Key(gj.abs()), Reverse(j)));
        if heap.len() < want {
            heap.push(item);
        } else if heap.peek().is_some_and(|worst| item < *worst) {
            heap.pop();
            heap.push(item);
        }
    }
    let mut cols: Vec<usize> =
        support.iter().map(|&(j, _)| j).chain(heap.into_iter().map(|Reverse((_, Reverse(j)))| j)).collect();
    cols.sort_unstable();
    cols
}

/// A total order on f64 for the candidate heap.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Key(f64);

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn design(n: usize, t: usize, degree: usize) -> ParityDesign {
        // A fixed, balanced-looking sign pattern: x_iv = -1 iff bit v of (i * 2654435761) is set.
        let samples: Vec<Vec<i8>> = (0..t)
            .map(|i| (0..n).map(|v| if (i as u64 * 2_654_435_761) >> (v % 60) & 1 == 1 { -1 } else { 1 }).collect())
            .collect();
        ParityDesign::new(&samples, n, degree).expect("a small design")
    }

    #[test]
    fn chunks_tile_the_columns_in_order() {
        let d = design(9, 20, 3);
        let chunks = d.chunks();
        let mut next = 0;
        for chunk in &chunks {
            assert!(chunk.len() <= CHUNK);
            for b in chunk.iter() {
                assert_eq!(b.offset, next);
                next += d.layout.block_len(b);
            }
        }
        assert_eq!(next, d.n_features());
    }

    #[test]
    fn pass_correlations_equal_the_centred_columns_dot_r() {
        let d = design(8, 37, 3);
        let r: Vec<f64> = (0..37).map(|i| ((i * 7) % 11) as f64 - 4.5).collect();
        let mut g = vec![0.0; d.n_features()];
        d.correlations(&r, None, &mut g);
        let mut col = vec![0.0; 37];
        for (j, gj) in g.iter().enumerate() {
            d.centred_column(j, &mut col);
            let want: f64 = col.iter().zip(&r).map(|(a, b)| a * b).sum();
            assert!((gj - want).abs() < 1e-9, "column {j}: {gj} vs {want}");
        }
    }

    #[test]
    fn dot_is_exact_on_small_integers() {
        let a: Vec<f64> = (0..29).map(f64::from).collect();
        let b: Vec<f64> = (0..29).map(|i| f64::from(i % 3) - 1.0).collect();
        let want: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert_eq!(dot(&a, &b), want);
        assert_eq!(dot(&[], &[]), 0.0);
    }

    #[test]
    fn soft_threshold_shrinks_towards_zero() {
        assert_eq!(soft_threshold(5.0, 2.0), 3.0);
        assert_eq!(soft_threshold(-5.0, 2.0), -3.0);
        assert_eq!(soft_threshold(1.5, 2.0), 0.0);
    }

    #[test]
    fn the_zero_point_has_zero_gap_past_alpha_max() {
        // With dual_norm <= lambda the zero point is optimal: gap = ||y||^2 - r.y = 0.
        let y = [1.0, -2.0, 0.5, 0.5];
        assert_eq!(duality_gap(&y, &y, 0.0, 3.0, 4.0), 0.0);
    }
}
