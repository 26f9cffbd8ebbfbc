//! Base algorithms on the bits Harmonica leaves free: random search, successive
//! halving and Hyperband, as plans of rungs. A rung is one batch: `configs`
//! configurations evaluated at `budget`; the first rung of a bracket draws new
//! configurations, later rungs promote the best of the rung before.

use crate::study::BaseSpec;

/// One batch of a base algorithm.
#[derive(Clone, Debug, PartialEq)]
pub struct Rung {
    /// Which bracket it belongs to (0 for random search and successive halving).
    pub bracket: usize,
    /// Its place in the bracket; rung 0 draws fresh configurations.
    pub index: usize,
    /// How many configurations it evaluates.
    pub configs: usize,
    /// The budget each gets (`None`: the objective takes no budget).
    pub budget: Option<f64>,
}

/// The rungs `spec` runs, in order.
pub fn plan(spec: &BaseSpec) -> Vec<Rung> {
    match *spec {
        BaseSpec::None => Vec::new(),
        BaseSpec::Random { evaluations: 0 } => Vec::new(),
        BaseSpec::Random { evaluations } => vec![Rung { bracket: 0, index: 0, configs: evaluations, budget: None }],
        BaseSpec::SuccessiveHalving { configs, min_budget, max_budget, eta } => {
            halving(0, configs, min_budget, max_budget, eta)
        }
        BaseSpec::Hyperband { max_budget, eta } => hyperband(max_budget, eta),
    }
}

fn halving(bracket: usize, configs: usize, min_budget: f64, max_budget: f64, eta: f64) -> Vec<Rung> {
    let mut rungs = Vec::new();
    let (mut n, mut budget) = (configs, min_budget);
    loop {
        rungs.push(Rung { bracket, index: rungs.len(), configs: n, budget: Some(budget.min(max_budget)) });
        let next_n = (n as f64 / eta).floor() as usize;
        // Stop at the top budget or when one configuration (or none) would remain.
        if budget * (1.0 + 1e-9) >= max_budget || next_n < 1 || n == 1 {
            break;
        }
        n = next_n;
        budget *= eta;
    }
    rungs
}

/// Hyperband (Li et al., JMLR 2018): brackets s = s_max..=0 of successive halving
/// with n = ceil((s_max+1)/(s+1) * eta^s) configurations at budget R * eta^-s.
fn hyperband(max_budget: f64, eta: f64) -> Vec<Rung> {
    let s_max = (max_budget.ln() / eta.ln() + 1e-9).floor().max(0.0) as i32;
    let mut rungs = Vec::new();
    for (bracket, s) in (0..=s_max).rev().enumerate() {
        let n = ((s_max + 1) as f64 / (s + 1) as f64 * eta.powi(s)).ceil() as usize;
        let r = max_budget * eta.powi(-s);
        let mut rs = halving(bracket, n, r, max_budget, eta);
        rs.truncate(s as usize + 1);
        rungs.extend(rs);
    }
    rungs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hyperband_81_3_matches_the_paper_table() {
        let rungs = plan(&BaseSpec::Hyperband { max_budget: 81.0, eta: 3.0 });
        let b0: Vec<(usize, f64)> =
            rungs.iter().filter(|r| r.bracket == 0).map(|r| (r.configs, r.budget.unwrap_or(0.0))).collect();
        assert_eq!(b0, vec![(81, 1.0), (27, 3.0), (9, 9.0), (3, 27.0), (1, 81.0)]);
        let firsts: Vec<(usize, f64)> =
            rungs.iter().filter(|r| r.index == 0).map(|r| (r.configs, r.budget.unwrap_or(0.0))).collect();
        assert_eq!(firsts, vec![(81, 1.0), (34, 3.0), (15, 9.0), (8, 27.0), (5, 81.0)]);
        assert_eq!(rungs.iter().map(|r| r.configs).sum::<usize>(), 206);
    }

    #[test]
    fn successive_halving_and_random() {
        let rungs = plan(&BaseSpec::SuccessiveHalving { configs: 9, min_budget: 1.0, max_budget: 9.0, eta: 3.0 });
        let got: Vec<(usize, Option<f64>)> = rungs.iter().map(|r| (r.configs, r.budget)).collect();
        assert_eq!(got, vec![(9, Some(1.0)), (3, Some(3.0)), (1, Some(9.0))]);
        assert_eq!(plan(&BaseSpec::Random { evaluations: 7 }).len(), 1);
        assert!(plan(&BaseSpec::None).is_empty());
    }
}
