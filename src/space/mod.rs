//! Search spaces and their encoding into ±1 bits.
//!
//! Every parameter owns a run of consecutive bits (none for a one-level range);
//! `dummy` bits follow the parameters. A parameter's level index is read from its
//! bits in binary, bit 0 least significant, `+1` meaning 1. A choice of k values on
//! `ceil(log2 k)` bits maps index i to value `i mod k`. Conditional parameters keep
//! their bits; the bits are simply ignored while the condition is false.

mod value;

pub use value::{format_float, ParamValue};

use std::fmt;

/// What values a parameter takes.
#[derive(Clone, Debug, PartialEq)]
pub enum Domain {
    /// `false` / `true`, one bit.
    Bool,
    /// One of the listed values.
    Choice(Vec<ParamValue>),
    /// Integers from `low` to `high`, on `2^bits` levels.
    Int { low: i64, high: i64, log: bool, bits: u32 },
    /// Reals from `low` to `high`, on `2^bits` levels.
    Float { low: f64, high: f64, log: bool, bits: u32 },
}

/// A parameter is active only when another parameter has a given value.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// The parameter it depends on (declared earlier).
    pub param: String,
    /// The value that activates it.
    pub value: ParamValue,
}

/// One hyperparameter.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// The user's name for it.
    pub name: String,
    /// Its values.
    pub domain: Domain,
    /// When it is active; always when `None`.
    pub when: Option<Condition>,
}

/// Who a bit belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BitOwner {
    /// Bit `bit` (0 = least significant) of parameter `param`.
    Param { param: usize, bit: usize },
    /// Padding bit number `0`.
    Dummy(usize),
}

/// Errors in a space's definition.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SpaceError {
    /// A log-spaced range needs positive bounds.
    #[error("a log range needs low > 0, but low is {0}")]
    LogNonPositive(String),
    /// `low` above `high`.
    #[error("low ({low}) is greater than high ({high})")]
    Inverted { low: String, high: String },
    /// Zero bits for a range with more than one value.
    #[error("bits must be at least 1 for a range with more than one value")]
    ZeroBits,
    /// Too many bits for one parameter.
    #[error("{bits} bits is too many for one parameter (at most {max})")]
    TooManyBits { bits: u32, max: u32 },
    /// More bits than distinct integers.
    #[error("the integer range {low}..{high} has {count} values; {bits} bits would repeat them (use at most {fit})")]
    IntBitsExceedRange { low: i64, high: i64, count: u64, bits: u32, fit: u32 },
    /// An empty choice.
    #[error("a choice needs at least one value")]
    EmptyChoice,
    /// A non-finite bound.
    #[error("range bounds must be finite numbers, found {0}")]
    NonFinite(f64),
}

/// The most bits a single parameter may have.
pub const MAX_PARAM_BITS: u32 = 16;

/// Default bits for a float range without `bits`.
pub const DEFAULT_FLOAT_BITS: u32 = 3;

/// Default cap on bits for an int range without `bits`.
pub const DEFAULT_INT_BITS: u32 = 3;

/// Bits needed to tell `count` values apart.
pub fn bits_for(count: u64) -> u32 {
    if count <= 1 {
        0
    } else {
        64 - (count - 1).leading_zeros()
    }
}

impl Domain {
    /// An integer range; `bits` defaults to what the range needs, at most [`DEFAULT_INT_BITS`].
    pub fn int(low: i64, high: i64, log: bool, bits: Option<u32>) -> Result<Self, SpaceError> {
        if low > high {
            return Err(SpaceError::Inverted { low: low.to_string(), high: high.to_string() });
        }
        if log && low <= 0 {
            return Err(SpaceError::LogNonPositive(low.to_string()));
        }
        let count = (high as i128 - low as i128 + 1).min(u64::MAX as i128) as u64;
        let fit = bits_for(count);
        let bits = match bits {
            None => fit.min(DEFAULT_INT_BITS),
            Some(b) => {
                check_bits(b, count)?;
                if b > fit {
                    return Err(SpaceError::IntBitsExceedRange { low, high, count, bits: b, fit });
                }
                b
            }
        };
        Ok(Domain::Int { low, high, log, bits })
    }

