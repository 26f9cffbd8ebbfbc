//! What makes two runs the same study, hashed part by part. Operational settings
//! (timeout, retries, workers, the failure fraction) are left out: changing them
//! and resuming is legitimate.

use super::record::Fingerprint;
use crate::space::Space;
use crate::study::{ObjectiveKind, ObjectiveSpec, Study};

/// The fingerprint of `study` searching `space` (the resolved space).
pub fn of(study: &Study, space: &Space) -> Fingerprint {
    Fingerprint {
        space: hash(&format!("{space:?}")),
        objective: hash(&objective_text(study.objective.as_ref())),
        optimizer: hash(&format!("{:?}", study.optimizer)),
        seed: study.seed,
    }
}

fn objective_text(spec: Option<&ObjectiveSpec>) -> String {
    let Some(spec) = spec else { return "none".into() };
    match &spec.kind {
        ObjectiveKind::Command(c) => {
            let argv: Vec<&str> = c.argv.iter().map(|t| t.text.as_str()).collect();
            let env: Vec<(&str, &str)> = c.env.iter().map(|(k, t)| (k.as_str(), t.text.as_str())).collect();
            format!(
                "command {argv:?} env {env:?} workdir {:?} metric {:?} default_budget {:?} {:?}",
                c.workdir, c.metric, c.default_budget, spec.direction
            )
        }
        _ => format!("{spec:?}"),
    }
}

/// The parts that differ, in words.
pub fn differences(old: &Fingerprint, new: &Fingerprint) -> Vec<String> {
    let mut out = Vec::new();
    if old.space != new.space {
        out.push("the space".to_owned());
    }
    if old.objective != new.objective {
        out.push("the objective".to_owned());
    }
    if old.optimizer != new.optimizer {
        out.push("the optimizer".to_owned());
    }
    if old.seed != new.seed {
        out.push(format!("the seed ({} -> {})", old.seed, new.seed));
    }
    out
}

/// FNV-1a, 64 bits: stable across Rust versions, unlike `DefaultHasher`.
fn hash(text: &str) -> String {
    let h = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_reference_values() {
        assert_eq!(hash(""), "cbf29ce484222325");
        assert_eq!(hash("a"), "af63dc4c8601ec8c");
    }

    #[test]
    fn differences_name_the_parts() {
        let a = Fingerprint { space: "1".into(), objective: "2".into(), optimizer: "3".into(), seed: 1 };
        let b = Fingerprint { optimizer: "4".into(), seed: 2, ..a.clone() };
        assert_eq!(differences(&a, &b), vec!["the optimizer".to_owned(), "the seed (1 -> 2)".to_owned()]);
        assert!(differences(&a, &a).is_empty());
    }
}
