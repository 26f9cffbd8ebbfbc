//! Parameter values: the scalars a choice may list and a range produces.

use std::fmt;

/// A parameter's value.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue {
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A real number.
    Float(f64),
    /// A string.
    Str(String),
}

impl ParamValue {
    /// Equality across number kinds (`2` and `2.0` are the same value).
    pub fn same(&self, other: &ParamValue) -> bool {
        match (self, other) {
            (ParamValue::Int(a), ParamValue::Float(b)) | (ParamValue::Float(b), ParamValue::Int(a)) => *a as f64 == *b,
            _ => self == other,
        }
    }

    /// As JSON.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            ParamValue::Bool(b) => (*b).into(),
            ParamValue::Int(i) => (*i).into(),
            ParamValue::Float(x) => serde_json::Number::from_f64(*x).map_or(serde_json::Value::Null, Into::into),
            ParamValue::Str(s) => s.clone().into(),
        }
    }

    /// The text substituted for `{name}` in a command line.
    pub fn to_arg(&self) -> String {
        match self {
            ParamValue::Str(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Bool(b) => write!(f, "{b}"),
            ParamValue::Int(i) => write!(f, "{i}"),
            ParamValue::Float(x) => write!(f, "{}", format_float(*x)),
            ParamValue::Str(s) => write!(f, "{s:?}"),
        }
    }
}

/// Shortest text that reads back as the same float, always with a `.` or exponent.
pub fn format_float(x: f64) -> String {
    let s = format!("{x:?}");
    if s.contains(['.', 'e', 'E', 'N', 'n']) {
        s
    } else {
        format!("{s}.0")
    }
}
