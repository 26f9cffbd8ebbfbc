//! The paper's synthetic benchmarks: a tree of sparse polynomials over ±1 bits
//! (DESIGN.md section 5), and a plain sparse polynomial (its one-stage case).

use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;

use super::{Objective, ObjectiveError, TrialInput};
use crate::study::Term;

#[derive(Deserialize)]
struct RawTerm {
    w: f64,
    #[serde(rename = "S")]
    s: Vec<usize>,
}

#[derive(Deserialize)]
struct RawTable {
    n: usize,
    #[serde(default)]
    noise: f64,
    stages: Vec<Vec<Vec<RawTerm>>>,
}

/// A tree of sparse polynomials: stage i's node is chosen by the signs of the terms
/// of stage i-1's node; the value is the sum of the visited nodes plus noise.
#[derive(Clone, Debug)]
pub struct TreePolynomial {
    n: usize,
    noise: f64,
    stages: Vec<Vec<Vec<Term>>>,
    seed: u64,
}

/// Noise streams are derived from the study seed by this offset, apart from the engine's.
const NOISE_SEED_SALT: u64 = 0x6e6f_6973_6521;

impl TreePolynomial {
    /// Reads a table file.
    pub fn load(path: &Path, seed: u64) -> Result<Self, ObjectiveError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ObjectiveError::Read { path: name.clone(), message: e.to_string() })?;
        let raw: RawTable = serde_json::from_str(&text)
            .map_err(|e| ObjectiveError::Invalid { path: name.clone(), message: e.to_string() })?;
        let invalid = |message: String| ObjectiveError::Invalid { path: name.clone(), message };
        let mut stages = Vec::with_capacity(raw.stages.len());
        for (i, stage) in raw.stages.into_iter().enumerate() {
            let mut nodes = Vec::with_capacity(stage.len());
            for node in stage {
                let mut terms = Vec::with_capacity(node.len());
                for t in node {
                    if let Some(b) = t.s.iter().find(|&&b| b >= raw.n) {
                        return Err(invalid(format!("stage {i}: bit {b} is out of range for n = {}", raw.n)));
                    }
                    terms.push(Term { w: t.w, bits: t.s });
                }
                nodes.push(terms);
            }
            stages.push(nodes);
        }
        if stages.first().is_none_or(|s| s.is_empty()) {
            return Err(invalid("the table has no stage 0 node".into()));
        }
        Ok(Self { n: raw.n, noise: raw.noise, stages, seed })
    }

    /// The one-stage case: a single sparse polynomial.
    pub fn sparse(n: usize, terms: Vec<Term>, noise: f64, seed: u64) -> Self {
        Self { n, noise, stages: vec![vec![terms]], seed }
    }

    /// Overrides the noise amplitude.
    pub fn set_noise(&mut self, noise: f64) {
        self.noise = noise;
    }

    /// The value at `x` without noise.
    pub fn value(&self, x: &[i8]) -> f64 {
        let mut total = 0.0;
        let mut node = 0usize;
        for stage in &self.stages {
            // A node index past the table's end ends the walk.
            let Some(terms) = stage.get(node) else { break };
            let mut code = 0usize;
            for t in terms {
                let v = t.w * sign(x, &t.bits);
                total += v;
                code = code << 1 | usize::from(v > 0.0);
            }
            node = node * (1usize << terms.len()) + code;
        }
        total
    }
}

fn sign(x: &[i8], bits: &[usize]) -> f64 {
    if bits.iter().filter(|&&b| x.get(b).copied().unwrap_or(1) < 0).count() % 2 == 0 {
        1.0
    } else {
        -1.0
    }
}

impl Objective for TreePolynomial {
    fn evaluate(&self, trial: &TrialInput) -> Result<f64, String> {
        let mut value = self.value(trial.bits);
        if self.noise != 0.0 {
            let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ NOISE_SEED_SALT);
            rng.set_stream(trial.id as u64);
            value += self.noise * rng.gen::<f64>();
        }
        Ok(value)
    }

    fn implied_bits(&self) -> Option<usize> {
        Some(self.n)
    }

    fn noise_free(&self, bits: &[i8]) -> Option<f64> {
        Some(self.value(bits))
    }
}
