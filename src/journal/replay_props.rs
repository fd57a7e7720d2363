//! Property tests of the journal reader: any sequence of entries written
//! and replayed gives the state a plain fold of the entries gives; neither
//! the read chunk size nor the parser thread changes the result; and a
//! journal cut at any byte replays to a prefix of its states and can be
//! appended to.

use std::path::Path;

use proptest::prelude::*;

use super::entry::{Entry, Reason, Stage};
use super::replay::{Tuning, read, read_tuned};
use super::state::{RecordState, Replay};
use super::test_support::*;
use super::{
    Created, End, Exists, Failed, InDoubt, Journal, JournalError, Rejected, Sent, SentRecord,
    Unchanged, Updated, replay,
};

fn journal_with(entries: &[Entry]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    write_journal(&path, entries);
    (dir, path)
}

fn replay_bytes(bytes: &[u8]) -> Result<(Replay, u64), JournalError> {
    read(bytes, Path::new("mem.jsonl"), bytes.len() as u64)
}

fn replay_chunked(
    bytes: &[u8],
    chunk: usize,
    threaded: bool,
) -> Result<(Replay, u64), JournalError> {
    read_tuned(
        bytes,
        Path::new("mem.jsonl"),
        bytes.len() as u64,
        Tuning { chunk, threaded },
    )
}

/// The rule, stated independently of the fast path: fold the entries.
fn model(entries: &[Entry]) -> Replay {
    let mut r = Replay::default();
    for e in entries {
        let (key, state) = match e {
            Entry::Header(h) => {
                r.headers.push(h.clone());
                r.ended = false;
                continue;
            }
            Entry::End(_) => {
                r.ended = true;
                continue;
            }
            Entry::Sent(s) => {
                for x in &s.records {
                    r.records.insert(
                        x.key.clone(),
                        RecordState::Sent {
                            at: s.at,
                            record: x.record,
                            line: x.line,
                            batch: s.batch,
                        },
                    );
                }
                continue;
            }
            Entry::Created(c) => (
                &c.key,
                RecordState::Created {
                    id: c.id.clone(),
                    email: c.email.clone(),
                    phone: c.phone.clone(),
                    record: c.record,
                    line: c.line,
                },
            ),
            Entry::Exists(x) => (
                &x.key,
                RecordState::Exists {
                    id: x.id.clone(),
                    record: x.record,
                    line: x.line,
                },
            ),
            Entry::Rejected(x) => (
                &x.key,
                RecordState::Rejected {
                    email: x.email.clone(),
                    phone: x.phone.clone(),
                    stage: x.stage,
                    reasons: x.reasons.clone(),
                    record: x.record,
                    line: x.line,
                },
            ),
            Entry::Updated(x) => (
                &x.key,
                RecordState::Updated {
                    id: x.id.clone(),
                    record: x.record,
                    line: x.line,
                },
            ),
            Entry::Unchanged(x) => (
                &x.key,
                RecordState::Unchanged {
                    id: x.id.clone(),
                    record: x.record,
                    line: x.line,
                },
            ),
            Entry::Failed(x) => (
                &x.key,
                RecordState::Failed {
                    reason: x.reason.clone(),
                    record: x.record,
                    line: x.line,
                },
            ),
            Entry::InDoubt(x) => {
                let at = match r.records.get(&x.key) {
                    Some(RecordState::Sent { at, .. } | RecordState::InDoubt { at, .. }) => *at,
                    _ => r.headers.last().unwrap().started_at,
                };
                (
                    &x.key,
                    RecordState::InDoubt {
                        reason: x.reason.clone(),
                        at,
                        record: x.record,
                        line: x.line,
                    },
                )
            }
        };
        r.records.insert(key.clone(), state);
    }
    r.lines = entries.len() as u64;
    r
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("ann@x.com".to_owned()),
        Just("+4915112345678".to_owned()),
        Just("quote\"back\\slash\nnew é €".to_owned()),
        "[a-z@.\"\\\\é ]{0,6}",
    ]
}

fn text() -> impl Strategy<Value = String> {
    "[ -~é\n\t\"\\\\]{0,12}"
}

