//! Minimizers of a recovered sparse polynomial, by enumerating every setting of the
//! bits its terms touch.
//!
//! Settings are enumerated as binary counters over J (J sorted, its first bit least
//! significant, counter bit 1 meaning +1); ties keep the earlier setting.

/// A setting of some bits with the polynomial's value there.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    /// (bit, sign) pairs, bits ascending.
    pub bits: Vec<(usize, i8)>,
    /// The recovered polynomial's value (without intercept).
    pub predicted: f64,
}

/// The polynomial touches more bits than the cap allows.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("the recovered terms touch {found} bits; enumerating 2^{found} settings exceeds the cap of 2^{cap} (raise `max_bits` or lower `terms`/`degree`)")]
pub struct TooManyBits {
    /// Bits touched.
    pub found: usize,
    /// The cap.
    pub cap: usize,
}

/// The `keep` best settings of the bits touched by `terms` ((coefficient, bits)).
pub fn minimizers(terms: &[(f64, Vec<usize>)], keep: usize, cap: usize) -> Result<Vec<Setting>, TooManyBits> {
    let mut j: Vec<usize> = terms.iter().flat_map(|(_, b)| b.iter().copied()).collect();
    j.sort_unstable();
    j.dedup();
    if j.len() > cap {
        return Err(TooManyBits { found: j.len(), cap });
    }
    let masks: Vec<(f64, u64)> = terms
        .iter()
        .map(|(c, bits)| {
            let mask = bits.iter().fold(0u64, |m, b| m | 1 << j.binary_search(b).unwrap_or(0));
            (*c, mask)
        })
        .collect();
    let keep = keep.max(1);
    let mut best: Vec<(f64, u64)> = Vec::with_capacity(keep + 1);
    for k in 0..1u64 << j.len() {
        // A monomial is -1 when an odd number of its bits are -1 (counter bit 0).
        let value: f64 = masks.iter().map(|(c, m)| if (m & !k).count_ones() % 2 == 0 { *c } else { -*c }).sum();
        if best.len() < keep || value < best[best.len() - 1].0 {
            let at = best.partition_point(|(v, _)| *v <= value);
            best.insert(at, (value, k));
            best.truncate(keep);
        }
    }
    Ok(best
        .into_iter()
        .map(|(predicted, k)| Setting {
            bits: j.iter().enumerate().map(|(i, &b)| (b, if k >> i & 1 == 1 { 1 } else { -1 })).collect(),
            predicted,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_exact_minimum() {
        // 2 x1 x3 - 3 x5 : minimum -5 at x5 = +1, x1 x3 = -1; the first such counter is
        // 0b101 (x1 = +1, x3 = -1, x5 = +1).
        let got = minimizers(&[(2.0, vec![1, 3]), (-3.0, vec![5])], 1, 20).unwrap();
        assert_eq!(got, vec![Setting { bits: vec![(1, 1), (3, -1), (5, 1)], predicted: -5.0 }]);
    }

    #[test]
    fn keeps_t_best_in_order_with_ties_to_earlier() {
        let got = minimizers(&[(1.0, vec![0])], 2, 20).unwrap();
        assert_eq!(got[0].bits, vec![(0, -1)]);
        assert_eq!(got[1].bits, vec![(0, 1)]);
        let tie = minimizers(&[(1.0, vec![0, 1])], 1, 20).unwrap();
        assert_eq!(tie[0].bits, vec![(0, 1), (1, -1)]);
    }

    #[test]
    fn refuses_past_the_cap() {
        let terms: Vec<(f64, Vec<usize>)> = (0..5).map(|i| (1.0, vec![3 * i, 3 * i + 1, 3 * i + 2])).collect();
        assert_eq!(minimizers(&terms, 1, 10), Err(TooManyBits { found: 15, cap: 10 }));
    }

    #[test]
    fn empty_polynomial_has_one_empty_setting() {
        assert_eq!(minimizers(&[], 1, 10).unwrap(), vec![Setting { bits: vec![], predicted: 0.0 }]);
    }
}
