//! The journal lines the writer writes, each built in one place from what
//! happened: a batch about to be sent, a platform's outcome, a lookup's
//! hit, a record left failed or in doubt. Pure: counting them is the
//! tally's job ([`Tally::count`](super::control::Tally::count)), writing
//! them the link's.

use chrono::{DateTime, Utc};

use crate::journal::{self, Entry, SentRecord, Stage};
use crate::platform::{Found, Outcome};

use super::work::{Pending, Work};

/// Clock skew allowed when a lookup's hit is judged against the first send
/// (DECISIONS.md: a minute).
const CLOCK_SKEW: chrono::Duration = chrono::Duration::seconds(60);

/// The `sent` line of `batch` as batch `id` at `at`, with the lookups that
/// found nothing since its records were last sent.
pub(crate) fn sent(batch: &[Pending], id: u64, at: DateTime<Utc>) -> Entry {
    let mut lookups: Vec<DateTime<Utc>> = batch
        .iter()
        .flat_map(|p| p.lookups.iter().copied())
        .collect();
    lookups.sort();
    lookups.dedup();
    Entry::Sent(journal::Sent {
        batch: id,
        at,
        records: batch
            .iter()
            .map(|p| SentRecord {
                key: p.work.key.clone(),
                record: p.work.record,
                line: p.work.line,
            })
            .collect(),
        lookups,
    })
}

/// A `created` line: the platform stored `work` as `id`.
pub fn created(work: &Work, id: String, lookups: Vec<DateTime<Utc>>) -> Entry {
    Entry::Created(journal::Created {
        key: work.key.clone(),
        record: work.record,
        line: work.line,
        id,
        email: work.email(),
        phone: work.phone(),
        hash: work.sync.as_ref().map(|s| crate::state::to_hex(&s.hash)),
        lookups,
    })
}

/// An `updated` line: a sync run updated `work` as the platform's `id`
/// with what hashes to its sync hash.
pub fn updated(work: &Work, id: u64) -> Entry {
    Entry::Updated(journal::Updated {
        key: work.key.clone(),
        record: work.record,
        line: work.line,
        id: id.to_string(),
        hash: work
            .sync
            .as_ref()
            .map(|s| crate::state::to_hex(&s.hash))
            .unwrap_or_default(),
    })
}

/// An `exists` line: `work` was in the store already.
pub fn exists(
    work: &Work,
    id: Option<String>,
    reason: String,
    lookups: Vec<DateTime<Utc>>,
) -> Entry {
    Entry::Exists(journal::Exists {
        key: work.key.clone(),
        record: work.record,
        line: work.line,
        id,
        reason,
        lookups,
    })
}

/// The line of a platform's outcome for `work`.
pub fn outcome(work: &Work, outcome: Outcome) -> Entry {
    match outcome {
        Outcome::Created { id } => created(work, id, Vec::new()),
        Outcome::Exists { id, reason } => exists(work, id, reason, Vec::new()),
        Outcome::Rejected { reasons } => Entry::Rejected(journal::Rejected {
            key: work.key.clone(),
            record: work.record,
            line: work.line,
            // The key is the email or phone already.
            email: None,
            phone: None,
            stage: Stage::Platform,
            reasons: reasons
                .into_iter()
                .map(|r| journal::Reason {
                    field: r.field,
                    rule: r.rule,
                    message: r.message,
                })
                .collect(),
        }),
        // Callers route resends before this; journal honestly if not.
        Outcome::Resend { reason, .. } => Entry::InDoubt(journal::InDoubt {
            key: work.key.clone(),
            record: work.record,
            line: work.line,
            reason,
            lookups: Vec::new(),
        }),
    }
}

/// The line of a record the platform refused without naming a field (a
/// batch of one it asked to split).
pub fn refused(work: &Work, reason: String) -> Entry {
    outcome(
        work,
        Outcome::Rejected {
            reasons: vec![crate::platform::Reason {
                field: "record".into(),
                rule: "platform.refused".into(),
                message: reason,
            }],
        },
    )
}

