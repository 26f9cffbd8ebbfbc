//! Views of a journal's records: the results a resume replays, and the trial
//! table `harmonica trials` and `harmonica best` show. For every trial the last
//! record wins (a trial re-run after a crash, or with `--retry-failed`).

use std::collections::BTreeSet;

use super::record::Record;

/// A journaled result.
#[derive(Clone, Debug, PartialEq)]
pub enum Stored {
    /// The objective's value.
    Value(f64),
    /// The failure reason.
    Failed(String),
}

/// What a resume replays.
#[derive(Clone, Debug, Default)]
pub struct Replay {
    results: Vec<Option<Stored>>,
    bits: Vec<Option<String>>,
    stages: BTreeSet<usize>,
    completed: bool,
}

fn set<T>(v: &mut Vec<Option<T>>, i: usize, x: T) {
    if v.len() <= i {
        v.resize_with(i + 1, || None);
    }
    v[i] = Some(x);
}

impl Replay {
    /// Collects results from records in file order.
    pub fn from_records<'a>(records: impl Iterator<Item = &'a Record>) -> Self {
        let mut r = Replay::default();
        for rec in records {
            match rec {
                Record::Started { trial, bits, .. } => set(&mut r.bits, *trial, bits.clone()),
                Record::Finished { trial, value, .. } => set(&mut r.results, *trial, Stored::Value(*value)),
                Record::Failed { trial, reason, .. } => set(&mut r.results, *trial, Stored::Failed(reason.clone())),
                Record::Stage { stage, .. } => {
                    r.stages.insert(*stage);
                }
                Record::Completed { .. } => r.completed = true,
                Record::Study { .. } | Record::Session { .. } => {}
            }
        }
        r
    }

    /// The result journaled for `trial`.
    pub fn result(&self, trial: usize) -> Option<&Stored> {
        self.results.get(trial)?.as_ref()
    }

    /// The bits journaled when `trial` started.
    pub fn bits(&self, trial: usize) -> Option<&str> {
        self.bits.get(trial)?.as_deref()
    }

    /// Whether stage `stage`'s record is in the journal.
    pub fn has_stage(&self, stage: usize) -> bool {
        self.stages.contains(&stage)
    }

    /// Whether the study ran to its end.
    pub fn completed(&self) -> bool {
        self.completed
    }

    /// Number of journaled results.
    pub fn len(&self) -> usize {
        self.results.iter().flatten().count()
    }

    /// True when no result is journaled.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Where a trial stands in the journal.
#[derive(Clone, Debug, PartialEq)]
pub enum TrialState {
    /// Started, no result (running, or the run was stopped).
    Unfinished,
    /// Finished with a value.
    Finished(f64),
    /// Failed.
    Failed {
        /// Why.
        reason: String,
        /// The tail of stderr.
        stderr: String,
    },
}

/// One row of `harmonica trials`.
#[derive(Clone, Debug, PartialEq)]
pub struct TrialRow {
    /// Trial id.
    pub trial: usize,
    /// Its phase.
    pub phase: String,
    /// Its budget.
    pub budget: Option<f64>,
    /// Its bits.
    pub bits: String,
    /// Its parameters by name, when the space is declared.
    pub params: Option<serde_json::Map<String, serde_json::Value>>,
    /// Its state.
    pub state: TrialState,
    /// Wall time, once it has a result.
    pub seconds: Option<f64>,
    /// Attempts made, once it has a result.
    pub attempts: usize,
}

/// The trials of a journal, in id order.
pub fn rows<'a>(records: impl Iterator<Item = &'a Record>) -> Vec<TrialRow> {
    let mut rows: Vec<Option<TrialRow>> = Vec::new();
    for rec in records {
        match rec {
            Record::Started { trial, phase, budget, bits, params } => {
                let row = TrialRow {
                    trial: *trial,
                    phase: phase.clone(),
                    budget: *budget,
                    bits: bits.clone(),
                    params: params.clone(),
                    state: TrialState::Unfinished,
                    seconds: None,
                    attempts: 0,
                };
                set(&mut rows, *trial, row);
            }
            Record::Finished { trial, value, seconds } => {
                if let Some(Some(row)) = rows.get_mut(*trial) {
                    (row.state, row.seconds, row.attempts) = (TrialState::Finished(*value), Some(*seconds), 1);
                }
            }
            Record::Failed { trial, reason, stderr, attempts, seconds } => {
                if let Some(Some(row)) = rows.get_mut(*trial) {
                    row.state = TrialState::Failed { reason: reason.clone(), stderr: stderr.clone() };
                    (row.seconds, row.attempts) = (Some(*seconds), *attempts);
                }
            }
            _ => {}
        }
    }
    rows.into_iter().flatten().collect()
}

/// The best finished row: lowest value (highest when `maximize`), earliest on ties.
pub fn best(rows: &[TrialRow], maximize: bool) -> Option<&TrialRow> {
    let key = |r: &TrialRow| match r.state {
        TrialState::Finished(v) if maximize => Some(-v),
        TrialState::Finished(v) => Some(v),
        _ => None,
    };
    rows.iter().filter_map(|r| key(r).map(|k| (k, r))).min_by(|a, b| a.0.total_cmp(&b.0)).map(|(_, r)| r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started(trial: usize) -> Record {
        Record::Started { trial, phase: "stage 1".into(), budget: None, bits: "+-".into(), params: None }
    }

    #[test]
    fn last_record_wins_and_best_respects_direction() {
        let recs = [
            started(0),
            started(1),
            Record::Failed { trial: 0, reason: "x".into(), stderr: String::new(), attempts: 1, seconds: 0.0 },
            Record::Finished { trial: 1, value: 2.0, seconds: 0.5 },
            started(0),
            Record::Finished { trial: 0, value: 3.0, seconds: 0.5 },
            started(2),
        ];
        let replay = Replay::from_records(recs.iter());
        assert_eq!(replay.result(0), Some(&Stored::Value(3.0)));
        assert_eq!(replay.result(2), None);
        assert_eq!(replay.len(), 2);
        let rows = rows(recs.iter());
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2].state, TrialState::Unfinished);
        assert_eq!(best(&rows, false).map(|r| r.trial), Some(1));
        assert_eq!(best(&rows, true).map(|r| r.trial), Some(0));
    }
}
