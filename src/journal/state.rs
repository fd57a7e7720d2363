//! The journal's state model: what it says about each record key (the last
//! line about it wins), how many keys are in each state, the run headers,
//! and the source key → platform id map that order linking and `ids` read.
//! Filled by [`replay`](mod@super::replay); never reads a file itself.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::entry::{Header, Reason, Stage};

/// What the journal says about one record key: its last line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RecordState {
    /// Sent with no outcome yet: in doubt.
    Sent {
        /// When the request was about to go out.
        at: DateTime<Utc>,
        /// Record number in the input.
        record: u64,
        /// Line number in the input.
        line: u64,
        /// The batch it went out in.
        batch: u64,
    },
    /// Stored by the platform (final).
    Created {
        /// The platform's id.
        id: String,
        /// Normalised email, when the record had one.
        email: Option<String>,
        /// Normalised phone, when the record had one.
        phone: Option<String>,
        /// Record number in the input.
        record: u64,
        /// Line number in the input.
        line: u64,
    },
    /// Updated by id by a sync run (final).
    Updated {
        /// The platform's id.
        id: String,
        /// Record number in the input.
        record: u64,
        /// Line number in the input.
        line: u64,
    },
    /// Unchanged since last sent, so not sent, by a sync run (final).
    Unchanged {
        /// The platform's id.
        id: String,
        /// Record number in the input.
        record: u64,
        /// Line number in the input.
        line: u64,
    },
    /// Already in the platform (final).
    Exists {
        /// The platform's id, when known.
        id: Option<String>,
        /// Record number in the input.
        record: u64,
        /// Line number in the input.
        line: u64,
    },
    /// Refused by validation or by the platform (final).
    Rejected {
        /// The record's email, when the line names it.
        email: Option<String>,
        /// The record's phone, when the line names it.
        phone: Option<String>,
        /// Who refused it.
        stage: Stage,
        /// Why.
        reasons: Vec<Reason>,
        /// Record number in the input.
        record: u64,
        /// Line number in the input.
        line: u64,
    },
    /// Failed after retries; a resume sends it again.
    Failed {
        /// The last error.
        reason: String,
        /// Record number in the input.
        record: u64,
        /// Line number in the input.
        line: u64,
    },
    /// Explicitly journaled as in doubt.
    InDoubt {
        /// Why it is in doubt.
        reason: String,
        /// When it was last sent (the `sent` line before it; the run's start
        /// if there was none).
        at: DateTime<Utc>,
        /// Record number in the input.
        record: u64,
        /// Line number in the input.
        line: u64,
    },
}

impl RecordState {
    /// Created, exists, updated, unchanged or rejected: a resume never
    /// sends it again.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            RecordState::Created { .. }
                | RecordState::Exists { .. }
                | RecordState::Updated { .. }
                | RecordState::Unchanged { .. }
                | RecordState::Rejected { .. }
        )
    }

    /// Sent without an outcome, or explicitly in doubt.
    pub fn is_in_doubt(&self) -> bool {
        matches!(self, RecordState::Sent { .. } | RecordState::InDoubt { .. })
    }

    /// The record's number in the input, from the last line about it.
    pub fn record(&self) -> u64 {
        match self {
            RecordState::Sent { record, .. }
            | RecordState::Created { record, .. }
            | RecordState::Exists { record, .. }
            | RecordState::Updated { record, .. }
            | RecordState::Unchanged { record, .. }
            | RecordState::Rejected { record, .. }
            | RecordState::Failed { record, .. }
            | RecordState::InDoubt { record, .. } => *record,
        }
    }

    /// The record's line in the input, from the last line about it.
    pub fn line(&self) -> u64 {
        match self {
            RecordState::Sent { line, .. }
            | RecordState::Created { line, .. }
            | RecordState::Exists { line, .. }
            | RecordState::Updated { line, .. }
            | RecordState::Unchanged { line, .. }
            | RecordState::Rejected { line, .. }
            | RecordState::Failed { line, .. }
            | RecordState::InDoubt { line, .. } => *line,
        }
    }
}

/// How many record keys are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Created by the platform.
    pub created: u64,
    /// Already in the platform.
    pub exists: u64,
    /// Updated by a sync run.
    pub updated: u64,
    /// Unchanged since last sent (a sync run sent nothing).
    pub unchanged: u64,
    /// Refused (validation or platform).
    pub rejected: u64,
    /// Failed after retries (retryable).
    pub failed: u64,
    /// Sent without an outcome, or explicitly in doubt.
    pub in_doubt: u64,
}

/// Record key → state. Keys are hashed with foldhash: the journal is
/// storeload's own file, so SipHash's defence against crafted keys buys
/// nothing here, and it cost a tenth of a million-record resume.
/// (hashbrown's map: `entry_ref` hashes a key once and copies it only when
/// it is new.)
pub type States = hashbrown::HashMap<String, RecordState, foldhash::fast::RandomState>;