fn entry() -> impl Strategy<Value = Entry> {
    let ms = 0i64..4_000_000_000_000;
    prop_oneof![
        (1u32..5, ms.clone()).prop_map(|(run, ms)| {
            let mut h = header(run);
            h.started_at = at_ms(ms);
            Entry::Header(h)
        }),
        (
            any::<u64>(),
            ms.clone(),
            prop::collection::vec((key(), any::<u64>(), any::<u64>()), 0..4)
        )
            .prop_map(|(batch, ms, recs)| Entry::Sent(Sent {
                batch,
                at: at_ms(ms),
                records: recs
                    .into_iter()
                    .map(|(key, record, line)| SentRecord { key, record, line })
                    .collect(),
                lookups: vec![],
            })),
        (
            key(),
            any::<u64>(),
            any::<u64>(),
            text(),
            prop::option::of(text()),
            prop::option::of(text())
        )
            .prop_map(
                |(key, record, line, id, email, phone)| Entry::Created(Created {
                    key,
                    record,
                    line,
                    id,
                    email,
                    phone,
                    hash: None,
                    lookups: vec![],
                })
            ),
        (
            key(),
            any::<u64>(),
            any::<u64>(),
            prop::option::of(text()),
            text()
        )
            .prop_map(|(key, record, line, id, reason)| Entry::Exists(Exists {
                key,
                record,
                line,
                id,
                reason,
                lookups: vec![],
            })),
        (
            key(),
            any::<u64>(),
            any::<u64>(),
            any::<bool>(),
            prop::collection::vec((text(), text(), text()), 0..3)
        )
            .prop_map(|(key, record, line, v, reasons)| Entry::Rejected(Rejected {
                email: v.then(|| format!("{key}@x.com")),
                phone: None,
                key,
                record,
                line,
                stage: if v { Stage::Validate } else { Stage::Platform },
                reasons: reasons
                    .into_iter()
                    .map(|(field, rule, message)| Reason {
                        field,
                        rule,
                        message
                    })
                    .collect(),
            })),
        (key(), any::<u64>(), any::<u64>(), text()).prop_map(|(key, record, line, reason)| {
            Entry::Failed(Failed {
                key,
                record,
                line,
                reason,
            })
        }),
        (key(), any::<u64>(), any::<u64>(), text()).prop_map(|(key, record, line, reason)| {
            Entry::InDoubt(InDoubt {
                key,
                record,
                line,
                reason,
                lookups: vec![],
            })
        }),
        (key(), any::<u64>(), any::<u64>(), text(), text()).prop_map(
            |(key, record, line, id, hash)| {
                Entry::Updated(Updated {
                    key,
                    record,
                    line,
                    id,
                    hash,
                })
            }
        ),
        (key(), any::<u64>(), any::<u64>(), text()).prop_map(|(key, record, line, id)| {
            Entry::Unchanged(Unchanged {
                key,
                record,
                line,
                id,
            })
        }),
        (ms, text()).prop_map(|(ms, s)| Entry::End(End {
            at: at_ms(ms),
            summary: serde_json::json!({ "note": s }),
        })),
    ]
}

/// A header, then any entries.
fn journal_entries() -> impl Strategy<Value = Vec<Entry>> {
    prop::collection::vec(entry(), 0..12).prop_map(|mut v| {
        v.insert(0, Entry::Header(header(1)));
        v
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_sequence_of_entries_survives_write_and_replay(entries in journal_entries()) {
        let (_d, path) = journal_with(&entries);
        let r = replay(&path).unwrap();
        prop_assert_eq!(r, model(&entries));
    }

    #[test]
    fn read_chunk_sizes_and_the_parser_thread_never_change_the_replay(
        entries in journal_entries(),
        chunk in 1usize..300,
        threaded in any::<bool>(),
        cut in any::<prop::sample::Index>(),
    ) {
        let (_d, path) = journal_with(&entries);
        let bytes = std::fs::read(&path).unwrap();
        let part = &bytes[..cut.index(bytes.len() + 1)];
        let (want, want_valid) = replay_bytes(part).unwrap();
        let (got, valid) = replay_chunked(part, chunk, threaded).unwrap();
        prop_assert_eq!(got, want);
        prop_assert_eq!(valid, want_valid);
    }

    #[test]
    fn a_journal_cut_at_any_byte_replays_to_a_prefix_of_its_states(
        entries in journal_entries(),
        cut in any::<prop::sample::Index>(),
    ) {
        let (_d, path) = journal_with(&entries);
        let bytes = std::fs::read(&path).unwrap();
        for n in 0..=bytes.len() {
            let part = &bytes[..n];
            let complete = part.iter().filter(|b| **b == b'\n').count();
            let (r, valid) = replay_bytes(part).unwrap();
            let mut want = model(&entries[..complete]);
            want.torn_tail = n > 0 && part[n - 1] != b'\n';
            prop_assert_eq!(&r, &want, "cut at byte {}", n);
            prop_assert_eq!(valid as usize, part.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1));
        }

        // And on disk: cut, open for appending, append, replay everything.
        let n = cut.index(bytes.len() + 1);
        std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(n as u64).unwrap();
        let (mut j, before) = Journal::open_append(&path).unwrap();
        let mut kept: Vec<Entry> = entries[..before.lines as usize].to_vec();
        if before.headers.is_empty() {
            kept.push(Entry::Header(header(1)));
            j.append(&Entry::Header(header(1))).unwrap();
        }
        let extra = created("appended@x.com", 7, "70");
        j.append(&extra).unwrap();
        j.commit().unwrap();
        drop(j);
        kept.push(extra);
        prop_assert_eq!(replay(&path).unwrap(), model(&kept));
    }
}