/// The line of a lookup hit: `created` when the platform created it after
/// this run first sent it (a minute of clock skew allowed), `exists` when
/// it is older (DECISIONS.md). Never sent: judged against `now`.
pub fn found(work: &Work, hit: &Found, lookups: Vec<DateTime<Utc>>, now: DateTime<Utc>) -> Entry {
    let sent = work.sent_before.unwrap_or(now) - CLOCK_SKEW;
    if hit.created_at.is_none_or(|c| c >= sent) {
        created(work, hit.id.clone(), lookups)
    } else {
        exists(
            work,
            Some(hit.id.clone()),
            "found by lookup, created before this run sent it".into(),
            lookups,
        )
    }
}

/// The line of a record that could not be settled: in doubt when a try may
/// have been applied, failed (retryable) otherwise.
pub(crate) fn unsettled(p: &Pending, reason: String) -> Entry {
    let w = &p.work;
    if p.doubt {
        Entry::InDoubt(journal::InDoubt {
            key: w.key.clone(),
            record: w.record,
            line: w.line,
            reason,
            lookups: p.lookups.clone(),
        })
    } else {
        Entry::Failed(journal::Failed {
            key: w.key.clone(),
            record: w.record,
            line: w.line,
            reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Customer;
    use crate::writer::work::Payload;

    fn work(sent_before: Option<DateTime<Utc>>) -> Work {
        let customer = Customer {
            email: Some("a@x.com".into()),
            phone: Some("+15551234567".into()),
            ..Customer::default()
        };
        Work {
            key: "a@x.com".into(),
            record: 4,
            line: 5,
            payload: Payload::Customer(customer),
            sent_before,
            sync: None,
        }
    }

    fn hit(created_at: Option<DateTime<Utc>>) -> Found {
        Found {
            id: "42".into(),
            email: Some("a@x.com".into()),
            phone: None,
            created_at,
        }
    }

    #[test]
    fn a_hit_created_after_the_first_send_is_ours_within_a_minute_of_skew() {
        let sent = Utc::now();
        let w = work(Some(sent));
        let ours = found(
            &w,
            &hit(Some(sent - chrono::Duration::seconds(59))),
            vec![],
            sent,
        );
        let Entry::Created(c) = ours else {
            panic!("expected created, got {ours:?}")
        };
        assert_eq!((c.id.as_str(), c.email.as_deref()), ("42", Some("a@x.com")));
        assert_eq!(c.phone.as_deref(), Some("+15551234567"));
        let older = found(
            &w,
            &hit(Some(sent - chrono::Duration::seconds(61))),
            vec![],
            sent,
        );
        let Entry::Exists(e) = older else {
            panic!("expected exists, got {older:?}")
        };
        assert_eq!(e.id.as_deref(), Some("42"));
        assert!(e.reason.contains("created before this run sent it"));
    }

    #[test]
    fn a_hit_without_a_creation_time_is_ours() {
        let now = Utc::now();
        assert!(matches!(
            found(&work(None), &hit(None), vec![now], now),
            Entry::Created(c) if c.lookups == [now]
        ));
    }

    #[test]
    fn an_unsettled_record_is_in_doubt_only_when_a_try_may_have_been_applied() {
        let mut p = Pending::new(work(None), true);
        assert!(matches!(unsettled(&p, "503".into()), Entry::Failed(f) if f.reason == "503"));
        p.doubt = true;
        assert!(matches!(unsettled(&p, "504".into()), Entry::InDoubt(d) if d.reason == "504"));
    }

    #[test]
    fn a_sent_line_lists_each_lookup_once_in_order() {
        let t = Utc::now();
        let mut a = Pending::new(work(None), true);
        a.lookups = vec![t + chrono::Duration::seconds(1), t];
        let mut b = Pending::new(work(None), true);
        b.lookups = vec![t];
        let Entry::Sent(s) = sent(&[a, b], 9, t) else {
            panic!("expected a sent line")
        };
        assert_eq!(s.batch, 9);
        assert_eq!(s.records.len(), 2);
        assert_eq!(s.lookups, [t, t + chrono::Duration::seconds(1)]);
    }

    #[test]
    fn a_refused_record_is_rejected_by_the_platform() {
        let Entry::Rejected(r) = refused(&work(None), "bad batch".into()) else {
            panic!("expected rejected")
        };
        assert_eq!(r.stage, Stage::Platform);
        assert_eq!(r.reasons[0].rule, "platform.refused");
    }
}