/// Everything a journal says, as of its last complete line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Replay {
    /// Every run's header, in order.
    pub headers: Vec<Header>,
    /// The state of every record key: the last line about it.
    pub records: States,
    /// The last line was incomplete (a crash mid-write) and was ignored.
    pub torn_tail: bool,
    /// Complete lines read (not counting a torn tail).
    pub lines: u64,
    /// The last run wrote its `end` line (it finished, or stopped cleanly).
    pub ended: bool,
}

impl Replay {
    /// How many keys are in each state.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for state in self.records.values() {
            match state {
                RecordState::Created { .. } => c.created += 1,
                RecordState::Exists { .. } => c.exists += 1,
                RecordState::Updated { .. } => c.updated += 1,
                RecordState::Unchanged { .. } => c.unchanged += 1,
                RecordState::Rejected { .. } => c.rejected += 1,
                RecordState::Failed { .. } => c.failed += 1,
                RecordState::Sent { .. } | RecordState::InDoubt { .. } => c.in_doubt += 1,
            }
        }
        c
    }

    /// The first run's header (the journal's origin).
    pub fn header(&self) -> Option<&Header> {
        self.headers.first()
    }

    /// The most recent run's header.
    pub fn latest_header(&self) -> Option<&Header> {
        self.headers.last()
    }

    /// The `run` number the next header appended to this journal should carry.
    pub fn next_run(&self) -> u32 {
        self.headers.iter().map(|h| h.run).max().unwrap_or(0) + 1
    }
}

/// Source key → platform id for every created, updated or unchanged record
/// and every existing one with a known id, sorted by record number (then
/// key).
pub fn ids(replay: &Replay) -> impl Iterator<Item = (&str, &str)> {
    let mut v: Vec<(u64, &str, &str)> = replay
        .records
        .iter()
        .filter_map(|(key, state)| match state {
            RecordState::Created { id, record, .. }
            | RecordState::Updated { id, record, .. }
            | RecordState::Unchanged { id, record, .. }
            | RecordState::Exists {
                id: Some(id),
                record,
                ..
            } => Some((*record, key.as_str(), id.as_str())),
            _ => None,
        })
        .collect();
    v.sort_unstable();
    v.into_iter().map(|(_, key, id)| (key, id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::test_support::*;

    /// A replay holding `records` (key, state) after the given headers.
    fn replay_of(headers: Vec<Header>, records: Vec<(&str, RecordState)>) -> Replay {
        Replay {
            headers,
            records: records
                .into_iter()
                .map(|(k, s)| (k.to_owned(), s))
                .collect(),
            ..Replay::default()
        }
    }

    fn created_state(id: &str, record: u64) -> RecordState {
        RecordState::Created {
            id: id.into(),
            email: None,
            phone: None,
            record,
            line: record + 1,
        }
    }

    fn exists_state(id: Option<&str>, record: u64) -> RecordState {
        RecordState::Exists {
            id: id.map(Into::into),
            record,
            line: record + 1,
        }
    }

    #[test]
    fn is_final_covers_created_exists_and_rejected_only() {
        let states = [
            created_state("901", 12),
            exists_state(Some("77"), 13),
            RecordState::Rejected {
                email: None,
                phone: None,
                stage: Stage::Validate,
                reasons: vec![],
                record: 14,
                line: 15,
            },
            RecordState::Failed {
                reason: "503".into(),
                record: 15,
                line: 16,
            },
            RecordState::InDoubt {
                reason: "reset".into(),
                at: at_ms(1),
                record: 16,
                line: 17,
            },
            RecordState::Sent {
                at: at_ms(1),
                record: 17,
                line: 18,
                batch: 1,
            },
        ];
        let finals: Vec<bool> = states.iter().map(RecordState::is_final).collect();
        assert_eq!(finals, [true, true, true, false, false, false]);
        let in_doubt: Vec<bool> = states.iter().map(RecordState::is_in_doubt).collect();
        assert_eq!(in_doubt, [false, false, false, false, true, true]);
    }

    #[test]
    fn ids_lists_created_and_known_existing_records_by_record_number() {
        let r = replay_of(
            vec![header(1)],
            vec![
                ("c", created_state("300", 30)),
                ("a", created_state("100", 10)),
                ("b", exists_state(Some("200"), 20)),
                ("d", exists_state(None, 5)),
                (
                    "e",
                    RecordState::Failed {
                        reason: "503".into(),
                        record: 1,
                        line: 2,
                    },
                ),
            ],
        );
        let got: Vec<(&str, &str)> = ids(&r).collect();
        assert_eq!(got, [("a", "100"), ("b", "200"), ("c", "300")]);
    }

    #[test]
    fn header_is_the_first_run_and_latest_header_the_last() {
        let r = replay_of(vec![header(1), header(2)], vec![]);
        assert_eq!(r.header().unwrap().run, 1);
        assert_eq!(r.latest_header().unwrap().run, 2);
        assert_eq!(r.next_run(), 3);
        assert_eq!(Replay::default().next_run(), 1);
    }
}