    /// A real range; `bits` defaults to [`DEFAULT_FLOAT_BITS`] (0 when low == high).
    pub fn float(low: f64, high: f64, log: bool, bits: Option<u32>) -> Result<Self, SpaceError> {
        for x in [low, high] {
            if !x.is_finite() {
                return Err(SpaceError::NonFinite(x));
            }
        }
        if low > high {
            return Err(SpaceError::Inverted { low: low.to_string(), high: high.to_string() });
        }
        if log && low <= 0.0 {
            return Err(SpaceError::LogNonPositive(low.to_string()));
        }
        let count = if low == high { 1 } else { u64::MAX };
        let bits = match bits {
            None if count == 1 => 0,
            None => DEFAULT_FLOAT_BITS,
            Some(b) => {
                check_bits(b, count)?;
                if count == 1 {
                    0
                } else {
                    b
                }
            }
        };
        Ok(Domain::Float { low, high, log, bits })
    }

    /// A choice among `values`.
    pub fn choice(values: Vec<ParamValue>) -> Result<Self, SpaceError> {
        if values.is_empty() {
            return Err(SpaceError::EmptyChoice);
        }
        let bits = bits_for(values.len() as u64);
        if bits > MAX_PARAM_BITS {
            return Err(SpaceError::TooManyBits { bits, max: MAX_PARAM_BITS });
        }
        Ok(Domain::Choice(values))
    }

    /// How many bits encode it.
    pub fn bits(&self) -> u32 {
        match self {
            Domain::Bool => 1,
            Domain::Choice(v) => bits_for(v.len() as u64),
            Domain::Int { bits, .. } | Domain::Float { bits, .. } => *bits,
        }
    }

    /// The value at level `index` (taken modulo the number of levels for choices).
    pub fn level(&self, index: u64) -> ParamValue {
        match self {
            Domain::Bool => ParamValue::Bool(index % 2 == 1),
            Domain::Choice(v) => v[(index % v.len() as u64) as usize].clone(),
            Domain::Int { low, high, log, bits } => {
                let x = spaced(*low as f64, *high as f64, *log, *bits, index).round() as i64;
                ParamValue::Int(x.clamp(*low, *high))
            }
            Domain::Float { low, high, log, bits } => ParamValue::Float(spaced(*low, *high, *log, *bits, index)),
        }
    }

    /// The smallest level index whose value equals `value`.
    pub fn index_of(&self, value: &ParamValue) -> Option<u64> {
        let levels = 1u64 << self.bits();
        (0..levels).find(|&i| self.level(i).same(value))
    }

    /// The kind, in the words study files use.
    pub fn type_name(&self) -> &'static str {
        match self {
            Domain::Bool => "bool",
            Domain::Choice(_) => "choice",
            Domain::Int { .. } => "int",
            Domain::Float { .. } => "float",
        }
    }
}

fn check_bits(bits: u32, count: u64) -> Result<(), SpaceError> {
    if bits == 0 && count > 1 {
        return Err(SpaceError::ZeroBits);
    }
    if bits > MAX_PARAM_BITS {
        return Err(SpaceError::TooManyBits { bits, max: MAX_PARAM_BITS });
    }
    Ok(())
}

/// Level `index` of `2^bits` evenly (or geometrically) spaced points from low to high.
fn spaced(low: f64, high: f64, log: bool, bits: u32, index: u64) -> f64 {
    let last = (1u64 << bits) - 1;
    if last == 0 {
        return low;
    }
    let index = index.min(last);
    if index == 0 {
        return low;
    }
    if index == last {
        return high;
    }
    let t = index as f64 / last as f64;
    if log {
        (low.ln() + (high.ln() - low.ln()) * t).exp()
    } else {
        low + (high - low) * t
    }
}

/// A point of the space: each parameter's value, `None` where inactive.
#[derive(Clone, Debug, PartialEq)]
pub struct Config(pub Vec<Option<ParamValue>>);

/// A search space: parameters, padding bits and the bit layout.
#[derive(Clone, Debug, PartialEq)]
pub struct Space {
    params: Vec<Param>,
    dummy: usize,
    layout: Vec<BitOwner>,
    starts: Vec<usize>,
}

impl Space {
    /// Builds the bit layout. Conditions must name parameters declared earlier
    /// (the study checker reports that with a location).
    pub fn new(params: Vec<Param>, dummy: usize) -> Self {
        let mut layout = Vec::new();
        let mut starts = Vec::with_capacity(params.len());
        for (p, param) in params.iter().enumerate() {
            starts.push(layout.len());
            layout.extend((0..param.domain.bits() as usize).map(|bit| BitOwner::Param { param: p, bit }));
        }
        layout.extend((0..dummy).map(BitOwner::Dummy));
        Self { params, dummy, layout, starts }
    }

    /// `n` one-bit parameters `x0..x{n-1}` whose values are the integers -1 and 1.
    pub fn plain_bits(n: usize) -> Self {
        let params = (0..n)
            .map(|i| Param {
                name: format!("x{i}"),
                domain: Domain::Choice(vec![ParamValue::Int(-1), ParamValue::Int(1)]),
                when: None,
            })
            .collect();
        Self::new(params, 0)
    }

