//! Parity monomials chi_S(x) = prod_{j in S} x_j with 1 <= |S| <= d, ordered like
//! scikit-learn's `PolynomialFeatures(d, interaction_only=True)` without its bias
//! column: by degree, then lexicographically. The constant is the Lasso intercept.

use ndarray::{Array2, ShapeBuilder};

/// Number of monomials of degree 1..=d over n variables.
pub fn count(n: usize, d: usize) -> u128 {
    (1..=d.min(n)).map(|k| binomial(n as u128, k as u128)).sum()
}

/// n choose k, saturating.
pub fn binomial(n: u128, k: u128) -> u128 {
    if k > n {
        return 0;
    }
    let k = k.min(n - k);
    (0..k).fold(1u128, |acc, i| acc.saturating_mul(n - i) / (i + 1))
}

/// All monomials of degree 1..=d over variables `0..n`, in feature order.
pub fn monomials(n: usize, d: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    for k in 1..=d.min(n) {
        let mut s: Vec<usize> = (0..k).collect();
        loop {
            out.push(s.clone());
            if !next_subset(&mut s, n) {
                break;
            }
        }
    }
    out
}

/// Advances `s` to the next |s|-subset of `0..n` in lexicographic order; false after the last.
fn next_subset(s: &mut [usize], n: usize) -> bool {
    let k = s.len();
    let Some(i) = (0..k).rev().find(|&i| s[i] < n - k + i) else { return false };
    s[i] += 1;
    for j in i + 1..k {
        s[j] = s[j - 1] + 1;
    }
    true
}

/// A run of consecutive feature columns whose monomials share every variable but
/// the last: columns `offset..offset + (n - first)` are `prefix ∪ {c}` for `c` in
/// `first..n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    /// The first column of the block.
    pub offset: usize,
    /// Where the prefix starts in [`Layout`]'s flattened prefixes.
    prefix_at: usize,
    /// Prefix length (the block's degree minus one).
    prefix_len: usize,
    /// The smallest last variable: one past the prefix's largest, 0 for degree 1.
    pub first: usize,
}

/// The compact index <-> monomial map of the features of degree 1..=d over n
/// variables, without listing the monomials: one [`Block`] per prefix (a subset of
/// size < d), C(n, d-1) + ... + 1 of them instead of C(n, d) + ... + n monomials.
///
/// Invariant: blocks are in feature order, so their offsets ascend and each block
/// ends where the next begins; their lengths sum to [`count`]`(n, d)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    n: usize,
    blocks: Vec<Block>,
    prefixes: Vec<u32>,
    len: usize,
}

impl Layout {
    /// The layout of the monomials of degree 1..=d over `n` variables. The caller
    /// checks first that [`count`]`(n, d)` columns are affordable.
    pub fn new(n: usize, d: usize) -> Self {
        let mut layout = Layout { n, blocks: Vec::new(), prefixes: Vec::new(), len: 0 };
        for k in 1..=d.min(n) {
            // The prefixes of degree-k monomials are the (k-1)-subsets with room after them.
            let mut p: Vec<usize> = (0..k - 1).collect();
            loop {
                let first = p.last().map_or(0, |&m| m + 1);
                if first < n {
                    layout.push(&p, first);
                }
                if !next_subset(&mut p, n) {
                    break;
                }
            }
        }
        layout
    }

    fn push(&mut self, prefix: &[usize], first: usize) {
        let prefix_at = self.prefixes.len();
        // Variables index bits, which number far below u32::MAX.
        self.prefixes.extend(prefix.iter().map(|&v| v as u32));
        self.blocks.push(Block { offset: self.len, prefix_at, prefix_len: prefix.len(), first });
        self.len += self.n - first;
    }

    /// Number of variables.
    pub fn n_vars(&self) -> usize {
        self.n
    }

    /// Number of feature columns.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are no features.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The blocks, in column order.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// The variables every monomial of `block` shares.
    pub fn prefix(&self, block: &Block) -> &[u32] {
        &self.prefixes[block.prefix_at..block.prefix_at + block.prefix_len]
    }

    /// The degree of `block`'s monomials.
    pub fn degree(&self, block: &Block) -> usize {
        block.prefix_len + 1
    }

    /// The number of columns in `block`.
    pub fn block_len(&self, block: &Block) -> usize {
        self.n - block.first
    }

    /// The monomial (variables ascending) of column `col`, if it exists.
    pub fn monomial(&self, col: usize) -> Option<Vec<usize>> {
        if col >= self.len {
            return None;
        }
        let at = self.blocks.partition_point(|b| b.offset <= col) - 1;
        let block = &self.blocks[at];
        let mut m: Vec<usize> = self.prefix(block).iter().map(|&v| v as usize).collect();
        m.push(block.first + col - block.offset);
        Some(m)
    }
}

/// The value of a monomial at a ±1 point.
pub fn parity(x: &[i8], monomial: &[usize]) -> f64 {
    let negatives = monomial.iter().filter(|&&j| x[j] < 0).count();
    if negatives % 2 == 0 {
        1.0
    } else {
        -1.0
    }
}

/// The T x N feature matrix (column-major) of `samples` (rows of ±1 over the variables).
pub fn matrix(samples: &[Vec<i8>], monomials: &[Vec<usize>]) -> Array2<f64> {
    let mut x = Array2::<f64>::zeros((samples.len(), monomials.len()).f());
    for (c, m) in monomials.iter().enumerate() {
        let mut col = x.column_mut(c);
        for (r, s) in samples.iter().enumerate() {
            col[r] = parity(s, m);
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_matches_polynomial_features() {
        let m = monomials(4, 2);
        let expected: Vec<Vec<usize>> = vec![
            vec![0],
            vec![1],
            vec![2],
            vec![3],
            vec![0, 1],
            vec![0, 2],
            vec![0, 3],
            vec![1, 2],
            vec![1, 3],
            vec![2, 3],
        ];
        assert_eq!(m, expected);
    }

    #[test]
    fn counts() {
        assert_eq!(count(60, 3), 36_050);
        assert_eq!(monomials(60, 3).len(), 36_050);
        assert_eq!(count(100, 3), 166_750);
        assert_eq!(count(3, 5), 7);
    }

    #[test]
    fn layout_maps_every_column_to_its_monomial() {
        for (n, d) in [(1, 3), (4, 2), (7, 3), (6, 4), (5, 5)] {
            let layout = Layout::new(n, d);
            let listed = monomials(n, d);
            assert_eq!(layout.len() as u128, count(n, d), "n={n} d={d}");
            let mapped: Vec<Vec<usize>> = (0..layout.len()).filter_map(|c| layout.monomial(c)).collect();
            assert_eq!(mapped, listed, "n={n} d={d}");
            assert_eq!(layout.monomial(layout.len()), None);
        }
        assert_eq!(Layout::new(200, 3).blocks().len(), 1 + 199 + 19_701);
    }

    #[test]
    fn parity_values() {
        assert_eq!(parity(&[1, -1, -1], &[1, 2]), 1.0);
        assert_eq!(parity(&[1, -1, -1], &[0, 1]), -1.0);
        let x = matrix(&[vec![1, -1], vec![-1, -1]], &monomials(2, 2));
        assert_eq!(x.row(0).to_vec(), vec![1.0, -1.0, -1.0]);
        assert_eq!(x.row(1).to_vec(), vec![-1.0, -1.0, 1.0]);
    }
}
