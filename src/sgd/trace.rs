//! What a two-layer run records: one [`TraceRow`] per logged step, and the phase
//! [`Markers`] read off the trace afterwards (Li and Yuan's Phase I, where the
//! gradient may point away from W*, then Phase II, linear convergence).

use serde::Serialize;

/// The quantities the theory talks about, at one logged step.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TraceRow {
    /// The step (number of updates made so far).
    pub step: usize,
    /// The population loss L(W), from the closed form.
    pub loss: f64,
    /// The loss on the batch of this step (the population loss for GD).
    pub batch_loss: f64,
    /// The loss on the held-out test set (finite training sets only).
    pub test_loss: Option<f64>,
    /// ||W - W*||_F (vanilla: after matching hidden units to the teacher's).
    pub distance: f64,
    /// The potential g(W) = sum_i (||e_i + w*_i|| - ||e_i + w_i||).
    pub g: f64,
    /// <-grad L, W* - W>, with the population gradient.
    pub inner: f64,
    /// The cosine between -grad L and W* - W.
    pub cosine: f64,
    /// ||grad L||_F.
    pub grad_norm: f64,
    /// ||W||_2, the spectral norm of the trained parameter.
    pub w_norm: f64,
}

impl TraceRow {
    /// Column names, in the order of [`Self::values`].
    pub const COLUMNS: &'static [&'static str] =
        &["step", "loss", "batch_loss", "test_loss", "distance", "g", "inner", "cosine", "grad_norm", "w_norm"];

    /// The row's values, in the order of [`Self::COLUMNS`] (a missing test loss is NaN).
    pub fn values(&self) -> [f64; 10] {
        [
            self.step as f64,
            self.loss,
            self.batch_loss,
            self.test_loss.unwrap_or(f64::NAN),
            self.distance,
            self.g,
            self.inner,
            self.cosine,
            self.grad_norm,
            self.w_norm,
        ]
    }
}

/// Phase markers of a two-layer run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Markers {
    /// The logged step where the distance to W* was largest.
    pub peak_step: usize,
    /// That largest distance.
    pub peak_distance: f64,
    /// The distance at step 0.
    pub start_distance: f64,
    /// The smallest cosine between -grad L and W* - W.
    pub min_cosine: f64,
    /// Where the smallest cosine was seen.
    pub min_cosine_step: usize,
    /// The last logged step where the gradient pointed away from W* (cosine < 0).
    pub last_wrong_step: Option<usize>,
    /// g at step 0.
    pub g_start: f64,
    /// g at the peak of the distance.
    pub g_at_peak: f64,
    /// The first logged step with |g| below the run's threshold.
    pub small_g_step: Option<usize>,
    /// The fitted Phase-II rate r in distance ~ C exp(-r t), per step.
    pub phase2_rate: Option<f64>,
    /// The step where Phase II is taken to start (after the peak and the last wrong step).
    pub phase2_start: usize,
}

/// Reads the markers off a trace; `g_threshold` defines the small-|g| step.
pub fn markers(rows: &[TraceRow], g_threshold: f64) -> Markers {
    let Some(first) = rows.first() else { return Markers::default() };
    let peak = rows.iter().fold(first, |best, r| if r.distance > best.distance { r } else { best });
    let min_cos = rows.iter().fold(first, |best, r| if r.cosine < best.cosine { r } else { best });
    let last_wrong_step = rows.iter().rev().find(|r| r.cosine < 0.0).map(|r| r.step);
    let phase2_start = peak.step.max(last_wrong_step.map_or(0, |s| s + 1));
    Markers {
        peak_step: peak.step,
        peak_distance: peak.distance,
        start_distance: first.distance,
        min_cosine: min_cos.cosine,
        min_cosine_step: min_cos.step,
        last_wrong_step,
        g_start: first.g,
        g_at_peak: peak.g,
        small_g_step: rows.iter().find(|r| r.g.abs() < g_threshold).map(|r| r.step),
        phase2_rate: fit_rate(rows.iter().filter(|r| r.step >= phase2_start)),
        phase2_start,
    }
}

/// Least-squares slope of ln(distance) over the step, negated; distances at the
/// floating-point floor are left out so they do not flatten the fit.
fn fit_rate<'a>(rows: impl Iterator<Item = &'a TraceRow>) -> Option<f64> {
    let pts: Vec<(f64, f64)> = rows
        .filter(|r| r.distance > 1e-12 && r.distance.is_finite())
        .map(|r| (r.step as f64, r.distance.ln()))
        .collect();
    if pts.len() < 3 {
        return None;
    }
    let n = pts.len() as f64;
    let (mx, my) = pts.iter().fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
    let sxx: f64 = pts.iter().map(|(x, _)| (x - mx) * (x - mx)).sum();
    let sxy: f64 = pts.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    (sxx > 0.0).then(|| -sxy / sxx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(step: usize, distance: f64, cosine: f64, g: f64) -> TraceRow {
        TraceRow { step, distance, cosine, g, ..TraceRow::default() }
    }

    #[test]
    fn markers_of_a_toy_trace() {
        let mut rows = vec![row(0, 1.0, -0.1, 4.0), row(1, 1.5, -0.3, 2.0), row(2, 1.2, 0.2, 0.5)];
        rows.extend((3..10).map(|t| row(t, 1.2 * (-0.5 * (t as f64 - 2.0)).exp(), 0.9, 0.01)));
        let m = markers(&rows, 0.1);
        assert_eq!((m.peak_step, m.peak_distance, m.start_distance), (1, 1.5, 1.0));
        assert_eq!((m.min_cosine, m.min_cosine_step, m.last_wrong_step), (-0.3, 1, Some(1)));
        assert_eq!((m.g_start, m.g_at_peak, m.small_g_step, m.phase2_start), (4.0, 2.0, Some(3), 2));
        assert!((m.phase2_rate.unwrap_or(0.0) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn no_wrong_step_is_none() {
        let rows = vec![row(0, 1.0, 0.5, 1.0), row(1, 0.5, 0.5, 1.0)];
        assert_eq!(markers(&rows, 0.1).last_wrong_step, None);
    }
}