    /// The parameters, in declaration order.
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// Number of padding bits.
    pub fn dummy(&self) -> usize {
        self.dummy
    }

    /// Total number of bits.
    pub fn n_bits(&self) -> usize {
        self.layout.len()
    }

    /// Who owns each bit.
    pub fn layout(&self) -> &[BitOwner] {
        &self.layout
    }

    /// The bits of parameter `p`.
    pub fn bits_of(&self, p: usize) -> std::ops::Range<usize> {
        let start = self.starts[p];
        start..start + self.params[p].domain.bits() as usize
    }

    /// Index of the parameter called `name`.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|p| p.name == name)
    }

    /// A bit's name in the user's terms: `momentum`, `lr[1]`, `dummy[3]`.
    pub fn bit_name(&self, bit: usize) -> String {
        match self.layout.get(bit) {
            Some(BitOwner::Param { param, bit: b }) => {
                let p = &self.params[*param];
                if p.domain.bits() == 1 {
                    p.name.clone()
                } else {
                    format!("{}[{b}]", p.name)
                }
            }
            Some(BitOwner::Dummy(i)) => format!("dummy[{i}]"),
            None => format!("bit{bit}"),
        }
    }

    /// A monomial's name: `lr[1] * momentum`, or `1` for the constant.
    pub fn monomial_name(&self, bits: &[usize]) -> String {
        if bits.is_empty() {
            return "1".into();
        }
        bits.iter().map(|&b| self.bit_name(b)).collect::<Vec<_>>().join(" * ")
    }

    /// The level index parameter `p` reads from `x`.
    fn index_in(&self, p: usize, x: &[i8]) -> u64 {
        self.bits_of(p).enumerate().fold(0u64, |acc, (k, b)| if x[b] > 0 { acc | (1 << k) } else { acc })
    }

    /// Decodes a ±1 vector into parameter values.
    pub fn decode(&self, x: &[i8]) -> Config {
        let mut values: Vec<Option<ParamValue>> = Vec::with_capacity(self.params.len());
        for (p, param) in self.params.iter().enumerate() {
            let active = match &param.when {
                None => true,
                Some(c) => match self.find(&c.param) {
                    Some(q) if q < p => values[q].as_ref().is_some_and(|v| v.same(&c.value)),
                    _ => false,
                },
            };
            values.push(active.then(|| param.domain.level(self.index_in(p, x))));
        }
        Config(values)
    }

    /// Encodes values into ±1 bits; inactive parameters and dummy bits get -1.
    /// `None` when a value is not one of its parameter's levels.
    pub fn encode(&self, config: &Config) -> Option<Vec<i8>> {
        let mut x = vec![-1i8; self.n_bits()];
        for (p, value) in config.0.iter().enumerate() {
            let Some(value) = value else { continue };
            let index = self.params.get(p)?.domain.index_of(value)?;
            for (k, b) in self.bits_of(p).enumerate() {
                x[b] = if index >> k & 1 == 1 { 1 } else { -1 };
            }
        }
        Some(x)
    }

    /// The value of parameter `p` if all its bits are given in `fixed` (bit, sign) and it is
    /// not conditional; used to show what a stage fixed in the user's terms.
    pub fn value_from_bits(&self, p: usize, fixed: &[(usize, i8)]) -> Option<ParamValue> {
        let mut x = vec![-1i8; self.n_bits()];
        for b in self.bits_of(p) {
            x[b] = fixed.iter().find(|(f, _)| *f == b)?.1;
        }
        Some(self.params[p].domain.level(self.index_in(p, &x)))
    }

    /// `(name, value)` pairs of the active parameters of `config`.
    pub fn named<'a>(&'a self, config: &'a Config) -> impl Iterator<Item = (&'a str, &'a ParamValue)> {
        self.params.iter().zip(&config.0).filter_map(|(p, v)| v.as_ref().map(|v| (p.name.as_str(), v)))
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Domain::Bool => write!(f, "bool"),
            Domain::Choice(v) => {
                let items: Vec<String> = v.iter().map(ParamValue::to_string).collect();
                write!(f, "choice {{{}}}", items.join(", "))
            }
            Domain::Int { low, high, log, bits } => {
                write!(f, "int {}{low} .. {high} ({bits} bits)", if *log { "log " } else { "" })
            }
            Domain::Float { low, high, log, bits } => {
                write!(f, "float {}{low} .. {high} ({bits} bits)", if *log { "log " } else { "" })
            }
        }
    }
}

#[cfg(test)]
mod tests;
