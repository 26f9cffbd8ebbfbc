//! Journal records and their framing. A record is one line:
//!
//! ```text
//! <crc32 of the JSON, 8 lowercase hex digits> <JSON object>\n
//! ```
//!
//! JSON never holds a raw newline, so the newline delimits the record; a line
//! without its newline, with a wrong checksum or with unreadable JSON is damaged.
//! Lines keep the journal readable with `tail` and `grep`.

use serde::{Deserialize, Serialize};

/// The journal format version written in the header.
pub const VERSION: u32 = 1;

/// What identifies a study, part by part (hashes of their canonical text), so a
/// refusal can say which part changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// The resolved space.
    pub space: String,
    /// The objective (what its values mean, not how long it may run).
    pub objective: String,
    /// The optimizer and its base algorithm.
    pub optimizer: String,
    /// The seed.
    pub seed: u64,
}

/// One journal record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Record {
    /// The first record: which study this journal belongs to.
    Study {
        /// Format version.
        version: u32,
        /// The study's name.
        study: String,
        /// `minimize` or `maximize`.
        direction: String,
        /// What the journal was written for.
        fingerprint: Fingerprint,
    },
    /// A run started (the first, or a resume).
    Session {
        /// Unix time in seconds.
        unix: u64,
        /// Parallel workers.
        workers: usize,
        /// Trials replayed from the journal.
        replayed: usize,
    },
    /// A trial was handed to a worker.
    Started {
        /// Trial id (evaluation order).
        trial: usize,
        /// `stage 1`, `bracket 2 rung 1`, ...
        phase: String,
        /// The budget, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        budget: Option<f64>,
        /// The point as `+`/`-` bits.
        bits: String,
        /// Parameter values by name (declared spaces only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        params: Option<serde_json::Map<String, serde_json::Value>>,
    },
    /// A trial gave a value.
    Finished {
        /// Trial id.
        trial: usize,
        /// The objective's value (not negated for maximize).
        value: f64,
        /// Wall time.
        seconds: f64,
    },
    /// A trial failed.
    Failed {
        /// Trial id.
        trial: usize,
        /// Why, one line.
        reason: String,
        /// The tail of stderr.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        stderr: String,
        /// Attempts made.
        attempts: usize,
        /// Wall time of all attempts.
        seconds: f64,
    },
    /// A Harmonica stage finished.
    Stage {
        /// Stage index (0-based).
        stage: usize,
        /// What it fixed, by name.
        fixed: serde_json::Map<String, serde_json::Value>,
        /// Recovered terms: `[coefficient, monomial]`.
        terms: Vec<(f64, String)>,
        /// The best trial so far.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        best_trial: Option<usize>,
    },
    /// The study ran to its end.
    Completed {
        /// Evaluations in all.
        evaluations: usize,
    },
}

/// Frames a record as one line.
pub fn encode(record: &Record) -> String {
    // Serializing these plain types cannot fail; an empty object would be refused on read.
    let json = serde_json::to_string(record).unwrap_or_else(|_| "{}".into());
    format!("{:08x} {json}\n", crc32fast::hash(json.as_bytes()))
}

/// Reads one line (without its newline); `None` when it is damaged.
pub fn decode(line: &[u8]) -> Option<Record> {
    let (crc, json) = (line.get(..8)?, line.get(9..)?);
    if line.get(8) != Some(&b' ') {
        return None;
    }
    let crc = u32::from_str_radix(std::str::from_utf8(crc).ok()?, 16).ok()?;
    if crc != crc32fast::hash(json) {
        return None;
    }
    serde_json::from_slice(json).ok()
}

/// Bits as `+`/`-` text.
pub fn bits_text(bits: &[i8]) -> String {
    bits.iter().map(|&b| if b > 0 { '+' } else { '-' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_detects_damage() {
        let r = Record::Finished { trial: 7, value: -916.2790000000001, seconds: 0.25 };
        let line = encode(&r);
        assert!(line.ends_with('\n'));
        let body = line.trim_end().as_bytes();
        assert_eq!(decode(body), Some(r));
        let mut flipped = body.to_vec();
        let last = flipped.len() - 3;
        flipped[last] ^= 1;
        assert_eq!(decode(&flipped), None);
        assert_eq!(decode(&body[..body.len() - 1]), None);
        assert_eq!(decode(b"garbage"), None);
    }

    #[test]
    fn bits_as_text() {
        assert_eq!(bits_text(&[1, -1, -1, 1]), "+--+");
    }
}
