//! The state changes a journal's lines make, parsed and checked but not yet
//! applied ([`Op`]), a chunk's worth of them with their keys packed in one
//! string ([`Batch`]), and applying a batch to the [`Replay`] in file order.

use super::entry::Header;
use super::state::{RecordState, Replay, States};

/// The ops of one chunk of lines, their keys packed in one string: a key is
/// only copied into its own `String` when it is new to the replay.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Batch {
    /// The keys of `ops`, packed.
    pub(super) keys: String,
    /// The state changes, in file order.
    pub(super) ops: Vec<Op>,
}

/// Where a key is in [`Batch::keys`].
pub(super) type Span = std::ops::Range<usize>;

impl Batch {
    /// Stores `key`, returning where it is.
    pub(super) fn key(&mut self, key: &str) -> Span {
        let start = self.keys.len();
        self.keys.push_str(key);
        start..self.keys.len()
    }

    /// The parse position, to roll back to if a line is not taken after all.
    pub(super) fn mark(&self) -> (usize, usize) {
        (self.keys.len(), self.ops.len())
    }

    /// Forgets everything after `mark`.
    pub(super) fn rollback(&mut self, (keys, ops): (usize, usize)) {
        self.keys.truncate(keys);
        self.ops.truncate(ops);
    }
}

/// One state change, parsed and checked, ready to apply in file order.
#[derive(Debug, PartialEq)]
pub(super) enum Op {
    /// A run's header.
    Header(Box<Header>),
    /// A run's `end` line.
    End,
    /// The key's state becomes this.
    Set(Span, RecordState),
    /// An `in_doubt` line: its `at` depends on the key's state before it.
    InDoubt {
        key: Span,
        reason: String,
        record: u64,
        line: u64,
    },
}

/// Applies a batch to the replay, in order (the last line wins), and empties
/// it for reuse.
pub(super) fn apply(replay: &mut Replay, batch: &mut Batch) {
    /// The key's state becomes `state`; the key is copied only when new.
    fn set(records: &mut States, key: &str, state: RecordState) {
        match records.entry_ref(key) {
            hashbrown::hash_map::EntryRef::Occupied(mut o) => {
                o.insert(state);
            }
            hashbrown::hash_map::EntryRef::Vacant(v) => {
                v.insert(state);
            }
        }
    }
    for op in batch.ops.drain(..) {
        match op {
            Op::Header(h) => {
                replay.headers.push(*h);
                replay.ended = false;
            }
            Op::End => replay.ended = true,
            Op::Set(key, state) => set(&mut replay.records, &batch.keys[key], state),
            Op::InDoubt {
                key,
                reason,
                record,
                line,
            } => {
                let key = &batch.keys[key];
                // Keep when it was last sent, for lookups that must tell a
                // record created by that request from an older one.
                let at = match replay.records.get(key) {
                    Some(RecordState::Sent { at, .. } | RecordState::InDoubt { at, .. }) => *at,
                    _ => replay
                        .headers
                        .last()
                        .map(|h| h.started_at)
                        .unwrap_or_default(),
                };
                let state = RecordState::InDoubt {
                    reason,
                    at,
                    record,
                    line,
                };
                set(&mut replay.records, key, state);
            }
        }
    }
    batch.keys.clear();
}
